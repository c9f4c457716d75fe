/*
 * ca/publish_int.h — private to the publisher (ca/publish.c, ca/ocsp_table.c, ca/ocsp_entry.c,
 * ca/ocsp_answer.c, ca/ocsp_warm.c, ca/ocsp_owed.c, ca/crl_sched.c) and its unit tests: the publisher's
 * state and the functions its parts share. docs/REVOCATION.md ("Serving and
 * scheduling") describes the behaviour; docs/ARCHITECTURE.md the locking.
 */
#ifndef PECHAT_CA_PUBLISH_INT_H
#define PECHAT_CA_PUBLISH_INT_H

#include <openssl/ocsp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ca/ca_int.h"
#include "ca/ca_status.h"

#define OCSP_SHARDS 64
#define OCSP_BUCKETS_PER_SHARD 8192  /* 524,288 buckets: chains of ~4 with 1,000,000 certificates (2 answers each) */
#define OCSP_KEY_MAX 256        /* CertID DER: 512-bit hashes with a 64-octet serial fit (fits keylen) */
#define MAINTAIN_EVERY_S 60
#define CRL_RETRY_S 10
#define MAINT_SLICE_ANSWERS 64          /* default ca_publish_conf.maint_slice_answers */
#define MAINT_SLICE_MS 50               /* default ca_publish_conf.maint_slice_ms */
#define N_PRESIGN_MDS 2
#define OCSP_KEPT_DEFAULT 16384         /* default ca_publish_conf.ocsp_kept_max */
#define WARM_THREADS_MAX 4              /* warm-up threads: one per core, at most this many */
#define OCSP_KEPT_RESIGN_MAX 8          /* kept answers of one serial re-signed at a status change */
#define OWED_MAX 65536                  /* serials owed at most; over it a status change signs in place */
#define OWED_BATCH 64                   /* serials the re-signer signs per batch (one store transaction) */
#define OWED_NICE 10                    /* the re-signer thread's nice value (request threads: 0) */

/*
 * The CertID digests answers are pre-signed for: what clients send in
 * practice. ECDSA and RSA issuers: SHA-1 and SHA-256; GOST issuers: SHA-1
 * and Streebog-256 (RFC 9215 relying parties hash with Streebog).
 */
extern const char *const presign_mds[N_PRESIGN_MDS];
extern const char *const presign_mds_gost[N_PRESIGN_MDS];

/* What an answer was signed from: the status event it reflects and the certificate's end. */
struct status_meta {
	int64_t event_id;       /* last revocation event of the serial, 0 for none */
	time_t not_after;       /* certificate notAfter, 0 when never issued */
};

/*
 * The tail every answer of one responder ends with: BasicOCSPResponse's
 * `certs` field ([0] EXPLICIT SEQUENCE OF Certificate, the responder's
 * certificate; RFC 6960 §4.2.1), about 550 octets. Kept once per responder
 * and shared (reference-counted) by the answers it signed.
 */
struct ocsp_tail {
	atomic_int refs;
	size_t len;
	unsigned char der[];
};

/*
 * One answer. Its key (the CertID's DER) and the answer's own DER follow
 * the fields in one allocation: no fixed-size key buffer; the responder's
 * certificate at the end of the DER is the shared tail (docs/PERFORMANCE.md, "Memory").
 */
struct ocsp_entry {
	struct ocsp_entry *next;
	struct ocsp_tail *tail;         /* the DER's last tail->len octets (a reference), NULL: none */
	time_t this_update;
	time_t next_update;
	int64_t event_id;               /* the status event this answer reflects */
	time_t cert_not_after;          /* not refreshed once the certificate has expired */
	uint64_t fingerprint;           /* ca_der_fingerprint of the answer */
	uint32_t hash;                  /* of the whole key: a quick compare */
	uint32_t slot;                  /* of the serial alone: its shard and bucket */
	uint32_t len;                   /* of the whole answer's DER (its own octets + the tail's) */
	int32_t kept_slot;              /* a kept answer's place in its shard's ring, -1: none */
	int32_t issuer_idx;
	uint16_t keylen;                /* <= OCSP_KEY_MAX */
	uint16_t key_off;               /* where the key is in data: inside the answer (its echoed
	                                 * CertID), or after it when not found there */
	unsigned char kept;             /* signed on demand for a CertID outside the pre-signed set */
	atomic_uchar used;              /* a kept answer served since the ring's hand last passed it */
	unsigned char md_idx;           /* the CertID's digest: its index in ocsp_entry.c's md_names (entry_md) */
	unsigned char data[];           /* the answer's own DER, then the key unless the DER holds it */
};

