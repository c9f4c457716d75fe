/*
 * db/ — the store: SQLite in WAL mode, versioned migrations, one function per
 * query, a transaction runner that retries SQLITE_BUSY.
 *
 * Threading: a `struct db` is one connection with its own prepared-statement
 * cache; it is NOT thread-safe. Each worker thread opens its own (web/ keeps
 * one per thread). Every function below borrows its arguments; rows returned
 * through `out` parameters are owned by the caller and freed with the
 * matching `_free` (NULL-safe).
 *
 * Results: PECHAT_OK; PECHAT_E_NOT_FOUND (0 rows); PECHAT_E_CONFLICT (a
 * UNIQUE constraint: duplicate serial, idempotency key, name...);
 * PECHAT_E_BUSY (SQLITE_BUSY/LOCKED: soft, retried by db_txn_run);
 * PECHAT_E_UNAVAILABLE / PECHAT_E_INTERNAL (hard). Append-only tables
 * (certificates, serials, audit) refuse UPDATE and DELETE by trigger.
 */
#ifndef PECHAT_DB_H
#define PECHAT_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/common.h"
#include "common/profile.h"

struct db;

/* Schema version this binary writes; a store with a higher one is refused. */
int db_schema_version_supported(void);

/*
 * Opens (creating if needed) the store at `path` (":memory:" for tests),
 * sets WAL, foreign keys and a busy timeout, and applies pending migrations
 * in one transaction each. Refuses (PECHAT_E_UNAVAILABLE, code
 * "store_too_new") a store whose schema is newer than this binary.
 * With create == 0 a missing file is PECHAT_E_NOT_FOUND ("store_missing").
 */
enum pechat_err db_open(const char *path, int create, struct db **out, struct pechat_error *e);

/* The linked SQLite library's version (sqlite3_libversion), for --version. */
const char *db_sqlite_version(void);
void db_close(struct db *db);

/*
 * Readies db to change hands (another thread's next request): resets every
 * cached statement (a finished or abandoned SELECT keeps no read snapshot).
 * 1 when db is then idle — no transaction open — and may be used again;
 * 0 when it is not (the caller closes it).
 */
int db_idle(struct db *db);

/* Current schema version of an open store. */
int db_schema_version(struct db *db);

/* A cheap liveness query ("SELECT 1" on the connection). */
enum pechat_err db_ping(struct db *db, struct pechat_error *e);

/*
 * Runs fn inside BEGIN IMMEDIATE ... COMMIT. If fn returns non-OK the
 * transaction is rolled back and fn's error returned. SQLITE_BUSY at
 * BEGIN/COMMIT or from fn (PECHAT_E_BUSY) rolls back and retries fn with
 * backoff, up to a bounded number of attempts; then PECHAT_E_BUSY
 * ("store_busy"). fn must therefore be safe to re-run (no side effects
 * outside the store). Nested calls are not allowed.
 */
typedef enum pechat_err (*db_txn_fn)(struct db *db, void *arg, struct pechat_error *e);
enum pechat_err db_txn_run(struct db *db, db_txn_fn fn, void *arg, struct pechat_error *e);

/*
 * Group commit (db/writer.c). db_writer_start opens the store's single
 * writer on `path`: its own connection and thread (pechatd starts it before
 * anything else opens the store; not for ":memory:"). From then on
 * db_txn_run on every connection later opened on the same path string
 * queues {fn, arg} for the writer and waits: the writer takes all that is
 * queued, runs each job in its own SAVEPOINT of one BEGIN IMMEDIATE
 * transaction and COMMITs once (one fsync), then returns to each caller its
 * own result. A job that fails is rolled back alone (its error to its
 * caller, the others go on); a failed COMMIT fails every job of the batch;
 * SQLITE_BUSY from another process re-runs the batch with a bounded backoff
 * (then PECHAT_E_BUSY "store_busy"). Without a writer (CLI, unit tests)
 * db_txn_run runs on the caller's connection as described above.
 *
 * The contract of a db_txn_fn, with or without the writer: it may run on
 * ANOTHER thread and ANOTHER connection than its caller's, beside other
 * callers' jobs in the same transaction; so it uses only the `db` it is
 * given (never a connection it captured), touches no thread-local state,
 * may be re-run (no side effect outside the store and *arg), never calls
 * db_txn_run, and writes only *arg and e. Once db_txn_run returns OK, the
 * data is on disk and visible to the caller's connection (WAL; the caller
 * holds no read transaction open across the call).
 *
 * db_writer_stop drains the queue, stops the thread and closes its
 * connection; later db_txn_run calls run on their own connection again.
 * db_writer_stats: jobs queued now, batches committed and jobs run so far.
 * Checkpoints run on the writer's second thread and connection, never in a
 * commit: once the WAL holds 1,000 frames, a PASSIVE checkpoint;
 * db_writer_checkpoints counts those run so far. After each, the writer
 * finishes it between two batches (RESTART, waiting at most 10 ms for
 * readers), so that the WAL starts over under continuous load.
 */
enum pechat_err db_writer_start(const char *path, struct pechat_error *e);
void db_writer_stop(void);
void db_writer_stats(int *pending, int64_t *batches, int64_t *jobs);
int64_t db_writer_checkpoints(void);

