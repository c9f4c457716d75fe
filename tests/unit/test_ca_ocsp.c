/*
 * Unit tests for the OCSP building blocks (ca/ocsp.c, ca/responder.c)
 * against a real store (":memory:") after ceremony_bootstrap into a temp dir, with
 * a fake clock: delegated responders (issue once, reuse, renew), request
 * parsing (fixtures in tests/data/ocsp/ plus requests built here), CertID
 * matching, and signed responses checked with OpenSSL's own OCSP_basic_verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"

static struct ca_fixture F;     /* issuers ecdsa, rsa; profile "qualified" */
static struct ca_ocsp_ids *ids;
static X509 *ee;                /* an end-entity certificate of "ecdsa" (ca_issue) */

static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "ocsp") != 0)
		return -1;
	pechat_strlcpy(F.conf.public_base_url, "http://ca.test", sizeof(F.conf.public_base_url));
	F.conf.n_issuers = 2;                   /* no "gost" */
	F.profiles[0].key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	if (ca_fixture_start(&F) != 0)
		return -1;
	if ((ee = ca_fixture_issue(&F, "qualified", "ec-p256.pem", "Петров Пётр")) == NULL ||
	    (ids = ca_ocsp_ids_new(F.ca)) == NULL)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	ca_ocsp_ids_free(ids);
	X509_free(ee);
	return ca_fixture_teardown(&F);
}

/* ------------------------------------------------------------ helpers */

static struct ca_responder *
responder(const char *issuer, time_t now)
{
	struct ca_responder *r = NULL;
	struct pechat_error e;

	if (ca_responder_ensure(F.ca, F.db, issuer, now, 7, 2, &r, &e) != PECHAT_OK)
		fprintf(stderr, "responder: %s %s\n", e.code, e.detail);
	assert_non_null(r);
	return r;
}

static unsigned char *
fixture(const char *name, size_t *len)
{
	char rel[256];
	unsigned char *buf = NULL;

	snprintf(rel, sizeof(rel), "ocsp/%s", name);
	assert_int_equal(ca_fixture_read(rel, &buf, len), 0);
	return buf;
}

static enum pechat_err
parse_fixture(const char *name, OCSP_REQUEST **req, struct pechat_error *e)
{
	unsigned char *buf;
	size_t len;
	enum pechat_err rc;

	buf = fixture(name, &len);
	rc = ca_ocsp_request_parse(buf, len, req, e);
	free(buf);
	return rc;
}

/* DER of req, parsed by ca_ocsp_request_parse; req is freed. */
static enum pechat_err
parse_built(OCSP_REQUEST *req, OCSP_REQUEST **out, struct pechat_error *e)
{
	unsigned char *der = NULL;
	int len = i2d_OCSP_REQUEST(req, &der);
	enum pechat_err rc;

	assert_true(len > 0);
	rc = ca_ocsp_request_parse(der, (size_t)len, out, e);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return rc;
}

/* A request with one SHA-1 CertID for ee. */
static OCSP_REQUEST *
request_for_ee(void)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), ee, ca_issuer_get0_cert(F.ca, "ecdsa"));

	assert_non_null(req);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(req, id));
	return req;
}

/* Adds an extension with a custom OID and an OCTET STRING value. */
static void
add_custom_ext(OCSP_REQUEST *req, const char *oid, int critical)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_int_equal(ASN1_OCTET_STRING_set(val, (const unsigned char *)"\x05\x00", 2), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, val);
	assert_non_null(ext);
	assert_int_equal(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(obj);
}

/* ------------------------------------------------------------ responders */

static void
test_responder_issue_and_reuse(void **state)
{
	struct ca_responder *r1, *r2;
	struct db_responder row;
	struct pechat_error e;
	X509 *cert, *issuer = ca_issuer_get0_cert(F.ca, "ecdsa");
	X509_NAME_ENTRY *ent;
	ASN1_OCTET_STRING *data;
	char buf[128];
	int64_t certs = ca_fixture_cert_count(&F), audits = ca_fixture_audit_count(&F);
	int idx;

	(void)state;
	r1 = responder("ecdsa", F.now);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(ca_fixture_audit_count(&F), audits + 1);
	cert = ca_responder_get0_cert(r1);
	assert_non_null(cert);
	assert_string_equal(ca_responder_issuer(r1), "ecdsa");
	assert_int_equal(ca_responder_not_before(r1), F.now);
	assert_int_equal(ca_responder_not_after(r1), F.now + 7 * 86400);
	/* signed by the issuer; a leaf with digitalSignature, OCSPSigning, ocsp-nocheck */
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(issuer)), 1);
	assert_int_equal(X509_check_issued(issuer, cert), X509_V_OK);
	assert_false(X509_get_extension_flags(cert) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
	assert_true(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE);
	assert_int_equal(X509_get_extended_key_usage(cert), XKU_OCSP_SIGN);
	idx = X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1);
	assert_true(idx >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(cert, idx)), 0);
	data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	assert_int_equal(ASN1_STRING_length(data), 2);
	assert_memory_equal(ASN1_STRING_get0_data(data), "\x05\x00", 2);
	assert_int_equal(X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1), -1);
	assert_int_equal(X509_get_ext_by_NID(cert, NID_info_access, -1), -1);
	assert_int_equal(X509_get_ext_by_NID(cert, NID_freshest_crl, -1), -1);
	assert_non_null(X509_get0_subject_key_id(cert));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert),
	    X509_get0_subject_key_id(issuer)), 0);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(cert)), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(cert)), 256);
	/* subject: "<issuer CN> OCSP Responder" + the issuer's O and C */
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "Test ECDSA CA OCSP Responder");
	ent = X509_NAME_get_entry(X509_get_subject_name(cert),
	    X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_countryName, -1));
	assert_non_null(ent);
	assert_true(X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_organizationName, -1) >= 0);
	/* the store: responder row, certificate row with the responder profile */
	memset(&row, 0, sizeof(row));
	assert_int_equal(db_responder_latest(F.db, "ecdsa", &row, &e), PECHAT_OK);
	assert_string_equal(row.cert_serial, ca_responder_serial(r1));
	assert_int_equal(row.not_after, F.now + 7 * 86400);
	assert_non_null(strstr(row.key_ref, "/keys/ocsp/ecdsa-"));
	/* the second call reuses it: same serial, nothing new in the store */
	r2 = responder("ecdsa", F.now + 3600);
	assert_string_equal(ca_responder_serial(r2), ca_responder_serial(r1));
	assert_int_equal(X509_cmp(ca_responder_get0_cert(r2), cert), 0);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(ca_fixture_audit_count(&F), audits + 1);
	ca_responder_free(r2);
	ca_responder_free(r1);
}