/*
 * An entry's serial in ca_serial_hex form (buf of 65), read from its key (the
 * CertID, parsed by OpenSSL; ocsp_entry.c): not stored, ~33-41 octets less per answer. 0, or -1
 * (a serial that is not ours: zero, negative, too long).
 */
int entry_serial(const struct ocsp_entry *en, char buf[65]);
/* An entry's CertID digest name (one of ocsp_entry.c's static names). */
const char *entry_md(const struct ocsp_entry *en);

/* An entry's lookup key (the CertID DER, keylen octets). */
static inline const unsigned char *
entry_key(const struct ocsp_entry *en)
{
	return en->data + en->key_off;
}

/* Copies an entry's whole signed answer (en->len octets) into dst. */
static inline void
entry_copy_der(const struct ocsp_entry *en, unsigned char *dst)
{
	size_t tl = en->tail != NULL ? en->tail->len : 0;

	memcpy(dst, en->data, en->len - tl);
	if (tl > 0)
		memcpy(dst + en->len - tl, en->tail->der, tl);
}

/*
 * A shard: its buckets, and the ring of its kept answers (at most kept_cap;
 * CLOCK eviction: the hand skips, once, an answer served since it last
 * passed). Pre-signed answers are never in the ring and never evicted.
 * The buckets (OCSP_BUCKETS_PER_SHARD each) are a slice of one zeroed
 * allocation of all shards' (pub->bucket_mem): pages of empty buckets are
 * never touched, so an empty table costs no memory.
 */
struct ocsp_shard {
	pthread_rwlock_t lock;
	struct ocsp_entry **buckets;
	struct ocsp_entry **kept;
	int kept_cap, kept_n, hand;
};

struct pub_blob {
	atomic_int refs;
	struct ca_blob blob;
};

struct pub_issuer {
	char name[64];
	const char *const *presign;     /* its N_PRESIGN_MDS pre-signed CertID digests */
	pthread_rwlock_t resp_lock;
	struct ca_responder *responder;
	struct ocsp_tail *tail;         /* the responder's certificate as its answers end (under resp_lock) */
	pthread_mutex_t crl_lock;
	struct pub_blob *full;
	struct pub_blob *delta;
	int64_t base_number;            /* full CRL the deltas are relative to (0: none yet) */
	int64_t base_mark;
	time_t base_this_update;
	int dirty;                      /* guarded by the publisher mutex */
	time_t retry_at;                /* after a failed regeneration: not before this */
	int64_t stored_mark;            /* start-up: lowest event mark of the latest stored full and delta
	                                 * CRLs (-1: one is missing) */
	int64_t full_number;            /* number of the full CRL served (an offline root: the newest imported) */
	int64_t stale_warned;           /* an offline root: the CRL number whose passed nextUpdate was logged */
	pthread_mutex_t rl_lock;
	double tokens;
	struct timespec rl_last;
};

