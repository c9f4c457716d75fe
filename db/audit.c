/* db/audit.c — the audit log: append-only, never edited or deleted. */
#include "db/db_int.h"

enum pechat_err
db_audit_append(struct db *db, time_t at, const char *actor, const char *action,
    const char *object, const char *detail, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO audit (at, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, at);
	db_bind_text(st, 2, actor, 0);
	db_bind_text(st, 3, action, 0);
	db_bind_text(st, 4, object, 1);
	db_bind_text(st, 5, detail, 1);
	return db_exec_stmt(db, st, "audit append", e);
}

enum pechat_err
db_audit_count(struct db *db, int64_t *count, struct pechat_error *e)
{
	return db_int64(db, "SELECT count(*) FROM audit", NULL, count, e);
}
