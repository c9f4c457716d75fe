/*
 * ra/codeword.c — a subject's code word (docs/REGISTRATION.md, "Code word
 * and re-key"): Argon2id hashing (libargon2) with a fresh salt per set, the
 * one-computation verification, the attempts and the re-key lock rule
 * (RA_REKEY_MAX_WRONG wrong words within RA_REKEY_WINDOW_S since the last
 * unlock lock re-key until an officer unlocks it). The word is never
 * logged, audited, stored or returned: only its hash is.
 */
#include "ra/rekey.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/*
 * The hash every verification without a stored hash runs against (unknown
 * subject, no code word, locked): the same parameters as new hashes, of 32
 * random bytes nobody kept. Its result is ignored.
 */
static const char dummy_hash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$vKvmlkhvXs2/Ip3mTdgvQw$AQIr2lVVRKtijydm0zvctWj6NpB3FeMMztBvNM0m/Po";

/* At most RA_ARGON2_PARALLEL Argon2 computations at once (19 MiB and one core each). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_busy;
static atomic_uint_fast64_t argon2_runs;

/* Waits for a free Argon2 slot and counts the computation. */
static void
gate_enter(void)
{
	pthread_mutex_lock(&gate_lock);
	while (gate_busy >= RA_ARGON2_PARALLEL)
		pthread_cond_wait(&gate_cond, &gate_lock);
	gate_busy++;
	pthread_mutex_unlock(&gate_lock);
	atomic_fetch_add(&argon2_runs, 1);
}

/* Gives the slot back. */
static void
gate_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_busy--;
	pthread_cond_signal(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

uint64_t
ra_code_word_argon2_runs(void)
{
	return (uint64_t)atomic_load(&argon2_runs);
}

int
ra_code_word_ok(const char *word)
{
	size_t n = word != NULL ? strlen(word) : 0;

	return n >= RA_CODE_WORD_MIN && ra_text_ok(word, RA_CODE_WORD_MAX);
}

/* validation_failed naming code_word's broken rule (length or charset); the word itself is never shown. */
static enum pechat_err
code_word_invalid(const struct ra_actor *actor, const char *subject_id, const char *word, struct pechat_error *e)
{
	size_t n = word != NULL ? strlen(word) : 0;

	pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	pechat_error_add_field(e, "code_word", n < RA_CODE_WORD_MIN || n > RA_CODE_WORD_MAX ? "length" : "charset",
	    "must be %d to %d bytes of UTF-8 text without control or format characters", RA_CODE_WORD_MIN,
	    RA_CODE_WORD_MAX);
	log_reject("%s: code word for subject %.40s refused: not %d..%d bytes of text", actor->name,
	    subject_id != NULL ? subject_id : "", RA_CODE_WORD_MIN, RA_CODE_WORD_MAX);
	return PECHAT_E_INVALID;
}

enum pechat_err
ra_code_word_hash(const char *word, char *encoded, size_t encsz, struct pechat_error *e)
{
	unsigned char salt[RA_ARGON2_SALT];
	int rc;

	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "code word: RAND_bytes");
		return pechat_fail(e, PECHAT_E_INTERNAL, "rng_failed", "the random generator failed");
	}
	gate_enter();
	rc = argon2id_hash_encoded(RA_ARGON2_T, RA_ARGON2_M_KIB, RA_ARGON2_P, word, strlen(word), salt, sizeof(salt),
	    RA_ARGON2_HASH, encoded, encsz);
	gate_leave();
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_err("code word: Argon2id failed: %s", argon2_error_message(rc));
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "the code word could not be hashed");
	}
	return PECHAT_OK;
}

int
ra_code_word_verify(const char *encoded, const char *word)
{
	int rc;

	gate_enter();
	rc = argon2id_verify(encoded != NULL ? encoded : dummy_hash, word, strlen(word));
	gate_leave();
	return encoded != NULL && rc == ARGON2_OK;
}

