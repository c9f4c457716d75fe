/*
 * ca/publish.c — the publisher: what relying parties fetch, kept ready, and
 * the background thread that keeps it so. Its parts:
 *  - ca/ocsp_table.c: the sharded in-memory table of OCSP answers;
 *  - ca/ocsp_answer.c: pre-signing, the slow path and its rate limiter;
 *  - ca/ocsp_warm.c: the warm-up after start and the batched ocsp_cache writes;
 *  - ca/ocsp_owed.c: answers owed after a status change, and their re-signer thread;
 *  - ca/crl_sched.c: full and delta CRLs (RFC 5280 §5) and their schedule;
 *  - here: start-up, the thread (CRL schedule + maintenance: responder
 *    renewal, answer refresh, kept answers included), status changes (answers
 *    dropped, then owed), stop.
 *
 * Locking: each OCSP shard has a rwlock (readers copy the answer out);
 * each issuer has a rwlock around its responder (renewal swaps it), a
 * mutex around its current CRL blobs and one around its rate limiter; the
 * publisher mutex + condvar only wake the thread. No global lock is taken
 * on the OCSP hot path; the owed set's mutex (ca/ocsp_owed.c) is taken by a
 * status change and by a miss while some serial is owed, briefly.
 */
#include "ca/publish_int.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ small utils */

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_at(const struct ca_publisher *pub, time_t when)
{
	time_t now = pechat_clock_now(pub->ca->clock);

	return now_ms() + (when > now ? (int64_t)(when - now) * 1000 : 0);
}

/* See ca.h. */
uint64_t
ca_der_fingerprint(const unsigned char *der, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t fp = 0;
	int i;

	if (SHA256(der, len, md) == NULL)
		return 0;
	for (i = 0; i < 8; i++)
		fp = fp << 8 | md[i];
	return fp;
}

