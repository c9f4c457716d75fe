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
 * bounded backoff. Without a writer (the CLI, unit tests) db_txn_run runs
 * the transaction on the caller's connection as before (db/db.c).
 */
#include "db/db_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITER_ATTEMPTS 8
#define WRITER_PATH_MAX 4096

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
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Runs job j inside its own savepoint; returns 1 if the whole transaction is gone. */
static int
w_run_job(struct db *db, struct wjob *j)
{
	pechat_error_clear(j->e);
	if ((j->err = db_exec(db, "SAVEPOINT pechat_job", j->e)) != PECHAT_OK)
		return sqlite3_get_autocommit(db->conn);
	db->in_txn = 1;
	j->err = j->fn(db, j->arg, j->e);
	db->in_txn = 0;
	if (sqlite3_get_autocommit(db->conn))
		return 1;       /* SQLite rolled the transaction back (IOERR, FULL...) */
	if (j->err == PECHAT_OK)
		return db_exec(db, "RELEASE pechat_job", NULL) != PECHAT_OK;
	if (db_exec(db, "ROLLBACK TO pechat_job", NULL) != PECHAT_OK ||
	    db_exec(db, "RELEASE pechat_job", NULL) != PECHAT_OK)
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

	if ((err = db_exec(db, "BEGIN IMMEDIATE", e)) != PECHAT_OK)
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
	if ((err = db_exec(db, "COMMIT", e)) == PECHAT_OK)
		return PECHAT_OK;
rollback:
	if (!sqlite3_get_autocommit(db->conn))
		db_exec(db, "ROLLBACK", NULL);
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

/* The writer thread: takes the whole queue, runs it as one batch, wakes its callers. */
static void *
w_main(void *unused)
{
	struct wjob *batch, *j, *next;
	int n;

	(void)unused;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		while (W.head == NULL && !W.stopping)
			pthread_cond_wait(&W.cv, &W.mu);
		if (W.head == NULL)
			break;
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

/* See db.h. */
enum pechat_err
db_writer_start(const char *path, struct pechat_error *e)
{
	struct db *db = NULL;
	enum pechat_err err;

	if (strcmp(path, ":memory:") == 0 || strlen(path) >= sizeof(W.path))
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "no group commit for this store");
	if ((err = db_open(path, 0, &db, e)) != PECHAT_OK)
		return err;
	pthread_mutex_lock(&W.mu);
	if (W.running) {
		pthread_mutex_unlock(&W.mu);
		db_close(db);
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "the store writer runs already");
	}
	W.db = db;
	W.stopping = 0;
	W.batches = W.jobs = 0;
	pechat_strlcpy(W.path, path, sizeof(W.path));
	if (pthread_create(&W.th, NULL, w_main, NULL) != 0) {
		W.db = NULL;
		W.path[0] = '\0';
		pthread_mutex_unlock(&W.mu);
		db_close(db);
		return pechat_fail(e, PECHAT_E_INTERNAL, "store_error", "cannot start the store writer");
	}
	W.running = 1;
	pthread_mutex_unlock(&W.mu);
	return PECHAT_OK;
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
	pthread_mutex_unlock(&W.mu);
	pthread_join(W.th, NULL);
	pthread_mutex_lock(&W.mu);
	log_info("store writer: %lld transactions in %lld commits", (long long)W.jobs, (long long)W.batches);
	W.running = 0;
	W.path[0] = '\0';
	db_close(W.db);
	W.db = NULL;
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