/* The "rsa" issuer's responder walks through time (fake clock); "ecdsa" stays at now. */
static void
test_responder_renew(void **state)
{
	struct ca_responder *r1, *r2, *r3, *r4;
	int64_t certs;

	(void)state;
	r1 = responder("rsa", F.now);
	certs = ca_fixture_cert_count(&F);
	/* RSA issuer, EC P-256 responder key, signed with sha256WithRSAEncryption */
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(ca_responder_get0_cert(r1))), EVP_PKEY_EC);
	assert_int_equal(X509_get_signature_nid(ca_responder_get0_cert(r1)), NID_sha256WithRSAEncryption);
	/* 4 days later: outside the 2-day renewal window, kept */
	r2 = responder("rsa", F.now + 4 * 86400);
	assert_string_equal(ca_responder_serial(r2), ca_responder_serial(r1));
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	/* 5 days + 1 s later: inside the window, a new one */
	r3 = responder("rsa", F.now + 5 * 86400 + 1);
	assert_string_not_equal(ca_responder_serial(r3), ca_responder_serial(r1));
	assert_int_equal(ca_responder_not_before(r3), F.now + 5 * 86400 + 1);
	assert_int_equal(ca_responder_not_after(r3), F.now + 12 * 86400 + 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	/* and that one is the latest from now on */
	r4 = responder("rsa", F.now + 6 * 86400);
	assert_string_equal(ca_responder_serial(r4), ca_responder_serial(r3));
	ca_responder_free(r4);
	/* long after everything expired: another new one */
	r4 = responder("rsa", F.now + 40 * 86400);
	assert_string_not_equal(ca_responder_serial(r4), ca_responder_serial(r3));
	assert_int_equal(ca_fixture_cert_count(&F), certs + 2);
	ca_responder_free(r1);
	ca_responder_free(r2);
	ca_responder_free(r3);
	ca_responder_free(r4);
}

