/*
 * Unit tests for the Idempotency-Key of the creating calls other than
 * POST /api/v1/requests (ra/idem.c, db/idem.c): a subject create, a
 * document and a re-key replayed with the same key and hash answer the
 * first resource and create nothing; another hash (or another route) is
 * "idempotency_key_reused"; another client's (or route's) same key is independent; two
 * concurrent identical re-keys (two store connections) make one request and
 * one certificate; a replayed re-key supersedes nothing more and leaves the
 * first certificate valid.
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

#include "ra/rekey.h"

#include "ca_fixture.h"
#include "ra_fixture.h"
#include "test_util.h"

static struct ca_fixture F;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor portal2 = { "portal2", "portal", "" };
static const char WORD[] = "Сорок два попугая";
static const char H1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char H2[] = "2222222222222222222222222222222222222222222222222222222222222222";

/* Profile "qualified": registry individuals, auto-approved; the store in a file (two connections). */
static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "idem") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	F.profiles[0].subject_registry = 1;
	pechat_strlcpy(F.profiles[0].subject_kind, "individual", sizeof(F.profiles[0].subject_kind));
	F.profiles[0].subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SNILS);
	F.conf.n_profiles = 1;
	F.file_store = 1;
	return ca_fixture_start(&F);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* A subject create of an individual with SNILS snils by `by` with Idempotency-Key key and hash. */
static enum pechat_err
create(const struct ra_actor *by, const char *snils, const char *key, const char *hash, char id[37],
    struct pechat_error *e)
{
	struct ra_idem idem = { key, "subject", hash };
	struct ra_subject_input in;
	struct db_subject s;
	enum pechat_err err;

	memset(&in, 0, sizeof(in));
	in.kind = "individual";
	in.v[RSF_SURNAME] = "Иванов";
	in.v[RSF_GIVEN_NAME] = "Иван";
	in.v[RSF_BIRTH_DATE] = "1990-05-15";
	in.v[RSF_SNILS] = snils;
	in.v[RSF_COUNTRY] = "RU";
	in.idem = key != NULL ? &idem : NULL;
	pechat_error_clear(e);
	if ((err = ra_subject_create(F.db, by, F.now, &in, &s, e)) == PECHAT_OK) {
		pechat_strlcpy(id, s.id, 37);
		db_subject_free_fields(&s);
	}
	return err;
}

/* A passport added to subject id by the officer with key (NULL: none) and hash; the document id. */
static enum pechat_err
add_doc(const char *id, const char *key, const char *hash, int64_t *doc_id, struct pechat_error *e)
{
	struct ra_idem idem = { key, "document", hash };
	struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД Тверского района", "770-001",
		key != NULL ? &idem : NULL };
	struct db_id_document doc;
	enum pechat_err err;

	pechat_error_clear(e);
	if ((err = ra_document_add(F.db, &officer, F.now, id, &d, &doc, e)) == PECHAT_OK)
		*doc_id = doc.id;
	return err;
}

