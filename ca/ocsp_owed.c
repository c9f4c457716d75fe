/*
 * ca/ocsp_owed.c — OCSP answers owed, not signed, on the request path.
 *
 * A status change (issuance, revocation) drops the serial's answers from
 * the table at once (ca_publisher_status_changed) and records the serial
 * here as owed: a bounded set (hash of (issuer, serial) + a FIFO). The
 * re-signer thread, at a lower CPU priority than the request threads, takes
 * owed serials by batches, signs their pre-signed (and kept) answers from
 * the store's current status, puts them in the table, writes their
 * ocsp_cache rows in one transaction per batch and clears the mark. An OCSP
 * request that misses on an owed serial signs it on demand, outside the
 * slow path's rate limit (each owed serial once: signed, cached, unmarked).
 *
 * Never an older status left behind: every mark carries a generation,
 * bumped by each status change; a signer clears the mark only when the
 * generation is still the one it started from (else the serial stays owed
 * and is signed again), and presign_serial itself re-checks the serial's
 * last event after its put. Over owed_cap serials, the caller signs in
 * place as before (owed_add returns 0). docs/REVOCATION.md ("Owed answers").
 */
#include "ca/publish_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define OWED_BUCKETS 4096

/* One owed serial. */
struct owed {
	struct owed *hnext;             /* its hash chain */
	struct owed *prev, *next;       /* the FIFO the re-signer takes from */
	int idx;
	uint32_t hash;
	uint64_t gen;                   /* bumped by each status change of the serial */
	int busy;                       /* in a re-signer batch */
	time_t not_after;               /* a hint for presign_serial (0: read from the store) */
	size_t n_kept;                  /* kept CertIDs to re-sign (dropped with the serial's answers) */
	uint16_t kept_len[OCSP_KEPT_RESIGN_MAX];
	unsigned char *kept;            /* n_kept * OCSP_KEY_MAX octets, malloc'd; NULL: none */
	char serial[65];
};

/* A signer's copy of what it signs (no pointer into the set kept while unlocked). */
struct owed_job {
	int idx;
	uint64_t gen;
	time_t not_after;
	size_t n_kept;
	uint16_t kept_len[OCSP_KEPT_RESIGN_MAX];
	unsigned char kept[OCSP_KEPT_RESIGN_MAX][OCSP_KEY_MAX];
	char serial[65];
};

_Thread_local uint64_t ocsp_signed_here;
void (*owed_test_hook)(struct ca_publisher *pub, int idx, const char *serial, int stage);

/* FNV-1a of (issuer index, serial). */
static uint32_t
owed_hash(int idx, const char *serial)
{
	uint32_t h = 2166136261u ^ (uint32_t)idx;

	while (*serial != '\0') {
		h ^= (unsigned char)*serial++;
		h *= 16777619u;
	}
	return h;
}

/* The owed mark of (idx, serial), or NULL. Caller holds owed_lock. */
static struct owed *
owed_find(struct ca_publisher *pub, int idx, const char *serial, uint32_t h)
{
	struct owed *o;

	for (o = pub->owed_buckets[h % OWED_BUCKETS]; o != NULL; o = o->hnext)
		if (o->hash == h && o->idx == idx && strcmp(o->serial, serial) == 0)
			return o;
	return NULL;
}

/* Unlinks o from the FIFO. Caller holds owed_lock. */
static void
fifo_unlink(struct ca_publisher *pub, struct owed *o)
{
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		pub->owed_head = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	else
		pub->owed_tail = o->prev;
	o->prev = o->next = NULL;
}

/* Appends o to the FIFO. Caller holds owed_lock. */
static void
fifo_append(struct ca_publisher *pub, struct owed *o)
{
	o->prev = pub->owed_tail;
	o->next = NULL;
	if (pub->owed_tail != NULL)
		pub->owed_tail->next = o;
	else
		pub->owed_head = o;
	pub->owed_tail = o;
}

