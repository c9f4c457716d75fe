/*
 * Unit tests for hsm/ "engine:ID:KEY-ID" keys with a real ENGINE from
 * Debian (libengine-pkcs11-openssl, engine id "pkcs11") over SoftHSM2
 * tokens made by tests/tools/softhsm-token.sh: open, sign a certificate, a
 * CRL (and the other objects) through the signing API and verify them;
 * refusals (unknown engine, bad reference, no such key, factory PIN, no PIN
 * source, a second PIN source for the engine) answer key_unavailable with a
 * clear detail; a wrong PIN is answered once and never again. Skipped (with a message) only when
 * SoftHSM2, p11tool or the pkcs11 engine is not installed. Cases that need a
 * fresh engine (one PIN source per engine per process) run in a child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hsm/hsm.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"
#include "hsm_test.h"

static char tmpdir[256];
static int have_engine;

/* Writes a PIN file (mode 0600). */
static void
pin_file(const char *name, const char *pin)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", pin);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* 1 if the pkcs11 engine is installed in this OpenSSL's ENGINESDIR. */
static int
engine_installed(void)
{
	const char *v = OpenSSL_version(OPENSSL_ENGINES_DIR);       /* ENGINESDIR: "/usr/lib/..." */
	const char *q1 = strchr(v, '"'), *q2 = strrchr(v, '"');
	char path[1024];
	struct stat st;

	if (q1 == NULL || q2 <= q1)
		return 0;
	snprintf(path, sizeof(path), "%.*s/pkcs11.so", (int)(q2 - q1 - 1), q1 + 1);
	return stat(path, &st) == 0;
}

static int
setup(void **state)
{
	char module[1024];
	int rc;

	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "hsm-engine") != 0)
		return -1;
	if (!engine_installed()) {
		fprintf(stderr, "test_hsm_engine: libengine-pkcs11-openssl not installed; engine tests skipped\n");
		return 0;
	}
	if ((rc = hsm_test_softhsm_tokens(tmpdir, module, sizeof(module))) == 77) {
		fprintf(stderr, "test_hsm_engine: SoftHSM2 or p11tool not installed; engine tests skipped\n");
		return 0;
	}
	if (rc != 0)
		return -1;
	/* the engine's module: libp11's engine reads PKCS11_MODULE_PATH (or MODULE_PATH in openssl.cnf) */
	setenv("PKCS11_MODULE_PATH", module, 1);
	have_engine = 1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* An engine: reference to a key on the token with PIN file `pin` and extra query text. */
static void
ref_for(char *buf, size_t sz, const char *token, const char *id, const char *pin, const char *extra)
{
	snprintf(buf, sz, "engine:pkcs11:pkcs11:token=%s;id=%s;type=private?pin-source=file:%s/%s%s", token, id,
	    tmpdir, pin, extra);
}

/* Opens ref: 0 if the result is want_rc with `want` in the detail (no cmocka: used in a child). */
static int
open_is(const char *ref, enum pechat_err want_rc, const char *want)
{
	struct hsm_key *k = NULL;
	struct pechat_error e;
	enum pechat_err rc;
	int bad;

	pechat_error_clear(&e);
	rc = hsm_key_open(ref, &k, &e);
	bad = rc != want_rc || (want != NULL && strstr(e.detail, want) == NULL);
	if (bad)
		fprintf(stderr, "open %s: %d \"%s\"\n", ref, (int)rc, e.detail);
	hsm_key_free(k);
	return bad;
}

/* Runs fn in a child process (a fresh engine: one PIN source per engine per process); its exit status. */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(NULL);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* Child: a factory-default PIN is accepted for a development key, which then signs. */
static int
child_development(void)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned char sig[HSM_SIG_MAX];
	size_t siglen = sizeof(sig);

	ref_for(ref, sizeof(ref), "pechat-dev", "%01", "devpin", "&development=1");
	if (hsm_key_open(ref, &k, &e) != PECHAT_OK)
		return 1;
	if (hsm_sign_data(k, (const unsigned char *)"x", 1, sig, &siglen, &e) != PECHAT_OK)
		return 2;
	hsm_key_free(k);
	return 0;
}

/* Child: a wrong PIN is answered once; the next open with it gets no answer (never retried). */
static int
child_wrong_pin(void)
{
	char ref[2048];
	unsigned long before = hsm_engine_pin_questions();

	ref_for(ref, sizeof(ref), "pechat-locked", "%01", "badpin", "");
	if (open_is(ref, PECHAT_E_UNAVAILABLE, "engine \"pkcs11\"") != 0)
		return 1;
	if (hsm_engine_pin_questions() != before + 1)
		return 2;
	if (open_is(ref, PECHAT_E_UNAVAILABLE, "not retried") != 0)
		return 3;
	return 0;
}