/* The lock state of subject_id at now: locked (and the lock event), wrong attempts counting now. */
static enum pechat_err
lock_state(struct db *db, const char *subject_id, time_t now, int *locked, struct db_rekey_lock *lock,
    int64_t *wrong, struct pechat_error *e)
{
	struct db_rekey_lock unlock;
	enum pechat_err err;

	*locked = 0;
	err = db_rekey_lock_last(db, subject_id, NULL, lock, e);
	if (err != PECHAT_OK && err != PECHAT_E_NOT_FOUND)
		return err;
	*locked = err == PECHAT_OK && strcmp(lock->kind, "lock") == 0;
	err = db_rekey_lock_last(db, subject_id, "unlock", &unlock, e);
	if (err != PECHAT_OK && err != PECHAT_E_NOT_FOUND)
		return err;
	return db_rekey_wrong_count(db, subject_id, err == PECHAT_OK ? unlock.last_attempt : 0,
	    now - RA_REKEY_WINDOW_S, wrong, e);
}

enum pechat_err
ra_rekey_state_get(struct db *db, const char *subject_id, time_t now, struct ra_rekey_state *out,
    struct pechat_error *e)
{
	struct db_rekey_lock lock;
	char hash[RA_ARGON2_ENCODED_MAX];
	enum pechat_err err;

	memset(out, 0, sizeof(*out));
	err = db_code_word_latest(db, subject_id, hash, sizeof(hash), out->set_by, &out->set_at, e);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (err != PECHAT_OK && err != PECHAT_E_NOT_FOUND)
		return err;
	out->code_word_set = err == PECHAT_OK;
	if (e != NULL)
		pechat_error_clear(e);
	if ((err = lock_state(db, subject_id, now, &out->locked, &lock, &out->wrong_attempts, e)) != PECHAT_OK)
		return err;
	if (out->locked) {
		pechat_strlcpy(out->locked_reason, lock.reason, sizeof(out->locked_reason));
		out->locked_at = lock.at;
	}
	return PECHAT_OK;
}

struct set_arg {
	const char *subject_id;
	const char *hash;
	const char *actor;
	time_t now;
};

