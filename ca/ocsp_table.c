/*
 * ca/ocsp_table.c — the in-memory table of OCSP answers (RFC 6960, RFC 5019)
 * that the hot path copies out: 64 shards x 8192 buckets, each shard behind
 * a rwlock (readers copy the answer out; inserts, refreshes and drops take
 * one shard's write lock). Keyed by the CertID's exact DER; placed by the serial
 * alone, so that every answer of a serial (any digest, any issuer) is in one
 * bucket and a status change drops them without scanning the table.
 * Answers signed on demand for CertIDs outside the pre-signed set ("kept")
 * are also in a per-shard ring that bounds them (CLOCK eviction). An
 * entry's own form (its key, serial, digest, shared tail): ca/ocsp_entry.c.
 * docs/REVOCATION.md.
 */
#include "ca/publish_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ OCSP table */

static struct ocsp_shard *
shard_for(struct ca_publisher *pub, uint32_t slot)
{
	return &pub->shards[slot % OCSP_SHARDS];
}

/* The bucket of a slot (caller holds its shard's lock). */
static struct ocsp_entry **
bucket_for(struct ca_publisher *pub, uint32_t slot)
{
	return &pub->shards[slot % OCSP_SHARDS].buckets[(slot / OCSP_SHARDS) % OCSP_BUCKETS_PER_SHARD];
}

/* 1 if en is an answer of (issuer_idx, the serial at slot whose ca_serial_hex form is canon). */
static int
entry_is_serial(const struct ocsp_entry *en, int issuer_idx, uint32_t slot, const char *canon)
{
	char hex[65];

	return en->issuer_idx == issuer_idx && en->slot == slot && entry_serial(en, hex) == 0 &&
	    strcmp(hex, canon) == 0;
}

/* ------------------------------------------------------------ kept ring (caller holds the write lock) */

/* Takes en out of its shard's ring (a no-op for a pre-signed answer). */
static void
kept_remove(struct ocsp_shard *s, struct ocsp_entry *en)
{
	if (en->kept_slot < 0)
		return;
	s->kept[en->kept_slot] = NULL;
	s->kept_n--;
	en->kept_slot = -1;
}

/* Unlinks victim from its bucket chain and frees it. */
static void
kept_evict(struct ca_publisher *pub, struct ocsp_entry *victim)
{
	struct ocsp_entry **pp;

	for (pp = bucket_for(pub, victim->slot); *pp != NULL; pp = &(*pp)->next)
		if (*pp == victim) {
			*pp = victim->next;
			break;
		}
	atomic_fetch_add(&pub->kept_evicted, 1);
	entry_free(victim);
}

/*
 * Puts a kept answer (already linked in its bucket) in its shard's ring: a
 * free place, else the first answer the hand finds not served since it last
 * passed (CLOCK), which is evicted.
 */
static void
kept_add(struct ca_publisher *pub, struct ocsp_shard *s, struct ocsp_entry *en)
{
	struct ocsp_entry *v;
	int i;

	for (;;) {
		i = s->hand;
		s->hand = (s->hand + 1) % s->kept_cap;
		v = s->kept[i];
		if (v != NULL && s->kept_n < s->kept_cap)
			continue;       /* room elsewhere: find it */
		if (v != NULL && atomic_exchange_explicit(&v->used, 0, memory_order_relaxed) != 0)
			continue;       /* served lately: a second chance */
		if (v != NULL) {
			s->kept[i] = NULL;
			s->kept_n--;
			kept_evict(pub, v);
		}
		s->kept[i] = en;
		s->kept_n++;
		en->kept_slot = i;
		return;
	}
}

/* Copies the answer for key into *out (malloc'd). 1 found, 0 not. */
int
cache_get(struct ca_publisher *pub, const unsigned char *key, size_t keylen, uint32_t slot,
    struct ca_ocsp_reply *out, int *issuer_idx)
{
	uint32_t h = ocsp_key_hash(key, keylen);
	struct ocsp_shard *s = shard_for(pub, slot);
	struct ocsp_entry *en;
	time_t now = time(NULL);
	int found = 0;