static void
test_responder_refused(void **state)
{
	struct ca_responder *r = NULL;
	struct pechat_error e;
	X509 *issuing = ca_issuer_get0_cert(F.ca, "ecdsa");
	time_t end;

	(void)state;
	assert_int_equal(ca_responder_ensure(F.ca, F.db, CA_OPERATORS_ISSUER, F.now, 7, 2, &r, &e),
	    PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_unknown");
	assert_int_equal(ca_responder_ensure(F.ca, F.db, "nope", F.now, 7, 2, &r, &e), PECHAT_E_NOT_FOUND);
	assert_int_equal(ca_responder_ensure(F.ca, F.db, "ecdsa", F.now, 0, 0, &r, &e), PECHAT_E_INVALID);
	assert_int_equal(ca_responder_ensure(F.ca, F.db, "ecdsa", F.now, 7, 7, &r, &e), PECHAT_E_INVALID);
	assert_int_equal(ca_asn1_time_to_time(X509_get0_notAfter(issuing), &end), 0);
	assert_int_equal(ca_responder_ensure(F.ca, F.db, "ecdsa", end + 1, 7, 2, &r, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "issuer_expired");
	assert_null(r);
}

/* ------------------------------------------------------------ requests */

static void
test_request_parse_fixtures(void **state)
{
	OCSP_REQUEST *req = NULL;
	struct pechat_error e;
	unsigned char *big;

	(void)state;
	assert_int_equal(parse_fixture("sha1-nonce.der", &req, &e), PECHAT_OK);
	assert_int_equal(OCSP_request_onereq_count(req), 1);
	assert_int_equal(ca_ocsp_request_has_nonce(req), 1);
	OCSP_REQUEST_free(req);
	assert_int_equal(parse_fixture("sha256-certid.der", &req, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_request_has_nonce(req), 0);
	OCSP_REQUEST_free(req);
	assert_int_equal(parse_fixture("two-certids.der", &req, &e), PECHAT_OK);
	assert_int_equal(OCSP_request_onereq_count(req), 2);
	OCSP_REQUEST_free(req);
	assert_int_equal(parse_fixture("signed.der", &req, &e), PECHAT_OK);
	assert_int_equal(OCSP_request_is_signed(req), 1);
	OCSP_REQUEST_free(req);
	req = NULL;
	assert_int_equal(parse_fixture("trailing-garbage.der", &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_malformed");
	assert_null(req);
	assert_int_equal(parse_fixture("truncated.der", &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_malformed");
	assert_int_equal(parse_fixture("garbage.der", &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_malformed");
	assert_int_equal(ca_ocsp_request_parse((const unsigned char *)"", 0, &req, &e), PECHAT_E_INVALID);
	assert_int_equal(ca_ocsp_request_has_nonce(NULL), 0);
	/* over 64 KiB: refused before parsing */
	big = calloc(1, CA_OCSP_REQUEST_MAX + 1);
	assert_non_null(big);
	assert_int_equal(ca_ocsp_request_parse(big, CA_OCSP_REQUEST_MAX + 1, &req, &e), PECHAT_E_TOO_LARGE);
	assert_string_equal(e.code, "ocsp_too_large");
	assert_null(req);
	free(big);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_request_parse_built(void **state)
{
	OCSP_REQUEST *req, *out = NULL;
	struct pechat_error e;
	unsigned char nonce[40];
	ASN1_OCTET_STRING *raw;
	X509_EXTENSION *ext;
	int i;

	(void)state;
	memset(nonce, 0x5a, sizeof(nonce));
	/* nonce of 32 octets: fine; 33: malformed (RFC 8954) */
	req = request_for_ee();
	assert_int_equal(OCSP_request_add1_nonce(req, nonce, 32), 1);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_request_has_nonce(out), 1);
	OCSP_REQUEST_free(out);
	out = NULL;
	req = request_for_ee();
	assert_int_equal(OCSP_request_add1_nonce(req, nonce, 33), 1);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_malformed");
	assert_null(out);
	/* a raw (not DER OCTET STRING) nonce value */
	req = request_for_ee();
	raw = ASN1_OCTET_STRING_new();
	assert_int_equal(ASN1_OCTET_STRING_set(raw, nonce, 16), 1);
	ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, raw);
	assert_int_equal(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(raw);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	/* two nonces */
	req = request_for_ee();
	assert_int_equal(OCSP_request_add1_nonce(req, nonce, 16), 1);
	assert_int_equal(OCSP_REQUEST_add_ext(req, OCSP_REQUEST_get_ext(req, 0), -1), 1);
	assert_int_equal(OCSP_REQUEST_get_ext_count(req), 2);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	/* an unknown extension: ignored when not critical, refused when critical */
	req = request_for_ee();
	add_custom_ext(req, "1.3.6.1.4.1.99999.1", 0);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_OK);
	OCSP_REQUEST_free(out);
	out = NULL;
	req = request_for_ee();
	add_custom_ext(req, "1.3.6.1.4.1.99999.1", 1);
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_malformed");
	/* ...also in a singleRequestExtensions list */
	req = request_for_ee();
	{
		ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.2", 1);
		ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();

		ASN1_OCTET_STRING_set(val, (const unsigned char *)"\x05\x00", 2);
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, val);
		assert_int_equal(OCSP_ONEREQ_add_ext(OCSP_request_onereq_get0(req, 0), ext, -1), 1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(val);
		ASN1_OBJECT_free(obj);
	}
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	/* no CertID at all; too many CertIDs */
	assert_int_equal(parse_built(OCSP_REQUEST_new(), &out, &e), PECHAT_E_INVALID);
	req = request_for_ee();
	for (i = 1; i < CA_OCSP_MAX_CERTIDS; i++)
		assert_non_null(OCSP_request_add0_id(req,
		    OCSP_cert_to_id(EVP_sha1(), ee, ca_issuer_get0_cert(F.ca, "ecdsa"))));
	assert_int_equal(parse_built(req, &out, &e), PECHAT_OK);
	OCSP_REQUEST_free(out);
	out = NULL;
	req = request_for_ee();
	for (i = 0; i < CA_OCSP_MAX_CERTIDS; i++)
		assert_non_null(OCSP_request_add0_id(req,
		    OCSP_cert_to_id(EVP_sha1(), ee, ca_issuer_get0_cert(F.ca, "ecdsa"))));
	assert_int_equal(parse_built(req, &out, &e), PECHAT_E_INVALID);
	assert_null(out);
}

/* DER only, version v1 absent, plain hash algorithms (issue: BER, versions, junk parameters, re-encoding). */
static void
test_request_parse_strict(void **state)
{
	static const char *const refused[] = {
		"indefinite-length.der",        /* BER: 30 80 ... 00 00 */
		"long-form-length.der",         /* BER: non-minimal length */
		"version-explicit-v1.der",      /* DER omits the DEFAULT v1 */
		"version-v2.der",               /* only v1 exists */
		"certid-params-junk.der",       /* SHA-256 with parameters f8 00 */
		"reencode-83d440a2.der",        /* decodes, but its re-encoding does not */
	};
	OCSP_REQUEST *req = NULL;
	struct pechat_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		pechat_error_clear(&e);
		if (parse_fixture(refused[i], &req, &e) != PECHAT_E_INVALID)
			fail_msg("%s: not refused", refused[i]);
		assert_string_equal(e.code, "ocsp_malformed");
		assert_null(req);
		assert_int_equal(ERR_peek_error(), 0);
	}
	/* parameters absent (not NULL) are allowed (RFC 5754 §2) */
	assert_int_equal(parse_fixture("certid-params-absent.der", &req, &e), PECHAT_OK);
	OCSP_REQUEST_free(req);
}

/* ------------------------------------------------------------ CertIDs */

static void
match_ok(OCSP_CERTID *id, const char *issuer, const char *serial, int md_nid)
{
	struct ca_ocsp_certid_info info;
	struct pechat_error e;

	assert_int_equal(ca_ocsp_certid_match(ids, id, &info, &e), PECHAT_OK);
	assert_int_equal(info.issuer_found, 1);
	assert_string_equal(info.issuer, issuer);
	assert_string_equal(info.serial, serial);
	assert_int_equal(info.md_nid, md_nid);
}

static void
match_none(OCSP_CERTID *id)
{
	struct ca_ocsp_certid_info info;
	struct pechat_error e;

	assert_int_equal(ca_ocsp_certid_match(ids, id, &info, &e), PECHAT_OK);
	assert_int_equal(info.issuer_found, 0);
	assert_string_equal(info.issuer, "");
}

static void
test_certid_match(void **state)
{
	X509 *issuing = ca_issuer_get0_cert(F.ca, "ecdsa"), *root = ca_issuer_get0_cert(F.ca, "ecdsa-root");
	X509 *rsa = ca_issuer_get0_cert(F.ca, "rsa");
	struct ca_ocsp_certid_info info;
	struct pechat_error e;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id, *mine;
	char serial[65], ca_serial[65];
	const EVP_MD *md;

	(void)state;
	assert_int_equal(ca_cert_serial_hex(ee, serial, sizeof(serial)), 0);
	assert_int_equal(ca_cert_serial_hex(issuing, ca_serial, sizeof(ca_serial)), 0);
	/* SHA-1 and SHA-256 CertIDs as clients build them */
	id = OCSP_cert_to_id(EVP_sha1(), ee, issuing);
	match_ok(id, "ecdsa", serial, NID_sha1);
	/* ca_ocsp_certid_new makes the very same CertID */
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", serial, NULL, &mine, &e), PECHAT_OK);
	assert_int_equal(OCSP_id_cmp(id, mine), 0);
	OCSP_CERTID_free(mine);
	OCSP_CERTID_free(id);
	id = OCSP_cert_to_id(EVP_sha256(), ee, issuing);
	match_ok(id, "ecdsa", serial, NID_sha256);
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", serial, EVP_sha256(), &mine, &e), PECHAT_OK);
	assert_int_equal(OCSP_id_cmp(id, mine), 0);
	OCSP_CERTID_free(mine);
	OCSP_CERTID_free(id);
	id = OCSP_cert_to_id(EVP_sha512(), ee, issuing);
	match_ok(id, "ecdsa", serial, NID_sha512);
	OCSP_CERTID_free(id);
	/* the issuing CA's status is the root's to tell */
	id = OCSP_cert_to_id(EVP_sha384(), issuing, root);
	match_ok(id, "ecdsa-root", ca_serial, NID_sha384);
	OCSP_CERTID_free(id);
	/* a serial we never issued still matches the issuer (the caller answers "unknown") */
	assert_int_equal(ca_ocsp_certid_new(F.ca, "rsa", "0f12", EVP_sha224(), &mine, &e), PECHAT_OK);
	match_ok(mine, "rsa", "0F12", NID_sha224);
	OCSP_CERTID_free(mine);
	/* Streebog CertIDs when gost-engine is loaded */
	if (F.have_gost && (md = EVP_get_digestbyname("md_gost12_256")) != NULL) {
		id = OCSP_cert_to_id(md, ee, issuing);
		match_ok(id, "ecdsa", serial, NID_id_GostR3411_2012_256);
		OCSP_CERTID_free(id);
	}
	/* name of one issuer, key of another: no match */
	{
		ASN1_INTEGER *ai = ASN1_INTEGER_new();

		ASN1_INTEGER_set(ai, 5);
		id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuing), X509_get0_pubkey_bitstr(rsa), ai);
		match_none(id);
		OCSP_CERTID_free(id);
		/* a hash algorithm we do not answer for (MD5): no match */
		id = OCSP_cert_id_new(EVP_md5(), X509_get_subject_name(issuing), X509_get0_pubkey_bitstr(issuing), ai);
		if (id != NULL) {
			match_none(id);
			OCSP_CERTID_free(id);
		}
		ERR_clear_error();
		/* the operators CA is not served */
		id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca_issuer_get0_cert(F.ca, CA_OPERATORS_ISSUER)),
		    X509_get0_pubkey_bitstr(ca_issuer_get0_cert(F.ca, CA_OPERATORS_ISSUER)), ai);
		match_none(id);
		OCSP_CERTID_free(id);
		/* a negative serial: issuer found, serial "" (never ours) */
		ASN1_INTEGER_set(ai, -5);
		id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuing), X509_get0_pubkey_bitstr(issuing), ai);
		assert_int_equal(ca_ocsp_certid_match(ids, id, &info, &e), PECHAT_OK);
		assert_int_equal(info.issuer_found, 1);
		assert_string_equal(info.serial, "");
		OCSP_CERTID_free(id);
		ASN1_INTEGER_free(ai);
	}
	/* an unknown issuer from a fixture made by `openssl ocsp -sha256` */
	assert_int_equal(parse_fixture("sha256-certid.der", &req, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_certid_match(ids, (OCSP_CERTID *)OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)),
	    &info, &e), PECHAT_OK);
	assert_int_equal(info.issuer_found, 0);
	assert_int_equal(info.md_nid, NID_sha256);
	assert_string_equal(info.serial, "0F12");
	OCSP_REQUEST_free(req);
	/* ca_ocsp_certid_new refusals */
	assert_int_equal(ca_ocsp_certid_new(F.ca, CA_OPERATORS_ISSUER, "01", NULL, &mine, &e), PECHAT_E_NOT_FOUND);
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", "XYZ", NULL, &mine, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "serial_invalid");
	assert_null(mine);
}

