/*
 * Unit tests for db/writer.c, the store's group commit: concurrent callers,
 * one failing job in a batch, a failed COMMIT, the order and visibility of
 * results, nesting, and db_txn_run after the writer stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db_int.h"

struct fixture {
	char dir[64];
	char path[96];
};

/* A fresh file store with two scratch tables (t, and c referencing t) and the writer on it. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct db *db = NULL;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pechat-writer-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	if (db_open(f->path, 1, &db, NULL) != PECHAT_OK)
		return -1;
	if (sqlite3_exec(db->conn, "CREATE TABLE t (id TEXT PRIMARY KEY);"
	    "CREATE TABLE c (ref TEXT REFERENCES t(id));", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	db_close(db);
	if (db_writer_start(f->path, NULL) != PECHAT_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	db_writer_stop();
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One job's instructions and what it saw. */
struct job {
	const char *path;
	const char *id;             /* row to insert into t */
	int fail;                   /* 1: insert, then fail with CONFLICT */
	int bad_fk;                 /* 1: defer FK checks and insert a dangling c row */
	int gate;                   /* > 0: wait (in the txn) until this many jobs are queued */
	int nested;                 /* 1: call db_txn_run from inside */
	int started;                /* set (atomically) when its fn starts */
	int64_t seen;               /* rows in t when it ran (after its insert) */
	enum pechat_err err;
	struct pechat_error e;
	pthread_t th;
};

static int64_t
count_rows(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db->conn, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static enum pechat_err
noop_txn(struct db *db, void *arg, struct pechat_error *e)
{
	(void)db;
	(void)arg;
	(void)e;
	return PECHAT_OK;
}

/* The test's txn fn: follows the job's instructions on the db it is given. */
static enum pechat_err
job_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct job *j = arg;
	char sql[160];
	int pending = 0, i;
	struct timespec ms = { 0, 1000000L };

	__atomic_store_n(&j->started, 1, __ATOMIC_SEQ_CST);
	for (i = 0; j->gate > 0 && i < 20000; i++) {
		db_writer_stats(&pending, NULL, NULL);
		if (pending >= j->gate)
			break;
		nanosleep(&ms, NULL);
	}
	if (j->nested)
		return db_txn_run(db, noop_txn, NULL, e);
	if (j->bad_fk && sqlite3_exec(db->conn, "PRAGMA defer_foreign_keys = ON;"
	    "INSERT INTO c VALUES ('nowhere')", NULL, NULL, NULL) != SQLITE_OK)
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "deferred insert refused at once");
	snprintf(sql, sizeof(sql), "INSERT INTO t VALUES ('%s')", j->id != NULL ? j->id : "");
	if (j->id != NULL && sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "insert failed");
	j->seen = count_rows(db);
	if (j->fail)
		return pechat_fail(e, PECHAT_E_CONFLICT, "job_refused", "refused by the test");
	return PECHAT_OK;
}

/* A thread: its own connection on the store, one db_txn_run. */
static void *
job_thread(void *arg)
{
	struct job *j = arg;
	struct db *db = NULL;

	if (db_open(j->path, 0, &db, &j->e) != PECHAT_OK) {
		j->err = PECHAT_E_UNAVAILABLE;
		return NULL;
	}
	j->err = db_txn_run(db, job_txn, j, &j->e);
	db_close(db);
	return NULL;
}

static void
start(struct job *j, const char *path)
{
	j->path = path;
	assert_int_equal(pthread_create(&j->th, NULL, job_thread, j), 0);
}