	pthread_rwlock_rdlock(&s->lock);
	for (en = *bucket_for(pub, slot); en != NULL; en = en->next) {
		if (en->hash != h || en->keylen != keylen || memcmp(entry_key(en), key, keylen) != 0)
			continue;
		if (en->next_update <= now || (out->der = malloc(en->len)) == NULL)
			break;
		entry_copy_der(en, out->der);
		out->len = en->len;
		out->cacheable = 1;
		out->this_update = en->this_update;
		out->next_update = en->next_update;
		out->fingerprint = en->fingerprint;
		*issuer_idx = en->issuer_idx;
		if (en->kept && atomic_load_explicit(&en->used, memory_order_relaxed) == 0)
			atomic_store_explicit(&en->used, 1, memory_order_relaxed);
		found = 1;
		break;
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

/*
 * Inserts or replaces the entry with the same key; takes ownership of en.
 * An answer reflecting an older status event never replaces a newer one.
 * A kept answer takes the ring place of the one it replaces, or a new one.
 */
void
cache_put(struct ca_publisher *pub, struct ocsp_entry *en)
{
	struct ocsp_shard *s;
	struct ocsp_entry **pp, *old = NULL;

	en->hash = ocsp_key_hash(entry_key(en), en->keylen);
	en->kept_slot = -1;
	s = shard_for(pub, en->slot);
	pthread_rwlock_wrlock(&s->lock);
	pp = bucket_for(pub, en->slot);
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == en->hash && (*pp)->keylen == en->keylen &&
		    memcmp(entry_key(*pp), entry_key(en), en->keylen) == 0) {
			if ((*pp)->event_id > en->event_id) {
				old = en;       /* stale: keep the newer answer */
				break;
			}
			old = *pp;
			en->next = old->next;
			*pp = en;
			break;
		}
	if (old == NULL) {
		en->next = *pp;
		*pp = en;
	}
	if (old != en) {
		if (old != NULL && old->kept_slot >= 0 && en->kept) {
			s->kept[old->kept_slot] = en;   /* same place in the ring */
			en->kept_slot = old->kept_slot;
			old->kept_slot = -1;
		} else {
			if (old != NULL)
				kept_remove(s, old);
			if (en->kept)
				kept_add(pub, s, en);
		}
	}
	pthread_rwlock_unlock(&s->lock);
	entry_free(old);
}

/*
 * Unlinks the answers of (issuer, serial) from one chain (caller holds the
 * shard's write lock); *not_after gets their certificate's notAfter when one
 * knew it.
 */
static void
drop_in_chain(struct ca_publisher *pub, struct ocsp_entry **pp, int issuer_idx, uint32_t slot, const char *canon,
    time_t *not_after)
{
	struct ocsp_entry *dead;

	while (*pp != NULL) {
		atomic_fetch_add(&pub->drop_visited, 1);
		if (entry_is_serial(*pp, issuer_idx, slot, canon)) {
			dead = *pp;
			*pp = dead->next;
			if (dead->cert_not_after != 0)
				*not_after = dead->cert_not_after;
			kept_remove(shard_for(pub, dead->slot), dead);
			entry_free(dead);
		} else
			pp = &(*pp)->next;
	}
}

/*
 * Removes every answer of (issuer, serial), whatever the digest: a stale
 * answer is never served. The serial's bucket alone is examined. A serial
 * that is not positive hex has no answers (every entry's serial is its
 * CertID's, which a table answer never has otherwise).
 */
time_t
cache_drop_serial(struct ca_publisher *pub, int issuer_idx, const char *serial)
{
	time_t not_after = 0;
	uint32_t slot;
	char canon[65];

	if (serial_canon(serial, &slot, canon) != 0)
		return 0;
	pthread_rwlock_wrlock(&shard_for(pub, slot)->lock);
	drop_in_chain(pub, bucket_for(pub, slot), issuer_idx, slot, canon, &not_after);
	pthread_rwlock_unlock(&shard_for(pub, slot)->lock);
	return not_after;
}

/* 1 if memory holds a fresh answer for (issuer idx, serial, md). */
int
cache_has(struct ca_publisher *pub, int idx, const char *serial, const char *md)
{
	struct ca_ocsp_reply probe;
	unsigned char key[OCSP_KEY_MAX];
	OCSP_CERTID *id = NULL;
	size_t keylen;
	uint32_t slot;
	int found = 0, got;

	memset(&probe, 0, sizeof(probe));
	if (ca_ocsp_certid_new(pub->ca, pub->issuers[idx].name, serial, EVP_get_digestbyname(md), &id,
	    NULL) == PECHAT_OK && certid_key(id, key, &keylen, &slot) == 0)
		found = cache_get(pub, key, keylen, slot, &probe, &got);
	free(probe.der);
	OCSP_CERTID_free(id);
	return found;
}

/*
 * 1 if en is due: its nextUpdate before limit, its certificate not expired,
 * and it stands for its serial's pre-signed set (the first digest) or is a
 * kept answer.
 */
static int
stale_due(struct ca_publisher *pub, const struct ocsp_entry *en, time_t limit)
{
	if (en->next_update > limit ||
	    (en->cert_not_after != 0 && en->cert_not_after < limit - pub->conf.ocsp_validity_s))
		return 0;
	return en->kept || strcmp(entry_md(en), pub->issuers[en->issuer_idx].presign[0]) == 0;
}

/* Appends en's refresh to *v (grown by doubling). 0 or -1 (no memory). */
static int
stale_push(struct stale **v, size_t *n, size_t *cap, const struct ocsp_entry *en)
{
	struct stale *grown, *st;

	if (*n == *cap) {
		if ((grown = realloc(*v, (*cap ? *cap * 2 : 64) * sizeof(**v))) == NULL)
			return -1;
		*v = grown;
		*cap = *cap ? *cap * 2 : 64;
	}
	st = &(*v)[*n];
	st->idx = en->issuer_idx;
	if (entry_serial(en, st->serial) != 0)
		return 0;       /* not a serial of ours: nothing to refresh */
	st->certid = NULL;
	st->certid_len = 0;
	if (en->kept) {
		if ((st->certid = malloc(en->keylen)) == NULL)
			return -1;
		memcpy(st->certid, entry_key(en), en->keylen);
		st->certid_len = en->keylen;
	}
	(*n)++;
	return 0;
}

/*
 * Serials (and kept answers) that expire within the refresh window, collected
 * under read locks held for COLLECT_BUCKETS buckets at a time: reading each
 * due answer's serial from its key (~0.5 us) must not hold a shard's writers
 * (issuance, status changes) for the whole shard when a million answers are due.
 */
#define COLLECT_BUCKETS 256
struct stale *
collect_stale(struct ca_publisher *pub, time_t limit, size_t *n)
{
	struct stale *v = NULL;
	size_t cap = 0;
	struct ocsp_entry *en;
	int i, b, b0, full = 0;

	*n = 0;
	for (i = 0; i < OCSP_SHARDS && !full; i++)
		for (b0 = 0; b0 < OCSP_BUCKETS_PER_SHARD && !full; b0 += COLLECT_BUCKETS) {
			pthread_rwlock_rdlock(&pub->shards[i].lock);
			for (b = b0; b < b0 + COLLECT_BUCKETS && b < OCSP_BUCKETS_PER_SHARD && !full; b++)
				for (en = pub->shards[i].buckets[b]; en != NULL && !full; en = en->next)
					if (stale_due(pub, en, limit) && stale_push(&v, n, &cap, en) != 0)
						full = 1;       /* no memory: this pass refreshes what it has */
			pthread_rwlock_unlock(&pub->shards[i].lock);
		}
	return v;
}

void
stale_free(struct stale *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].certid);
	free(v);
}