/* A verified individual registered by `by` with a code word and one certificate (its serial). */
static void
rekeyable(const struct ra_actor *by, const char *snils, char id[37], char serial[65])
{
	struct ra_rekey_state rs;
	struct ra_submission sub;
	struct db_request req;
	struct db_subject s;
	struct db_id_document doc;
	struct pechat_error e;
	int64_t doc_id;
	int replayed;

	assert_int_equal(create(by, snils, NULL, NULL, id, &e), PECHAT_OK);
	assert_int_equal(add_doc(id, NULL, NULL, &doc_id, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(F.db, &officer, F.now, id, doc_id, 0, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(F.db, &officer, F.now, id, NULL, &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, id, WORD, &rs, &e), PECHAT_OK);
	memset(&sub, 0, sizeof(sub));
	sub.profile = "qualified";
	sub.subject_id = id;
	assert_non_null(sub.csr = ca_fixture_new_csr_pem(&sub.csr_len));
	sub.body_hash = "0000";
	assert_int_equal(ra_request_submit(RA_CA(F), F.db, by, &sub, &req, &replayed, &e), PECHAT_OK);
	free((void *)sub.csr);
	assert_string_equal(req.state, "issued");
	pechat_strlcpy(serial, req.cert_serial, 65);
	db_request_free_fields(&req);
}

/* A re-key of subject id by `by` on connection db with key and hash and the CSR csr. */
static enum pechat_err
rekey_on(struct db *db, const struct ra_actor *by, const char *id, const char *key, const char *hash,
    const unsigned char *csr, size_t len, struct ra_rekey_result *res, struct pechat_error *e)
{
	struct ra_idem idem = { key, "rekey", hash };
	struct ra_rekey_input in = { id, WORD, "qualified", csr, len, key != NULL ? &idem : NULL };

	pechat_error_clear(e);
	return ra_rekey(RA_CA(F), db, by, &in, res, e);
}

/* The status of a stored certificate. */
static const char *
status_of(const char *serial)
{
	struct db_revocation ev;
	struct db_cert cert;
	struct pechat_error e;
	const char *st = "?";

	pechat_error_clear(&e);
	assert_int_equal(db_cert_get(F.db, serial, &cert, &e), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &cert, F.now, &st, &ev, &e), PECHAT_OK);
	db_cert_free_fields(&cert);
	return st;
}

/* Subject create: replay, another hash, the key on another route, another client, no key. */
static void
test_subject_create(void **state)
{
	struct pechat_error e;
	char id[37], again[37], other[37];
	int64_t subjects;

	(void)state;
	assert_int_equal(create(&portal, "00000000101", "create-1", H1, id, &e), PECHAT_OK);
	subjects = ra_fixture_sql_int(&F, "SELECT count(*) FROM subjects");
	/* the same key and body: the first subject, nothing new (before: 409 subject_duplicate) */
	assert_int_equal(create(&portal, "00000000101", "create-1", H1, again, &e), PECHAT_OK);
	assert_string_equal(again, id);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM subjects"), subjects);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM idempotency_keys WHERE idem_key = 'create-1'"), 1);
	/* another body: 422, nothing created */
	assert_int_equal(create(&portal, "00000000202", "create-1", H2, again, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "idempotency_key_reused");
	/* the same client's same key string on another route is that route's own */
	{
		struct ra_idem idem = { "create-1", "document", H1 };
		struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД", "770-001", &idem };
		struct db_id_document doc;
		pechat_error_clear(&e);
		assert_int_equal(ra_document_add(F.db, &portal, F.now, id, &d, &doc, &e), PECHAT_OK);
	}
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM idempotency_keys WHERE client = 'portal1' AND "
	    "idem_key = 'create-1'"), 2);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM subjects"), subjects);
	/* another client's same key is independent */
	assert_int_equal(create(&portal2, "00000000202", "create-1", H1, other, &e), PECHAT_OK);
	assert_string_not_equal(other, id);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM subjects"), subjects + 1);
	/* without a key a retry is still a duplicate */
	assert_int_equal(create(&portal, "00000000101", NULL, NULL, again, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "subject_duplicate");
	/* append-only */
	{
		char path[256], *err = NULL;
		sqlite3 *raw = NULL;
		snprintf(path, sizeof(path), "%s/pechat.db", F.dir);
		assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM idempotency_keys", NULL, NULL, &err), SQLITE_OK);
		sqlite3_free(err);
		assert_int_not_equal(sqlite3_exec(raw, "UPDATE idempotency_keys SET status = 200", NULL, NULL, &err),
		    SQLITE_OK);
		sqlite3_free(err);
		sqlite3_close(raw);
	}
}

