/*
 * Unit test for ra_csr_checks' ownership contract: the DER it leaves on
 * req->csr_der is malloc'd, because db_request_free_fields frees it with
 * free(). OpenSSL's allocator is replaced here by one that hands out
 * pointers 16 bytes into a malloc'd block, so freeing an OPENSSL_malloc'd
 * buffer with free() (the defect this guards against) aborts the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "db/db.h"
#include "ra/ra_int.h"

#define SHIFT 16        /* OpenSSL's pointers are this far into their malloc'd block */

static void *
shifted_malloc(size_t n, const char *file, int line)
{
	unsigned char *p = malloc(n + SHIFT);

	(void)file;
	(void)line;
	return p == NULL ? NULL : p + SHIFT;
}

static void *
shifted_realloc(void *ptr, size_t n, const char *file, int line)
{
	unsigned char *p;

	(void)file;
	(void)line;
	if (ptr == NULL)
		return shifted_malloc(n, file, line);
	p = realloc((unsigned char *)ptr - SHIFT, n + SHIFT);
	return p == NULL ? NULL : p + SHIFT;
}

static void
shifted_free(void *ptr, const char *file, int line)
{
	(void)file;
	(void)line;
	if (ptr != NULL)
		free((unsigned char *)ptr - SHIFT);
}

/* A PEM CSR for a fresh P-256 key (malloc'd, NUL-terminated). */
static char *
csr_pem(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(key);
	assert_non_null(req);
	assert_non_null(bio);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	assert_true((n = BIO_get_mem_data(bio, &data)) > 0);
	assert_non_null(out = calloc(1, (size_t)n + 1));
	memcpy(out, data, (size_t)n);
	BIO_free(bio);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return out;
}

/* The DER kept on the request survives db_request_free_fields (free()) and equals the CSR's DER. */
static void
test_csr_der_is_malloced(void **state)
{
	struct pechat_profile_conf profile;
	struct pechat_error e;
	struct db_request req;
	struct ca_csr *csr = NULL;
	X509_REQ *x = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	char *pem = csr_pem();
	int n;

	(void)state;
	memset(&profile, 0, sizeof(profile));
	profile.key_algorithms = PECHAT_KEYALG_EC_P256;
	profile.rsa_min_bits = 2048;
	memset(&req, 0, sizeof(req));
	pechat_error_clear(&e);
	assert_int_equal(ra_csr_checks(&profile, (const unsigned char *)pem, strlen(pem), &req, &csr, &e), PECHAT_OK);
	assert_non_null(csr);
	p = csr->der;
	assert_non_null(x = d2i_X509_REQ(NULL, &p, (long)csr->der_len));
	assert_true((n = i2d_X509_REQ(x, &der)) > 0);
	assert_int_equal(req.csr_len, (size_t)n);
	assert_memory_equal(req.csr_der, der, (size_t)n);
	db_request_free_fields(&req);   /* free() of an OpenSSL pointer would abort here */
	OPENSSL_free(der);
	X509_REQ_free(x);
	ca_csr_free(csr);
	free(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_der_is_malloced),
	};

	/* before OpenSSL allocates anything */
	if (CRYPTO_set_mem_functions(shifted_malloc, shifted_realloc, shifted_free) != 1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