/*
 * Every store connection opens its files through the "pechat" VFS (db/vfs.c):
 * the platform's, with the write-ahead log's consecutive appends handed on
 * as one write before the log is synced or read. db_vfs_wal_writes: the
 * WAL writes SQLite asked for and the writes made, since the start.
 */
void db_vfs_wal_writes(long long *asked, long long *made);

/* ----------------------------------------------------------------- issuers */

/* kind: "root", "issuing" or "operators" (the CA for API client/server certs). */
struct db_issuer {
	int64_t id;
	char name[64];
	char kind[16];
	char parent[64];        /* "" for a self-signed root */
	char key_ref[512];      /* where hsm/ finds the key: "file:/path", "pkcs11:..." */
	unsigned char *cert_der;
	size_t cert_len;
	time_t created_at;
};
void db_issuer_free_fields(struct db_issuer *row);

/* Inserts a new issuer; CONFLICT if the name exists. Rows are never edited. */
enum pechat_err db_issuer_insert(struct db *db, const struct db_issuer *row, struct pechat_error *e);
enum pechat_err db_issuer_get(struct db *db, const char *name, struct db_issuer *out, struct pechat_error *e);
/* Count of issuers (0 means "not initialised"). */
enum pechat_err db_issuer_count(struct db *db, int *count, struct pechat_error *e);

/*
 * Issuer generations (issuer_successions, append-only): `successor` takes
 * over new requests from `predecessor`. CONFLICT "issuer_not_newest" when
 * predecessor already has a successor or successor already succeeds one.
 */
enum pechat_err db_issuer_succession_insert(struct db *db, const char *predecessor, const char *successor,
    time_t created_at, const char *actor, struct pechat_error *e);
/* The successor of `name` into out; NOT_FOUND when it has none (it is the newest generation). */
enum pechat_err db_issuer_successor(struct db *db, const char *name, char *out, size_t outsz, struct pechat_error *e);
/* The issuer `name` succeeds into out; NOT_FOUND when none (a first generation). */
enum pechat_err db_issuer_predecessor(struct db *db, const char *name, char *out, size_t outsz,
    struct pechat_error *e);

/* ----------------------------------------------------------------- serials */

/*
 * Reserves `serial_hex` (upper-case hex, no leading "00" pad) for `issuer`
 * (ca/build.c: in the transaction that stores the certificate carrying it).
 * CONFLICT if it was ever reserved. A reserved serial is never released or
 * reused.
 */
enum pechat_err db_serial_reserve(struct db *db, const char *issuer, const char *serial_hex,
    time_t now, struct pechat_error *e);
/* OK if reserved, NOT_FOUND otherwise. */
enum pechat_err db_serial_exists(struct db *db, const char *serial_hex, struct pechat_error *e);

/* ------------------------------------------------------------ certificates */

struct db_cert {
	char serial[65];        /* upper-case hex */
	char issuer[64];
	char profile[64];
	char request_id[40];    /* "" when not issued from a request (CA, TLS, operator certs) */
	char subject_dn[1024];  /* RFC 2253 string, for display and search */
	char email[256];
	char fingerprint[65];   /* SHA-256 of the DER, lower-case hex */
	time_t not_before;
	time_t not_after;
	time_t created_at;
	unsigned char *der;
	size_t der_len;
};
void db_cert_free_fields(struct db_cert *row);

/* Inserts an issued certificate; the serial must be reserved. CONFLICT on duplicate. */
enum pechat_err db_cert_insert(struct db *db, const struct db_cert *row, struct pechat_error *e);
enum pechat_err db_cert_get(struct db *db, const char *serial_hex, struct db_cert *out, struct pechat_error *e);
/* The issuer name and notAfter of a certificate only (no DER: the OCSP status path). NOT_FOUND when none. */
enum pechat_err db_cert_issuer_expiry(struct db *db, const char *serial_hex, char *issuer, size_t issuer_sz,
    time_t *not_after, struct pechat_error *e);
enum pechat_err db_cert_by_fingerprint(struct db *db, const char *fingerprint, struct db_cert *out,
    struct pechat_error *e);
/*
 * Key hashes (certificate_keys; the hash is pechat_spki_sha256_hex's). The
 * issuance (ca/build.c) writes a certificate's row in the certificate's own
 * transaction; db_open backfills certificates stored before the table
 * existed (*added: how many).
 */
enum pechat_err db_cert_key_insert(struct db *db, const char *serial, const char *spki_sha256,
    struct pechat_error *e);
enum pechat_err db_cert_keys_backfill(struct db *db, int64_t *added, struct pechat_error *e);

/* Who a certificate of a key was issued to, for db_key_other_subject (never NULL members). */
struct db_key_owner {
	char subject_id[37];            /* registry subject; "" for an inline request */
	char representative_id[37];     /* a legal entity's representative; "" when none */
	char subject_dn[1024];          /* inline: the DN as certificates.subject_dn stores it */
};
/*
 * The CSR key checks, one indexed lookup each: OK with serial set when a
 * certificate of this key exists that was issued to another owner (registry:
 * another subject or representative; inline: a registry subject or another
 * DN), resp. that was revoked keyCompromise or cACompromise; NOT_FOUND when none.
 */
