/*
 * db/cert_search.c — certificate search (GET /api/v1/certificates) and the
 * portal's ownership rule, read-only. The statement is assembled from
 * constant fragments, one per filter given, so that SQLite plans each
 * combination with the indexes that fit it (migration 7); every value is
 * bound, never pasted.
 */
#include "db/db_int.h"

#include <string.h>

/* Subscriber certificates: issued for a request that names them, signed by an issuing CA. */
#define SUBSCRIBER \
	" FROM certificates c JOIN requests r ON r.id = c.request_id AND r.cert_serial = c.serial" \
	" JOIN issuers i ON i.name = c.issuer AND i.kind = 'issuing'"

/*
 * The kind of a certificate's newest revocation event (NULL when none): the
 * status rule of ca_cert_status (ca/revoke.c) in SQL — revoke → revoked,
 * hold → on_hold (also past notAfter), release or none → valid, or expired
 * once now > notAfter.
 */
#define LAST_EVENT \
	"(SELECT e.kind FROM revocation_events e WHERE e.serial = c.serial ORDER BY e.id DESC LIMIT 1)"

/* The owner's identifier: the registry version issued from (or its representative's), else the inline subject. */
#define OWNER_ID(col, field, param) \
	" AND c.request_id IN (SELECT l.request_id FROM subject_versions v JOIN request_registry_subject l" \
	" ON l.subject_id = v.subject_id AND l.version = v.version WHERE v." col " = " param \
	" UNION ALL SELECT rr.request_id FROM subject_versions v3 JOIN request_representative rr" \
	" ON rr.representative_id = v3.subject_id AND rr.version = v3.version WHERE v3." col " = " param \
	" UNION ALL SELECT s.request_id FROM request_subject s WHERE s.field = '" field "' AND s.value = " param \
	" AND NOT EXISTS (SELECT 1 FROM request_registry_subject l2 WHERE l2.request_id = s.request_id))"

/*
 * A filter that may match many rows has two forms: one that drives the
 * query through its index (then the matches are sorted into serial order),
 * and one checked row by row while the certificates are walked in serial
 * order (which stops at the page's end). Sorting every match of a broad
 * filter, or walking every certificate for a narrow one, would each take
 * the time of the whole store; so each such filter is probed first —
 * counting at most DENSE matches through its index — and takes the driving
 * form only when it is narrow.
 */
#define DENSE 2000

/* Which broad filters match more than DENSE rows. */
struct density {
	int portal, events, before_exp, before_now, from_now;
};

/* *dense = 1 if the probe (one parameter: text, or else num) counts more than DENSE rows. */
static enum pechat_err
probe(struct db *db, const char *sql, const char *text, int64_t num, int *dense, struct pechat_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	if (text != NULL)
		db_bind_text(st, 1, text, 0);
	else
		sqlite3_bind_int64(st, 1, num);
	sqlite3_bind_int(st, 2, DENSE + 1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*dense = sqlite3_column_int(st, 0) > DENSE;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "certificate search probe", e);
}

/* The density of each broad filter f uses. */
static enum pechat_err
measure(struct db *db, const struct db_cert_filter *f, struct density *d, struct pechat_error *e)
{
	static const char client[] = "SELECT count(*) FROM (SELECT 1 FROM requests WHERE client = ?1 LIMIT ?2)";
	static const char kind[] = "SELECT count(*) FROM (SELECT 1 FROM revocation_events WHERE kind = ?1 LIMIT ?2)";
	static const char before[] = "SELECT count(*) FROM (SELECT 1 FROM certificates WHERE not_after < ?1 LIMIT ?2)";
	static const char from[] = "SELECT count(*) FROM (SELECT 1 FROM certificates WHERE not_after >= ?1 LIMIT ?2)";
	const char *st = f->status != NULL ? f->status : "";
	enum pechat_err err = PECHAT_OK;

	memset(d, 0, sizeof(*d));
	if (f->portal != NULL)
		err = probe(db, client, f->portal, 0, &d->portal, e);
	if (err == PECHAT_OK && (strcmp(st, "revoked") == 0 || strcmp(st, "on_hold") == 0))
		err = probe(db, kind, strcmp(st, "revoked") == 0 ? "revoke" : "hold", 0, &d->events, e);
	if (err == PECHAT_OK && f->has_expires_before)
		err = probe(db, before, NULL, (int64_t)f->expires_before, &d->before_exp, e);
	if (err == PECHAT_OK && strcmp(st, "expired") == 0)
		err = probe(db, before, NULL, (int64_t)f->now, &d->before_now, e);
	if (err == PECHAT_OK && strcmp(st, "valid") == 0)
		err = probe(db, from, NULL, (int64_t)f->now, &d->from_now, e);
	return err;
}

/* The WHERE fragment of a status, in the form its density calls for (NULL for an unknown one). */
static const char *
status_clause(const char *status, const struct density *d)
{
	if (strcmp(status, "revoked") == 0)
		return d->events ? " AND " LAST_EVENT " = 'revoke'" :
		    " AND c.serial IN (SELECT serial FROM revocation_events WHERE kind = 'revoke')"
		    " AND " LAST_EVENT " = 'revoke'";
	if (strcmp(status, "on_hold") == 0)
		return d->events ? " AND " LAST_EVENT " = 'hold'" :
		    " AND c.serial IN (SELECT serial FROM revocation_events WHERE kind = 'hold')"
		    " AND " LAST_EVENT " = 'hold'";
	if (strcmp(status, "valid") == 0)
		return d->from_now ? " AND +c.not_after >= :now AND coalesce(" LAST_EVENT ", 'release') = 'release'" :
		    " AND likelihood(c.not_after >= :now, 0.05) AND coalesce(" LAST_EVENT ", 'release') = 'release'";
	if (strcmp(status, "expired") == 0)
		return d->before_now ? " AND +c.not_after < :now AND coalesce(" LAST_EVENT ", 'release') = 'release'" :
		    " AND likelihood(c.not_after < :now, 0.05) AND coalesce(" LAST_EVENT ", 'release') = 'release'";
	return NULL;
}

