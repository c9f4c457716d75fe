/*
 * ca/lint_cert.c — the linter's certificate checks (ca/lint.c's table):
 * RFC 5280 basics, the profile's allow-lists, and the GOST R 34.10-2012
 * signature rules shared with CRLs. Each check returns 1 with a message
 * when its rule is broken, 0 when kept or not applicable. Decoding is
 * OpenSSL's; nothing here parses DER by hand.
 */
#include "ca_int.h"
#include "lint_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ------------------------------------------------------------- helpers */

int
ca_lint_gost_sig_nid(int nid, int *bits)
{
	if (nid == NID_id_tc26_signwithdigest_gost3410_2012_256)
		*bits = 256;
	else if (nid == NID_id_tc26_signwithdigest_gost3410_2012_512)
		*bits = 512;
	else
		return 0;
	return 1;
}

int
ca_lint_gost_key_bits(const EVP_PKEY *key)
{
	int id = key != NULL ? EVP_PKEY_get_base_id(key) : NID_undef;

	return id == NID_id_GostR3410_2012_256 ? 256 : id == NID_id_GostR3410_2012_512 ? 512 : 0;
}

static uint32_t
flags_of(X509 *cert)
{
	return X509_get_extension_flags(cert);
}

static int
is_ca(X509 *cert)
{
	return (flags_of(cert) & EXFLAG_CA) != 0;
}

/* 1 if the certificate names itself as issuer (self-issued, §3.2). */
static int
self_issued(X509 *cert)
{
	return X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(cert)) == 0;
}

/* The extension of nid, or NULL (first one). */
static X509_EXTENSION *
ext_of(X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	return i >= 0 ? X509_get_ext(cert, i) : NULL;
}

/* ---------------------------------------------------- RFC 5280 basics */

LINT_CHECK(lint_cert_version)
{
	long v = X509_get_version(in->cert);

	return v != X509_VERSION_3 && ca_lint_msg(msg, msgsz, "version is v%ld", v + 1);
}

LINT_CHECK(lint_serial_positive)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(in->cert);
	BIGNUM *bn = NULL;
	int bad;

	bad = ASN1_STRING_type(ai) != V_ASN1_INTEGER || (bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL ||
	    BN_is_zero(bn);
	BN_free(bn);
	return bad && ca_lint_msg(msg, msgsz, "serialNumber is zero or negative");
}

LINT_CHECK(lint_serial_length)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(in->cert);
	BIGNUM *bn = NULL;
	int octets = 0;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) != NULL)
		/* DER content octets: the magnitude plus a 0x00 when its top bit is set */
		octets = BN_num_bytes(bn) + (BN_num_bits(bn) % 8 == 0 ? 1 : 0);
	BN_free(bn);
	return octets > 20 && ca_lint_msg(msg, msgsz, "serialNumber has %d octets", octets);
}

LINT_CHECK(lint_validity_order)
{
	return ASN1_TIME_compare(X509_get0_notBefore(in->cert), X509_get0_notAfter(in->cert)) >= 0 &&
	    ca_lint_msg(msg, msgsz, "notBefore is not before notAfter");
}

LINT_CHECK(lint_validity_inside_issuer)
{
	X509 *is = in->ctx->issuer;

	if (is == NULL)
		return 0;
	return (ASN1_TIME_compare(X509_get0_notBefore(in->cert), X509_get0_notBefore(is)) < 0 ||
	    ASN1_TIME_compare(X509_get0_notAfter(in->cert), X509_get0_notAfter(is)) > 0) &&
	    ca_lint_msg(msg, msgsz, "validity is not inside the issuer's");
}

LINT_CHECK(lint_subject_not_empty)
{
	return X509_NAME_entry_count(X509_get_subject_name(in->cert)) == 0 &&
	    ca_lint_msg(msg, msgsz, "the subject is empty");
}

LINT_CHECK(lint_issuer_not_empty)
{
	return X509_NAME_entry_count(X509_get_issuer_name(in->cert)) == 0 &&
	    ca_lint_msg(msg, msgsz, "the issuer is empty");
}

