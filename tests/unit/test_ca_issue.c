/*
 * Unit tests for ca_new and ca_issue against a real store (":memory:",
 * real migrations) after ceremony_bootstrap into a temp dir, with a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"

#include "ca_fixture.h"
#include "db/db_int.h"
#include "hsm/hsm_int.h"
#include "test_util.h"

static struct ca_fixture F;

/*
 * Issuer "ecdsa" (+ "gost"); profile "qualified" takes P-256, RSA and
 * Ed25519 keys, with EKUs and a policy; "gost" is the same for GOST keys.
 */
static int
group_setup(void **state)
{
	struct pechat_profile_conf *p = &F.profiles[0];

	(void)state;
	if (ca_fixture_init(&F, "issue") != 0)
		return -1;
	F.conf.n_issuers = 1;
	p->key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_RSA | PECHAT_KEYALG_ED25519;
	pechat_strlcpy(p->ext_key_usage[0], "clientAuth", sizeof(p->ext_key_usage[0]));
	pechat_strlcpy(p->ext_key_usage[1], "1.3.6.1.5.5.7.3.4", sizeof(p->ext_key_usage[1]));
	p->n_ext_key_usage = 2;
	pechat_strlcpy(p->policies[0], "1.2.643.100.113.1", sizeof(p->policies[0]));
	p->n_policies = 1;
	if (F.have_gost) {
		F.issuers[1] = F.issuers[2];    /* "gost" */
		F.conf.n_issuers = 2;
		F.profiles[1] = *p;
		pechat_strlcpy(F.profiles[1].name, "gost", sizeof(F.profiles[1].name));
		pechat_strlcpy(F.profiles[1].issuer, "gost", sizeof(F.profiles[1].issuer));
		F.profiles[1].key_algorithms = PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512;
		F.conf.n_profiles = 2;
	}
	return ca_fixture_start(&F);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

static void
subject_init(struct pechat_subject *s)
{
	memset(s, 0, sizeof(*s));
	pechat_subject_set(s, PSF_COMMON_NAME, "Иванов Иван Иванович");
	pechat_subject_set(s, PSF_SURNAME, "Иванов");
	pechat_subject_set(s, PSF_GIVEN_NAME, "Иван");
	pechat_subject_set(s, PSF_PATRONYMIC, "Иванович");
	pechat_subject_set(s, PSF_COUNTRY, "RU");
	pechat_subject_set(s, PSF_EMAIL, "ivanov@example.ru");
	pechat_subject_set(s, PSF_SNILS, "11223344595");
	pechat_subject_set(s, PSF_INN, "500100732259");
}

/* A pending request row for the CSR; id into idbuf. */
static void
request_insert(X509_REQ *req, const char *profile, const struct pechat_subject *s, char idbuf[40])
{
	struct db_request row;
	struct pechat_error e;
	unsigned char *der = NULL;
	int len, f;

	memset(&row, 0, sizeof(row));
	assert_int_equal(pechat_uuid7(row.id), 0);
	pechat_strlcpy(row.client, "portal", sizeof(row.client));
	pechat_strlcpy(row.profile, profile, sizeof(row.profile));
	pechat_strlcpy(row.issuer, "ecdsa", sizeof(row.issuer));
	pechat_strlcpy(row.state, "pending", sizeof(row.state));
	for (f = 0; f < PSF_COUNT; f++)
		row.subject.v[f] = s->v[f];
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	row.csr_der = der;
	row.csr_len = (size_t)len;
	row.created_at = row.updated_at = F.now;
	assert_int_equal(db_request_insert(F.db, &row, &e), PECHAT_OK);
	pechat_strlcpy(idbuf, row.id, 40);
	OPENSSL_free(der);
}

/* A pending "qualified" request for req by officer1, stored, and the ca_issue parameters for it (csr: req as
 * ca_issue takes it; *s filled). */
static void
qualified_request(X509_REQ *req, const struct ca_csr *csr, struct pechat_subject *s, struct ca_issue_params *p,
    char id[40])
{
	subject_init(s);
	request_insert(req, "qualified", s, id);
	memset(p, 0, sizeof(*p));
	p->profile = "qualified";
	p->subject = s;
	p->csr = csr;
	p->request_id = id;
	p->actor = "officer1";
}

/* X509_verify_cert against root (trusted) + issuing (untrusted) at time `at`. */
static int
chain_verify(X509 *cert, const char *issuer, time_t at)
{
	char root[80];

	snprintf(root, sizeof(root), "%s-root", issuer);
	return ca_fixture_verify(cert, ca_issuer_get0_cert(F.ca, root), ca_issuer_get0_cert(F.ca, issuer), 0, at);
}

/* The one URI of a GENERAL_NAMES. */
static void
uri_is(GENERAL_NAME *gn, const char *want)
{
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), want);
}

