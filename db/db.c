/* db/db.c — connection set-up, migrations runner, statement cache, transaction runner. */
#include "db/db_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DB_TXN_ATTEMPTS 5

int
db_schema_version_supported(void)
{
	return db_migrations_count;
}

enum pechat_err
db_fail(struct db *db, int rc, const char *what, struct pechat_error *e)
{
	int primary = rc & 0xff;
	const char *msg = db != NULL && db->conn != NULL ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc);

	switch (primary) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("store busy: %s: %s", what, msg);
		return pechat_fail(e, PECHAT_E_BUSY, "store_busy", "the store is busy, retry later");
	case SQLITE_CONSTRAINT:
		log_debug("store constraint: %s: %s", what, msg);
		return pechat_fail(e, PECHAT_E_CONFLICT, "store_conflict", "conflicts with an existing record");
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		log_err("store unavailable: %s: %s (rc %d)", what, msg, rc);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "store_unavailable", "the store is unavailable");
	default:
		log_err("store error: %s: %s (rc %d)", what, msg, rc);
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "internal store error");
	}
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql, struct pechat_error *e)
{
	sqlite3_stmt *st = NULL;
	int i, rc;

	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i].sql == sql) {
			sqlite3_reset(db->stmts[i].stmt);
			sqlite3_clear_bindings(db->stmts[i].stmt);
			return db->stmts[i].stmt;
		}
	}
	rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		db_fail(db, rc, sql, e);
		return NULL;
	}
	if (db->nstmts < DB_STMT_CACHE) {
		db->stmts[db->nstmts].sql = sql;
		db->stmts[db->nstmts].stmt = st;
		db->nstmts++;
	} else {
		log_err("db: statement cache full (raise DB_STMT_CACHE)");
		sqlite3_finalize(st);
		pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "internal store error");
		return NULL;
	}
	return st;
}

enum pechat_err
db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what, struct pechat_error *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, rc, what, e);
	return PECHAT_OK;
}

int
db_bind_text(sqlite3_stmt *st, int idx, const char *s, int null_if_empty)
{
	if (s == NULL || (null_if_empty && s[0] == '\0'))
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

void
db_col_text(sqlite3_stmt *st, int col, char *buf, size_t bufsz)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	pechat_strlcpy(buf, t != NULL ? (const char *)t : "", bufsz);
}

int
db_col_blob(sqlite3_stmt *st, int col, unsigned char **out, size_t *len)
{
	const void *b = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	*out = NULL;
	*len = 0;
	if (b == NULL || n <= 0)
		return 0;
	if ((*out = malloc((size_t)n)) == NULL)
		return -1;
	memcpy(*out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

enum pechat_err
db_int64(struct db *db, const char *sql, const char *param, int64_t *out, struct pechat_error *e)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if ((st = db_stmt(db, sql, e)) == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	if (param != NULL)
		db_bind_text(st, 1, param, 0);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_fail(db, rc, sql, e);
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return PECHAT_OK;
}

/* See db_int.h. */
enum pechat_err
db_exec(struct db *db, const char *sql, struct pechat_error *e)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_debug("db exec: %s", msg != NULL ? msg : "");
		sqlite3_free(msg);
		return db_fail(db, rc, sql, e);
	}
	return PECHAT_OK;
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* 1 if the store has table `name`, else 0. */
static int
db_has_table(struct db *db, const char *name)
{
	int64_t n = 0;

	return db_int64(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name, &n,
	    NULL) == PECHAT_OK && n > 0;
}

/*
 * The data step of the migration that creates certificate_keys: SQLite
 * cannot hash a certificate's key, so the key hashes of the certificates
 * stored before it are computed here, in the same transaction, once.
 */
static enum pechat_err
db_migrate_keys(struct db *db, int had_keys, struct pechat_error *e)
{
	enum pechat_err err;
	int64_t added = 0;

	if (had_keys || !db_has_table(db, "certificate_keys"))
		return PECHAT_OK;
	if ((err = db_cert_keys_backfill(db, &added, e)) == PECHAT_OK && added > 0)
		log_info("store: recorded the key hashes of %lld existing certificates", (long long)added);
	return err;
}

/* Applies migrations [current, supported) each in its own IMMEDIATE transaction. */
static enum pechat_err
db_migrate(struct db *db, struct pechat_error *e)
{
	char sql[64];
	int v, had_keys;
	enum pechat_err err;

	/* a current store needs no write lock (nor waits behind the store writer's batch) */
	if (db_schema_version(db) == db_migrations_count)
		return PECHAT_OK;
	if ((err = db_exec(db, "BEGIN IMMEDIATE", e)) != PECHAT_OK)
		return err;
	had_keys = db_has_table(db, "certificate_keys");
	v = db_schema_version(db);
	if (v > db_migrations_count) {
		db_exec(db, "ROLLBACK", NULL);
		log_err("store schema version %d is newer than this binary supports (%d): refusing to open",
		    v, db_migrations_count);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "store_too_new",
		    "store schema version %d is newer than this binary (%d)", v, db_migrations_count);
	}
	for (; v >= 0 && v < db_migrations_count; v++) {
		log_info("store: applying migration %d", v + 1);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((err = db_exec(db, db_migrations[v], e)) != PECHAT_OK ||
		    (err = db_exec(db, sql, e)) != PECHAT_OK) {
			db_exec(db, "ROLLBACK", NULL);
			return err;
		}
	}
	if (v < 0) {
		db_exec(db, "ROLLBACK", NULL);
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "cannot read schema version");
	}
	if ((err = db_migrate_keys(db, had_keys, e)) != PECHAT_OK) {
		db_exec(db, "ROLLBACK", NULL);
		return err;
	}
	return db_exec(db, "COMMIT", e);
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/*
 * The library's process-wide settings, before its first use (sqlite3_config
 * is refused after sqlite3_initialize): no memory statistics — with them,
 * every allocation of every connection takes one global mutex, which the
 * request threads, the writer and the checkpointer all contend for. Nothing
 * here reads those statistics.
 */
