/*
 * ca/ocsp_warm.c — the OCSP answers of a store, brought into memory after
 * pechatd is ready (docs/REVOCATION.md, "Warm-up"): a thread loads the
 * stored answers (ocsp_cache) and pre-signs those missing, while the
 * listeners already serve. A request whose answer is not in memory yet is
 * answered from its stored row when there is a fresh one (a read, no
 * signature), else by the slow path (its token bucket). Also here: the
 * queue of ocsp_cache rows, written in batches (one transaction each), so
 * that pre-signing never waits for an fsync.
 *
 * Never a wrong status: a status change drops the serial's stored rows in
 * its own transaction and its answers in memory before it returns, then
 * signs the new ones; an answer of an older status event never replaces a
 * newer one in memory (cache_put), and a queued row is written only while
 * its serial's last event is still the one it was signed from.
 */
#include "ca/publish_int.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

atomic_int warm_test_hold;

/* ------------------------------------------------------------ the row queue */

/* See publish_int.h. */
void
store_queue(struct ca_publisher *pub, const char *serial, struct ocsp_entry *const *entries, size_t n)
{
	struct store_row *r, **grown;
	size_t i;
	int first = 0;

	for (i = 0; i < n; i++) {
		if ((r = malloc(sizeof(*r) + entries[i]->len)) == NULL) {
			atomic_fetch_add(&pub->wq_dropped, 1);
			continue;
		}
		r->idx = entries[i]->issuer_idx;
		pechat_strlcpy(r->serial, serial, sizeof(r->serial));
		pechat_strlcpy(r->md, entry_md(entries[i]), sizeof(r->md));
		r->next_update = entries[i]->next_update;
		r->event_id = entries[i]->event_id;
		r->len = entries[i]->len;
		entry_copy_der(entries[i], r->der);
		pthread_mutex_lock(&pub->wq_lock);
		if (pub->wq_n == pub->wq_cap && pub->wq_cap < STORE_QUEUE_MAX &&
		    (grown = realloc(pub->wq, (pub->wq_cap ? pub->wq_cap * 2 : 256) * sizeof(*grown))) != NULL) {
			pub->wq = grown;
			pub->wq_cap = pub->wq_cap ? pub->wq_cap * 2 : 256;
		}
		if (pub->wq_n < pub->wq_cap) {
			first |= pub->wq_n == 0;
			pub->wq[pub->wq_n++] = r;
			r = NULL;
		}
		pthread_mutex_unlock(&pub->wq_lock);
		if (r != NULL) {
			atomic_fetch_add(&pub->wq_dropped, 1);
			free(r);
		}
	}
	if (!first)
		return;
	/* the publisher thread writes them within STORE_DELAY_MS (or the warm-up, by batches) */
	pthread_mutex_lock(&pub->lock);
	if (pub->wq_deadline_ms == 0)
		pub->wq_deadline_ms = now_ms() + STORE_DELAY_MS;
	pthread_cond_signal(&pub->cond);
	pthread_mutex_unlock(&pub->lock);
}

struct flush_arg {
	struct ca_publisher *pub;
	struct store_row **rows;
	size_t n;
	size_t stored;
};

/*
 * Transaction: the rows whose serial's last status event is still theirs.
 * A serial's rows are queued one after the other (presign_serial; another
 * thread's rows may come between): its last event is read once for each
 * run of its rows, the transaction seeing no change in between.
 */
static enum pechat_err
flush_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct flush_arg *a = arg;
	struct db_revocation ev;
	struct store_row *r;
	const char *read_for = NULL;    /* the serial whose last event ev.id holds */
	enum pechat_err err;
	size_t i;

	a->stored = 0;
	ev.id = 0;
	for (i = 0; i < a->n; i++) {
		r = a->rows[i];
		/* inside the transaction: a status change that committed since the signature wins */
		if (read_for == NULL || strcmp(read_for, r->serial) != 0) {
			err = db_revocation_last(db, r->serial, -1, &ev, e);
			if (err == PECHAT_E_NOT_FOUND) {
				pechat_error_clear(e);
				ev.id = 0;
			} else if (err != PECHAT_OK)
				return err;
			read_for = r->serial;
		}
		if (ev.id != r->event_id)
			continue;
		if ((err = db_ocsp_cache_put(db, a->pub->issuers[r->idx].name, r->serial, r->md, r->next_update,
		    r->der, r->len, e)) != PECHAT_OK)
			return err;
		a->stored++;
	}
	return PECHAT_OK;
}