static void
check_extensions(X509 *cert, const char *issuer)
{
	BASIC_CONSTRAINTS *bc;
	EXTENDED_KEY_USAGE *eku;
	CERTIFICATEPOLICIES *cp;
	CRL_DIST_POINTS *cdp;
	AUTHORITY_INFO_ACCESS *aia;
	GENERAL_NAMES *san;
	int crit = -1;
	char url[128];

	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca, 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_get_extension_flags(cert) & EXFLAG_KUSAGE);
	assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(cert,
	    X509_get_ext_by_NID(cert, NID_key_usage, -1))), 1);
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	assert_non_null(eku);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 2);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_client_auth);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 1)), NID_email_protect);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	assert_non_null(X509_get0_subject_key_id(cert));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert),
	    X509_get0_subject_key_id(ca_issuer_get0_cert(F.ca, issuer))), 0);
	cp = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL);
	assert_non_null(cp);
	assert_int_equal(sk_POLICYINFO_num(cp), 1);
	OBJ_obj2txt(url, sizeof(url), sk_POLICYINFO_value(cp, 0)->policyid, 1);
	assert_string_equal(url, "1.2.643.100.113.1");
	CERTIFICATEPOLICIES_free(cp);
	cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(cdp);
	snprintf(url, sizeof(url), "http://ca.test/crl/%s.crl", issuer);
	uri_is(sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0), url);
	CRL_DIST_POINTS_free(cdp);
	aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 2);
	assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method), NID_ad_OCSP);
	uri_is(sk_ACCESS_DESCRIPTION_value(aia, 0)->location, "http://ca.test/ocsp");
	assert_int_equal(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 1)->method), NID_ad_ca_issuers);
	snprintf(url, sizeof(url), "http://ca.test/ca/%s.crt", issuer);
	uri_is(sk_ACCESS_DESCRIPTION_value(aia, 1)->location, url);
	AUTHORITY_INFO_ACCESS_free(aia);
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_EMAIL);
	GENERAL_NAMES_free(san);
}

static void
test_issue_end_to_end(void **state)
{
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct pechat_subject s, back;
	struct ca_issue_params p;
	struct db_request r;
	struct db_cert row;
	struct pechat_error e;
	X509 *cert = NULL;
	char id[40], serial[65], fp[65];
	unsigned char *der = NULL;
	int64_t certs = ca_fixture_cert_count(&F), audits = ca_fixture_audit_count(&F);
	int len;

	(void)state;
	qualified_request(req, parts, &s, &p, id);
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_non_null(cert);
	assert_int_equal(chain_verify(cert, "ecdsa", F.now + 60), 1);
	check_extensions(cert, "ecdsa");
	assert_int_equal(X509_get_version(cert), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(req)), 1);
	/* validity: now .. now + 365 days */
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), F.now), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), F.now + 365 * 86400), 0);
	/* the DN comes from the request data, not from the CSR ("CN=Fixture") */
	memset(&back, 0, sizeof(back));
	assert_int_equal(ca_cert_subject(cert, &back, &e), PECHAT_OK);
	assert_string_equal(back.v[PSF_COMMON_NAME], "Иванов Иван Иванович");
	assert_string_equal(back.v[PSF_PATRONYMIC], "Иванович");
	assert_string_equal(back.v[PSF_SNILS], "11223344595");
	pechat_subject_clear(&back);
	/* the store: one more certificate, request issued, one more audit entry */
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(ca_fixture_audit_count(&F), audits + 1);
	assert_int_equal(ca_cert_serial_hex(cert, serial, sizeof(serial)), 0);
	assert_int_equal(db_serial_exists(F.db, serial, &e), PECHAT_OK);
	memset(&row, 0, sizeof(row));
	assert_int_equal(db_cert_get(F.db, serial, &row, &e), PECHAT_OK);
	len = i2d_X509(cert, &der);
	assert_int_equal((size_t)len, row.der_len);
	assert_memory_equal(der, row.der, row.der_len);
	assert_int_equal(pechat_sha256_hex(der, (size_t)len, fp), 0);
	assert_string_equal(row.fingerprint, fp);
	assert_string_equal(row.issuer, "ecdsa");
	assert_string_equal(row.profile, "qualified");
	assert_string_equal(row.request_id, id);
	assert_string_equal(row.email, "ivanov@example.ru");
	assert_non_null(strstr(row.subject_dn, "CN=Иванов Иван Иванович"));
	assert_int_equal(row.not_after, F.now + 365 * 86400);
	db_cert_free_fields(&row);
	memset(&r, 0, sizeof(r));
	assert_int_equal(db_request_get(F.db, id, &r, &e), PECHAT_OK);
	assert_string_equal(r.state, "issued");
	assert_string_equal(r.cert_serial, serial);
	db_request_free_fields(&r);
	OPENSSL_free(der);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

