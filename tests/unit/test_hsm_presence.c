/*
 * Unit tests for hsm/presence.c without pcscd: the PC/SC state mapping, the
 * reader state machine and its change callback, the test seam (its gate, the
 * file format, a seamed file key refusing to sign until it returns), the
 * watcher thread following the seam file, the reader= attribute of pkcs11:
 * references and the redaction of secret sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "hsm/hsm.h"
#include "hsm/p11.h"
#include "hsm/presence.h"
#include "ca_fixture.h"
#include "hsm_test.h"

#define SEAM_ENV "PECHAT_TEST_TOKEN_PRESENCE"

static char tmpdir[256];
static int calls;       /* change callbacks seen */

static void
count_change(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
}

/* The callbacks seen so far (written by the watcher thread). */
static int
seen(void)
{
	return __atomic_load_n(&calls, __ATOMIC_SEQ_CST);
}

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "presence") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* Each test starts with no reader, no seam name, the seam off. */
static int
reset(void **state)
{
	(void)state;
	presence_reset();
	unsetenv(SEAM_ENV);
	__atomic_store_n(&calls, 0, __ATOMIC_SEQ_CST);
	return 0;
}

static void
test_from_scard(void **state)
{
	(void)state;
	assert_int_equal(presence_from_scard(SCARD_STATE_PRESENT), HSM_PRESENCE_PRESENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_PRESENT | SCARD_STATE_INUSE | SCARD_STATE_CHANGED),
	    HSM_PRESENCE_PRESENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_EMPTY), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_EMPTY | SCARD_STATE_CHANGED), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_PRESENT | SCARD_STATE_MUTE), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_UNKNOWN | SCARD_STATE_CHANGED), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_UNAVAILABLE), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_from_scard(SCARD_STATE_UNAWARE), HSM_PRESENCE_UNKNOWN);
}

/* Reader states move unknown -> present -> absent -> present; only changes count and call back. */
static void
test_state_machine(void **state)
{
	struct pechat_error e;
	unsigned long gen;

	(void)state;
	assert_int_equal(hsm_presence_start(count_change, NULL, &e), PECHAT_OK);  /* nothing to watch: no thread */
	assert_int_equal(presence_watch("Reader A"), 0);
	assert_int_equal(presence_watch("Reader A"), 0);       /* once */
	assert_int_equal(presence_watch(""), -1);
	assert_int_equal(presence_of("ref", "tok", "Reader A"), HSM_PRESENCE_UNKNOWN);
	assert_int_equal(presence_of("ref", "tok", ""), HSM_PRESENCE_NONE);
	assert_int_equal(presence_of("ref", "tok", "Reader B"), HSM_PRESENCE_UNKNOWN);   /* not followed */
	gen = presence_generation();
	assert_int_equal(presence_update("Reader A", HSM_PRESENCE_PRESENT), 1);
	assert_int_equal(presence_update("Reader A", HSM_PRESENCE_PRESENT), 0);
	assert_int_equal(presence_of("ref", "tok", "Reader A"), HSM_PRESENCE_PRESENT);
	assert_int_equal(presence_update("Reader A", HSM_PRESENCE_ABSENT), 1);
	assert_int_equal(presence_of("ref", "tok", "Reader A"), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_update("Reader A", HSM_PRESENCE_PRESENT), 1);
	assert_int_equal(presence_update("Reader B", HSM_PRESENCE_ABSENT), -1);
	assert_int_equal(presence_generation() - gen, 3);
	assert_int_equal(calls, 3);
	hsm_presence_stop();
}

static void
test_seam_gate_and_file(void **state)
{
	(void)state;
	/* off: the seam refuses, whatever the name */
	assert_int_equal(hsm_presence_set("file:/x.key", 0), -1);
	assert_int_equal(presence_of("file:/x.key", "", ""), HSM_PRESENCE_NONE);
	setenv(SEAM_ENV, "/nonexistent", 1);
	assert_int_equal(hsm_presence_set("file:/x.key", 0), 0);
	assert_int_equal(presence_of("file:/x.key", "", ""), HSM_PRESENCE_ABSENT);
	assert_int_equal(hsm_presence_set("file:/x.key", 1), 0);
	assert_int_equal(presence_of("file:/x.key", "", ""), HSM_PRESENCE_NONE);
	/* the file's format: a name per line, comments and blanks skipped, exactly these absent */
	assert_int_equal(presence_seam_apply("# test\n\n  tokA  \nReader R\r\ntokA\n"), 2);
	assert_int_equal(presence_of("pkcs11:x", "tokA", ""), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_of("pkcs11:x", "tokB", "Reader R"), HSM_PRESENCE_ABSENT);
	assert_int_equal(presence_of("pkcs11:x", "tokB", ""), HSM_PRESENCE_NONE);
	assert_int_equal(presence_seam_apply("Reader R\n"), 1);        /* tokA back */
	assert_int_equal(presence_of("pkcs11:x", "tokA", ""), HSM_PRESENCE_NONE);
	assert_int_equal(presence_seam_apply("Reader R\n"), 0);
	assert_int_equal(presence_seam_apply(""), 1);
	assert_int_equal(presence_of("pkcs11:x", "tokB", "Reader R"), HSM_PRESENCE_UNKNOWN);
}