/* Waits (bounded) until `n` jobs are queued behind the running batch. */
static void
wait_pending(int n)
{
	int pending = 0, i;
	struct timespec ms = { 0, 1000000L };

	for (i = 0; i < 20000; i++) {
		db_writer_stats(&pending, NULL, NULL);
		if (pending >= n)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("only %d jobs queued, wanted %d", pending, n);
}

/* 1 if t holds id, 0 if not (read on a connection of its own). */
static int
has_row(const char *path, const char *id)
{
	struct db *db = NULL;
	sqlite3_stmt *st = NULL;
	int yes = -1;

	if (db_open(path, 0, &db, NULL) != PECHAT_OK)
		return -1;
	if (sqlite3_prepare_v2(db->conn, "SELECT 1 FROM t WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	db_close(db);
	return yes;
}

/* Runs a gate job, queues `n` jobs behind it, joins all: the n run as ONE batch. */
static void
run_batch_behind_gate(const char *path, struct job *jobs, int n)
{
	struct job gate = { .id = "gate", .gate = n };
	int64_t b0 = 0, b1 = 0;
	int i;

	db_writer_stats(NULL, &b0, NULL);
	start(&gate, path);
	/* the gate job runs alone, holding the writer until the others are queued */
	for (i = 0; i < 20000 && !__atomic_load_n(&gate.started, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	assert_true(__atomic_load_n(&gate.started, __ATOMIC_SEQ_CST));
	for (i = 0; i < n; i++) {
		start(&jobs[i], path);
		/* queued in this order: each waits for the previous one to be queued */
		wait_pending(i + 1);
	}
	pthread_join(gate.th, NULL);
	for (i = 0; i < n; i++)
		pthread_join(jobs[i].th, NULL);
	assert_int_equal(gate.err, PECHAT_OK);
	db_writer_stats(NULL, &b1, NULL);
	assert_int_equal(b1 - b0, 2);   /* the gate's batch, then one batch for all n */
}

/* Many threads at once: every transaction committed, in fewer commits than transactions. */
static void
test_concurrent_all_committed(void **state)
{
	struct fixture *f = *state;
	enum { N = 48 };
	struct job jobs[N];
	char ids[N][16];
	int64_t b0 = 0, b1 = 0, j0 = 0, j1 = 0;
	int i;

	memset(jobs, 0, sizeof(jobs));
	db_writer_stats(NULL, &b0, &j0);
	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "row%d", i);
		jobs[i].id = ids[i];
		start(&jobs[i], f->path);
	}
	for (i = 0; i < N; i++) {
		pthread_join(jobs[i].th, NULL);
		assert_int_equal(jobs[i].err, PECHAT_OK);
	}
	for (i = 0; i < N; i++)
		assert_int_equal(has_row(f->path, ids[i]), 1);
	db_writer_stats(NULL, &b1, &j1);
	assert_int_equal(j1 - j0, N);
	assert_true(b1 - b0 >= 1 && b1 - b0 <= N);
}

/* One failing job in a batch: it alone is rolled back and gets its error; the others commit. */
static void
test_failing_job_alone(void **state)
{
	struct fixture *f = *state;
	struct job jobs[3] = {
		{ .id = "a" }, { .id = "b", .fail = 1 }, { .id = "c" },
	};

	run_batch_behind_gate(f->path, jobs, 3);
	assert_int_equal(jobs[0].err, PECHAT_OK);
	assert_int_equal(jobs[1].err, PECHAT_E_CONFLICT);
	assert_string_equal(jobs[1].e.code, "job_refused");
	assert_int_equal(jobs[2].err, PECHAT_OK);
	assert_string_equal(jobs[2].e.code, "");
	assert_int_equal(has_row(f->path, "a"), 1);
	assert_int_equal(has_row(f->path, "b"), 0);
	assert_int_equal(has_row(f->path, "c"), 1);
	/* order and visibility inside the batch: FIFO, each sees the earlier jobs' rows, not b's */
	assert_int_equal(jobs[0].seen, 2);      /* gate + a */
	assert_int_equal(jobs[1].seen, 3);      /* gate + a + b (its own, rolled back after) */
	assert_int_equal(jobs[2].seen, 3);      /* gate + a + c */
}

/* A COMMIT that fails (a deferred foreign key) fails every job of the batch: nothing stored. */
static void
test_failed_commit_fails_all(void **state)
{
	struct fixture *f = *state;
	struct job jobs[3] = {
		{ .id = "x" }, { .id = "y", .bad_fk = 1 }, { .id = "z" },
	};
	int i;

	run_batch_behind_gate(f->path, jobs, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(jobs[i].err, PECHAT_E_CONFLICT);
		assert_string_equal(jobs[i].e.code, "store_conflict");
	}
	assert_int_equal(has_row(f->path, "x"), 0);
	assert_int_equal(has_row(f->path, "y"), 0);
	assert_int_equal(has_row(f->path, "z"), 0);
	/* the writer goes on: the next transaction commits */
	struct job after = { .id = "after" };
	start(&after, f->path);
	pthread_join(after.th, NULL);
	assert_int_equal(after.err, PECHAT_OK);
	assert_int_equal(has_row(f->path, "after"), 1);
}

/* The caller's own connection sees its committed row as soon as db_txn_run returns. */
static void
test_visible_to_caller(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	struct job j = { .id = "mine" };
	int64_t before;

	assert_int_equal(db_open(f->path, 0, &db, NULL), PECHAT_OK);
	assert_int_equal(db->shared, 1);
	before = count_rows(db);
	assert_int_equal(db_txn_run(db, job_txn, &j, NULL), PECHAT_OK);
	assert_int_equal(count_rows(db), before + 1);
	db_close(db);
}

/* A txn fn calling db_txn_run is refused (no deadlock on the writer), its batch-mates unharmed. */
static void
test_nested_refused(void **state)
{
	struct fixture *f = *state;
	struct job jobs[2] = { { .nested = 1 }, { .id = "beside" } };

	run_batch_behind_gate(f->path, jobs, 2);
	assert_int_equal(jobs[0].err, PECHAT_E_INTERNAL);
	assert_int_equal(jobs[1].err, PECHAT_OK);
	assert_int_equal(has_row(f->path, "beside"), 1);
}

/* 1,200 rows of 4 KB: a WAL of well over 1,000 frames in one commit. */
static enum pechat_err
big_txn(struct db *db, void *arg, struct pechat_error *e)
{
	(void)arg;
	if (sqlite3_exec(db->conn, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) "
	    "INSERT INTO t SELECT hex(randomblob(2000)) FROM n", NULL, NULL, NULL) != SQLITE_OK)
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "insert failed");
	return PECHAT_OK;
}

/*
 * A commit that leaves 1,000 frames in the WAL wakes the checkpointer: the
 * frames are copied into the database file by its PASSIVE checkpoint (the
 * test's own PASSIVE checkpoint then finds every frame backfilled), not by
 * the writer (its connection has wal_autocheckpoint off).
 */
static void
test_checkpoint_beside_writer(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	struct timespec ms = { 0, 10000000L };
	int64_t before = db_writer_checkpoints();
	int i, wal = -1, copied = -2;

	assert_int_equal(db_open(f->path, 0, &db, NULL), PECHAT_OK);
	assert_int_equal(db_txn_run(db, big_txn, NULL, NULL), PECHAT_OK);
	for (i = 0; i < 1000 && db_writer_checkpoints() == before; i++)
		nanosleep(&ms, NULL);
	assert_true(db_writer_checkpoints() > before);
	assert_int_equal(sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal, &copied), SQLITE_OK);
	assert_true(wal >= 1000);
	assert_int_equal(copied, wal);
	db_close(db);
}

