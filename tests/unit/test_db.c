/* Unit tests for db/: migrations, append-only rules, requests, idempotency keys, txn runner. */
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

#include "db/db.h"
#include "db/db_int.h"

static int
setup(void **state)
{
	struct db *db = NULL;

	if (db_open(":memory:", 1, &db, NULL) != PECHAT_OK)
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
fill_request(struct db_request *r, const char *id, const char *idem)
{
	static unsigned char csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	strcpy(r->client, "portal");
	strcpy(r->profile, "demo");
	strcpy(r->issuer, "ecdsa");
	strcpy(r->state, "pending");
	snprintf(r->idem_key, sizeof(r->idem_key), "%s", idem);
	strcpy(r->body_hash, "00ff");
	r->csr_der = csr;
	r->csr_len = sizeof(csr);
	r->created_at = r->updated_at = 1000;
}

static void
fill_cert(struct db_cert *c, const char *serial)
{
	static unsigned char der[] = { 0x30, 0x00 };

	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	strcpy(c->issuer, "ecdsa");
	strcpy(c->profile, "demo");
	strcpy(c->subject_dn, "CN=Test");
	snprintf(c->fingerprint, sizeof(c->fingerprint), "fp-%s", serial);
	c->not_before = 1000;
	c->not_after = 2000;
	c->der = der;
	c->der_len = sizeof(der);
	c->created_at = 1000;
}

static void
test_migrations_applied(void **state)
{
	struct db *db = *state;

	assert_true(db_schema_version_supported() >= 1);
	assert_int_equal(db_schema_version(db), db_schema_version_supported());
	assert_int_equal(db_ping(db, NULL), PECHAT_OK);
}

static void
test_refuses_newer_store(void **state)
{
	char path[] = "/tmp/pechat-db-XXXXXX";
	struct pechat_error e;
	struct db *db = NULL;
	sqlite3 *raw = NULL;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(db_open(path, 1, &db, NULL), PECHAT_OK);
	db_close(db);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	pechat_error_clear(&e);
	assert_int_equal(db_open(path, 0, &db, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "store_too_new");
	assert_null(db);
	unlink(path);
	assert_int_equal(db_open("/nonexistent/dir/x.db", 0, &db, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "store_missing");
}

static void
test_serial_reserved_once(void **state)
{
	struct db *db = *state;
	struct pechat_error e;

	assert_int_equal(db_serial_reserve(db, "ecdsa", "5F3A09", 1, NULL), PECHAT_OK);
	pechat_error_clear(&e);
	assert_int_equal(db_serial_reserve(db, "rsa", "5F3A09", 2, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "serial_taken");
	assert_int_equal(db_serial_exists(db, "5F3A09", NULL), PECHAT_OK);
	assert_int_equal(db_serial_exists(db, "AA", NULL), PECHAT_E_NOT_FOUND);
}

static void
test_cert_needs_reserved_serial(void **state)
{
	struct db *db = *state;
	struct db_cert c, got;
	int64_t n;

	fill_cert(&c, "01AB");
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_E_CONFLICT);
	assert_int_equal(db_serial_reserve(db, "ecdsa", "01AB", 1, NULL), PECHAT_OK);
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_OK);
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_E_CONFLICT);
	assert_int_equal(db_cert_get(db, "01AB", &got, NULL), PECHAT_OK);
	assert_string_equal(got.subject_dn, "CN=Test");
	assert_int_equal(got.der_len, 2);
	assert_int_equal(got.not_after, 2000);
	db_cert_free_fields(&got);
	assert_int_equal(db_cert_by_fingerprint(db, "fp-01AB", &got, NULL), PECHAT_OK);
	assert_string_equal(got.serial, "01AB");
	db_cert_free_fields(&got);
	assert_int_equal(db_cert_get(db, "FFFF", &got, NULL), PECHAT_E_NOT_FOUND);
	assert_int_equal(db_cert_count(db, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 1);
}

static void
test_append_only_triggers(void **state)
{
	char path[] = "/tmp/pechat-db-XXXXXX";
	struct db *db = NULL;
	struct db_cert c;
	sqlite3 *raw = NULL;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(db_open(path, 1, &db, NULL), PECHAT_OK);
	fill_cert(&c, "02");
	assert_int_equal(db_serial_reserve(db, "ecdsa", "02", 1, NULL), PECHAT_OK);
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_OK);
	assert_int_equal(db_audit_append(db, 1, "admin", "test", "02", NULL, NULL), PECHAT_OK);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE certificates SET profile = 'x'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM certificates", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM serials", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE audit SET actor = 'x'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	db_close(db);
	unlink(path);
}

/* An issuers row named `name` (parent "" for a root). */
static void
issuer_add(struct db *db, const char *name, const char *kind, const char *parent)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct db_issuer row;

	memset(&row, 0, sizeof(row));
	snprintf(row.name, sizeof(row.name), "%s", name);
	snprintf(row.kind, sizeof(row.kind), "%s", kind);
	snprintf(row.parent, sizeof(row.parent), "%s", parent);
	snprintf(row.key_ref, sizeof(row.key_ref), "file:/k/%s.key", name);
	row.cert_der = der;
	row.cert_len = sizeof(der);
	row.created_at = 1;
	assert_int_equal(db_issuer_insert(db, &row, NULL), PECHAT_OK);
}