/* See lint_int.h. */
EVP_PKEY *
ca_lint_cert_key(const struct ca_lint_in *in)
{
	return in->ctx->subject_key != NULL ? in->ctx->subject_key : X509_get0_pubkey(in->cert);
}

LINT_CHECK(lint_public_key)
{
	return ca_lint_cert_key(in) == NULL && ca_lint_msg(msg, msgsz, "the public key does not decode");
}

LINT_CHECK(lint_sigalg_match)
{
	const X509_ALGOR *outer = NULL;

	X509_get0_signature(NULL, &outer, in->cert);
	return (outer == NULL || X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(in->cert)) != 0) &&
	    ca_lint_msg(msg, msgsz, "signatureAlgorithm differs from the TBSCertificate's signature");
}

/* 1 if ext is one OpenSSL knows and it does not decode. */
static int
ext_undecodable(X509_EXTENSION *ext)
{
	const X509V3_EXT_METHOD *m = X509V3_EXT_get(ext);
	void *v;

	if (m == NULL)
		return 0;
	if ((v = X509V3_EXT_d2i(ext)) == NULL)
		return 1;
	if (m->it != NULL)
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	else if (m->ext_free != NULL)
		m->ext_free(v);
	return 0;
}

LINT_CHECK(lint_ext_decode)
{
	char oid[80];
	int i;

	for (i = 0; i < X509_get_ext_count(in->cert); i++) {
		X509_EXTENSION *ext = X509_get_ext(in->cert, i);

		if (ext_undecodable(ext)) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 0);
			return ca_lint_msg(msg, msgsz, "extension %s does not decode", oid);
		}
	}
	return (flags_of(in->cert) & EXFLAG_INVALID) != 0 &&
	    ca_lint_msg(msg, msgsz, "an extension does not decode");
}

LINT_CHECK(lint_ext_duplicate)
{
	char oid[80];
	int i, j, n = X509_get_ext_count(in->cert);

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(X509_get_ext(in->cert, i)),
			    X509_EXTENSION_get_object(X509_get_ext(in->cert, j))) == 0) {
				OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(X509_get_ext(in->cert, i)), 0);
				return ca_lint_msg(msg, msgsz, "extension %s appears twice", oid);
			}
	return 0;
}

LINT_CHECK(lint_ext_unknown_critical)
{
	char oid[80];
	int i;

	for (i = 0; i < X509_get_ext_count(in->cert); i++) {
		X509_EXTENSION *ext = X509_get_ext(in->cert, i);

		if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext)) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
			return ca_lint_msg(msg, msgsz, "critical extension %s is not one a verifier knows", oid);
		}
	}
	return 0;
}

LINT_CHECK(lint_bc_present)
{
	return !(flags_of(in->cert) & EXFLAG_BCONS) && ca_lint_msg(msg, msgsz, "basicConstraints is missing");
}

LINT_CHECK(lint_bc_critical_ca)
{
	X509_EXTENSION *ext = ext_of(in->cert, NID_basic_constraints);

	return is_ca(in->cert) && ext != NULL && !X509_EXTENSION_get_critical(ext) &&
	    ca_lint_msg(msg, msgsz, "a CA's basicConstraints is not critical");
}

LINT_CHECK(lint_ku_present)
{
	return (!(flags_of(in->cert) & EXFLAG_KUSAGE) || X509_get_key_usage(in->cert) == 0) &&
	    ca_lint_msg(msg, msgsz, "keyUsage is missing or empty");
}

LINT_CHECK(lint_ku_critical)
{
	X509_EXTENSION *ext = ext_of(in->cert, NID_key_usage);

	return ext != NULL && !X509_EXTENSION_get_critical(ext) && ca_lint_msg(msg, msgsz, "keyUsage is not critical");
}

LINT_CHECK(lint_ku_cert_sign_needs_ca)
{
	return (flags_of(in->cert) & EXFLAG_KUSAGE) && (X509_get_key_usage(in->cert) & KU_KEY_CERT_SIGN) &&
	    !is_ca(in->cert) && ca_lint_msg(msg, msgsz, "keyCertSign without cA TRUE");
}

