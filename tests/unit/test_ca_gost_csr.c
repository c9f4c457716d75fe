/*
 * Unit tests of the GOST CSR checks (issue 9 item 3): a key on each of the
 * 12 parameter sets (made by hsm/ with "gost2012-NNN:<set>") is read back on
 * its set, its CSR parses, and the profile's gost_paramsets decide
 * (key_paramset_not_allowed naming the set and the accepted ones); a 512
 * key on a 256-only profile is key_algorithm_not_allowed; a CSR whose
 * signature does not follow its key (Streebog-512 or SHA-256 on a 256 key)
 * is csr_digest_key_mismatch; a corrupted signature is csr_signature_invalid.
 * Skipped without gost-engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

static char tmpdir[256];

static const char *const sets[] = { "tc26-256-a", "tc26-256-b", "tc26-256-c", "tc26-256-d", "cryptopro-a",
	"cryptopro-b", "cryptopro-c", "cryptopro-xcha", "cryptopro-xchb", "tc26-512-a", "tc26-512-b", "tc26-512-c" };

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "gcsr") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* A CSR (DER, *len bytes, OPENSSL_malloc'ed) of key, self-signed by hsm/ (CN=t). */
static unsigned char *
csr_der(struct hsm_key *key, int *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	struct pechat_error e;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"t", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, hsm_key_public(key)), 1);
	assert_int_equal(hsm_sign_req(key, req, &e), PECHAT_OK);
	*len = i2d_X509_REQ(req, &der);
	assert_true(*len > 0);
	X509_NAME_free(n);
	X509_REQ_free(req);
	return der;
}

/* A new key of alg in the temp dir. */
static struct hsm_key *
new_key(const char *alg, const char *file)
{
	char ref[400];
	struct hsm_key *key = NULL;
	struct pechat_error e;

	snprintf(ref, sizeof(ref), "file:%s/%s.key", tmpdir, file);
	assert_int_equal(hsm_key_generate(ref, alg, &key, &e), PECHAT_OK);
	return key;
}

/* ca_key_policy_check of der's key under p: its code ("" when OK). */
static const char *
policy(const struct pechat_profile_conf *p, const unsigned char *der, int len, struct pechat_error *e)
{
	X509_REQ *req = NULL;

	pechat_error_clear(e);
	assert_int_equal(ca_csr_parse(der, (size_t)len, &req, e), PECHAT_OK);
	if (ca_key_policy_check(p, X509_REQ_get0_pubkey(req), e) == PECHAT_OK)
		e->code[0] = '\0';
	X509_REQ_free(req);
	return e->code;
}

static void
test_every_paramset(void **state)
{
	struct pechat_profile_conf all, only_a;
	const struct pechat_gost_paramset_info *ps, *got;
	struct pechat_error e;
	char alg[64];
	size_t i;

	(void)state;
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		skip();
	memset(&all, 0, sizeof(all));
	pechat_strlcpy(all.name, "all", sizeof(all.name));
	all.key_algorithms = PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512;
	only_a = all;
	pechat_strlcpy(only_a.name, "only-a", sizeof(only_a.name));
	only_a.key_algorithms = PECHAT_KEYALG_GOST2012_256;
	only_a.gost_paramsets = PECHAT_GOST_TC26_256_A;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct hsm_key *key;
		unsigned char *der;
		int len;

		assert_non_null(ps = pechat_gost_paramset_by_name(sets[i]));
		snprintf(alg, sizeof(alg), "%s:%s", ps->keyalg == PECHAT_KEYALG_GOST2012_256 ? "gost2012-256" :
		    "gost2012-512", sets[i]);
		key = new_key(alg, sets[i]);
		got = pechat_gost_paramset_of_key(hsm_key_public(key));
		if (got == NULL || got != ps)
			fail_msg("%s: the key is on %s", sets[i], got != NULL ? got->name : "(none)");
		der = csr_der(key, &len);
		assert_string_equal(policy(&all, der, len, &e), "");
		if (ps->flag == PECHAT_GOST_TC26_256_A) {
			assert_string_equal(policy(&only_a, der, len, &e), "");
		} else if (ps->keyalg == PECHAT_KEYALG_GOST2012_256) {
			assert_string_equal(policy(&only_a, der, len, &e), "key_paramset_not_allowed");
			assert_int_equal(e.err, PECHAT_E_POLICY);
			assert_non_null(strstr(e.detail, sets[i]));
			assert_non_null(strstr(e.detail, "accepts tc26-256-a"));
		} else {        /* a 512 key on a 256-only profile */
			assert_string_equal(policy(&only_a, der, len, &e), "key_algorithm_not_allowed");
		}
		OPENSSL_free(der);
		hsm_key_free(key);
	}
	/* a bare name keeps the old default: CryptoPro A for 256, tc26 A for 512 */
	{
		struct hsm_key *k256 = new_key("gost2012-256", "bare256"), *k512 = new_key("gost2012-512", "bare512");

		assert_ptr_equal(pechat_gost_paramset_of_key(hsm_key_public(k256)),
		    pechat_gost_paramset_by_flag(PECHAT_GOST_CP_A));
		assert_ptr_equal(pechat_gost_paramset_of_key(hsm_key_public(k512)),
		    pechat_gost_paramset_by_flag(PECHAT_GOST_TC26_512_A));
		hsm_key_free(k256);
		hsm_key_free(k512);
	}
	/* a set of the other size, or no such set: refused, nothing written */
	pechat_error_clear(&e);
	{
		char ref[400];

		snprintf(ref, sizeof(ref), "file:%s/bad.key", tmpdir);
		assert_int_equal(hsm_key_generate(ref, "gost2012-256:tc26-512-a", NULL, &e), PECHAT_E_INVALID);
		assert_int_equal(hsm_key_generate(ref, "gost2012-512:nope", NULL, &e), PECHAT_E_INVALID);
		assert_int_equal(hsm_key_generate(ref, "gost2012-256x", NULL, &e), PECHAT_E_INVALID);
		assert_string_equal(e.code, "algorithm_unknown");
	}
}

