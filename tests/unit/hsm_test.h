/*
 * tests/unit/hsm_test.h — the signature check shared by the hsm/ unit tests
 * (header only; include after <cmocka.h>: it asserts with it).
 */
#ifndef PECHAT_TESTS_HSM_TEST_H
#define PECHAT_TESTS_HSM_TEST_H

#include <openssl/evp.h>

#include "hsm/hsm.h"

/* Signs through the hsm API with digest md and verifies with the key's public half; a flipped bit fails. */
static inline void
hsm_test_sign_verify(struct hsm_key *k, const EVP_MD *md)
{
	static const unsigned char msg[] = "tbs";
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	struct pechat_error e;

	assert_non_null(s);
	assert_non_null(v);
	assert_int_equal(hsm_key_sign_init(k, s, md, &e), PECHAT_OK);
	assert_int_equal(EVP_DigestSign(s, sig, &siglen, msg, sizeof(msg)), 1);
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, hsm_key_public(k)), 1);
	assert_int_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	sig[siglen / 2] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, hsm_key_public(k)), 1);
	assert_int_not_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
}

#endif
