/*
 * ca/crl_sched.c — full and delta CRLs (RFC 5280 §5) of every public issuer:
 * the current blobs in memory (reference-counted, immutable, swapped under a
 * per-issuer mutex), regeneration (sign, store, swap), numbering, the delta
 * base, and the schedule (after status changes, coalesced; on time; retries).
 * docs/REVOCATION.md "CRL scheduling".
 */
#include "ca/publish_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>


void
blob_unref(struct pub_blob *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
		OPENSSL_free(b->blob.data);
		free(b);
	}
}

void
ca_blob_release(struct ca_blob *blob)
{
	if (blob != NULL)
		blob_unref((struct pub_blob *)((char *)blob - offsetof(struct pub_blob, blob)));
}

/* A blob (one reference) taking over der (OPENSSL_malloc'd): a CRL just signed, or a stored one's copy. */
static struct pub_blob *
blob_take(unsigned char *der, size_t len, time_t this_update, time_t next_update)
{
	struct pub_blob *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	atomic_init(&b->refs, 1);
	b->blob.data = der;
	b->blob.len = len;
	b->blob.this_update = this_update;
	b->blob.next_update = next_update;
	b->blob.fingerprint = ca_der_fingerprint(der, len);
	return b;
}

/* A blob (one reference) holding a copy of a stored CRL. */
static struct pub_blob *
blob_from_crl(const struct db_crl *c)
{
	unsigned char *der;
	struct pub_blob *b;

	if ((der = OPENSSL_malloc(c->der_len > 0 ? c->der_len : 1)) == NULL)
		return NULL;
	memcpy(der, c->der, c->der_len);
	if ((b = blob_take(der, c->der_len, c->this_update, c->next_update)) == NULL)
		OPENSSL_free(der);
	return b;
}

/* Publishes (swaps in) a CRL blob; the old one is released. */
static void
crl_swap(struct pub_issuer *pi, int delta, struct pub_blob *b)
{
	struct pub_blob *old;

	pthread_mutex_lock(&pi->crl_lock);
	old = delta ? pi->delta : pi->full;
	if (delta)
		pi->delta = b;
	else
		pi->full = b;
	pthread_mutex_unlock(&pi->crl_lock);
	blob_unref(old);
}

enum pechat_err
ca_crl_current(struct ca_publisher *pub, const char *issuer, int delta, struct ca_blob **out,
    struct pechat_error *e)
{
	struct pub_issuer *pi = pub_issuer_find(pub, issuer, NULL);
	struct pub_blob *b = NULL;

	*out = NULL;
	if (pi != NULL) {
		pthread_mutex_lock(&pi->crl_lock);
		if ((b = delta ? pi->delta : pi->full) != NULL)
			atomic_fetch_add(&b->refs, 1);
		pthread_mutex_unlock(&pi->crl_lock);
	}
	if (b == NULL)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "crl_unknown", "no CRL for issuer \"%s\"", issuer);
	*out = &b->blob;
	return PECHAT_OK;
}

/* What the store's rows are streamed into: the CRL being written (and, for a delta, its base). */
struct crl_feed {
	struct ca_crl_writer *w;
	struct pechat_error *e;
	enum pechat_err err;            /* the first failure; PECHAT_OK */
	size_t n;
	struct db *db;
	int64_t base_mark;
};

/* Adds one entry to the CRL; 0, or 1 (the failure kept in f) to stop the store's loop. */
static int
feed_add(struct crl_feed *f, const struct ca_crl_entry *c)
{
	if ((f->err = ca_crl_writer_add(f->w, c, f->e)) != PECHAT_OK)
		return 1;
	f->n++;
	return 0;
}

/* An entry from a revoke or hold event (RFC 5280 §5.3.1, §5.3.2). */
static void
entry_from_event(struct ca_crl_entry *c, const struct db_revocation *ev)
{
	int reason = ca_crl_reason_from_name(ev->reason);

	memset(c, 0, sizeof(*c));
	pechat_strlcpy(c->serial, ev->serial, sizeof(c->serial));
	c->reason = reason == CRL_REASON_UNSPECIFIED ? CRL_REASON_NONE : reason;
	c->revoked_at = ev->revoked_at;
	c->invalidity_date = ev->invalidity_date;
}

