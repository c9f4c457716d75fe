/* db/revocations.c — revocation events (append-only) and the status views CRLs are built from. */
#include "db/db_int.h"

#include <string.h>

#define EVENT_COLUMNS \
	"id, serial, issuer, kind, reason, revoked_at, invalidity_date, actor, comment, created_at"

enum pechat_err
db_revocation_append(struct db *db, const struct db_revocation *ev, int64_t *id, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO revocation_events (serial, issuer, kind, reason, revoked_at, invalidity_date,"
	    " actor, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, ev->serial, 0);
	db_bind_text(st, 2, ev->issuer, 0);
	db_bind_text(st, 3, ev->kind, 0);
	db_bind_text(st, 4, ev->reason, 1);
	sqlite3_bind_int64(st, 5, ev->revoked_at);
	if (ev->invalidity_date != 0)
		sqlite3_bind_int64(st, 6, ev->invalidity_date);
	else
		sqlite3_bind_null(st, 6);
	db_bind_text(st, 7, ev->actor, 0);
	db_bind_text(st, 8, ev->comment, 1);
	sqlite3_bind_int64(st, 9, ev->created_at);
	if ((err = db_exec_stmt(db, st, "revocation append", e)) != PECHAT_OK)
		return err;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(db->conn);
	return PECHAT_OK;
}

static void
read_event(sqlite3_stmt *st, struct db_revocation *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->serial, sizeof(out->serial));
	db_col_text(st, 2, out->issuer, sizeof(out->issuer));
	db_col_text(st, 3, out->kind, sizeof(out->kind));
	db_col_text(st, 4, out->reason, sizeof(out->reason));
	out->revoked_at = sqlite3_column_int64(st, 5);
	out->invalidity_date = sqlite3_column_int64(st, 6);
	db_col_text(st, 7, out->actor, sizeof(out->actor));
	db_col_text(st, 8, out->comment, sizeof(out->comment));
	out->created_at = sqlite3_column_int64(st, 9);
}

/* Steps a statement expected to give at most one event row. */
static enum pechat_err
one_event(struct db *db, sqlite3_stmt *st, struct db_revocation *out, const char *what, struct pechat_error *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_event(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "revocation_none", "no revocation event");
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, what, e);
}

enum pechat_err
db_revocation_last(struct db *db, const char *serial, int64_t mark, struct db_revocation *out,
    struct pechat_error *e)
{
	static const char sql[] = "SELECT " EVENT_COLUMNS " FROM revocation_events"
	    " WHERE serial = ? AND (? < 0 OR id <= ?) ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial, 0);
	sqlite3_bind_int64(st, 2, mark);
	sqlite3_bind_int64(st, 3, mark);
	return one_event(db, st, out, "revocation last", e);
}

enum pechat_err
db_revocation_revoke_event(struct db *db, const char *serial, struct db_revocation *out,
    struct pechat_error *e)
{
	static const char sql[] = "SELECT " EVENT_COLUMNS " FROM revocation_events"
	    " WHERE serial = ? AND kind = 'revoke' ORDER BY id LIMIT 1";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial, 0);
	return one_event(db, st, out, "revocation revoke event", e);
}

enum pechat_err
db_revocation_mark(struct db *db, const char *issuer, int64_t *mark, struct pechat_error *e)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM revocation_events WHERE issuer = ?";

	return db_int64(db, sql, issuer, mark, e);
}

enum pechat_err
db_revocation_max_id(struct db *db, int64_t *id, struct pechat_error *e)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM revocation_events";

	return db_int64(db, sql, NULL, id, e);
}

/* Runs an event query whose parameters are bound, calling cb per row. */
static enum pechat_err
each_event(struct db *db, sqlite3_stmt *st, db_revocation_cb cb, void *arg, const char *what,
    struct pechat_error *e)
{
	struct db_revocation ev;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_event(st, &ev);
		if (cb(arg, &ev) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, what, e);
}

/* The CRL columns of a row (id, serial, kind, reason, revoked_at, invalidity_date) into *out; issuer given. */
static void
read_crl_event(sqlite3_stmt *st, const char *issuer, struct db_revocation *out)
{
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->serial, sizeof(out->serial));
	pechat_strlcpy(out->issuer, issuer, sizeof(out->issuer));
	db_col_text(st, 2, out->kind, sizeof(out->kind));
	db_col_text(st, 3, out->reason, sizeof(out->reason));
	out->revoked_at = sqlite3_column_int64(st, 4);
	out->invalidity_date = sqlite3_column_int64(st, 5);
}

enum pechat_err
db_revocation_last_at(struct db *db, const char *issuer, int64_t mark, db_revocation_cb cb, void *arg,
    struct pechat_error *e)
{
	/*
	 * Every event of the issuer up to the mark, by serial (as numbers:
	 * length first) then id, from the covering index revocation_events_crl
	 * (migration 14): one pass, no sort, no table look-up. A serial's last
	 * row is its last event at the mark (what it means: ca_status_rule).
	 */
	static const char sql[] = "SELECT id, serial, kind, reason, revoked_at, invalidity_date"
	    " FROM revocation_events INDEXED BY revocation_events_crl"
	    " WHERE issuer = ? AND id <= ? ORDER BY length(serial), serial, id";
	struct db_revocation ev[2];
	sqlite3_stmt *st;
	int rc, cur = 0, have = 0;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	sqlite3_bind_int64(st, 2, mark);
	memset(ev, 0, sizeof(ev));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* ev[cur] holds the serial's last row so far; the next row goes to the other slot */
		read_crl_event(st, issuer, &ev[!cur]);
		if (have && strcmp(ev[!cur].serial, ev[cur].serial) != 0 && cb(arg, &ev[cur]) != 0) {
			have = 0;
			rc = SQLITE_DONE;
			break;
		}
		cur = !cur;
		have = 1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && have && cb(arg, &ev[cur]) != 0)
		have = 0;
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "revocations at mark", e);
}

enum pechat_err
db_revocation_changed(struct db *db, const char *issuer, int64_t since, int64_t mark, db_revocation_cb cb,
    void *arg, struct pechat_error *e)
{
	/* the few events since the base by id (revocation_events_issuer), sorted: serials as numbers */
	static const char sql[] = "SELECT " EVENT_COLUMNS " FROM revocation_events e"
	    " INDEXED BY revocation_events_issuer WHERE issuer = ? AND id > ? AND id <= ?"
	    " AND id = (SELECT max(id) FROM revocation_events l WHERE l.serial = e.serial AND l.id <= ?)"
	    " ORDER BY length(serial), serial";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, mark);
	sqlite3_bind_int64(st, 4, mark);
	return each_event(db, st, cb, arg, "revocations changed", e);
}