struct ca_publisher {
	struct ca *ca;
	struct ca_publish_conf conf;
	struct ca_ocsp_ids *ids;
	struct pub_issuer *issuers;
	int n_issuers;
	struct ocsp_shard shards[OCSP_SHARDS];
	struct ocsp_entry **bucket_mem;         /* every shard's buckets (cache_init), owned */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int thread_started;
	int stop;
	int64_t dirty_deadline_ms;      /* now_ms() (monotonic) of the coalesced regeneration, 0: nothing pending */
	int64_t dirty_since_ms;         /* now_ms() of the first change not yet in a CRL, 0: none */
	atomic_uint_fast64_t hits, on_demand, try_later, crls;
	int maint_requested;            /* guarded by lock: a maintenance pass at the next wake-up */
	int keys_changed;               /* guarded by lock: a token came or went (ca_publisher_keys_changed) */
	struct stale *maint_q;          /* the thread's: serials of the pass under way ... */
	size_t maint_n, maint_pos;      /* ... how many, and the next one (maint_pos == maint_n: none) */
	int64_t maint_started_ms;
	/* for tests and monitoring: work done by drops and maintenance */
	atomic_uint_fast64_t drop_visited;      /* table entries examined by cache_drop_serial */
	atomic_uint_fast64_t maint_queued;      /* serials found due by maintenance passes */
	atomic_uint_fast64_t maint_refreshed;   /* serials re-signed by maintenance */
	atomic_uint_fast64_t maint_slices;      /* maintenance slices run */
	atomic_uint_fast64_t maint_slice_max;   /* most serials re-signed in one slice */
	atomic_uint_fast64_t maint_at_crl;      /* maint_refreshed when the last CRL pair was published */
	atomic_uint_fast64_t kept_evicted;      /* kept answers evicted to make room */
	atomic_uint_fast64_t expired_evicted;   /* answers of expired certificates evicted by maintenance */
	/* warm-up (ca/ocsp_warm.c): stored answers loaded and missing ones signed after start */
	pthread_t warm_threads[WARM_THREADS_MAX];
	int warm_n;                             /* threads started: each pre-signs its share of the serials */
	struct warm_arg *warm_args;             /* theirs (ocsp_warm.c) */
	atomic_int warm_left;                   /* threads not finished yet */
	atomic_int warm_failed;                 /* one stopped on an error: the warm-up is not done */
	atomic_int warm_loaded_flag;            /* the stored answers are in memory: pre-signing may begin */
	int64_t warm_t0;                        /* now_ms() at the warm-up's start */
	int64_t warm_cpu0;                      /* cpu_us() (the whole process) at the warm-up's start */
	atomic_int warm_stop;                   /* ca_publisher_stop: leave the warm-up */
	atomic_int warm_done;                   /* every certificate's answers in memory (or left to the slow path) */
	atomic_uint_fast64_t warm_loaded;       /* answers loaded from the store by the warm-up */
	atomic_uint_fast64_t warm_signed;       /* certificates pre-signed by the warm-up */
	atomic_uint_fast64_t stored_hits;       /* misses during warm-up answered from a stored answer */
	/* answers waiting to be stored in ocsp_cache (ca/ocsp_warm.c): one transaction per batch */
	pthread_mutex_t wq_lock;
	pthread_mutex_t flush_lock;             /* one batch written at a time: our writers never wait on each other */
	struct store_row **wq;
	size_t wq_n, wq_cap;
	int64_t wq_deadline_ms;                 /* guarded by lock (the publisher's): flush due, 0: none */
	atomic_uint_fast64_t wq_dropped;        /* rows not queued (queue full or no memory): re-signed at next start */
	atomic_uint_fast64_t wq_stored;         /* rows written */
	/* answers owed after a status change, signed by the re-signer (ca/ocsp_owed.c) */
	pthread_mutex_t owed_lock;
	pthread_cond_t owed_cond;               /* an owed serial queued, or stop */
	struct owed **owed_buckets;             /* OWED_BUCKETS hash chains of (issuer, serial), owned */
	struct owed *owed_head, *owed_tail;     /* the same marks, oldest first */
	size_t owed_cap;                        /* owed serials at most (OWED_MAX; tests lower it) */
	pthread_t owed_thread;
	int owed_init, owed_started, owed_stop; /* owed_stop guarded by owed_lock */
	atomic_int owed_stop_flag;              /* the same, read by the re-signer between two serials */
	atomic_size_t owed_n;                   /* serials owed now */
	atomic_uint_fast64_t owed_total;        /* status changes recorded as owed */
	atomic_uint_fast64_t owed_resigned;     /* owed serials signed by the re-signer */
	atomic_uint_fast64_t owed_on_demand;    /* owed serials signed by an OCSP request that missed */
	atomic_uint_fast64_t owed_inline;       /* status changes signed in place (the owed set full) */
};