/* A full CRL lists every serial whose status at the mark is revoked or on hold. */
static int
feed_listed(void *arg, const struct db_revocation *ev)
{
	enum ca_cert_state st = ca_status_rule(ev, 0, 0);
	struct ca_crl_entry c;

	if (st != CA_STATE_REVOKED && st != CA_STATE_ON_HOLD)
		return 0;
	entry_from_event(&c, ev);
	return feed_add(arg, &c);
}

/*
 * Delta entries (RFC 5280 §5.2.4): a serial whose last event since the base
 * is a revoke or hold is listed; a release of a hold that the base listed
 * gets removeFromCRL.
 */
static int
feed_changed(void *arg, const struct db_revocation *ev)
{
	struct crl_feed *f = arg;
	enum ca_cert_state st = ca_status_rule(ev, 0, 0), at_base;
	struct ca_crl_entry c;

	if (st != CA_STATE_REVOKED && st != CA_STATE_ON_HOLD) {
		if ((f->err = ca_serial_status(f->db, ev->serial, f->base_mark, 0, 0, &at_base, NULL, f->e)) != PECHAT_OK)
			return 1;
		if (at_base != CA_STATE_ON_HOLD)
			return 0;
		memset(&c, 0, sizeof(c));
		pechat_strlcpy(c.serial, ev->serial, sizeof(c.serial));
		c.reason = CRL_REASON_REMOVE_FROM_CRL;
		c.remove_from_crl = 1;
		c.revoked_at = ev->revoked_at;
		return feed_add(f, &c);
	}
	entry_from_event(&c, ev);
	return feed_add(f, &c);
}

/*
 * The next CRL number: above everything stored, and never below a clock
 * floor (milliseconds since 1970), so that a store restored from an older
 * backup never reuses a number already published (RFC 5280 §5.2.3).
 */
static enum pechat_err
next_crl_number(struct db *db, const char *issuer, int64_t *number, int64_t *prev, struct pechat_error *e)
{
	int64_t max = 0, floor_ms = wall_ms();
	enum pechat_err err;

	if ((err = db_crl_max_number(db, issuer, &max, e)) != PECHAT_OK)
		return err;
	*number = max + 1 > floor_ms ? max + 1 : floor_ms;
	*prev = max;
	return PECHAT_OK;
}

/* See ca_status.h: the publisher's CRLs, and bench/crl's timing of them. */
enum pechat_err
ca_crl_from_store(struct ca *ca, struct db *db, const struct ca_crl_params *p, int64_t base_mark, int64_t mark,
    unsigned char **der, size_t *len, size_t *n, struct pechat_error *e)
{
	struct crl_feed f;
	enum pechat_err err;

	memset(&f, 0, sizeof(f));
	f.e = e;
	f.db = db;
	f.base_mark = base_mark;
	*der = NULL;
	*len = *n = 0;
	if ((err = ca_crl_begin(ca, p, &f.w, e)) != PECHAT_OK)
		goto out;
	err = base_mark < 0 ? db_revocation_last_at(db, p->issuer, mark, feed_listed, &f, e) :
	    db_revocation_changed(db, p->issuer, base_mark, mark, feed_changed, &f, e);
	if (err == PECHAT_OK && (err = f.err) == PECHAT_OK)
		err = ca_crl_writer_finish(f.w, der, len, e);
	*n = f.n;
out:
	ca_crl_writer_free(f.w);
	return err;
}

