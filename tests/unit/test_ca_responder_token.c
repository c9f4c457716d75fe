/*
 * Unit tests for the reference of a delegated OCSP responder key made on the
 * issuer's token (ca_responder_token_ref, ca/responder.c): the object label
 * "ocsp-<issuer>-<UTC time>-<hex>", the 8-byte CKA_ID, the issuer
 * reference's token, module, PIN source and reader kept; file: and engine:
 * issuers get no token reference (their responder keys are files); and the
 * cleanup rule for rotated-out keys (ca_responder_key_disposable); and, with
 * a SoftHSM2 token (tests/tools/softhsm-token.sh) and the fixture's fake
 * clock, an issuer whose key is on the token: each renewal makes a new token
 * key, and the token keys of expired responders are destroyed at the next
 * renewal (skipped, with a message, without SoftHSM2 or p11tool).
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

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "hsm/p11.h"
#include "ca_fixture.h"

static struct ca_fixture F;     /* issuer "ecdsa" with its key on the token pechat-test */
static int have_softhsm;

static const unsigned char id[CA_RESPONDER_ID_LEN] = { 0xde, 0xad, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06 };

/* 2026-11-30T15:37:00Z */
#define NOW ((time_t)1796053020)

/* The label and id of a pkcs11: issuer's responder key; the rest of the reference kept. */
static void
test_token_ref(void **state)
{
	const char *issuer = "pkcs11:token=pechat-demo;object=ecdsa;type=private?module-path=/usr/lib/softhsm/"
	    "libsofthsm2.so&pin-source=file:/var/lib/pechat/token/pin&reader=Reader%200";
	char out[1024], why[320];
	struct p11_uri u;

	(void)state;
	assert_int_equal(ca_responder_token_ref(issuer, "ecdsa", NOW, id, out, sizeof(out)), 0);
	assert_string_equal(out, "pkcs11:token=pechat-demo;object=ocsp-ecdsa-20261130T153700Z-DEAD0102;"
	    "id=%DE%AD%01%02%03%04%05%06?module-path=/usr/lib/softhsm/libsofthsm2.so"
	    "&pin-source=file:/var/lib/pechat/token/pin&reader=Reader%200");
	assert_int_equal(p11_uri_parse(out, &u, why, sizeof(why)), 0);
	assert_string_equal(u.token, "pechat-demo");
	assert_string_equal(u.object, "ocsp-ecdsa-20261130T153700Z-DEAD0102");
	assert_int_equal(u.id_len, CA_RESPONDER_ID_LEN);
	assert_memory_equal(u.id, id, CA_RESPONDER_ID_LEN);
	assert_string_equal(u.pin_file, "/var/lib/pechat/token/pin");
	assert_string_equal(u.reader, "Reader 0");
	/* another time or id: another label (no clash with the rotated-out key) */
	assert_int_equal(ca_responder_token_ref(issuer, "ecdsa", NOW + 1, id, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "object=ocsp-ecdsa-20261130T153701Z-DEAD0102;"));
}

