/* db/issuers.c — the issuers table (append-only). */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

void
db_issuer_free_fields(struct db_issuer *row)
{
	if (row == NULL)
		return;
	free(row->cert_der);
	memset(row, 0, sizeof(*row));
}

enum pechat_err
db_issuer_insert(struct db *db, const struct db_issuer *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO issuers (name, kind, parent, key_ref, cert_der, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->name, 0);
	db_bind_text(st, 2, row->kind, 0);
	db_bind_text(st, 3, row->parent, 1);
	db_bind_text(st, 4, row->key_ref, 0);
	sqlite3_bind_blob(st, 5, row->cert_der, (int)row->cert_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, row->created_at);
	if ((err = db_exec_stmt(db, st, "issuer insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "issuer_exists", "issuer %s already exists", row->name);
	return err;
}

enum pechat_err
db_issuer_get(struct db *db, const char *name, struct db_issuer *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT id, name, kind, parent, key_ref, cert_der, created_at FROM issuers WHERE name = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, name, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "no issuer named %s", name);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, "issuer get", e);
	}
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->name, sizeof(out->name));
	db_col_text(st, 2, out->kind, sizeof(out->kind));
	db_col_text(st, 3, out->parent, sizeof(out->parent));
	db_col_text(st, 4, out->key_ref, sizeof(out->key_ref));
	out->created_at = sqlite3_column_int64(st, 6);
	rc = db_col_blob(st, 5, &out->cert_der, &out->cert_len);
	sqlite3_reset(st);
	if (rc != 0)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	return PECHAT_OK;
}

enum pechat_err
db_issuer_count(struct db *db, int *count, struct pechat_error *e)
{
	int64_t n = 0;
	enum pechat_err err = db_int64(db, "SELECT count(*) FROM issuers", NULL, &n, e);

	*count = (int)n;
	return err;
}

enum pechat_err
db_issuer_succession_insert(struct db *db, const char *predecessor, const char *successor, time_t created_at,
    const char *actor, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO issuer_successions (predecessor, successor, created_at, actor) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, predecessor, 0);
	db_bind_text(st, 2, successor, 0);
	sqlite3_bind_int64(st, 3, created_at);
	db_bind_text(st, 4, actor, 0);
	if ((err = db_exec_stmt(db, st, "issuer succession insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "issuer_not_newest", "issuer %s already has a successor, or %s already succeeds "
		    "an issuer", predecessor, successor);
	return err;
}

/* One name column of issuer_successions where the other column is `name`; NOT_FOUND when none. */
static enum pechat_err
succession_lookup(struct db *db, const char *sql, const char *name, char *out, size_t outsz,
    struct pechat_error *e)
{
	sqlite3_stmt *st;
	int rc;

	out[0] = '\0';
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, name, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		db_col_text(st, 0, out, outsz);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "no succession of %s", name);
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "issuer succession get", e);
	return PECHAT_OK;
}

enum pechat_err
db_issuer_successor(struct db *db, const char *name, char *out, size_t outsz, struct pechat_error *e)
{
	return succession_lookup(db, "SELECT successor FROM issuer_successions WHERE predecessor = ?", name,
	    out, outsz, e);
}

enum pechat_err
db_issuer_predecessor(struct db *db, const char *name, char *out, size_t outsz, struct pechat_error *e)
{
	return succession_lookup(db, "SELECT predecessor FROM issuer_successions WHERE successor = ?", name,
	    out, outsz, e);
}