/* A pre-signed answer waiting for its ocsp_cache row (the DER follows). */
struct store_row {
	int idx;
	char serial[65];
	char md[16];
	time_t next_update;
	int64_t event_id;               /* stored only while the serial's last event is still this one */
	size_t len;
	unsigned char der[];
};

#define STORE_QUEUE_MAX 65536           /* rows waiting at most; more are dropped (a cache) */
#define STORE_BATCH 1024                /* the warm-up writes its rows by this many */
#define STORE_DELAY_MS 100              /* a queued row is written within about this */

/* A serial whose answers are due for a refresh: all pre-signed ones, or one kept answer. */
struct stale {
	int idx;
	char serial[65];
	unsigned char *certid;          /* a kept answer's CertID DER (malloc'd), NULL: the pre-signed set */
	size_t certid_len;
};

/* ------------------------------------------------------------ publish.c */

/* Monotonic milliseconds (CLOCK_MONOTONIC): the thread's waits, debounce and slice budgets. */
int64_t now_ms(void);
/* Wall-clock milliseconds (CLOCK_REALTIME): only for what goes into a CRL (the cRLNumber floor). */
int64_t wall_ms(void);
/* The now_ms() reading at which the CA's clock reads `when` (now_ms() when it has passed). */
int64_t mono_at(const struct ca_publisher *pub, time_t when);
/* The publisher's slot of an issuer (and its index), or NULL (operators CA, unknown). */
struct pub_issuer *pub_issuer_find(struct ca_publisher *pub, const char *name, int *idx);

/* Asks the thread for a maintenance pass now (tests; the schedule: maintain_every_s). */
void publisher_maintain_now(struct ca_publisher *pub);
/* Seconds between two maintenance passes: 60, or a quarter of ocsp_refresh_before_s when shorter (>= 1). */
int maintain_every_s(const struct ca_publisher *pub);

/* ------------------------------------------------------------ ocsp_entry.c */

/* The lookup key of a CertID (its exact DER) and its serial's slot. 0, or -1: slow path. */
int certid_key(OCSP_CERTID *id, unsigned char key[OCSP_KEY_MAX], size_t *keylen, uint32_t *slot);
/* The hash of a lookup key (a CertID's DER) that table entries carry. */
uint32_t ocsp_key_hash(const unsigned char *p, size_t n);
/*
 * A serial given in hex (either case, any leading zeros): its slot (the
 * magnitude octets, as in its CertIDs) and its ca_serial_hex form, which
 * entry_serial gives for the entries of that serial. 0, or -1 if it is not
 * a positive hex serial of at most 64 octets.
 */
int serial_canon(const char *serial, uint32_t *slot, char canon[65]);
/*
 * A table entry for (issuer, id) from a signed answer (meta may be
 * NULL); an answer ending with the issuer's current tail keeps only its own
 * octets and a reference to it. NULL on error.
 */
struct ocsp_entry *entry_new(struct ca_publisher *pub, int issuer_idx, OCSP_CERTID *id, const char *md,
    const unsigned char *der, size_t len, time_t this_update, time_t next_update,
    const struct status_meta *meta);
/* Frees an entry and drops its tail reference. NULL-safe. */
void entry_free(struct ocsp_entry *en);
/* Octets an entry holds of its own (fields, key, answer without the shared tail). */
size_t entry_bytes(const struct ocsp_entry *en);
/* The tail of the answers a responder certificate signs (refs 1). NULL on error. */
struct ocsp_tail *tail_new(X509 *cert);
/* Drops one reference to a tail; frees it at zero. NULL-safe. */
void tail_unref(struct ocsp_tail *t);

/* ------------------------------------------------------------ ocsp_table.c */

/* Copies the fresh answer for key into *out (malloc'd). 1 found, 0 not. */
int cache_get(struct ca_publisher *pub, const unsigned char *key, size_t keylen, uint32_t slot,
    struct ca_ocsp_reply *out, int *issuer_idx);
