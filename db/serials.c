/* db/serials.c — serial reservations: reserved before signing, never released or reused. */
#include "db/db_int.h"

enum pechat_err
db_serial_reserve(struct db *db, const char *issuer, const char *serial_hex, time_t now,
    struct pechat_error *e)
{
	static const char sql[] = "INSERT INTO serials (serial, issuer, reserved_at) VALUES (?, ?, ?)";
	sqlite3_stmt *st;
	enum pechat_err err;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial_hex, 0);
	db_bind_text(st, 2, issuer, 0);
	sqlite3_bind_int64(st, 3, now);
	if ((err = db_exec_stmt(db, st, "serial reserve", e)) == PECHAT_E_CONFLICT)
		pechat_fail(e, err, "serial_taken", "serial %s was already reserved", serial_hex);
	return err;
}

enum pechat_err
db_serial_exists(struct db *db, const char *serial_hex, struct pechat_error *e)
{
	static const char sql[] = "SELECT count(*) FROM serials WHERE serial = ?";
	enum pechat_err err;
	int64_t n;

	if ((err = db_int64(db, sql, serial_hex, &n, e)) != PECHAT_OK)
		return err;
	return n > 0 ? PECHAT_OK : pechat_fail(e, PECHAT_E_NOT_FOUND, "serial_unknown", "no such serial");
}