/* ------------------------------------------------------------ responses */

/*
 * Verifies a response as a relying party: successful, OCSP_basic_verify
 * against root + issuing (delegated responder accepted), the responder
 * certificate included, responderID byKey. *bs_out owned.
 */
static void
response_check(const unsigned char *der, size_t len, struct ca_responder *r, time_t at,
    OCSP_BASICRESP **bs_out)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	X509_STORE *store = X509_STORE_new();
	const ASN1_OCTET_STRING *kid = NULL;
	const X509_NAME *byname = NULL;
	const STACK_OF(X509) *certs;
	int rc;

	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	assert_non_null(resp);
	assert_ptr_equal(p, der + len);
	assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	assert_int_equal(X509_STORE_add_cert(store, ca_issuer_get0_cert(F.ca, "ecdsa-root")), 1);
	assert_int_equal(X509_STORE_add_cert(store, ca_issuer_get0_cert(F.ca, "ecdsa")), 1);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), at);
	rc = OCSP_basic_verify(bs, NULL, store, 0);
	if (rc != 1)
		pechat_log_openssl(PECHAT_LOG_ERROR, "OCSP_basic_verify");
	assert_int_equal(rc, 1);
	/* not trusted without the chain */
	X509_STORE_free(store);
	store = X509_STORE_new();
	assert_int_not_equal(OCSP_basic_verify(bs, NULL, store, 0), 1);
	ERR_clear_error();
	X509_STORE_free(store);
	certs = OCSP_resp_get0_certs(bs);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), ca_responder_get0_cert(r)), 0);
	assert_int_equal(OCSP_resp_get0_id(bs, &kid, &byname), 1);
	assert_non_null(kid);
	assert_null(byname);
	assert_int_equal(OCSP_resp_get0_signer(bs, &(X509 *){ NULL }, NULL), 1);
	assert_int_equal(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm), NID_ecdsa_with_SHA256);
	OCSP_RESPONSE_free(resp);
	*bs_out = bs;
}

