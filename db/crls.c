/* db/crls.c — published CRLs (append-only, DER kept) and OCSP responders. */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define CRL_COLUMNS \
	"issuer, number, kind, base_number, event_mark, this_update, next_update, entries, der, created_at"

void
db_crl_free_fields(struct db_crl *row)
{
	if (row == NULL)
		return;
	free(row->der);
	memset(row, 0, sizeof(*row));
}

enum pechat_err
db_crl_insert(struct db *db, const struct db_crl *row, struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO crls (" CRL_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->issuer, 0);
	sqlite3_bind_int64(st, 2, row->number);
	db_bind_text(st, 3, row->kind, 0);
	if (row->base_number >= 0)
		sqlite3_bind_int64(st, 4, row->base_number);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, row->event_mark);
	sqlite3_bind_int64(st, 6, row->this_update);
	sqlite3_bind_int64(st, 7, row->next_update);
	sqlite3_bind_int(st, 8, row->entries);
	/* not copied (a CRL of a million entries is ~40 MB); the binding is dropped right after */
	sqlite3_bind_blob64(st, 9, row->der, row->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, row->created_at);
	err = db_exec_stmt(db, st, "crl insert", e);
	sqlite3_bind_null(st, 9);
	if (err == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "crl_number_taken", "CRL number %lld of %s was already published",
		    (long long)row->number, row->issuer);
	return err;
}

static enum pechat_err
read_crl(struct db *db, sqlite3_stmt *st, struct db_crl *out, struct pechat_error *e)
{
	int rc = sqlite3_step(st);

	memset(out, 0, sizeof(*out));
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "crl_unknown", "no such CRL");
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, "crl get", e);
	}
	db_col_text(st, 0, out->issuer, sizeof(out->issuer));
	out->number = sqlite3_column_int64(st, 1);
	db_col_text(st, 2, out->kind, sizeof(out->kind));
	out->base_number = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
	out->event_mark = sqlite3_column_int64(st, 4);
	out->this_update = sqlite3_column_int64(st, 5);
	out->next_update = sqlite3_column_int64(st, 6);
	out->entries = sqlite3_column_int(st, 7);
	out->created_at = sqlite3_column_int64(st, 9);
	rc = db_col_blob(st, 8, &out->der, &out->der_len);
	sqlite3_reset(st);
	return rc == 0 ? PECHAT_OK : pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
}

enum pechat_err
db_crl_latest(struct db *db, const char *issuer, const char *kind, struct db_crl *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT " CRL_COLUMNS " FROM crls WHERE issuer = ? AND kind = ?"
	    " ORDER BY number DESC LIMIT 1";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	db_bind_text(st, 2, kind, 0);
	return read_crl(db, st, out, e);
}

enum pechat_err
db_crl_get(struct db *db, const char *issuer, int64_t number, struct db_crl *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT " CRL_COLUMNS " FROM crls WHERE issuer = ? AND number = ?";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	sqlite3_bind_int64(st, 2, number);
	return read_crl(db, st, out, e);
}

enum pechat_err
db_crl_max_number(struct db *db, const char *issuer, int64_t *number, struct pechat_error *e)
{
	static const char sql[] = "SELECT coalesce(max(number), 0) FROM crls WHERE issuer = ?";

	return db_int64(db, sql, issuer, number, e);
}

enum pechat_err
db_responder_insert(struct db *db, const struct db_responder *row, struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO ocsp_responders (issuer, cert_serial, key_ref, not_before,"
	    " not_after, created_at) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->issuer, 0);
	db_bind_text(st, 2, row->cert_serial, 0);
	db_bind_text(st, 3, row->key_ref, 0);
	sqlite3_bind_int64(st, 4, row->not_before);
	sqlite3_bind_int64(st, 5, row->not_after);
	sqlite3_bind_int64(st, 6, row->created_at);
	return db_exec_stmt(db, st, "responder insert", e);
}

enum pechat_err
db_responder_latest(struct db *db, const char *issuer, struct db_responder *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT id, issuer, cert_serial, key_ref, not_before, not_after, created_at"
	    " FROM ocsp_responders WHERE issuer = ? ORDER BY not_after DESC, id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		db_col_text(st, 1, out->issuer, sizeof(out->issuer));
		db_col_text(st, 2, out->cert_serial, sizeof(out->cert_serial));
		db_col_text(st, 3, out->key_ref, sizeof(out->key_ref));
		out->not_before = sqlite3_column_int64(st, 4);
		out->not_after = sqlite3_column_int64(st, 5);
		out->created_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "responder_none", "no responder for %s", issuer);
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "responder latest", e);
}

