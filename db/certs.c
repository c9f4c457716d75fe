/* db/certs.c — issued certificates (append-only). */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

#define CERT_COLUMNS \
	"serial, issuer, profile, request_id, subject_dn, email, fingerprint," \
	" not_before, not_after, der, created_at"

void
db_cert_free_fields(struct db_cert *row)
{
	if (row == NULL)
		return;
	free(row->der);
	memset(row, 0, sizeof(*row));
}

enum pechat_err
db_cert_insert(struct db *db, const struct db_cert *row, struct pechat_error *e)
{
	static const char sql[] =
	    "INSERT INTO certificates (" CERT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, row->serial, 0);
	db_bind_text(st, 2, row->issuer, 0);
	db_bind_text(st, 3, row->profile, 0);
	db_bind_text(st, 4, row->request_id, 1);
	db_bind_text(st, 5, row->subject_dn, 0);
	db_bind_text(st, 6, row->email, 1);
	db_bind_text(st, 7, row->fingerprint, 0);
	sqlite3_bind_int64(st, 8, row->not_before);
	sqlite3_bind_int64(st, 9, row->not_after);
	sqlite3_bind_blob(st, 10, row->der, (int)row->der_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, row->created_at);
	if ((err = db_exec_stmt(db, st, "certificate insert", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "certificate_conflict",
		    "certificate %s conflicts with a stored one (duplicate or unreserved serial)", row->serial);
	return err;
}

/* Reads one certificate row from a statement whose single text parameter is already bound. */
static enum pechat_err
db_cert_read(struct db *db, sqlite3_stmt *st, struct db_cert *out, struct pechat_error *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "certificate_unknown", "no such certificate");
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, "certificate get", e);
	}
	db_col_text(st, 0, out->serial, sizeof(out->serial));
	db_col_text(st, 1, out->issuer, sizeof(out->issuer));
	db_col_text(st, 2, out->profile, sizeof(out->profile));
	db_col_text(st, 3, out->request_id, sizeof(out->request_id));
	db_col_text(st, 4, out->subject_dn, sizeof(out->subject_dn));
	db_col_text(st, 5, out->email, sizeof(out->email));
	db_col_text(st, 6, out->fingerprint, sizeof(out->fingerprint));
	out->not_before = sqlite3_column_int64(st, 7);
	out->not_after = sqlite3_column_int64(st, 8);
	out->created_at = sqlite3_column_int64(st, 10);
	rc = db_col_blob(st, 9, &out->der, &out->der_len);
	sqlite3_reset(st);
	if (rc != 0)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	return PECHAT_OK;
}

enum pechat_err
db_cert_get(struct db *db, const char *serial_hex, struct db_cert *out, struct pechat_error *e)
{
	static const char sql[] = "SELECT " CERT_COLUMNS " FROM certificates WHERE serial = ?";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial_hex, 0);
	return db_cert_read(db, st, out, e);
}

enum pechat_err
db_cert_issuer_expiry(struct db *db, const char *serial_hex, char *issuer, size_t issuer_sz, time_t *not_after,
    struct pechat_error *e)
{
	static const char sql[] = "SELECT issuer, not_after FROM certificates WHERE serial = ?";
	sqlite3_stmt *st;
	enum pechat_err err = PECHAT_OK;
	int rc;

	issuer[0] = '\0';
	*not_after = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial_hex, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, issuer, issuer_sz);
		*not_after = sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_DONE)
		err = pechat_fail(e, PECHAT_E_NOT_FOUND, "certificate_unknown", "no such certificate");
	else
		err = db_fail(db, rc, "certificate issuer and expiry", e);
	sqlite3_reset(st);
	return err;
}

enum pechat_err
db_cert_by_fingerprint(struct db *db, const char *fingerprint, struct db_cert *out,
    struct pechat_error *e)
{
	static const char sql[] = "SELECT " CERT_COLUMNS " FROM certificates WHERE fingerprint = ?";
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, fingerprint, 0);
	return db_cert_read(db, st, out, e);
}

enum pechat_err
db_cert_count(struct db *db, int64_t *count, struct pechat_error *e)
{
	return db_int64(db, "SELECT count(*) FROM certificates", NULL, count, e);
}

/* One page of db_cert_each_of_issuer: up to DB_CERT_PAGE rows after serial `after` ("" first) into rows. */
static enum pechat_err
cert_page(struct db *db, const char *issuer, time_t not_after_min, const char *after, char (*serials)[65],
    time_t *not_afters, size_t *n, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT serial, not_after FROM certificates WHERE issuer = ? AND serial > ? AND not_after >= ?"
	    " ORDER BY serial LIMIT ?";
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	*n = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, issuer, 0);
	db_bind_text(st, 2, after, 0);
	sqlite3_bind_int64(st, 3, not_after_min);
	sqlite3_bind_int(st, 4, DB_CERT_PAGE);
	while (*n < DB_CERT_PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		pechat_strlcpy(serials[*n], (const char *)sqlite3_column_text(st, 0), 65);
		not_afters[*n] = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (*n == DB_CERT_PAGE)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "certificates of issuer", e);
}

enum pechat_err
db_cert_each_of_issuer(struct db *db, const char *issuer, time_t not_after_min, db_cert_cb cb, void *arg,
    struct pechat_error *e)
{
	char (*serials)[65] = malloc(DB_CERT_PAGE * sizeof(*serials));
	time_t *not_afters = malloc(DB_CERT_PAGE * sizeof(*not_afters));
	char after[65] = "";
	enum pechat_err err = PECHAT_OK;
	size_t n = DB_CERT_PAGE, i;

	if (serials == NULL || not_afters == NULL) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	while (n == DB_CERT_PAGE) {
		if ((err = cert_page(db, issuer, not_after_min, after, serials, not_afters, &n, e)) != PECHAT_OK)
			goto out;
		for (i = 0; i < n; i++)
			if (cb(arg, serials[i], not_afters[i]) != 0)
				goto out;
		if (n > 0)
			pechat_strlcpy(after, serials[n - 1], sizeof(after));
	}
out:
	free(serials);
	free(not_afters);
	return err;
}