struct pub_issuer *
pub_issuer_find(struct ca_publisher *pub, const char *name, int *idx)
{
	int i;

	for (i = 0; i < pub->n_issuers; i++)
		if (strcmp(pub->issuers[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &pub->issuers[i];
		}
	return NULL;
}


/* ------------------------------------------------------------ maintenance */

/* Renews the delegated responder of an issuer when it nears expiry. */
static enum pechat_err
responder_refresh(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi, struct pechat_error *e)
{
	struct ca_responder *r = NULL, *old = NULL;
	struct ocsp_tail *tail = NULL;
	time_t now = pechat_clock_now(pub->ca->clock);
	enum pechat_err err;

	err = ca_responder_ensure(pub->ca, db, pi->name, now, pub->conf.ocsp_responder_validity_days,
	    pub->conf.ocsp_responder_renew_days, &r, e);
	/* revoked or on hold: no new responder certificate, not an error (the stored one is loaded) */
	if (err != PECHAT_OK)
		return ca_issuer_check_standing(pub->ca, pi->name, NULL) != PECHAT_OK ? PECHAT_OK : err;
	/* the certificate its answers end with, shared by them (NULL: each answer kept whole) */
	tail = tail_new(ca_responder_get0_cert(r));
	pthread_rwlock_wrlock(&pi->resp_lock);
	if (pi->responder == NULL || X509_cmp(ca_responder_get0_cert(pi->responder), ca_responder_get0_cert(r)) != 0) {
		old = pi->responder;
		pi->responder = r;
		r = NULL;
		tail_unref(pi->tail);
		pi->tail = tail;
		tail = NULL;
	}
	pthread_rwlock_unlock(&pi->resp_lock);
	tail_unref(tail);
	ca_responder_free(r);
	ca_responder_free(old);
	return PECHAT_OK;
}

/*
 * Starts a maintenance pass: responders renewed ahead of expiry, answers of
 * expired certificates evicted, and the serials whose answers are near
 * nextUpdate queued for ocsp_maintain_slice.
 */
static void
ocsp_maintain_begin(struct ca_publisher *pub, struct db *db)
{
	struct pechat_error e;
	size_t n;
	int k;

	for (k = 0; k < pub->n_issuers; k++) {
		pechat_error_clear(&e);
		if (responder_refresh(pub, db, &pub->issuers[k], &e) != PECHAT_OK)
			log_err("ocsp: responder of %s not renewed: %s", pub->issuers[k].name, e.detail);
	}
	n = cache_evict_expired(pub, pechat_clock_now(pub->ca->clock));
	if (n > 0)
		log_info("ocsp: %zu answer(s) of expired certificates evicted", n);
	stale_free(pub->maint_q, pub->maint_n);
	pub->maint_q = collect_stale(pub, pechat_clock_now(pub->ca->clock) + pub->conf.ocsp_refresh_before_s,
	    &pub->maint_n);
	pub->maint_pos = 0;
	pub->maint_started_ms = now_ms();
	atomic_fetch_add(&pub->maint_queued, pub->maint_n);
}

/* 1 when the thread must leave a slice: stop, or a coalesced CRL change is due. */
static int
crl_waiting(struct ca_publisher *pub)
{
	int r;

	pthread_mutex_lock(&pub->lock);
	r = pub->stop || (pub->dirty_deadline_ms != 0 && now_ms() >= pub->dirty_deadline_ms);
	pthread_mutex_unlock(&pub->lock);
	return r;
}

/*
 * One slice of the pass under way: at most maint_slice_answers certificates
 * re-signed, for at most maint_slice_ms, and none once a CRL change is due,
 * so that a revocation reaches the CRLs within crl_max_delay_ms however many
 * answers are due (each one costs about a millisecond). 1 while serials remain.
 */
static int
ocsp_maintain_slice(struct ca_publisher *pub, struct db *db)
{
	struct pechat_error e;
	struct stale *v = pub->maint_q;
	int max = pub->conf.maint_slice_answers > 0 ? pub->conf.maint_slice_answers : MAINT_SLICE_ANSWERS;
	int budget_ms = pub->conf.maint_slice_ms > 0 ? pub->conf.maint_slice_ms : MAINT_SLICE_MS;
	int64_t end = now_ms() + budget_ms;
	uint64_t done = 0;

	while (pub->maint_pos < pub->maint_n && done < (uint64_t)max && now_ms() < end && !crl_waiting(pub)) {
		struct stale *st = &v[pub->maint_pos];
		pechat_error_clear(&e);
		/* a revoked or held issuer's answers are neither served nor refreshed; kept ones one by one */
		if (ca_issuer_check_cert_standing(pub->ca, pub->issuers[st->idx].name, NULL) == PECHAT_OK &&
		    (st->certid != NULL ? kept_resign(pub, db, st->idx, st->serial, st->certid, st->certid_len, &e) :
		    presign_serial(pub, db, st->idx, st->serial, 0, &e)) != PECHAT_OK)
			log_err("ocsp: answer for %s not refreshed: %s", st->serial, e.detail);
		pub->maint_pos++;
		done++;
		atomic_fetch_add(&pub->maint_refreshed, 1);
	}
	atomic_fetch_add(&pub->maint_slices, 1);
	if (done > atomic_load(&pub->maint_slice_max))
		atomic_store(&pub->maint_slice_max, done);
	if (pub->maint_pos < pub->maint_n)
		return 1;
	if (pub->maint_n > 0)
		log_info("ocsp: refreshed the answers of %zu certificate(s) in %lld ms", pub->maint_n,
		    (long long)(now_ms() - pub->maint_started_ms));
	stale_free(pub->maint_q, pub->maint_n);
	pub->maint_q = NULL;
	pub->maint_n = pub->maint_pos = 0;
	return 0;
}

/* ------------------------------------------------------------ the thread */

static void *
publisher_main(void *arg)
{
	struct ca_publisher *pub = arg;
	struct pechat_error e;
	struct db *db = NULL;
	struct timespec ts;
	int *dirty = NULL, i;
	int64_t next_maintain = now_ms() + (int64_t)maintain_every_s(pub) * 1000, wake_ms, t;
	time_t wake;
	int due_now, maint;

	pechat_error_clear(&e);
	if (db_open(pub->conf.store_path, 0, &db, &e) != PECHAT_OK ||
	    (dirty = calloc((size_t)pub->n_issuers, sizeof(*dirty))) == NULL) {
		log_err("publisher: cannot start: %s", e.detail);
		goto out;
	}
	pthread_mutex_lock(&pub->lock);
	while (!pub->stop) {
		/* CRLs fall due by the CA's clock (what goes into them); waiting is monotonic */
		wake_ms = next_maintain;
		for (i = 0; i < pub->n_issuers; i++) {
			wake = crl_due(pub, &pub->issuers[i]);
			if (mono_at(pub, wake) < wake_ms)
				wake_ms = mono_at(pub, wake);
		}
		/* a pass under way (or asked for) goes on at once, slice after slice */
		if (pub->maint_requested || pub->maint_pos < pub->maint_n)
			wake_ms = 0;
		if (pub->dirty_deadline_ms != 0 && pub->dirty_deadline_ms < wake_ms)
			wake_ms = pub->dirty_deadline_ms;
		if (pub->wq_deadline_ms != 0 && pub->wq_deadline_ms < wake_ms)
			wake_ms = pub->wq_deadline_ms;
		ts.tv_sec = wake_ms / 1000;
		ts.tv_nsec = (long)(wake_ms % 1000) * 1000000L;
		if (now_ms() < wake_ms)
			pthread_cond_timedwait(&pub->cond, &pub->lock, &ts);
		if (pub->stop)
			break;
		if (pub->keys_changed) {
			/* a token came back: what failed while it was out is retried now */
			pub->keys_changed = 0;
			for (i = 0; i < pub->n_issuers; i++)
				pub->issuers[i].retry_at = 0;
			if (pub->dirty_deadline_ms != 0)
				pub->dirty_deadline_ms = now_ms();
		}
		t = now_ms();   /* one reading: the checks below must agree */
		if (pub->wq_deadline_ms != 0 && t >= pub->wq_deadline_ms) {
			/* pre-signed answers queued for the store: one transaction (ocsp_warm.c) */
			pthread_mutex_unlock(&pub->lock);
			store_flush(pub, db);
			pthread_mutex_lock(&pub->lock);
			t = now_ms();
		}
		if (pub->dirty_deadline_ms != 0 && t < pub->dirty_deadline_ms && t < wake_ms)
			continue;       /* woken early by a new change: keep coalescing */
		due_now = pub->dirty_deadline_ms != 0 && t >= pub->dirty_deadline_ms;
		for (i = 0; i < pub->n_issuers; i++) {
			dirty[i] = due_now && pub->issuers[i].dirty;
			if (dirty[i])
				pub->issuers[i].dirty = 0;
		}
		if (due_now) {
			pub->dirty_deadline_ms = 0;
			pub->dirty_since_ms = 0;
		}
		pthread_mutex_unlock(&pub->lock);
		publish_due(pub, db, dirty);
		pthread_mutex_lock(&pub->lock);
		maint = pub->maint_requested;
		pub->maint_requested = 0;
		pthread_mutex_unlock(&pub->lock);
		if (pub->maint_pos == pub->maint_n && (maint || now_ms() >= next_maintain)) {
			ocsp_maintain_begin(pub, db);
			next_maintain = now_ms() + (int64_t)maintain_every_s(pub) * 1000;
		}
		/* one slice, then the CRL schedule again; the next pass a full interval after this one */
		if (pub->maint_pos < pub->maint_n && ocsp_maintain_slice(pub, db) == 0)
			next_maintain = now_ms() + (int64_t)maintain_every_s(pub) * 1000;
		pthread_mutex_lock(&pub->lock);
	}
	pthread_mutex_unlock(&pub->lock);
	/* the listeners are drained: every change whose call returned is published before exit */
	crl_flush_dirty(pub, db);
	store_flush(pub, db);
out:
	stale_free(pub->maint_q, pub->maint_n);
	pub->maint_q = NULL;
	pub->maint_n = pub->maint_pos = 0;
	free(dirty);
	db_close(db);
	return NULL;
}

/*
 * See publish_int.h. An answer is due refresh_before_s before its
 * nextUpdate; passes at a quarter of that leave several passes to re-sign
 * it in time even when refresh_before_s is under a minute.
 */
int
maintain_every_s(const struct ca_publisher *pub)
{
	int q = pub->conf.ocsp_refresh_before_s / 4;

	if (q >= MAINTAIN_EVERY_S)
		return MAINTAIN_EVERY_S;
	return q > 0 ? q : 1;
}

void
publisher_maintain_now(struct ca_publisher *pub)
{
	pthread_mutex_lock(&pub->lock);
	pub->maint_requested = 1;
	pthread_cond_signal(&pub->cond);
	pthread_mutex_unlock(&pub->lock);
}

/* ------------------------------------------------------------ public API */

/* See ca.h: failed regenerations retried now, due OCSP answers re-signed (a token came back). */
void
ca_publisher_keys_changed(struct ca_publisher *pub)
{
	if (pub == NULL)
		return;
	pthread_mutex_lock(&pub->lock);
	pub->keys_changed = 1;
	pub->maint_requested = 1;
	pthread_cond_signal(&pub->cond);
	pthread_mutex_unlock(&pub->lock);
}

enum pechat_err
ca_publisher_status_changed(struct ca_publisher *pub, struct db *db, const char *issuer, const char *serial,
    int crl_changed, struct pechat_error *e)
{
	unsigned char keys[OCSP_KEPT_RESIGN_MAX][OCSP_KEY_MAX];
	size_t lens[OCSP_KEPT_RESIGN_MAX], n, i;
	struct pechat_error ke;
	struct pub_issuer *pi;
	enum pechat_err err = PECHAT_OK;
	time_t not_after;
	int idx;

	if (pub == NULL || (pi = pub_issuer_find(pub, issuer, &idx)) == NULL)
		return PECHAT_OK;       /* no publisher, or the operators CA: nothing published */
	/*
	 * Never serve the old status: drop first (the kept answers too), then
	 * owe the new answers (ca/ocsp_owed.c: signed by the re-signer, or by
	 * the first request for them); with the owed set full, sign them here.
	 */
	n = cache_kept_keys(pub, idx, serial, keys, lens, OCSP_KEPT_RESIGN_MAX);
	not_after = cache_drop_serial(pub, idx, serial);
	if (owed_add(pub, idx, serial, not_after, keys, lens, n))
		goto crl;
	atomic_fetch_add(&pub->owed_inline, 1);
	err = presign_serial(pub, db, idx, serial, not_after, e);
	for (i = 0; i < n && err == PECHAT_OK; i++) {
		pechat_error_clear(&ke);
		if (kept_resign(pub, db, idx, serial, keys[i], lens[i], &ke) != PECHAT_OK)
			log_warn("ocsp: a kept answer of %s/%s not re-signed: %s", issuer, serial, ke.detail);
	}
crl:
	if (!crl_changed)
		return err;
	pthread_mutex_lock(&pub->lock);
	pi->dirty = 1;
	crl_schedule(pub);
	pthread_cond_signal(&pub->cond);
	pthread_mutex_unlock(&pub->lock);
	return err;
}

void
ca_publisher_stats(struct ca_publisher *pub, struct ca_publish_stats *out)
{
	out->ocsp_presigned_hits = atomic_load(&pub->hits);
	out->ocsp_on_demand_signed = atomic_load(&pub->on_demand);
	out->ocsp_try_later = atomic_load(&pub->try_later);
	out->crl_generated = atomic_load(&pub->crls);
	out->ocsp_owed = atomic_load(&pub->owed_n);
	out->ocsp_owed_total = atomic_load(&pub->owed_total);
	out->ocsp_owed_resigned = atomic_load(&pub->owed_resigned);
	out->ocsp_owed_on_demand = atomic_load(&pub->owed_on_demand);
	out->ocsp_owed_inline = atomic_load(&pub->owed_inline);
}

/* Initialises locks and issuer slots (every issuer but the operators CA). */
static enum pechat_err
publisher_init(struct ca_publisher *pub, struct ca *ca, const struct ca_publish_conf *conf,
    struct pechat_error *e)
{
	pthread_condattr_t ca_;
	int i;

	pub->ca = ca;
	pub->conf = *conf;
	pthread_mutex_init(&pub->lock, NULL);
	pthread_mutex_init(&pub->wq_lock, NULL);
	pthread_mutex_init(&pub->flush_lock, NULL);
	if (pthread_condattr_init(&ca_) != 0 || pthread_condattr_setclock(&ca_, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&pub->cond, &ca_) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot make the publisher's condition variable");
	pthread_condattr_destroy(&ca_);
	if (cache_init(pub) != 0 ||
	    (pub->issuers = calloc((size_t)ca->n_issuers, sizeof(*pub->issuers))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	for (i = 0; i < ca->n_issuers; i++) {
		struct pub_issuer *pi;
		if (strcmp(ca->issuers[i].kind, "operators") == 0)
			continue;
		pi = &pub->issuers[pub->n_issuers++];
		pechat_strlcpy(pi->name, ca->issuers[i].name, sizeof(pi->name));
		pi->presign = presign_set_for(&ca->issuers[i]);
		pthread_rwlock_init(&pi->resp_lock, NULL);
		pthread_mutex_init(&pi->crl_lock, NULL);
		pthread_mutex_init(&pi->rl_lock, NULL);
		pi->tokens = conf->ocsp_on_demand_per_s;
		clock_gettime(CLOCK_MONOTONIC, &pi->rl_last);
	}
	if ((pub->ids = ca_ocsp_ids_new(ca)) == NULL)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot prepare OCSP issuer hashes");
	return PECHAT_OK;
}

enum pechat_err
ca_publisher_start(struct ca *ca, struct db *db, const struct ca_publish_conf *conf, struct ca_publisher **out,
    struct pechat_error *e)
{
	struct ca_publisher *pub;
	enum pechat_err err;
	int i, behind;

	*out = NULL;
	if ((pub = calloc(1, sizeof(*pub))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	if ((err = publisher_init(pub, ca, conf, e)) != PECHAT_OK)
		goto fail;
	for (i = 0; i < pub->n_issuers; i++)
		if ((err = responder_refresh(pub, db, &pub->issuers[i], e)) != PECHAT_OK)
			goto fail;
	for (i = 0; i < pub->n_issuers; i++) {
		if ((err = crl_load(db, &pub->issuers[i], e)) != PECHAT_OK)
			goto fail;
		if (ca_issuer_find(ca, pub->issuers[i].name)->offline) {
			crl_offline_reload(pub, db, &pub->issuers[i]);  /* imported CRLs only */
			continue;
		}
		if (ca_issuer_check_standing(ca, pub->issuers[i].name, NULL) != PECHAT_OK)
			continue;       /* revoked or on hold: its last CRLs are served, nothing is signed */
		if (crl_due(pub, &pub->issuers[i]) <= pechat_clock_now(ca->clock)) {
			if ((err = crl_regenerate(pub, db, &pub->issuers[i], e)) != PECHAT_OK)
				goto fail;
			continue;
		}
		/* a stop between a status change and its CRL: the thread publishes it at once */
		if ((err = crl_behind(db, &pub->issuers[i], &behind, e)) != PECHAT_OK)
			goto fail;
		if (behind) {
			pub->issuers[i].dirty = 1;
			pub->dirty_since_ms = pub->dirty_deadline_ms = now_ms();
		}
	}
	if (pthread_create(&pub->thread, NULL, publisher_main, pub) != 0) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the publisher thread");
		goto fail;
	}
	pub->thread_started = 1;
	if ((err = owed_start(pub, e)) != PECHAT_OK)
		goto fail;
	/* ready now: the OCSP answers are loaded and pre-signed behind it (ocsp_warm.c) */
	if ((err = warm_start(pub, e)) != PECHAT_OK)
		goto fail;
	log_info("publisher: %d issuers; OCSP answers warming up", pub->n_issuers);
	*out = pub;
	return PECHAT_OK;
fail:
	ca_publisher_stop(pub);
	return err;
}

void
ca_publisher_stop(struct ca_publisher *pub)
{
	int i;

	if (pub == NULL)
		return;
	warm_join(pub);         /* before the thread: it writes what the warm-up queued */
	owed_stop(pub);         /* likewise: what the re-signer queued is written by the thread */
	if (pub->thread_started) {
		pthread_mutex_lock(&pub->lock);
		pub->stop = 1;
		pthread_cond_signal(&pub->cond);
		pthread_mutex_unlock(&pub->lock);
		pthread_join(pub->thread, NULL);
	}
	cache_free_all(pub);
	for (size_t k = 0; k < pub->wq_n; k++)
		free(pub->wq[k]);
	free(pub->wq);
	pthread_mutex_destroy(&pub->wq_lock);
	pthread_mutex_destroy(&pub->flush_lock);
	for (i = 0; i < pub->n_issuers; i++) {
		ca_responder_free(pub->issuers[i].responder);
		tail_unref(pub->issuers[i].tail);
		blob_unref(pub->issuers[i].full);
		blob_unref(pub->issuers[i].delta);
		pthread_rwlock_destroy(&pub->issuers[i].resp_lock);
		pthread_mutex_destroy(&pub->issuers[i].crl_lock);
		pthread_mutex_destroy(&pub->issuers[i].rl_lock);
	}
	ca_ocsp_ids_free(pub->ids);
	free(pub->issuers);
	pthread_mutex_destroy(&pub->lock);
	pthread_cond_destroy(&pub->cond);
	free(pub);
}
