/*
 * ra/rekey.h — a subject's code word and the self-service re-key it
 * authorises (docs/REGISTRATION.md, "Code word and re-key"). An officer
 * sets the code word; it is stored only as an Argon2id hash (libargon2),
 * never logged, audited or returned. A portal re-keys with it: a new
 * certificate from the subject's current verified version, and the
 * subject's previous active certificates of that profile revoked
 * (superseded) in the same store transaction. Five wrong code words within
 * 24 h lock re-key until an officer unlocks it.
 */
#ifndef PECHAT_RA_REKEY_H
#define PECHAT_RA_REKEY_H

#include <stdint.h>

#include "ra/ra.h"

/* Argon2id parameters of every new hash (a stored hash carries its own). */
#define RA_ARGON2_T 2                   /* passes */
#define RA_ARGON2_M_KIB 19456           /* memory: 19 MiB */
#define RA_ARGON2_P 1                   /* lanes: one core per verification */
#define RA_ARGON2_SALT 16               /* bytes of RAND_bytes salt, fresh per set */
#define RA_ARGON2_HASH 32               /* bytes of hash */
#define RA_ARGON2_ENCODED_MAX 128       /* "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" is 97 bytes */
#define RA_ARGON2_PARALLEL 2            /* Argon2 computations at once in a process; more wait */

#define RA_CODE_WORD_MIN 8              /* bytes of UTF-8 text, no control or format characters */
#define RA_CODE_WORD_MAX 128
#define RA_REKEY_MAX_WRONG 5            /* wrong code words ... */
#define RA_REKEY_WINDOW_S 86400         /* ... within this long lock re-key */

/*
 * 1 if word is a usable code word: RA_CODE_WORD_MIN..MAX bytes of UTF-8 text
 * without control or format characters (ra_text_ok).
 */
int ra_code_word_ok(const char *word);

/*
 * The Argon2id hash of word with a fresh RAND_bytes salt, in the encoded
 * form (encsz >= RA_ARGON2_ENCODED_MAX). One Argon2 computation.
 */
enum pechat_err ra_code_word_hash(const char *word, char *encoded, size_t encsz, struct pechat_error *e);

/*
 * Exactly one Argon2id computation: word against encoded, or, when encoded
 * is NULL, against a fixed dummy hash of the same parameters (result 0),
 * so that every path costs the same. 1 on a match (compared in constant
 * time by argon2id_verify), 0 otherwise.
 */
int ra_code_word_verify(const char *encoded, const char *word);

/* Argon2 computations this process has made (hash + verify), for tests. */
uint64_t ra_code_word_argon2_runs(void);

/* A subject's code word and re-key lock as an officer sees them (never the word). */
struct ra_rekey_state {
	int code_word_set;
	char set_by[64];
	time_t set_at;
	int locked;
	char locked_reason[256];
	time_t locked_at;
	int64_t wrong_attempts;         /* wrong code words counting towards the lock now */
};

/* The state of subject_id at now (the subject must exist: "subject_unknown"). */
enum pechat_err ra_rekey_state_get(struct db *db, const char *subject_id, time_t now, struct ra_rekey_state *out,
    struct pechat_error *e);

/*
 * An officer sets (or replaces) the code word of subject subject_id: a new
 * row with a fresh salt, audit "subject.code_word_set" without the word, in
 * one transaction. "validation_failed" (errors[] names code_word: length or
 * charset), "subject_unknown". *out: the state after.
 */
enum pechat_err ra_code_word_set(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const char *word, struct ra_rekey_state *out, struct pechat_error *e);

/*
 * The code-word check of a re-key by actor (a portal: only a subject it
 * registered): exactly one Argon2 computation whatever the outcome (the
 * dummy hash for an unknown or another portal's subject, a subject without
 * a code word, a locked one), then one transaction that records the
 * attempt (ok, wrong, locked, no_code_word) and, at the
 * RA_REKEY_MAX_WRONG-th wrong word within RA_REKEY_WINDOW_S since the last
 * unlock, locks re-key (audit "subject.rekey_locked"). PECHAT_OK when the
 * word is right; "code_word_wrong" (403), "rekey_locked" (FORBIDDEN here;
 * web/ answers 423 Locked: an officer must unlock), "code_word_not_set"
 * (409), "subject_unknown" (404); "validation_failed" naming code_word
 * when the word is outside the bounds (no computation, nothing recorded).
 */
enum pechat_err ra_code_word_check(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const char *word, struct pechat_error *e);

/*
 * An officer lifts a subject's re-key lock with a reason (1..RA_REASON_MAX
 * bytes of text): an unlock event forgiving every attempt so far, audit
 * "subject.rekey_unlock", one transaction. "rekey_not_locked" (409),
 * "validation_failed" (reason), "subject_unknown".
 */
enum pechat_err ra_rekey_unlock(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const char *reason, struct ra_rekey_state *out, struct pechat_error *e);

/* A re-key as parsed by web/ (everything borrowed, untrusted). */
struct ra_rekey_input {
	const char *subject_id;
	const char *code_word;
	const char *profile;
	const unsigned char *csr;
	size_t csr_len;
	const struct ra_idem *idem;     /* its Idempotency-Key, or NULL (recorded with the certificate) */
};

/* What a re-key did. */
struct ra_rekey_result {
	struct db_request req;          /* the new request, "issued" (owned fields) */
	int nsuperseded;
	char (*superseded)[65];         /* malloc'd: the serials revoked "superseded", oldest first */
};
void ra_rekey_result_free(struct ra_rekey_result *r);

/*
 * POST /api/v1/subjects/{id}/rekey: a registry profile of the subject's
 * kind, the CSR (proof of possession, key policy), then the code word
 * (ra_code_word_check), then the subject's current version (verified, not
 * blocked: the codes of requests against the registry). A request stored
 * "approved" by the code word (check "code_word"), issued at once through
 * ca_issue; in the transaction that stores the new certificate every
 * previous valid or on-hold certificate of the subject from that profile is
 * revoked with reason superseded, and each is published (OCSP) before the
 * call returns. On an issuance failure the request is marked failed and the
 * error returned. Codes: those of ra_code_word_check, "profile_unknown",
 * "validation_failed" (an inline profile), "csr_*", "key_*",
 * "subject_kind_mismatch", "subject_not_verified", "subject_blocked",
 * "subject_invalid", ca_issue's. *out is zeroed first; free it with
 * ra_rekey_result_free whatever the result.
 */
enum pechat_err ra_rekey(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const struct ra_rekey_input *in,
    struct ra_rekey_result *out, struct pechat_error *e);

#endif
