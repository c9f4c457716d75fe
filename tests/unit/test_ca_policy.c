/* Unit tests for ca_key_policy_check and ca_digest_for_key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca/ca.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

static struct pechat_profile_conf profile;

static int
setup(void **state)
{
	(void)state;
	memset(&profile, 0, sizeof(profile));
	pechat_strlcpy(profile.name, "test", sizeof(profile.name));
	profile.key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_RSA |
	    PECHAT_KEYALG_ED25519 | PECHAT_KEYALG_GOST2012_256;
	profile.rsa_min_bits = 2048;
	return 0;
}

static enum pechat_err
check(const char *name, const char *code)
{
	X509_REQ *req = ca_fixture_csr(name);
	struct pechat_error e;
	enum pechat_err rc;

	pechat_error_clear(&e);
	rc = ca_key_policy_check(&profile, X509_REQ_get0_pubkey(req), &e);
	if (code != NULL)
		assert_string_equal(e.code, code);
	X509_REQ_free(req);
	return rc;
}

static void
test_policy(void **state)
{
	(void)state;
	assert_int_equal(check("ec-p256.pem", NULL), PECHAT_OK);
	assert_int_equal(check("rsa2048.pem", NULL), PECHAT_OK);
	assert_int_equal(check("rsa3072.der", NULL), PECHAT_OK);
	assert_int_equal(check("ed25519.pem", NULL), PECHAT_OK);
	assert_int_equal(check("rsa1024.pem", "key_too_weak"), PECHAT_E_POLICY);
	assert_int_equal(check("explicit-curve.pem", "key_curve_not_allowed"), PECHAT_E_POLICY);
	/* profile minimum above 2048 */
	profile.rsa_min_bits = 3072;
	assert_int_equal(check("rsa2048.pem", "key_too_weak"), PECHAT_E_POLICY);
	assert_int_equal(check("rsa3072.der", NULL), PECHAT_OK);
	/* a profile minimum below 2048 never lets 1024 through */
	profile.rsa_min_bits = 512;
	assert_int_equal(check("rsa1024.pem", "key_too_weak"), PECHAT_E_POLICY);
	/* algorithm not in the profile */
	profile.key_algorithms = PECHAT_KEYALG_RSA;
	assert_int_equal(check("ec-p256.pem", "key_algorithm_not_allowed"), PECHAT_E_POLICY);
	assert_int_equal(check("ed25519.pem", "key_algorithm_not_allowed"), PECHAT_E_POLICY);
}

static void
test_policy_curves(void **state)
{
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	struct pechat_error e;

	(void)state;
	assert_non_null(p521);
	assert_non_null(k1);
	assert_int_equal(ca_key_policy_check(&profile, p521, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_algorithm_not_allowed");
	profile.key_algorithms |= PECHAT_KEYALG_EC_P521;
	assert_int_equal(ca_key_policy_check(&profile, p521, &e), PECHAT_OK);
	assert_int_equal(ca_key_policy_check(&profile, k1, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_curve_not_allowed");
	EVP_PKEY_free(p521);
	EVP_PKEY_free(k1);
}

/* A refusal says what the key is and what the profile allows (issue: "key type 408 not allowed"). */
static void
test_policy_detail(void **state)
{
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	X509_REQ *weak = ca_fixture_csr("rsa1024.pem");
	struct pechat_error e;

	(void)state;
	profile.key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_RSA;
	pechat_error_clear(&e);
	assert_int_equal(ca_key_policy_check(&profile, p521, &e), PECHAT_E_POLICY);
	assert_string_equal(e.detail, "the CSR's key is ec-p521; profile test allows ec-p256, ec-p384, rsa (>= 2048 bits)");
	assert_int_equal(ca_key_policy_check(&profile, k1, &e), PECHAT_E_POLICY);
	assert_non_null(strstr(e.detail, "EC with curve secp256k1"));
	assert_non_null(strstr(e.detail, "allows ec-p256, ec-p384, rsa"));
	assert_int_equal(ca_key_policy_check(&profile, X509_REQ_get0_pubkey(weak), &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_too_weak");
	assert_string_equal(e.detail, "the CSR's key is rsa 1024 bits; profile test allows ec-p256, ec-p384, rsa (>= 2048 bits)");
	X509_REQ_free(weak);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(k1);
}

static void
test_policy_gost(void **state)
{
	(void)state;
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		skip();
	assert_int_equal(check("gost2012-256.pem", NULL), PECHAT_OK);
	assert_int_equal(check("gost2012-512.pem", "key_algorithm_not_allowed"), PECHAT_E_POLICY);
	profile.key_algorithms |= PECHAT_KEYALG_GOST2012_512;
	assert_int_equal(check("gost2012-512.pem", NULL), PECHAT_OK);
}

static void
digest_is(EVP_PKEY *k, const char *want)
{
	const EVP_MD *md = ca_digest_for_key(k);

	assert_non_null(k);
	if (want == NULL) {
		assert_null(md);
	} else {
		assert_non_null(md);
		assert_int_equal(EVP_MD_get_type(md), OBJ_sn2nid(want));
	}
	EVP_PKEY_free(k);
}

static void
test_digest(void **state)
{
	X509_REQ *req;

	(void)state;
	digest_is(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), "SHA256");
	digest_is(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), "SHA384");
	digest_is(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), "SHA512");
	digest_is(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), "SHA256");
	digest_is(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL);
	assert_null(ca_digest_for_key(NULL));
	req = ca_fixture_csr("explicit-curve.pem");
	assert_null(ca_digest_for_key(X509_REQ_get0_pubkey(req)));
	X509_REQ_free(req);
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		return;
	req = ca_fixture_csr("gost2012-256.pem");
	assert_int_equal(EVP_MD_get_type(ca_digest_for_key(X509_REQ_get0_pubkey(req))),
	    NID_id_GostR3411_2012_256);
	X509_REQ_free(req);
	req = ca_fixture_csr("gost2012-512.pem");
	assert_int_equal(EVP_MD_get_type(ca_digest_for_key(X509_REQ_get0_pubkey(req))),
	    NID_id_GostR3411_2012_512);
	X509_REQ_free(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_policy, setup),
		cmocka_unit_test_setup(test_policy_curves, setup),
		cmocka_unit_test_setup(test_policy_gost, setup),
		cmocka_unit_test_setup(test_policy_detail, setup),
		cmocka_unit_test(test_digest),
	};

	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	hsm_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