/* Removes o from the set and frees it. Caller holds owed_lock. */
static void
owed_remove(struct ca_publisher *pub, struct owed *o)
{
	struct owed **pp = &pub->owed_buckets[o->hash % OWED_BUCKETS];

	while (*pp != o)
		pp = &(*pp)->hnext;
	*pp = o->hnext;
	fifo_unlink(pub, o);
	atomic_fetch_sub(&pub->owed_n, 1);
	free(o->kept);
	free(o);
}

/* Adds the kept CertIDs not yet in o (at most OCSP_KEPT_RESIGN_MAX). 0, or -1 out of memory. */
static int
owed_merge_kept(struct owed *o, unsigned char keys[][OCSP_KEY_MAX], const size_t *lens, size_t n)
{
	size_t i, j;

	if (n > 0 && o->kept == NULL && (o->kept = malloc((size_t)OCSP_KEPT_RESIGN_MAX * OCSP_KEY_MAX)) == NULL)
		return -1;
	for (i = 0; i < n && o->n_kept < OCSP_KEPT_RESIGN_MAX; i++) {
		for (j = 0; j < o->n_kept; j++)
			if (o->kept_len[j] == lens[i] && memcmp(o->kept + j * OCSP_KEY_MAX, keys[i], lens[i]) == 0)
				break;
		if (j < o->n_kept)
			continue;
		memcpy(o->kept + o->n_kept * OCSP_KEY_MAX, keys[i], lens[i]);
		o->kept_len[o->n_kept++] = (uint16_t)lens[i];
	}
	return 0;
}

/* See publish_int.h. */
int
owed_add(struct ca_publisher *pub, int idx, const char *serial, time_t not_after,
    unsigned char keys[][OCSP_KEY_MAX], const size_t *lens, size_t n)
{
	uint32_t h = owed_hash(idx, serial);
	struct owed *o;
	int ok = 0;

	if (pub->owed_buckets == NULL || strlen(serial) >= sizeof(o->serial))
		return 0;
	pthread_mutex_lock(&pub->owed_lock);
	if ((o = owed_find(pub, idx, serial, h)) != NULL) {
		/* owed already: a newer generation; what was kept stays owed with it */
		if (owed_merge_kept(o, keys, lens, n) != 0)
			goto out;
		o->gen++;
		if (not_after != 0)
			o->not_after = not_after;
		ok = 1;
		goto out;
	}
	if (atomic_load(&pub->owed_n) >= pub->owed_cap || (o = calloc(1, sizeof(*o))) == NULL)
		goto out;
	if (owed_merge_kept(o, keys, lens, n) != 0) {
		free(o);
		goto out;
	}
	o->idx = idx;
	o->hash = h;
	o->gen = 1;
	o->not_after = not_after;
	pechat_strlcpy(o->serial, serial, sizeof(o->serial));
	o->hnext = pub->owed_buckets[h % OWED_BUCKETS];
	pub->owed_buckets[h % OWED_BUCKETS] = o;
	fifo_append(pub, o);
	atomic_fetch_add(&pub->owed_n, 1);
	ok = 1;
	pthread_cond_signal(&pub->owed_cond);
out:
	pthread_mutex_unlock(&pub->owed_lock);
	if (ok)
		atomic_fetch_add(&pub->owed_total, 1);
	return ok;
}

/* Copies o into job. Caller holds owed_lock. */
static void
job_of(const struct owed *o, struct owed_job *job)
{
	size_t i;

	job->idx = o->idx;
	job->gen = o->gen;
	job->not_after = o->not_after;
	job->n_kept = o->n_kept;
	for (i = 0; i < o->n_kept; i++) {
		job->kept_len[i] = o->kept_len[i];
		memcpy(job->kept[i], o->kept + i * OCSP_KEY_MAX, o->kept_len[i]);
	}
	pechat_strlcpy(job->serial, o->serial, sizeof(job->serial));
}