/* See publish_int.h. A failed write is logged; memory still serves, the next start re-signs. */
void
store_flush(struct ca_publisher *pub, struct db *db)
{
	struct flush_arg a;
	struct pechat_error e;
	size_t i;

	pthread_mutex_lock(&pub->flush_lock);
	pthread_mutex_lock(&pub->lock);
	pub->wq_deadline_ms = 0;
	pthread_mutex_unlock(&pub->lock);
	pthread_mutex_lock(&pub->wq_lock);
	a.pub = pub;
	a.rows = pub->wq;
	a.n = pub->wq_n;
	pub->wq = NULL;
	pub->wq_n = pub->wq_cap = 0;
	pthread_mutex_unlock(&pub->wq_lock);
	if (a.n == 0) {
		pthread_mutex_unlock(&pub->flush_lock);
		free(a.rows);
		return;
	}
	pechat_error_clear(&e);
	if (db_txn_run(db, flush_txn, &a, &e) != PECHAT_OK) {
		log_warn("ocsp: %zu answer(s) signed but not stored: %s", a.n, e.detail);
		atomic_fetch_add(&pub->wq_dropped, a.n);
	} else
		atomic_fetch_add(&pub->wq_stored, a.stored);
	pthread_mutex_unlock(&pub->flush_lock);
	for (i = 0; i < a.n; i++)
		free(a.rows[i]);
	free(a.rows);
}

/* ------------------------------------------------------------ stored answers */

/* See publish_int.h. */
int
stored_answer(struct ca_publisher *pub, struct db *db, OCSP_CERTID *id, struct ca_ocsp_reply *out)
{
	struct ca_ocsp_certid_info info;
	struct pechat_error e;
	struct ocsp_entry *en = NULL;
	unsigned char *der = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	time_t next = 0, next2 = 0, now = pechat_clock_now(pub->ca->clock);
	const char *md;
	int idx, served = 0;

	pechat_error_clear(&e);
	if (ca_ocsp_certid_match(pub->ids, id, &info, &e) != PECHAT_OK || !info.issuer_found ||
	    info.serial[0] == '\0' || pub_issuer_find(pub, info.issuer, &idx) == NULL ||
	    (md = certid_md_name(id)) == NULL || !is_presigned_md(&pub->issuers[idx], md) ||
	    ca_issuer_check_cert_standing(pub->ca, info.issuer, NULL) != PECHAT_OK)
		return 0;
	if (db_ocsp_cache_get(db, info.issuer, info.serial, md, &next, &der, &len, &e) != PECHAT_OK ||
	    next <= now)
		goto out;
	en = entry_new(pub, idx, id, md, der, len, next - pub->conf.ocsp_validity_s, next, NULL);
	/* only to the very CertID pre-signing makes (the stored answer echoes that one) */
	if (en == NULL || !is_presign_key(pub, idx, info.serial, md, en) || (out->der = malloc(len)) == NULL)
		goto out;
	memcpy(out->der, der, len);
	out->len = len;
	out->cacheable = 1;
	out->this_update = en->this_update;
	out->next_update = next;
	out->fingerprint = en->fingerprint;
	cache_put(pub, en);
	en = NULL;
	/* a status change committed since the read dropped the row: its answer is not ours to give */
	pechat_error_clear(&e);
	if (db_ocsp_cache_get(db, info.issuer, info.serial, md, &next2, &again, &len2, &e) != PECHAT_OK ||
	    len2 != len || memcmp(again, der, len) != 0) {
		cache_drop_serial(pub, idx, info.serial);
		free(out->der);
		memset(out, 0, sizeof(*out));
		goto out;
	}
	atomic_fetch_add(&pub->stored_hits, 1);
	served = 1;
out:
	entry_free(en);
	free(der);
	free(again);
	return served;
}

/* ------------------------------------------------------------ the warm-up thread */

struct warm_arg {
	struct ca_publisher *pub;
	struct db *db;
	int share;                      /* this thread pre-signs the serials whose hash % warm_n is share */
	int idx;
	size_t loaded, signed_n;
	enum pechat_err err;
	struct pechat_error *e;
};