static void
db_config(void)
{
	if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_warn("store: SQLite was initialised before its settings: memory statistics stay on");
}

enum pechat_err
db_open(const char *path, int create, struct db **out, struct pechat_error *e)
{
	struct db *db = NULL;
	int memory = strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	enum pechat_err err;
	int rc;

	*out = NULL;
	pthread_once(&config_once, db_config);
	if (!memory && !create && access(path, F_OK) != 0) {
		log_err("store %s: %s", path, strerror(errno));
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "store_missing",
		    "store %s does not exist: run `pechat init`", path);
	}
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	if ((rc = sqlite3_open_v2(path, &db->conn, flags, memory ? NULL : db_vfs_name())) != SQLITE_OK) {
		err = db_fail(db, rc, path, e);
		goto out;
	}
	sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->conn, 1);
	if ((err = db_exec(db, "PRAGMA foreign_keys = ON", e)) != PECHAT_OK)
		goto out;
	if (!memory && ((err = db_exec(db, "PRAGMA journal_mode = WAL", e)) != PECHAT_OK ||
	    (err = db_exec(db, "PRAGMA synchronous = FULL", e)) != PECHAT_OK))
		goto out;
	if ((err = db_migrate(db, e)) != PECHAT_OK)
		goto out;
	if (!memory)
		chmod(path, 0600);
	db->shared = !memory && db_writer_serves(path);
	*out = db;
	db = NULL;
out:
	db_close(db);
	return err;
}

/* See db.h. */
const char *
db_sqlite_version(void)
{
	return sqlite3_libversion();
}

void
db_close(struct db *db)
{
	int i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].stmt);
	sqlite3_close(db->conn);
	free(db);
}

/* See db.h. */
int
db_idle(struct db *db)
{
	int i;

	for (i = 0; i < db->nstmts; i++)
		sqlite3_reset(db->stmts[i].stmt);
	return !db->in_txn && sqlite3_get_autocommit(db->conn) != 0;
}

enum pechat_err
db_ping(struct db *db, struct pechat_error *e)
{
	int64_t one;

	return db_int64(db, "SELECT 1", NULL, &one, e);
}

/* See db_int.h. */
void
db_backoff(int attempt)
{
	struct timespec ts;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)(attempt * 20 + (int)(clock() % 17)) * 1000000L;
	nanosleep(&ts, NULL);
}

enum pechat_err
db_txn_run(struct db *db, db_txn_fn fn, void *arg, struct pechat_error *e)
{
	enum pechat_err err = PECHAT_E_INTERNAL;
	int attempt, queued = 0;

	if (db->in_txn) {
		log_err("db_txn_run: nested transaction (our bug)");
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "internal store error");
	}
	if (db->shared) {
		err = db_writer_submit(fn, arg, e, &queued);
		if (queued)
			return err;
	}
	for (attempt = 0; attempt < DB_TXN_ATTEMPTS; attempt++) {
		if (attempt > 0)
			db_backoff(attempt);
		pechat_error_clear(e);
		if ((err = db_exec(db, "BEGIN IMMEDIATE", e)) != PECHAT_OK) {
			if (err == PECHAT_E_BUSY)
				continue;
			return err;
		}
		db->in_txn = 1;
		err = fn(db, arg, e);
		if (err == PECHAT_OK)
			err = db_exec(db, "COMMIT", e);
		db->in_txn = 0;
		if (err == PECHAT_OK)
			return PECHAT_OK;
		/* after a failed COMMIT or fn, roll back; a rollback error is logged only */
		if (sqlite3_get_autocommit(db->conn) == 0)
			db_exec(db, "ROLLBACK", NULL);
		if (err != PECHAT_E_BUSY)
			return err;
	}
	log_warn("store busy after %d attempts", DB_TXN_ATTEMPTS);
	return pechat_fail(e, PECHAT_E_BUSY, "store_busy", "the store is busy, retry later");
}