/* Document add: the same key answers the first document; one row. */
static void
test_document_add(void **state)
{
	struct pechat_error e;
	char id[37];
	int64_t first, again, docs;

	(void)state;
	assert_int_equal(create(&officer, "00000000303", NULL, NULL, id, &e), PECHAT_OK);
	assert_int_equal(add_doc(id, "doc-1", H1, &first, &e), PECHAT_OK);
	docs = ra_fixture_sql_int(&F, "SELECT count(*) FROM identity_documents");
	assert_int_equal(add_doc(id, "doc-1", H1, &again, &e), PECHAT_OK);
	assert_int_equal(again, first);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM identity_documents"), docs);
	assert_int_equal(add_doc(id, "doc-1", H2, &again, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "idempotency_key_reused");
	assert_int_equal(add_doc(id, NULL, NULL, &again, &e), PECHAT_OK);          /* no key: a new one */
	assert_int_not_equal(again, first);
}

/* Re-key: a replay answers the first request and superseded list, issues and revokes nothing. */
static void
test_rekey_replay(void **state)
{
	struct ra_rekey_result res, again;
	struct pechat_error e;
	char id[37], id2[37], old[65], old2[65], serial[65];
	unsigned char *csr;
	size_t len;
	int64_t certs, requests;

	(void)state;
	rekeyable(&portal, "00000000404", id, old);
	assert_non_null(csr = ca_fixture_new_csr_pem(&len));
	assert_int_equal(rekey_on(F.db, &portal, id, "rekey-1", H1, csr, len, &res, &e), PECHAT_OK);
	assert_int_equal(res.nsuperseded, 1);
	assert_string_equal(res.superseded[0], old);
	pechat_strlcpy(serial, res.req.cert_serial, sizeof(serial));
	certs = ca_fixture_cert_count(&F);
	requests = ra_fixture_sql_int(&F, "SELECT count(*) FROM requests");
	/* the retry: the same request, certificate and superseded list; nothing issued or revoked */
	assert_int_equal(rekey_on(F.db, &portal, id, "rekey-1", H1, csr, len, &again, &e), PECHAT_OK);
	assert_string_equal(again.req.id, res.req.id);
	assert_string_equal(again.req.cert_serial, serial);
	assert_int_equal(again.nsuperseded, 1);
	assert_string_equal(again.superseded[0], old);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM requests"), requests);
	assert_string_equal(status_of(serial), "valid");
	ra_rekey_result_free(&again);
	/* another body with the key: 422, nothing issued */
	assert_int_equal(rekey_on(F.db, &portal, id, "rekey-1", H2, csr, len, &again, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "idempotency_key_reused");
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_string_equal(status_of(serial), "valid");
	/* another portal's same key: its own re-key */
	rekeyable(&portal2, "00000000505", id2, old2);
	certs = ca_fixture_cert_count(&F);
	free(csr);
	assert_non_null(csr = ca_fixture_new_csr_pem(&len));   /* its own key */
	assert_int_equal(rekey_on(F.db, &portal2, id2, "rekey-1", H1, csr, len, &again, &e), PECHAT_OK);
	assert_string_not_equal(again.req.id, res.req.id);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_string_equal(status_of(old2), "revoked");
	assert_string_equal(status_of(serial), "valid");
	ra_rekey_result_free(&again);
	ra_rekey_result_free(&res);
	free(csr);
}

struct racer {
	const char *id;
	const unsigned char *csr;
	size_t len;
	struct ra_rekey_result res;
	enum pechat_err err;
	pthread_barrier_t *go;
};

/* One of two identical re-keys, on its own store connection. */
static void *
racer_run(void *arg)
{
	struct racer *r = arg;
	struct pechat_error e;
	struct db *db = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/pechat.db", F.dir);
	pechat_error_clear(&e);
	if (db_open(path, 0, &db, &e) != PECHAT_OK) {
		r->err = PECHAT_E_INTERNAL;
		return NULL;
	}
	pthread_barrier_wait(r->go);
	r->err = rekey_on(db, &portal, r->id, "race-1", H1, r->csr, r->len, &r->res, &e);
	db_close(db);
	return NULL;
}

/* Two concurrent identical re-keys: one request, one certificate, the same answer twice. */
static void
test_rekey_concurrent(void **state)
{
	struct racer r[2];
	pthread_barrier_t go;
	pthread_t t[2];
	char id[37], old[65];
	unsigned char *csr;
	size_t len;
	int64_t certs, requests;
	int i;

	(void)state;
	rekeyable(&portal, "00000000606", id, old);
	assert_non_null(csr = ca_fixture_new_csr_pem(&len));
	certs = ca_fixture_cert_count(&F);
	requests = ra_fixture_sql_int(&F, "SELECT count(*) FROM requests");
	pthread_barrier_init(&go, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = id;
		r[i].csr = csr;
		r[i].len = len;
		r[i].go = &go;
		assert_int_equal(pthread_create(&t[i], NULL, racer_run, &r[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	assert_int_equal(r[0].err, PECHAT_OK);
	assert_int_equal(r[1].err, PECHAT_OK);
	assert_string_equal(r[0].res.req.id, r[1].res.req.id);
	assert_string_equal(r[0].res.req.cert_serial, r[1].res.req.cert_serial);
	/* one request and one certificate: the other call waited for the claim and replayed */
	assert_int_equal(ra_fixture_sql_int(&F, "SELECT count(*) FROM requests"), requests + 1);
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_string_equal(status_of(r[0].res.req.cert_serial), "valid");
	for (i = 0; i < 2; i++)
		ra_rekey_result_free(&r[i].res);
	free(csr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_create),
		cmocka_unit_test(test_document_add),
		cmocka_unit_test(test_rekey_replay),
		cmocka_unit_test(test_rekey_concurrent),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