/* Loads one stored answer into memory (CertID rebuilt from issuer, serial, digest). 1: stop. */
static int
load_cached(void *arg, const char *issuer, const char *serial, const char *md, time_t next_update,
    const unsigned char *der, size_t len)
{
	struct warm_arg *a = arg;
	struct ocsp_entry *en;
	OCSP_CERTID *id = NULL;
	const EVP_MD *m = EVP_get_digestbyname(md);
	int idx;

	if (atomic_load(&a->pub->warm_stop))
		return 1;
	/* only the issuer's pre-signed digests (a GOST issuer's stored SHA-256 answers of older versions are not) */
	if (m == NULL || pub_issuer_find(a->pub, issuer, &idx) == NULL ||
	    !is_presigned_md(&a->pub->issuers[idx], md) ||
	    ca_ocsp_certid_new(a->pub->ca, issuer, serial, m, &id, NULL) != PECHAT_OK)
		return 0;
	/*
	 * Stored answers are dropped in the status-change transaction: what is
	 * loaded was current when read. Event 0: a status change's newer answer,
	 * already in memory, is never replaced by it.
	 */
	if ((en = entry_new(a->pub, idx, id, md, der, len, next_update - a->pub->conf.ocsp_validity_s,
	    next_update, NULL)) != NULL) {
		cache_put(a->pub, en);
		a->loaded++;
	}
	OCSP_CERTID_free(id);
	return 0;
}

/* Which warm-up thread pre-signs a serial (FNV-1a of its hex). */
static int
share_of(const char *serial, int n)
{
	uint32_t h = 2166136261u;

	while (*serial != '\0') {
		h ^= (unsigned char)*serial++;
		h *= 16777619u;
	}
	return (int)(h % (uint32_t)n);
}

/* Pre-signs a certificate's answers (this thread's share) unless in memory already. 1: stop. */
static int
presign_missing(void *arg, const char *serial, time_t not_after)
{
	struct warm_arg *a = arg;
	int have = 0;
	size_t i;

	if (atomic_load(&a->pub->warm_stop))
		return 1;
	if (share_of(serial, a->pub->warm_n) != a->share)
		return 0;
	for (i = 0; i < N_PRESIGN_MDS; i++)
		have += cache_has(a->pub, a->idx, serial, a->pub->issuers[a->idx].presign[i]);
	if (have == (int)(N_PRESIGN_MDS))
		return 0;
	if ((a->err = presign_serial(a->pub, a->db, a->idx, serial, not_after, a->e)) != PECHAT_OK)
		return 1;
	a->signed_n++;
	atomic_fetch_add(&a->pub->warm_signed, 1);
	if (a->pub->wq_n >= STORE_BATCH)        /* racy read: a hint; the flush takes the lock */
		store_flush(a->pub, a->db);
	return 0;
}

/* Stored answers loaded (the first thread; the others wait for it), then this thread's share signed. */
static enum pechat_err
warm_run(struct ca_publisher *pub, struct warm_arg *a)
{
	struct timespec pause = { 0, 5000000L };
	enum pechat_err err;
	int i;

	if (a->share == 0) {
		err = db_ocsp_cache_load(a->db, pechat_clock_now(pub->ca->clock) + pub->conf.ocsp_refresh_before_s,
		    load_cached, a, a->e);
		atomic_store(&pub->warm_loaded, a->loaded);
		atomic_store(&pub->warm_loaded_flag, 1);
		if (err != PECHAT_OK)
			return err;
	}
	while (!atomic_load(&pub->warm_loaded_flag) && !atomic_load(&pub->warm_stop))
		nanosleep(&pause, NULL);
	for (i = 0; i < pub->n_issuers && !atomic_load(&pub->warm_stop); i++) {
		a->idx = i;
		if (ca_issuer_check_cert_standing(pub->ca, pub->issuers[i].name, NULL) != PECHAT_OK)
			continue;       /* revoked or on hold: nothing is signed */
		if (ca_issuer_find(pub->ca, pub->issuers[i].name)->offline)
			continue;       /* an offline root: no key, no responder here (pechat ceremony import) */
		if ((err = db_cert_each_of_issuer(a->db, pub->issuers[i].name, pechat_clock_now(pub->ca->clock),
		    presign_missing, a, a->e)) != PECHAT_OK || (err = a->err) != PECHAT_OK)
			return err;
	}
	store_flush(pub, a->db);
	return PECHAT_OK;
}