enum pechat_err db_key_other_subject(struct db *db, const char *spki_sha256, const struct db_key_owner *owner,
    char serial[65], struct pechat_error *e);
enum pechat_err db_key_compromised(struct db *db, const char *spki_sha256, char serial[65],
    struct pechat_error *e);
/* Number of certificate rows (tests: "nothing was written"). */
enum pechat_err db_cert_count(struct db *db, int64_t *count, struct pechat_error *e);

/* ---------------------------------------------------------------- requests */

/* One check run on a request's data (proof of possession, key policy, identifiers...). */
struct db_check {
	char name[48];
	int passed;
	char detail[160];
};

#define DB_MAX_CHECKS 24

/* States: "pending", "approved", "issued", "rejected", "failed". */
struct db_request {
	char id[40];            /* UUID (version 7) */
	char client[64];        /* operator/portal name that submitted it */
	char profile[64];
	char issuer[64];
	char state[16];
	char idem_key[129];     /* "" when the client sent no Idempotency-Key */
	char body_hash[65];     /* SHA-256 of the submitted body, for idempotency */
	char cert_serial[65];   /* "" until issued */
	char error_code[48];    /* "" unless rejected/failed */
	char error_detail[256];
	struct pechat_subject subject; /* request data, as submitted (owned) */
	char subject_id[37];           /* registry subject it was made from; "" for an inline subject */
	int64_t subject_version;       /* that subject's version (0 with an inline subject) */
	char representative_id[37];    /* a legal entity's representative; "" when none */
	int64_t representative_version; /* the representative's version the subject was composed from */
	int64_t poa_id;                 /* the power of attorney used; 0: a head acting without one */
	char sign_tool[PECHAT_SIGN_TOOL_BYTES]; /* qualified: the subjectSignTool the request named; "" none */
	int has_identification_kind;    /* qualified: 1 when identification_kind was recorded at submission */
	int identification_kind;        /* the method (0..3) of the owner's identity document verification */
	int nchecks;                   /* checks run at submission, stored with the request */
	struct db_check checks[DB_MAX_CHECKS];
	unsigned char *csr_der;        /* malloc'd: db_request_free_fields free()s it */
	size_t csr_len;
	time_t created_at;
	time_t updated_at;
	/*
	 * Not read from the store: the certificate (DER, malloc'd, freed with the
	 * fields) and its validity when the call that filled this row issued it
	 * (ra/'s issuance), so that its reply needs no read; NULL otherwise.
	 */
	unsigned char *cert_der;
	size_t cert_der_len;
	time_t cert_not_before, cert_not_after;
};
void db_request_free_fields(struct db_request *row);

/*
 * Inserts a request with its subject fields and check results (never edited). CONFLICT ("idempotency_key_taken")
 * if (client, idem_key) already exists: the caller then reads it back with
 * db_request_by_idem_key.
 */
enum pechat_err db_request_insert(struct db *db, const struct db_request *row, struct pechat_error *e);
enum pechat_err db_request_get(struct db *db, const char *id, struct db_request *out, struct pechat_error *e);
/* The registry subject and version a request was composed from (request_registry_subject) only:
 * *found 0 when none (or no such request). The certificate replies' owner. */
enum pechat_err db_request_registry_link(struct db *db, const char *request_id, char *subject_id,
    size_t subject_id_sz, int64_t *version, int *found, struct pechat_error *e);
enum pechat_err db_request_by_idem_key(struct db *db, const char *client, const char *idem_key,
    struct db_request *out, struct pechat_error *e);
/*
 * Moves a request to `state` (with cert_serial or error code/detail, any may
 * be NULL). Only forward moves are allowed: pending -> approved|rejected|
 * issued|failed, approved -> issued|failed; anything else is CONFLICT.
 */
enum pechat_err db_request_set_state(struct db *db, const char *id, const char *state,
    const char *cert_serial, const char *error_code, const char *error_detail, time_t now,
    struct pechat_error *e);
/*
 * Records why an approved request waits for issuance (its issuer's key
 * unavailable): error_code / error_detail set, the state unchanged.
 * CONFLICT "request_state_conflict" when it is no longer approved. Issuance
 * (db_request_set_state to issued) clears them.
 */
enum pechat_err db_request_set_waiting(struct db *db, const char *id, const char *error_code,
    const char *error_detail, time_t now, struct pechat_error *e);
enum pechat_err db_request_count(struct db *db, int64_t *count, struct pechat_error *e);

/* A page of the request list: filters are NULL when absent; after_id is the cursor. */
struct db_request_filter {
	const char *state;
	const char *profile;
	const char *client;     /* a portal's own requests only */
	const char *after_id;   /* the last id of the previous page (must exist), or NULL */
	int limit;              /* rows wanted, 1..DB_LIST_MAX */
};
#define DB_LIST_MAX 100

/*
 * The ids of the requests matching f in stable order (created_at, id), at
 * most f->limit + 1 (one more tells the caller a next page exists) into
 * ids; *n their number. INVALID ("cursor_invalid") if after_id names no request.
 */
