/* db/requests.c — certificate requests and their subject data. */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define REQUEST_COLUMNS \
	"id, client, profile, issuer, state, idem_key, body_hash, csr_der, cert_serial," \
	" error_code, error_detail, created_at, updated_at"

void
db_request_free_fields(struct db_request *row)
{
	if (row == NULL)
		return;
	pechat_subject_clear(&row->subject);
	free(row->csr_der);
	free(row->cert_der);
	memset(row, 0, sizeof(*row));
}

/* Inserts the subject fields of a request, one row per present field. */
static enum pechat_err
db_request_subject_insert(struct db *db, const char *id, const struct pechat_subject *s,
    struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO request_subject (request_id, field, value) VALUES (?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;
	int f;

	for (f = 0; f < PSF_COUNT; f++) {
		if (s->v[f] == NULL)
			continue;
		if ((st = db_stmt(db, sql, e)) == NULL)
			return e != NULL ? e->err : PECHAT_E_INTERNAL;
		db_bind_text(st, 1, id, 0);
		db_bind_text(st, 2, pechat_subject_field_name((enum pechat_subject_field)f), 0);
		db_bind_text(st, 3, s->v[f], 0);
		if ((err = db_exec_stmt(db, st, "request subject insert", e)) != PECHAT_OK)
			return err;
	}
	return PECHAT_OK;
}

/* Inserts the check results of a request, in order. */
static enum pechat_err
db_request_checks_insert(struct db *db, const struct db_request *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO request_checks (request_id, seq, name, passed, detail) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;
	int i;

	for (i = 0; i < row->nchecks && i < DB_MAX_CHECKS; i++) {
		if ((st = db_stmt(db, sql, e)) == NULL)
			return e != NULL ? e->err : PECHAT_E_INTERNAL;
		db_bind_text(st, 1, row->id, 0);
		sqlite3_bind_int(st, 2, i);
		db_bind_text(st, 3, row->checks[i].name, 0);
		sqlite3_bind_int(st, 4, row->checks[i].passed ? 1 : 0);
		db_bind_text(st, 5, row->checks[i].detail, 1);
		if ((err = db_exec_stmt(db, st, "request check insert", e)) != PECHAT_OK)
			return err;
	}
	return PECHAT_OK;
}

/* Records the registry subject and version of a request (none: nothing). */
static enum pechat_err
db_request_link_insert(struct db *db, const struct db_request *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO request_registry_subject (request_id, subject_id, version) VALUES (?, ?, ?)";
	sqlite3_stmt *st;

	if (row->subject_id[0] == '\0')
		return PECHAT_OK;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	db_bind_text(st, 2, row->subject_id, 0);
	sqlite3_bind_int64(st, 3, row->subject_version);
	return db_exec_stmt(db, st, "request subject link insert", e);
}

/* Loads the registry subject and version of request out->id ("" / 0 when inline). */
static enum pechat_err
db_request_link_load(struct db *db, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT subject_id, version FROM request_registry_subject WHERE request_id = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, out->subject_id, sizeof(out->subject_id));
		out->subject_version = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "request subject link load", e);
}

/* Loads the check results of request out->id. */
static enum pechat_err
db_request_checks_load(struct db *db, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT name, passed, detail FROM request_checks WHERE request_id = ? ORDER BY seq";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	out->nchecks = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->nchecks < DB_MAX_CHECKS) {
		struct db_check *c = &out->checks[out->nchecks++];
		db_col_text(st, 0, c->name, sizeof(c->name));
		c->passed = sqlite3_column_int(st, 1);
		db_col_text(st, 2, c->detail, sizeof(c->detail));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "request checks load", e);
}

/*
 * Inserts the request row then its subject rows. The caller runs this inside
 * db_txn_run, so a failure part-way leaves nothing.
 */
