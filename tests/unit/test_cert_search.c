/*
 * Unit tests for certificate search (db/cert_search.c, ra/cert_search.c):
 * each filter, status from the newest revocation event (on hold, released,
 * revoked after a hold, on hold past notAfter), subscriber certificates
 * only, paging stable across pages, a portal's scope (its requests and the
 * registry subjects it created), every parameter validated, and the query
 * plans of a large store (each selective filter uses an index).
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

#include "db/db_int.h"
#include "ra/ra.h"

#define NOW ((time_t)10000)
#define LATER ((time_t)20000)
#define EARLIER ((time_t)5000)

static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal1 = { "p1", "portal", "" };

/* Runs SQL on the store's connection; fails the test on an error. */
static void
exec(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

/* Formatted exec. */
static void
execf(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
execf(struct db *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	exec(db, sql);
}

/* Issuers: a root, two issuing CAs under it, the operators CA. */
static void
add_issuers(struct db *db)
{
	exec(db, "INSERT INTO issuers (name, kind, parent, key_ref, cert_der, created_at) VALUES"
	    " ('root', 'root', NULL, 'file:x', x'3000', 1),"
	    " ('ecdsa', 'issuing', 'root', 'file:x', x'3000', 1),"
	    " ('rsa', 'issuing', 'root', 'file:x', x'3000', 1),"
	    " ('operators', 'operators', NULL, 'file:x', x'3000', 1)");
}

/* The request id of request number n. */
static void
request_id(int n, char out[40])
{
	snprintf(out, 40, "00000000-0000-4000-8000-%012d", n);
}

/*
 * A certificate: serial, issuer, profile, notAfter; with a request of
 * `client` (number n) when client is not NULL.
 */
static void
add_cert(struct db *db, const char *serial, const char *issuer, const char *profile, time_t not_after,
    const char *client, int n)
{
	char rid[40];

	request_id(n, rid);
	execf(db, "INSERT INTO serials VALUES ('%s', '%s', 1)", serial, issuer);
	execf(db, "INSERT INTO certificates (serial, issuer, profile, request_id, subject_dn, email, fingerprint,"
	    " not_before, not_after, der, created_at) VALUES ('%s', '%s', '%s', %s%s%s, 'CN=x', NULL, 'fp%s', 1,"
	    " %lld, x'3000', %d)", serial, issuer, profile, client ? "'" : "", client ? rid : "NULL",
	    client ? "'" : "", serial, (long long)not_after, n);
	if (client != NULL)
		execf(db, "INSERT INTO requests (id, client, profile, issuer, state, body_hash, csr_der, cert_serial,"
		    " created_at, updated_at) VALUES ('%s', '%s', '%s', '%s', 'issued', 'h', x'30', '%s', %d, %d)",
		    rid, client, profile, issuer, serial, n, n);
}

/* An inline subject field of request n. */
static void
add_inline(struct db *db, int n, const char *field, const char *value)
{
	char rid[40];

	request_id(n, rid);
	execf(db, "INSERT INTO request_subject VALUES ('%s', '%s', '%s')", rid, field, value);
}

/* A registry subject made by creator, with a version of that snils and inn. */
static void
add_subject(struct db *db, const char *id, const char *creator)
{
	execf(db, "INSERT INTO subjects VALUES ('%s', 'individual', '%s', 1)", id, creator);
}

static void
add_version(struct db *db, const char *id, int version, const char *snils, const char *inn)
{
	execf(db, "INSERT INTO subject_versions (subject_id, version, state, actor, at, change, snils, inn, name)"
	    " VALUES ('%s', %d, 'verified', 'o', 1, 'create', '%s', '%s', 'N')", id, version, snils, inn);
}

/* Request n was made for subject id at version. */
static void
link_subject(struct db *db, int n, const char *id, int version)
{
	char rid[40];

	request_id(n, rid);
	execf(db, "INSERT INTO request_registry_subject VALUES ('%s', '%s', %d)", rid, id, version);
}

/* A revocation event (kind revoke|hold|release) of serial. */
static void
add_event(struct db *db, const char *serial, const char *kind)
{
	execf(db, "INSERT INTO revocation_events (serial, issuer, kind, reason, revoked_at, actor, created_at)"
	    " VALUES ('%s', 'ecdsa', '%s', %s, 1, 'o', 1)", serial, kind,
	    strcmp(kind, "release") == 0 ? "NULL" : strcmp(kind, "hold") == 0 ? "'certificateHold'" : "'keyCompromise'");
}

#define SUBJ_A "aaaaaaaa-0000-4000-8000-000000000001"       /* created by p2 */
#define SUBJ_B "bbbbbbbb-0000-4000-8000-000000000002"       /* created by p1 */

/*
 * The small store:
 *   A1 p1, inline snils 11111111111 inn 111111111111, ecdsa/demo, valid
 *   A2 p1, inline snils 22222222222, rsa/person, expired
 *   A3 p2, registry SUBJ_A version 1 (snils 33333333333; version 2: 44444444444);
 *      its inline copy says 55555555555 (the registry wins)
 *   A4 p3, registry SUBJ_B (created by p1) version 1, snils 11111111111
 *   B1 hold → on_hold; B2 hold, release → valid; B3 revoke → revoked;
 *   B4 hold, revoke → revoked; B5 hold, notAfter past → on_hold; B6 release, past → expired
 *   C1 no request (a CA's own); C2 a request but signed by the operators CA
 */
static int
setup(void **state)
{
	struct db *db = NULL;

	if (db_open(":memory:", 1, &db, NULL) != PECHAT_OK)
		return -1;
	add_issuers(db);
	add_cert(db, "A1", "ecdsa", "demo", LATER, "p1", 1);
	add_inline(db, 1, "snils", "11111111111");
	add_inline(db, 1, "inn", "111111111111");
	add_cert(db, "A2", "rsa", "person", EARLIER, "p1", 2);
	add_inline(db, 2, "snils", "22222222222");
	add_subject(db, SUBJ_A, "p2");
	add_version(db, SUBJ_A, 1, "33333333333", "333333333333");
	add_version(db, SUBJ_A, 2, "44444444444", "444444444444");
	add_cert(db, "A3", "ecdsa", "person-registry", LATER, "p2", 3);
	link_subject(db, 3, SUBJ_A, 1);
	add_inline(db, 3, "snils", "55555555555");
	add_subject(db, SUBJ_B, "p1");
	add_version(db, SUBJ_B, 1, "11111111111", "111111111111");
	add_cert(db, "A4", "ecdsa", "person-registry", LATER, "p3", 4);
	link_subject(db, 4, SUBJ_B, 1);
	add_cert(db, "B1", "ecdsa", "demo", LATER, "p2", 11);
	add_event(db, "B1", "hold");
	add_cert(db, "B2", "ecdsa", "demo", LATER, "p2", 12);
	add_event(db, "B2", "hold");
	add_event(db, "B2", "release");
	add_cert(db, "B3", "ecdsa", "demo", LATER, "p2", 13);
	add_event(db, "B3", "revoke");
	add_cert(db, "B4", "ecdsa", "demo", LATER, "p2", 14);
	add_event(db, "B4", "hold");
	add_event(db, "B4", "revoke");
	add_cert(db, "B5", "ecdsa", "demo", EARLIER, "p2", 15);
	add_event(db, "B5", "hold");
	add_cert(db, "B6", "ecdsa", "demo", EARLIER, "p2", 16);
	add_event(db, "B6", "hold");
	add_event(db, "B6", "release");
	add_cert(db, "C1", "root", "ca-root", LATER, NULL, 21);
	add_cert(db, "C2", "operators", "operator-client", LATER, "p1", 22);
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

/* Appends ",s" (or "s" to an empty list) to list. */
static void
join(char *list, size_t sz, const char *s)
{
	if (list[0] != '\0')
		strncat(list, ",", sz - strlen(list) - 1);
	strncat(list, s, sz - strlen(list) - 1);
}

/* The serials f finds, comma-joined in their order. */
static const char *
found(struct db *db, struct db_cert_filter *f)
{
	static char out[2048];
	char serials[101][65];
	int n = 0, i;

	if (f->limit == 0)
		f->limit = 100;
	f->now = NOW;
	assert_int_equal(db_cert_search(db, f, serials, &n, NULL), PECHAT_OK);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		join(out, sizeof(out), serials[i]);
	return out;
}

static void
test_subscriber_only_in_serial_order(void **state)
{
	struct db_cert_filter f = { 0 };

	assert_string_equal(found(*state, &f), "A1,A2,A3,A4,B1,B2,B3,B4,B5,B6");
}

static void
test_each_filter(void **state)
{
	struct db *db = *state;
	struct db_cert_filter f;

	memset(&f, 0, sizeof(f)), f.subject_id = SUBJ_A;
	assert_string_equal(found(db, &f), "A3");
	/* SNILS: the inline subject's, or the registry version issued from (not the newer one) */
	memset(&f, 0, sizeof(f)), f.snils = "11111111111";
	assert_string_equal(found(db, &f), "A1,A4");
	memset(&f, 0, sizeof(f)), f.snils = "33333333333";
	assert_string_equal(found(db, &f), "A3");
	memset(&f, 0, sizeof(f)), f.snils = "44444444444";
	assert_string_equal(found(db, &f), "");
	memset(&f, 0, sizeof(f)), f.snils = "55555555555";
	assert_string_equal(found(db, &f), "");
	memset(&f, 0, sizeof(f)), f.inn = "111111111111";
	assert_string_equal(found(db, &f), "A1,A4");
	memset(&f, 0, sizeof(f)), f.inn = "333333333333";
	assert_string_equal(found(db, &f), "A3");
	memset(&f, 0, sizeof(f)), f.issuer = "rsa";
	assert_string_equal(found(db, &f), "A2");
	memset(&f, 0, sizeof(f)), f.issuer = "operators";
	assert_string_equal(found(db, &f), "");
	memset(&f, 0, sizeof(f)), f.profile = "person-registry";
	assert_string_equal(found(db, &f), "A3,A4");
	memset(&f, 0, sizeof(f)), f.has_expires_before = 1, f.expires_before = NOW;
	assert_string_equal(found(db, &f), "A2,B5,B6");
	/* filters combine */
	memset(&f, 0, sizeof(f)), f.snils = "11111111111", f.profile = "demo";
	assert_string_equal(found(db, &f), "A1");
}

static void
test_status_from_newest_event(void **state)
{
	struct db *db = *state;
	struct db_cert_filter f;

	memset(&f, 0, sizeof(f)), f.status = "valid";
	assert_string_equal(found(db, &f), "A1,A3,A4,B2");
	memset(&f, 0, sizeof(f)), f.status = "expired";
	assert_string_equal(found(db, &f), "A2,B6");
	memset(&f, 0, sizeof(f)), f.status = "on_hold";
	assert_string_equal(found(db, &f), "B1,B5");
	memset(&f, 0, sizeof(f)), f.status = "revoked";
	assert_string_equal(found(db, &f), "B3,B4");
	/* a release after the search's first page: B1 moves from on_hold to valid */
	add_event(db, "B1", "release");
	memset(&f, 0, sizeof(f)), f.status = "on_hold";
	assert_string_equal(found(db, &f), "B5");
	memset(&f, 0, sizeof(f)), f.status = "valid";
	assert_string_equal(found(db, &f), "A1,A3,A4,B1,B2");
}

static void
test_portal_scope(void **state)
{
	struct db *db = *state;
	struct db_cert_filter f;
	int owned = -1;

	/* p1: its requests (A1, A2; C2 is not a subscriber's) and SUBJ_B's certificate (A4) */
	memset(&f, 0, sizeof(f)), f.portal = "p1";
	assert_string_equal(found(db, &f), "A1,A2,A4");
	memset(&f, 0, sizeof(f)), f.portal = "p2";
	assert_string_equal(found(db, &f), "A3,B1,B2,B3,B4,B5,B6");
	memset(&f, 0, sizeof(f)), f.portal = "p2", f.snils = "11111111111";
	assert_string_equal(found(db, &f), "");
	memset(&f, 0, sizeof(f)), f.portal = "p9";
	assert_string_equal(found(db, &f), "");
	assert_int_equal(db_cert_of_portal(db, "A4", "p1", &owned, NULL), PECHAT_OK);
	assert_int_equal(owned, 1);
	assert_int_equal(db_cert_of_portal(db, "A4", "p3", &owned, NULL), PECHAT_OK);
	assert_int_equal(owned, 1);
	assert_int_equal(db_cert_of_portal(db, "A3", "p1", &owned, NULL), PECHAT_OK);
	assert_int_equal(owned, 0);
	assert_int_equal(db_cert_of_portal(db, "C2", "p1", &owned, NULL), PECHAT_OK);
	assert_int_equal(owned, 0);
	assert_int_equal(db_cert_of_portal(db, "NONE", "p1", &owned, NULL), PECHAT_OK);
	assert_int_equal(owned, 0);
}

static void
test_paging_stable(void **state)
{
	struct db *db = *state;
	char serials[RA_CERT_LIMIT_MAX + 1][65], seen[1024] = "", cursor[65] = "";
	struct ra_cert_query q = { 0 };
	int count = 0, more = 1, pages = 0, i;

	q.limit = "3";
	while (more) {
		q.cursor = cursor[0] != '\0' ? cursor : NULL;
		assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
		for (i = 0; i < count; i++)
			join(seen, sizeof(seen), serials[i]);
		if (count > 0)
			snprintf(cursor, sizeof(cursor), "%s", serials[count - 1]);
		/* certificates issued between pages, before and after the cursor */
		if (pages++ == 0) {
			add_cert(db, "A0", "ecdsa", "demo", LATER, "p1", 31);
			add_cert(db, "FF", "ecdsa", "demo", LATER, "p1", 32);
		}
		assert_true(pages < 10);
	}
	/* no certificate repeated or skipped; the one issued behind the cursor is not seen */
	assert_string_equal(seen, "A1,A2,A3,A4,B1,B2,B3,B4,B5,B6,FF");
	assert_int_equal(pages, 4);
	/* a lower-case cursor is the same cursor */
	q.cursor = "b4";
	q.limit = NULL;
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 3);
	assert_string_equal(serials[0], "B5");
	assert_int_equal(more, 0);
}

static void
test_ra_scope_and_normalisation(void **state)
{
	struct db *db = *state;
	char serials[RA_CERT_LIMIT_MAX + 1][65];
	struct ra_cert_query q = { 0 };
	int count = 0, more = 0;

	/* a portal's search is scoped whatever it asks */
	assert_int_equal(ra_cert_search(db, &portal1, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 3);
	assert_string_equal(serials[2], "A4");
	/* SNILS written with separators; a subject id in upper case */
	exec(db, "INSERT INTO request_subject VALUES ('00000000-0000-4000-8000-000000000002', 'inn', '500100732259')");
	add_cert(db, "D1", "ecdsa", "demo", LATER, "p1", 41);
	add_inline(db, 41, "snils", "11223344595");
	q.snils = "112-233-445 95";
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 1);
	assert_string_equal(serials[0], "D1");
	memset(&q, 0, sizeof(q));
	q.inn = "500100732259";
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 1);
	assert_string_equal(serials[0], "A2");
	memset(&q, 0, sizeof(q));
	q.subject_id = "AAAAAAAA-0000-4000-8000-000000000001";
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 1);
	assert_string_equal(serials[0], "A3");
	memset(&q, 0, sizeof(q));
	q.expires_before = "1970-01-01T02:46:40Z";   /* = NOW */
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 3);
	q.expires_before = "1970-01-02";             /* 86400: every one */
	assert_int_equal(ra_cert_search(db, &officer, &q, NOW, serials, &count, &more, NULL), PECHAT_OK);
	assert_int_equal(count, 11);
}