/* Transaction body: the new code-word row and its audit entry (without the word). */
static enum pechat_err
set_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct set_arg *a = arg;
	enum pechat_err err;
	char detail[64];

	snprintf(detail, sizeof(detail), "argon2id m=%d t=%d p=%d", RA_ARGON2_M_KIB, RA_ARGON2_T, RA_ARGON2_P);
	if ((err = db_code_word_insert(db, a->subject_id, a->hash, a->actor, a->now, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor, "subject.code_word_set", a->subject_id, detail, e);
}

enum pechat_err
ra_code_word_set(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id, const char *word,
    struct ra_rekey_state *out, struct pechat_error *e)
{
	struct db_subject s;
	struct set_arg arg;
	char hash[RA_ARGON2_ENCODED_MAX];
	enum pechat_err err;

	memset(out, 0, sizeof(*out));
	if (!ra_code_word_ok(word))
		return code_word_invalid(actor, subject_id, word, e);
	if ((err = ra_subject_get(db, actor, subject_id, 0, &s, e)) != PECHAT_OK)
		return err;
	db_subject_free_fields(&s);
	if ((err = ra_code_word_hash(word, hash, sizeof(hash), e)) != PECHAT_OK)
		return err;
	arg.subject_id = subject_id;
	arg.hash = hash;
	arg.actor = actor->name;
	arg.now = now;
	err = db_txn_run(db, set_txn, &arg, e);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (err != PECHAT_OK)
		return err;
	log_info("subject %s: code word set by %s", subject_id, actor->name);
	return ra_rekey_state_get(db, subject_id, now, out, e);
}

struct check_arg {
	const char *subject_id;
	const char *client;
	time_t now;
	int have_hash;          /* the subject has a code word */
	int checked;            /* ... and it was verified (not locked when read) */
	int match;              /* the Argon2 verification matched */
	const char *result;     /* out: what was recorded */
	int64_t wrong;          /* out: wrong attempts counting now */
	int locked_now;         /* out: this attempt locked re-key */
};

/*
 * Transaction body: the outcome decided against the lock state as it is now
 * (a concurrent attempt may have locked meanwhile), the attempt recorded,
 * the wrong attempts counted (on every path), the lock at the limit.
 */
static enum pechat_err
check_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct check_arg *a = arg;
	struct db_rekey_lock lock;
	enum pechat_err err;
	int64_t id;
	int locked;

	a->locked_now = 0;
	if ((err = lock_state(db, a->subject_id, a->now, &locked, &lock, &a->wrong, e)) != PECHAT_OK)
		return err;
	/* locked when read and unlocked since: still refused as locked (the word was not checked) */
	a->result = locked ? "locked" : !a->have_hash ? "no_code_word" : !a->checked ? "locked" :
	    a->match ? "ok" : "wrong";
	if ((err = db_rekey_attempt_insert(db, a->subject_id, a->client, a->now, a->result, &id, e)) != PECHAT_OK ||
	    (err = lock_state(db, a->subject_id, a->now, &locked, &lock, &a->wrong, e)) != PECHAT_OK)
		return err;
	if (strcmp(a->result, "wrong") != 0 || a->wrong < RA_REKEY_MAX_WRONG)
		return PECHAT_OK;
	memset(&lock, 0, sizeof(lock));
	pechat_strlcpy(lock.kind, "lock", sizeof(lock.kind));
	pechat_strlcpy(lock.actor, "system", sizeof(lock.actor));
	lock.at = a->now;
	snprintf(lock.reason, sizeof(lock.reason), "%d wrong code words within %d h, the last by %s", RA_REKEY_MAX_WRONG,
	    RA_REKEY_WINDOW_S / 3600, a->client);
	lock.last_attempt = id;
	if ((err = db_rekey_lock_insert(db, a->subject_id, &lock, e)) != PECHAT_OK)
		return err;
	a->locked_now = 1;
	return db_audit_append(db, a->now, "system", "subject.rekey_locked", a->subject_id, lock.reason, e);
}

/* The refusal of a recorded attempt (check_txn's outcome); PECHAT_OK for "ok". */
static enum pechat_err
check_outcome(const struct ra_actor *actor, const struct check_arg *a, struct pechat_error *e)
{
	if (strcmp(a->result, "ok") == 0) {
		log_info("subject %s: code word right (re-key by %s)", a->subject_id, actor->name);
		return PECHAT_OK;
	}
	log_reject("%s: re-key of subject %s refused: %s%s", actor->name, a->subject_id, a->result,
	    a->locked_now ? " (re-key now locked)" : "");
	if (strcmp(a->result, "locked") == 0)
		return pechat_fail(e, PECHAT_E_FORBIDDEN, "rekey_locked", "re-key of this subject is locked after %d "
		    "wrong code words within %d h: an RA officer must unlock it (POST /api/v1/subjects/%s/rekey/unlock)",
		    RA_REKEY_MAX_WRONG, RA_REKEY_WINDOW_S / 3600, a->subject_id);
	if (strcmp(a->result, "no_code_word") == 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "code_word_not_set",
		    "the subject has no code word: an RA officer must set one first");
	if (a->locked_now)
		return pechat_fail(e, PECHAT_E_FORBIDDEN, "code_word_wrong", "the code word is wrong: %d wrong "
		    "ones within %d h, so re-key of this subject is now locked until an RA officer unlocks it",
		    RA_REKEY_MAX_WRONG, RA_REKEY_WINDOW_S / 3600);
	return pechat_fail(e, PECHAT_E_FORBIDDEN, "code_word_wrong", "the code word is wrong (%lld of %d within %d h; "
	    "at %d re-key is locked until an RA officer unlocks it)", (long long)a->wrong, RA_REKEY_MAX_WRONG,
	    RA_REKEY_WINDOW_S / 3600, RA_REKEY_MAX_WRONG);
}