enum pechat_err db_request_list(struct db *db, const struct db_request_filter *f,
    char ids[][40], int *n, struct pechat_error *e);

/* ------------------------------------------------------- request approvals */

struct db_approval {
	char operator_name[64];
	char client[65];        /* the officer's client-certificate fingerprint */
	time_t at;
};

/*
 * Records an officer's approval (never edited or deleted). CONFLICT
 * ("already_approved") when this officer already approved this request.
 */
enum pechat_err db_approval_insert(struct db *db, const char *request_id, const struct db_approval *a,
    struct pechat_error *e);
/* Number of distinct officers who approved the request. */
enum pechat_err db_approval_count(struct db *db, const char *request_id, int64_t *count,
    struct pechat_error *e);
/* Calls cb for each approval of the request in the order given; a non-zero cb stops. */
typedef int (*db_approval_cb)(void *arg, const struct db_approval *a);
enum pechat_err db_approval_each(struct db *db, const char *request_id, db_approval_cb cb, void *arg,
    struct pechat_error *e);

/* --------------------------------------------------- operators and portals */

/* Roles: "admin", "ra_officer", "auditor", "portal". */
struct db_operator {
	int64_t id;
	char name[64];
	char role[16];
	char fingerprint[65];   /* SHA-256 of the client certificate DER */
	int enabled;
	time_t created_at;
};

/* Inserts an operator; CONFLICT if name or fingerprint exists. */
enum pechat_err db_operator_insert(struct db *db, const struct db_operator *row, struct pechat_error *e);
enum pechat_err db_operator_by_name(struct db *db, const char *name, struct db_operator *out,
    struct pechat_error *e);
/*
 * What authenticating an API request reads, in one indexed lookup: the
 * operator whose client certificate has this fingerprint, and that
 * certificate's serial and notAfter from the certificates table (serial ""
 * and notAfter 0 when the store holds no such certificate). No DER is
 * read. NOT_FOUND "operator_unknown" when no operator has the fingerprint.
 */
enum pechat_err db_operator_auth(struct db *db, const char *fingerprint, struct db_operator *out,
    char serial[65], time_t *not_after, struct pechat_error *e);
/*
 * The store's auth epoch: a counter that triggers move in the same
 * transaction as any change that could alter what db_operator_auth and the
 * operator certificate's status events answer (operators inserted, updated
 * or deleted; a status event of a certificate an operator holds). Equal
 * epochs read before two lookups mean equal answers. INTERNAL when the
 * row is missing (a damaged store: the caller must not reuse anything).
 */
enum pechat_err db_auth_epoch(struct db *db, int64_t *epoch, struct pechat_error *e);
/* Enables/disables an operator (the one mutable flag; each change is audited by the caller). */
enum pechat_err db_operator_set_enabled(struct db *db, const char *name, int enabled,
    struct pechat_error *e);
/* Calls cb for every operator, in name order; cb returns non-zero to stop. */
typedef int (*db_operator_cb)(void *arg, const struct db_operator *op);
enum pechat_err db_operator_each(struct db *db, db_operator_cb cb, void *arg, struct pechat_error *e);

/* Calls cb for each certificate of `issuer` whose notAfter >= not_after_min
 * (serial, notAfter), in serial order; cb returns non-zero to stop. Read in
 * pages of DB_CERT_PAGE rows, the statement reset before cb runs: no read
 * transaction stays open across the callbacks (a walk of a million
 * certificates would otherwise keep the WAL from being checkpointed and
 * reset while cb's writes pile up in it); a certificate stored meanwhile
 * with a serial after the page is seen too. */
#define DB_CERT_PAGE 1024
typedef int (*db_cert_cb)(void *arg, const char *serial, time_t not_after);
enum pechat_err db_cert_each_of_issuer(struct db *db, const char *issuer, time_t not_after_min,
    db_cert_cb cb, void *arg, struct pechat_error *e);

/*
 * What a certificate is to the CA (db/roles.c), from the rows that name it:
 * an issuer whose certificate it is, a delegated OCSP responder, an
 * operator's client credential, the request it was issued for. Empty
 * strings / 0 for "none". cert is borrowed (der, serial, fingerprint,
 * request_id, issuer are read).
 */
struct db_cert_role {
	char issuer_name[64];           /* issuers row holding this certificate */
	char issuer_kind[16];           /* its kind: "root", "issuing", "operators" */
	char responder_of[64];          /* ocsp_responders row: the issuer it answers for */
	char operator_name[64];         /* operators row with this fingerprint */
	char operator_role[16];
	int issued_for_request;         /* a requests row names it as its certificate */
	char signer_kind[16];           /* kind of the issuer that signed it */
};
enum pechat_err db_cert_role(struct db *db, const struct db_cert *cert, struct db_cert_role *out,
    struct pechat_error *e);

/* ------------------------------------------------------------- revocation */

/*
 * Revocation events, append-only: kind "revoke" (final), "hold"
 * (reason certificateHold) or "release" (ends a hold). A certificate's
 * status is its last event: none or release = valid; hold = on hold;
 * revoke = revoked. Reasons use the RFC 5280 names of docs/REVOCATION.md.
 */