/* 1 if e names param with rule. */
static int
names(const struct pechat_error *e, const char *param, const char *rule)
{
	int i;

	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, param) == 0 && strcmp(e->fields[i].rule, rule) == 0)
			return 1;
	return 0;
}

static void
test_parameters_validated(void **state)
{
	static const struct {
		struct ra_cert_query q;
		const char *param, *rule;
	} bad[] = {
		{ { .snils = "1122334459" }, "snils", "format" },
		{ { .snils = "11223344596" }, "snils", "check_digit" },
		{ { .snils = "112-233-445-9x" }, "snils", "format" },
		{ { .snils = "" }, "snils", "length" },
		{ { .inn = "7707083893" }, "inn", "format" },
		{ { .inn = "500100732258" }, "inn", "check_digit" },
		{ { .inn = "50010073225a" }, "inn", "format" },
		{ { .inn = "5001007322590" }, "inn", "length" },
		{ { .status = "active" }, "status", "enum" },
		{ { .status = "" }, "status", "enum" },
		{ { .issuer = "ec dsa" }, "issuer", "format" },
		{ { .issuer = "" }, "issuer", "length" },
		{ { .profile = "demo'--" }, "profile", "format" },
		{ { .expires_before = "2026-02-30" }, "expires_before", "format" },
		{ { .expires_before = "2026-01-01T00:00:00" }, "expires_before", "format" },
		{ { .expires_before = "tomorrow" }, "expires_before", "format" },
		{ { .limit = "0" }, "limit", "range" },
		{ { .limit = "101" }, "limit", "range" },
		{ { .limit = "-1" }, "limit", "range" },
		{ { .limit = "5x" }, "limit", "range" },
		{ { .cursor = "XYZ" }, "cursor", "format" },
		{ { .cursor = "" }, "cursor", "format" },
		{ { .subject_id = "aaaaaaaa-0000-4000-8000-00000000000" }, "subject_id", "format" },
		{ { .subject_id = "aaaaaaaa00000-4000-8000-000000000001" }, "subject_id", "format" },
	};
	char serials[RA_CERT_LIMIT_MAX + 1][65];
	struct ra_cert_query all = { "x", "1", "2", "3", "4 4", "", "5", "0", "g" };
	struct pechat_error e;
	int count = 0, more = 0;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pechat_error_clear(&e);
		assert_int_equal(ra_cert_search(*state, &officer, &bad[i].q, NOW, serials, &count, &more, &e),
		    PECHAT_E_INVALID);
		assert_string_equal(e.code, "validation_failed");
		if (!names(&e, bad[i].param, bad[i].rule))
			fail_msg("case %zu: %s/%s not named (first: %s/%s)", i, bad[i].param, bad[i].rule,
			    e.nfields > 0 ? e.fields[0].field : "-", e.nfields > 0 ? e.fields[0].rule : "-");
		assert_int_equal(e.nfields, 1);
	}
	/* every bad parameter named at once */
	pechat_error_clear(&e);
	assert_int_equal(ra_cert_search(*state, &officer, &all, NOW, serials, &count, &more, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 9);
}

