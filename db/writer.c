/*
 * db/writer.c — the store's single writer (group commit).
 *
 * pechatd starts one writer per process on its store (db_writer_start): a
 * dedicated connection and thread. db_txn_run on any connection opened on the
 * same store path then queues {fn, arg} here instead of running it; the
 * writer takes everything queued, runs each job inside its own SAVEPOINT of
 * ONE `BEGIN IMMEDIATE` transaction, COMMITs once (one fsync for the batch)
 * and only then wakes each caller with its own result. A job that fails is
 * rolled back to its savepoint alone; a failed COMMIT fails every job of the
 * batch (nothing is reported done that is not on disk); SQLITE_BUSY (another
 * process, e.g. the `pechat` CLI, writing) re-runs the whole batch after a
 * bounded backoff. The savepoints' journals stay in memory (temp_store =
 * MEMORY on the writer's connection). Without a writer (the CLI, unit tests) db_txn_run runs
 * the transaction on the caller's connection as before (db/db.c).
 *
 * Checkpoints (copying the WAL back into the database file, with its own
 * fsync) run on a second thread with its own connection, never inside the
 * writer's commits: the writer's connection has wal_autocheckpoint off and a
 * WAL hook that wakes the checkpointer once the WAL holds CHECKPOINT_FRAMES
 * frames (SQLite's own default threshold); a PASSIVE checkpoint then copies
 * what no reader still needs while the writer goes on committing. The
 * writer then finishes it between two batches (w_finish_checkpoint), the
 * only moment when no transaction of its own is open, so that the WAL
 * starts over instead of growing for as long as the load lasts.
 */
#include "db/db_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITER_ATTEMPTS 8
#define WRITER_PATH_MAX 4096
#define CHECKPOINT_FRAMES 1000
/* how long the writer's finishing checkpoint waits for readers of the old frames (SQLite's busy handler) */
#define WRITER_RESTART_WAIT_MS 10
/* the writer's page cache: a batch's dirty pages stay in memory until its COMMIT (no spill) */
#define WRITER_CACHE_KIB "16384"
/*
 * Each job's SAVEPOINT journal (the original of every page the job touches,
 * ~70 KB for an issuance) stays in memory: SQLite's default moves it past
 * 64 KiB to a deleted temporary file, two pwrites per page. It is emptied at
 * each job's RELEASE, so it holds one job's pages at most. The connection's
 * other temporary storage (sorts without an index, transient tables) is in
 * memory too; the writer's jobs are small single-row statements.
 */
#define WRITER_TEMP_STORE "PRAGMA temp_store = MEMORY"

/* One queued transaction; lives on its caller's stack until done is set. */
struct wjob {
	db_txn_fn fn;
	void *arg;
	struct pechat_error *e;     /* the caller's (may be NULL) */
	enum pechat_err err;
	int final;                  /* failed alone: its result is set, not re-run */
	int done;
	pthread_cond_t cv;
	struct wjob *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* the writer waits on it for work */
	int running, stopping;
	char path[WRITER_PATH_MAX];
	struct db *db;              /* the writer's own connection */
	pthread_t th;
	struct wjob *head, *tail;
	int pending;                /* jobs queued, not yet taken */
	int64_t batches, jobs;      /* totals, for the log and the tests */
	struct db *ckpt_db;         /* the checkpointer's own connection */
	pthread_t ckpt_th;
	pthread_cond_t ckpt_cv;     /* the checkpointer waits on it */
	int ckpt_wanted;
	int ckpt_finish;            /* the writer copies what the checkpointer's pass left, between batches */
	int64_t checkpoints, whole; /* checkpoints run; the writer's that copied the whole WAL */
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .ckpt_cv = PTHREAD_COND_INITIALIZER };

/* The writer's transaction control, prepared once on its connection (db_stmt keys on these pointers). */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT pechat_job";
static const char SQL_RELEASE[] = "RELEASE pechat_job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO pechat_job";

/* Runs one of the statements above on the writer's connection (prepared once). */
static enum pechat_err
w_sql(struct db *db, const char *sql, struct pechat_error *e)
{
	sqlite3_stmt *st = db_stmt(db, sql, e);

	if (st == NULL)
		return e != NULL ? e->err : PECHAT_E_INTERNAL;
	return db_exec_stmt(db, st, sql, e);
}

