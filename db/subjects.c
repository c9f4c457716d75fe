/*
 * db/subjects.c — the subject registry: subjects, their versions (fields,
 * heads), claimed identifiers, identity documents and their verifications.
 * Every table is append-only (db/migrations.c, migration 3).
 */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define VERSION_COLUMNS \
	"s.id, s.kind, s.created_by, s.created_at, v.version, v.state, v.actor, v.at, v.reason," \
	" v.snils, v.inn, v.innle, v.ogrn, v.name, v.change"

void
db_subject_free_fields(struct db_subject *row)
{
	int i;

	if (row == NULL)
		return;
	for (i = 0; i < row->nfields && i < DB_SUBJECT_FIELDS; i++)
		free(row->value[i]);
	memset(row, 0, sizeof(*row));
}

enum pechat_err
db_subject_insert(struct db *db, const struct db_subject *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO subjects (id, kind, created_by, created_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	db_bind_text(st, 2, row->kind, 0);
	db_bind_text(st, 3, row->created_by, 0);
	sqlite3_bind_int64(st, 4, row->created_at);
	return db_exec_stmt(db, st, "subject insert", e);
}

/* Inserts the field rows of a version. */
static enum pechat_err
fields_insert(struct db *db, const struct db_subject *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO subject_fields (subject_id, version, field, value) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;
	int i;

	for (i = 0; i < row->nfields && i < DB_SUBJECT_FIELDS; i++) {
		if ((st = db_stmt(db, sql, e)) == NULL)
			return e != NULL ? e->err : PECHAT_E_INTERNAL;
		db_bind_text(st, 1, row->id, 0);
		sqlite3_bind_int64(st, 2, row->version);
		db_bind_text(st, 3, row->field[i], 0);
		db_bind_text(st, 4, row->value[i], 0);
		if ((err = db_exec_stmt(db, st, "subject field insert", e)) != PECHAT_OK)
			return err;
	}
	return PECHAT_OK;
}

/* Inserts the head rows of a version. */
static enum pechat_err
heads_insert(struct db *db, const struct db_subject *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO subject_heads (subject_id, version, head_id, title) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;
	int i;

	for (i = 0; i < row->nheads && i < DB_SUBJECT_HEADS; i++) {
		if ((st = db_stmt(db, sql, e)) == NULL)
			return e != NULL ? e->err : PECHAT_E_INTERNAL;
		db_bind_text(st, 1, row->id, 0);
		sqlite3_bind_int64(st, 2, row->version);
		db_bind_text(st, 3, row->head_id[i], 0);
		db_bind_text(st, 4, row->head_title[i], 0);
		if ((err = db_exec_stmt(db, st, "subject head insert", e)) != PECHAT_OK)
			return err;
	}
	return PECHAT_OK;
}

enum pechat_err
db_subject_version_insert(struct db *db, const struct db_subject *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO subject_versions (subject_id, version, state, actor, at, reason,"
	    " snils, inn, innle, ogrn, name, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->id, 0);
	sqlite3_bind_int64(st, 2, row->version);
	db_bind_text(st, 3, row->state, 0);
	db_bind_text(st, 4, row->actor, 0);
	sqlite3_bind_int64(st, 5, row->at);
	db_bind_text(st, 6, row->reason, 1);
	db_bind_text(st, 7, row->snils, 1);
	db_bind_text(st, 8, row->inn, 1);
	db_bind_text(st, 9, row->innle, 1);
	db_bind_text(st, 10, row->ogrn, 1);
	db_bind_text(st, 11, row->name, 1);
	db_bind_text(st, 12, row->change, 0);
	if ((err = db_exec_stmt(db, st, "subject version insert", e)) != PECHAT_OK) {
		if (err == PECHAT_E_CONFLICT)
			pechat_fail(e, err, "subject_state_conflict", "the subject changed concurrently: retry");
		return err;
	}
	if ((err = fields_insert(db, row, e)) != PECHAT_OK)
		return err;
	return heads_insert(db, row, e);
}

/* Loads the fields and heads of out->id at out->version. */
static enum pechat_err
load_parts(struct db *db, struct db_subject *out, struct pechat_error *e)
{
	static const char sqlf[] =
	    "SELECT field, value FROM subject_fields WHERE subject_id = ? AND version = ? ORDER BY field";
	static const char sqlh[] =
	    "SELECT head_id, title FROM subject_heads WHERE subject_id = ? AND version = ? ORDER BY head_id";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sqlf, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	sqlite3_bind_int64(st, 2, out->version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->nfields < DB_SUBJECT_FIELDS) {
		const unsigned char *v = sqlite3_column_text(st, 1);
		db_col_text(st, 0, out->field[out->nfields], sizeof(out->field[0]));
		if ((out->value[out->nfields] = strdup(v != NULL ? (const char *)v : "")) == NULL) {
			sqlite3_reset(st);
			return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		}
		out->nfields++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, rc, "subject fields load", e);
	if ((st = db_stmt(db, sqlh, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, out->id, 0);
	sqlite3_bind_int64(st, 2, out->version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->nheads < DB_SUBJECT_HEADS) {
		db_col_text(st, 0, out->head_id[out->nheads], sizeof(out->head_id[0]));
		db_col_text(st, 1, out->head_title[out->nheads], sizeof(out->head_title[0]));
		out->nheads++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "subject heads load", e);
}

enum pechat_err
db_subject_get(struct db *db, const char *id, int64_t version, struct db_subject *out, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT " VERSION_COLUMNS " FROM subjects s JOIN subject_versions v ON v.subject_id = s.id"
	    " WHERE s.id = ? AND v.version = CASE WHEN ? > 0 THEN ?"
	    " ELSE (SELECT max(version) FROM subject_versions WHERE subject_id = s.id) END";
	sqlite3_stmt *st;
	enum pechat_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, id, 0);
	sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_int64(st, 3, version);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return pechat_fail(e, PECHAT_E_NOT_FOUND, "subject_unknown", "no such subject or version");
		return db_fail(db, rc, "subject get", e);
	}
	db_col_text(st, 0, out->id, sizeof(out->id));
	db_col_text(st, 1, out->kind, sizeof(out->kind));
	db_col_text(st, 2, out->created_by, sizeof(out->created_by));
	out->created_at = sqlite3_column_int64(st, 3);
	out->version = sqlite3_column_int64(st, 4);
	db_col_text(st, 5, out->state, sizeof(out->state));
	db_col_text(st, 6, out->actor, sizeof(out->actor));
	out->at = sqlite3_column_int64(st, 7);
	db_col_text(st, 8, out->reason, sizeof(out->reason));
	db_col_text(st, 9, out->snils, sizeof(out->snils));
	db_col_text(st, 10, out->inn, sizeof(out->inn));
	db_col_text(st, 11, out->innle, sizeof(out->innle));
	db_col_text(st, 12, out->ogrn, sizeof(out->ogrn));
	db_col_text(st, 13, out->name, sizeof(out->name));
	db_col_text(st, 14, out->change, sizeof(out->change));
	sqlite3_reset(st);
	if ((err = load_parts(db, out, e)) != PECHAT_OK)
		db_subject_free_fields(out);
	return err;
}

enum pechat_err
db_subject_claim(struct db *db, const char *claim, const char *subject_id, time_t at, char holder[37],
    struct pechat_error *e)
{
	static const char ins[] =
	    "INSERT INTO subject_claims (claim, subject_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
	static const char sel[] = "SELECT subject_id FROM subject_claims WHERE claim = ?";
	sqlite3_stmt *st;
	enum pechat_err err;
	int rc;

	holder[0] = '\0';
	if ((st = db_stmt(db, ins, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, claim, 0);
	db_bind_text(st, 2, subject_id, 0);
	sqlite3_bind_int64(st, 3, at);
	if ((err = db_exec_stmt(db, st, "subject claim", e)) != PECHAT_OK)
		return err;
	if ((st = db_stmt(db, sel, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, claim, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_col_text(st, 0, holder, 37);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, rc, "subject claim read", e);
	if (strcmp(holder, subject_id) != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "subject_duplicate",
		    "subject %s is already registered with this identifier", holder);
	return PECHAT_OK;
}

enum pechat_err
db_subject_search(struct db *db, const struct db_subject_filter *f, char (*ids)[37], int *count,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT s.id FROM subjects s JOIN subject_versions v ON v.subject_id = s.id"
	    " AND v.version = (SELECT max(version) FROM subject_versions WHERE subject_id = s.id)"
	    " WHERE s.id > coalesce(?1, '') AND (?2 IS NULL OR v.snils = ?2) AND (?3 IS NULL OR v.inn = ?3)"
	    " AND (?4 IS NULL OR v.innle = ?4) AND (?5 IS NULL OR v.ogrn = ?5)"
	    " AND (?6 IS NULL OR substr(CAST(v.name AS BLOB), 1, length(CAST(?6 AS BLOB))) = CAST(?6 AS BLOB))"
	    " AND (?7 IS NULL OR v.state = ?7) AND (?8 IS NULL OR s.created_by = ?8)"
	    " ORDER BY s.id LIMIT ?9";
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, f->after_id, 1);
	db_bind_text(st, 2, f->snils, 1);
	db_bind_text(st, 3, f->inn, 1);
	db_bind_text(st, 4, f->innle, 1);
	db_bind_text(st, 5, f->ogrn, 1);
	db_bind_text(st, 6, f->name_prefix, 1);
	db_bind_text(st, 7, f->state, 1);
	db_bind_text(st, 8, f->created_by, 1);
	sqlite3_bind_int(st, 9, f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < f->limit)
		db_col_text(st, 0, ids[(*count)++], 37);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "subject search", e);
}
