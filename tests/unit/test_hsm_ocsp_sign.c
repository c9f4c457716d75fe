/*
 * Unit tests for hsm/sign.c's OCSP signing (hsm_sign_ocsp): the signature
 * check after signing uses a verification context made once per key
 * (hsm_key.verify_tmpl) and copied per answer; every answer still verifies
 * with OCSP_basic_verify, from several threads at once, and a damaged
 * signature is still refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "hsm/hsm.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"
#include "hsm_test.h"

#define OCSP_THREADS 4
#define OCSP_PER_THREAD 25

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "hsm-ocsp") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* A new key of alg in the test directory, file name (owned by the caller). */
static struct hsm_key *
key_new(const char *alg, const char *name)
{
	struct hsm_key *k = NULL;
	struct pechat_error e;
	char ref[512];

	snprintf(ref, sizeof(ref), "file:%s/%s.key", tmpdir, name);
	assert_int_equal(hsm_key_generate(ref, alg, &k, &e), PECHAT_OK);
	return k;
}

/* A ResponseData with one good SingleResponse for serial (owned by the caller), as ca/ocsp.c builds them. */
static OCSP_BASICRESP *
answer_tbs(X509 *issuer, long serial)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *tu = ASN1_TIME_set(NULL, time(NULL)), *nu = ASN1_TIME_set(NULL, time(NULL) + 3600);
	OCSP_CERTID *id;

	assert_non_null(bs);
	assert_non_null(sn);
	assert_int_equal(ASN1_INTEGER_set(sn, serial), 1);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), sn);
	assert_non_null(id);
	assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, OCSP_REVOKED_STATUS_NOSTATUS, NULL,
	    tu, nu));
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return bs;
}

/* Signs one answer with k (responder certificate cert) and checks it as a relying party would. */
static void
sign_and_check(struct hsm_key *k, X509 *cert, long serial)
{
	OCSP_BASICRESP *bs = answer_tbs(cert, serial);
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct pechat_error e;

	assert_non_null(certs);
	assert_int_equal(hsm_sign_ocsp(k, bs, cert, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, &e), PECHAT_OK);
	assert_int_equal(sk_X509_push(certs, cert), 1);
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
}

/*
 * The verification context is made by the first answer and kept: later
 * answers copy it (same pointer), each verifies, and a damaged signature is
 * refused with it ("signature_check_failed") without replacing it.
 */
static void
test_verify_template_kept(void **state)
{
	static const char *const algs[] = { "ec-p256", "rsa-2048", "ed25519" };
	struct pechat_error e;
	EVP_MD_CTX *first;
	OCSP_BASICRESP *bs;
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct hsm_key *k = key_new(algs[i], algs[i]);
		X509 *cert = hsm_test_tbs_cert(k);

		assert_null(atomic_load(&k->verify_tmpl));
		sign_and_check(k, cert, 1);
		first = atomic_load(&k->verify_tmpl);
		assert_non_null(first);
		for (n = 2; n <= 4; n++) {
			sign_and_check(k, cert, n);
			assert_ptr_equal(atomic_load(&k->verify_tmpl), first);
		}
		bs = answer_tbs(cert, 5);
		hsm_test_corrupt_next_signature();
		assert_int_equal(hsm_sign_ocsp(k, bs, cert, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, &e), PECHAT_E_INTERNAL);
		assert_string_equal(e.code, "signature_check_failed");
		assert_ptr_equal(atomic_load(&k->verify_tmpl), first);
		OCSP_BASICRESP_free(bs);
		sign_and_check(k, cert, 6);     /* the seam hits one signature only */
		X509_free(cert);
		hsm_key_free(k);
	}
}

struct ocsp_job {
	struct hsm_key *k;
	X509 *cert;
	long base;
	int good;
};

/* OCSP_PER_THREAD answers, each verified by a relying party's check; counts the good ones. */
static void *
ocsp_worker(void *arg)
{
	struct ocsp_job *j = arg;
	struct pechat_error e;
	STACK_OF(X509) *certs = sk_X509_new_null();
	OCSP_BASICRESP *bs;
	int i;

	for (i = 0; certs != NULL && i < OCSP_PER_THREAD; i++) {
		bs = answer_tbs(j->cert, j->base + i);
		if (hsm_sign_ocsp(j->k, bs, j->cert, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, &e) == PECHAT_OK &&
		    sk_X509_push(certs, j->cert) == 1 &&
		    OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER) == 1)
			j->good++;
		(void)sk_X509_pop(certs);
		OCSP_BASICRESP_free(bs);
	}
	sk_X509_free(certs);
	return NULL;
}

/* Threads racing to make the template (a fresh key) and then sharing it: every answer verifies. */
static void
test_threads(void **state)
{
	struct ocsp_job jobs[OCSP_THREADS];
	pthread_t th[OCSP_THREADS];
	struct hsm_key *k = key_new("ec-p256", "threads");
	X509 *cert;
	int i;

	(void)state;
	cert = hsm_test_tbs_cert(k);
	for (i = 0; i < OCSP_THREADS; i++) {
		jobs[i].k = k;
		jobs[i].cert = cert;
		jobs[i].base = 1000L * (i + 1);
		jobs[i].good = 0;
		assert_int_equal(pthread_create(&th[i], NULL, ocsp_worker, &jobs[i]), 0);
	}
	for (i = 0; i < OCSP_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].good, OCSP_PER_THREAD);
	}
	assert_non_null(atomic_load(&k->verify_tmpl));
	X509_free(cert);
	hsm_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_template_kept),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
