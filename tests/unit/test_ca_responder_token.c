/*
 * Unit tests for the reference of a delegated OCSP responder key made on the
 * issuer's token (ca_responder_token_ref, ca/responder.c): the object label
 * "ocsp-<issuer>-<UTC time>-<hex>", the 8-byte CKA_ID, the issuer
 * reference's token, module, PIN source and reader kept; file: and engine:
 * issuers get no token reference (their responder keys are files); and the
 * cleanup rule for rotated-out keys (ca_responder_key_disposable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ca/ca_int.h"
#include "hsm/p11.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_ref),
		cmocka_unit_test(test_token_ref_refused),
		cmocka_unit_test(test_disposable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
