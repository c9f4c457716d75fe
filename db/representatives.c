/*
 * db/representatives.c — a legal entity's request: the representative
 * (subject and version) and the power of attorney it was made under
 * (request_representative, append-only), written and read with the request;
 * likewise a qualified request's sign tool and identificationKind
 * (request_qualified).
 */
#include "db/db_int.h"

enum pechat_err
db_request_representative_insert(struct db *db, const struct db_request *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO request_representative (request_id, representative_id, version, poa_id) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;

	if (row->representative_id[0] == '\0')
		return PECHAT_OK;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	db_bind_text(st, 2, row->representative_id, 0);
	sqlite3_bind_int64(st, 3, row->representative_version);
	if (row->poa_id > 0)
		sqlite3_bind_int64(st, 4, row->poa_id);
	else
		sqlite3_bind_null(st, 4);
	return db_exec_stmt(db, st, "request representative insert", e);
}

enum pechat_err
db_request_representative_load(struct db *db, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT representative_id, version, poa_id FROM request_representative WHERE request_id = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, out->representative_id, sizeof(out->representative_id));
		out->representative_version = sqlite3_column_int64(st, 1);
		out->poa_id = sqlite3_column_int64(st, 2);      /* NULL reads as 0 */
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK :
	    db_fail(db, rc, "request representative load", e);
}

enum pechat_err
db_request_qualified_insert(struct db *db, const struct db_request *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO request_qualified (request_id, sign_tool, identification_kind) VALUES (?, ?, ?)";
	sqlite3_stmt *st;

	if (row->sign_tool[0] == '\0' && !row->has_identification_kind)
		return PECHAT_OK;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	db_bind_text(st, 2, row->sign_tool, 1);
	if (row->has_identification_kind)
		sqlite3_bind_int(st, 3, row->identification_kind);
	else
		sqlite3_bind_null(st, 3);
	return db_exec_stmt(db, st, "request qualified insert", e);
}

enum pechat_err
db_request_qualified_load(struct db *db, struct db_request *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT sign_tool, identification_kind FROM request_qualified WHERE request_id = ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, out->sign_tool, sizeof(out->sign_tool));
		out->has_identification_kind = sqlite3_column_type(st, 1) != SQLITE_NULL;
		out->identification_kind = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "request qualified load", e);
}