struct db_revocation {
	int64_t id;
	char serial[65];
	char issuer[64];
	char kind[8];
	char reason[32];         /* "" for release */
	time_t revoked_at;       /* time of the event */
	time_t invalidity_date;  /* 0 = none */
	char actor[64];
	char comment[256];
	time_t created_at;
};

/* Appends an event; *id (may be NULL) gets its id, which orders all events. */
enum pechat_err db_revocation_append(struct db *db, const struct db_revocation *ev, int64_t *id,
    struct pechat_error *e);
/* The last event of a serial with id <= mark (mark < 0: no bound). NOT_FOUND when none. */
enum pechat_err db_revocation_last(struct db *db, const char *serial, int64_t mark,
    struct db_revocation *out, struct pechat_error *e);
/* The revoke event of a serial (for revoked_at/reason after a hold), NOT_FOUND when none. */
enum pechat_err db_revocation_revoke_event(struct db *db, const char *serial, struct db_revocation *out,
    struct pechat_error *e);
/* Highest event id of an issuer (0 when none): the "mark" a CRL is built at. */
enum pechat_err db_revocation_mark(struct db *db, const char *issuer, int64_t *mark, struct pechat_error *e);
/* Highest event id of any serial (0 when none): ids only grow, so an unchanged one means no new event. */
enum pechat_err db_revocation_max_id(struct db *db, int64_t *id, struct pechat_error *e);

typedef int (*db_revocation_cb)(void *arg, const struct db_revocation *ev);
/*
 * For each serial of `issuer` with an event up to mark: cb(its last event with
 * id <= mark), in ascending order of the serials as numbers (shorter hex
 * first, then by text). The event has id, serial, issuer, kind, reason,
 * revoked_at and invalidity_date (not actor, comment, created_at): what a
 * CRL lists, read from one covering index (a million serials: one pass).
 */
enum pechat_err db_revocation_last_at(struct db *db, const char *issuer, int64_t mark,
    db_revocation_cb cb, void *arg, struct pechat_error *e);
/* For each serial of `issuer` with an event in (since, mark]: cb(its last event with id <= mark), same order. */
enum pechat_err db_revocation_changed(struct db *db, const char *issuer, int64_t since, int64_t mark,
    db_revocation_cb cb, void *arg, struct pechat_error *e);

/* ------------------------------------------------------------------- CRLs */

/* A published CRL; never edited. Full and delta CRLs share one number sequence per issuer. */
struct db_crl {
	char issuer[64];
	int64_t number;
	char kind[8];            /* "full" | "delta" */
	int64_t base_number;     /* delta: the full CRL it is relative to; -1 for full */
	int64_t event_mark;      /* revocation events up to this id are reflected */
	time_t this_update;
	time_t next_update;
	int entries;
	unsigned char *der;
	size_t der_len;
	time_t created_at;
};
void db_crl_free_fields(struct db_crl *row);

/* CONFLICT if (issuer, number) was ever published. */
enum pechat_err db_crl_insert(struct db *db, const struct db_crl *row, struct pechat_error *e);
/* Latest of a kind (highest number). NOT_FOUND when none. */
enum pechat_err db_crl_latest(struct db *db, const char *issuer, const char *kind, struct db_crl *out,
    struct pechat_error *e);
enum pechat_err db_crl_get(struct db *db, const char *issuer, int64_t number, struct db_crl *out,
    struct pechat_error *e);
/* Highest CRL number ever stored for issuer (0 when none). */
enum pechat_err db_crl_max_number(struct db *db, const char *issuer, int64_t *number, struct pechat_error *e);

/* ------------------------------------------------------ OCSP responders */

/* A delegated OCSP responder certificate (stored in certificates) and its key. */
struct db_responder {
	int64_t id;
	char issuer[64];
	char cert_serial[65];
	char key_ref[2048];     /* as long as an issuer's (a pkcs11: reference next to it) */
	time_t not_before;
	time_t not_after;
	time_t created_at;
};
enum pechat_err db_responder_insert(struct db *db, const struct db_responder *row, struct pechat_error *e);
/* The responder of `issuer` with the latest notAfter. NOT_FOUND when none. */
enum pechat_err db_responder_latest(struct db *db, const char *issuer, struct db_responder *out,
    struct pechat_error *e);
/* Up to max responders of `issuer` whose certificate expired at or before `now`, newest first, into out; *n of them. */
enum pechat_err db_responder_expired(struct db *db, const char *issuer, time_t now, struct db_responder *out,
    size_t max, size_t *n, struct pechat_error *e);

/* ------------------------------------------------- pre-signed OCSP answers */

/* Stores (replacing) the pre-signed answer for (issuer, serial, CertID digest name). */
enum pechat_err db_ocsp_cache_put(struct db *db, const char *issuer, const char *serial, const char *md,
    time_t next_update, const unsigned char *der, size_t len, struct pechat_error *e);
/* The stored answer of (issuer, serial, md): *der malloc'd (free). NOT_FOUND when none. */
enum pechat_err db_ocsp_cache_get(struct db *db, const char *issuer, const char *serial, const char *md,
    time_t *next_update, unsigned char **der, size_t *len, struct pechat_error *e);