static void
status_is(OCSP_BASICRESP *bs, OCSP_CERTID *id, int want, int want_reason, time_t revoked_at)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int status = -2, reason = -2;

	assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd), 1);
	assert_int_equal(status, want);
	if (want == V_OCSP_CERTSTATUS_REVOKED)
		assert_int_equal(reason, want_reason);
	assert_int_equal(ASN1_TIME_cmp_time_t(thisupd, F.now), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(nextupd, F.now + 4 * 3600), 0);
	assert_int_equal(ASN1_STRING_type(thisupd), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	if (want == V_OCSP_CERTSTATUS_REVOKED) {
		assert_non_null(rev);
		assert_int_equal(ASN1_TIME_cmp_time_t(rev, revoked_at), 0);
	} else
		assert_null(rev);
}

static void
test_response_sign(void **state)
{
	struct ca_responder *r = responder("ecdsa", F.now);
	struct ca_ocsp_single s[4];
	struct pechat_error e;
	OCSP_REQUEST *req = NULL;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *good, *revoked, *unknown, *held;
	unsigned char *der = NULL, *reqder = NULL, nonce[16];
	size_t len = 0;
	char serial[65];
	int reqlen;

	(void)state;
	assert_int_equal(ca_cert_serial_hex(ee, serial, sizeof(serial)), 0);
	good = OCSP_cert_to_id(EVP_sha1(), ee, ca_issuer_get0_cert(F.ca, "ecdsa"));
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", "0A0B0C", EVP_sha256(), &revoked, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", "0D", NULL, &unknown, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_certid_new(F.ca, "ecdsa", "0E", NULL, &held, &e), PECHAT_OK);
	memset(s, 0, sizeof(s));
	s[0].id = good;
	s[0].status = V_OCSP_CERTSTATUS_GOOD;
	s[0].reason = -1;
	s[1].id = revoked;
	s[1].status = V_OCSP_CERTSTATUS_REVOKED;
	s[1].reason = CRL_REASON_KEY_COMPROMISE;
	s[1].revoked_at = F.now - 7200;
	s[2].id = unknown;
	s[2].status = V_OCSP_CERTSTATUS_UNKNOWN;
	s[2].reason = -1;
	s[3].id = held;
	s[3].status = V_OCSP_CERTSTATUS_REVOKED;
	s[3].reason = CRL_REASON_UNSPECIFIED;   /* omitted, as in CRLs */
	s[3].revoked_at = F.now - 60;

	/* one answer per response, no nonce: the pre-signed shape */
	assert_int_equal(ca_ocsp_response_sign(r, &s[0], 1, F.now, F.now + 4 * 3600, NULL, &der, &len, &e),
	    PECHAT_OK);
	response_check(der, len, r, F.now + 60, &bs);
	status_is(bs, good, V_OCSP_CERTSTATUS_GOOD, -1, 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), F.now), 0);
	assert_int_equal(OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1), -1);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	der = NULL;
	/* a signature that does not verify (hsm/ fault seam): refused, nothing returned */
	hsm_test_corrupt_next_signature();
	assert_int_equal(ca_ocsp_response_sign(r, &s[0], 1, F.now, F.now + 4 * 3600, NULL, &der, &len, &e),
	    PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_null(der);
	assert_int_equal(len, 0);
	assert_int_equal(ca_ocsp_response_sign(r, &s[1], 1, F.now, F.now + 4 * 3600, NULL, &der, &len, &e),
	    PECHAT_OK);
	response_check(der, len, r, F.now + 60, &bs);
	status_is(bs, revoked, V_OCSP_CERTSTATUS_REVOKED, CRL_REASON_KEY_COMPROMISE, F.now - 7200);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	der = NULL;

	/* all four in one response, with a nonce echoed from the client's request */
	req = request_for_ee();
	memset(nonce, 0xa5, sizeof(nonce));
	assert_int_equal(OCSP_request_add1_nonce(req, nonce, sizeof(nonce)), 1);
	reqlen = i2d_OCSP_REQUEST(req, &reqder);
	OCSP_REQUEST_free(req);
	req = NULL;
	assert_int_equal(ca_ocsp_request_parse(reqder, (size_t)reqlen, &req, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_response_sign(r, s, 4, F.now, F.now + 4 * 3600, req, &der, &len, &e),
	    PECHAT_OK);
	response_check(der, len, r, F.now + 60, &bs);
	assert_int_equal(OCSP_resp_count(bs), 4);
	status_is(bs, good, V_OCSP_CERTSTATUS_GOOD, -1, 0);
	status_is(bs, revoked, V_OCSP_CERTSTATUS_REVOKED, CRL_REASON_KEY_COMPROMISE, F.now - 7200);
	status_is(bs, unknown, V_OCSP_CERTSTATUS_UNKNOWN, -1, 0);
	status_is(bs, held, V_OCSP_CERTSTATUS_REVOKED, -1, F.now - 60);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	der = NULL;
	/* the same request answered without echoing: the client sees the nonce missing */
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, F.now, F.now + 4 * 3600, NULL, &der, &len, &e),
	    PECHAT_OK);
	response_check(der, len, r, F.now + 60, &bs);
	assert_int_equal(OCSP_check_nonce(req, bs), -1);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	der = NULL;
	/* a nonce-less request given as nonce_req: nothing to echo */
	OCSP_REQUEST_free(req);
	req = NULL;
	assert_int_equal(parse_fixture("sha256-certid.der", &req, &e), PECHAT_OK);
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, F.now, F.now + 4 * 3600, req, &der, &len, &e),
	    PECHAT_OK);
	response_check(der, len, r, F.now + 60, &bs);
	assert_int_equal(OCSP_check_nonce(req, bs), 2);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	der = NULL;

	/* refusals: caller bugs and an expired responder */
	assert_int_equal(ca_ocsp_response_sign(r, s, 0, F.now, F.now + 60, NULL, &der, &len, &e),
	    PECHAT_E_INVALID);
	assert_string_equal(e.code, "ocsp_params_invalid");
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, F.now, F.now, NULL, &der, &len, &e),
	    PECHAT_E_INVALID);
	s[0].status = 7;
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, F.now, F.now + 60, NULL, &der, &len, &e),
	    PECHAT_E_INVALID);
	s[0].status = V_OCSP_CERTSTATUS_GOOD;
	s[1].reason = 7;
	assert_int_equal(ca_ocsp_response_sign(r, &s[1], 1, F.now, F.now + 60, NULL, &der, &len, &e),
	    PECHAT_E_INVALID);
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, ca_responder_not_after(r), ca_responder_not_after(r) + 60,
	    NULL, &der, &len, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "responder_expired");
	assert_int_equal(ca_ocsp_response_sign(r, s, 1, F.now - 1, F.now + 60, NULL, &der, &len, &e),
	    PECHAT_E_UNAVAILABLE);
	assert_null(der);
	assert_int_equal(len, 0);

	OCSP_REQUEST_free(req);
	OPENSSL_free(reqder);
	OCSP_CERTID_free(good);
	OCSP_CERTID_free(revoked);
	OCSP_CERTID_free(unknown);
	OCSP_CERTID_free(held);
	ca_responder_free(r);
}

