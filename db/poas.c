/*
 * db/poas.c — stored powers of attorney, their powers and revocations
 * (docs/REGISTRATION.md, "Powers of attorney"). Append-only: the triggers
 * of the powers-of-attorney migration in db/migrations.c refuse any
 * UPDATE or DELETE. One function per query.
 */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

enum pechat_err
db_poa_insert(struct db *db, const struct db_poa *p, const void *doc, size_t doc_len, int64_t *id,
    struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO powers_of_attorney (principal_id, number, internal_number, issue_date, valid_until,"
	    " redelegation, principal_innle, principal_kpp, rep_surname, rep_given_name, rep_patronymic,"
	    " rep_birth_date, rep_inn, rep_snils, rep_doc_kind, rep_doc_series, rep_doc_number,"
	    " rep_doc_issue_date, rep_doc_issuer, source, document, added_by, added_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	const char *text[] = { p->principal_id, p->number, p->internal_number, p->issue_date, p->valid_until,
		p->redelegation, p->principal_innle, p->principal_kpp, p->rep_surname, p->rep_given_name,
		p->rep_patronymic, p->rep_birth_date, p->rep_inn, p->rep_snils, p->rep_doc_kind, p->rep_doc_series,
		p->rep_doc_number, p->rep_doc_issue_date, p->rep_doc_issuer, p->source };
	sqlite3_stmt *st;
	enum pechat_err err;
	int i;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	for (i = 0; i < (int)(sizeof(text) / sizeof(text[0])); i++)
		db_bind_text(st, i + 1, text[i], 0);
	sqlite3_bind_blob64(st, 21, doc, doc_len, SQLITE_STATIC);
	db_bind_text(st, 22, p->added_by, 0);
	sqlite3_bind_int64(st, 23, p->added_at);
	if ((err = db_exec_stmt(db, st, "power of attorney insert", e)) == PECHAT_E_CONFLICT)
		return pechat_fail(e, err, "poa_duplicate", "a power of attorney with this registration number is already stored");
	if (err != PECHAT_OK)
		return err;
	*id = sqlite3_last_insert_rowid(db->conn);
	return PECHAT_OK;
}

enum pechat_err
db_poa_power_insert(struct db *db, int64_t poa_id, int seq, const char *code, const char *text,
    struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO poa_powers (poa_id, seq, code, text) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, poa_id);
	sqlite3_bind_int(st, 2, seq);
	db_bind_text(st, 3, code, 0);
	db_bind_text(st, 4, text, 0);
	return db_exec_stmt(db, st, "power of attorney power insert", e);
}

/* Fills the POA columns of *out from the current row of the get statement. */
static void
poa_read(sqlite3_stmt *st, struct db_poa *out)
{
	char *text[] = { out->principal_id, out->number, out->internal_number, out->issue_date, out->valid_until,
		out->redelegation, out->principal_innle, out->principal_kpp, out->rep_surname, out->rep_given_name,
		out->rep_patronymic, out->rep_birth_date, out->rep_inn, out->rep_snils, out->rep_doc_kind,
		out->rep_doc_series, out->rep_doc_number, out->rep_doc_issue_date, out->rep_doc_issuer, out->source,
		out->added_by, out->revoked_by, out->revoked_reason };
	size_t size[] = { sizeof(out->principal_id), sizeof(out->number), sizeof(out->internal_number),
		sizeof(out->issue_date), sizeof(out->valid_until), sizeof(out->redelegation),
		sizeof(out->principal_innle), sizeof(out->principal_kpp), sizeof(out->rep_surname),
		sizeof(out->rep_given_name), sizeof(out->rep_patronymic), sizeof(out->rep_birth_date),
		sizeof(out->rep_inn), sizeof(out->rep_snils), sizeof(out->rep_doc_kind), sizeof(out->rep_doc_series),
		sizeof(out->rep_doc_number), sizeof(out->rep_doc_issue_date), sizeof(out->rep_doc_issuer),
		sizeof(out->source), sizeof(out->added_by), sizeof(out->revoked_by), sizeof(out->revoked_reason) };
	int i;

	out->id = sqlite3_column_int64(st, 0);
	for (i = 0; i < (int)(sizeof(text) / sizeof(text[0])); i++)
		db_col_text(st, i + 1, text[i], size[i]);
	out->added_at = sqlite3_column_int64(st, 24);
	out->revoked = sqlite3_column_type(st, 25) != SQLITE_NULL;
	out->revoked_at = sqlite3_column_int64(st, 25);
}

/* Reads the powers of POA out->id in order into *out. */
static enum pechat_err
powers_read(struct db *db, struct db_poa *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT code, text FROM poa_powers WHERE poa_id = ? ORDER BY seq";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, out->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->npowers < DB_POA_POWERS) {
		db_col_text(st, 0, out->power_code[out->npowers], sizeof(out->power_code[0]));
		db_col_text(st, 1, out->power_text[out->npowers], sizeof(out->power_text[0]));
		out->npowers++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "power of attorney powers", e);
}

enum pechat_err
db_poa_get(struct db *db, int64_t id, struct db_poa *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT p.id, p.principal_id, p.number, p.internal_number, p.issue_date, p.valid_until,"
	    " p.redelegation, p.principal_innle, p.principal_kpp, p.rep_surname, p.rep_given_name,"
	    " p.rep_patronymic, p.rep_birth_date, p.rep_inn, p.rep_snils, p.rep_doc_kind, p.rep_doc_series,"
	    " p.rep_doc_number, p.rep_doc_issue_date, p.rep_doc_issuer, p.source, p.added_by,"
	    " r.actor, r.reason, p.added_at, r.at"
	    " FROM powers_of_attorney p LEFT JOIN poa_revocations r ON r.poa_id = p.id WHERE p.id = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		poa_read(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "poa_unknown", "no such power of attorney");
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "power of attorney get", e);
	return powers_read(db, out, e);
}

enum pechat_err
db_poa_list(struct db *db, const char *principal_id, int64_t *ids, int max, int *count, struct pechat_error *e)
{
	static const char sql[] = "SELECT id FROM powers_of_attorney WHERE principal_id = ? ORDER BY id LIMIT ?";
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, principal_id, 0);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < max)
		ids[(*count)++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "powers of attorney list", e);
}

enum pechat_err
db_poa_revoke(struct db *db, int64_t id, const char *actor, time_t at, const char *reason, struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO poa_revocations (poa_id, actor, at, reason) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, actor, 0);
	sqlite3_bind_int64(st, 3, at);
	db_bind_text(st, 4, reason, 0);
	if ((err = db_exec_stmt(db, st, "power of attorney revocation", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "poa_already_revoked", "this power of attorney is already revoked");
	return err;
}

enum pechat_err
db_poa_document(struct db *db, int64_t id, unsigned char **doc, size_t *len, struct pechat_error *e)
{
	static const char sql[] = "SELECT document FROM powers_of_attorney WHERE id = ?";
	sqlite3_stmt *st;
	int rc, mem = 0;

	*doc = NULL;
	*len = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		mem = db_col_blob(st, 0, doc, len);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "poa_unknown", "no such power of attorney");
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "power of attorney document", e);
	return mem == 0 ? PECHAT_OK : pechat_fail(e, PECHAT_E_INTERNAL, "internal", "out of memory");
}