/* Drops every stored answer of a serial (inside the status-change transaction:
 * a crash after it can never bring an old answer back), by the table's key:
 * answers are stored under the issuer of the serial's certificate. */
enum pechat_err db_ocsp_cache_drop(struct db *db, const char *serial, struct pechat_error *e);
typedef int (*db_ocsp_cache_cb)(void *arg, const char *issuer, const char *serial, const char *md,
    time_t next_update, const unsigned char *der, size_t len);
/* Calls cb for every stored answer whose nextUpdate > now. */
enum pechat_err db_ocsp_cache_load(struct db *db, time_t now, db_ocsp_cache_cb cb, void *arg,
    struct pechat_error *e);

/* ------------------------------------------------------- subject registry */

#define DB_SUBJECT_FIELDS 24
#define DB_SUBJECT_HEADS 8

/*
 * One version of a registry subject (docs/REGISTRATION.md). Fields are
 * (name, value) pairs as ra/ validated them; snils..name are the search keys
 * ra/ derived from them ("" when absent). Versions are never edited: a
 * change is a new row with the next number.
 */
struct db_subject {
	char id[37];
	char kind[16];          /* "individual", "sole_proprietor", "legal_entity" */
	char created_by[64];
	time_t created_at;
	int64_t version;
	char state[16];         /* "unverified", "verified", "blocked" */
	char change[16];        /* what made it: "create", "update", "verify", "block", "unblock" */
	char actor[64];         /* who made this version */
	time_t at;
	char reason[256];
	char snils[12], inn[13], innle[11], ogrn[14];
	char name[256];         /* surname + given name, or the organisation's full name */
	int nfields;
	char field[DB_SUBJECT_FIELDS][24];
	char *value[DB_SUBJECT_FIELDS];         /* malloc'd */
	int nheads;
	char head_id[DB_SUBJECT_HEADS][37];
	char head_title[DB_SUBJECT_HEADS][128];
};
void db_subject_free_fields(struct db_subject *row);

/* Inserts the subjects row (id, kind, created_by, created_at). CONFLICT on a duplicate id. */
enum pechat_err db_subject_insert(struct db *db, const struct db_subject *row, struct pechat_error *e);
/* Inserts version row->version with its fields and heads. CONFLICT if that version exists. */
enum pechat_err db_subject_version_insert(struct db *db, const struct db_subject *row, struct pechat_error *e);
/* Version `version` of subject id (0: the current one). NOT_FOUND "subject_unknown". */
enum pechat_err db_subject_get(struct db *db, const char *id, int64_t version, struct db_subject *out,
    struct pechat_error *e);
/*
 * Claims the identifier `claim` (e.g. "individual:snils:11223344595") for
 * subject_id. OK when it is free or already this subject's; CONFLICT
 * "subject_duplicate" when another subject holds it (*holder gets its id).
 * Claims are never released.
 */
enum pechat_err db_subject_claim(struct db *db, const char *claim, const char *subject_id, time_t at,
    char holder[37], struct pechat_error *e);

/* Search filter over current versions; NULL/"" members do not filter. */
struct db_subject_filter {
	const char *snils, *inn, *innle, *ogrn;
	const char *name_prefix;        /* byte prefix of db_subject.name */
	const char *state;
	const char *created_by;         /* a portal sees only its own */
	const char *after_id;           /* cursor: ids greater than this */
	int limit;
};
/* Ids of matching subjects in id order, at most f->limit (<= 501) into ids. */
enum pechat_err db_subject_search(struct db *db, const struct db_subject_filter *f, char (*ids)[37],
    int *count, struct pechat_error *e);

/*
 * Calls cb for each certificate of registry subject subject_id whose
 * notAfter >= not_after_min (serial, notAfter), in serial order: those
 * issued from requests linked to the subject (db/subject_certs.c, the one
 * query of "a subject's certificates"). Read-only. cb returns non-zero to stop.
 */
enum pechat_err db_subject_cert_each(struct db *db, const char *subject_id, time_t not_after_min,
    db_cert_cb cb, void *arg, struct pechat_error *e);

/* An identity document with its verification (verified = 0 until an officer verifies it). */
struct db_id_document {
	int64_t id;
	char subject_id[37];
	char kind[8];           /* document kind code: "21" = passport of the RF */
	char series[16];
	char number[32];
	char issue_date[11];    /* YYYY-MM-DD */
	char issuer[256];
	char unit_code[8];
	char added_by[64];
	time_t added_at;
	int verified;
	char verified_by[64];
	int method;             /* identification method 0..3 */
	time_t verified_at;
};
/* Inserts a document; *id gets its id. */
enum pechat_err db_id_document_insert(struct db *db, const struct db_id_document *doc, int64_t *id,
    struct pechat_error *e);
/* Document id of subject_id (NOT_FOUND "document_unknown" when it is another subject's). */
enum pechat_err db_id_document_get(struct db *db, const char *subject_id, int64_t id,
    struct db_id_document *out, struct pechat_error *e);
/* Records the verification; CONFLICT "document_already_verified" if it has one. */
enum pechat_err db_id_document_verify(struct db *db, int64_t id, const char *officer, int method,
    time_t at, struct pechat_error *e);