static void
test_issue_without_request(void **state)
{
	X509_REQ *req = ca_fixture_csr("rsa2048.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct pechat_subject s;
	struct ca_issue_params p = { "qualified", &s, parts, NULL, "admin", NULL, NULL, NULL, 0, 0 };
	struct pechat_error e;
	X509 *cert = NULL;
	int64_t certs = ca_fixture_cert_count(&F);

	(void)state;
	subject_init(&s);
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_int_equal(chain_verify(cert, "ecdsa", F.now + 1), 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

/* The DER of an X509_PUBKEY; owned (OPENSSL_free), *len set. */
static unsigned char *
spki_der(const X509_PUBKEY *k, int *len)
{
	unsigned char *der = NULL;

	assert_true((*len = i2d_X509_PUBKEY(k, &der)) > 0);
	return der;
}

/* ca_issue of req: the certificate's SubjectPublicKeyInfo is the CSR's, byte for byte. */
static void
issue_check_spki(X509_REQ *req)
{
	struct pechat_subject s;
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct ca_issue_params p = { "qualified", &s, parts, NULL, "admin", NULL, NULL, NULL, 0, 0 };
	struct pechat_error e;
	X509 *cert = NULL;
	unsigned char *a, *b;
	int na, nb;

	subject_init(&s);
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	a = spki_der(X509_REQ_get_X509_PUBKEY(req), &na);
	b = spki_der(X509_get_X509_PUBKEY(cert), &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	/* the object handed out is complete: its key decodes and is the CSR's */
	assert_non_null(X509_get0_pubkey(cert));
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(req)), 1);
	assert_int_equal(chain_verify(cert, "ecdsa", F.now + 1), 1);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_free(cert);
	ca_csr_free(parts);
	pechat_subject_clear(&s);
}

/*
 * The certified key is the CSR's SubjectPublicKeyInfo copied as it is (no
 * key encoded again): EC uncompressed and compressed points, RSA, Ed25519.
 * ca_issue with out NULL issues and stores without handing an object out.
 */
static void
test_issue_spki_copied(void **state)
{
	static const char *const files[] = { "ec-p256.pem", "rsa2048.pem", "ed25519.pem" };
	struct pechat_subject s;
	struct ca_issue_params p = { "qualified", &s, NULL, NULL, "admin", NULL, NULL, NULL, 0, 0 };
	struct pechat_error e;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = NULL;
	struct ca_csr *parts;
	unsigned char *pem;
	size_t i, len;
	int64_t certs;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		req = ca_fixture_csr(files[i]);
		issue_check_spki(req);
		X509_REQ_free(req);
	}
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED), 1);
	pem = ca_fixture_csr_pem(key, &len);
	assert_int_equal(ca_csr_parse(pem, len, &req, &e), PECHAT_OK);
	{
		const unsigned char *pt = NULL;
		int ptlen = 0;

		assert_int_equal(X509_PUBKEY_get0_param(NULL, &pt, &ptlen, NULL, X509_REQ_get_X509_PUBKEY(req)), 1);
		assert_true(ptlen == 33 && (pt[0] == 0x02 || pt[0] == 0x03));   /* compressed point */
	}
	issue_check_spki(req);
	/* out NULL: issued and stored all the same */
	certs = ca_fixture_cert_count(&F);
	subject_init(&s);
	p.csr = parts = ca_fixture_csr_parts(req);
	assert_int_equal(ca_issue(F.ca, F.db, &p, NULL, NULL, &e), PECHAT_OK);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	pechat_subject_clear(&s);
	ca_csr_free(parts);
	X509_REQ_free(req);
	free(pem);
	EVP_PKEY_free(key);
}