/*
 * Signs what job owes (pre-signed answers, then the kept ones) from the
 * current status, then clears the mark unless a status change came
 * meanwhile (its generation moved: the serial stays owed, signed again).
 * A failure (no responder, the issuer revoked or held) clears it too: the
 * serial is left to the slow path, as a failed signature was before.
 */
static void
owed_sign_job(struct ca_publisher *pub, struct db *db, const struct owed_job *job, int background)
{
	struct pechat_error e;
	struct owed *o;
	size_t i;

	pechat_error_clear(&e);
	if (background && owed_test_hook != NULL)
		owed_test_hook(pub, job->idx, job->serial, 0);
	if (presign_serial(pub, db, job->idx, job->serial, job->not_after, &e) != PECHAT_OK)
		log_warn("ocsp: owed answers of %s/%s not signed: %s", pub->issuers[job->idx].name, job->serial,
		    e.detail);
	for (i = 0; i < job->n_kept; i++) {
		pechat_error_clear(&e);
		if (kept_resign(pub, db, job->idx, job->serial, job->kept[i], job->kept_len[i], &e) != PECHAT_OK)
			log_warn("ocsp: a kept answer of %s/%s not re-signed: %s", pub->issuers[job->idx].name,
			    job->serial, e.detail);
	}
	if (background && owed_test_hook != NULL)
		owed_test_hook(pub, job->idx, job->serial, 1);
	pthread_mutex_lock(&pub->owed_lock);
	o = owed_find(pub, job->idx, job->serial, owed_hash(job->idx, job->serial));
	if (o != NULL && o->gen == job->gen)
		owed_remove(pub, o);
	else if (o != NULL && background && o->busy) {
		o->busy = 0;            /* changed again while signed: back in the queue */
		fifo_unlink(pub, o);
		fifo_append(pub, o);
		pthread_cond_signal(&pub->owed_cond);
	}
	pthread_mutex_unlock(&pub->owed_lock);
}

/* See publish_int.h. */
int
owed_sign_now(struct ca_publisher *pub, struct db *db, int idx, const char *serial)
{
	struct owed_job *job;
	struct owed *o;

	if (atomic_load(&pub->owed_n) == 0)
		return 0;
	if ((job = malloc(sizeof(*job))) == NULL)
		return 0;
	pthread_mutex_lock(&pub->owed_lock);
	o = owed_find(pub, idx, serial, owed_hash(idx, serial));
	if (o != NULL)
		job_of(o, job);
	pthread_mutex_unlock(&pub->owed_lock);
	if (o != NULL) {
		owed_sign_job(pub, db, job, 0);
		atomic_fetch_add(&pub->owed_on_demand, 1);
	}
	free(job);
	return o != NULL;
}

/* Takes up to max owed serials not in a batch yet into jobs (marked busy); how many. */
static size_t
owed_take(struct ca_publisher *pub, struct owed_job *jobs, size_t max)
{
	struct owed *o;
	size_t n = 0;

	for (o = pub->owed_head; o != NULL && n < max; o = o->next)
		if (!o->busy) {
			o->busy = 1;
			job_of(o, &jobs[n++]);
		}
	return n;
}

/* 1 when an owed serial waits that no batch has taken. Caller holds owed_lock. */
static int
owed_waiting(struct ca_publisher *pub)
{
	struct owed *o;

	for (o = pub->owed_head; o != NULL; o = o->next)
		if (!o->busy)
			return 1;
	return 0;
}