/* Signs, stores and publishes one CRL (base_number < 0: full; else a delta of the changes since base_mark). */
static enum pechat_err
crl_publish(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi, int64_t base_number,
    int64_t base_mark, int64_t mark, time_t now, time_t next, int64_t *number_out, struct pechat_error *e)
{
	const char *kind = base_number < 0 ? "full" : "delta";
	struct ca_crl_params p;
	struct db_crl row;
	struct pub_blob *b;
	unsigned char *der = NULL;
	size_t len = 0, n = 0;
	int64_t t0 = now_ms();
	enum pechat_err err;

	memset(&p, 0, sizeof(p));
	memset(&row, 0, sizeof(row));
	if ((err = next_crl_number(db, pi->name, &p.number, &p.prev_number, e)) != PECHAT_OK)
		return err;
	p.has_prev_number = 1;  /* the linter checks that the number grows (RFC 5280 §5.2.3) */
	p.issuer = pi->name;
	p.base_number = base_number;
	p.this_update = now;
	p.next_update = next;
	if ((err = ca_crl_from_store(pub->ca, db, &p, base_number < 0 ? -1 : base_mark, mark, &der, &len, &n, e)) !=
	    PECHAT_OK)
		return err;
	pechat_strlcpy(row.issuer, pi->name, sizeof(row.issuer));
	row.number = p.number;
	pechat_strlcpy(row.kind, kind, sizeof(row.kind));
	row.base_number = base_number;
	row.event_mark = mark;
	row.this_update = now;
	row.next_update = next;
	row.entries = (int)n;
	row.der = der;
	row.der_len = len;
	row.created_at = now;
	if ((err = db_crl_insert(db, &row, e)) != PECHAT_OK) {
		OPENSSL_free(der);
		return err;
	}
	atomic_fetch_add(&pub->crls, 1);
	*number_out = p.number;
	/* stored but not in memory is a failure: the retry path publishes it again */
	if ((b = blob_take(der, len, now, next)) == NULL) {
		OPENSSL_free(der);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	crl_swap(pi, base_number >= 0, b);
	if (base_number < 0)
		pi->full_number = p.number;
	log_info("crl: published %s CRL %lld of %s (%zu entries, %zu bytes, made in %lld ms)", kind,
	    (long long)p.number, pi->name, n, len, (long long)(now_ms() - t0));
	return PECHAT_OK;
}

/*
 * Regenerates the CRLs of one issuer: a full CRL at the current event mark,
 * then a delta relative to the base (rebased to this full CRL when the base
 * is older than crl_delta_rebase_s). Both share the number sequence, so the
 * delta's number is above the full CRL's (RFC 5280 §5.2.4).
 */
enum pechat_err
crl_regenerate(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi, struct pechat_error *e)
{
	time_t now = pechat_clock_now(pub->ca->clock);
	int64_t mark = 0, number = 0, delta_number = 0;
	enum pechat_err err;

	if ((err = db_revocation_mark(db, pi->name, &mark, e)) != PECHAT_OK ||
	    (err = crl_publish(pub, db, pi, -1, -1, mark, now, now + pub->conf.crl_next_update_s, &number, e)) !=
	    PECHAT_OK)
		return err;
	if (pi->base_number == 0 || now - pi->base_this_update >= pub->conf.crl_delta_rebase_s) {
		pi->base_number = number;
		pi->base_mark = mark;
		pi->base_this_update = now;
	}
	err = crl_publish(pub, db, pi, pi->base_number, pi->base_mark, mark, now,
	    now + pub->conf.crl_delta_next_update_s, &delta_number, e);
	if (err == PECHAT_OK)
		atomic_store(&pub->maint_at_crl, atomic_load(&pub->maint_refreshed));
	return err;
}

/* Loads the latest stored CRLs and the delta base of an issuer. */
enum pechat_err
crl_load(struct db *db, struct pub_issuer *pi, struct pechat_error *e)
{
	struct db_crl row, base;
	struct pub_blob *b;
	enum pechat_err err;

	pi->stored_mark = -1;
	if ((err = db_crl_latest(db, pi->name, "full", &row, e)) == PECHAT_OK) {
		if ((b = blob_from_crl(&row)) != NULL)
			crl_swap(pi, 0, b);
		pi->stored_mark = row.event_mark;
		pi->full_number = row.number;
		db_crl_free_fields(&row);
	} else if (err != PECHAT_E_NOT_FOUND)
		return err;
	if ((err = db_crl_latest(db, pi->name, "delta", &row, e)) == PECHAT_OK) {
		if ((b = blob_from_crl(&row)) != NULL)
			crl_swap(pi, 1, b);
		if (row.event_mark < pi->stored_mark)
			pi->stored_mark = row.event_mark;
		if (db_crl_get(db, pi->name, row.base_number, &base, NULL) == PECHAT_OK) {
			pi->base_number = base.number;
			pi->base_mark = base.event_mark;
			pi->base_this_update = base.this_update;
			db_crl_free_fields(&base);
		}
		db_crl_free_fields(&row);
	} else if (err == PECHAT_E_NOT_FOUND)
		pi->stored_mark = -1;
	else
		return err;
	pechat_error_clear(e);
	return PECHAT_OK;
}

/*
 * An offline root (its CRLs are made at the ceremony and imported by
 * `pechat ceremony import-crl`, never signed here): serves the newest
 * stored CRL once it is newer than the one served, and logs once per CRL
 * when its nextUpdate has passed (it is still served: relying parties
 * decide). Called at start and by the publisher thread every CRL_RETRY_S.
 */
void
crl_offline_reload(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi)
{
	struct pechat_error e;
	struct db_crl row;
	struct pub_blob *b;
	int64_t max = 0;
	time_t now = pechat_clock_now(pub->ca->clock), next = 0;
	char at[32];

	pechat_error_clear(&e);
	if (db_crl_max_number(db, pi->name, &max, &e) != PECHAT_OK) {
		log_warn("crl: imported CRLs of offline root %s not re-read: %s", pi->name, e.detail);
		return;
	}
	if (max > pi->full_number && db_crl_get(db, pi->name, max, &row, &e) == PECHAT_OK) {
		if (strcmp(row.kind, "full") == 0 && (b = blob_from_crl(&row)) != NULL) {
			crl_swap(pi, 0, b);
			pi->full_number = row.number;
			log_info("crl: serving CRL %lld of offline root %s (imported; %d entries, nextUpdate %s)",
			    (long long)row.number, pi->name, row.entries, pechat_time_rfc3339(row.next_update, at,
			    sizeof(at)));
		}
		db_crl_free_fields(&row);
	}
	pthread_mutex_lock(&pi->crl_lock);
	if (pi->full != NULL)
		next = pi->full->blob.next_update;
	pthread_mutex_unlock(&pi->crl_lock);
	if (next != 0 && next <= now && pi->stale_warned != pi->full_number) {
		pi->stale_warned = pi->full_number;
		log_warn("crl: CRL %lld of offline root %s is past its nextUpdate %s; still served: bring the root out, "
		    "make a new one and import it (pechat ceremony crl, import-crl)", (long long)pi->full_number, pi->name,
		    pechat_time_rfc3339(next, at, sizeof(at)));
	}
}

enum pechat_err
crl_behind(struct db *db, struct pub_issuer *pi, int *behind, struct pechat_error *e)
{
	int64_t mark = 0;
	enum pechat_err err;

	*behind = 0;
	if ((err = db_revocation_mark(db, pi->name, &mark, e)) != PECHAT_OK)
		return err;
	if (mark > pi->stored_mark) {
		*behind = 1;
		log_info("crl: the stored CRLs of %s stop at revocation event %lld, the newest is %lld: "
		    "publishing now", pi->name, (long long)pi->stored_mark, (long long)mark);
	}
	return PECHAT_OK;
}

void
crl_flush_dirty(struct ca_publisher *pub, struct db *db)
{
	struct pechat_error e;
	int i, dirty;

	for (i = 0; i < pub->n_issuers; i++) {
		pthread_mutex_lock(&pub->lock);
		dirty = pub->issuers[i].dirty;
		pub->issuers[i].dirty = 0;
		pthread_mutex_unlock(&pub->lock);
		if (!dirty || ca_issuer_check_standing(pub->ca, pub->issuers[i].name, NULL) != PECHAT_OK)
			continue;       /* nothing pending, or an issuer that may not sign */
		pechat_error_clear(&e);
		if (crl_regenerate(pub, db, &pub->issuers[i], &e) != PECHAT_OK)
			log_err("crl: %s not regenerated on stop: %s (%s); the next start publishes it",
			    pub->issuers[i].name, e.detail, e.code);
	}
}

/* When the issuer's CRLs are next due (scheduled regeneration), 0 if due now. */
time_t
crl_due(struct ca_publisher *pub, struct pub_issuer *pi)
{
	time_t due;

	pthread_mutex_lock(&pi->crl_lock);
	if (pi->full == NULL || pi->delta == NULL)
		due = 0;
	else {
		due = pi->full->blob.this_update + pub->conf.crl_full_interval_s;
		if (pi->delta->blob.this_update + pub->conf.crl_delta_next_update_s / 2 < due)
			due = pi->delta->blob.this_update + pub->conf.crl_delta_next_update_s / 2;
	}
	pthread_mutex_unlock(&pi->crl_lock);
	return due > pi->retry_at ? due : pi->retry_at;
}

/* Keeps an issuer's pending change for a retry at `when` (its changes are never dropped). */
static void
crl_redirty(struct ca_publisher *pub, struct pub_issuer *pi, time_t when)
{
	pthread_mutex_lock(&pub->lock);
	pi->dirty = 1;
	if (pub->dirty_deadline_ms == 0 || pub->dirty_deadline_ms > mono_at(pub, when))
		pub->dirty_deadline_ms = mono_at(pub, when);
	pthread_mutex_unlock(&pub->lock);
}

/* Regenerates due CRLs; `dirty` issuers are due now. */
void
publish_due(struct ca_publisher *pub, struct db *db, const int *dirty)
{
	struct pechat_error e;
	time_t now = pechat_clock_now(pub->ca->clock);
	int i;

	for (i = 0; i < pub->n_issuers; i++) {
		if (pub->issuers[i].retry_at > now) {
			if (dirty[i])
				crl_redirty(pub, &pub->issuers[i], pub->issuers[i].retry_at);
			continue;
		}
		if (!dirty[i] && crl_due(pub, &pub->issuers[i]) > now)
			continue;
		if (ca_issuer_find(pub->ca, pub->issuers[i].name)->offline) {
			/* an offline root signs nothing here: its CRLs are imported */
			crl_offline_reload(pub, db, &pub->issuers[i]);
			pub->issuers[i].retry_at = now + CRL_RETRY_S;
			continue;
		}
		if (ca_issuer_check_standing(pub->ca, pub->issuers[i].name, NULL) != PECHAT_OK) {
			/* revoked or on hold: no CRL; its changes wait (held) for the release */
			pub->issuers[i].retry_at = now + CRL_RETRY_S;
			if (dirty[i])
				crl_redirty(pub, &pub->issuers[i], now + CRL_RETRY_S);
			continue;
		}
		pechat_error_clear(&e);
		if (crl_regenerate(pub, db, &pub->issuers[i], &e) != PECHAT_OK) {
			/* retry later, not in a tight loop; a dirty issuer stays dirty */
			log_err("crl: %s not regenerated: %s (%s); retrying in %d s", pub->issuers[i].name, e.detail,
			    e.code, CRL_RETRY_S);
			pub->issuers[i].retry_at = now + CRL_RETRY_S;
			if (dirty[i])
				crl_redirty(pub, &pub->issuers[i], now + CRL_RETRY_S);
		}
	}
}


/*
 * Debounces CRL regeneration (caller holds pub->lock): CRLs are made once
 * changes pause for crl_coalesce_ms, but never later than crl_max_delay_ms
 * after the first change they carry — a steady stream of revocations makes
 * one full + one delta CRL per max delay, and each revocation is published
 * within it.
 */
void
crl_schedule(struct ca_publisher *pub)
{
	int64_t now = now_ms(), deadline;

	if (pub->dirty_since_ms == 0)
		pub->dirty_since_ms = now;
	deadline = now + pub->conf.crl_coalesce_ms;
	if (deadline > pub->dirty_since_ms + pub->conf.crl_max_delay_ms)
		deadline = pub->dirty_since_ms + pub->conf.crl_max_delay_ms;
	pub->dirty_deadline_ms = deadline;
}