/* Inserts or replaces (never by an answer of an older event); takes ownership of en. */
void cache_put(struct ca_publisher *pub, struct ocsp_entry *en);
/*
 * Removes every answer of (issuer, serial), whatever the digest: only the
 * serial's bucket is examined. Returns the notAfter of the certificate they
 * answered for (0: none dropped, or a serial we never issued).
 */
time_t cache_drop_serial(struct ca_publisher *pub, int issuer_idx, const char *serial);
/* 1 if memory holds a fresh answer for (issuer idx, serial, md). */
int cache_has(struct ca_publisher *pub, int idx, const char *serial, const char *md);
/* Serials whose answers expire before limit (malloc'd array of *n; stale_free). */
struct stale *collect_stale(struct ca_publisher *pub, time_t limit, size_t *n);
/* Removes the answers of expired certificates that are past their nextUpdate; how many. */
size_t cache_evict_expired(struct ca_publisher *pub, time_t now);
/* Frees what collect_stale returned. NULL-safe. */
void stale_free(struct stale *v, size_t n);
/*
 * Copies the CertID DER of up to max kept answers of (issuer, serial) into
 * keys[i] / lens[i]; returns how many.
 */
size_t cache_kept_keys(struct ca_publisher *pub, int issuer_idx, const char *serial,
    unsigned char keys[][OCSP_KEY_MAX], size_t *lens, size_t max);
/* Kept answers in the table (tests and the memory note: walks every ring under its read lock). */
size_t cache_kept_count(struct ca_publisher *pub);
/* Initialises the shard locks and kept rings (ocsp_kept_max split over the shards). 0 or -1. */
int cache_init(struct ca_publisher *pub);
/* Frees every entry and the shard locks. */
void cache_free_all(struct ca_publisher *pub);

/* ------------------------------------------------------------ ocsp_answer.c */

/* The issuer's pre-signed digests: presign_mds_gost for a GOST R 34.10-2012 key, else presign_mds. */
const char *const *presign_set_for(const struct ca_issuer *is);
/* Re-signs one kept answer (its exact CertID) from the serial's current status, into memory only. */
enum pechat_err kept_resign(struct ca_publisher *pub, struct db *db, int idx, const char *serial,
    const unsigned char *certid, size_t certid_len, struct pechat_error *e);
/*
 * Pre-signs all digests of one serial from its current status; stores and
 * caches them. not_after: the notAfter of the serial's certificate, known
 * to be of this issuer (the warm-up's walk, the answers a status change
 * dropped), so that it is not read again; 0: read from the store.
 */
enum pechat_err presign_serial(struct ca_publisher *pub, struct db *db, int idx, const char *serial,
    time_t not_after, struct pechat_error *e);
/* 1 if md (a digest name) is one of the issuer's pre-signed digests. */
int is_presigned_md(const struct pub_issuer *pi, const char *md);

/* ------------------------------------------------------------ ocsp_warm.c */

/* Starts the warm-up thread (stored answers loaded, missing ones signed); pechatd is ready meanwhile. */
enum pechat_err warm_start(struct ca_publisher *pub, struct pechat_error *e);
/* Stops the warm-up thread (where it is) and joins it. NULL-safe, idempotent. */
void warm_join(struct ca_publisher *pub);
/* Waits up to timeout_ms for the warm-up to end: 1 done, 0 not yet (tests, the bench). */
int ca_publisher_warm_wait(struct ca_publisher *pub, int timeout_ms);
/* Test seam: while nonzero, the warm-up thread waits before doing anything. */
extern atomic_int warm_test_hold;
/*
 * Queues the ocsp_cache rows of answers of serial (ca_serial_hex form) just
 * put in memory (written later in one transaction; a full queue drops them:
 * they are re-signed at the next start).
 */