/* 4 rows of ~6 KB: each job appends ~8 fresh pages (frames) to the WAL. */
static enum pechat_err
rows_txn(struct db *db, void *arg, struct pechat_error *e)
{
	(void)arg;
	if (sqlite3_exec(db->conn, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4) "
	    "INSERT INTO t SELECT hex(randomblob(3000)) FROM n", NULL, NULL, NULL) != SQLITE_OK)
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "insert failed");
	return PECHAT_OK;
}

/* A thread committing rows_txn LOAD_JOBS times back to back on its own connection; *arg: failures. */
#define LOAD_JOBS 400
static void *
load_thread(void *arg)
{
	const char *path = *(const char **)arg;
	struct db *db = NULL;
	int i;

	if (db_open(path, 0, &db, NULL) != PECHAT_OK) {
		*(const char **)arg = NULL;
		return NULL;
	}
	for (i = 0; i < LOAD_JOBS; i++)
		if (db_txn_run(db, rows_txn, NULL, NULL) != PECHAT_OK)
			*(const char **)arg = NULL;
	db_close(db);
	return NULL;
}

/*
 * Under commits without a pause (4 threads, ~13,000 frames in all), the WAL
 * still starts over: the checkpointer's pass cannot copy the frames
 * committed while it runs, so the writer copies those between two batches
 * and waits for the old frames' readers; the WAL file stays far below the
 * size of every frame written (before, it grew by all of them).
 */
static void
test_wal_starts_over_under_load(void **state)
{
	struct fixture *f = *state;
	enum { T = 4 };
	pthread_t th[T];
	const char *arg[T];
	char wal[128];
	struct stat sb;
	int i;

	for (i = 0; i < T; i++) {
		arg[i] = f->path;
		assert_int_equal(pthread_create(&th[i], NULL, load_thread, &arg[i]), 0);
	}
	for (i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_non_null(arg[i]);
	}
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &sb), 0);
	print_message("wal %lld bytes, %lld checkpoints\n", (long long)sb.st_size, (long long)db_writer_checkpoints());
	/* ~13,000 frames of 4,120 bytes written (the WAL grew by all of them before) */
	assert_true(sb.st_size < (off_t)8000 * 4120);
}

