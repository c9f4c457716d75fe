/*
 * Unit tests for db_cert_each_of_issuer (db/certs.c), the OCSP warm-up's
 * walk over an issuer's certificates: read in pages, with no statement of
 * the connection active while the callback runs (a walk held open across a
 * million callbacks kept one read transaction for minutes: the WAL could
 * not be checkpointed and reset while the warm-up's answers were written);
 * every certificate of the issuer not expired before the bound is seen once,
 * in serial order, across page boundaries, each page a seek on the
 * (issuer, serial) index; the callback stops the walk; a certificate stored
 * during the walk after the current page is seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"

#define N_CERTS (2 * DB_CERT_PAGE + 3)

struct walk {
	struct db *db;
	char last[65];
	int seen;
	int stop_at;            /* stop after this many (0: never) */
	int busy;               /* callbacks that found a statement of the connection active */
	int added;              /* 1 once the late certificate was stored */
	int late_seen;
};

/* Stores a certificate of issuer with serial and notAfter. */
static void
cert(struct db *db, const char *issuer, const char *serial, time_t not_after)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct db_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.issuer, sizeof(c.issuer), "%s", issuer);
	strcpy(c.profile, "demo");
	strcpy(c.subject_dn, "CN=Test");
	snprintf(c.fingerprint, sizeof(c.fingerprint), "fp-%s", serial);
	c.not_before = 1000;
	c.not_after = not_after;
	c.der = der;
	c.der_len = sizeof(der);
	c.created_at = 1000;
	assert_int_equal(db_serial_reserve(db, issuer, serial, 1, NULL), PECHAT_OK);
	assert_int_equal(db_cert_insert(db, &c, NULL), PECHAT_OK);
}

/* Checks the order, counts, and looks for an active statement on the connection. */
static int
on_cert(void *arg, const char *serial, time_t not_after)
{
	struct walk *w = arg;
	sqlite3_stmt *st = NULL;

	assert_true(not_after >= 5000);
	assert_true(strcmp(w->last, serial) < 0);
	snprintf(w->last, sizeof(w->last), "%s", serial);
	while ((st = sqlite3_next_stmt(w->db->conn, st)) != NULL)
		if (sqlite3_stmt_busy(st))
			w->busy++;
	if (strcmp(serial, "7FFFFF") == 0)
		w->late_seen++;
	w->seen++;
	if (!w->added) {
		cert(w->db, "ecdsa", "7FFFFF", 9000);   /* after every page: must be seen */
		w->added = 1;
	}
	return w->stop_at != 0 && w->seen == w->stop_at;
}

/* The walk's page statement in db's statement cache, or NULL. */
static sqlite3_stmt *
page_stmt(struct db *db)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(db->conn, st)) != NULL)
		if (strstr(sqlite3_sql(st), "FROM certificates WHERE issuer = ? AND serial > ?") != NULL)
			return st;
	return NULL;
}

static void
test_walk_pages(void **state)
{
	struct db *db = NULL;
	sqlite3_stmt *st;
	struct walk w;
	char serial[65];
	int i;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, NULL), PECHAT_OK);
	for (i = 0; i < N_CERTS; i++) {
		snprintf(serial, sizeof(serial), "1%05X", i);
		cert(db, "ecdsa", serial, 9000);
	}
	cert(db, "ecdsa", "0AAAAA", 4000);      /* expired before the bound */
	cert(db, "other", "0BBBBB", 9000);      /* another issuer's */
	memset(&w, 0, sizeof(w));
	w.db = db;
	assert_int_equal(db_cert_each_of_issuer(db, "ecdsa", 5000, on_cert, &w, NULL), PECHAT_OK);
	assert_int_equal(w.seen, N_CERTS + 1);
	assert_int_equal(w.late_seen, 1);
	assert_int_equal(w.busy, 0);
	assert_string_equal(w.last, "7FFFFF");
	/* each page a seek on the (issuer, serial) index: no scan of the table, no sort */
	assert_non_null(st = page_stmt(db));
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0), 0);
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_SORT, 0), 0);
	assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_AUTOINDEX, 0), 0);
	/* the callback stops it, in the middle of the second page */
	memset(&w, 0, sizeof(w));
	w.db = db;
	w.added = 1;
	w.stop_at = DB_CERT_PAGE + 7;
	assert_int_equal(db_cert_each_of_issuer(db, "ecdsa", 5000, on_cert, &w, NULL), PECHAT_OK);
	assert_int_equal(w.seen, DB_CERT_PAGE + 7);
	/* nothing of an issuer without certificates */
	memset(&w, 0, sizeof(w));
	w.db = db;
	w.added = 1;
	assert_int_equal(db_cert_each_of_issuer(db, "none", 0, on_cert, &w, NULL), PECHAT_OK);
	assert_int_equal(w.seen, 0);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
