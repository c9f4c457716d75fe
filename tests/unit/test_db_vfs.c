/*
 * Unit tests for db/vfs.c, the store's VFS: a commit's WAL appends reach the
 * file in a few writes, and every committed page is in the files when the
 * commit returns (a copy of the files taken then, read by SQLite's own VFS,
 * holds it), including pages SQLite wrote twice in one transaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_int.h"

#define ROWS 2000

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pechat-vfs-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	if (db_open(f->path, 1, &f->db, NULL) != PECHAT_OK ||
	    sqlite3_exec(f->db->conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Runs sql on f's connection; asserts. */
static void
exec(struct fixture *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(f->db->conn, sql, NULL, NULL, NULL), SQLITE_OK);
}

/*
 * The store's files as they are now, copied (the connection still open,
 * nothing checkpointed or closed) and opened with SQLite's default VFS:
 * what a crash at this instant would leave. sum(length(v)) and the
 * integrity check of the copy.
 */
static int64_t
copy_and_read(struct fixture *f)
{
	char cmd[800], copy[128];
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	int64_t sum = -1;

	snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s-wal' '%s-wal'", f->path, copy, f->path, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sqlite3_open_v2(copy, &raw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT coalesce(sum(length(v)), 0) FROM t", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sum = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);
	snprintf(cmd, sizeof(cmd), "rm -f '%s' '%s-wal' '%s-shm'", copy, copy, copy);
	assert_int_equal(system(cmd), 0);
	return sum;
}

/* ~150 pages committed at once: a few writes of the log, not two per page; all there on return. */
static void
test_commit_gathered_and_durable(void **state)
{
	struct fixture *f = *state;
	long long asked0, made0, asked1, made1;
	char sql[160];

	db_vfs_wal_writes(&asked0, &made0);
	exec(f, "BEGIN");
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
	    "INSERT INTO t (v) SELECT randomblob(300) FROM n", ROWS);
	exec(f, sql);
	exec(f, "COMMIT");
	db_vfs_wal_writes(&asked1, &made1);
	assert_true(asked1 - asked0 >= 2 * 150);        /* header + page per frame */
	assert_true(made1 - made0 <= (asked1 - asked0) / 20);
	assert_true(made1 - made0 >= 1);
	assert_int_equal(copy_and_read(f), (int64_t)ROWS * 300);
}

/*
 * A transaction bigger than a 5-page cache: SQLite spills pages to the log
 * before the commit and writes some of them again (frames rewritten in
 * place, away from the log's end). The copy taken after the commit holds
 * the last version of every row.
 */
static void
test_rewritten_frames(void **state)
{
	struct fixture *f = *state;
	char sql[160];
	int i;

	exec(f, "PRAGMA cache_size = 5");
	exec(f, "BEGIN");
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
	    "INSERT INTO t (v) SELECT randomblob(100) FROM n", ROWS);
	exec(f, sql);
	for (i = 1; i <= 3; i++) {
		snprintf(sql, sizeof(sql), "UPDATE t SET v = randomblob(%d)", 100 + 50 * i);
		exec(f, sql);
	}
	exec(f, "COMMIT");
	assert_int_equal(copy_and_read(f), (int64_t)ROWS * 250);
	exec(f, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(copy_and_read(f), (int64_t)ROWS * 250);
}

/* A rolled-back transaction leaves nothing; the next commit reads back whole. */
static void
test_rollback_then_commit(void **state)
{
	struct fixture *f = *state;

	exec(f, "PRAGMA cache_size = 5");
	exec(f, "BEGIN");
	exec(f, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
	    "INSERT INTO t (v) SELECT randomblob(400) FROM n");
	exec(f, "ROLLBACK");
	assert_int_equal(copy_and_read(f), 0);
	exec(f, "INSERT INTO t (v) VALUES (randomblob(77))");
	assert_int_equal(copy_and_read(f), 77);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_gathered_and_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_then_commit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
