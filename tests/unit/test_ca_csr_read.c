/*
 * Unit tests for ca_csr_read (ca/csr.c): the request as parts, its key made
 * without OpenSSL's decoder for EC keys on the NIST curves and RSA keys, is
 * the same key, SPKI and DER that d2i_X509_REQ reads; a point off its curve
 * or a broken RSAPublicKey is refused as malformed; every other key still
 * reads (through the decoder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

/* The parts of csr equal what d2i_X509_REQ makes of its DER: key, SPKI, DER. */
static void
assert_parts_match(const struct ca_csr *csr)
{
	const unsigned char *p = csr->der;
	X509_REQ *x;
	unsigned char *der = NULL, *spki = NULL;
	int n;

	assert_non_null(x = d2i_X509_REQ(NULL, &p, (long)csr->der_len));
	assert_ptr_equal(p, csr->der + csr->der_len);
	assert_int_equal(EVP_PKEY_eq(csr->key, X509_REQ_get0_pubkey(x)), 1);
	assert_true((n = i2d_X509_REQ(x, &der)) > 0);
	assert_int_equal(csr->der_len, (size_t)n);
	assert_memory_equal(csr->der, der, (size_t)n);
	assert_true((n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(x), &spki)) > 0);
	assert_int_equal(csr->spki_len, (size_t)n);
	assert_memory_equal(csr->spki_der, spki, (size_t)n);
	OPENSSL_free(spki);
	spki = NULL;
	assert_true((n = ASN1_item_i2d((ASN1_VALUE *)csr->spki, &spki, ASN1_ITEM_rptr(PECHAT_SPKI_RAW))) > 0); /* the raw SPKI: same bytes */
	assert_int_equal(csr->spki_len, (size_t)n);
	assert_memory_equal(csr->spki_der, spki, (size_t)n);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	X509_REQ_free(x);
}

/* ca_csr_read of bytes: its code; on success the parts match (assert_parts_match). */
static enum pechat_err
read_bytes(const unsigned char *buf, size_t len, const char *code)
{
	struct pechat_error e;
	struct ca_csr *csr = NULL;
	enum pechat_err rc;

	pechat_error_clear(&e);
	rc = ca_csr_read(buf, len, &csr, &e);
	if (rc == PECHAT_OK) {
		assert_non_null(csr);
		assert_parts_match(csr);
	} else {
		assert_null(csr);
		assert_string_equal(e.code, code);
	}
	ca_csr_free(csr);
	return rc;
}

/* ca_csr_read of tests/data/csr/<name>. */
static enum pechat_err
read_fixture(const char *name, const char *code)
{
	char rel[256];
	unsigned char *buf = NULL;
	size_t len;
	enum pechat_err rc;

	snprintf(rel, sizeof(rel), "csr/%s", name);
	assert_int_equal(ca_fixture_read(rel, &buf, &len), 0);
	rc = read_bytes(buf, len, code);
	free(buf);
	return rc;
}