/* file:, engine: and offline: issuers: no token reference; no room: refused, nothing half-written. */
static void
test_token_ref_refused(void **state)
{
	char out[1024], small[64];

	(void)state;
	assert_int_equal(ca_responder_token_ref("file:/var/lib/pechat/keys/ecdsa.key", "ecdsa", NOW, id, out,
	    sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(ca_responder_token_ref("engine:gost:0001", "gost", NOW, id, out, sizeof(out)), -1);
	assert_int_equal(ca_responder_token_ref("offline:root", "root", NOW, id, out, sizeof(out)), -1);
	assert_int_equal(ca_responder_token_ref("pkcs11:token=t;id=%01?module-path=/m&pin-source=file:/p",
	    "ecdsa", NOW, id, small, sizeof(small)), -1);
	assert_string_equal(small, "");
}

/* Destroyed: an expired responder's token key of this issuer that is not the current one. Else kept. */
static void
test_disposable(void **state)
{
	struct db_responder row;
	const char *cur = "pkcs11:token=t;object=ocsp-ecdsa-20261130T153700Z-0A;id=%0a?module-path=/m&pin-source=file:/p";

	(void)state;
	memset(&row, 0, sizeof(row));
	strcpy(row.issuer, "ecdsa");
	strcpy(row.key_ref, "pkcs11:token=t;object=ocsp-ecdsa-20261120T000000Z-0B;id=%0b?module-path=/m&pin-source=file:/p");
	row.not_after = NOW - 1;
	assert_int_equal(ca_responder_key_disposable(&row, "ecdsa", cur, NOW), 1);
	row.not_after = NOW;
	assert_int_equal(ca_responder_key_disposable(&row, "ecdsa", cur, NOW), 1);
	/* still valid: answers signed by it may still be served */
	row.not_after = NOW + 1;
	assert_int_equal(ca_responder_key_disposable(&row, "ecdsa", cur, NOW), 0);
	row.not_after = NOW - 1;
	/* the key in use, another issuer's row, a key file: kept */
	assert_int_equal(ca_responder_key_disposable(&row, "ecdsa", row.key_ref, NOW), 0);
	assert_int_equal(ca_responder_key_disposable(&row, "rsa", cur, NOW), 0);
	strcpy(row.key_ref, "file:/var/lib/pechat/keys/ocsp/ecdsa-0011223344556677.key");
	assert_int_equal(ca_responder_key_disposable(&row, "ecdsa", cur, NOW), 0);
	assert_int_equal(ca_responder_key_disposable(NULL, "ecdsa", cur, NOW), 0);
}

/* The SoftHSM2 tokens in the fixture's dir, and the fixture with "ecdsa"'s key on pechat-test. */
static int
group_setup(void **state)
{
	char cmd[1024], path[200], module[200];
	const char *data = getenv("PECHAT_TEST_DATA");
	FILE *f;
	int st;

	(void)state;
	if (data == NULL || ca_fixture_init(&F, "resp-token") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/../tools/softhsm-token.sh '%s/hsm'", data, F.dir);
	st = system(cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		fprintf(stderr, "test_ca_responder_token: SoftHSM2 or p11tool not installed; token tests skipped\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/hsm/module", F.dir);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(module, sizeof(module), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/hsm/softhsm2.conf", F.dir);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(path, sizeof(path), "%s/hsm/pin", F.dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs("4711-4711\n", f);
	fclose(f);
	if (chmod(path, 0600) != 0)
		return -1;
	F.conf.n_issuers = 1;                   /* "ecdsa" only */
	snprintf(F.issuers[0].key_ref, sizeof(F.issuers[0].key_ref),
	    "pkcs11:token=pechat-test;object=ec;type=private?module-path=%s&pin-source=file:%s", module, path);
	if (ca_fixture_start(&F) != 0)
		return -1;
	have_softhsm = 1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* The newest responder of "ecdsa" at t (7-day certificates renewed 2 days ahead). */
static struct ca_responder *
responder_at(time_t t)
{
	struct ca_responder *r = NULL;
	struct pechat_error e;

	if (ca_responder_ensure(F.ca, F.db, "ecdsa", t, 7, 2, &r, &e) != PECHAT_OK)
		fprintf(stderr, "responder: %s %s\n", e.code, e.detail);
	assert_non_null(r);
	return r;
}

/* Whether the token still holds the key of `ref` (a destruction finds something: then it is gone). */
static int
still_on_token(const char *ref)
{
	struct pechat_error e;
	int n = -1;

	assert_int_equal(hsm_key_destroy(ref, "ocsp-ecdsa-", &n, &e), PECHAT_OK);
	return n > 0;
}

/* Renewals on the token: a new token key each time; expired ones destroyed at the next renewal. */
static void
test_rotation_on_token(void **state)
{
	struct ca_responder *r1, *r2, *r3;
	char ref1[2048], ref2[2048];

	(void)state;
	if (!have_softhsm)
		skip();
	r1 = responder_at(F.now);
	assert_string_equal(hsm_key_kind(ca_responder_key(r1)), "pkcs11");
	pechat_strlcpy(ref1, hsm_key_ref(ca_responder_key(r1)), sizeof(ref1));
	assert_non_null(strstr(ref1, "pkcs11:token=pechat-test;object=ocsp-ecdsa-"));
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(ca_responder_get0_cert(r1)), hsm_key_public(ca_responder_key(r1))), 1);
	assert_int_equal(hsm_key_status(ca_responder_key(r1), NULL), PECHAT_OK);
	/* in the renewal window: a new token key; the old one's certificate is still valid, so it stays */
	r2 = responder_at(F.now + 5 * 86400 + 1);
	pechat_strlcpy(ref2, hsm_key_ref(ca_responder_key(r2)), sizeof(ref2));
	assert_string_not_equal(ref2, ref1);
	assert_non_null(strstr(ref2, "object=ocsp-ecdsa-"));
	assert_int_equal(hsm_key_status(ca_responder_key(r2), NULL), PECHAT_OK);
	assert_int_equal(hsm_key_status(ca_responder_key(r1), NULL), PECHAT_OK);
	/* long after both expired: a third key; the first two destroyed by that renewal */
	r3 = responder_at(F.now + 40 * 86400);
	assert_string_not_equal(hsm_key_ref(ca_responder_key(r3)), ref2);
	assert_int_equal(hsm_key_status(ca_responder_key(r3), NULL), PECHAT_OK);
	assert_int_equal(still_on_token(ref1), 0);
	assert_int_equal(still_on_token(ref2), 0);
	ca_responder_free(r1);
	ca_responder_free(r2);
	ca_responder_free(r3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_ref),
		cmocka_unit_test(test_token_ref_refused),
		cmocka_unit_test(test_disposable),
		cmocka_unit_test(test_rotation_on_token),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