/* The re-signer: batches of owed serials signed, their rows stored in one transaction each. */
static void *
owed_main(void *arg)
{
	struct ca_publisher *pub = arg;
	struct owed_job *jobs = NULL;
	struct pechat_error e;
	struct db *db = NULL;
	size_t n, i;

	/* below the request threads: a burst of requests is not slowed by the re-signing */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), OWED_NICE) != 0)
		log_warn("ocsp: re-signer priority not lowered");
	pechat_error_clear(&e);
	pthread_mutex_lock(&pub->owed_lock);
	while (!pub->owed_stop) {
		if (!owed_waiting(pub)) {
			pthread_cond_wait(&pub->owed_cond, &pub->owed_lock);
			continue;
		}
		/* its batch (~140 KB) allocated on first use: an idle daemon pays nothing for it */
		if (jobs == NULL && (jobs = malloc(OWED_BATCH * sizeof(*jobs))) == NULL) {
			pthread_mutex_unlock(&pub->owed_lock);
			log_err("ocsp: re-signer out of memory (tried again in 1 s)");
			nanosleep(&(struct timespec){ 1, 0 }, NULL);
			pthread_mutex_lock(&pub->owed_lock);
			continue;
		}
		n = owed_take(pub, jobs, OWED_BATCH);
		pthread_mutex_unlock(&pub->owed_lock);
		/* its store connection opened on first use too */
		i = 0;
		if (db == NULL && db_open(pub->conf.store_path, 0, &db, &e) != PECHAT_OK) {
			log_err("ocsp: re-signer cannot open the store (tried again in 1 s): %s", e.detail);
			nanosleep(&(struct timespec){ 1, 0 }, NULL);
		} else {
			for (; i < n && !atomic_load(&pub->owed_stop_flag); i++) {
				owed_sign_job(pub, db, &jobs[i], 1);
				atomic_fetch_add(&pub->owed_resigned, 1);
			}
			store_flush(pub, db);   /* the batch's ocsp_cache rows: one writer job */
		}
		pthread_mutex_lock(&pub->owed_lock);
		for (; i < n; i++) {    /* left by a stop or a store not opened: not signed, owed still */
			struct owed *o = owed_find(pub, jobs[i].idx, jobs[i].serial,
			    owed_hash(jobs[i].idx, jobs[i].serial));
			if (o != NULL)
				o->busy = 0;
		}
	}
	pthread_mutex_unlock(&pub->owed_lock);
	free(jobs);
	db_close(db);
	return NULL;
}

/* See publish_int.h. */
enum pechat_err
owed_start(struct ca_publisher *pub, struct pechat_error *e)
{
	pthread_mutex_init(&pub->owed_lock, NULL);
	pthread_cond_init(&pub->owed_cond, NULL);
	pub->owed_init = 1;
	if (pub->owed_cap == 0)
		pub->owed_cap = OWED_MAX;
	if ((pub->owed_buckets = calloc(OWED_BUCKETS, sizeof(*pub->owed_buckets))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	if (pthread_create(&pub->owed_thread, NULL, owed_main, pub) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the OCSP re-signer thread");
	pub->owed_started = 1;
	return PECHAT_OK;
}

/* See publish_int.h. */
void
owed_stop(struct ca_publisher *pub)
{
	if (!pub->owed_init)
		return;
	if (pub->owed_started) {
		pthread_mutex_lock(&pub->owed_lock);
		pub->owed_stop = 1;
		atomic_store(&pub->owed_stop_flag, 1);
		pthread_cond_signal(&pub->owed_cond);
		pthread_mutex_unlock(&pub->owed_lock);
		pthread_join(pub->owed_thread, NULL);
		pub->owed_started = 0;
	}
	/* what is still owed is signed again by the next start's warm-up (its rows were dropped) */
	while (pub->owed_head != NULL)
		owed_remove(pub, pub->owed_head);
	free(pub->owed_buckets);
	pub->owed_buckets = NULL;
	pthread_mutex_destroy(&pub->owed_lock);
	pthread_cond_destroy(&pub->owed_cond);
	pub->owed_init = 0;
}

/* See publish_int.h. */
int
ca_publisher_owed_wait(struct ca_publisher *pub, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	struct timespec pause = { 0, 2000000L };

	while (atomic_load(&pub->owed_n) > 0) {
		if (now_ms() >= end)
			return 0;
		nanosleep(&pause, NULL);
	}
	return 1;
}