enum pechat_err
db_request_insert(struct db *db, const struct db_request *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO requests (" REQUEST_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	db_bind_text(st, 2, row->client, 0);
	db_bind_text(st, 3, row->profile, 0);
	db_bind_text(st, 4, row->issuer, 0);
	db_bind_text(st, 5, row->state, 0);
	db_bind_text(st, 6, row->idem_key, 1);
	db_bind_text(st, 7, row->body_hash, 0);
	sqlite3_bind_blob(st, 8, row->csr_der, (int)row->csr_len, SQLITE_TRANSIENT);
	db_bind_text(st, 9, row->cert_serial, 1);
	db_bind_text(st, 10, row->error_code, 1);
	db_bind_text(st, 11, row->error_detail, 1);
	sqlite3_bind_int64(st, 12, row->created_at);
	sqlite3_bind_int64(st, 13, row->updated_at);
	if ((err = db_exec_stmt(db, st, "request insert", e)) != PECHAT_OK) {
		if (err == PECHAT_E_CONFLICT)
			pechat_fail(e, err, "idempotency_key_taken",
			    "a request with this Idempotency-Key already exists");
		return err;
	}
	if ((err = db_request_subject_insert(db, row->id, &row->subject, e)) != PECHAT_OK ||
	    (err = db_request_link_insert(db, row, e)) != PECHAT_OK ||
	    (err = db_request_representative_insert(db, row, e)) != PECHAT_OK ||
	    (err = db_request_qualified_insert(db, row, e)) != PECHAT_OK)
		return err;
	return db_request_checks_insert(db, row, e);
}

/* Loads the subject rows of request `id` into out->subject. */
static enum pechat_err
db_request_subject_load(struct db *db, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT field, value FROM request_subject WHERE request_id = ?";
	sqlite3_stmt *st;
	int rc, f;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = pechat_subject_field_lookup((const char *)sqlite3_column_text(st, 0));
		if (f < 0)
			continue;       /* a field from a newer schema: not ours to show */
		if (pechat_subject_set(&out->subject, (enum pechat_subject_field)f,
		    (const char *)sqlite3_column_text(st, 1)) != 0) {
			sqlite3_reset(st);
			return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "request subject load", e);
}

/* Reads one request row (statement with its parameters bound) plus its subject. */
static enum pechat_err
db_request_read(struct db *db, sqlite3_stmt *st, struct db_request *out, struct pechat_error *e)
{
	enum pechat_err err;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "request_unknown", "no such request");
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, "request get", e);
	}
	db_col_text(st, 0, out->id, sizeof(out->id));
	db_col_text(st, 1, out->client, sizeof(out->client));
	db_col_text(st, 2, out->profile, sizeof(out->profile));
	db_col_text(st, 3, out->issuer, sizeof(out->issuer));
	db_col_text(st, 4, out->state, sizeof(out->state));
	db_col_text(st, 5, out->idem_key, sizeof(out->idem_key));
	db_col_text(st, 6, out->body_hash, sizeof(out->body_hash));
	db_col_text(st, 8, out->cert_serial, sizeof(out->cert_serial));
	db_col_text(st, 9, out->error_code, sizeof(out->error_code));
	db_col_text(st, 10, out->error_detail, sizeof(out->error_detail));
	out->created_at = sqlite3_column_int64(st, 11);
	out->updated_at = sqlite3_column_int64(st, 12);
	rc = db_col_blob(st, 7, &out->csr_der, &out->csr_len);
	sqlite3_reset(st);
	if (rc != 0)
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	else if ((err = db_request_subject_load(db, out, e)) == PECHAT_OK &&
	    (err = db_request_link_load(db, out, e)) == PECHAT_OK &&
	    (err = db_request_representative_load(db, out, e)) == PECHAT_OK &&
	    (err = db_request_qualified_load(db, out, e)) == PECHAT_OK)
		err = db_request_checks_load(db, out, e);
	if (err != PECHAT_OK)
		db_request_free_fields(out);
	return err;
}

enum pechat_err
db_request_get(struct db *db, const char *id, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, id, 0);
	return db_request_read(db, st, out, e);
}