/*
 * ca_cert_der_check (the parse check of every signed certificate, without a
 * key decoder): one DER v3 certificate and nothing else.
 */
static void
test_cert_der_check(void **state)
{
	X509 *cert = ca_fixture_issue(&F, "qualified", "ec-p256.pem", "DER check");
	X509 *v1 = X509_new();
	EVP_PKEY *key = EVP_EC_gen("P-256");
	unsigned char *der = NULL, *buf, *v1der = NULL;
	int len, n;

	(void)state;
	assert_non_null(cert);
	assert_true((len = i2d_X509(cert, &der)) > 200);
	assert_int_equal(ca_cert_der_check(der, (size_t)len), 0);
	/* trailing byte, truncated, empty */
	assert_non_null(buf = malloc((size_t)len + 2));
	memcpy(buf, der, (size_t)len);
	buf[len] = 0;
	assert_int_equal(ca_cert_der_check(buf, (size_t)len + 1), -1);
	assert_int_equal(ca_cert_der_check(der, (size_t)len - 1), -1);
	assert_int_equal(ca_cert_der_check(der, 0), -1);
	/* BER, not DER: the outer length in a longer form than needed (30 82 hi lo -> 30 83 00 hi lo) */
	assert_int_equal(der[1], 0x82);
	buf[0] = 0x30;
	buf[1] = 0x83;
	buf[2] = 0;
	memcpy(buf + 3, der + 2, (size_t)len - 2);
	assert_int_equal(ca_cert_der_check(buf, (size_t)len + 1), -1);
	/* a signature bit flipped still parses (the signature is hsm/'s check) */
	memcpy(buf, der, (size_t)len);
	buf[len - 3] ^= 0x01;
	assert_int_equal(ca_cert_der_check(buf, (size_t)len), 0);
	/* a version 1 certificate */
	assert_non_null(key);
	assert_int_equal(X509_set_pubkey(v1, key), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(v1), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(v1), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(v1), 60));
	assert_true(X509_sign(v1, key, EVP_sha256()) > 0);
	assert_true((n = i2d_X509(v1, &v1der)) > 0);
	assert_int_equal(ca_cert_der_check(v1der, (size_t)n), -1);
	ERR_clear_error();
	OPENSSL_free(v1der);
	OPENSSL_free(der);
	free(buf);
	EVP_PKEY_free(key);
	X509_free(v1);
	X509_free(cert);
}

/* Near the issuer's end the validity is clipped to its notAfter. */
static void
test_issue_clipped(void **state)
{
	X509_REQ *req = ca_fixture_csr("ed25519.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct pechat_subject s;
	struct ca_issue_params p = { "qualified", &s, parts, NULL, "admin", NULL, NULL, NULL, 0, 0 };
	struct pechat_error e;
	X509 *cert = NULL;
	X509 *issuing = ca_issuer_get0_cert(F.ca, "ecdsa");
	time_t saved = F.now, end;

	(void)state;
	subject_init(&s);
	assert_int_equal(ca_asn1_time_to_time(X509_get0_notAfter(issuing), &end), 0);
	F.now = end - 10 * 86400;
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuing)), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), F.now), 0);
	assert_int_equal(chain_verify(cert, "ecdsa", F.now + 1), 1);
	X509_free(cert);
	cert = NULL;
	/* after the issuer's end nothing is issued */
	F.now = end + 1;
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "issuer_expired");
	assert_null(cert);
	F.now = saved;
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

