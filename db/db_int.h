/* db/db_int.h — private helpers shared by the db/ query files. */
#ifndef PECHAT_DB_INT_H
#define PECHAT_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

#define DB_STMT_CACHE 256
/* how long a connection waits for another process's lock (SQLite's busy handler) */
#define DB_BUSY_TIMEOUT_MS 1000

struct db_stmt_slot {
	const char *sql;        /* static string: the cache key is its address */
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *conn;
	int in_txn;
	int shared;             /* opened on the store the writer serves: db_txn_run queues there */
	struct db_stmt_slot stmts[DB_STMT_CACHE];
	int nstmts;
};

/* The prepared statement for `sql` (a static string), reset and unbound; NULL on error (logged, e set). */
sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct pechat_error *e);

/* Maps an SQLite result code to our error kinds (BUSY soft, CONSTRAINT conflict, rest hard). */
enum pechat_err db_fail(struct db *db, int rc, const char *what, struct pechat_error *e);
/* Runs SQL with no result rows on db's connection (BEGIN, COMMIT, SAVEPOINT...); db_fail's error. */
enum pechat_err db_exec(struct db *db, const char *sql, struct pechat_error *e);
/* Before retry `attempt` of a busy transaction: sleeps attempt x 20 ms plus up to 16 ms of jitter. */
void db_backoff(int attempt);

/* Runs a statement expected to return no rows (INSERT/UPDATE); resets it. */
enum pechat_err db_exec_stmt(struct db *db, sqlite3_stmt *st, const char *what, struct pechat_error *e);

/* Binds a C string, NULL or "" as SQL NULL when null_if_empty. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s, int null_if_empty);

/* Copies column text into buf (empty for NULL). */
void db_col_text(sqlite3_stmt *st, int col, char *buf, size_t bufsz);

/* malloc'd copy of a BLOB column; 0 or -1 (no memory). NULL blob gives NULL/0. */
int db_col_blob(sqlite3_stmt *st, int col, unsigned char **out, size_t *len);

/* Runs a one-value query ("SELECT count(*) ...", "SELECT coalesce(max(x), 0) ...") into *out;
 * param (may be NULL) binds the single "?" as text. */
enum pechat_err db_int64(struct db *db, const char *sql, const char *param, int64_t *out, struct pechat_error *e);

/* A legal entity's request: its representative link (db/representatives.c); nothing when
 * row->representative_id is "" / out's left "" and 0 when the request has none. */
enum pechat_err db_request_representative_insert(struct db *db, const struct db_request *row,
    struct pechat_error *e);
enum pechat_err db_request_representative_load(struct db *db, struct db_request *out, struct pechat_error *e);
/* A qualified request's sign tool and identificationKind (request_qualified; nothing when it has neither). */
enum pechat_err db_request_qualified_insert(struct db *db, const struct db_request *row, struct pechat_error *e);
enum pechat_err db_request_qualified_load(struct db *db, struct db_request *out, struct pechat_error *e);

/* The store writer (db/writer.c): 1 if it serves `path`; queue a transaction
 * and wait for its result (*queued = 0: no writer, the caller runs it). */
int db_writer_serves(const char *path);
/* The name of the store's VFS (db/vfs.c), registered on first use; NULL: SQLite's default. */
const char *db_vfs_name(void);
enum pechat_err db_writer_submit(db_txn_fn fn, void *arg, struct pechat_error *e, int *queued);

/* Schema migrations, in order; migration i brings the store to version i + 1. */
extern const char *const db_migrations[];
extern const int db_migrations_count;

#endif
