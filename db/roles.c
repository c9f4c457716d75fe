/*
 * db/roles.c — what a stored certificate is to the CA, read from the tables
 * that reference it (issuers, ocsp_responders, operators, requests). The
 * revocation API acts only on subscriber certificates; this is how it knows.
 */
#include "db/db_int.h"

#include <string.h>

enum pechat_err
db_cert_role(struct db *db, const struct db_cert *cert, struct db_cert_role *out, struct pechat_error *e)
{
	/* one statement, every lookup indexed but the issuers scan (a handful of rows) */
	static const char sql[] =
	    "SELECT (SELECT name FROM issuers WHERE cert_der = ?1),"
	    " (SELECT kind FROM issuers WHERE cert_der = ?1),"
	    " (SELECT issuer FROM ocsp_responders WHERE cert_serial = ?2),"
	    " (SELECT name FROM operators WHERE fingerprint = ?3),"
	    " (SELECT role FROM operators WHERE fingerprint = ?3),"
	    " (SELECT count(*) FROM requests WHERE id = ?4 AND cert_serial = ?2),"
	    " (SELECT kind FROM issuers WHERE name = ?5)";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	sqlite3_bind_blob(st, 1, cert->der, (int)cert->der_len, SQLITE_STATIC);
	db_bind_text(st, 2, cert->serial, 0);
	db_bind_text(st, 3, cert->fingerprint, 0);
	db_bind_text(st, 4, cert->request_id, 1);
	db_bind_text(st, 5, cert->issuer, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, out->issuer_name, sizeof(out->issuer_name));
		db_col_text(st, 1, out->issuer_kind, sizeof(out->issuer_kind));
		db_col_text(st, 2, out->responder_of, sizeof(out->responder_of));
		db_col_text(st, 3, out->operator_name, sizeof(out->operator_name));
		db_col_text(st, 4, out->operator_role, sizeof(out->operator_role));
		out->issued_for_request = sqlite3_column_int64(st, 5) > 0;
		db_col_text(st, 6, out->signer_kind, sizeof(out->signer_kind));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "certificate role", e);
}
