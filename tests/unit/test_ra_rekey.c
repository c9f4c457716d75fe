/*
 * Unit tests for the code word and self-service re-key (ra/codeword.c,
 * ra/rekey.c, ca_issue's in-transaction hook) on a real store with a fake
 * clock: Argon2id hashing with a fresh salt, the word's bounds, the stored
 * and audited rows (never the word), exactly one Argon2 computation on
 * every path of a check (right, wrong, none set, unknown, another portal's,
 * locked), the lock rule (5 wrong within 24 h since the last unlock; the
 * window; an officer's unlock), a coarse timing check (medians of wrong and
 * right words within a factor 1.5), and the re-key itself: a new
 * certificate linked to the subject, the previous valid and held ones of
 * the profile revoked "superseded" in the same transaction, nothing issued
 * on a refusal, and a failing hook rolls the issuance back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ra/rekey.h"

#include "ca_fixture.h"
#include "ra_fixture.h"
#include "test_util.h"

static struct ca_fixture F;
static unsigned char *csr_pem;
static size_t csr_len;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor portal2 = { "portal2", "portal", "" };
static const char WORD[] = "Сорок два попугая";        /* 32 bytes of UTF-8 */

/* Profile "qualified": registry individuals, auto-approved; "inline": its subject from the request. */
static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "rekey") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	F.profiles[0].subject_registry = 1;
	pechat_strlcpy(F.profiles[0].subject_kind, "individual", sizeof(F.profiles[0].subject_kind));
	F.profiles[0].subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SNILS);
	F.profiles[1] = F.profiles[0];
	pechat_strlcpy(F.profiles[1].name, "inline", sizeof(F.profiles[1].name));
	F.profiles[1].subject_registry = 0;
	F.profiles[1].subject_kind[0] = '\0';
	F.conf.n_profiles = 2;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	return ca_fixture_read("csr/ec-p256.pem", &csr_pem, &csr_len);
}

static int
group_teardown(void **state)
{
	(void)state;
	free(csr_pem);
	return ca_fixture_teardown(&F);
}

/* The officer sets `word` on subject id. */
static void
set_word(const char *id, const char *word)
{
	struct ra_rekey_state st;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, id, word, &st, &e), PECHAT_OK);
	assert_true(st.code_word_set);
}

/* ra_code_word_check by `by` at F.now, asserting exactly one Argon2 computation; the code into code. */
static enum pechat_err
check(const struct ra_actor *by, const char *id, const char *word, char code[48])
{
	struct pechat_error e;
	uint64_t before = ra_code_word_argon2_runs();
	enum pechat_err err;

	pechat_error_clear(&e);
	err = ra_code_word_check(F.db, by, F.now, id, word, &e);
	assert_int_equal(ra_code_word_argon2_runs() - before, 1);
	pechat_strlcpy(code, err == PECHAT_OK ? "" : e.code, 48);
	return err;
}