enum pechat_err
db_responder_expired(struct db *db, const char *issuer, time_t now, struct db_responder *out, size_t max,
    size_t *n, struct pechat_error *e)
{
	static const char sql[] = "SELECT id, issuer, cert_serial, key_ref, not_before, not_after, created_at"
	    " FROM ocsp_responders WHERE issuer = ? AND not_after <= ? ORDER BY not_after DESC, id DESC LIMIT ?";
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	*n = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&out[*n], 0, sizeof(out[*n]));
		out[*n].id = sqlite3_column_int64(st, 0);
		db_col_text(st, 1, out[*n].issuer, sizeof(out[*n].issuer));
		db_col_text(st, 2, out[*n].cert_serial, sizeof(out[*n].cert_serial));
		db_col_text(st, 3, out[*n].key_ref, sizeof(out[*n].key_ref));
		out[*n].not_before = sqlite3_column_int64(st, 4);
		out[*n].not_after = sqlite3_column_int64(st, 5);
		out[*n].created_at = sqlite3_column_int64(st, 6);
		(*n)++;
	}
	if (*n < max && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return db_fail(db, rc, "responder expired", e);
	}
	sqlite3_reset(st);
	return PECHAT_OK;
}

enum pechat_err
db_ocsp_cache_put(struct db *db, const char *issuer, const char *serial, const char *md, time_t next_update,
    const unsigned char *der, size_t len, struct pechat_error *e)
{
	static const char sql[] = "INSERT OR REPLACE INTO ocsp_cache (issuer, serial, md, next_update, der)"
	    " VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	db_bind_text(st, 2, serial, 0);
	db_bind_text(st, 3, md, 0);
	sqlite3_bind_int64(st, 4, next_update);
	sqlite3_bind_blob(st, 5, der, (int)len, SQLITE_TRANSIENT);
	return db_exec_stmt(db, st, "ocsp cache put", e);
}

enum pechat_err
db_ocsp_cache_load(struct db *db, time_t now, db_ocsp_cache_cb cb, void *arg, struct pechat_error *e)
{
	static const char sql[] = "SELECT issuer, serial, md, next_update, der FROM ocsp_cache WHERE next_update > ?";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
		    sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "ocsp cache load", e);
}

enum pechat_err
db_ocsp_cache_get(struct db *db, const char *issuer, const char *serial, const char *md, time_t *next_update,
    unsigned char **der, size_t *len, struct pechat_error *e)
{
	static const char sql[] = "SELECT next_update, der FROM ocsp_cache WHERE issuer = ? AND serial = ? AND md = ?";
	sqlite3_stmt *st;
	enum pechat_err err = PECHAT_OK;
	int rc, n;

	*der = NULL;
	*len = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	db_bind_text(st, 2, serial, 0);
	db_bind_text(st, 3, md, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		err = pechat_fail(e, PECHAT_E_NOT_FOUND, "not_found", "no stored OCSP answer");
	else if (rc != SQLITE_ROW)
		err = db_fail(db, rc, "ocsp cache get", e);
	else if ((n = sqlite3_column_bytes(st, 1)) <= 0 || (*der = malloc((size_t)n)) == NULL)
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	else {
		memcpy(*der, sqlite3_column_blob(st, 1), (size_t)n);
		*len = (size_t)n;
		*next_update = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return err;
}

enum pechat_err
db_ocsp_cache_drop(struct db *db, const char *serial, struct pechat_error *e)
{
	/* by the table's key (issuer, serial, md): the certificate's issuer, not a scan of every answer */
	static const char sql[] = "DELETE FROM ocsp_cache"
	    " WHERE issuer = (SELECT issuer FROM certificates WHERE serial = ?1) AND serial = ?1";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial, 0);
	return db_exec_stmt(db, st, "ocsp cache drop", e);
}