/* issuer_successions (migration 12): one successor and one predecessor each, known issuers, append-only. */
static void
test_issuer_successions(void **state)
{
	char path[] = "/tmp/pechat-db-XXXXXX", name[64];
	struct pechat_error e;
	struct db *db = NULL;
	sqlite3 *raw = NULL;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(db_open(path, 1, &db, NULL), PECHAT_OK);
	issuer_add(db, "ecdsa-root", "root", "");
	issuer_add(db, "ecdsa", "issuing", "ecdsa-root");
	issuer_add(db, "ecdsa-2", "issuing", "ecdsa-root");
	issuer_add(db, "ecdsa-3", "issuing", "ecdsa-root");
	assert_int_equal(db_issuer_successor(db, "ecdsa", name, sizeof(name), NULL), PECHAT_E_NOT_FOUND);
	assert_int_equal(db_issuer_succession_insert(db, "ecdsa", "ecdsa-2", 5, "cli:test", NULL), PECHAT_OK);
	assert_int_equal(db_issuer_successor(db, "ecdsa", name, sizeof(name), NULL), PECHAT_OK);
	assert_string_equal(name, "ecdsa-2");
	assert_int_equal(db_issuer_predecessor(db, "ecdsa-2", name, sizeof(name), NULL), PECHAT_OK);
	assert_string_equal(name, "ecdsa");
	assert_int_equal(db_issuer_predecessor(db, "ecdsa", name, sizeof(name), NULL), PECHAT_E_NOT_FOUND);
	/* a second successor of ecdsa, a second predecessor of ecdsa-2, an unknown issuer, a self-succession */
	pechat_error_clear(&e);
	assert_int_equal(db_issuer_succession_insert(db, "ecdsa", "ecdsa-3", 6, "cli:test", &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_not_newest");
	assert_int_not_equal(db_issuer_succession_insert(db, "ecdsa-3", "ecdsa-2", 6, "cli:test", NULL), PECHAT_OK);
	assert_int_not_equal(db_issuer_succession_insert(db, "ecdsa-2", "nosuch", 6, "cli:test", NULL), PECHAT_OK);
	assert_int_not_equal(db_issuer_succession_insert(db, "ecdsa-3", "ecdsa-3", 6, "cli:test", NULL), PECHAT_OK);
	assert_int_equal(db_issuer_succession_insert(db, "ecdsa-2", "ecdsa-3", 7, "cli:test", NULL), PECHAT_OK);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE issuer_successions SET successor = 'ecdsa-3'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM issuer_successions", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	db_close(db);
	unlink(path);
}

static void
test_request_roundtrip_and_idempotency(void **state)
{
	struct db *db = *state;
	struct db_request r, got;
	struct pechat_error e;

	fill_request(&r, "req-1", "key-1");
	assert_int_equal(pechat_subject_set(&r.subject, PSF_COMMON_NAME, "Иванов Иван"), 0);
	assert_int_equal(pechat_subject_set(&r.subject, PSF_SNILS, "11223344595"), 0);
	r.nchecks = 2;
	strcpy(r.checks[0].name, "proof_of_possession");
	r.checks[0].passed = 1;
	strcpy(r.checks[1].name, "snils");
	r.checks[1].passed = 1;
	strcpy(r.checks[1].detail, "check digits valid");
	assert_int_equal(db_request_insert(db, &r, NULL), PECHAT_OK);
	pechat_subject_clear(&r.subject);

	fill_request(&r, "req-2", "key-1");
	pechat_error_clear(&e);
	assert_int_equal(db_request_insert(db, &r, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "idempotency_key_taken");

	/* no key: any number of requests */
	fill_request(&r, "req-3", "");
	assert_int_equal(db_request_insert(db, &r, NULL), PECHAT_OK);
	fill_request(&r, "req-4", "");
	assert_int_equal(db_request_insert(db, &r, NULL), PECHAT_OK);

	assert_int_equal(db_request_by_idem_key(db, "portal", "key-1", &got, NULL), PECHAT_OK);
	assert_string_equal(got.id, "req-1");
	assert_string_equal(got.subject.v[PSF_COMMON_NAME], "Иванов Иван");
	assert_string_equal(got.subject.v[PSF_SNILS], "11223344595");
	assert_null(got.subject.v[PSF_INN]);
	assert_int_equal(got.nchecks, 2);
	assert_string_equal(got.checks[1].name, "snils");
	assert_string_equal(got.checks[1].detail, "check digits valid");
	assert_true(got.checks[0].passed);
	assert_int_equal(got.csr_len, 5);
	db_request_free_fields(&got);
	assert_int_equal(db_request_by_idem_key(db, "other", "key-1", &got, NULL), PECHAT_E_NOT_FOUND);
}

static void
test_request_state_forward_only(void **state)
{
	struct db *db = *state;
	struct db_request r, got;
	struct db_cert c;
	struct pechat_error e;

	fill_request(&r, "req-s", "");
	assert_int_equal(db_request_insert(db, &r, NULL), PECHAT_OK);
	assert_int_equal(db_request_set_state(db, "req-s", "approved", NULL, NULL, NULL, 5, NULL), PECHAT_OK);
	/* cert_serial must name a stored certificate */
	assert_int_equal(db_request_set_state(db, "req-s", "issued", "77", NULL, NULL, 6, NULL),
	    PECHAT_E_CONFLICT);
	fill_cert(&c, "77");
	assert_int_equal(db_serial_reserve(db, "ecdsa", "77", 1, NULL), PECHAT_OK);
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_OK);
	assert_int_equal(db_request_set_state(db, "req-s", "issued", "77", NULL, NULL, 6, NULL), PECHAT_OK);
	pechat_error_clear(&e);
	assert_int_equal(db_request_set_state(db, "req-s", "pending", NULL, NULL, NULL, 7, &e),
	    PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "request_state_conflict");
	assert_int_equal(db_request_set_state(db, "nope", "issued", NULL, NULL, NULL, 7, NULL),
	    PECHAT_E_NOT_FOUND);
	assert_int_equal(db_request_get(db, "req-s", &got, NULL), PECHAT_OK);
	assert_string_equal(got.state, "issued");
	assert_string_equal(got.cert_serial, "77");
	assert_int_equal(got.updated_at, 6);
	assert_int_equal(got.created_at, 1000);
	db_request_free_fields(&got);
}

struct txn_arg {
	int calls;
	enum pechat_err fail_with;
};

static enum pechat_err
txn_insert_then_maybe_fail(struct db *db, void *arg, struct pechat_error *e)
{
	struct txn_arg *a = arg;
	struct db_request r;
	enum pechat_err err;

	a->calls++;
	fill_request(&r, "req-txn", "");
	if ((err = db_request_insert(db, &r, e)) != PECHAT_OK)
		return err;
	if (a->fail_with != PECHAT_OK)
		return pechat_fail(e, a->fail_with, "test_failure", "injected");
	return PECHAT_OK;
}

static void
test_txn_rolls_back(void **state)
{
	struct db *db = *state;
	struct txn_arg a = { 0, PECHAT_E_POLICY };
	struct pechat_error e;
	int64_t n;

	pechat_error_clear(&e);
	assert_int_equal(db_txn_run(db, txn_insert_then_maybe_fail, &a, &e), PECHAT_E_POLICY);
	assert_int_equal(a.calls, 1);
	assert_int_equal(db_request_count(db, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 0);
	a.fail_with = PECHAT_OK;
	assert_int_equal(db_txn_run(db, txn_insert_then_maybe_fail, &a, NULL), PECHAT_OK);
	assert_int_equal(db_request_count(db, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 1);
}

static void
test_txn_busy_gives_up(void **state)
{
	char path[] = "/tmp/pechat-db-XXXXXX";
	struct db *a = NULL, *b = NULL;
	struct txn_arg arg = { 0, PECHAT_OK };
	struct pechat_error e;
	sqlite3 *raw = NULL;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(db_open(path, 1, &a, NULL), PECHAT_OK);
	assert_int_equal(db_open(path, 0, &b, NULL), PECHAT_OK);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	pechat_error_clear(&e);
	assert_int_equal(db_txn_run(b, txn_insert_then_maybe_fail, &arg, &e), PECHAT_E_BUSY);
	assert_string_equal(e.code, "store_busy");
	assert_int_equal(arg.calls, 0);
	sqlite3_exec(raw, "ROLLBACK", NULL, NULL, NULL);
	assert_int_equal(db_txn_run(b, txn_insert_then_maybe_fail, &arg, NULL), PECHAT_OK);
	sqlite3_close(raw);
	db_close(a);
	db_close(b);
	unlink(path);
}

static void
test_operators(void **state)
{
	struct db *db = *state;
	struct db_operator o, got;
	char serial[65];
	time_t not_after;

	memset(&o, 0, sizeof(o));
	strcpy(o.name, "admin");
	strcpy(o.role, "admin");
	strcpy(o.fingerprint, "abc");
	o.enabled = 1;
	assert_int_equal(db_operator_insert(db, &o, NULL), PECHAT_OK);
	assert_int_equal(db_operator_insert(db, &o, NULL), PECHAT_E_CONFLICT);
	strcpy(o.name, "bad");
	strcpy(o.role, "root");
	strcpy(o.fingerprint, "def");
	assert_int_not_equal(db_operator_insert(db, &o, NULL), PECHAT_OK);
	assert_int_equal(db_operator_auth(db, "abc", &got, serial, &not_after, NULL), PECHAT_OK);
	assert_string_equal(got.name, "admin");
	assert_string_equal(serial, "");        /* no certificate row of that fingerprint */
	assert_int_equal(got.enabled, 1);
	assert_int_equal(db_operator_set_enabled(db, "admin", 0, NULL), PECHAT_OK);
	assert_int_equal(db_operator_by_name(db, "admin", &got, NULL), PECHAT_OK);
	assert_int_equal(got.enabled, 0);
	assert_int_equal(db_operator_set_enabled(db, "ghost", 0, NULL), PECHAT_E_NOT_FOUND);
	assert_int_equal(db_operator_auth(db, "zzz", &got, serial, &not_after, NULL), PECHAT_E_NOT_FOUND);
}

/*
 * db_idle (a connection changing threads, web/dbpool.c): a SELECT left
 * mid-result is reset (its read snapshot let go); an open transaction makes
 * the connection unfit to pass on.
 */
static void
test_idle_resets_and_refuses_open_txn(void **state)
{
	struct db *db = *state;
	sqlite3_stmt *st;

	assert_int_equal(db_idle(db), 1);
	assert_non_null(st = db_stmt(db, "SELECT 1 UNION ALL SELECT 2", NULL));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_not_equal(sqlite3_stmt_busy(st), 0);
	assert_int_equal(db_idle(db), 1);
	assert_int_equal(sqlite3_stmt_busy(st), 0);
	assert_int_equal(db_exec(db, "BEGIN", NULL), PECHAT_OK);
	assert_int_equal(db_idle(db), 0);
	assert_int_equal(db_exec(db, "COMMIT", NULL), PECHAT_OK);
	assert_int_equal(db_idle(db), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_applied, setup, teardown),
		cmocka_unit_test(test_refuses_newer_store),
		cmocka_unit_test_setup_teardown(test_serial_reserved_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_needs_reserved_serial, setup, teardown),
		cmocka_unit_test(test_append_only_triggers),
		cmocka_unit_test(test_issuer_successions),
		cmocka_unit_test_setup_teardown(test_request_roundtrip_and_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_state_forward_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_rolls_back, setup, teardown),
		cmocka_unit_test(test_txn_busy_gives_up),
		cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_resets_and_refuses_open_txn, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