enum pechat_err
ra_code_word_check(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const char *word, struct pechat_error *e)
{
	struct check_arg arg;
	struct db_rekey_lock lock;
	struct db_subject s;
	char hash[RA_ARGON2_ENCODED_MAX], set_by[64];
	time_t set_at;
	int64_t wrong;
	int locked = 0;
	enum pechat_err err;

	memset(&arg, 0, sizeof(arg));
	if (!ra_code_word_ok(word))
		return code_word_invalid(actor, subject_id, word, e);
	if ((err = ra_subject_get(db, actor, subject_id, 0, &s, e)) != PECHAT_OK) {
		if (err == PECHAT_E_NOT_FOUND)
			(void)ra_code_word_verify(NULL, word);  /* an unknown subject costs what a known one does */
		return err;
	}
	db_subject_free_fields(&s);
	err = db_code_word_latest(db, subject_id, hash, sizeof(hash), set_by, &set_at, e);
	if (err != PECHAT_OK && err != PECHAT_E_NOT_FOUND)
		goto out;
	arg.have_hash = err == PECHAT_OK;
	if ((err = lock_state(db, subject_id, now, &locked, &lock, &wrong, e)) != PECHAT_OK)
		goto out;
	/* exactly one Argon2 computation on every path; the dummy when there is nothing to check */
	arg.checked = arg.have_hash && !locked;
	arg.match = ra_code_word_verify(arg.checked ? hash : NULL, word);
	arg.subject_id = subject_id;
	arg.client = actor->name;
	arg.now = now;
	if ((err = db_txn_run(db, check_txn, &arg, e)) == PECHAT_OK)
		err = check_outcome(actor, &arg, e);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	return err;
}

struct unlock_arg {
	const char *subject_id;
	const char *actor;
	const char *reason;
	time_t now;
};

/* Transaction body: the unlock event (forgiving every attempt so far) and its audit entry. */
static enum pechat_err
unlock_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct unlock_arg *a = arg;
	struct db_rekey_lock ev;
	enum pechat_err err;

	err = db_rekey_lock_last(db, a->subject_id, NULL, &ev, e);
	if (err != PECHAT_OK && err != PECHAT_E_NOT_FOUND)
		return err;
	if (err == PECHAT_E_NOT_FOUND || strcmp(ev.kind, "lock") != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "rekey_not_locked", "re-key of this subject is not locked");
	memset(&ev, 0, sizeof(ev));
	pechat_strlcpy(ev.kind, "unlock", sizeof(ev.kind));
	pechat_strlcpy(ev.actor, a->actor, sizeof(ev.actor));
	pechat_strlcpy(ev.reason, a->reason, sizeof(ev.reason));
	ev.at = a->now;
	if ((err = db_rekey_last_attempt(db, a->subject_id, &ev.last_attempt, e)) != PECHAT_OK ||
	    (err = db_rekey_lock_insert(db, a->subject_id, &ev, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor, "subject.rekey_unlock", a->subject_id, a->reason, e);
}

enum pechat_err
ra_rekey_unlock(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id, const char *reason,
    struct ra_rekey_state *out, struct pechat_error *e)
{
	struct unlock_arg arg = { subject_id, actor->name, reason, now };
	struct db_subject s;
	enum pechat_err err;

	memset(out, 0, sizeof(*out));
	if (!ra_text_ok(reason, RA_REASON_MAX)) {
		pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		pechat_error_add_field(e, "reason", "length", "must be 1 to %d bytes of text without control characters",
		    RA_REASON_MAX);
		return PECHAT_E_INVALID;
	}
	if ((err = ra_subject_get(db, actor, subject_id, 0, &s, e)) != PECHAT_OK)
		return err;
	db_subject_free_fields(&s);
	if ((err = db_txn_run(db, unlock_txn, &arg, e)) != PECHAT_OK) {
		log_reject("%s: re-key unlock of subject %s refused: %s", actor->name, subject_id, e != NULL ? e->code : "?");
		return err;
	}
	log_info("subject %s: re-key unlocked by %s", subject_id, actor->name);
	return ra_rekey_state_get(db, subject_id, now, out, e);
}