/* A refused issuance leaves no certificate row and the request pending. */
static void
test_issue_refused(void **state)
{
	X509_REQ *weak = ca_fixture_csr("rsa1024.pem"), *good = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *weak_parts = ca_fixture_csr_parts(weak), *good_parts = ca_fixture_csr_parts(good);
	struct pechat_subject s;
	struct ca_issue_params p;
	struct db_request r;
	struct pechat_error e;
	X509 *cert = NULL;
	char id[40];
	int64_t certs = ca_fixture_cert_count(&F), audits = ca_fixture_audit_count(&F);

	(void)state;
	qualified_request(weak, weak_parts, &s, &p, id);
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_too_weak");
	assert_null(cert);
	/* bad subject */
	p.csr = good_parts;
	pechat_subject_set(&s, PSF_SNILS, "123");
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "subject_invalid");
	/* unknown profile */
	p.profile = "nope";
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "profile_unknown");
	assert_null(cert);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(ca_fixture_audit_count(&F), audits);
	memset(&r, 0, sizeof(r));
	assert_int_equal(db_request_get(F.db, id, &r, &e), PECHAT_OK);
	assert_string_equal(r.state, "pending");
	db_request_free_fields(&r);
	ca_csr_free(weak_parts);
	ca_csr_free(good_parts);
	X509_REQ_free(weak);
	X509_REQ_free(good);
	pechat_subject_clear(&s);
}

/* A request that cannot move to "issued" rolls the whole step 7 back. */
static void
test_issue_store_rollback(void **state)
{
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct pechat_subject s;
	struct ca_issue_params p;
	struct pechat_error e;
	X509 *cert = NULL;
	char id[40];
	int64_t certs, audits;

	(void)state;
	qualified_request(req, parts, &s, &p, id);
	assert_int_equal(db_request_set_state(F.db, id, "rejected", NULL, "x", "x", F.now, &e), PECHAT_OK);
	certs = ca_fixture_cert_count(&F);
	audits = ca_fixture_audit_count(&F);
	assert_int_not_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_null(cert);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(ca_fixture_audit_count(&F), audits);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

/*
 * Nothing half-written: an issuance that fails after its serial was drawn (a
 * signature that does not verify; a request that cannot move to "issued")
 * leaves no row at all, not even the serial's: the serial is reserved in the
 * certificate's own transaction.
 */
static void
test_issue_failure_leaves_no_serial(void **state)
{
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct pechat_subject s;
	struct ca_issue_params p;
	struct pechat_error e;
	X509 *cert = NULL;
	char id[40];
	int64_t serials, certs;

	(void)state;
	qualified_request(req, parts, &s, &p, id);
	serials = test_table_rows(F.db->conn, "serials");
	certs = ca_fixture_cert_count(&F);
	hsm_test_corrupt_next_signature();
	assert_int_not_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_string_equal(e.code, "signature_check_failed");
	assert_null(cert);
	assert_int_equal(test_table_rows(F.db->conn, "serials"), serials);
	assert_int_equal(db_request_set_state(F.db, id, "rejected", NULL, "x", "x", F.now, &e), PECHAT_OK);
	assert_int_not_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_null(cert);
	assert_int_equal(test_table_rows(F.db->conn, "serials"), serials);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	/* and a good issuance reserves exactly its own serial */
	request_insert(req, "qualified", &s, id);
	p.request_id = id;
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	assert_int_equal(test_table_rows(F.db->conn, "serials"), serials + 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

static void
test_issue_gost(void **state)
{
	X509_REQ *req;
	struct ca_csr *parts;
	struct pechat_subject s;
	struct ca_issue_params p;
	struct pechat_error e;
	X509 *cert = NULL;

	(void)state;
	if (!F.have_gost)
		skip();
	req = ca_fixture_csr("gost2012-512.pem");
	parts = ca_fixture_csr_parts(req);
	subject_init(&s);
	memset(&p, 0, sizeof(p));
	p.profile = "gost";
	p.subject = &s;
	p.csr = parts;
	p.actor = "officer1";
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_OK);
	/* the issuer key is GOST 2012-256: signed with Streebog-256 */
	assert_int_equal(X509_get_signature_nid(cert), NID_id_tc26_signwithdigest_gost3410_2012_256);
	assert_int_equal(chain_verify(cert, "gost", F.now + 1), 1);
	X509_free(cert);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

static void
test_ca_accessors(void **state)
{
	struct pechat_error e;
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;
	X509 *x;

	(void)state;
	assert_non_null(ca_profile_find(F.ca, "qualified"));
	assert_null(ca_profile_find(F.ca, "nope"));
	assert_non_null(ca_issuer_get0_cert(F.ca, "ecdsa"));
	assert_non_null(ca_issuer_get0_cert(F.ca, "ecdsa-root"));
	assert_non_null(ca_issuer_get0_cert(F.ca, CA_OPERATORS_ISSUER));
	assert_null(ca_issuer_get0_cert(F.ca, "nope"));
	assert_int_equal(ca_keys_ready(F.ca, &e), PECHAT_OK);
	assert_int_equal(ca_issuer_chain_pem(F.ca, "ecdsa", &pem, &len, &e), PECHAT_OK);
	assert_int_equal(strlen(pem), len);
	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_int_equal(X509_cmp(x, ca_issuer_get0_cert(F.ca, "ecdsa")), 0);
	X509_free(x);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_int_equal(X509_cmp(x, ca_issuer_get0_cert(F.ca, "ecdsa-root")), 0);
	X509_free(x);
	assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL));
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	assert_int_equal(ca_issuer_chain_pem(F.ca, "nope", &pem, &len, &e), PECHAT_E_NOT_FOUND);
}

static void
test_ca_new_empty_store(void **state)
{
	struct db *empty = NULL;
	struct ca *c = NULL;
	struct pechat_error e;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &empty, &e), PECHAT_OK);
	assert_int_equal(ca_new(&F.cconf, empty, &F.clock, &c, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "store_not_initialised");
	assert_null(c);
	db_close(empty);
}