/*
 * See publish_int.h. An answer goes once its certificate has expired and the
 * answer itself is past its nextUpdate: maintenance no longer refreshes it
 * (stale_due) and cache_get no longer serves it, so it only held memory.
 */
size_t
cache_evict_expired(struct ca_publisher *pub, time_t now)
{
	struct ocsp_entry **pp, *dead;
	size_t n = 0;
	int i, b;

	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_wrlock(&pub->shards[i].lock);
		for (b = 0; b < OCSP_BUCKETS_PER_SHARD; b++)
			for (pp = &pub->shards[i].buckets[b]; *pp != NULL;) {
				dead = *pp;
				if (dead->cert_not_after == 0 || dead->cert_not_after >= now || dead->next_update > now) {
					pp = &dead->next;
					continue;
				}
				*pp = dead->next;
				kept_remove(&pub->shards[i], dead);
				entry_free(dead);
				n++;
			}
		pthread_rwlock_unlock(&pub->shards[i].lock);
	}
	atomic_fetch_add(&pub->expired_evicted, n);
	return n;
}

/* See publish_int.h: the kept answers of a serial, copied under its shard's read lock. */
size_t
cache_kept_keys(struct ca_publisher *pub, int issuer_idx, const char *serial, unsigned char keys[][OCSP_KEY_MAX],
    size_t *lens, size_t max)
{
	struct ocsp_entry *en;
	uint32_t slot;
	size_t n = 0;
	char canon[65];

	if (serial_canon(serial, &slot, canon) != 0)
		return 0;
	pthread_rwlock_rdlock(&shard_for(pub, slot)->lock);
	for (en = *bucket_for(pub, slot); en != NULL && n < max; en = en->next)
		if (en->kept && entry_is_serial(en, issuer_idx, slot, canon)) {
			memcpy(keys[n], entry_key(en), en->keylen);
			lens[n++] = en->keylen;
		}
	pthread_rwlock_unlock(&shard_for(pub, slot)->lock);
	return n;
}