static void
test_fixtures_read_as_parts(void **state)
{
	(void)state;
	assert_int_equal(read_fixture("ec-p256.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("rsa2048.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("rsa3072.der", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("rsa1024.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("pss-sha256.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("ed25519.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("explicit-curve.pem", NULL), PECHAT_OK);
	assert_int_equal(read_fixture("bad-signature.pem", "csr_signature_invalid"), PECHAT_E_INVALID);
	assert_int_equal(read_fixture("sha1-ec.pem", "csr_digest_not_allowed"), PECHAT_E_INVALID);
	assert_int_equal(read_fixture("trailing-garbage.der", "csr_trailing_data"), PECHAT_E_INVALID);
	if (EVP_get_digestbyname("md_gost12_256") != NULL) {
		assert_int_equal(read_fixture("gost2012-256.pem", NULL), PECHAT_OK);
		assert_int_equal(read_fixture("gost2012-512.pem", NULL), PECHAT_OK);
	}
}

/* A DER CSR of a fresh key on curve, its point compressed or not. */
static unsigned char *
new_csr_der(const char *curve, int compressed, size_t *len)
{
	EVP_PKEY *key = EVP_EC_gen(curve);
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	int n;

	assert_true(key != NULL && req != NULL);
	if (compressed)
		assert_int_equal(EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		    "compressed"), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_true((n = i2d_X509_REQ(req, &der)) > 0);
	*len = (size_t)n;
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return der;
}

static void
test_ec_curves_and_compressed_points(void **state)
{
	static const char *const curves[] = { "P-256", "P-384", "P-521" };
	unsigned char *der;
	size_t i, len;
	int compressed;

	(void)state;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		for (compressed = 0; compressed <= 1; compressed++) {
			der = new_csr_der(curves[i], compressed, &len);
			assert_int_equal(read_bytes(der, len, NULL), PECHAT_OK);
			OPENSSL_free(der);
		}
}

/* Offset of the uncompressed P-256 point (0x04 + 64 bytes) of the SPKI inside der. */
static size_t
point_offset(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *x = d2i_X509_REQ(NULL, &p, (long)len);
	const unsigned char *point = NULL;
	int plen = 0;
	size_t off;

	assert_non_null(x);
	assert_int_equal(X509_PUBKEY_get0_param(NULL, &point, &plen, NULL, X509_REQ_get_X509_PUBKEY(x)), 1);
	assert_int_equal(plen, 65);
	for (off = 0; off + 65 <= len; off++)
		if (memcmp(der + off, point, 65) == 0)
			break;
	X509_REQ_free(x);
	assert_true(off + 65 <= len);
	return off;
}

static void
test_point_off_curve_is_malformed(void **state)
{
	unsigned char *der;
	size_t len, off;

	(void)state;
	der = new_csr_der("P-256", 0, &len);
	off = point_offset(der, len);
	der[off + 64] ^= 0x01;          /* y changed: no longer on the curve */
	assert_int_equal(read_bytes(der, len, "csr_malformed"), PECHAT_E_INVALID);
	der[off + 64] ^= 0x01;
	der[off] = 0x05;                /* no such point form (2, 3: compressed; 4: plain; 6, 7: hybrid) */
	assert_int_equal(read_bytes(der, len, "csr_malformed"), PECHAT_E_INVALID);
	OPENSSL_free(der);
}

static void
test_broken_rsa_key_is_malformed(void **state)
{
	static const unsigned char head[] = { 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01 };
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	size_t off;
	int n;

	(void)state;
	assert_true(key != NULL && req != NULL);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_true((n = i2d_X509_REQ(req, &der)) > 0);
	assert_int_equal(read_bytes(der, (size_t)n, NULL), PECHAT_OK);
	for (off = 0; off + sizeof(head) <= (size_t)n; off++)      /* RSAPublicKey of a 2048-bit key */
		if (memcmp(der + off, head, sizeof(head)) == 0)
			break;
	assert_true(off + sizeof(head) <= (size_t)n);
	der[off + 4] = 0x04;            /* n an OCTET STRING: no RSAPublicKey */
	assert_int_equal(read_bytes(der, (size_t)n, "csr_malformed"), PECHAT_E_INVALID);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* Many threads read at once: the kept key contexts are shared safely (run under ASan/TSan). */
#define READERS 8
#define READS 50

struct der_buf {
	unsigned char *der;
	size_t len;
};

static void *
reader(void *arg)
{
	const struct der_buf *b = arg;
	struct pechat_error e;
	struct ca_csr *csr;
	int i, ok = 1;

	for (i = 0; i < READS && ok; i++) {
		pechat_error_clear(&e);
		csr = NULL;
		ok = ca_csr_read(b->der, b->len, &csr, &e) == PECHAT_OK && EVP_PKEY_get_bits(csr->key) == 256;
		ca_csr_free(csr);
	}
	return ok ? arg : NULL;
}

static void
test_concurrent_reads(void **state)
{
	pthread_t t[READERS];
	struct der_buf b;
	void *ret;
	int i;

	(void)state;
	b.der = new_csr_der("P-256", 0, &b.len);
	for (i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &b), 0);
	for (i = 0; i < READERS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &b);
	}
	OPENSSL_free(b.der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_read_as_parts),
		cmocka_unit_test(test_ec_curves_and_compressed_points),
		cmocka_unit_test(test_point_off_curve_is_malformed),
		cmocka_unit_test(test_broken_rsa_key_is_malformed),
		cmocka_unit_test(test_concurrent_reads),
	};

	hsm_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
