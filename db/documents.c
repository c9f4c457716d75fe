/*
 * db/documents.c — identity documents of registry subjects, their
 * verifications by officers, and officers' checks of an organisation's
 * register data. Append-only (db/migrations.c, migration 3).
 */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_id_document_insert(struct db *db, const struct db_id_document *doc, int64_t *id, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO identity_documents (subject_id, kind, series, number, issue_date, issuer, unit_code,"
	    " added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, doc->subject_id, 0);
	db_bind_text(st, 2, doc->kind, 0);
	db_bind_text(st, 3, doc->series, 1);
	db_bind_text(st, 4, doc->number, 0);
	db_bind_text(st, 5, doc->issue_date, 0);
	db_bind_text(st, 6, doc->issuer, 0);
	db_bind_text(st, 7, doc->unit_code, 1);
	db_bind_text(st, 8, doc->added_by, 0);
	sqlite3_bind_int64(st, 9, doc->added_at);
	if ((err = db_exec_stmt(db, st, "identity document insert", e)) != PECHAT_OK)
		return err;
	*id = sqlite3_last_insert_rowid(db->conn);
	return PECHAT_OK;
}

#define DOC_SELECT \
	"SELECT d.id, d.subject_id, d.kind, d.series, d.number, d.issue_date, d.issuer, d.unit_code," \
	" d.added_by, d.added_at, v.officer, v.method, v.at FROM identity_documents d" \
	" LEFT JOIN document_verifications v ON v.document_id = d.id"

/* Fills *out from the current row of a DOC_SELECT statement. */
static void
doc_read(sqlite3_stmt *st, struct db_id_document *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, out->subject_id, sizeof(out->subject_id));
	db_col_text(st, 2, out->kind, sizeof(out->kind));
	db_col_text(st, 3, out->series, sizeof(out->series));
	db_col_text(st, 4, out->number, sizeof(out->number));
	db_col_text(st, 5, out->issue_date, sizeof(out->issue_date));
	db_col_text(st, 6, out->issuer, sizeof(out->issuer));
	db_col_text(st, 7, out->unit_code, sizeof(out->unit_code));
	db_col_text(st, 8, out->added_by, sizeof(out->added_by));
	out->added_at = sqlite3_column_int64(st, 9);
	out->verified = sqlite3_column_type(st, 10) != SQLITE_NULL;
	db_col_text(st, 10, out->verified_by, sizeof(out->verified_by));
	out->method = sqlite3_column_int(st, 11);
	out->verified_at = sqlite3_column_int64(st, 12);
}

enum pechat_err
db_id_document_get(struct db *db, const char *subject_id, int64_t id, struct db_id_document *out,
    struct pechat_error *e)
{
	static const char sql[] = DOC_SELECT " WHERE d.id = ? AND d.subject_id = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, subject_id, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		doc_read(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "document_unknown", "no such document of this subject");
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "identity document get", e);
}

enum pechat_err
db_id_document_verify(struct db *db, int64_t id, const char *officer, int method, time_t at,
    struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO document_verifications (document_id, officer, method, at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, officer, 0);
	sqlite3_bind_int(st, 3, method);
	sqlite3_bind_int64(st, 4, at);
	if ((err = db_exec_stmt(db, st, "document verification insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "document_already_verified", "this document was already verified");
	return err;
}

enum pechat_err
db_id_document_each(struct db *db, const char *subject_id, db_id_document_cb cb, void *arg,
    struct pechat_error *e)
{
	static const char sql[] = DOC_SELECT " WHERE d.subject_id = ? ORDER BY d.id";
	struct db_id_document doc;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		doc_read(st, &doc);
		if (cb(arg, &doc) != 0)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "identity documents", e);
}

enum pechat_err
db_register_verification_insert(struct db *db, const char *subject_id, int64_t version, const char *officer,
    const char *source, time_t at, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO register_verifications (subject_id, version, officer, source, at) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	sqlite3_bind_int64(st, 2, version);
	db_bind_text(st, 3, officer, 0);
	db_bind_text(st, 4, source, 0);
	sqlite3_bind_int64(st, 5, at);
	return db_exec_stmt(db, st, "register verification insert", e);
}