typedef int (*db_id_document_cb)(void *arg, const struct db_id_document *doc);
/* Every document of a subject in id order; cb returns non-zero to stop. */
enum pechat_err db_id_document_each(struct db *db, const char *subject_id, db_id_document_cb cb, void *arg,
    struct pechat_error *e);
/* Appends an officer's check of an organisation's register data (source: which extract). */
enum pechat_err db_register_verification_insert(struct db *db, const char *subject_id, int64_t version,
    const char *officer, const char *source, time_t at, struct pechat_error *e);

/* ------------------------------------------- heads' appointment documents */

/*
 * A document that appointed head head_id of organisation org_id
 * (docs/REGISTRATION.md, "Appointment documents"), with its verification
 * (verified = 0 until an officer verifies it). Append-only.
 */
struct db_appointment {
	int64_t id;
	char org_id[37];
	char head_id[37];
	char kind[16];          /* "order", "protocol", "decision" */
	char number[64];
	char date[11];          /* YYYY-MM-DD */
	char issued_by[256];
	char valid_until[11];   /* YYYY-MM-DD; "" when the term is open */
	char title[128];
	char added_by[64];
	time_t added_at;
	int verified;
	char verified_by[64];
	char source[16];        /* "original", "notarised_copy", "egrul" */
	time_t verified_at;
};
/* Inserts an appointment document; *id gets its id. */
enum pechat_err db_appointment_insert(struct db *db, const struct db_appointment *a, int64_t *id,
    struct pechat_error *e);
/* Appointment id of organisation org_id (NOT_FOUND "appointment_unknown" when it is another's). */
enum pechat_err db_appointment_get(struct db *db, const char *org_id, int64_t id, struct db_appointment *out,
    struct pechat_error *e);
/* Records the verification; CONFLICT "appointment_already_verified" if it has one. */
enum pechat_err db_appointment_verify(struct db *db, int64_t id, const char *officer, const char *source,
    time_t at, struct pechat_error *e);
typedef int (*db_appointment_cb)(void *arg, const struct db_appointment *a);
/* Every appointment document of an organisation in id order; cb returns non-zero to stop. Read-only. */
enum pechat_err db_appointment_each(struct db *db, const char *org_id, db_appointment_cb cb, void *arg,
    struct pechat_error *e);

/* ------------------------------------------------------ powers of attorney */

#define DB_POA_POWERS 16

/*
 * A stored power of attorney (docs/REGISTRATION.md) with its powers and its
 * revocation (revoked = 0 when none). The original document is not read
 * back here (db_poa_document gives it). About 36 KiB: keep it off small stacks.
 */
struct db_poa {
	int64_t id;
	char principal_id[37];
	char number[37], internal_number[64];
	char issue_date[11], valid_until[11];
	char redelegation[2];
	char principal_innle[11], principal_kpp[10];
	char rep_surname[128], rep_given_name[128], rep_patronymic[128];
	char rep_birth_date[11], rep_inn[13], rep_snils[12];
	char rep_doc_kind[3], rep_doc_series[16], rep_doc_number[32], rep_doc_issue_date[11];
	char rep_doc_issuer[512];
	char source[8];                 /* "xml" or "json" */
	char added_by[64];
	time_t added_at;
	int npowers;
	char power_code[DB_POA_POWERS][64];
	char power_text[DB_POA_POWERS][2048];
	int revoked;
	char revoked_by[64];
	time_t revoked_at;
	char revoked_reason[256];
};
/* Inserts a POA (not its powers) with its original document; *id gets its id. CONFLICT "poa_duplicate" on a known number. */
enum pechat_err db_poa_insert(struct db *db, const struct db_poa *p, const void *doc, size_t doc_len, int64_t *id,
    struct pechat_error *e);
/* Inserts power number seq (0-based) of POA poa_id. */
enum pechat_err db_poa_power_insert(struct db *db, int64_t poa_id, int seq, const char *code, const char *text,
    struct pechat_error *e);
/* POA id with its powers and revocation. NOT_FOUND "poa_unknown". */
enum pechat_err db_poa_get(struct db *db, int64_t id, struct db_poa *out, struct pechat_error *e);
/* Ids of the POAs of a principal in id order, at most max into ids; *count set. */
enum pechat_err db_poa_list(struct db *db, const char *principal_id, int64_t *ids, int max, int *count,
    struct pechat_error *e);
/* Records the revocation of POA id. CONFLICT "poa_already_revoked" if it has one. */
enum pechat_err db_poa_revoke(struct db *db, int64_t id, const char *actor, time_t at, const char *reason,
    struct pechat_error *e);
/* The original document of POA id: *doc malloc'd (the caller frees), *len set. NOT_FOUND "poa_unknown". */
enum pechat_err db_poa_document(struct db *db, int64_t id, unsigned char **doc, size_t *len, struct pechat_error *e);

/* ------------------------------------------------------ certificate search */

/*
 * A page of GET /api/v1/certificates (db/cert_search.c): subscriber
 * certificates only (issued for a request, signed by an `issuing` CA). NULL
 * members do not filter; values are already validated and normalised by ra/.
 */