/* Runs job j inside its own savepoint; returns 1 if the whole transaction is gone. */
static int
w_run_job(struct db *db, struct wjob *j)
{
	pechat_error_clear(j->e);
	if ((j->err = w_sql(db, SQL_SAVEPOINT, j->e)) != PECHAT_OK)
		return sqlite3_get_autocommit(db->conn);
	db->in_txn = 1;
	j->err = j->fn(db, j->arg, j->e);
	db->in_txn = 0;
	if (sqlite3_get_autocommit(db->conn))
		return 1;       /* SQLite rolled the transaction back (IOERR, FULL...) */
	if (j->err == PECHAT_OK)
		return w_sql(db, SQL_RELEASE, NULL) != PECHAT_OK;
	if (w_sql(db, SQL_ROLLBACK_TO, NULL) != PECHAT_OK || w_sql(db, SQL_RELEASE, NULL) != PECHAT_OK)
		return 1;
	return 0;
}

/* Sets every job of the batch not already final to err (e copied in). */
static void
w_fail_rest(struct wjob *batch, enum pechat_err err, const struct pechat_error *e)
{
	struct wjob *j;

	for (j = batch; j != NULL; j = j->next) {
		if (j->final)
			continue;
		j->err = err;
		if (j->e != NULL && e != NULL)
			*j->e = *e;
		j->final = 1;
	}
}

/*
 * One attempt at the batch: BEGIN IMMEDIATE, each job not final in its
 * savepoint, COMMIT. Returns PECHAT_OK when committed (or nothing left),
 * PECHAT_E_BUSY to re-run the batch, anything else when the batch failed
 * (e says why); a job that failed alone is made final on the way.
 */
static enum pechat_err
w_attempt(struct db *db, struct wjob *batch, struct pechat_error *e)
{
	struct wjob *j;
	enum pechat_err err;

	if ((err = w_sql(db, SQL_BEGIN, e)) != PECHAT_OK)
		return err;
	for (j = batch; j != NULL; j = j->next) {
		if (j->final)
			continue;
		if (w_run_job(db, j)) {
			/* the transaction is gone: this job alone is blamed, the others re-run */
			j->final = 1;
			if (j->err == PECHAT_OK)
				j->err = pechat_fail(j->e, PECHAT_E_INTERNAL, "store_error", "internal store error");
			goto rollback;
		}
		if (j->err == PECHAT_E_BUSY) {
			/* cannot happen while we hold the write lock, but is soft: re-run the batch */
			err = pechat_fail(e, PECHAT_E_BUSY, "store_busy", "the store is busy, retry later");
			goto rollback;
		}
		if (j->err != PECHAT_OK)
			j->final = 1;
	}
	if ((err = w_sql(db, SQL_COMMIT, e)) == PECHAT_OK)
		return PECHAT_OK;
rollback:
	if (!sqlite3_get_autocommit(db->conn))
		w_sql(db, SQL_ROLLBACK, NULL);
	return err == PECHAT_OK ? PECHAT_E_BUSY : err;
}

/* Runs a batch to its end: every job gets its final result. */
static void
w_run_batch(struct db *db, struct wjob *batch)
{
	struct pechat_error e;
	enum pechat_err err = PECHAT_E_BUSY;
	struct wjob *j;
	int attempt, left;

	for (attempt = 0; attempt < WRITER_ATTEMPTS; attempt++) {
		pechat_error_clear(&e);
		err = w_attempt(db, batch, &e);
		if (err == PECHAT_OK)
			break;
		if (err != PECHAT_E_BUSY) {
			w_fail_rest(batch, err, &e);
			return;
		}
		for (left = 0, j = batch; j != NULL; j = j->next)
			left += !j->final;
		if (left == 0)
			return;
		/* busy from another process: back off; a blamed job's restart needs none */
		if (e.err == PECHAT_E_BUSY)
			db_backoff(attempt + 1);
	}
	if (err != PECHAT_OK) {
		log_warn("store busy after %d attempts (group commit)", WRITER_ATTEMPTS);
		pechat_fail(&e, PECHAT_E_BUSY, "store_busy", "the store is busy, retry later");
		w_fail_rest(batch, PECHAT_E_BUSY, &e);
		return;
	}
	for (j = batch; j != NULL; j = j->next)
		if (!j->final)
			j->err = PECHAT_OK;
}

/*
 * Between two batches, on the writer's connection: a RESTART checkpoint
 * copies the frames committed since the checkpointer's pass began (no
 * commit can come in between) and waits, WRITER_RESTART_WAIT_MS at most,
 * for readers of the old frames to end; then the next batch's first write
 * starts the WAL over from its beginning. Returns 1 if done.
 */
static int
w_finish_checkpoint(struct db *db)
{
	int rc, nlog = -1, nckpt = -2;

	sqlite3_busy_timeout(db->conn, WRITER_RESTART_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_RESTART, &nlog, &nckpt);
	sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("store checkpoint (writer): %s", sqlite3_errmsg(db->conn));
	return rc == SQLITE_OK && nlog == nckpt;
}

