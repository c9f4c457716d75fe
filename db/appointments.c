/*
 * db/appointments.c — the documents that appointed an organisation's heads
 * and their verifications by officers (docs/REGISTRATION.md, "Appointment
 * documents"). Append-only (db/migrations.c, migration 10).
 */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_appointment_insert(struct db *db, const struct db_appointment *a, int64_t *id, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO head_appointments (org_id, head_id, kind, number, date, issued_by, valid_until, title,"
	    " added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, a->org_id, 0);
	db_bind_text(st, 2, a->head_id, 0);
	db_bind_text(st, 3, a->kind, 0);
	db_bind_text(st, 4, a->number, 0);
	db_bind_text(st, 5, a->date, 0);
	db_bind_text(st, 6, a->issued_by, 0);
	db_bind_text(st, 7, a->valid_until, 1);
	db_bind_text(st, 8, a->title, 0);
	db_bind_text(st, 9, a->added_by, 0);
	sqlite3_bind_int64(st, 10, a->added_at);
	if ((err = db_exec_stmt(db, st, "appointment insert", e)) != PECHAT_OK)
		return err;
	*id = sqlite3_last_insert_rowid(db->conn);
	return PECHAT_OK;
}

#define APPT_SELECT \
	"SELECT a.id, a.org_id, a.head_id, a.kind, a.number, a.date, a.issued_by, a.valid_until, a.title," \
	" a.added_by, a.added_at, v.officer, v.source, v.at FROM head_appointments a" \
	" LEFT JOIN appointment_verifications v ON v.appointment_id = a.id"

/* Fills *out from the current row of an APPT_SELECT statement. */
static void
appt_read(sqlite3_stmt *st, struct db_appointment *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->org_id, sizeof(out->org_id));
	db_col_text(st, 2, out->head_id, sizeof(out->head_id));
	db_col_text(st, 3, out->kind, sizeof(out->kind));
	db_col_text(st, 4, out->number, sizeof(out->number));
	db_col_text(st, 5, out->date, sizeof(out->date));
	db_col_text(st, 6, out->issued_by, sizeof(out->issued_by));
	db_col_text(st, 7, out->valid_until, sizeof(out->valid_until));
	db_col_text(st, 8, out->title, sizeof(out->title));
	db_col_text(st, 9, out->added_by, sizeof(out->added_by));
	out->added_at = sqlite3_column_int64(st, 10);
	out->verified = sqlite3_column_type(st, 11) != SQLITE_NULL;
	db_col_text(st, 11, out->verified_by, sizeof(out->verified_by));
	db_col_text(st, 12, out->source, sizeof(out->source));
	out->verified_at = sqlite3_column_int64(st, 13);
}

enum pechat_err
db_appointment_get(struct db *db, const char *org_id, int64_t id, struct db_appointment *out,
    struct pechat_error *e)
{
	static const char sql[] = APPT_SELECT " WHERE a.id = ? AND a.org_id = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, org_id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		appt_read(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "appointment_unknown",
		    "no such appointment document of this organisation");
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "appointment get", e);
}

enum pechat_err
db_appointment_verify(struct db *db, int64_t id, const char *officer, const char *source, time_t at,
    struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO appointment_verifications (appointment_id, officer, source, at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, officer, 0);
	db_bind_text(st, 3, source, 0);
	sqlite3_bind_int64(st, 4, at);
	if ((err = db_exec_stmt(db, st, "appointment verification insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "appointment_already_verified", "this appointment document was already verified");
	return err;
}

enum pechat_err
db_appointment_each(struct db *db, const char *org_id, db_appointment_cb cb, void *arg, struct pechat_error *e)
{
	static const char sql[] = APPT_SELECT " WHERE a.org_id = ? ORDER BY a.id";
	struct db_appointment a;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, org_id, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		appt_read(st, &a);
		if (cb(arg, &a) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "appointments", e);
}