enum pechat_err
db_request_by_idem_key(struct db *db, const char *client, const char *idem_key,
    struct db_request *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT " REQUEST_COLUMNS " FROM requests WHERE client = ? AND idem_key = ?";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, client, 0);
	db_bind_text(st, 2, idem_key, 0);
	return db_request_read(db, st, out, e);
}

/* Which states a request may move to from which: forward only. */
static int
db_request_transition_ok(const char *from, const char *to)
{
	if (strcmp(from, "pending") == 0)
		return strcmp(to, "approved") == 0 || strcmp(to, "rejected") == 0 ||
		    strcmp(to, "issued") == 0 || strcmp(to, "failed") == 0;
	if (strcmp(from, "approved") == 0)
		return strcmp(to, "issued") == 0 || strcmp(to, "failed") == 0;
	return 0;
}

enum pechat_err
db_request_set_state(struct db *db, const char *id, const char *state, const char *cert_serial,
    const char *error_code, const char *error_detail, time_t now, struct pechat_error *e)
{
	static const char sql_state[] = "SELECT state FROM requests WHERE id = ?";
	static const char sql[] =
	    "UPDATE requests SET state = ?, cert_serial = coalesce(?, cert_serial),"
	    " error_code = ?, error_detail = ?, updated_at = ? WHERE id = ? AND state = ?";
	sqlite3_stmt *st;
	enum pechat_err err;
	char from[16];
	int rc;

	if ((st = db_stmt(db, sql_state, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, id, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		db_col_text(st, 0, from, sizeof(from));
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "request_unknown", "no such request");
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "request state", e);
	if (!db_request_transition_ok(from, state))
		return pechat_fail(e, PECHAT_E_CONFLICT, "request_state_conflict",
		    "request is %s and cannot become %s", from, state);
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, state, 0);
	db_bind_text(st, 2, cert_serial, 1);
	db_bind_text(st, 3, error_code, 1);
	db_bind_text(st, 4, error_detail, 1);
	sqlite3_bind_int64(st, 5, now);
	db_bind_text(st, 6, id, 0);
	db_bind_text(st, 7, from, 0);
	if ((err = db_exec_stmt(db, st, "request set state", e)) != PECHAT_OK)
		return err;
	if (sqlite3_changes(db->conn) != 1)
		return pechat_fail(e, PECHAT_E_CONFLICT, "request_state_conflict",
		    "request changed state concurrently");
	return PECHAT_OK;
}

enum pechat_err
db_request_set_waiting(struct db *db, const char *id, const char *error_code, const char *error_detail,
    time_t now, struct pechat_error *e)
{
	static const char sql[] =
	    "UPDATE requests SET error_code = ?, error_detail = ?, updated_at = ? WHERE id = ? AND state = 'approved'";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, error_code, 0);
	db_bind_text(st, 2, error_detail, 0);
	sqlite3_bind_int64(st, 3, now);
	db_bind_text(st, 4, id, 0);
	if ((err = db_exec_stmt(db, st, "request set waiting", e)) != PECHAT_OK)
		return err;
	if (sqlite3_changes(db->conn) != 1)
		return pechat_fail(e, PECHAT_E_CONFLICT, "request_state_conflict", "the request is no longer approved");
	return PECHAT_OK;
}

enum pechat_err
db_request_count(struct db *db, int64_t *count, struct pechat_error *e)
{
	return db_int64(db, "SELECT count(*) FROM requests", NULL, count, e);
}

enum pechat_err
db_request_registry_link(struct db *db, const char *request_id, char *subject_id, size_t subject_id_sz,
    int64_t *version, int *found, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT subject_id, version FROM request_registry_subject WHERE request_id = ?";
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	subject_id[0] = '\0';
	*version = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, request_id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, subject_id, subject_id_sz);
		*version = sqlite3_column_int64(st, 1);
		*found = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "request registry link", e);
}