/* The writer thread: takes the whole queue, runs it as one batch, wakes its callers. */
static void *
w_main(void *unused)
{
	struct wjob *batch, *j, *next;
	int n, whole;

	(void)unused;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		if (W.ckpt_finish && !W.stopping) {
			pthread_mutex_unlock(&W.mu);
			whole = w_finish_checkpoint(W.db);
			pthread_mutex_lock(&W.mu);
			W.whole += whole;
			W.ckpt_finish = 0;      /* the checkpointer waits for this before its next pass */
			pthread_cond_signal(&W.ckpt_cv);
		}
		while (W.head == NULL && !W.stopping && !W.ckpt_finish)
			pthread_cond_wait(&W.cv, &W.mu);
		if (W.head == NULL && W.stopping)
			break;
		if (W.head == NULL)
			continue;       /* a checkpoint to finish */
		batch = W.head;
		W.head = W.tail = NULL;
		n = W.pending;
		W.pending = 0;
		pthread_mutex_unlock(&W.mu);
		w_run_batch(W.db, batch);
		pthread_mutex_lock(&W.mu);
		W.batches++;
		W.jobs += n;
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			j->done = 1;
			pthread_cond_signal(&j->cv);
		}
	}
	pthread_mutex_unlock(&W.mu);
	return NULL;
}

/* sqlite3_wal_hook of the writer's connection: a WAL of CHECKPOINT_FRAMES wakes the checkpointer. */
static int
w_wal_hook(void *unused, sqlite3 *conn, const char *schema, int frames)
{
	(void)unused;
	(void)conn;
	(void)schema;
	if (frames >= CHECKPOINT_FRAMES) {
		pthread_mutex_lock(&W.mu);
		W.ckpt_wanted = 1;
		pthread_cond_signal(&W.ckpt_cv);
		pthread_mutex_unlock(&W.mu);
	}
	return SQLITE_OK;
}

/*
 * The checkpointer thread: a PASSIVE checkpoint each time the writer asks
 * for one. The writer goes on committing meanwhile, so its next transaction
 * is open when the pass ends, and SQLite starts the WAL over only in a
 * write transaction begun after the whole WAL was copied: under load it
 * would grow for as long as the load lasts (~100 MB in a 6,000-certificate
 * burst). So after each pass (SQLite has synced the database pages it
 * copied) it asks the writer to finish the checkpoint between two batches
 * (w_finish_checkpoint), and starts no pass before that is done.
 */
static void *
ckpt_main(void *unused)
{
	int rc, nlog, nckpt;

	(void)unused;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		while ((!W.ckpt_wanted || W.ckpt_finish) && !W.stopping)
			pthread_cond_wait(&W.ckpt_cv, &W.mu);
		if (W.stopping)
			break;
		W.ckpt_wanted = 0;
		pthread_mutex_unlock(&W.mu);
		/* its connection opened on first use: an idle daemon pays nothing for it */
		if (W.ckpt_db == NULL && db_open(W.path, 0, &W.ckpt_db, NULL) != PECHAT_OK)
			log_warn("store checkpoint: cannot open the store");
		nlog = nckpt = 0;
		rc = W.ckpt_db == NULL ? SQLITE_ERROR :
		    sqlite3_wal_checkpoint_v2(W.ckpt_db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && W.ckpt_db != NULL)
			log_warn("store checkpoint: %s", sqlite3_errmsg(W.ckpt_db->conn));
		pthread_mutex_lock(&W.mu);
		W.checkpoints += rc == SQLITE_OK;
		if (rc == SQLITE_OK && nlog > 0) {
			W.ckpt_finish = 1;
			pthread_cond_signal(&W.cv);
		}
	}
	pthread_mutex_unlock(&W.mu);
	return NULL;
}

/* The writer's connection on path: no checkpoint of its own, journals in memory, its WAL hook set (*wdb owned). */
static enum pechat_err
w_open(const char *path, struct db **wdb, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = db_open(path, 0, wdb, e)) != PECHAT_OK)
		return err;
	if ((err = db_exec(*wdb, "PRAGMA wal_autocheckpoint = 0", e)) != PECHAT_OK ||
	    (err = db_exec(*wdb, "PRAGMA cache_size = -" WRITER_CACHE_KIB, e)) != PECHAT_OK ||
	    (err = db_exec(*wdb, WRITER_TEMP_STORE, e)) != PECHAT_OK) {
		db_close(*wdb);
		*wdb = NULL;
		return err;
	}
	sqlite3_wal_hook((*wdb)->conn, w_wal_hook, NULL);
	return PECHAT_OK;
}

