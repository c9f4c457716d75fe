/*
 * Unit tests for the officer workflow (ra/approve.c) against a real store
 * with a fake clock: approval counting by distinct officers, the state
 * machine (pending -> approved -> issued, pending -> rejected), the
 * refusals (own request, twice, wrong state, bad reason), the retry of an
 * approved request, two officers at once, the request list's paging and
 * the append-only table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static unsigned char *csr_pem;
static size_t csr_len;

/* Profile "qualified" needs 2 officers; "single" needs 1. The store is a file (raw checks). */
static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "approve") != 0)
		return -1;
	F.profiles[0].approvals = 2;
	F.profiles[1] = F.profiles[0];
	pechat_strlcpy(F.profiles[1].name, "single", sizeof(F.profiles[1].name));
	F.profiles[1].approvals = 1;
	F.conf.n_profiles = 2;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	return ca_fixture_read("csr/ec-p256.pem", &csr_pem, &csr_len);
}

static int
group_teardown(void **state)
{
	(void)state;
	free(csr_pem);
	return ca_fixture_teardown(&F);
}

static struct ra_actor
actor(const char *name, const char *role)
{
	struct ra_actor a;

	memset(&a, 0, sizeof(a));
	pechat_strlcpy(a.name, name, sizeof(a.name));
	pechat_strlcpy(a.role, role, sizeof(a.role));
	pechat_strlcpy(a.fingerprint, "00ff", sizeof(a.fingerprint));
	return a;
}

/* Submits a pending request by "portal" for `profile`; its id into id. */
static void
submit(const char *profile, char id[40])
{
	struct ra_actor portal = actor("portal", "portal");
	struct pechat_subject s;
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	int replayed;

	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(&e);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "Alice Example"), 0);
	sub.profile = profile;
	sub.subject = &s;
	sub.csr = csr_pem;
	sub.csr_len = csr_len;
	sub.body_hash = "0000";
	assert_int_equal(ra_request_submit(RA_CA(F), F.db, &portal, &sub, &req, &replayed, &e), PECHAT_OK);
	assert_string_equal(req.state, "pending");
	pechat_strlcpy(id, req.id, 40);
	db_request_free_fields(&req);
	pechat_subject_clear(&s);
}

/* ra_request_approve by `name`: the error kind, and code/state into the out buffers. */
static enum pechat_err
approve(const char *name, const char *id, char code[48], char state[16])
{
	struct ra_actor a = actor(name, "ra_officer");
	struct db_request req;
	struct pechat_error e;
	enum pechat_err err;

	pechat_error_clear(&e);
	err = ra_request_approve(RA_CA(F), F.db, &a, id, &req, &e);
	pechat_strlcpy(code, err == PECHAT_OK ? "" : e.code, 48);
	pechat_strlcpy(state, err == PECHAT_OK ? req.state : "", 16);
	if (err == PECHAT_OK) {
		ra_fixture_assert_stored(&F, &req);   /* the reply's request is the stored one */
		if (strcmp(req.state, "issued") == 0)   /* with the certificate the approval issued */
			assert_non_null(req.cert_der);
		db_request_free_fields(&req);
	}
	return err;
}

static enum pechat_err
reject(const char *id, const char *reason, char code[48])
{
	struct ra_actor a = actor("officer1", "ra_officer");
	struct db_request req;
	struct pechat_error e;
	enum pechat_err err;

	pechat_error_clear(&e);
	err = ra_request_reject(RA_CA(F), F.db, &a, id, reason, &req, &e);
	pechat_strlcpy(code, err == PECHAT_OK ? "" : e.code, 48);
	if (err == PECHAT_OK) {
		assert_string_equal(req.state, "rejected");
		assert_string_equal(req.error_code, "rejected");
		assert_string_equal(req.error_detail, reason);
		db_request_free_fields(&req);
	}
	return err;
}

static int64_t
approvals_of(const char *id)
{
	int64_t n = -1;

	assert_int_equal(db_approval_count(F.db, id, &n, NULL), PECHAT_OK);
	return n;
}

