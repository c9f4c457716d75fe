/*
 * Unit tests for db_operator_auth (db/operators.c): the operator of a
 * client-certificate fingerprint with that certificate's serial and
 * notAfter, in one read; "" / 0 when the certificate is not in the store;
 * NOT_FOUND for a fingerprint no operator has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "db/db.h"

#define FP_CERT "aa00000000000000000000000000000000000000000000000000000000000001"
#define FP_NOCERT "bb00000000000000000000000000000000000000000000000000000000000002"
#define FP_NONE "cc00000000000000000000000000000000000000000000000000000000000003"

static int
setup(void **state)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct db *db = NULL;
	struct db_operator op;
	struct db_cert c;

	if (db_open(":memory:", 1, &db, NULL) != PECHAT_OK)
		return -1;
	memset(&c, 0, sizeof(c));
	strcpy(c.serial, "5F3A09");
	strcpy(c.issuer, "operators");
	strcpy(c.profile, "operator-client");
	strcpy(c.subject_dn, "CN=officer1");
	strcpy(c.fingerprint, FP_CERT);
	c.not_before = 1000;
	c.not_after = 2000000000;
	c.der = der;
	c.der_len = sizeof(der);
	c.created_at = 1000;
	memset(&op, 0, sizeof(op));
	strcpy(op.name, "officer1");
	strcpy(op.role, "ra_officer");
	strcpy(op.fingerprint, FP_CERT);
	op.enabled = 1;
	op.created_at = 1000;
	if (db_serial_reserve(db, "operators", c.serial, 1000, NULL) != PECHAT_OK ||
	    db_cert_insert(db, &c, NULL) != PECHAT_OK || db_operator_insert(db, &op, NULL) != PECHAT_OK)
		return -1;
	strcpy(op.name, "portal1");
	strcpy(op.role, "portal");
	strcpy(op.fingerprint, FP_NOCERT);
	op.enabled = 0;
	if (db_operator_insert(db, &op, NULL) != PECHAT_OK)
		return -1;
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static void
test_operator_with_its_certificate(void **state)
{
	struct db_operator op;
	char serial[65];
	time_t not_after;

	assert_int_equal(db_operator_auth(*state, FP_CERT, &op, serial, &not_after, NULL), PECHAT_OK);
	assert_string_equal(op.name, "officer1");
	assert_string_equal(op.role, "ra_officer");
	assert_string_equal(op.fingerprint, FP_CERT);
	assert_int_equal(op.enabled, 1);
	assert_string_equal(serial, "5F3A09");
	assert_int_equal(not_after, 2000000000);
}

static void
test_operator_without_certificate_row(void **state)
{
	struct db_operator op;
	char serial[65] = "junk";
	time_t not_after = 5;

	assert_int_equal(db_operator_auth(*state, FP_NOCERT, &op, serial, &not_after, NULL), PECHAT_OK);
	assert_string_equal(op.name, "portal1");
	assert_int_equal(op.enabled, 0);
	assert_string_equal(serial, "");
	assert_int_equal(not_after, 0);
}

static void
test_unknown_fingerprint(void **state)
{
	struct db_operator op;
	struct pechat_error e;
	char serial[65];
	time_t not_after;

	pechat_error_clear(&e);
	assert_int_equal(db_operator_auth(*state, FP_NONE, &op, serial, &not_after, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "operator_unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operator_with_its_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_without_certificate_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_fingerprint, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