static void
test_response_errors(void **state)
{
	static const int statuses[] = { OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
	    OCSP_RESPONSE_STATUS_INTERNALERROR, OCSP_RESPONSE_STATUS_TRYLATER,
	    OCSP_RESPONSE_STATUS_SIGREQUIRED, OCSP_RESPONSE_STATUS_UNAUTHORIZED };
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0, i;
	OCSP_RESPONSE *resp;

	(void)state;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		assert_int_equal(ca_ocsp_response_error(statuses[i], &der, &len), 0);
		p = der;
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		assert_non_null(resp);
		assert_ptr_equal(p, der + len);
		assert_int_equal(OCSP_response_status(resp), statuses[i]);
		assert_null(OCSP_response_get1_basic(resp));   /* no responseBytes */
		ERR_clear_error();
		OCSP_RESPONSE_free(resp);
		OPENSSL_free(der);
		der = NULL;
	}
	/* the unsigned form is tiny: SEQUENCE { ENUMERATED } */
	assert_int_equal(ca_ocsp_response_error(OCSP_RESPONSE_STATUS_UNAUTHORIZED, &der, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(der, "\x30\x03\x0a\x01\x06", 5);
	OPENSSL_free(der);
	assert_int_equal(ca_ocsp_response_error(OCSP_RESPONSE_STATUS_SUCCESSFUL, &der, &len), -1);
	assert_null(der);
	assert_int_equal(ca_ocsp_response_error(4, &der, &len), -1);
	assert_int_equal(ca_ocsp_response_error(99, &der, &len), -1);
}

/* ------------------------------------------------------------ publisher cache */

/* DER of a one-CertID request for ee with md; *len set. OPENSSL_free. */
static unsigned char *
request_der(const EVP_MD *md, int *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;

	assert_non_null(OCSP_request_add0_id(req, OCSP_cert_to_id(md, ee, ca_issuer_get0_cert(F.ca, "ecdsa"))));
	assert_true((*len = i2d_OCSP_REQUEST(req, &der)) > 0);
	OCSP_REQUEST_free(req);
	return der;
}

/* Offset of the "05 00" NULL parameters right after the hash OID of md in der. */
static size_t
null_params_at(const unsigned char *der, int len, const EVP_MD *md)
{
	unsigned char oid[32], *p = oid;
	ASN1_OBJECT *obj = OBJ_nid2obj(EVP_MD_get_type(md));
	int n = i2d_ASN1_OBJECT(obj, &p), i;

	assert_true(n > 0);
	for (i = 0; i + n + 2 <= len; i++)
		if (memcmp(der + i, oid, (size_t)n) == 0 && der[i + n] == 0x05 && der[i + n + 1] == 0x00)
			return (size_t)(i + n);
	fail_msg("no NULL parameters in the request");
	return 0;
}

/*
 * The request der (one CertID, no version/requestorName) rebuilt with the
 * hash AlgorithmIdentifier's parameters left out: the six SEQUENCEs from
 * OCSPRequest down to hashAlgorithm each open with their child, so each is
 * re-wrapped around its new child and its unchanged tail. free().
 */
static unsigned char *
without_params(const unsigned char *der, int len, int *outlen)
{
	const unsigned char *p = der, *start[6], *end[6], *o;
	unsigned char *buf, *tmp, *q;
	long clen;
	int tag, xclass, i, n;
	size_t blen, tail;

	for (i = 0; i < 6; i++) {
		assert_int_equal(ASN1_get_object(&p, &clen, &tag, &xclass, (long)(der + len - p)) & 0x80, 0);
		start[i] = p;
		end[i] = p + clen;
	}
	o = start[5];
	assert_int_equal(ASN1_get_object(&o, &clen, &tag, &xclass, (long)(end[5] - start[5])) & 0x80, 0);
	assert_int_equal(tag, V_ASN1_OBJECT);
	blen = (size_t)(o + clen - start[5]);
	assert_non_null(buf = malloc(blen));
	memcpy(buf, start[5], blen);
	for (i = 5; i >= 0; i--) {
		tail = i < 5 ? (size_t)(end[i] - end[i + 1]) : 0;
		n = ASN1_object_size(1, (int)(blen + tail), V_ASN1_SEQUENCE);
		assert_non_null(q = tmp = malloc((size_t)n));
		ASN1_put_object(&q, 1, (int)(blen + tail), V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		memcpy(q, buf, blen);
		if (tail > 0)
			memcpy(q + blen, end[i + 1], tail);
		free(buf);
		buf = tmp;
		blen = (size_t)n;
	}
	*outlen = (int)blen;
	return buf;
}

/* The answer to der through the publisher: its OCSPResponseStatus, and the first CertID's DER (if any). */
static int
answer(struct ca_publisher *pub, const unsigned char *der, size_t len, unsigned char **cid, int *cidlen)
{
	struct ca_ocsp_reply out;
	struct pechat_error e;
	const unsigned char *p;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	int status;

	*cid = NULL;
	*cidlen = 0;
	assert_int_equal(ca_ocsp_answer(pub, F.db, der, len, &out, &e), PECHAT_OK);
	p = out.der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out.len));
	status = OCSP_response_status(resp);
	if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		assert_non_null(bs = OCSP_response_get1_basic(resp));
		*cidlen = i2d_OCSP_CERTID((OCSP_CERTID *)OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, 0)), cid);
		assert_true(*cidlen > 0);
		OCSP_BASICRESP_free(bs);
	}
	OCSP_RESPONSE_free(resp);
	free(out.der);
	return status;
}

