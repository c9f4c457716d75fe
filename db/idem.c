/* db/idem.c — idempotency_keys: the first reply of a creating POST with an Idempotency-Key (append-only). */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

enum pechat_err
db_idem_insert(struct db *db, const struct db_idem *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO idempotency_keys (client, idem_key, route, body_hash, resource_kind, resource_id,"
	    " status, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->client, 0);
	db_bind_text(st, 2, row->key, 0);
	db_bind_text(st, 3, row->route, 0);
	db_bind_text(st, 4, row->body_hash, 0);
	db_bind_text(st, 5, row->resource_kind, 0);
	db_bind_text(st, 6, row->resource_id, 0);
	sqlite3_bind_int(st, 7, row->status);
	db_bind_text(st, 8, row->detail != NULL ? row->detail : "", 0);
	sqlite3_bind_int64(st, 9, row->created_at);
	if ((err = db_exec_stmt(db, st, "idempotency key insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "idempotency_key_taken", "this Idempotency-Key is already recorded");
	return err;
}

enum pechat_err
db_idem_get(struct db *db, const char *client, const char *route, const char *key, struct db_idem *out,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT route, body_hash, resource_kind, resource_id, status, detail, created_at"
	    " FROM idempotency_keys WHERE client = ? AND route = ? AND idem_key = ?";
	sqlite3_stmt *st;
	const char *detail;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, client, 0);
	db_bind_text(st, 2, route, 0);
	db_bind_text(st, 3, key, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		pechat_strlcpy(out->client, client, sizeof(out->client));
		pechat_strlcpy(out->key, key, sizeof(out->key));
		db_col_text(st, 0, out->route, sizeof(out->route));
		db_col_text(st, 1, out->body_hash, sizeof(out->body_hash));
		db_col_text(st, 2, out->resource_kind, sizeof(out->resource_kind));
		db_col_text(st, 3, out->resource_id, sizeof(out->resource_id));
		out->status = sqlite3_column_int(st, 4);
		detail = (const char *)sqlite3_column_text(st, 5);
		out->detail = strdup(detail != NULL ? detail : "");
		out->created_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "idempotency_key_unknown", "no such Idempotency-Key");
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "idempotency key get", e);
	if (out->detail == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	return PECHAT_OK;
}

void
db_idem_free_fields(struct db_idem *row)
{
	if (row == NULL)
		return;
	free(row->detail);
	row->detail = NULL;
}