/* A file key named by the seam: signing and status refuse "token absent"; back, it signs again. */
static void
test_key_absent_and_back(void **state)
{
	char ref[512], reader[16];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned char sig[HSM_SIG_MAX];
	size_t siglen;

	(void)state;
	snprintf(ref, sizeof(ref), "file:%s/issuer.key", tmpdir);
	pechat_error_clear(&e);
	assert_int_equal(hsm_key_generate(ref, "ec-p256", &k, &e), PECHAT_OK);
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);    /* a good status is trusted 5 s ... */
	assert_int_equal(hsm_key_last_signature(k) > 0, 1);
	assert_int_equal(hsm_key_presence(k, reader, sizeof(reader)), HSM_PRESENCE_NONE);
	setenv(SEAM_ENV, "/nonexistent", 1);
	assert_int_equal(hsm_presence_set(ref, 0), 0);
	pechat_error_clear(&e);
	assert_int_equal(hsm_key_status(k, &e), PECHAT_E_UNAVAILABLE);  /* ... but not past a card pulled */
	assert_string_equal(e.code, "key_unavailable");
	assert_string_equal(e.detail, "token absent");
	pechat_error_clear(&e);
	siglen = sizeof(sig);
	assert_int_equal(hsm_sign_data(k, (const unsigned char *)"tbs", 3, sig, &siglen, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_int_equal(siglen, 0);
	assert_int_equal(hsm_presence_set(ref, 1), 0);
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
	hsm_test_sign_verify(k, EVP_sha256());
	assert_string_equal(reader, "");
	assert_string_equal(hsm_key_kind(k), "file");
	hsm_key_free(k);
}

/* The watcher follows the seam file: a name written is absent within a bound, removed it returns. */
static void
test_watcher_follows_seam_file(void **state)
{
	char path[512];
	struct pechat_error e;
	FILE *f;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/absent", tmpdir);
	setenv(SEAM_ENV, path, 1);
	assert_int_equal(hsm_presence_start(count_change, NULL, &e), PECHAT_OK);
	assert_non_null(f = fopen(path, "w"));
	fputs("tokW\n", f);
	fclose(f);
	/* the table changes first, the callback follows: both awaited (5 s each at most) */
	for (i = 0; i < 100 && (presence_of("", "tokW", "") != HSM_PRESENCE_ABSENT || seen() < 1); i++)
		usleep(50000);
	assert_int_equal(presence_of("", "tokW", ""), HSM_PRESENCE_ABSENT);
	assert_int_equal(seen(), 1);
	assert_int_equal(unlink(path), 0);
	for (i = 0; i < 100 && (presence_of("", "tokW", "") == HSM_PRESENCE_ABSENT || seen() < 2); i++)
		usleep(50000);
	assert_int_equal(presence_of("", "tokW", ""), HSM_PRESENCE_NONE);
	assert_int_equal(seen(), 2);
	hsm_presence_stop();
}

/* pkcs11: references name their reader with ?reader= (once, not empty). */
static void
test_p11_reader_attribute(void **state)
{
	struct p11_uri u;
	char why[256];

	(void)state;
	assert_int_equal(p11_uri_parse("pkcs11:token=ca;object=k?module-path=/m.so&pin-source=env:PECHAT_PIN_CA"
	    "&reader=Virtual%20PCD%2000%2000", &u, why, sizeof(why)), 0);
	assert_string_equal(u.reader, "Virtual PCD 00 00");
	assert_int_equal(p11_uri_parse("pkcs11:token=ca;object=k?module-path=/m.so&pin-source=env:PECHAT_PIN_CA",
	    &u, why, sizeof(why)), 0);
	assert_string_equal(u.reader, "");
	assert_int_equal(p11_uri_parse("pkcs11:token=ca;object=k?module-path=/m.so&pin-source=env:PECHAT_PIN_CA"
	    "&reader=", &u, why, sizeof(why)), -1);
	assert_int_equal(p11_uri_parse("pkcs11:token=ca;object=k?module-path=/m.so&pin-source=env:PECHAT_PIN_CA"
	    "&reader=a&reader=b", &u, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "repeated"));
}

/* Secret sources' paths never shown; variable names and everything else kept. */
static void
test_ref_redact(void **state)
{
	char buf[256];

	(void)state;
	hsm_key_ref_redact("pkcs11:token=ca;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so"
	    "&pin-source=file:/etc/pechat/pin&reader=R", buf, sizeof(buf));
	assert_string_equal(buf, "pkcs11:token=ca;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so"
	    "&pin-source=file:(redacted)&reader=R");
	hsm_key_ref_redact("pkcs11:token=ca;id=%01?module-path=/m.so&pin-source=env:PECHAT_PIN_CA", buf, sizeof(buf));
	assert_string_equal(buf, "pkcs11:token=ca;id=%01?module-path=/m.so&pin-source=env:PECHAT_PIN_CA");
	hsm_key_ref_redact("file:/var/keys/ca.key?passphrase-source=file:/secret/pass", buf, sizeof(buf));
	assert_string_equal(buf, "file:/var/keys/ca.key?passphrase-source=file:(redacted)");
	hsm_key_ref_redact("file:/var/keys/ca.key", buf, sizeof(buf));
	assert_string_equal(buf, "file:/var/keys/ca.key");
	hsm_key_ref_redact("file:/a/very/long/path/ca.key?passphrase-source=file:/secret/pass", buf, 24);
	assert_int_equal(strlen(buf), 23);
	assert_null(strstr(buf, "secret"));
	assert_non_null(strstr(buf, "..."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_from_scard, reset),
		cmocka_unit_test_setup(test_state_machine, reset),
		cmocka_unit_test_setup(test_seam_gate_and_file, reset),
		cmocka_unit_test_setup(test_key_absent_and_back, reset),
		cmocka_unit_test_setup(test_watcher_follows_seam_file, reset),
		cmocka_unit_test_setup(test_p11_reader_attribute, reset),
		cmocka_unit_test_setup(test_ref_redact, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
