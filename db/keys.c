/*
 * db/keys.c — the key hash of every certificate (certificate_keys) and the
 * two lookups of the CSR key checks (docs/REGISTRATION.md, "Key checks"):
 * each is one query on the spki_sha256 index.
 */
#include "db/db_int.h"

#include <string.h>

/* Certificates larger than this are not ours: the backfill refuses them. */
#define CERT_DER_MAX (64 * 1024)

enum pechat_err
db_cert_key_insert(struct db *db, const char *serial, const char *spki_sha256, struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO certificate_keys (serial, spki_sha256) VALUES (?, ?)";
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial, 0);
	db_bind_text(st, 2, spki_sha256, 0);
	return db_exec_stmt(db, st, "certificate key insert", e);
}

/*
 * Writes the key hash of every certificate that has none (those stored
 * before certificate_keys existed), one certificate in memory at a time.
 * Runs inside the migration's transaction: all of them or none.
 */
enum pechat_err
db_cert_keys_backfill(struct db *db, int64_t *added, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT c.serial, c.der FROM certificates c"
	    " WHERE NOT EXISTS (SELECT 1 FROM certificate_keys k WHERE k.serial = c.serial) ORDER BY c.serial";
	sqlite3_stmt *st = NULL;
	enum pechat_err err = PECHAT_OK;
	char serial[65], hash[65];
	const void *der;
	int rc, len;

	*added = 0;
	/* a statement of its own: the insert below uses the cache while this one steps */
	if ((rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL)) != SQLITE_OK)
		return db_fail(db, rc, "certificate keys backfill", e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_text(st, 0, serial, sizeof(serial));
		der = sqlite3_column_blob(st, 1);
		len = sqlite3_column_bytes(st, 1);
		if (der == NULL || len <= 0 || len > CERT_DER_MAX ||
		    pechat_cert_spki_sha256_hex(der, (size_t)len, hash) != 0) {
			log_err("store: certificate %s does not parse: its key cannot be recorded", serial);
			err = pechat_fail(e, PECHAT_E_INTERNAL, "store_error",
			    "certificate %s in the store does not parse", serial);
			goto out;
		}
		if ((err = db_cert_key_insert(db, serial, hash, e)) != PECHAT_OK)
			goto out;
		(*added)++;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, rc, "certificate keys backfill", e);
out:
	sqlite3_finalize(st);
	return err;
}

enum pechat_err
db_key_compromised(struct db *db, const char *spki_sha256, char serial[65], struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT k.serial FROM certificate_keys k JOIN revocation_events r ON r.serial = k.serial"
	    " WHERE k.spki_sha256 = ? AND r.kind = 'revoke' AND r.reason IN ('keyCompromise', 'cACompromise')"
	    " LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	serial[0] = '\0';
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, spki_sha256, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_col_text(st, 0, serial, 65);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return PECHAT_OK;
	return rc == SQLITE_DONE ? PECHAT_E_NOT_FOUND : db_fail(db, rc, "compromised key lookup", e);
}

enum pechat_err
db_key_other_subject(struct db *db, const char *spki_sha256, const struct db_key_owner *owner, char serial[65],
    struct pechat_error *e)
{
	/* ?2 "" = an inline request: another owner is a registry certificate or another DN */
	static const char sql[] =
	    "SELECT k.serial FROM certificate_keys k JOIN certificates c ON c.serial = k.serial"
	    " LEFT JOIN request_registry_subject s ON s.request_id = c.request_id"
	    " LEFT JOIN request_representative p ON p.request_id = c.request_id"
	    " WHERE k.spki_sha256 = ?1 AND NOT (CASE WHEN ?2 = ''"
	    "   THEN s.subject_id IS NULL AND c.subject_dn = ?4"
	    "   ELSE coalesce(s.subject_id, '') = ?2 AND coalesce(p.representative_id, '') = ?3 END)"
	    " LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	serial[0] = '\0';
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, spki_sha256, 0);
	db_bind_text(st, 2, owner->subject_id, 0);
	db_bind_text(st, 3, owner->representative_id, 0);
	db_bind_text(st, 4, owner->subject_dn, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_col_text(st, 0, serial, 65);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return PECHAT_OK;
	return rc == SQLITE_DONE ? PECHAT_E_NOT_FOUND : db_fail(db, rc, "key owner lookup", e);
}
