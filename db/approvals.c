/* db/approvals.c — officer approvals of requests (append-only) and the request list. */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_approval_insert(struct db *db, const char *request_id, const struct db_approval *a,
    struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO request_approvals (request_id, operator, client, at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, request_id, 0);
	db_bind_text(st, 2, a->operator_name, 0);
	db_bind_text(st, 3, a->client, 0);
	sqlite3_bind_int64(st, 4, a->at);
	if ((err = db_exec_stmt(db, st, "approval insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "already_approved", "%s already approved this request", a->operator_name);
	return err;
}

enum pechat_err
db_approval_count(struct db *db, const char *request_id, int64_t *count, struct pechat_error *e)
{
	return db_int64(db, "SELECT count(*) FROM request_approvals WHERE request_id = ?", request_id,
	    count, e);
}

enum pechat_err
db_approval_each(struct db *db, const char *request_id, db_approval_cb cb, void *arg,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT operator, client, at FROM request_approvals WHERE request_id = ? ORDER BY id";
	struct db_approval a;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, request_id, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		db_col_text(st, 0, a.operator_name, sizeof(a.operator_name));
		db_col_text(st, 1, a.client, sizeof(a.client));
		a.at = sqlite3_column_int64(st, 2);
		if (cb(arg, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "approval list", e);
}

enum pechat_err
db_request_list(struct db *db, const struct db_request_filter *f, char ids[][40], int *n,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT id FROM requests WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR profile = ?2)"
	    " AND (?3 IS NULL OR client = ?3) AND (?4 IS NULL OR (created_at, id) >"
	    " (SELECT created_at, id FROM requests WHERE id = ?4)) ORDER BY created_at, id LIMIT ?5";
	sqlite3_stmt *st;
	enum pechat_err err;
	int64_t known;
	int rc;

	*n = 0;
	if (f->after_id != NULL) {
		if ((err = db_int64(db, "SELECT count(*) FROM requests WHERE id = ?", f->after_id, &known, e)) != PECHAT_OK)
			return err;
		if (known == 0)
			return pechat_fail(e, PECHAT_E_INVALID, "cursor_invalid", "the cursor names no request");
	}
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, f->state, 1);
	db_bind_text(st, 2, f->profile, 1);
	db_bind_text(st, 3, f->client, 1);
	db_bind_text(st, 4, f->after_id, 1);
	sqlite3_bind_int(st, 5, f->limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n <= f->limit && *n <= DB_LIST_MAX)
		db_col_text(st, 0, ids[(*n)++], 40);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "request list", e);
}