struct db_cert_filter {
	const char *subject_id;         /* the registry subject the request was made for */
	const char *snils, *inn;        /* the owner's: registry version issued from, else the request's inline subject */
	const char *status;             /* "valid", "revoked", "on_hold", "expired" (newest event + notAfter vs now) */
	const char *issuer, *profile;
	int has_expires_before;
	time_t expires_before;          /* notAfter < this */
	const char *portal;             /* a portal's own: its requests, or requests for subjects it registered */
	const char *after_serial;       /* cursor: serials greater than this */
	time_t now;
	int limit;                      /* rows wanted, 1..DB_LIST_MAX + 1 */
};

/* Serials of the matching certificates in serial order, at most f->limit into serials; *count set. */
enum pechat_err db_cert_search(struct db *db, const struct db_cert_filter *f, char (*serials)[65], int *count,
    struct pechat_error *e);
/* *owned = 1 if serial is a subscriber certificate of portal (the search's portal rule), else 0. */
enum pechat_err db_cert_of_portal(struct db *db, const char *serial, const char *portal, int *owned,
    struct pechat_error *e);

/* ------------------------------------------------- code words and re-key */

/* Appends an Argon2id hash (encoded form) as subject_id's code word; the newest row wins. */
enum pechat_err db_code_word_insert(struct db *db, const char *subject_id, const char *hash, const char *set_by,
    time_t at, struct pechat_error *e);
/* The newest code word of subject_id: hash (encoded, hashsz >= 128), who set it and when. NOT_FOUND when none. */
enum pechat_err db_code_word_latest(struct db *db, const char *subject_id, char *hash, size_t hashsz,
    char set_by[64], time_t *set_at, struct pechat_error *e);

/* Records a re-key attempt; result "ok", "wrong", "locked" or "no_code_word". *id (may be NULL) gets its id. */
enum pechat_err db_rekey_attempt_insert(struct db *db, const char *subject_id, const char *client, time_t at,
    const char *result, int64_t *id, struct pechat_error *e);
/* Attempts of subject_id with result "wrong", id > after_attempt and at > since. */
enum pechat_err db_rekey_wrong_count(struct db *db, const char *subject_id, int64_t after_attempt, time_t since,
    int64_t *count, struct pechat_error *e);
/* The id of subject_id's newest attempt (0 when none). */
enum pechat_err db_rekey_last_attempt(struct db *db, const char *subject_id, int64_t *id, struct pechat_error *e);

/* A lock or unlock of a subject's re-key; the newest event is the current state. */
struct db_rekey_lock {
	int64_t id;
	char kind[8];           /* "lock" | "unlock" */
	char actor[64];         /* "system" for a lock, the officer for an unlock */
	time_t at;
	char reason[256];
	int64_t last_attempt;   /* lock: the attempt that locked; unlock: attempts up to it are forgiven */
};
enum pechat_err db_rekey_lock_insert(struct db *db, const char *subject_id, const struct db_rekey_lock *ev,
    struct pechat_error *e);
/* The newest lock event of subject_id (kind "unlock" since one was last given), NOT_FOUND when none. */
enum pechat_err db_rekey_lock_last(struct db *db, const char *subject_id, const char *kind,
    struct db_rekey_lock *out, struct pechat_error *e);

/*
 * Serials of the certificates issued for requests made against subject_id
 * (request_registry_subject) through profile, oldest first, whatever their
 * status; at most max into serials, *count the number found (may exceed max).
 */
enum pechat_err db_subject_cert_serials(struct db *db, const char *subject_id, const char *profile,
    char (*serials)[65], int max, int *count, struct pechat_error *e);

/* ------------------------------------------------------- idempotency keys */

/*
 * The first reply of a creating POST sent with an Idempotency-Key (table
 * idempotency_keys; POST /api/v1/requests keeps its key on the request row).
 */
struct db_idem {
	char client[64];
	char key[129];
	char route[16];                 /* which POST: "subject", "document", "poa", "rekey" */
	char body_hash[65];             /* SHA-256 hex of what identifies the call */
	char resource_kind[16];         /* what it created: "subject", "document", "poa", "request" */
	char resource_id[64];
	int status;                     /* the HTTP status of the first reply */
	char *detail;                   /* malloc'd on read ("" when none): a re-key's superseded serials */
	time_t created_at;
};
/* Inserts the row (in the transaction that creates the resource); CONFLICT "idempotency_key_taken" when
 * (client, route, key) exists. row->detail may be NULL. */
enum pechat_err db_idem_insert(struct db *db, const struct db_idem *row, struct pechat_error *e);
/* The row of (client, route, key), NOT_FOUND "idempotency_key_unknown" when none; free with
 * db_idem_free_fields. */
enum pechat_err db_idem_get(struct db *db, const char *client, const char *route, const char *key,
    struct db_idem *out, struct pechat_error *e);
void db_idem_free_fields(struct db_idem *row);

/* ------------------------------------------------------------------- audit */

/* Appends one audit entry; entries are never edited or deleted. detail may be NULL. */
enum pechat_err db_audit_append(struct db *db, time_t at, const char *actor, const char *action,
    const char *object, const char *detail, struct pechat_error *e);
enum pechat_err db_audit_count(struct db *db, int64_t *count, struct pechat_error *e);

#endif