/* Replaces the CSR's signatureAlgorithm OID (the outer one: a CSR has no other) with nid's. */
static unsigned char *
with_sigalg(const unsigned char *der, int len, int nid, int *outlen)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, len);
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char *out = NULL;

	assert_non_null(req);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL), 1);
	assert_int_equal(X509_REQ_set1_signature_algo(req, alg), 1);
	*outlen = i2d_X509_REQ(req, &out);
	assert_true(*outlen > 0);
	X509_ALGOR_free(alg);
	X509_REQ_free(req);
	return out;
}

/* ca_csr_parse of der: its code. */
static const char *
parse_code(const unsigned char *der, int len, struct pechat_error *e)
{
	X509_REQ *req = NULL;

	pechat_error_clear(e);
	if (ca_csr_parse(der, (size_t)len, &req, e) == PECHAT_OK)
		e->code[0] = '\0';
	X509_REQ_free(req);
	return e->code;
}

static void
test_digest_and_signature(void **state)
{
	struct hsm_key *k256, *k512;
	unsigned char *der, *bad;
	struct pechat_error e;
	int len, blen;

	(void)state;
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		skip();
	k256 = new_key("gost2012-256:tc26-256-a", "dig256");
	k512 = new_key("gost2012-512:tc26-512-a", "dig512");
	der = csr_der(k256, &len);
	assert_string_equal(parse_code(der, len, &e), "");
	/* a 256 key claiming Streebog-512, or SHA-256 */
	bad = with_sigalg(der, len, NID_id_tc26_signwithdigest_gost3410_2012_512, &blen);
	assert_string_equal(parse_code(bad, blen, &e), "csr_digest_key_mismatch");
	assert_int_equal(e.err, PECHAT_E_INVALID);
	assert_non_null(strstr(e.detail, "256-bit key"));
	assert_non_null(strstr(e.detail, "gost3410-2012-512"));
	OPENSSL_free(bad);
	bad = with_sigalg(der, len, NID_sha256WithRSAEncryption, &blen);
	assert_string_equal(parse_code(bad, blen, &e), "csr_digest_key_mismatch");
	assert_non_null(strstr(e.detail, "RSA-SHA256"));
	OPENSSL_free(bad);
	bad = with_sigalg(der, len, NID_ecdsa_with_SHA256, &blen);
	assert_string_equal(parse_code(bad, blen, &e), "csr_digest_key_mismatch");
	OPENSSL_free(bad);
	/* a corrupted signature: the last byte of the BIT STRING */
	der[len - 1] ^= 0x01;
	assert_string_equal(parse_code(der, len, &e), "csr_signature_invalid");
	OPENSSL_free(der);
	/* a 512 key claiming Streebog-256 */
	der = csr_der(k512, &len);
	assert_string_equal(parse_code(der, len, &e), "");
	bad = with_sigalg(der, len, NID_id_tc26_signwithdigest_gost3410_2012_256, &blen);
	assert_string_equal(parse_code(bad, blen, &e), "csr_digest_key_mismatch");
	assert_non_null(strstr(e.detail, "512-bit key"));
	OPENSSL_free(bad);
	OPENSSL_free(der);
	hsm_key_free(k256);
	hsm_key_free(k512);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_paramset),
		cmocka_unit_test(test_digest_and_signature),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