LINT_CHECK(lint_ca_needs_cert_sign)
{
	return is_ca(in->cert) && (flags_of(in->cert) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(in->cert) & KU_KEY_CERT_SIGN) && ca_lint_msg(msg, msgsz, "cA TRUE without keyCertSign");
}

LINT_CHECK(lint_ski_present)
{
	return !is_ca(in->cert) && X509_get0_subject_key_id(in->cert) == NULL &&
	    ca_lint_msg(msg, msgsz, "subjectKeyIdentifier is missing");
}

LINT_CHECK(lint_ski_present_ca)
{
	return is_ca(in->cert) && X509_get0_subject_key_id(in->cert) == NULL &&
	    ca_lint_msg(msg, msgsz, "a CA's subjectKeyIdentifier is missing");
}

LINT_CHECK(lint_aki_present)
{
	return !self_issued(in->cert) && X509_get0_authority_key_id(in->cert) == NULL &&
	    ca_lint_msg(msg, msgsz, "authorityKeyIdentifier (keyIdentifier) is missing");
}

LINT_CHECK(lint_aki_matches_issuer)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(in->cert), *iski;

	if (in->ctx->issuer == NULL)
		return 0;
	iski = X509_get0_subject_key_id(in->ctx->issuer);
	return (aki == NULL || iski == NULL || ASN1_OCTET_STRING_cmp(aki, iski) != 0) &&
	    ca_lint_msg(msg, msgsz, "authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier");
}

LINT_CHECK(lint_issuer_name_matches)
{
	return in->ctx->issuer != NULL &&
	    X509_NAME_cmp(X509_get_issuer_name(in->cert), X509_get_subject_name(in->ctx->issuer)) != 0 &&
	    ca_lint_msg(msg, msgsz, "the issuer name differs from the issuer certificate's subject");
}

/* ------------------------------------------------------------ profile */

/* 1 if nid is an extension a profile of this kind produces (ca/build.c; qualified ones by OID). */
static int
ext_allowed(const struct pechat_profile_conf *p, const ASN1_OBJECT *o)
{
	char oid[80];

	switch (OBJ_obj2nid(o)) {
	case NID_basic_constraints:
	case NID_key_usage:
	case NID_subject_key_identifier:
	case NID_authority_key_identifier:
	case NID_subject_alt_name:
	case NID_crl_distribution_points:
	case NID_freshest_crl:
	case NID_info_access:
		return 1;
	case NID_ext_key_usage:
		return p->n_ext_key_usage > 0;
	case NID_certificate_policies:
		return p->n_policies > 0 || p->qualified;
	default:
		break;
	}
	OBJ_obj2txt(oid, sizeof(oid), o, 1);
	return p->qualified && (strcmp(oid, "1.2.643.100.111") == 0 || strcmp(oid, "1.2.643.100.112") == 0 ||
	    strcmp(oid, "1.2.643.100.114") == 0);
}

LINT_CHECK(lint_profile_ext_allowed)
{
	const struct pechat_profile_conf *p = in->ctx->profile;
	char oid[80];
	int i;

	for (i = 0; p != NULL && i < X509_get_ext_count(in->cert); i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(in->cert, i));

		if (!ext_allowed(p, o)) {
			OBJ_obj2txt(oid, sizeof(oid), o, 0);
			return ca_lint_msg(msg, msgsz, "extension %s is not one profile %s produces", oid, p->name);
		}
	}
	return 0;
}

/* 1 if policy oid is listed by the profile, or a tool class of a qualified profile. */
static int
policy_allowed(const struct pechat_profile_conf *p, const char *oid)
{
	int i;

	for (i = 0; i < p->n_policies; i++)
		if (strcmp(p->policies[i], oid) == 0)
			return 1;
	return p->qualified && strncmp(oid, "1.2.643.100.113.", 16) == 0 && oid[16] >= '1' && oid[16] <= '6' &&
	    oid[17] == '\0';
}