/* Hashes: encoded Argon2id with the documented parameters, a fresh salt each time, verification. */
static void
test_hash(void **state)
{
	char a[RA_ARGON2_ENCODED_MAX], b[RA_ARGON2_ENCODED_MAX];
	struct pechat_error e;
	uint64_t before;

	(void)state;
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_hash(WORD, a, sizeof(a), &e), PECHAT_OK);
	assert_int_equal(ra_code_word_hash(WORD, b, sizeof(b), &e), PECHAT_OK);
	assert_int_equal(strncmp(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_string_not_equal(a, b);                  /* a fresh salt per hash */
	assert_null(strstr(a, WORD));
	before = ra_code_word_argon2_runs();
	assert_int_equal(ra_code_word_verify(a, WORD), 1);
	assert_int_equal(ra_code_word_verify(b, WORD), 1);
	assert_int_equal(ra_code_word_verify(a, "Сорок два попугаЯ"), 0);
	assert_int_equal(ra_code_word_verify(NULL, WORD), 0);   /* the dummy never matches */
	assert_int_equal(ra_code_word_argon2_runs() - before, 4);
}

/* Bounds: 8..128 bytes of UTF-8 text without control or format characters. */
static void
test_bounds(void **state)
{
	char long_word[130];

	(void)state;
	memset(long_word, 'a', sizeof(long_word));
	long_word[128] = '\0';
	assert_true(ra_code_word_ok(long_word));
	long_word[128] = 'a';
	long_word[129] = '\0';
	assert_false(ra_code_word_ok(long_word));
	assert_true(ra_code_word_ok("abcdefgh"));
	assert_false(ra_code_word_ok("abcdefg"));
	assert_false(ra_code_word_ok(""));
	assert_false(ra_code_word_ok(NULL));
	assert_true(ra_code_word_ok(WORD));
	assert_false(ra_code_word_ok("abc\tdefgh"));
	assert_false(ra_code_word_ok("abcd\x7f" "efgh"));
	assert_false(ra_code_word_ok("abcd\xff\xfe" "efgh"));   /* not UTF-8 */
	assert_false(ra_code_word_ok("abcd\xe2\x80\x8b" "efgh")); /* U+200B, a format character */
}

/* Set: refused words store nothing; a set stores a hash (not the word), audited without the word. */
static void
test_set(void **state)
{
	struct ra_rekey_state st;
	struct pechat_error e;
	char id[37], sql[256];
	int64_t words, audits;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "11223344595", id);
	words = ra_fixture_rows(&F, "subject_code_words");
	audits = ra_fixture_rows(&F, "audit");
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, id, "short", &st, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_true(test_has_field(&e, "code_word", "length"));
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, id, "bad\ncode word", &st, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "code_word", "charset"));
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, "00000000-0000-4000-8000-000000000000", WORD, &st,
	    &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(ra_fixture_rows(&F, "subject_code_words"), words);
	assert_int_equal(ra_fixture_rows(&F, "audit"), audits);
	set_word(id, WORD);
	set_word(id, "второе кодовое слово");
	assert_int_equal(ra_fixture_rows(&F, "subject_code_words"), words + 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM subject_code_words WHERE subject_id = '%s'"
	    " AND hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%%' AND instr(hash, 'попуга') = 0", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'subject.code_word_set' AND object = '%s'"
	    " AND instr(coalesce(detail, ''), 'попуга') = 0 AND instr(coalesce(detail, ''), 'слово') = 0", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 2);
	/* the newest word wins */
	char code[48];
	assert_int_equal(check(&portal, id, "второе кодовое слово", code), PECHAT_OK);
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "code_word_wrong");
}

/* Every path of a check runs exactly one Argon2 computation (check() asserts it) and records the attempt. */
static void
test_one_argon2_per_check(void **state)
{
	char id[37], none[37], code[48], sql[160];
	uint64_t before;
	struct pechat_error e;
	int64_t attempts = ra_fixture_rows(&F, "rekey_attempts");

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "12345678964", id);
	ra_fixture_individual(&F, &portal, &officer, "00000000202", none);
	set_word(id, WORD);
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_OK);
	assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "code_word_wrong");
	assert_int_equal(check(&portal, none, WORD, code), PECHAT_E_CONFLICT);
	assert_string_equal(code, "code_word_not_set");
	assert_int_equal(check(&portal, "00000000-0000-4000-8000-000000000000", WORD, code), PECHAT_E_NOT_FOUND);
	assert_string_equal(code, "subject_unknown");
	assert_int_equal(check(&portal2, id, WORD, code), PECHAT_E_NOT_FOUND);   /* another portal's subject */
	assert_string_equal(code, "subject_unknown");
	assert_int_equal(ra_fixture_rows(&F, "rekey_attempts"), attempts + 3);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rekey_attempts WHERE subject_id = '%s' AND client = 'portal1'",
	    id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 2);
	/* a word outside the bounds is refused before any computation and records nothing */
	before = ra_code_word_argon2_runs();
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_check(F.db, &portal, F.now, id, "short", &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "code_word", "length"));
	assert_int_equal(ra_code_word_argon2_runs(), before);
	assert_int_equal(ra_fixture_rows(&F, "rekey_attempts"), attempts + 3);
}