/* The first CertID's DER of a request. */
static int
request_certid(const unsigned char *der, size_t len, unsigned char **cid)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	int n;

	assert_non_null(req);
	*cid = NULL;
	n = i2d_OCSP_CERTID(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), cid);
	OCSP_REQUEST_free(req);
	assert_true(n > 0);
	return n;
}

/* Answers der and asserts a successful answer echoing exactly der's CertID. */
static void
answer_echoes(struct ca_publisher *pub, const unsigned char *der, size_t len)
{
	unsigned char *want, *got;
	int wlen = request_certid(der, len, &want), glen;

	assert_int_equal(answer(pub, der, len, &got, &glen), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, (size_t)wlen);
	OPENSSL_free(got);
	OPENSSL_free(want);
}

/*
 * Issue item 5: a CertID whose hash AlgorithmIdentifier carries junk
 * parameters is malformedRequest (it used to be signed and cached under
 * the plain key, then served to every later request of that digest); and
 * the cache is keyed on the exact CertID: absent parameters never get the
 * pre-signed answer made for NULL ones, nor the other way round.
 */
static void
test_publisher_cache_exact_certid(void **state)
{
	struct ca_publish_conf pc = {
		.crl_next_update_s = 43200, .crl_full_interval_s = 3600, .crl_delta_next_update_s = 3600,
		.crl_delta_rebase_s = 86400, .crl_coalesce_ms = 1000, .crl_max_delay_ms = 3000,
		.ocsp_validity_s = 14400, .ocsp_refresh_before_s = 3600,
		.ocsp_honour_nonce = 1, .ocsp_max_certids = 10, .ocsp_on_demand_per_s = 50,
		.ocsp_responder_validity_days = 7, .ocsp_responder_renew_days = 2, .store_path = ":memory:",
	};
	const EVP_MD *mds[2] = { EVP_sha384(), EVP_sha256() };
	struct ca_publisher *pub = NULL;
	struct pechat_error e;
	unsigned char *der, *junk, *absent, *got;
	size_t at;
	int len, alen, glen, i, k;

	(void)state;
	assert_int_equal(ca_publisher_start(F.ca, F.db, &pc, &pub, &e), PECHAT_OK);
	for (k = 0; k < 2; k++) {
		/* SHA-384 goes through the slow path (then cached); SHA-256 is pre-signed */
		der = request_der(mds[k], &len);
		at = null_params_at(der, len, mds[k]);
		junk = malloc((size_t)len);
		memcpy(junk, der, (size_t)len);
		junk[at] = 0xf8;        /* a private-class constructed tag, length 0 */
		for (i = 0; i < 2; i++) {
			assert_int_equal(answer(pub, junk, (size_t)len, &got, &glen), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
			answer_echoes(pub, der, (size_t)len);
		}
		/* the same request without parameters */
		absent = without_params(der, len, &alen);
		assert_int_equal(alen, len - 2);
		for (i = 0; i < 2; i++) {
			answer_echoes(pub, absent, (size_t)alen);
			answer_echoes(pub, der, (size_t)len);
		}
		free(absent);
		free(junk);
		OPENSSL_free(der);
	}
	ca_publisher_stop(pub);
}

/*
 * Issue 10 item 5: the slow path checks its rate limit before touching the
 * store. With a budget of zero on-demand signatures, a SHA-384 CertID (not
 * pre-signed: the slow path) is tryLater, and the store is never read: the
 * call is made with no store at all (a NULL connection, which any status
 * read would dereference). The same request within a budget is answered.
 */
static void
test_publisher_rate_limit_before_store(void **state)
{
	struct ca_publish_conf pc = {
		.crl_next_update_s = 43200, .crl_full_interval_s = 3600, .crl_delta_next_update_s = 3600,
		.crl_delta_rebase_s = 86400, .crl_coalesce_ms = 1000, .crl_max_delay_ms = 3000,
		.ocsp_validity_s = 14400, .ocsp_refresh_before_s = 3600,
		.ocsp_honour_nonce = 1, .ocsp_max_certids = 10, .ocsp_on_demand_per_s = 0,
		.ocsp_responder_validity_days = 7, .ocsp_responder_renew_days = 2, .store_path = ":memory:",
	};
	struct ca_publish_stats st;
	struct ca_publisher *pub = NULL;
	struct ca_ocsp_reply out;
	struct pechat_error e;
	const unsigned char *p;
	OCSP_RESPONSE *resp;
	unsigned char *der;
	int len, i;

	(void)state;
	assert_int_equal(ca_publisher_start(F.ca, F.db, &pc, &pub, &e), PECHAT_OK);
	der = request_der(EVP_sha384(), &len);
	for (i = 0; i < 3; i++) {
		pechat_error_clear(&e);
		assert_int_equal(ca_ocsp_answer(pub, NULL, der, (size_t)len, &out, &e), PECHAT_OK);
		p = out.der;
		assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out.len));
		assert_int_equal(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_TRYLATER);
		assert_int_equal(out.cacheable, 0);
		OCSP_RESPONSE_free(resp);
		free(out.der);
	}
	ca_publisher_stats(pub, &st);
	assert_int_equal(st.ocsp_try_later, 3);
	assert_int_equal(st.ocsp_on_demand_signed, 0);
	ca_publisher_stop(pub);
	/* within a budget the same request reads the store and is signed */
	pc.ocsp_on_demand_per_s = 50;
	assert_int_equal(ca_publisher_start(F.ca, F.db, &pc, &pub, &e), PECHAT_OK);
	answer_echoes(pub, der, (size_t)len);
	ca_publisher_stop(pub);
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_responder_issue_and_reuse),
		cmocka_unit_test(test_responder_renew),
		cmocka_unit_test(test_responder_refused),
		cmocka_unit_test(test_request_parse_fixtures),
		cmocka_unit_test(test_request_parse_built),
		cmocka_unit_test(test_request_parse_strict),
		cmocka_unit_test(test_certid_match),
		cmocka_unit_test(test_response_sign),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_publisher_cache_exact_certid),
		cmocka_unit_test(test_publisher_rate_limit_before_store),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