LINT_CHECK(lint_profile_policy_allowed)
{
	const struct pechat_profile_conf *p = in->ctx->profile;
	CERTIFICATEPOLICIES *cp;
	char oid[80];
	int i, bad = 0;

	if (p == NULL || (cp = X509_get_ext_d2i(in->cert, NID_certificate_policies, NULL, NULL)) == NULL)
		return 0;
	for (i = 0; i < sk_POLICYINFO_num(cp) && !bad; i++) {
		OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, i)->policyid, 1);
		if (!policy_allowed(p, oid))
			bad = ca_lint_msg(msg, msgsz, "policy %s is not one profile %s allows", oid, p->name);
	}
	CERTIFICATEPOLICIES_free(cp);
	return bad;
}

LINT_CHECK(lint_profile_key_usage)
{
	const struct pechat_profile_conf *p = in->ctx->profile;
	unsigned ku = X509_get_key_usage(in->cert);

	if (p == NULL || !(flags_of(in->cert) & EXFLAG_KUSAGE))
		return 0;
	return (ku & 0xffu) != (p->key_usage & 0xffu) &&
	    ca_lint_msg(msg, msgsz, "keyUsage 0x%02x is not profile %s's 0x%02x", ku & 0xffu, p->name,
	    p->key_usage & 0xffu);
}

/* --------------------------------------------------------------- GOST */

/* 1 if alg is a GOST 2012 signature with parameters present. */
static int
gost_params_present(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *o = NULL;
	int ptype = V_ASN1_UNDEF, bits;

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&o, &ptype, NULL, alg);
	return ca_lint_gost_sig_nid(OBJ_obj2nid(o), &bits) && ptype != V_ASN1_UNDEF;
}

LINT_CHECK(lint_gost_params_absent)
{
	const X509_ALGOR *outer = NULL;
	X509_ALGOR *crl_tbs = NULL;
	int bad;

	if (in->cert != NULL) {
		X509_get0_signature(NULL, &outer, in->cert);
		bad = gost_params_present(outer) || gost_params_present(X509_get0_tbs_sigalg(in->cert));
	} else {
		X509_CRL_get0_signature(in->crl, NULL, &outer);
		crl_tbs = ca_lint_crl_tbs_sigalg(in->crl);
		bad = gost_params_present(outer) || gost_params_present(crl_tbs);
		X509_ALGOR_free(crl_tbs);
	}
	return bad && ca_lint_msg(msg, msgsz, "the GOST signature AlgorithmIdentifier has parameters (RFC 9215: absent)");
}

/* The signer's public key: the issuer's, or a self-issued certificate's own; NULL if unknown. */
static EVP_PKEY *
signer_key(const struct ca_lint_in *in)
{
	if (in->ctx->issuer != NULL)
		return X509_get0_pubkey(in->ctx->issuer);
	if (in->cert != NULL && self_issued(in->cert))
		return ca_lint_cert_key(in);
	return NULL;
}

LINT_CHECK(lint_gost_digest_key)
{
	const X509_ALGOR *outer = NULL;
	const ASN1_OBJECT *o = NULL;
	EVP_PKEY *key = signer_key(in);
	int sig_bits = 0, key_bits = ca_lint_gost_key_bits(key);

	if (in->cert != NULL)
		X509_get0_signature(NULL, &outer, in->cert);
	else
		X509_CRL_get0_signature(in->crl, NULL, &outer);
	if (outer == NULL)
		return 0;
	X509_ALGOR_get0(&o, NULL, NULL, outer);
	if (!ca_lint_gost_sig_nid(OBJ_obj2nid(o), &sig_bits) && key_bits == 0)
		return 0;
	if (key == NULL)
		return 0;
	if (sig_bits == key_bits)
		return 0;
	if (sig_bits == 0)
		return ca_lint_msg(msg, msgsz, "a non-GOST signature by a GOST 2012-%d key", key_bits);
	if (key_bits == 0)
		return ca_lint_msg(msg, msgsz, "a GOST 2012-%d signature by a non-GOST key", sig_bits);
	return ca_lint_msg(msg, msgsz, "a Streebog-%d signature by a GOST 2012-%d key", sig_bits, key_bits);
}
