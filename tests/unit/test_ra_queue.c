/*
 * Unit tests for the approved requests' queue (ra/queue.c, ra_request_issue_queued)
 * with the issuer key's token pulled through hsm/'s test seam: an approval
 * while it is out answers key_unavailable and leaves the request approved
 * with the reason recorded and audited; the queue issues nothing while it is
 * out; once back, two queue passes racing an officer's approve issue it
 * exactly once; the queue thread issues when woken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static char key_ref[2048];      /* the issuing CA's key reference: what the seam names */

static int
group_setup(void **state)
{
	struct db_issuer row;
	struct pechat_error e;

	(void)state;
	if (ca_fixture_init(&F, "queue") != 0)
		return -1;
	F.profiles[0].approvals = 1;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	setenv("PECHAT_TEST_TOKEN_PRESENCE", "/nonexistent", 1);
	memset(&row, 0, sizeof(row));
	if (db_issuer_get(F.db, F.profiles[0].issuer, &row, &e) != PECHAT_OK)
		return -1;
	pechat_strlcpy(key_ref, row.key_ref, sizeof(key_ref));
	db_issuer_free_fields(&row);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	hsm_presence_set(key_ref, 1);
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

/* A pending request of profile 0 by "portal" with a fresh key; its id into id. */
static void
submit(char id[40])
{
	struct ra_actor portal = actor("portal", "portal");
	struct pechat_subject s;
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	size_t csr_len = 0;
	unsigned char *csr = ca_fixture_new_csr_pem(&csr_len);
	int replayed;

	assert_non_null(csr);
	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(&e);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "Queued Subject"), 0);
	sub.profile = F.profiles[0].name;
	sub.subject = &s;
	sub.csr = csr;
	sub.csr_len = csr_len;
	sub.body_hash = "0000";
	assert_int_equal(ra_request_submit(RA_CA(F), F.db, &portal, &sub, &req, &replayed, &e), PECHAT_OK);
	assert_string_equal(req.state, "pending");
	pechat_strlcpy(id, req.id, 40);
	db_request_free_fields(&req);
	pechat_subject_clear(&s);
	free(csr);
}

/* The request's state and error code into the buffers. */
static void
request_of(const char *id, char state[16], char code[48])
{
	struct db_request req;
	struct pechat_error e;

	assert_int_equal(db_request_get(F.db, id, &req, &e), PECHAT_OK);
	pechat_strlcpy(state, req.state, 16);
	pechat_strlcpy(code, req.error_code, 48);
	db_request_free_fields(&req);
}

static int64_t
certs_of(const char *id)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates WHERE request_id = '%s'", id);
	return ra_fixture_sql_int(&F, sql);
}

/* The approval of id by officer1 while the token is out: 503, queued, recorded. */
static void
approve_while_absent(const char *id)
{
	struct ra_actor o = actor("officer1", "ra_officer");
	struct db_request req;
	struct pechat_error e;
	char state[16], code[48], sql[200];

	pechat_error_clear(&e);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &o, id, &req, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_non_null(strstr(e.detail, "queued"));
	assert_non_null(strstr(e.detail, "token is absent"));
	request_of(id, state, code);
	assert_string_equal(state, "approved");
	assert_string_equal(code, "key_unavailable");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'request.queued' AND object = '%s'", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
}

struct racer {
	int approve;            /* 1: an officer's approve, 0: a queue pass */
	const char *id;
	int issued;
	enum pechat_err err;
};

/* One racer on its own store connection. */
static void *
race_main(void *arg)
{
	struct racer *r = arg;
	struct ra_actor o = actor("officer2", "ra_officer");
	struct db_request req;
	struct pechat_error e;
	struct db *db = NULL;

	pechat_error_clear(&e);
	if (db_open(F.conf.store_path, 0, &db, &e) != PECHAT_OK) {
		r->err = PECHAT_E_INTERNAL;
		return NULL;
	}
	if (r->approve) {
		r->err = ra_request_approve(RA_CA(F), db, &o, r->id, &req, &e);
		if (r->err == PECHAT_OK) {
			r->issued = strcmp(req.state, "issued") == 0;
			db_request_free_fields(&req);
		}
	} else
		r->issued = ra_queue_run(RA_CA(F), db);
	db_close(db);
	return NULL;
}

static void
test_queued_then_issued_once(void **state)
{
	char id[40], st[16], code[48];
	struct racer r[3];
	pthread_t t[3];
	int64_t before = ca_fixture_cert_count(&F);
	int i;

	(void)state;
	submit(id);
	assert_int_equal(hsm_presence_set(key_ref, 0), 0);
	approve_while_absent(id);
	assert_int_equal(ra_queue_run(RA_CA(F), F.db), 0);         /* still out: nothing issued */
	request_of(id, st, code);
	assert_string_equal(st, "approved");
	assert_int_equal(hsm_presence_set(key_ref, 1), 0);
	/* back: two queue passes and an officer's approve at once */
	r[0] = (struct racer){ 0, id, 0, PECHAT_OK };
	r[1] = (struct racer){ 0, id, 0, PECHAT_OK };
	r[2] = (struct racer){ 1, id, 0, PECHAT_OK };
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(r[0].issued + r[1].issued + r[2].issued, 1);
	assert_true(r[2].err == PECHAT_OK || r[2].err == PECHAT_E_CONFLICT);
	request_of(id, st, code);
	assert_string_equal(st, "issued");
	assert_string_equal(code, "");
	assert_int_equal(certs_of(id), 1);
	assert_int_equal(ca_fixture_cert_count(&F), before + 1);
	assert_int_equal(ra_queue_run(RA_CA(F), F.db), 0);         /* nothing left */
}

static void
test_queue_thread_woken(void **state)
{
	struct ra_queue *q = NULL;
	struct pechat_error e;
	char id[40], st[16], code[48];
	int i;

	(void)state;
	submit(id);
	assert_int_equal(hsm_presence_set(key_ref, 0), 0);
	approve_while_absent(id);
	pechat_error_clear(&e);
	assert_int_equal(ra_queue_start(RA_CA(F), F.conf.store_path, &q, &e), PECHAT_OK);
	ra_queue_wake(q);
	usleep(300000);
	request_of(id, st, code);
	assert_string_equal(st, "approved");
	assert_int_equal(hsm_presence_set(key_ref, 1), 0);
	ra_queue_wake(q);
	for (i = 0; i < 100; i++) {
		request_of(id, st, code);
		if (strcmp(st, "issued") == 0)
			break;
		usleep(100000);
	}
	assert_string_equal(st, "issued");
	assert_int_equal(certs_of(id), 1);
	ra_queue_stop(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queued_then_issued_once),
		cmocka_unit_test(test_queue_thread_woken),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
