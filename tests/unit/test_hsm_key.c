/* Unit tests for hsm/: file keys — generate, never overwrite, open, sign, status, PKCS#12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "hsm/hsm.h"
#include "ca_fixture.h"
#include "hsm_test.h"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "hsm") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

static void
ref_for(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "file:%s/sub/dir/%s.key", tmpdir, name);
}

static void
gen_check(const char *alg, int type, const EVP_MD *md)
{
	char ref[512];
	struct hsm_key *k = NULL, *k2 = NULL;
	struct pechat_error e;
	struct stat st;

	ref_for(ref, sizeof(ref), alg);
	pechat_error_clear(&e);
	assert_int_equal(hsm_key_generate(ref, alg, &k, &e), PECHAT_OK);
	assert_non_null(k);
	assert_string_equal(hsm_key_ref(k), ref);
	assert_int_equal(EVP_PKEY_get_base_id(hsm_key_public(k)), type);
	assert_int_equal(stat(ref + 5, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the key file is PKCS#8 PEM */
	{
		FILE *f = fopen(ref + 5, "r");
		char line[64] = "";

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		assert_string_equal(line, "-----BEGIN PRIVATE KEY-----\n");
	}
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
	hsm_test_signed_objects(k, md);
	hsm_test_corrupted(k);
	/* reopen: same public key */
	assert_int_equal(hsm_key_open(ref, &k2, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_eq(hsm_key_public(k), hsm_key_public(k2)), 1);
	/* never overwritten */
	assert_int_equal(hsm_key_generate(ref, alg, NULL, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "key_exists");
	hsm_key_free(k);
	hsm_key_free(k2);
}

static void
test_generate_ec(void **state)
{
	char dir[300];
	struct stat st;

	(void)state;
	gen_check("ec-p256", EVP_PKEY_EC, EVP_sha256());
	gen_check("ec-p384", EVP_PKEY_EC, EVP_sha384());
	gen_check("ec-p521", EVP_PKEY_EC, EVP_sha512());
	snprintf(dir, sizeof(dir), "%s/sub/dir", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_generate_rsa_ed25519(void **state)
{
	char ref[512];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	gen_check("rsa-2048", EVP_PKEY_RSA, EVP_sha256());
	gen_check("ed25519", EVP_PKEY_ED25519, NULL);
	ref_for(ref, sizeof(ref), "rsa3072");
	assert_int_equal(hsm_key_generate(ref, "rsa-3072", &k, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_get_bits(hsm_key_public(k)), 3072);
	hsm_key_free(k);
}

static void
test_generate_gost(void **state)
{
	char ref[512];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	const EVP_MD *md = EVP_get_digestbyname("md_gost12_256");

	(void)state;
	ref_for(ref, sizeof(ref), "gost256");
	if (md == NULL) {
		/* no gost-engine: a clean refusal, never a crash */
		assert_int_equal(hsm_key_generate(ref, "gost2012-256", &k, &e), PECHAT_E_UNAVAILABLE);
		assert_string_equal(e.code, "algorithm_unavailable");
		assert_null(k);
		skip();
	}
	gen_check("gost2012-256", NID_id_GostR3410_2012_256, md);
	gen_check("gost2012-512", NID_id_GostR3410_2012_512, EVP_get_digestbyname("md_gost12_512"));
}

#define SIGN_THREADS 4
#define SIGNS_PER_THREAD 25

struct sign_job {
	struct hsm_key *k;
	const EVP_MD *md;
	int n;
	int good;       /* out: signatures that verified independently */
};

/* One thread's share: hsm_sign_data and hsm_sign_x509, each checked here with the public key. */
static void *
sign_worker(void *arg)
{
	struct sign_job *j = arg;
	unsigned char msg[32], sig[512];
	struct pechat_error e;
	int i;

	for (i = 0; i < SIGNS_PER_THREAD; i++) {
		EVP_MD_CTX *v = EVP_MD_CTX_new();
		X509 *cert = hsm_test_tbs_cert(j->k);
		size_t siglen = sizeof(sig);

		snprintf((char *)msg, sizeof(msg), "thread %d message %d", j->n, i);
		if (v != NULL && cert != NULL &&
		    hsm_sign_data(j->k, msg, sizeof(msg), sig, &siglen, &e) == PECHAT_OK &&
		    EVP_DigestVerifyInit(v, NULL, j->md, NULL, hsm_key_public(j->k)) == 1 &&
		    EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)) == 1 &&
		    hsm_sign_x509(j->k, cert, &e) == PECHAT_OK && X509_verify(cert, hsm_key_public(j->k)) == 1)
			j->good++;
		X509_free(cert);
		EVP_MD_CTX_free(v);
	}
	return NULL;
}

/*
 * One key signing from several threads at once (each signature's context is
 * a copy of the key's template, hsm/sign.c): every signature verifies, from
 * the first (template made by racing threads) on; a damaged one is still refused.
 */
static void
test_sign_threads(void **state)
{
	static const struct { const char *alg; const char *md; } kinds[] = {
		{ "ec-p256", "SHA256" }, { "ed25519", NULL },
	};
	struct sign_job jobs[SIGN_THREADS];
	pthread_t th[SIGN_THREADS];
	struct pechat_error e;
	char ref[512], name[64];
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct hsm_key *key = NULL;

		snprintf(name, sizeof(name), "threads-%s", kinds[k].alg);
		ref_for(ref, sizeof(ref), name);
		assert_int_equal(hsm_key_generate(ref, kinds[k].alg, &key, &e), PECHAT_OK);
		for (i = 0; i < SIGN_THREADS; i++) {
			jobs[i].k = key;
			jobs[i].md = kinds[k].md != NULL ? EVP_get_digestbyname(kinds[k].md) : NULL;
			jobs[i].n = i;
			jobs[i].good = 0;
			assert_int_equal(pthread_create(&th[i], NULL, sign_worker, &jobs[i]), 0);
		}
		for (i = 0; i < SIGN_THREADS; i++) {
			assert_int_equal(pthread_join(th[i], NULL), 0);
			assert_int_equal(jobs[i].good, SIGNS_PER_THREAD);
		}
		hsm_test_corrupted(key);
		hsm_key_free(key);
	}
}

static void
test_bad_inputs(void **state)
{
	char ref[512];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	FILE *f;

	(void)state;
	ref_for(ref, sizeof(ref), "bad");
	assert_int_equal(hsm_key_generate(ref, "dsa-1024", &k, &e), PECHAT_E_INVALID);
	assert_int_equal(hsm_key_generate(ref, "rsa-1024", &k, &e), PECHAT_E_INVALID);
	assert_null(k);
	assert_int_equal(access(ref + 5, F_OK), -1);   /* nothing written */
	assert_int_equal(hsm_key_generate("pkcs11:token=x", "ec-p256", &k, &e), PECHAT_E_UNAVAILABLE);
	assert_int_equal(hsm_key_open("file:/nonexistent/x.key", &k, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_int_equal(hsm_key_open("nonsense", &k, &e), PECHAT_E_UNAVAILABLE);
	/* a file that is not a key */
	f = fopen(ref + 5, "w");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_null(k);
	assert_int_equal(hsm_key_status(NULL, &e), PECHAT_E_UNAVAILABLE);
	hsm_key_free(NULL);
}

static void
test_pkcs12(void **state)
{
	char ref[512];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	PKCS12 *p12;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;

	(void)state;
	ref_for(ref, sizeof(ref), "p12");
	assert_int_equal(hsm_key_generate(ref, "ec-p256", &k, &e), PECHAT_OK);
	assert_int_equal(hsm_key_pkcs12(k, NULL, NULL, "x", "secret", &der, &len, &e), PECHAT_OK);
	p = der;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_verify_mac(p12, "secret", -1), 1);
	assert_int_equal(PKCS12_verify_mac(p12, "wrong", -1), 0);
	assert_int_equal(PKCS12_parse(p12, "secret", &pkey, &cert, NULL), 1);
	assert_int_equal(EVP_PKEY_eq(pkey, hsm_key_public(k)), 1);
	EVP_PKEY_free(pkey);
	X509_free(cert);
	PKCS12_free(p12);
	OPENSSL_free(der);
	hsm_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_ec),
		cmocka_unit_test(test_generate_rsa_ed25519),
		cmocka_unit_test(test_generate_gost),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_sign_threads),
		cmocka_unit_test(test_pkcs12),
	};

	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, setup, teardown);
}
