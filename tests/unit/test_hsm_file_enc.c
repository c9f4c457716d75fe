/*
 * Unit tests for hsm/: encrypted "file:" keys — passphrase-source=file:/env:
 * on open and generate, a wrong passphrase, an encrypted key without a
 * source, a source on a plain key, passphrase file checks, and the real
 * openssl client reading a key hsm/ wrote encrypted (and writing one hsm/ reads).
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
#include <unistd.h>

#include <openssl/evp.h>

#include "hsm/hsm.h"
#include "ca_fixture.h"
#include "hsm_test.h"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "hsm-enc") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* tmpdir/name into buf. */
static const char *
tpath(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s", tmpdir, name);
	return buf;
}

/* Writes text (plus a newline) to tmpdir/name with mode. */
static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	tpath(path, sizeof(path), name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", text);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* Runs a shell command in tmpdir; its exit status. */
static int
run(const char *fmt, const char *a, const char *b)
{
	char cmd[4096], c2[1800];

	snprintf(c2, sizeof(c2), fmt, a, b);
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s >/dev/null 2>&1", tmpdir, c2);
	return system(cmd);
}

/* 1 if tmpdir/name contains needle. */
static int
file_has(const char *name, const char *needle)
{
	char path[512], buf[8192];
	size_t n;
	FILE *f;

	assert_non_null(f = fopen(tpath(path, sizeof(path), name), "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* hsm_test_sign_verify with SHA-256, and the key's status check. */
static void
sign_verify(struct hsm_key *k)
{
	struct pechat_error e;

	hsm_test_sign_verify(k, EVP_sha256());
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
}

/* Opens ref expecting key_unavailable with `needle` in the detail. */
static void
open_refused(const char *ref, const char *needle)
{
	struct hsm_key *k = NULL;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_null(k);
	assert_string_equal(e.code, "key_unavailable");
	if (strstr(e.detail, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", e.detail, needle);
}

/* An encrypted key made by the openssl client opens with a file and an env source. */
static void
open_encrypted(const char *name, const char *genargs)
{
	char ref[2048], pass[512], key[512], kf[64];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	write_file("pass", "correct horse battery staple", 0600);
	snprintf(kf, sizeof(kf), "%s.pem", name);
	assert_int_equal(run("openssl genpkey %s -aes-256-cbc -pass file:pass -out %s", genargs, kf), 0);
	assert_true(file_has(kf, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", tpath(key, sizeof(key), kf),
	    tpath(pass, sizeof(pass), "pass"));
	pechat_error_clear(&e);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_string_equal(hsm_key_ref(k), ref);
	sign_verify(k);
	hsm_key_free(k);
	k = NULL;

	setenv("PECHAT_PASS_TEST", "correct horse battery staple", 1);
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=env:PECHAT_PASS_TEST", key);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	sign_verify(k);
	hsm_key_free(k);

	/* wrong passphrase: key_unavailable "wrong passphrase", nothing opened */
	setenv("PECHAT_PASS_TEST", "Correct horse battery staple", 1);
	open_refused(ref, "wrong passphrase");
	unsetenv("PECHAT_PASS_TEST");
	open_refused(ref, "PECHAT_PASS_TEST unset");

	/* encrypted without a source: refused, saying what to give */
	snprintf(ref, sizeof(ref), "file:%s", key);
	open_refused(ref, "is encrypted: give passphrase-source=");
}

static void
test_open_ec(void **state)
{
	(void)state;
	open_encrypted("ec", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
}

static void
test_open_rsa(void **state)
{
	(void)state;
	open_encrypted("rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
}

/* A passphrase source on a plain key is refused; bad source forms are refused. */
static void
test_plain_with_source(void **state)
{
	char ref[2048], key[512], pass[512];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	write_file("pass", "secret", 0600);
	tpath(key, sizeof(key), "plain.pem");
	snprintf(ref, sizeof(ref), "file:%s", key);
	assert_int_equal(hsm_key_generate(ref, "ec-p256", NULL, &e), PECHAT_OK);
	assert_false(file_has("plain.pem", "ENCRYPTED"));
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_key_free(k);
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, tpath(pass, sizeof(pass), "pass"));
	open_refused(ref, "is not encrypted");
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=env:HOME", key);
	open_refused(ref, "passphrase-source: value not accepted");
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=secret", key);
	open_refused(ref, "passphrase-source: value not accepted");
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:pass", key);
	open_refused(ref, "passphrase-source: value not accepted");
}

/* Passphrase files: group/other bits, symlinks, empty and overlong are refused naming the file. */
static void
test_pass_file_rules(void **state)
{
	char ref[2048], key[512], pass[512], link[512], big[1100];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	write_file("pass", "correct horse battery staple", 0600);
	assert_int_equal(run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-aes-256-cbc -pass file:%s -out %s", "pass", "rules.pem"), 0);
	tpath(key, sizeof(key), "rules.pem");
	tpath(pass, sizeof(pass), "pass");
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, pass);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_key_free(k);

	assert_int_equal(chmod(pass, 0644), 0);
	open_refused(ref, pass);
	open_refused(ref, "mode 0600 or stricter");
	assert_int_equal(chmod(pass, 0600), 0);

	tpath(link, sizeof(link), "pass-link");
	unlink(link);
	assert_int_equal(symlink(pass, link), 0);
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, link);
	open_refused(ref, link);

	write_file("empty", "", 0600);
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, tpath(pass, sizeof(pass), "empty"));
	open_refused(ref, "empty");

	memset(big, 'a', 1025);
	big[1025] = '\0';
	write_file("big", big, 0600);
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, tpath(pass, sizeof(pass), "big"));
	open_refused(ref, "longer than 1024 bytes");
	big[1024] = '\0';       /* exactly 1024 bytes: accepted (the key is for another passphrase) */
	write_file("big", big, 0600);
	open_refused(ref, "wrong passphrase");

	if (geteuid() == 0) {   /* owned by someone else: only root can make such a file */
		tpath(pass, sizeof(pass), "pass");
		assert_int_equal(chown(pass, 65534, 65534), 0);
		snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", key, pass);
		open_refused(ref, "owned by this user");
		assert_int_equal(chown(pass, 0, 0), 0);
	}
}

/* Generate with a source: an encrypted PKCS#8 that hsm/ reopens and the openssl client reads. */
static void
test_generate_encrypted(void **state)
{
	char ref[2048], key[512], pass[512];
	struct hsm_key *k = NULL, *k2 = NULL;
	struct pechat_error e;
	const char *algs[] = { "ec-p256", "rsa-2048" };
	size_t i;

	(void)state;
	write_file("gpass", "a ceremony passphrase", 0600);
	tpath(pass, sizeof(pass), "gpass");
	for (i = 0; i < 2; i++) {
		char kf[64];

		snprintf(kf, sizeof(kf), "gen-%s.pem", algs[i]);
		snprintf(ref, sizeof(ref), "file:%s?passphrase-source=file:%s", tpath(key, sizeof(key), kf), pass);
		pechat_error_clear(&e);
		assert_int_equal(hsm_key_generate(ref, algs[i], &k, &e), PECHAT_OK);
		assert_true(file_has(kf, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
		assert_false(file_has(kf, "-----BEGIN PRIVATE KEY-----"));
		assert_int_equal(hsm_key_open(ref, &k2, &e), PECHAT_OK);
		assert_int_equal(EVP_PKEY_eq(hsm_key_public(k), hsm_key_public(k2)), 1);
		sign_verify(k2);
		hsm_key_free(k);
		hsm_key_free(k2);
		k = k2 = NULL;
		/* a real client: openssl reads it with the passphrase, and not without */
		assert_int_equal(run("openssl pkey -in %s -passin file:%s -noout", kf, "gpass"), 0);
		assert_int_not_equal(run("openssl pkey -in %s -passin pass:wrong%s -noout", kf, ""), 0);
		assert_int_equal(run("openssl asn1parse -in %s | grep -q PBKDF2%s", kf, ""), 0);
		assert_int_equal(run("openssl asn1parse -in %s | grep -q hmacWithSHA256%s", kf, ""), 0);
		assert_int_equal(run("openssl asn1parse -in %s | grep -q aes-256-cbc%s", kf, ""), 0);
		/* never overwrites */
		assert_int_equal(hsm_key_generate(ref, algs[i], NULL, &e), PECHAT_E_CONFLICT);
	}
	/* a generate whose source cannot be read writes nothing */
	snprintf(ref, sizeof(ref), "file:%s?passphrase-source=env:PECHAT_PASS_NOT_SET",
	    tpath(key, sizeof(key), "never.pem"));
	unsetenv("PECHAT_PASS_NOT_SET");
	assert_int_equal(hsm_key_generate(ref, "ec-p256", NULL, &e), PECHAT_E_UNAVAILABLE);
	assert_int_not_equal(access(key, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_ec),
		cmocka_unit_test(test_open_rsa),
		cmocka_unit_test(test_plain_with_source),
		cmocka_unit_test(test_pass_file_rules),
		cmocka_unit_test(test_generate_encrypted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
