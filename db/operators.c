/* db/operators.c — operators and portal clients, identified by client-certificate fingerprint. */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_operator_insert(struct db *db, const struct db_operator *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO operators (name, role, fingerprint, enabled, created_at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->name, 0);
	db_bind_text(st, 2, row->role, 0);
	db_bind_text(st, 3, row->fingerprint, 0);
	sqlite3_bind_int(st, 4, row->enabled ? 1 : 0);
	sqlite3_bind_int64(st, 5, row->created_at);
	if ((err = db_exec_stmt(db, st, "operator insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "operator_exists", "operator %s or its certificate is already registered",
		    row->name);
	return err;
}

/* The current row of a "SELECT id, name, role, fingerprint, enabled, created_at" into *out. */
static void
operator_row(sqlite3_stmt *st, struct db_operator *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->name, sizeof(out->name));
	db_col_text(st, 2, out->role, sizeof(out->role));
	db_col_text(st, 3, out->fingerprint, sizeof(out->fingerprint));
	out->enabled = sqlite3_column_int(st, 4);
	out->created_at = sqlite3_column_int64(st, 5);
}

static enum pechat_err
db_operator_read(struct db *db, sqlite3_stmt *st, struct db_operator *out, struct pechat_error *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "operator_unknown", "no such operator");
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, "operator get", e);
	}
	operator_row(st, out);
	sqlite3_reset(st);
	return PECHAT_OK;
}

/* See db.h. */
enum pechat_err
db_operator_auth(struct db *db, const char *fingerprint, struct db_operator *out, char serial[65],
    time_t *not_after, struct pechat_error *e)
{
	static const char sql[] = "SELECT o.id, o.name, o.role, o.fingerprint, o.enabled, o.created_at,"
	    " c.serial, c.not_after FROM operators o LEFT JOIN certificates c ON c.fingerprint = o.fingerprint"
	    " WHERE o.fingerprint = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	serial[0] = '\0';
	*not_after = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, fingerprint, 0);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return pechat_fail(e, PECHAT_E_NOT_FOUND, "operator_unknown", "no such operator");
		return db_fail(db, rc, "operator authentication", e);
	}
	operator_row(st, out);
	db_col_text(st, 6, serial, 65);
	*not_after = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	return PECHAT_OK;
}

/* See db.h. */
enum pechat_err
db_auth_epoch(struct db *db, int64_t *epoch, struct pechat_error *e)
{
	static const char sql[] = "SELECT n FROM auth_epoch WHERE id = 1";
	sqlite3_stmt *st;
	int rc;

	*epoch = -1;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "the store has no auth epoch row");
		return db_fail(db, rc, "auth epoch", e);
	}
	*epoch = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return PECHAT_OK;
}

enum pechat_err
db_operator_by_name(struct db *db, const char *name, struct db_operator *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT id, name, role, fingerprint, enabled, created_at"
	    " FROM operators WHERE name = ?";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, name, 0);
	return db_operator_read(db, st, out, e);
}

enum pechat_err
db_operator_set_enabled(struct db *db, const char *name, int enabled, struct pechat_error *e)
{
	static const char sql[] = "UPDATE operators SET enabled = ? WHERE name = ?";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int(st, 1, enabled ? 1 : 0);
	db_bind_text(st, 2, name, 0);
	if ((err = db_exec_stmt(db, st, "operator enable", e)) != PECHAT_OK)
		return err;
	if (sqlite3_changes(db->conn) == 0)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "operator_unknown", "no operator named %s", name);
	return PECHAT_OK;
}

/* See db.h. */
enum pechat_err
db_operator_each(struct db *db, db_operator_cb cb, void *arg, struct pechat_error *e)
{
	static const char sql[] = "SELECT id, name, role, fingerprint, enabled, created_at"
	    " FROM operators ORDER BY name";
	struct db_operator op;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		operator_row(st, &op);
		if (cb(arg, &op) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, rc, "operator list", e);
	return PECHAT_OK;
}
