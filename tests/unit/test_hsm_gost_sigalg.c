/*
 * Unit tests for hsm/sign.c with GOST R 34.10-2012 keys (issue 9 item 4b):
 * every certificate, CRL, CSR and OCSP basic response signed by a 256 or
 * 512 key carries the signature AlgorithmIdentifier with its parameters
 * ABSENT (RFC 9215 §3.2) — twice in a certificate and a CRL (TBS and outer),
 * once in a CSR and an OCSP response — never the {OID, NULL} form, and
 * OpenSSL still verifies the signature. Skipped without gost-engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hsm/hsm.h"
#include "ca_fixture.h"

static char tmpdir[256];

/* The AlgorithmIdentifiers of id-tc26-signwithdigest-gost3410-12-256/-512, absent and NULL parameters. */
static const unsigned char absent_256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02 };
static const unsigned char absent_512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x03 };
static const unsigned char null_256[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02,
	0x05, 0x00 };
static const unsigned char null_512[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x03,
	0x05, 0x00 };

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "gsig") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* How many times pat occurs in der. */
static int
count(const unsigned char *der, int len, const unsigned char *pat, size_t plen)
{
	int i, n = 0;

	for (i = 0; i + (int)plen <= len; i++)
		if (memcmp(der + i, pat, plen) == 0)
			n++;
	return n;
}

/* Asserts der holds `want` absent-parameter identifiers of its size and no NULL one. */
static void
check_der(unsigned char *der, int len, int bits, int want)
{
	assert_true(len > 0);
	assert_int_equal(count(der, len, bits == 256 ? absent_256 : absent_512, sizeof(absent_256)), want);
	assert_int_equal(count(der, len, null_256, sizeof(null_256)), 0);
	assert_int_equal(count(der, len, null_512, sizeof(null_512)), 0);
	OPENSSL_free(der);
}

/* A self-signed certificate of key (CN=t), signed through hsm_sign_x509. */
static X509 *
make_cert(struct hsm_key *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	struct pechat_error e;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"t", -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, hsm_key_public(key)), 1);
	X509_NAME_free(n);
	assert_int_equal(hsm_sign_x509(key, x, &e), PECHAT_OK);
	return x;
}

/* A certificate, a CRL, a CSR and an OCSP basic response signed by a new GOST key of `bits`. */
static void
sign_all(const char *alg, int bits)
{
	char ref[400];
	struct hsm_key *key = NULL;
	struct pechat_error e;
	unsigned char *der = NULL;
	X509 *x;
	X509_CRL *crl = X509_CRL_new();
	X509_REQ *req = X509_REQ_new();
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	ASN1_TIME *t = ASN1_TIME_new();

	snprintf(ref, sizeof(ref), "file:%s/%s.key", tmpdir, alg);
	assert_int_equal(hsm_key_generate(ref, alg, &key, &e), PECHAT_OK);

	x = make_cert(key);
	check_der(der, i2d_X509(x, &der), bits, 2);
	der = NULL;
	assert_int_equal(X509_verify(x, hsm_key_public(key)), 1);

	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(x)), 1);
	assert_non_null(X509_gmtime_adj(t, 0));
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	assert_int_equal(hsm_sign_crl(key, crl, &e), PECHAT_OK);
	check_der(der, i2d_X509_CRL(crl, &der), bits, 2);
	der = NULL;
	assert_int_equal(X509_CRL_verify(crl, hsm_key_public(key)), 1);

	assert_int_equal(X509_REQ_set_subject_name(req, X509_get_subject_name(x)), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, hsm_key_public(key)), 1);
	assert_int_equal(hsm_sign_req(key, req, &e), PECHAT_OK);
	check_der(der, i2d_X509_REQ(req, &der), bits, 1);
	der = NULL;
	assert_int_equal(X509_REQ_verify(req, hsm_key_public(key)), 1);

	assert_int_equal(hsm_sign_ocsp(key, bs, x, NULL, OCSP_NOCERTS, &e), PECHAT_OK);
	check_der(der, i2d_OCSP_BASICRESP(bs, &der), bits, 1);
	der = NULL;
	assert_int_equal(OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY | OCSP_NOCHAIN | OCSP_NOINTERN), 0);
	{
		STACK_OF(X509) *sk = sk_X509_new_null();

		assert_int_equal(sk_X509_push(sk, x), 1);
		assert_int_equal(OCSP_basic_verify(bs, sk, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
		sk_X509_free(sk);
	}

	ASN1_TIME_free(t);
	OCSP_BASICRESP_free(bs);
	X509_REQ_free(req);
	X509_CRL_free(crl);
	X509_free(x);
	hsm_key_free(key);
}

static void
test_gost_sigalg(void **state)
{
	(void)state;
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		skip();
	sign_all("gost2012-256", 256);
	sign_all("gost2012-512", 512);
}

/* A non-GOST key keeps OpenSSL's own identifiers (RSA: with NULL parameters, RFC 4055). */
static void
test_rsa_unchanged(void **state)
{
	static const unsigned char rsa_sha256_null[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x0b, 0x05, 0x00 };
	char ref[400];
	struct hsm_key *key = NULL;
	struct pechat_error e;
	unsigned char *der = NULL;
	X509 *x;
	int len;

	(void)state;
	snprintf(ref, sizeof(ref), "file:%s/rsa.key", tmpdir);
	assert_int_equal(hsm_key_generate(ref, "rsa-2048", &key, &e), PECHAT_OK);
	x = make_cert(key);
	len = i2d_X509(x, &der);
	assert_int_equal(count(der, len, rsa_sha256_null, sizeof(rsa_sha256_null)), 2);
	OPENSSL_free(der);
	X509_free(x);
	hsm_key_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gost_sigalg),
		cmocka_unit_test(test_rsa_unchanged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