/*
 * A factory-default PIN works for a development key; with a wrong PIN, one
 * answer and no retry. Runs first: the children must not inherit an engine
 * this process has used.
 */
static void
test_engine_pins(void **state)
{
	(void)state;
	if (!have_engine)
		skip();
	pin_file("devpin", "12345678");
	pin_file("badpin", "9999-9999");
	assert_int_equal(in_child(child_development), 0);
	assert_int_equal(in_child(child_wrong_pin), 0);
}

/* EC P-256 and RSA-3072 through the engine: a certificate and a CRL signed and verified, and the rest. */
static void
test_engine_sign(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	X509 *cert;
	X509_CRL *crl;

	(void)state;
	if (!have_engine)
		skip();
	pin_file("pin", "4711-4711");
	ref_for(ref, sizeof(ref), "pechat-test", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_string_equal(hsm_key_ref(k), ref);
	assert_int_equal(EVP_PKEY_get_base_id(hsm_key_public(k)), EVP_PKEY_EC);
	cert = hsm_test_tbs_cert(k);
	crl = hsm_test_tbs_crl();
	assert_int_equal(hsm_sign_x509(k, cert, &e), PECHAT_OK);
	assert_int_equal(X509_verify(cert, hsm_key_public(k)), 1);
	assert_int_equal(hsm_sign_crl(k, crl, &e), PECHAT_OK);
	assert_int_equal(X509_CRL_verify(crl, hsm_key_public(k)), 1);
	X509_free(cert);
	X509_CRL_free(crl);
	hsm_test_signed_objects(k, EVP_sha256());
	hsm_test_corrupted(k);
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
	hsm_key_free(k);

	ref_for(ref, sizeof(ref), "pechat-test", "%02", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_get_base_id(hsm_key_public(k)), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(hsm_key_public(k)), 3072);
	hsm_test_signed_objects(k, EVP_sha256());
	hsm_key_free(k);
}

/* Opens ref and expects key_unavailable with `want` in the detail. */
static void
refused(const char *ref, const char *want)
{
	struct hsm_key *k = NULL;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_null(k);
	assert_string_equal(e.code, "key_unavailable");
	if (strstr(e.detail, want) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", e.detail, want);
}

/* Bad references, unknown engine, no such key: key_unavailable with a clear detail. */
static void
test_engine_refusals(void **state)
{
	char ref[2048], big[3000];

	(void)state;
	refused("engine:", "engine:ID:KEY-ID");
	refused("engine:pkcs11", "engine:ID:KEY-ID");
	refused("engine::x", "engine:ID:KEY-ID");
	refused("engine:bad id:x", "only A-Z a-z 0-9 _ -");
	refused("engine:a/b:x", "only A-Z a-z 0-9 _ -");
	refused("engine:abcdefghijabcdefghijabcdefghijabc:x", "engine:ID:KEY-ID");
	refused("engine:pkcs11:", "key id empty");
	refused("engine:pkcs11:a b", "printable ASCII");
	refused("engine:pkcs11:a\x01", "printable ASCII");
	refused("engine:pkcs11:x?pin-value=1234", "unknown or repeated parameter");
	refused("engine:pkcs11:x?pin-source=relative", "pin-source");
	refused("engine:pkcs11:x?pin-source=env:HOME", "pin-source");
	refused("engine:pkcs11:x?development=1&development=1", "unknown or repeated parameter");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "engine:pkcs11:", 14);
	refused(big, "longer than");
	refused("engine:pechat-no-such-engine:x", "engine \"pechat-no-such-engine\" not found");
	if (!have_engine)
		skip();
	pin_file("pin", "4711-4711");
	ref_for(ref, sizeof(ref), "pechat-test", "%09", "pin", "");
	refused(ref, "no such key");
	pin_file("nopin", "");
	ref_for(ref, sizeof(ref), "pechat-test", "%01", "nopin", "");
	refused(ref, "PIN file");
	/* the factory-default PIN of pechat-dev is refused unless development=1 */
	pin_file("devpin", "12345678");
	ref_for(ref, sizeof(ref), "pechat-dev", "%01", "devpin", "");
	refused(ref, "factory default");
	/* this process's engine holds the PIN source "pin" (test_engine_sign): another is refused */
	ref_for(ref, sizeof(ref), "pechat-dev", "%01", "devpin", "&development=1");
	refused(ref, "one PIN source per engine");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_pins),
		cmocka_unit_test(test_engine_sign),
		cmocka_unit_test(test_engine_refusals),
	};

	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, setup, teardown);
}
