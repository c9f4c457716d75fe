/*
 * Unit tests for the revocation views CRLs are built from (db/revocations.c):
 * each serial's last event at a mark, and the changes since a base, come in
 * ascending order of the serials as numbers (the order a CRL lists them in,
 * so the CRL writer never sorts), the full CRL's from the covering index
 * without a sort step.
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

#include "db/db.h"
#include "db/db_int.h"

#define MAX_SEEN 16

struct seen {
	char serial[MAX_SEEN][65];
	char kind[MAX_SEEN][8];
	int n;
};

static int
record(void *arg, const struct db_revocation *ev)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	assert_string_equal(ev->issuer, "ecdsa");
	snprintf(s->serial[s->n], sizeof(s->serial[0]), "%s", ev->serial);
	snprintf(s->kind[s->n], sizeof(s->kind[0]), "%s", ev->kind);
	s->n++;
	return 0;
}

/* A certificate row of issuer ecdsa with serial, and one event of kind at time t; its id. */
static int64_t
event(struct db *db, const char *serial, const char *kind, int new_cert)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct db_revocation ev;
	struct db_cert c;
	int64_t id = 0;

	if (new_cert) {
		memset(&c, 0, sizeof(c));
		snprintf(c.serial, sizeof(c.serial), "%s", serial);
		strcpy(c.issuer, "ecdsa");
		strcpy(c.profile, "demo");
		strcpy(c.subject_dn, "CN=Test");
		snprintf(c.fingerprint, sizeof(c.fingerprint), "fp-%s", serial);
		c.not_before = 1000;
		c.not_after = 2000;
		c.der = der;
		c.der_len = sizeof(der);
		c.created_at = 1000;
		assert_int_equal(db_serial_reserve(db, "ecdsa", serial, 1, NULL), PECHAT_OK);
		assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_OK);
	}
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	strcpy(ev.issuer, "ecdsa");
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	strcpy(ev.reason, strcmp(kind, "hold") == 0 ? "certificateHold" : strcmp(kind, "revoke") == 0 ? "superseded" : "");
	strcpy(ev.actor, "test");
	ev.revoked_at = ev.created_at = 1500;
	assert_int_equal(db_revocation_append(db, &ev, &id, NULL), PECHAT_OK);
	return id;
}

/* The statement whose SQL contains needle among the connection's prepared ones, or NULL. */
static sqlite3_stmt *
stmt_with(struct db *db, const char *needle)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(db->conn, st)) != NULL)
		if (strstr(sqlite3_sql(st), needle) != NULL)
			return st;
	return NULL;
}

static void
test_last_at_numeric_order(void **state)
{
	struct db *db = NULL;
	struct seen s;
	sqlite3_stmt *st;
	int64_t mark, base;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, NULL), PECHAT_OK);
	event(db, "FF", "revoke", 1);
	event(db, "0100", "hold", 1);
	event(db, "AB12", "revoke", 1);
	base = event(db, "0A", "hold", 1);
	event(db, "7F", "revoke", 1);
	event(db, "0A", "release", 0);
	mark = event(db, "0100", "revoke", 0);
	event(db, "7F00", "revoke", 1);         /* after the mark: not seen */

	memset(&s, 0, sizeof(s));
	assert_int_equal(db_revocation_last_at(db, "ecdsa", mark, record, &s, NULL), PECHAT_OK);
	assert_int_equal(s.n, 5);
	/* 0x0A < 0x7F < 0xFF < 0x0100 < 0xAB12, each with its last event at the mark */
	assert_string_equal(s.serial[0], "0A");
	assert_string_equal(s.kind[0], "release");
	assert_string_equal(s.serial[1], "7F");
	assert_string_equal(s.serial[2], "FF");
	assert_string_equal(s.serial[3], "0100");
	assert_string_equal(s.kind[3], "revoke");
	assert_string_equal(s.serial[4], "AB12");
	/* one pass over the covering index: no sort step, no full scan of the table */
	assert_non_null(st = stmt_with(db, "revocation_events_crl"));
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0), 0);
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_AUTOINDEX, 0), 0);

	/* the changes since base (the 0A hold), same order */
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_revocation_changed(db, "ecdsa", base, mark, record, &s, NULL), PECHAT_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.serial[0], "0A");
	assert_string_equal(s.serial[1], "7F");
	assert_string_equal(s.serial[2], "0100");

	/* an issuer without events: nothing, no error */
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_revocation_last_at(db, "rsa", mark, record, &s, NULL), PECHAT_OK);
	assert_int_equal(s.n, 0);
	db_close(db);
}

/* Stored answers of serial under issuer, both CertID digests. */
static void
answers(struct db *db, const char *issuer, const char *serial)
{
	static const unsigned char der[] = { 0x30, 0x00 };

	assert_int_equal(db_ocsp_cache_put(db, issuer, serial, "SHA1", 3000, der, sizeof(der), NULL), PECHAT_OK);
	assert_int_equal(db_ocsp_cache_put(db, issuer, serial, "SHA256", 3000, der, sizeof(der), NULL), PECHAT_OK);
}

/* Whether (issuer, serial, md) has a stored answer. */
static int
has_answer(struct db *db, const char *issuer, const char *serial, const char *md)
{
	unsigned char *der = NULL;
	size_t len = 0;
	time_t next = 0;
	enum pechat_err err = db_ocsp_cache_get(db, issuer, serial, md, &next, &der, &len, NULL);

	free(der);
	return err == PECHAT_OK;
}

/*
 * A status change drops the serial's stored answers (both digests) and no
 * other's, through the table's key (issuer, serial): not a scan of every
 * stored answer per revocation (it was 70 % of the revocation CPU with a few
 * thousand answers stored).
 */
static void
test_ocsp_cache_drop_by_key(void **state)
{
	struct db *db = NULL;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, NULL), PECHAT_OK);
	event(db, "0A", "hold", 1);
	event(db, "0B", "hold", 1);
	event(db, "0C", "hold", 1);
	answers(db, "ecdsa", "0A");
	answers(db, "ecdsa", "0B");
	answers(db, "ecdsa", "0C");
	assert_int_equal(db_ocsp_cache_drop(db, "0B", NULL), PECHAT_OK);
	assert_false(has_answer(db, "ecdsa", "0B", "SHA1"));
	assert_false(has_answer(db, "ecdsa", "0B", "SHA256"));
	assert_true(has_answer(db, "ecdsa", "0A", "SHA1"));
	assert_true(has_answer(db, "ecdsa", "0C", "SHA256"));
	assert_non_null(st = stmt_with(db, "DELETE FROM ocsp_cache"));
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), 0);
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_AUTOINDEX, 0), 0);
	/* a serial without stored answers: nothing dropped, no error */
	assert_int_equal(db_ocsp_cache_drop(db, "0F", NULL), PECHAT_OK);
	assert_true(has_answer(db, "ecdsa", "0A", "SHA256"));
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_at_numeric_order),
		cmocka_unit_test(test_ocsp_cache_drop_by_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