/* Appends s to sql (size sz); -1 if it does not fit. */
static int
append(char *sql, size_t sz, const char *s)
{
	size_t n = strlen(sql), m = strlen(s);

	if (n + m >= sz)
		return -1;
	memcpy(sql + n, s, m + 1);
	return 0;
}

/* The statement text for filter f into sql; -1 on an unknown status or overflow. */
static int
build_sql(const struct db_cert_filter *f, const struct density *d, char *sql, size_t sz)
{
	const char *st = NULL;
	int rc = 0;

	sql[0] = '\0';
	if (f->status != NULL && (st = status_clause(f->status, d)) == NULL)
		return -1;
	rc |= append(sql, sz, "SELECT c.serial" SUBSCRIBER " WHERE 1");
	if (f->subject_id != NULL)
		rc |= append(sql, sz, " AND c.request_id IN"
		    " (SELECT request_id FROM request_registry_subject WHERE subject_id = :sid"
		    " UNION ALL SELECT request_id FROM request_representative WHERE representative_id = :sid)");
	if (f->snils != NULL)
		rc |= append(sql, sz, OWNER_ID("snils", "snils", ":snils"));
	if (f->inn != NULL)
		rc |= append(sql, sz, OWNER_ID("inn", "inn", ":inn"));
	if (st != NULL)
		rc |= append(sql, sz, st);
	if (f->issuer != NULL)
		rc |= append(sql, sz, " AND c.issuer = :issuer");
	if (f->profile != NULL)
		rc |= append(sql, sz, " AND c.profile = :profile");
	if (f->has_expires_before)
		rc |= append(sql, sz, d->before_exp ? " AND +c.not_after < :exp" :
		    " AND likelihood(c.not_after < :exp, 0.05)");
	if (f->portal != NULL && d->portal)
		rc |= append(sql, sz, " AND (r.client = :portal OR EXISTS (SELECT 1 FROM request_registry_subject l"
		    " JOIN subjects s ON s.id = l.subject_id WHERE l.request_id = c.request_id AND s.created_by = :portal))");
	else if (f->portal != NULL)
		rc |= append(sql, sz, " AND c.request_id IN (SELECT id FROM requests WHERE client = :portal"
		    " UNION ALL SELECT l.request_id FROM subjects s JOIN request_registry_subject l"
		    " ON l.subject_id = s.id WHERE s.created_by = :portal)");
	if (f->after_serial != NULL)
		rc |= append(sql, sz, " AND c.serial > :after");
	rc |= append(sql, sz, " ORDER BY c.serial LIMIT :limit");
	return rc;
}

/* Binds a text value to a named parameter when the statement has it. */
static void
bind_named(sqlite3_stmt *st, const char *name, const char *value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0 && value != NULL)
		sqlite3_bind_text(st, i, value, -1, SQLITE_TRANSIENT);
}

/* Binds an integer to a named parameter when the statement has it. */
static void
bind_named_int(sqlite3_stmt *st, const char *name, int64_t value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, value);
}

enum pechat_err
db_cert_search(struct db *db, const struct db_cert_filter *f, char (*serials)[65], int *count,
    struct pechat_error *e)
{
	struct density d;
	char sql[4096];
	sqlite3_stmt *st = NULL;
	enum pechat_err err;
	int rc;

	*count = 0;
	if ((err = measure(db, f, &d, e)) != PECHAT_OK)
		return err;
	if (build_sql(f, &d, sql, sizeof(sql)) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "certificate search: bad filter");
	/* one statement per filter combination: prepared here, not cached */
	if ((rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL)) != SQLITE_OK)
		return db_fail(db, rc, "certificate search prepare", e);
	bind_named(st, ":sid", f->subject_id);
	bind_named(st, ":snils", f->snils);
	bind_named(st, ":inn", f->inn);
	bind_named(st, ":issuer", f->issuer);
	bind_named(st, ":profile", f->profile);
	bind_named(st, ":portal", f->portal);
	bind_named(st, ":after", f->after_serial);
	bind_named_int(st, ":now", (int64_t)f->now);
	bind_named_int(st, ":exp", (int64_t)f->expires_before);
	bind_named_int(st, ":limit", f->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < f->limit)
		db_col_text(st, 0, serials[(*count)++], 65);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "certificate search", e);
}

enum pechat_err
db_cert_of_portal(struct db *db, const char *serial, const char *portal, int *owned, struct pechat_error *e)
{
	static const char sql[] =
	    "SELECT count(*)" SUBSCRIBER " WHERE c.serial = ?1 AND (r.client = ?2 OR EXISTS (SELECT 1"
	    " FROM request_registry_subject l JOIN subjects s ON s.id = l.subject_id"
	    " WHERE l.request_id = r.id AND s.created_by = ?2))";
	sqlite3_stmt *st;
	int rc;

	*owned = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	db_bind_text(st, 1, serial, 0);
	db_bind_text(st, 2, portal, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*owned = sqlite3_column_int(st, 0) > 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? PECHAT_OK : db_fail(db, rc, "certificate owner", e);
}
