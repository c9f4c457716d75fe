/*
 * Unit tests for db_operator_auth (db/operators.c): the operator of a
 * client-certificate fingerprint with that certificate's serial and
 * notAfter, in one read; "" / 0 when the certificate is not in the store;
 * NOT_FOUND for a fingerprint no operator has. And for the auth epoch
 * (db_auth_epoch, migration 15's triggers): it moves with every change that
 * could alter that answer or the operator certificate's status, not with a
 * subscriber's revocation; a store of schema 14 gets the row; the row
 * cannot be deleted nor its counter moved back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_int.h"

#define FP_CERT "aa00000000000000000000000000000000000000000000000000000000000001"
#define FP_NOCERT "bb00000000000000000000000000000000000000000000000000000000000002"
#define FP_NONE "cc00000000000000000000000000000000000000000000000000000000000003"
#define FP_SUB "dd00000000000000000000000000000000000000000000000000000000000004"

/* Stores a certificate (serial, issuer, fingerprint) with placeholder DER; 0 or -1. */
static int
put_cert(struct db *db, const char *serial, const char *issuer, const char *fp)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct db_cert c;

	memset(&c, 0, sizeof(c));
	pechat_strlcpy(c.serial, serial, sizeof(c.serial));
	pechat_strlcpy(c.issuer, issuer, sizeof(c.issuer));
	strcpy(c.profile, strcmp(issuer, "operators") == 0 ? "operator-client" : "demo");
	strcpy(c.subject_dn, "CN=x");
	pechat_strlcpy(c.fingerprint, fp, sizeof(c.fingerprint));
	c.not_before = 1000;
	c.not_after = 2000000000;
	c.der = der;
	c.der_len = sizeof(der);
	c.created_at = 1000;
	if (db_serial_reserve(db, issuer, c.serial, 1000, NULL) != PECHAT_OK || db_cert_insert(db, &c, NULL) != PECHAT_OK)
		return -1;
	return 0;
}

/* An enabled operator row (created at 1000) with name, role and certificate fingerprint. */
static struct db_operator
operator_row(const char *name, const char *role, const char *fp)
{
	struct db_operator op;

	memset(&op, 0, sizeof(op));
	pechat_strlcpy(op.name, name, sizeof(op.name));
	pechat_strlcpy(op.role, role, sizeof(op.role));
	pechat_strlcpy(op.fingerprint, fp, sizeof(op.fingerprint));
	op.enabled = 1;
	op.created_at = 1000;
	return op;
}

