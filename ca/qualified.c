/*
 * ca/qualified.c — the extensions of qualified certificates
 * (docs/PROFILES.md; FSB Order 795, RFC 9215): subjectSignTool
 * (1.2.643.100.111, UTF8String), issuerSignTool (1.2.643.100.112, SEQUENCE
 * of four UTF8String) and identificationKind (1.2.643.100.114, INTEGER),
 * each not critical, each encoded by OpenSSL's ASN.1 code from a template
 * or a primitive type. ca_cert_build calls ca_qualified_extensions once.
 */
#include "ca_int.h"

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* issuerSignTool ::= SEQUENCE { signTool, cATool, signToolCert, cAToolCert UTF8String } */
typedef struct {
	ASN1_UTF8STRING *sign_tool;
	ASN1_UTF8STRING *ca_tool;
	ASN1_UTF8STRING *sign_tool_cert;
	ASN1_UTF8STRING *ca_tool_cert;
} PECHAT_ISSUER_SIGN_TOOL;

DECLARE_ASN1_FUNCTIONS(PECHAT_ISSUER_SIGN_TOOL)

ASN1_SEQUENCE(PECHAT_ISSUER_SIGN_TOOL) = {
	ASN1_SIMPLE(PECHAT_ISSUER_SIGN_TOOL, sign_tool, ASN1_UTF8STRING),
	ASN1_SIMPLE(PECHAT_ISSUER_SIGN_TOOL, ca_tool, ASN1_UTF8STRING),
	ASN1_SIMPLE(PECHAT_ISSUER_SIGN_TOOL, sign_tool_cert, ASN1_UTF8STRING),
	ASN1_SIMPLE(PECHAT_ISSUER_SIGN_TOOL, ca_tool_cert, ASN1_UTF8STRING),
} ASN1_SEQUENCE_END(PECHAT_ISSUER_SIGN_TOOL)

IMPLEMENT_ASN1_FUNCTIONS(PECHAT_ISSUER_SIGN_TOOL)

/* Adds extension nid (not critical) holding the DER in der/len. 0 or -1. */
static int
add_raw_ext(X509 *cert, int nid, const unsigned char *der, int len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if (os == NULL || len <= 0 || ASN1_OCTET_STRING_set(os, der, len) != 1 ||
	    (ext = X509_EXTENSION_create_by_NID(NULL, nid, 0, os)) == NULL || X509_add_ext(cert, ext, -1) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		log_err("ca: build: cannot add extension %s", OBJ_nid2sn(nid));
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	return rc;
}

/* A UTF8String of s (owned), NULL on failure. */
static ASN1_UTF8STRING *
utf8(const char *s)
{
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();

	if (u != NULL && ASN1_STRING_set(u, s, -1) != 1) {
		ASN1_UTF8STRING_free(u);
		u = NULL;
	}
	return u;
}

/* subjectSignTool: the owner's crypto tool, UTF8String of 1..200 characters. 0 or -1. */
static int
ext_subject_sign_tool(X509 *cert, const char *tool)
{
	ASN1_UTF8STRING *u = NULL;
	unsigned char *der = NULL;
	int len = -1, rc = -1;

	if (!pechat_sign_tool_ok(tool, PECHAT_SIGN_TOOL_CHARS)) {
		log_err("ca: build: subjectSignTool is not 1 to %d characters of text", PECHAT_SIGN_TOOL_CHARS);
		return -1;
	}
	if ((u = utf8(tool)) != NULL && (len = i2d_ASN1_UTF8STRING(u, &der)) > 0)
		rc = add_raw_ext(cert, NID_subjectSignTool, der, len);
	OPENSSL_free(der);
	ASN1_UTF8STRING_free(u);
	return rc;
}

/* 1 if the four issuer tool strings have their lengths (1..200, 1..200, 1..100, 1..100). */
static int
issuer_tools_ok(const struct pechat_sign_tools *t)
{
	return pechat_sign_tool_ok(t->sign_tool, PECHAT_SIGN_TOOL_CHARS) &&
	    pechat_sign_tool_ok(t->ca_tool, PECHAT_SIGN_TOOL_CHARS) &&
	    pechat_sign_tool_ok(t->sign_tool_cert, PECHAT_SIGN_TOOL_CERT_CHARS) &&
	    pechat_sign_tool_ok(t->ca_tool_cert, PECHAT_SIGN_TOOL_CERT_CHARS);
}

/* issuerSignTool: the issuer's tools and their conformity certificates. 0 or -1. */
static int
ext_issuer_sign_tool(X509 *cert, const struct pechat_sign_tools *t)
{
	PECHAT_ISSUER_SIGN_TOOL *ist = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if (!issuer_tools_ok(t)) {
		log_err("ca: build: issuerSignTool strings are missing or too long");
		return -1;
	}
	if ((ist = PECHAT_ISSUER_SIGN_TOOL_new()) == NULL)
		goto out;
	ASN1_UTF8STRING_free(ist->sign_tool);
	ASN1_UTF8STRING_free(ist->ca_tool);
	ASN1_UTF8STRING_free(ist->sign_tool_cert);
	ASN1_UTF8STRING_free(ist->ca_tool_cert);
	ist->sign_tool = utf8(t->sign_tool);
	ist->ca_tool = utf8(t->ca_tool);
	ist->sign_tool_cert = utf8(t->sign_tool_cert);
	ist->ca_tool_cert = utf8(t->ca_tool_cert);
	if (ist->sign_tool == NULL || ist->ca_tool == NULL || ist->sign_tool_cert == NULL || ist->ca_tool_cert == NULL)
		goto out;
	if ((len = i2d_PECHAT_ISSUER_SIGN_TOOL(ist, &der)) > 0)
		rc = add_raw_ext(cert, NID_issuerSignTool, der, len);
out:
	OPENSSL_free(der);
	PECHAT_ISSUER_SIGN_TOOL_free(ist);
	return rc;
}

/* identificationKind: how the owner was identified, INTEGER 0..3. 0 or -1. */
static int
ext_identification_kind(X509 *cert, int kind)
{
	ASN1_INTEGER *i = NULL;
	unsigned char *der = NULL;
	int len, rc = -1, nid = ca_nid_identification_kind();

	if (kind < 0 || kind > 3 || nid == NID_undef) {
		log_err("ca: build: identificationKind %d is not 0..3 (or its OID is not registered)", kind);
		return -1;
	}
	if ((i = ASN1_INTEGER_new()) != NULL && ASN1_INTEGER_set(i, kind) == 1 &&
	    (len = i2d_ASN1_INTEGER(i, &der)) > 0)
		rc = add_raw_ext(cert, nid, der, len);
	OPENSSL_free(der);
	ASN1_INTEGER_free(i);
	return rc;
}

/* See ca_int.h. */
int
ca_qualified_extensions(X509 *cert, const struct ca_build *b)
{
	if (b->subject_sign_tool != NULL && ext_subject_sign_tool(cert, b->subject_sign_tool) != 0)
		return -1;
	if (b->issuer_tools != NULL && ext_issuer_sign_tool(cert, b->issuer_tools) != 0)
		return -1;
	if (b->has_identification_kind && ext_identification_kind(cert, b->identification_kind) != 0)
		return -1;
	return 0;
}
