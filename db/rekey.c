/* db/rekey.c — code words, re-key attempts, re-key locks (all append-only), a subject's certificates. */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_code_word_insert(struct db *db, const char *subject_id, const char *hash, const char *set_by, time_t at,
    struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO subject_code_words (subject_id, hash, set_by, set_at) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	db_bind_text(st, 2, hash, 0);
	db_bind_text(st, 3, set_by, 0);
	sqlite3_bind_int64(st, 4, at);
	return db_exec_stmt(db, st, "code word insert", e);
}

enum pechat_err
db_code_word_latest(struct db *db, const char *subject_id, char *hash, size_t hashsz, char set_by[64],
    time_t *set_at, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT hash, set_by, set_at FROM subject_code_words WHERE subject_id = ? ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, hash, hashsz);
		db_col_text(st, 1, set_by, 64);
		*set_at = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "code_word_not_set", "the subject has no code word");
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "code word get", e);
}

enum pechat_err
db_rekey_attempt_insert(struct db *db, const char *subject_id, const char *client, time_t at, const char *result,
    int64_t *id, struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO rekey_attempts (subject_id, client, at, result) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	db_bind_text(st, 2, client, 0);
	sqlite3_bind_int64(st, 3, at);
	db_bind_text(st, 4, result, 0);
	if ((err = db_exec_stmt(db, st, "re-key attempt insert", e)) == PECHAT_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(db->conn);
	return err;
}

enum pechat_err
db_rekey_wrong_count(struct db *db, const char *subject_id, int64_t after_attempt, time_t since, int64_t *count,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT count(*) FROM rekey_attempts WHERE subject_id = ? AND result = 'wrong' AND id > ? AND at > ?";
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	sqlite3_bind_int64(st, 2, after_attempt);
	sqlite3_bind_int64(st, 3, since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "re-key attempt count", e);
}

enum pechat_err
db_rekey_last_attempt(struct db *db, const char *subject_id, int64_t *id, struct pechat_error *e)
{
	return db_int64(db, "SELECT coalesce(max(id), 0) FROM rekey_attempts WHERE subject_id = ?", subject_id,
	    id, e);
}

enum pechat_err
db_rekey_lock_insert(struct db *db, const char *subject_id, const struct db_rekey_lock *ev, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO rekey_locks (subject_id, kind, actor, at, reason, last_attempt) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	db_bind_text(st, 2, ev->kind, 0);
	db_bind_text(st, 3, ev->actor, 0);
	sqlite3_bind_int64(st, 4, ev->at);
	db_bind_text(st, 5, ev->reason, 0);
	sqlite3_bind_int64(st, 6, ev->last_attempt);
	return db_exec_stmt(db, st, "re-key lock insert", e);
}

enum pechat_err
db_rekey_lock_last(struct db *db, const char *subject_id, const char *kind, struct db_rekey_lock *out,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT id, kind, actor, at, reason, last_attempt FROM rekey_locks"
	    " WHERE subject_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	db_bind_text(st, 2, kind, 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		db_col_text(st, 1, out->kind, sizeof(out->kind));
		db_col_text(st, 2, out->actor, sizeof(out->actor));
		out->at = sqlite3_column_int64(st, 3);
		db_col_text(st, 4, out->reason, sizeof(out->reason));
		out->last_attempt = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return PECHAT_E_NOT_FOUND;
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "re-key lock get", e);
}

enum pechat_err
db_subject_cert_serials(struct db *db, const char *subject_id, const char *profile, char (*serials)[65], int max,
    int *count, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT c.serial FROM certificates c JOIN request_registry_subject l ON l.request_id = c.request_id"
	    " WHERE l.subject_id = ? AND c.profile = ? ORDER BY c.created_at, c.serial";
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	db_bind_text(st, 2, profile, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count < max)
			db_col_text(st, 0, serials[*count], 65);
		(*count)++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "subject certificates", e);
}