/* ------------------------------------------------------------ query plans */

static char traced_sql[8192];

/* Keeps the expanded text of the last certificate search run on the connection. */
static int
trace_cb(unsigned type, void *ctx, void *p, void *x)
{
	char *sql;

	(void)ctx, (void)x;
	if (type == SQLITE_TRACE_PROFILE && (sql = sqlite3_expanded_sql(p)) != NULL) {
		if (strncmp(sql, "SELECT c.serial", 15) == 0)
			snprintf(traced_sql, sizeof(traced_sql), "%s", sql);
		sqlite3_free(sql);
	}
	return 0;
}

/* The EXPLAIN QUERY PLAN of the search f runs, one step per line. */
static const char *
plan_of(struct db *db, struct db_cert_filter *f)
{
	static char plan[4096];
	char serials[101][65], eqp[8300];
	sqlite3_stmt *st = NULL;
	int n = 0;

	traced_sql[0] = '\0';
	f->limit = 51;
	f->now = NOW;
	assert_int_equal(db_cert_search(db, f, serials, &n, NULL), PECHAT_OK);
	assert_true(traced_sql[0] != '\0');
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", traced_sql);
	assert_int_equal(sqlite3_prepare_v2(db->conn, eqp, -1, &st, NULL), SQLITE_OK);
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(plan + strlen(plan), sizeof(plan) - strlen(plan), "%s\n", sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	return plan;
}

/* Fails unless the plan searches certificates through `index` and never scans them whole. */
static void
assert_plan(struct db *db, struct db_cert_filter *f, const char *index)
{
	const char *plan = plan_of(db, f);

	if (getenv("PLANS") != NULL)
		printf("--- %s\n%s", index, plan);

	if (strstr(plan, index) == NULL || strstr(plan, "SCAN c\n") != NULL || strstr(plan, "SCAN c USING") != NULL)
		fail_msg("plan without %s or with a full scan:\n%s", index, plan);
}

/* Fails if the plan sorts the matches (a broad filter must walk the serial order and stop at the page's end). */
static void
assert_no_sort(struct db *db, struct db_cert_filter *f, const char *what)
{
	const char *plan = plan_of(db, f);

	if (getenv("PLANS") != NULL)
		printf("--- %s\n%s", what, plan);
	if (strstr(plan, "TEMP B-TREE") != NULL)
		fail_msg("%s: the plan sorts every match:\n%s", what, plan);
}

/*
 * 20,000 certificates of one portal and profile, few of them revoked, on
 * hold or expiring: every selective filter is answered through an index.
 */
static void
test_query_plans(void **state)
{
	struct db *db = *state;
	struct db_cert_filter f;
	char serial[16];
	int i;

	exec(db, "BEGIN");
	for (i = 0; i < 20000; i++) {
		snprintf(serial, sizeof(serial), "%08X", (unsigned)i * 2654435761u);
		add_cert(db, serial, "ecdsa", "bulk", i % 100 == 0 ? EARLIER : LATER, "bulk", 1000 + i);
		add_inline(db, 1000 + i, "snils", i == 77 ? "77777777777" : "12345678901");
		if (i % 500 == 0)
			add_event(db, serial, i % 1000 == 0 ? "revoke" : "hold");
	}
	exec(db, "COMMIT");
	sqlite3_trace_v2(db->conn, SQLITE_TRACE_PROFILE, trace_cb, NULL);
	memset(&f, 0, sizeof(f)), f.subject_id = SUBJ_A;
	assert_plan(db, &f, "request_registry_subject");
	memset(&f, 0, sizeof(f)), f.snils = "77777777777";
	assert_plan(db, &f, "request_subject_value");
	memset(&f, 0, sizeof(f)), f.inn = "111111111111";
	assert_plan(db, &f, "subject_versions_inn");
	memset(&f, 0, sizeof(f)), f.status = "revoked";
	assert_plan(db, &f, "revocation_events_kind");
	memset(&f, 0, sizeof(f)), f.status = "on_hold";
	assert_plan(db, &f, "revocation_events_kind");
	memset(&f, 0, sizeof(f)), f.has_expires_before = 1, f.expires_before = NOW;
	assert_plan(db, &f, "certificates_not_after");
	memset(&f, 0, sizeof(f)), f.profile = "person";
	assert_plan(db, &f, "certificates_profile_serial");
	memset(&f, 0, sizeof(f)), f.issuer = "rsa";
	assert_plan(db, &f, "certificates_issuer");
	memset(&f, 0, sizeof(f)), f.portal = "p1";
	assert_plan(db, &f, "requests");
	/* broad filters: walked in serial order, not sorted */
	memset(&f, 0, sizeof(f)), f.portal = "bulk";
	assert_no_sort(db, &f, "portal bulk");
	memset(&f, 0, sizeof(f)), f.has_expires_before = 1, f.expires_before = LATER + 1;
	assert_no_sort(db, &f, "expires_before all");
	memset(&f, 0, sizeof(f)), f.status = "valid";
	assert_no_sort(db, &f, "status valid");
	sqlite3_trace_v2(db->conn, 0, NULL, NULL);
}

/* The owner's registry source: a request's registry link alone (A3: SUBJ_A v1; A1 inline: none; unknown: none). */
static void
test_registry_link(void **state)
{
	struct db *db = *state;
	char rid[40], subject_id[37];
	int64_t version;
	int found;

	request_id(3, rid);
	assert_int_equal(db_request_registry_link(db, rid, subject_id, sizeof(subject_id), &version, &found, NULL),
	    PECHAT_OK);
	assert_true(found);
	assert_string_equal(subject_id, SUBJ_A);
	assert_int_equal(version, 1);
	request_id(1, rid);
	assert_int_equal(db_request_registry_link(db, rid, subject_id, sizeof(subject_id), &version, &found, NULL),
	    PECHAT_OK);
	assert_false(found);
	assert_string_equal(subject_id, "");
	assert_int_equal(db_request_registry_link(db, "no-such-request", subject_id, sizeof(subject_id), &version,
	    &found, NULL), PECHAT_OK);
	assert_false(found);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subscriber_only_in_serial_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_from_newest_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portal_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ra_scope_and_normalisation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parameters_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_link, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