/* An issuer whose key does not match its certificate is refused by ca_new. */
static void
test_ca_new_key_mismatch(void **state)
{
	struct ca_conf c = F.cconf;
	struct db *other = NULL;
	struct db_issuer row;
	struct ca *x = NULL;
	struct pechat_error e;
	unsigned char *der = NULL;
	int len;

	(void)state;
	c.n_issuers = 0;
	assert_int_equal(db_open(":memory:", 1, &other, &e), PECHAT_OK);
	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.name, CA_OPERATORS_ISSUER, sizeof(row.name));
	pechat_strlcpy(row.kind, "operators", sizeof(row.kind));
	snprintf(row.key_ref, sizeof(row.key_ref), "file:%s/var/keys/ecdsa.key", F.dir);
	len = i2d_X509(ca_issuer_get0_cert(F.ca, CA_OPERATORS_ISSUER), &der);
	assert_true(len > 0);
	row.cert_der = der;
	row.cert_len = (size_t)len;
	row.created_at = F.now;
	assert_int_equal(db_issuer_insert(other, &row, &e), PECHAT_OK);
	assert_int_equal(ca_new(&c, other, &F.clock, &x, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "issuer_key_mismatch");
	assert_null(x);
	OPENSSL_free(der);
	db_close(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_end_to_end),
		cmocka_unit_test(test_issue_without_request),
		cmocka_unit_test(test_issue_spki_copied),
		cmocka_unit_test(test_cert_der_check),
		cmocka_unit_test(test_issue_clipped),
		cmocka_unit_test(test_issue_failure_leaves_no_serial),
		cmocka_unit_test(test_issue_refused),
		cmocka_unit_test(test_issue_store_rollback),
		cmocka_unit_test(test_issue_gost),
		cmocka_unit_test(test_ca_accessors),
		cmocka_unit_test(test_ca_new_empty_store),
		cmocka_unit_test(test_ca_new_key_mismatch),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