static int
setup(void **state)
{
	struct db *db = NULL;
	struct db_operator op = operator_row("officer1", "ra_officer", FP_CERT);

	if (db_open(":memory:", 1, &db, NULL) != PECHAT_OK)
		return -1;
	if (put_cert(db, "5F3A09", "operators", FP_CERT) != 0 || db_operator_insert(db, &op, NULL) != PECHAT_OK)
		return -1;
	op = operator_row("portal1", "portal", FP_NOCERT);
	op.enabled = 0;
	if (db_operator_insert(db, &op, NULL) != PECHAT_OK)
		return -1;
	/* a subscriber's certificate (no operator holds it) */
	if (put_cert(db, "0A0B0C", "demo", FP_SUB) != 0)
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

/* The store's auth epoch (asserts it reads). */
static int64_t
epoch_of(struct db *db)
{
	int64_t n = -1;

	assert_int_equal(db_auth_epoch(db, &n, NULL), PECHAT_OK);
	assert_true(n >= 0);
	return n;
}

/* Appends a status event (kind) for serial of issuer. */
static void
status_event(struct db *db, const char *serial, const char *issuer, const char *kind)
{
	struct db_revocation ev;

	memset(&ev, 0, sizeof(ev));
	pechat_strlcpy(ev.serial, serial, sizeof(ev.serial));
	pechat_strlcpy(ev.issuer, issuer, sizeof(ev.issuer));
	pechat_strlcpy(ev.kind, kind, sizeof(ev.kind));
	strcpy(ev.reason, strcmp(kind, "release") == 0 ? "" : strcmp(kind, "hold") == 0 ? "certificateHold" :
	    "keyCompromise");
	ev.revoked_at = 2000;
	strcpy(ev.actor, "test");
	ev.created_at = 2000;
	assert_int_equal(db_revocation_append(db, &ev, NULL, NULL), PECHAT_OK);
}

static void
test_epoch_moves_on_operator_insert(void **state)
{
	struct db_operator op = operator_row("auditor1", "auditor", FP_NONE);
	int64_t before = epoch_of(*state);

	assert_int_equal(db_operator_insert(*state, &op, NULL), PECHAT_OK);
	assert_true(epoch_of(*state) > before);
}

static void
test_epoch_moves_on_enable_disable(void **state)
{
	int64_t e0 = epoch_of(*state), e1, e2;

	assert_int_equal(db_operator_set_enabled(*state, "officer1", 0, NULL), PECHAT_OK);
	e1 = epoch_of(*state);
	assert_true(e1 > e0);
	assert_int_equal(db_operator_set_enabled(*state, "officer1", 1, NULL), PECHAT_OK);
	e2 = epoch_of(*state);
	assert_true(e2 > e1);
	/* a refused change (no such operator) changes nothing */
	assert_int_equal(db_operator_set_enabled(*state, "nobody", 0, NULL), PECHAT_E_NOT_FOUND);
	assert_int_equal(epoch_of(*state), e2);
}

static void
test_epoch_moves_on_operator_certificate_status(void **state)
{
	int64_t e0 = epoch_of(*state), e1, e2;

	status_event(*state, "5F3A09", "operators", "hold");
	e1 = epoch_of(*state);
	assert_true(e1 > e0);
	status_event(*state, "5F3A09", "operators", "release");
	e2 = epoch_of(*state);
	assert_true(e2 > e1);
	status_event(*state, "5F3A09", "operators", "revoke");
	assert_true(epoch_of(*state) > e2);
}

static void
test_epoch_still_on_subscriber_revocation(void **state)
{
	int64_t e0 = epoch_of(*state);

	status_event(*state, "0A0B0C", "demo", "hold");
	status_event(*state, "0A0B0C", "demo", "release");
	status_event(*state, "0A0B0C", "demo", "revoke");
	assert_int_equal(epoch_of(*state), e0);
}

static void
test_epoch_row_guarded(void **state)
{
	struct db *db = *state;
	int64_t e0 = epoch_of(db);

	assert_int_not_equal(sqlite3_exec(db->conn, "DELETE FROM auth_epoch", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db->conn, "UPDATE auth_epoch SET n = n - 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db->conn, "INSERT INTO auth_epoch VALUES (2, 99)", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(epoch_of(db), e0);
}

static void
test_epoch_missing_row_is_an_error(void **state)
{
	struct db *db = *state;
	struct pechat_error e;
	int64_t n = 7;

	/* only a damaged store lacks the row: reported, never a number to reuse */
	assert_int_equal(sqlite3_exec(db->conn, "DROP TRIGGER auth_epoch_no_delete; DELETE FROM auth_epoch", NULL,
	    NULL, NULL), SQLITE_OK);
	pechat_error_clear(&e);
	assert_int_equal(db_auth_epoch(db, &n, &e), PECHAT_E_INTERNAL);
	assert_int_equal(n, -1);
}

static void
test_epoch_row_after_migration_14(void **state)
{
	char dir[] = "/tmp/pechat-epoch-XXXXXX", path[64];
	struct db *db = NULL;
	sqlite3 *raw = NULL;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	for (i = 0; i < 14; i++)
		assert_int_equal(sqlite3_exec(raw, db_migrations[i], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 14;"
	    "INSERT INTO operators (name, role, fingerprint, enabled, created_at) VALUES ('old', 'admin', 'ff', 1, 1)",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(db_open(path, 0, &db, NULL), PECHAT_OK);
	assert_int_equal(db_schema_version(db), db_schema_version_supported());
	assert_int_equal(epoch_of(db), 0);
	assert_int_equal(db_operator_set_enabled(db, "old", 0, NULL), PECHAT_OK);
	assert_int_equal(epoch_of(db), 1);
	db_close(db);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operator_with_its_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_without_certificate_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_moves_on_operator_insert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_moves_on_enable_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_moves_on_operator_certificate_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_still_on_subscriber_revocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_row_guarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_missing_row_is_an_error, setup, teardown),
		cmocka_unit_test(test_epoch_row_after_migration_14),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
