/*
 * ca/ocsp_table.c — the in-memory table of OCSP answers (RFC 6960, RFC 5019)
 * that the hot path copies out: 64 shards x 1024 buckets, each shard behind
 * a rwlock (readers copy the answer out; inserts, refreshes and drops take
 * one shard's write lock). Keyed by the CertID's exact DER; placed by the serial
 * alone, so that every answer of a serial (any digest, any issuer) is in one
 * bucket and a status change drops them without scanning the table.
 * docs/REVOCATION.md.
 */
#include "ca/publish_int.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: the table only ever holds our own answers, so flooding it gains nothing. */
static uint32_t
fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

/* Where a serial's answers live: FNV-1a of its magnitude, leading zero octets skipped. */
static uint32_t
serial_slot(const unsigned char *p, size_t n)
{
	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	return fnv1a(p, n);
}

/*
 * The lookup key of a CertID: its exact DER (hash AlgorithmIdentifier with
 * its parameters, both hashes, the serial with its sign), so that an answer
 * is only ever served to requests naming the very CertID it echoes; *slot is
 * where the serial's answers live. -1 if it does not fit (slow path).
 */
int
certid_key(OCSP_CERTID *id, unsigned char key[OCSP_KEY_MAX], size_t *keylen, uint32_t *slot)
{
	ASN1_INTEGER *serial = NULL;
	unsigned char *p = key;
	int n = i2d_OCSP_CERTID(id, NULL);

	if (n <= 0 || n > OCSP_KEY_MAX || OCSP_id_get0_info(NULL, NULL, NULL, &serial, id) != 1 ||
	    serial == NULL || i2d_OCSP_CERTID(id, &p) != n) {
		ERR_clear_error();
		return -1;
	}
	*keylen = (size_t)n;
	*slot = serial_slot(ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial));
	return 0;
}

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

/* Copies the answer for key into *out (malloc'd). 1 found, 0 not. */
int
cache_get(struct ca_publisher *pub, const unsigned char *key, size_t keylen, uint32_t slot,
    struct ca_ocsp_reply *out, int *issuer_idx)
{
	uint32_t h = fnv1a(key, keylen);
	struct ocsp_shard *s = shard_for(pub, slot);
	struct ocsp_entry *en;
	time_t now = time(NULL);
	int found = 0;

	pthread_rwlock_rdlock(&s->lock);
	for (en = *bucket_for(pub, slot); en != NULL; en = en->next) {
		if (en->hash != h || en->keylen != keylen || memcmp(en->key, key, keylen) != 0)
			continue;
		if (en->next_update <= now || (out->der = malloc(en->len)) == NULL)
			break;
		memcpy(out->der, en->der, en->len);
		out->len = en->len;
		out->cacheable = 1;
		out->this_update = en->this_update;
		out->next_update = en->next_update;
		memcpy(out->etag, en->etag, sizeof(out->etag));
		*issuer_idx = en->issuer_idx;
		found = 1;
		break;
	}
	pthread_rwlock_unlock(&s->lock);
	return found;
}

/*
 * Inserts or replaces the entry with the same key; takes ownership of en.
 * An answer reflecting an older status event never replaces a newer one.
 */
void
cache_put(struct ca_publisher *pub, struct ocsp_entry *en)
{
	struct ocsp_shard *s;
	struct ocsp_entry **pp, *old = NULL;

	en->hash = fnv1a(en->key, en->keylen);
	s = shard_for(pub, en->slot);
	pthread_rwlock_wrlock(&s->lock);
	pp = bucket_for(pub, en->slot);
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == en->hash && (*pp)->keylen == en->keylen &&
		    memcmp((*pp)->key, en->key, en->keylen) == 0) {
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
	pthread_rwlock_unlock(&s->lock);
	free(old);
}

/* Unlinks the answers of (issuer, serial) from one chain (caller holds the shard's write lock). */
static void
drop_in_chain(struct ca_publisher *pub, struct ocsp_entry **pp, int issuer_idx, const char *serial)
{
	struct ocsp_entry *dead;

	while (*pp != NULL) {
		atomic_fetch_add(&pub->drop_visited, 1);
		if ((*pp)->issuer_idx == issuer_idx && strcmp((*pp)->serial, serial) == 0) {
			dead = *pp;
			*pp = dead->next;
			free(dead);
		} else
			pp = &(*pp)->next;
	}
}

