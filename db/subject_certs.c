/* db/subject_certs.c — the certificates of a registry subject (read-only). */
#include "db/db_int.h"

/*
 * The one query of "a subject's certificates": those issued from requests
 * made for the subject (request_registry_subject) and those of an
 * organisation's requests it made as the representative
 * (request_representative: the person holds that key), -> certificates by
 * request_id; all indexed. Another link is one more UNION arm here.
 */
enum pechat_err
db_subject_cert_each(struct db *db, const char *subject_id, time_t not_after_min, db_cert_cb cb, void *arg,
    struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT c.serial, c.not_after FROM request_registry_subject l"
	    " JOIN certificates c ON c.request_id = l.request_id"
	    " WHERE l.subject_id = ?1 AND c.not_after >= ?2"
	    " UNION SELECT c.serial, c.not_after FROM request_representative rr"
	    " JOIN certificates c ON c.request_id = rr.request_id"
	    " WHERE rr.representative_id = ?1 AND c.not_after >= ?2 ORDER BY 1";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, subject_id, 0);
	sqlite3_bind_int64(st, 2, not_after_min);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PECHAT_OK : db_fail(db, rc, "certificates of subject", e);
}