/* 1 if this process holds an SQLite temporary file open (a deleted etilqs_* file). */
static int
temp_file_open(void)
{
	char fd[64], target[512];
	ssize_t n;
	int i, found = 0;

	for (i = 0; i < 1024 && !found; i++) {
		snprintf(fd, sizeof(fd), "/proc/self/fd/%d", i);
		if ((n = readlink(fd, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		found = strstr(target, "etilqs_") != NULL;
	}
	return found;
}

/*
 * Rewrites every row of t (hundreds of existing pages: far more than the
 * 64 KiB a savepoint's journal keeps in memory by default), then reports in
 * *arg whether a temporary file is open meanwhile and the temp_store in force.
 */
static enum pechat_err
rewrite_txn(struct db *db, void *arg, struct pechat_error *e)
{
	int *seen = arg;
	sqlite3_stmt *st = NULL;

	if (sqlite3_exec(db->conn, "UPDATE t SET id = id || 'x'", NULL, NULL, NULL) != SQLITE_OK)
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "update failed");
	seen[0] = temp_file_open();
	if (sqlite3_prepare_v2(db->conn, "PRAGMA temp_store", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return pechat_fail(e, PECHAT_E_INTERNAL, "test", "pragma failed");
	}
	seen[1] = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return PECHAT_OK;
}

/*
 * A job's SAVEPOINT journal stays in memory on the writer's connection
 * (temp_store = MEMORY): a job rewriting ~600 existing pages opens no
 * temporary file, where SQLite's default spills the journal past 64 KiB to
 * a deleted etilqs_* file (two pwrites per page), and the rewrite commits.
 */
static void
test_job_journal_in_memory(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	sqlite3_stmt *st = NULL;
	int seen[2] = { -1, -1 };

	assert_int_equal(db_open(f->path, 0, &db, NULL), PECHAT_OK);
	assert_int_equal(db_txn_run(db, big_txn, NULL, NULL), PECHAT_OK);
	assert_int_equal(db_txn_run(db, rewrite_txn, seen, NULL), PECHAT_OK);
	assert_int_equal(seen[0], 0);
	assert_int_equal(seen[1], 2);   /* MEMORY */
	assert_int_equal(sqlite3_prepare_v2(db->conn, "SELECT count(*) FROM t WHERE id LIKE '%x'", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1200);      /* committed */
	sqlite3_finalize(st);
	db_close(db);
}

/* Busy from another process's write lock: the batch waits and commits after it. */
static void
test_busy_other_connection(void **state)
{
	struct fixture *f = *state;
	sqlite3 *other = NULL;
	struct job j = { .id = "afterlock" };

	/* a plain connection, like the CLI's: not routed through the writer */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('cli')", NULL, NULL,
	    NULL), SQLITE_OK);
	start(&j, f->path);
	usleep(200000);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	pthread_join(j.th, NULL);
	assert_int_equal(j.err, PECHAT_OK);
	assert_int_equal(has_row(f->path, "cli"), 1);
	assert_int_equal(has_row(f->path, "afterlock"), 1);
}

/* After db_writer_stop, db_txn_run runs on the caller's connection again. */
static void
test_after_stop(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	struct job j = { .id = "local" };
	int64_t b0 = 0, b1 = 0;

	assert_int_equal(db_open(f->path, 0, &db, NULL), PECHAT_OK);
	db_writer_stats(NULL, &b0, NULL);
	db_writer_stop();
	assert_int_equal(db_txn_run(db, job_txn, &j, NULL), PECHAT_OK);
	db_writer_stats(NULL, &b1, NULL);
	assert_int_equal(b1, b0);       /* not through the writer */
	assert_int_equal(has_row(f->path, "local"), 1);
	db_close(db);
	/* restarted for the teardown */
	assert_int_equal(db_writer_start(f->path, NULL), PECHAT_OK);
	assert_int_equal(db_writer_start(f->path, NULL), PECHAT_E_INTERNAL);
	assert_int_equal(db_writer_serves(f->path), 1);        /* the refused start left the running writer alone */
	assert_int_equal(db_writer_start(":memory:", NULL) == PECHAT_OK, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_all_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_job_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_fails_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visible_to_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_journal_in_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_other_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_beside_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_starts_over_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