/*
 * Removes every answer of (issuer, serial), whatever the digest: a stale
 * answer is never served. The serial's bucket alone is examined; only a
 * serial that is not hex (never ours) or no memory makes it scan them all.
 */
void
cache_drop_serial(struct ca_publisher *pub, int issuer_idx, const char *serial)
{
	unsigned char bin[64];
	BIGNUM *bn = NULL;
	size_t len = strlen(serial);
	uint32_t slot;
	int i, b, n = -1;

	/* the magnitude octets, as in the CertID of every answer of this serial */
	if (len > 0 && len <= 2 * sizeof(bin) && (size_t)BN_hex2bn(&bn, serial) == len)
		n = BN_bn2bin(bn, bin);
	BN_free(bn);
	if (n >= 0) {
		slot = serial_slot(bin, (size_t)n);
		pthread_rwlock_wrlock(&shard_for(pub, slot)->lock);
		drop_in_chain(pub, bucket_for(pub, slot), issuer_idx, serial);
		pthread_rwlock_unlock(&shard_for(pub, slot)->lock);
		return;
	}
	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_wrlock(&pub->shards[i].lock);
		for (b = 0; b < OCSP_BUCKETS_PER_SHARD; b++)
			drop_in_chain(pub, &pub->shards[i].buckets[b], issuer_idx, serial);
		pthread_rwlock_unlock(&pub->shards[i].lock);
	}
}

/* Builds an entry for (issuer, serial, md) from a signed answer. NULL on error. */
struct ocsp_entry *
entry_new(int issuer_idx, OCSP_CERTID *id, const char *serial, const char *md, const unsigned char *der,
    size_t len, time_t this_update, time_t next_update, const struct status_meta *meta)
{
	struct ocsp_entry *en;

	if ((en = calloc(1, sizeof(*en) + len)) == NULL)
		return NULL;
	if (certid_key(id, en->key, &en->keylen, &en->slot) != 0) {
		free(en);
		return NULL;
	}
	en->issuer_idx = issuer_idx;
	pechat_strlcpy(en->serial, serial, sizeof(en->serial));
	pechat_strlcpy(en->md, md, sizeof(en->md));
	en->this_update = this_update;
	en->next_update = next_update;
	if (meta != NULL) {
		en->event_id = meta->event_id;
		en->cert_not_after = meta->not_after;
	}
	make_etag(der, len, en->etag);
	en->len = len;
	memcpy(en->der, der, len);
	return en;
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

/* Serials whose answers expire within the refresh window (collected under read locks). */
struct stale *
collect_stale(struct ca_publisher *pub, time_t limit, size_t *n)
{
	struct stale *v = NULL, *grown;
	size_t cap = 0;
	struct ocsp_entry *en;
	int i, b;

	*n = 0;
	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_rdlock(&pub->shards[i].lock);
		for (b = 0; b < OCSP_BUCKETS_PER_SHARD; b++)
			for (en = pub->shards[i].buckets[b]; en != NULL; en = en->next) {
				if (en->next_update > limit || strcmp(en->md, presign_mds[0]) != 0 ||
				    (en->cert_not_after != 0 && en->cert_not_after < limit - pub->conf.ocsp_validity_s))
					continue;
				if (*n == cap) {
					cap = cap ? cap * 2 : 64;
					if ((grown = realloc(v, cap * sizeof(*v))) == NULL)
						break;
					v = grown;
				}
				v[*n].idx = en->issuer_idx;
				pechat_strlcpy(v[*n].serial, en->serial, sizeof(v[0].serial));
				(*n)++;
			}
		pthread_rwlock_unlock(&pub->shards[i].lock);
	}
	return v;
}

void
cache_init(struct ca_publisher *pub)
{
	int i;

	for (i = 0; i < OCSP_SHARDS; i++)
		pthread_rwlock_init(&pub->shards[i].lock, NULL);
}

void
cache_free_all(struct ca_publisher *pub)
{
	struct ocsp_entry *en, *next;
	int i, b;

	for (i = 0; i < OCSP_SHARDS; i++) {
		for (b = 0; b < OCSP_BUCKETS_PER_SHARD; b++)
			for (en = pub->shards[i].buckets[b]; en != NULL; en = next) {
				next = en->next;
				free(en);
			}
		pthread_rwlock_destroy(&pub->shards[i].lock);
	}
}