/* Two distinct officers: the first leaves it pending, the second issues; refusals record nothing. */
static void
test_two_approvals(void **state)
{
	char id[40], code[48], st[16];
	int64_t certs = ca_fixture_cert_count(&F);

	(void)state;
	submit("qualified", id);
	assert_int_equal(approve("portal", id, code, st), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "own_request");
	assert_int_equal(approvals_of(id), 0);
	assert_int_equal(approve("officer1", id, code, st), PECHAT_OK);
	assert_string_equal(st, "pending");
	assert_int_equal(approve("officer1", id, code, st), PECHAT_E_CONFLICT);
	assert_string_equal(code, "already_approved");
	assert_int_equal(approvals_of(id), 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(approve("officer2", id, code, st), PECHAT_OK);
	assert_string_equal(st, "issued");
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(approve("officer3", id, code, st), PECHAT_E_CONFLICT);
	assert_string_equal(code, "request_state_conflict");
	assert_int_equal(reject(id, "too late", code), PECHAT_E_CONFLICT);
	assert_string_equal(code, "request_state_conflict");
	assert_int_equal(approvals_of(id), 2);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
}

/* approvals: 1 issues on the first approval. */
static void
test_one_approval(void **state)
{
	char id[40], code[48], st[16];
	int64_t certs = ca_fixture_cert_count(&F);
	struct db_request req;

	(void)state;
	submit("single", id);
	assert_int_equal(approve("officer1", id, code, st), PECHAT_OK);
	assert_string_equal(st, "issued");
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(db_request_get(F.db, id, &req, NULL), PECHAT_OK);
	assert_true(req.cert_serial[0] != '\0');
	db_request_free_fields(&req);
}

/* Rejection needs a reason of 1..255 bytes; a rejected request cannot be approved. */
static void
test_reject(void **state)
{
	char id[40], code[48], st[16], long_reason[RA_REASON_MAX + 2];
	int64_t certs = ca_fixture_cert_count(&F);

	(void)state;
	submit("single", id);
	assert_int_equal(reject(id, "", code), PECHAT_E_INVALID);
	assert_string_equal(code, "validation_failed");
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	assert_int_equal(reject(id, long_reason, code), PECHAT_E_INVALID);
	long_reason[RA_REASON_MAX] = '\0';
	assert_int_equal(reject(id, long_reason, code), PECHAT_OK);
	assert_int_equal(reject(id, "again", code), PECHAT_E_CONFLICT);
	assert_string_equal(code, "request_state_conflict");
	assert_int_equal(approve("officer1", id, code, st), PECHAT_E_CONFLICT);
	assert_string_equal(code, "request_state_conflict");
	assert_int_equal(approvals_of(id), 0);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(approve("officer1", "00000000-0000-4000-8000-000000000000", code, st), PECHAT_E_NOT_FOUND);
	assert_string_equal(code, "request_unknown");
}

/*
 * An "approved" request (as a busy store or an unavailable key leaves it)
 * is issued by the next approve, by any officer, without a new approval;
 * it cannot be rejected any more.
 */
static void
test_approved_retry(void **state)
{
	char id[40], code[48], st[16];
	int64_t certs = ca_fixture_cert_count(&F);

	(void)state;
	submit("single", id);
	assert_int_equal(db_request_set_state(F.db, id, "approved", NULL, NULL, NULL, F.now, NULL), PECHAT_OK);
	assert_int_equal(reject(id, "no", code), PECHAT_E_CONFLICT);
	assert_int_equal(approve("portal", id, code, st), PECHAT_OK);
	assert_string_equal(st, "issued");
	assert_int_equal(approvals_of(id), 0);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
}

/* Pages of the list in a stable order, filtered by state, profile and client; a bad cursor is refused. */
static void
test_list_paging(void **state)
{
	struct db_request_filter f;
	char ids[DB_LIST_MAX + 1][40], seen[3][40], id[40];
	struct pechat_error e;
	int n, i;

	(void)state;
	F.now += 100;   /* after the requests of the other tests */
	for (i = 0; i < 3; i++) {
		submit("single", seen[i]);
		F.now += 1;
	}
	memset(&f, 0, sizeof(f));
	f.state = "pending";
	f.profile = "single";
	f.limit = 2;
	assert_int_equal(db_request_list(F.db, &f, ids, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 3);         /* 2 + the one that says a next page exists */
	assert_string_equal(ids[0], seen[0]);
	assert_string_equal(ids[1], seen[1]);
	pechat_strlcpy(id, ids[1], sizeof(id));
	f.after_id = id;
	assert_int_equal(db_request_list(F.db, &f, ids, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], seen[2]);
	f.client = "someone-else";
	f.after_id = NULL;
	assert_int_equal(db_request_list(F.db, &f, ids, &n, NULL), PECHAT_OK);
	assert_int_equal(n, 0);
	f.after_id = "00000000-0000-4000-8000-000000000000";
	pechat_error_clear(&e);
	assert_int_equal(db_request_list(F.db, &f, ids, &n, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "cursor_invalid");
}

struct racer {
	const char *officer;
	const char *id;
	enum pechat_err err;
	char state[16];
};

/* Thread body: one officer's approval on its own store connection (as a web worker has). */
static void *
race_approve(void *arg)
{
	struct racer *r = arg;
	struct ra_actor a = actor(r->officer, "ra_officer");
	struct db_request req;
	struct db *db = NULL;

	r->err = PECHAT_E_INTERNAL;
	if (db_open(F.conf.store_path, 0, &db, NULL) != PECHAT_OK)
		return NULL;
	if ((r->err = ra_request_approve(RA_CA(F), db, &a, r->id, &req, NULL)) == PECHAT_OK) {
		pechat_strlcpy(r->state, req.state, sizeof(r->state));
		db_request_free_fields(&req);
	}
	db_close(db);
	return NULL;
}

/* Runs two officers' approvals of id at once; results in r[0], r[1]. */
static void
race(const char *id, struct racer r[2])
{
	pthread_t t[2];
	int i;

	r[0] = (struct racer){ "officer1", id, PECHAT_OK, "" };
	r[1] = (struct racer){ "officer2", id, PECHAT_OK, "" };
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_approve, &r[i]), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

/*
 * Two officers at once: with approvals 1 exactly one issues and the other
 * finds it issued; with approvals 2 both count and exactly one certificate
 * is made.
 */
static void
test_concurrent_approvals(void **state)
{
	char one[40], two[40];
	struct racer r[2];
	int64_t certs = ca_fixture_cert_count(&F);

	(void)state;
	submit("single", one);
	race(one, r);
	assert_true((r[0].err == PECHAT_OK) != (r[1].err == PECHAT_OK));
	assert_int_equal(r[0].err == PECHAT_OK ? r[1].err : r[0].err, PECHAT_E_CONFLICT);
	assert_string_equal(r[0].err == PECHAT_OK ? r[0].state : r[1].state, "issued");
	assert_int_equal(approvals_of(one), 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	submit("qualified", two);
	race(two, r);
	assert_int_equal(r[0].err, PECHAT_OK);
	assert_int_equal(r[1].err, PECHAT_OK);
	assert_true(strcmp(r[0].state, "issued") == 0 || strcmp(r[1].state, "issued") == 0);
	assert_int_equal(approvals_of(two), 2);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 2);
}

/* Approvals are never edited or withdrawn. */
static void
test_append_only(void **state)
{
	sqlite3 *raw;

	(void)state;
	assert_int_equal(sqlite3_open(F.conf.store_path, &raw), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "UPDATE request_approvals SET operator = 'x'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM request_approvals", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_approvals),
		cmocka_unit_test(test_one_approval),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_approved_retry),
		cmocka_unit_test(test_list_paging),
		cmocka_unit_test(test_concurrent_approvals),
		cmocka_unit_test(test_append_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