/* The lock: 5 wrong within 24 h since the last unlock, the window, locked refuses the right word, unlock. */
static void
test_lock_rules(void **state)
{
	struct ra_rekey_state st;
	struct pechat_error e;
	char id[37], code[48], sql[200];
	time_t t0 = F.now;
	int i;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "11122233372", id);
	set_word(id, WORD);
	/* 4 wrong, then a day and a second later a 5th: the first four no longer count */
	for (i = 0; i < 4; i++) {
		F.now = t0 + i * 3600;
		assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	}
	F.now = t0 + RA_REKEY_WINDOW_S + 1;
	assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "code_word_wrong");
	assert_int_equal(ra_rekey_state_get(F.db, id, F.now, &st, &e), PECHAT_OK);
	assert_false(st.locked);
	assert_int_equal(st.wrong_attempts, 4);         /* the one at t0 left the window: 3 + 1 */
	/* a right word does not reset the count; the 5th wrong within 24 h locks */
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_OK);
	assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	assert_int_equal(ra_rekey_state_get(F.db, id, F.now, &st, &e), PECHAT_OK);
	assert_true(st.locked);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'subject.rekey_locked' AND object = '%s'", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	/* locked: even the right word is refused, and it stays locked a week later */
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "rekey_locked");
	F.now += 7 * 86400;
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "rekey_locked");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rekey_attempts WHERE subject_id = '%s' AND result = 'locked'", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 2);
	/* the unlock: a reason is required; then the right word works and the count starts afresh */
	pechat_error_clear(&e);
	assert_int_equal(ra_rekey_unlock(F.db, &officer, F.now, id, "", &st, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "reason", NULL));
	assert_int_equal(ra_rekey_unlock(F.db, &officer, F.now, id, "identity checked by phone", &st, &e), PECHAT_OK);
	assert_false(st.locked);
	assert_int_equal(st.wrong_attempts, 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'subject.rekey_unlock' AND object = '%s'", id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	pechat_error_clear(&e);
	assert_int_equal(ra_rekey_unlock(F.db, &officer, F.now, id, "again", &st, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "rekey_not_locked");
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	assert_int_equal(ra_rekey_state_get(F.db, id, F.now, &st, &e), PECHAT_OK);
	assert_false(st.locked);
	assert_int_equal(check(&portal, id, "wrong code word", code), PECHAT_E_FORBIDDEN);
	assert_int_equal(check(&portal, id, WORD, code), PECHAT_E_FORBIDDEN);
	assert_string_equal(code, "rekey_locked");
	F.now = t0;
}

/* Nanoseconds of one check. */
static double
timed_check(const char *id, const char *word)
{
	struct timespec a, b;
	char code[48];

	clock_gettime(CLOCK_MONOTONIC, &a);
	(void)check(&portal, id, word, code);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Coarse timing: medians of 15 wrong and 15 right checks, interleaved,
 * within a factor 1.5 of each other (Argon2 dominates both; a machine
 * busy with other tests slows both alike). Each wrong one a day apart,
 * so that none locks.
 */
static void
test_timing(void **state)
{
	double wrong[15], right[15], mw, mr;
	char id[37];
	time_t t0 = F.now;
	int i;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "22233344416", id);
	set_word(id, WORD);
	for (i = 0; i < 15; i++) {
		F.now = t0 + (time_t)(i + 1) * (RA_REKEY_WINDOW_S + 1);
		wrong[i] = timed_check(id, "Сорок два попугаЯ");
		right[i] = timed_check(id, WORD);
	}
	qsort(wrong, 15, sizeof(double), cmp_double);
	qsort(right, 15, sizeof(double), cmp_double);
	mw = wrong[7];
	mr = right[7];
	print_message("median check: wrong %.1f ms, right %.1f ms\n", mw / 1e6, mr / 1e6);
	assert_true(mw < 1.5 * mr && mr < 1.5 * mw);
	F.now = t0;
}

/* The first certificate of subject id by the portal (auto-approved registry request). Serial into serial. */
static void
first_certificate(const char *id, char serial[65])
{
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	int replayed;

	memset(&sub, 0, sizeof(sub));
	sub.profile = "qualified";
	sub.subject_id = id;
	assert_non_null(sub.csr = ca_fixture_new_csr_pem(&sub.csr_len));     /* a key of its own */
	sub.body_hash = "0000";
	pechat_error_clear(&e);
	assert_int_equal(ra_request_submit(RA_CA(F), F.db, &portal, &sub, &req, &replayed, &e), PECHAT_OK);
	free((void *)sub.csr);
	assert_string_equal(req.state, "issued");
	pechat_strlcpy(serial, req.cert_serial, 65);
	db_request_free_fields(&req);
}

/* A certificate for registry subject id from the CSR csr (auto-approved profile "qualified"). */
static void
other_certificate(const char *id, const unsigned char *csr, size_t len)
{
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	int replayed;

	memset(&sub, 0, sizeof(sub));
	sub.profile = "qualified";
	sub.subject_id = id;
	sub.csr = csr;
	sub.csr_len = len;
	sub.body_hash = "0000";
	pechat_error_clear(&e);
	assert_int_equal(ra_request_submit(RA_CA(F), F.db, &portal, &sub, &req, &replayed, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	db_request_free_fields(&req);
}

/* ra_rekey of subject id by `by` through profile with word and the CSR csr (NULL: a new key). */
static enum pechat_err
rekey_csr(const struct ra_actor *by, const char *id, const char *profile, const char *word,
    const unsigned char *csr, size_t len, struct ra_rekey_result *res, struct pechat_error *e)
{
	struct ra_rekey_input in = { id, word, profile, csr, len, NULL };
	unsigned char *fresh = NULL;
	enum pechat_err err;

	if (csr == NULL)
		assert_non_null(in.csr = fresh = ca_fixture_new_csr_pem(&in.csr_len));
	pechat_error_clear(e);
	err = ra_rekey(RA_CA(F), F.db, by, &in, res, e);
	free(fresh);
	return err;
}

/* ra_rekey of subject id by `by` through profile with word and a new key. */
static enum pechat_err
rekey(const struct ra_actor *by, const char *id, const char *profile, const char *word,
    struct ra_rekey_result *res, struct pechat_error *e)
{
	return rekey_csr(by, id, profile, word, NULL, 0, res, e);
}

/* The status (and reason) of a stored certificate. */
static void
status_of(const char *serial, char status[16], char reason[32])
{
	struct db_revocation ev;
	struct db_cert cert;
	struct pechat_error e;
	const char *st;

	pechat_error_clear(&e);
	assert_int_equal(db_cert_get(F.db, serial, &cert, &e), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &cert, F.now, &st, &ev, &e), PECHAT_OK);
	pechat_strlcpy(status, st, 16);
	pechat_strlcpy(reason, ev.reason, 32);
	db_cert_free_fields(&cert);
}

/* 1 if req carries check `name`, passed. */
static int
has_check(const struct db_request *req, const char *name)
{
	int i;

	for (i = 0; i < req->nchecks; i++)
		if (strcmp(req->checks[i].name, name) == 0 && req->checks[i].passed)
			return 1;
	return 0;
}

/* Re-key: refusals issue nothing; success supersedes the valid and held ones, not the revoked one. */
static void
test_rekey(void **state)
{
	struct ra_rekey_result res;
	struct db_revocation ev;
	struct db_subject s;
	struct pechat_error e;
	char id[37], other[37], a[65], b[65], c[65], st[16], reason[32], sql[320];
	struct ra_revoked rv;
	unsigned char *kcsr;
	EVP_PKEY *k;
	size_t klen;
	int64_t certs;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "00000000101", id);
	first_certificate(id, a);
	first_certificate(id, b);
	first_certificate(id, c);
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, b, CA_HOLD, NULL, 0, "officer1", NULL, &ev, &e), PECHAT_OK);
	assert_int_equal(ca_revoke(F.ca, F.db, c, CA_REVOKE, "keyCompromise", 0, "officer1", NULL, &ev, &e), PECHAT_OK);
	certs = ca_fixture_cert_count(&F);
	/* refusals: no code word, wrong word, another portal, an inline profile, unknown profile */
	assert_int_equal(rekey(&portal, id, "qualified", WORD, &res, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "code_word_not_set");
	set_word(id, WORD);
	assert_int_equal(rekey(&portal, id, "qualified", "wrong code word", &res, &e), PECHAT_E_FORBIDDEN);
	assert_string_equal(e.code, "code_word_wrong");
	assert_int_equal(rekey(&portal2, id, "qualified", WORD, &res, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(rekey(&portal, id, "inline", WORD, &res, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_true(test_has_field(&e, "profile", "registry"));
	assert_int_equal(rekey(&portal, id, "nope", WORD, &res, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "profile_unknown");
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	status_of(a, st, reason);
	assert_string_equal(st, "valid");
	/* the re-key */
	assert_int_equal(rekey(&portal, id, "qualified", WORD, &res, &e), PECHAT_OK);
	assert_string_equal(res.req.state, "issued");
	assert_string_equal(res.req.subject_id, id);
	assert_true(has_check(&res.req, "code_word"));
	assert_true(has_check(&res.req, "subject_verified"));
	assert_int_equal(ca_fixture_cert_count(&F), certs + 1);
	assert_int_equal(res.nsuperseded, 2);
	/* issued in the same second: in serial order */
	assert_true((strcmp(res.superseded[0], a) == 0 && strcmp(res.superseded[1], b) == 0) ||
	    (strcmp(res.superseded[0], b) == 0 && strcmp(res.superseded[1], a) == 0));
	status_of(a, st, reason);
	assert_string_equal(st, "revoked");
	assert_string_equal(reason, "superseded");
	status_of(b, st, reason);
	assert_string_equal(st, "revoked");
	assert_string_equal(reason, "superseded");
	status_of(c, st, reason);
	assert_string_equal(reason, "keyCompromise");
	status_of(res.req.cert_serial, st, reason);
	assert_string_equal(st, "valid");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM certificates c JOIN request_registry_subject l"
	    " ON l.request_id = c.request_id WHERE c.serial = '%s' AND l.subject_id = '%s'", res.req.cert_serial, id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 1);
	/* a second re-key supersedes the first one's certificate */
	pechat_strlcpy(a, res.req.cert_serial, sizeof(a));
	ra_rekey_result_free(&res);
	assert_int_equal(rekey(&portal, id, "qualified", WORD, &res, &e), PECHAT_OK);
	assert_int_equal(res.nsuperseded, 1);
	assert_string_equal(res.superseded[0], a);
	ra_rekey_result_free(&res);
	/* the key checks of every request: a key once revoked keyCompromise, a key of another subject */
	certs = ca_fixture_cert_count(&F);
	assert_non_null(k = EVP_EC_gen("P-256"));
	kcsr = ca_fixture_csr_pem(k, &klen);
	assert_int_equal(rekey_csr(&portal, id, "qualified", WORD, kcsr, klen, &res, &e), PECHAT_OK);
	pechat_error_clear(&e);
	assert_int_equal(ca_revoke(F.ca, F.db, res.req.cert_serial, CA_REVOKE, "keyCompromise", 0, "officer1", NULL,
	    &ev, &e), PECHAT_OK);
	ra_rekey_result_free(&res);
	assert_int_equal(rekey_csr(&portal, id, "qualified", WORD, kcsr, klen, &res, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_compromised");
	ra_fixture_individual(&F, &portal, &officer, "00000000303", other);
	other_certificate(other, csr_pem, csr_len);
	assert_int_equal(rekey_csr(&portal, id, "qualified", WORD, csr_pem, csr_len, &res, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_certified_for_other_subject");
	assert_int_equal(ca_fixture_cert_count(&F), certs + 2);
	free(kcsr);
	EVP_PKEY_free(k);
	/* blocked: the right word is not enough */
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "lost token", NULL, &s, &rv, &e), PECHAT_OK);
	ra_revoked_free(&rv);
	db_subject_free_fields(&s);
	certs = ca_fixture_cert_count(&F);
	assert_int_equal(rekey(&portal, id, "qualified", WORD, &res, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_blocked");
	assert_int_equal(ca_fixture_cert_count(&F), certs);
}

/* A hook that fails after revoking: the issuance and its revocation are rolled back together. */
static enum pechat_err
failing_hook(struct db *db, void *arg, const struct db_cert *row, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_revocation ev;
	enum pechat_err err;

	(void)row;
	memset(&c, 0, sizeof(c));
	c.serial = arg;
	c.action = CA_REVOKE;
	c.reason = "superseded";
	c.actor = "portal1";
	c.subscriber_only = 1;
	if ((err = ca_status_change_in_txn(db, F.now, &c, &ev, e)) != PECHAT_OK)
		return err;
	return pechat_fail(e, PECHAT_E_CONFLICT, "store_conflict", "the hook refuses");
}

static void
test_hook_rolls_back(void **state)
{
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	struct ca_issue_params p;
	struct pechat_subject s;
	struct pechat_error e;
	X509 *cert = NULL;
	char id[37], serial[65], st[16], reason[32];
	int64_t certs, events;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "08765430300", id);
	first_certificate(id, serial);
	certs = ca_fixture_cert_count(&F);
	events = ra_fixture_rows(&F, "revocation_events");
	memset(&s, 0, sizeof(s));
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "New"), 0);
	assert_int_equal(pechat_subject_set(&s, PSF_SNILS, "11223344595"), 0);
	memset(&p, 0, sizeof(p));
	p.profile = "inline";
	p.subject = &s;
	p.csr = parts;
	p.actor = "portal1";
	p.in_txn = failing_hook;
	p.in_txn_arg = serial;
	pechat_error_clear(&e);
	assert_int_equal(ca_issue(F.ca, F.db, &p, &cert, NULL, &e), PECHAT_E_CONFLICT);
	assert_null(cert);
	assert_int_equal(ca_fixture_cert_count(&F), certs);
	assert_int_equal(ra_fixture_rows(&F, "revocation_events"), events);
	status_of(serial, st, reason);
	assert_string_equal(st, "valid");
	pechat_subject_clear(&s);
	ca_csr_free(parts);
	X509_REQ_free(req);
}

/* Nothing in the new tables can be edited or deleted. */
static void
test_append_only(void **state)
{
	static const char *const stmts[] = {
		"UPDATE subject_code_words SET hash = 'x'", "DELETE FROM subject_code_words",
		"UPDATE rekey_attempts SET result = 'ok'", "DELETE FROM rekey_attempts",
		"UPDATE rekey_locks SET kind = 'unlock'", "DELETE FROM rekey_locks",
	};
	char path[256];
	sqlite3 *raw = NULL;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/pechat.db", F.dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_true(ra_fixture_rows(&F, "subject_code_words") > 0 && ra_fixture_rows(&F, "rekey_attempts") > 0 && ra_fixture_rows(&F, "rekey_locks") > 0);
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		assert_int_not_equal(sqlite3_exec(raw, stmts[i], NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_one_argon2_per_check),
		cmocka_unit_test(test_lock_rules),
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_hook_rolls_back),
		cmocka_unit_test(test_append_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