/* CPU time used by the whole process so far, in microseconds (0 if unknown). */
static int64_t
cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The last thread out says the warm-up is done (unless one failed or a stop cut it short). */
static void
warm_finish(struct ca_publisher *pub)
{
	uint64_t loaded, n;
	int64_t t, cpu;

	if (atomic_fetch_sub(&pub->warm_left, 1) != 1 || atomic_load(&pub->warm_failed) ||
	    atomic_load(&pub->warm_stop))
		return;
	atomic_store(&pub->warm_done, 1);
	malloc_trim(0);         /* the warm-up's freed heap (signing temporaries, store reads) back to the system */
	t = now_ms() - pub->warm_t0;
	cpu = cpu_us() - pub->warm_cpu0;
	loaded = atomic_load(&pub->warm_loaded);
	n = atomic_load(&pub->warm_signed);
	log_info("ocsp: warm-up done in %lld ms: %llu answers loaded, %llu certificates pre-signed by %d thread(s) "
	    "(%.0f answers/s, %.1f us of process CPU per answer)", (long long)t, (unsigned long long)loaded,
	    (unsigned long long)n, pub->warm_n, (double)(n * N_PRESIGN_MDS) * 1000.0 / (double)(t > 0 ? t : 1),
	    n > 0 ? (double)cpu / (double)(n * N_PRESIGN_MDS) : 0.0);
}

static void *
warm_main(void *arg)
{
	struct warm_arg *a = arg;
	struct ca_publisher *pub = a->pub;
	struct pechat_error e;
	struct timespec pause = { 0, 10000000L };

	a->e = &e;
	pechat_error_clear(&e);
	while (atomic_load(&warm_test_hold) && !atomic_load(&pub->warm_stop))
		nanosleep(&pause, NULL);
	if (a->share == 0) {
		pub->warm_t0 = now_ms();
		pub->warm_cpu0 = cpu_us();
	}
	if (db_open(pub->conf.store_path, 0, &a->db, &e) != PECHAT_OK || warm_run(pub, a) != PECHAT_OK) {
		/* what is missing is answered by the slow path and stored answers; the next start tries again */
		log_err("ocsp: warm-up stopped: %s", e.detail);
		atomic_store(&pub->warm_failed, 1);
		atomic_store(&pub->warm_loaded_flag, 1);
	}
	db_close(a->db);
	a->db = NULL;
	warm_finish(pub);
	return NULL;
}

/* See publish_int.h. One thread per core (the signatures are the work), at most WARM_THREADS_MAX. */
enum pechat_err
warm_start(struct ca_publisher *pub, struct pechat_error *e)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cores < 1 ? 1 : cores > WARM_THREADS_MAX ? WARM_THREADS_MAX : (int)cores, i;

	if ((pub->warm_args = calloc((size_t)n, sizeof(*pub->warm_args))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	pub->warm_n = n;
	atomic_store(&pub->warm_left, n);
	for (i = 0; i < n; i++) {
		pub->warm_args[i].pub = pub;
		pub->warm_args[i].share = i;
		if (pthread_create(&pub->warm_threads[i], NULL, warm_main, &pub->warm_args[i]) != 0) {
			pub->warm_n = i;
			atomic_store(&pub->warm_stop, 1);
			return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the OCSP warm-up threads");
		}
	}
	return PECHAT_OK;
}

/* See publish_int.h. */
void
warm_join(struct ca_publisher *pub)
{
	int i;

	if (pub == NULL)
		return;
	atomic_store(&pub->warm_stop, 1);
	for (i = 0; i < pub->warm_n; i++)
		pthread_join(pub->warm_threads[i], NULL);
	pub->warm_n = 0;
	free(pub->warm_args);
	pub->warm_args = NULL;
}

/* See publish_int.h. */
int
ca_publisher_warm_wait(struct ca_publisher *pub, int timeout_ms)
{
	struct timespec pause = { 0, 5000000L };
	int64_t end = now_ms() + timeout_ms;

	while (!atomic_load(&pub->warm_done) && now_ms() < end)
		nanosleep(&pause, NULL);
	return atomic_load(&pub->warm_done);
}
