/*
 * ra/queue.c — approved requests waiting for their issuer's key: an officer
 * approved them while the key's token was out (503 key_unavailable, the
 * request stays approved with the reason recorded). A worker thread issues
 * them when the token returns (woken by the hsm/ presence watcher through
 * pechatd), at start (approved requests left by an earlier run) and every
 * RA_QUEUE_INTERVAL_S as a fallback. Each is issued once: through
 * ra_request_issue_queued, under the approval's claim.
 */
#include "ra/ra_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_PAGE 100

struct ra_queue {
	struct ra_ca rc;        /* a copy of what ra_queue_start was given */
	char store_path[512];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	int wake;       /* a pass asked for */
};

/* See ra.h. */
int
ra_queue_run(const struct ra_ca *rc, struct db *db)
{
	static const struct ra_actor actor = { "pechatd:queue", "system", "" };
	struct db_request_filter f;
	struct pechat_error e;
	char ids[QUEUE_PAGE + 1][40], after[40] = "";
	int n, i, issued, count = 0;

	memset(&f, 0, sizeof(f));
	f.state = "approved";
	f.limit = QUEUE_PAGE;
	for (;;) {
		f.after_id = after[0] != '\0' ? after : NULL;
		pechat_error_clear(&e);
		if (db_request_list(db, &f, ids, &n, &e) != PECHAT_OK) {
			log_warn("queue: approved requests not listed: %s", e.detail);
			break;
		}
		for (i = 0; i < n && i < QUEUE_PAGE; i++) {
			pechat_error_clear(&e);
			if (ra_request_issue_queued(rc, db, &actor, ids[i], &issued, &e) != PECHAT_OK)
				log_warn("queue: request %s not issued yet: %s (%s)", ids[i], e.detail, e.code);
			count += issued;
		}
		if (n <= QUEUE_PAGE)
			break;
		pechat_strlcpy(after, ids[QUEUE_PAGE - 1], sizeof(after));
	}
	return count;
}

/* Waits until woken, stopped or RA_QUEUE_INTERVAL_S passed (lock held). 1 to stop. */
static int
queue_wait(struct ra_queue *q)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += RA_QUEUE_INTERVAL_S;
	while (!q->stop && !q->wake && pthread_cond_timedwait(&q->cond, &q->lock, &ts) != ETIMEDOUT)
		;
	q->wake = 0;
	return q->stop;
}

static void *
queue_main(void *arg)
{
	struct ra_queue *q = arg;
	struct pechat_error e;
	struct db *db = NULL;
	int n;

	pthread_mutex_lock(&q->lock);
	do {
		pthread_mutex_unlock(&q->lock);
		/* a connection per run, not for the daemon's life: ~200 KB of schema while idle */
		pechat_error_clear(&e);
		if (db_open(q->store_path, 0, &db, &e) != PECHAT_OK)
			log_err("queue: cannot open the store: %s", e.detail);
		else if ((n = ra_queue_run(&q->rc, db)) > 0)
			log_info("queue: %d approved request(s) issued", n);
		db_close(db);
		db = NULL;
		pthread_mutex_lock(&q->lock);
	} while (!queue_wait(q));
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

enum pechat_err
ra_queue_start(const struct ra_ca *rc, const char *store_path, struct ra_queue **out, struct pechat_error *e)
{
	struct ra_queue *q;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	q->rc = *rc;
	pechat_strlcpy(q->store_path, store_path, sizeof(q->store_path));
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pthread_create(&q->thread, NULL, queue_main, q) != 0) {
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
		free(q);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the request queue");
	}
	*out = q;
	return PECHAT_OK;
}

void
ra_queue_wake(struct ra_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->wake = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void
ra_queue_stop(struct ra_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}