void store_queue(struct ca_publisher *pub, const char *serial, struct ocsp_entry *const *entries, size_t n);
/* Writes every queued row in one transaction (a row whose serial's status moved on is skipped). */
void store_flush(struct ca_publisher *pub, struct db *db);
/*
 * The stored answer for a pre-signed CertID during warm-up (a read, no
 * signature): into *out and memory when one is fresh. 1 served, 0 not.
 */
int stored_answer(struct ca_publisher *pub, struct db *db, OCSP_CERTID *id, struct ca_ocsp_reply *out);
/* 1 if en's CertID is exactly the one pre-signing makes for (issuer idx, serial, md). */
int is_presign_key(struct ca_publisher *pub, int idx, const char *serial, const char *md,
    const struct ocsp_entry *en);
/* The name of a CertID's hash (EVP_MD_get0_name), NULL when OpenSSL does not know it. */
const char *certid_md_name(OCSP_CERTID *id);

/* ------------------------------------------------------------ ocsp_owed.c */

/*
 * Records the answers of (issuer idx, serial) as owed (their stale ones
 * already dropped), with the kept CertIDs the drop took (keys[i], lens[i]),
 * and wakes the re-signer. 1 owed; 0 the set is full (or no memory): the
 * caller signs in place.
 */
int owed_add(struct ca_publisher *pub, int idx, const char *serial, time_t not_after,
    unsigned char keys[][OCSP_KEY_MAX], const size_t *lens, size_t n);
/*
 * An OCSP request missed on (idx, serial): when owed, its answers are signed
 * now (no rate-limit token) and put in the table. 1 signed, 0 not owed.
 */
int owed_sign_now(struct ca_publisher *pub, struct db *db, int idx, const char *serial);
/* Initialises the owed set and starts the re-signer thread. */
enum pechat_err owed_start(struct ca_publisher *pub, struct pechat_error *e);
/* Stops the re-signer (after the serial it signs) and frees the marks left. Idempotent. */
void owed_stop(struct ca_publisher *pub);
/* Waits up to timeout_ms until nothing is owed: 1 drained, 0 not yet (tests). */
int ca_publisher_owed_wait(struct ca_publisher *pub, int timeout_ms);
/* OCSP signatures made by the calling thread (sign_with counts them; tests). */
extern _Thread_local uint64_t ocsp_signed_here;
/*
 * Test seam: called by the re-signer for each owed serial, before it reads
 * the status (stage 0) and after it signed, before it clears the mark
 * (stage 1). NULL: none.
 */
extern void (*owed_test_hook)(struct ca_publisher *pub, int idx, const char *serial, int stage);

/* ------------------------------------------------------------ crl_sched.c */

/* Drops one reference to a CRL blob; frees it at zero. NULL-safe. */
void blob_unref(struct pub_blob *b);
/* Full then delta CRL of one issuer at its current event mark: signed, stored, swapped in. */
enum pechat_err crl_regenerate(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi,
    struct pechat_error *e);
/* The latest stored CRLs and the delta base of an issuer, into memory. */
enum pechat_err crl_load(struct db *db, struct pub_issuer *pi, struct pechat_error *e);
/*
 * Start-up: *behind = 1 when the issuer has revocation events newer than the
 * latest stored full or delta CRL (a stop between a status change and its CRL).
 */
enum pechat_err crl_behind(struct db *db, struct pub_issuer *pi, int *behind, struct pechat_error *e);
/* An offline root: serves the newest imported CRL when newer; logs once a CRL past its nextUpdate. */
void crl_offline_reload(struct ca_publisher *pub, struct db *db, struct pub_issuer *pi);
/* Stop: regenerates the CRLs of every dirty issuer now (failures logged). */
void crl_flush_dirty(struct ca_publisher *pub, struct db *db);
/* When the issuer's CRLs are next due on schedule (0: now). */
time_t crl_due(struct ca_publisher *pub, struct pub_issuer *pi);
/* Regenerates due CRLs; `dirty` issuers are due now. */
void publish_due(struct ca_publisher *pub, struct db *db, const int *dirty);
/* Debounces CRL regeneration after a change (caller holds pub->lock). */
void crl_schedule(struct ca_publisher *pub);

#endif