/* See db.h. */
enum pechat_err
db_writer_start(const char *path, struct pechat_error *e)
{
	struct db *db = NULL;
	enum pechat_err err;

	if (strcmp(path, ":memory:") == 0 || strlen(path) >= sizeof(W.path))
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "no group commit for this store");
	if ((err = w_open(path, &db, e)) != PECHAT_OK)
		return err;
	pthread_mutex_lock(&W.mu);
	if (W.running) {
		/* the running writer's state is left as it is */
		pthread_mutex_unlock(&W.mu);
		db_close(db);
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "the store writer runs already");
	}
	W.db = db;
	W.ckpt_db = NULL;
	W.stopping = W.ckpt_wanted = W.ckpt_finish = 0;
	W.batches = W.jobs = W.checkpoints = W.whole = 0;
	pechat_strlcpy(W.path, path, sizeof(W.path));
	if (pthread_create(&W.th, NULL, w_main, NULL) != 0) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "cannot start the store writer");
		goto fail;
	}
	if (pthread_create(&W.ckpt_th, NULL, ckpt_main, NULL) != 0) {
		W.stopping = 1;
		pthread_cond_signal(&W.cv);
		pthread_mutex_unlock(&W.mu);
		pthread_join(W.th, NULL);
		pthread_mutex_lock(&W.mu);
		err = pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "cannot start the store checkpointer");
		goto fail;
	}
	W.running = 1;
	pthread_mutex_unlock(&W.mu);
	return PECHAT_OK;
fail:
	W.db = NULL;
	W.path[0] = '\0';
	pthread_mutex_unlock(&W.mu);
	db_close(db);
	return err;
}

/* See db.h. */
void
db_writer_stop(void)
{
	pthread_mutex_lock(&W.mu);
	if (!W.running) {
		pthread_mutex_unlock(&W.mu);
		return;
	}
	W.stopping = 1;
	pthread_cond_signal(&W.cv);
	pthread_cond_signal(&W.ckpt_cv);
	pthread_mutex_unlock(&W.mu);
	pthread_join(W.th, NULL);
	pthread_join(W.ckpt_th, NULL);
	pthread_mutex_lock(&W.mu);
	log_info("store writer: %lld transactions in %lld commits, %lld checkpoints (%lld finished by the writer)",
	    (long long)W.jobs, (long long)W.batches, (long long)W.checkpoints, (long long)W.whole);
	W.running = 0;
	W.path[0] = '\0';
	db_close(W.db);
	db_close(W.ckpt_db);
	W.db = W.ckpt_db = NULL;
	pthread_mutex_unlock(&W.mu);
}

/* 1 if a connection opened on path hands its transactions to the writer. */
int
db_writer_serves(const char *path)
{
	int yes;

	pthread_mutex_lock(&W.mu);
	yes = W.running && strcmp(W.path, path) == 0;
	pthread_mutex_unlock(&W.mu);
	return yes;
}

/*
 * Queues {fn, arg} and waits for its result. PECHAT_E_UNAVAILABLE with
 * *queued = 0 when the writer is not running (the caller runs it itself).
 */
enum pechat_err
db_writer_submit(db_txn_fn fn, void *arg, struct pechat_error *e, int *queued)
{
	struct wjob j;

	memset(&j, 0, sizeof(j));
	j.fn = fn;
	j.arg = arg;
	j.e = e;
	*queued = 0;
	pthread_mutex_lock(&W.mu);
	if (W.running && pthread_equal(pthread_self(), W.th)) {
		pthread_mutex_unlock(&W.mu);
		log_err("db_txn_run: nested transaction on the store writer (our bug)");
		*queued = 1;
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "internal store error");
	}
	if (!W.running || W.stopping) {
		pthread_mutex_unlock(&W.mu);
		return PECHAT_E_UNAVAILABLE;
	}
	pthread_cond_init(&j.cv, NULL);
	if (W.tail != NULL)
		W.tail->next = &j;
	else
		W.head = &j;
	W.tail = &j;
	W.pending++;
	*queued = 1;
	pthread_cond_signal(&W.cv);
	while (!j.done)
		pthread_cond_wait(&j.cv, &W.mu);
	pthread_mutex_unlock(&W.mu);
	pthread_cond_destroy(&j.cv);
	return j.err;
}

/* See db.h. */
void
db_writer_stats(int *pending, int64_t *batches, int64_t *jobs)
{
	pthread_mutex_lock(&W.mu);
	if (pending != NULL)
		*pending = W.pending;
	if (batches != NULL)
		*batches = W.batches;
	if (jobs != NULL)
		*jobs = W.jobs;
	pthread_mutex_unlock(&W.mu);
}

/* See db.h. */
int64_t
db_writer_checkpoints(void)
{
	int64_t n;

	pthread_mutex_lock(&W.mu);
	n = W.checkpoints;
	pthread_mutex_unlock(&W.mu);
	return n;
}