size_t
cache_kept_count(struct ca_publisher *pub)
{
	size_t n = 0;
	int i;

	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_rdlock(&pub->shards[i].lock);
		n += (size_t)pub->shards[i].kept_n;
		pthread_rwlock_unlock(&pub->shards[i].lock);
	}
	return n;
}

int
cache_init(struct ca_publisher *pub)
{
	int i, max = pub->conf.ocsp_kept_max > 0 ? pub->conf.ocsp_kept_max : OCSP_KEPT_DEFAULT;
	int cap = max / OCSP_SHARDS > 0 ? max / OCSP_SHARDS : 1;
	int rc = 0;

	/* one calloc of 4 MB: mapped fresh and zero, its pages touched only as buckets fill */
	if ((pub->bucket_mem = calloc((size_t)OCSP_SHARDS * OCSP_BUCKETS_PER_SHARD, sizeof(*pub->bucket_mem))) == NULL)
		rc = -1;
	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_init(&pub->shards[i].lock, NULL);
		pub->shards[i].buckets = pub->bucket_mem != NULL ? pub->bucket_mem + (size_t)i * OCSP_BUCKETS_PER_SHARD : NULL;
		pub->shards[i].kept_cap = cap;
		if ((pub->shards[i].kept = calloc((size_t)cap, sizeof(*pub->shards[i].kept))) == NULL)
			rc = -1;
	}
	return rc;
}

void
cache_free_all(struct ca_publisher *pub)
{
	struct ocsp_entry *en, *next;
	int i, b;

	for (i = 0; i < OCSP_SHARDS; i++) {
		for (b = 0; pub->shards[i].buckets != NULL && b < OCSP_BUCKETS_PER_SHARD; b++)
			for (en = pub->shards[i].buckets[b]; en != NULL; en = next) {
				next = en->next;
				entry_free(en);
			}
		free(pub->shards[i].kept);
		pthread_rwlock_destroy(&pub->shards[i].lock);
	}
	free(pub->bucket_mem);
	pub->bucket_mem = NULL;
}
