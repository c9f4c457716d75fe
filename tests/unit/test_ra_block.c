/*
 * Unit tests for the block of a registry subject (ra_subject_block,
 * ra/block.c) on a real store with a fake clock: every active certificate
 * of the subject (valid or on hold) is revoked with keyCompromise (or the
 * reason given) in the block's transaction, already revoked and other
 * subjects' certificates are left alone, the reply lists the events; a bad
 * revocation reason refuses before anything is written; a revocation that
 * fails in the middle rolls everything back (subject not blocked, nothing
 * revoked, no audit entry); new requests are refused while blocked and
 * allowed after the unblock, which revokes nothing back.
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

#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"
#include "test_util.h"

static struct ca_fixture F;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };

/* Profile "qualified": registry individuals, auto-approved. File store (raw SQL for the failure). */
static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "ra-block") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	F.profiles[0].subject_registry = 1;
	pechat_strlcpy(F.profiles[0].subject_kind, "individual", sizeof(F.profiles[0].subject_kind));
	F.profiles[0].subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SNILS);
	F.profiles[0].subject_allowed = (1u << PSF_COUNT) - 1;
	F.file_store = 1;
	if (ca_fixture_start(&F) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* A request for subject_id: the result; the serial of its certificate into serial when issued. */
static enum pechat_err
submit(const char *subject_id, char serial[65], struct pechat_error *e)
{
	struct ra_submission sub;
	struct db_request req;
	enum pechat_err err;
	int replayed;

	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(e);
	sub.profile = "qualified";
	sub.subject_id = subject_id;
	assert_non_null(sub.csr = ca_fixture_new_csr_pem(&sub.csr_len));     /* a key of its own */
	sub.body_hash = "0000";
	err = ra_request_submit(RA_CA(F), F.db, &portal, &sub, &req, &replayed, e);
	free((void *)sub.csr);
	if (err == PECHAT_OK) {
		assert_string_equal(req.state, "issued");
		if (serial != NULL)
			pechat_strlcpy(serial, req.cert_serial, 65);
		db_request_free_fields(&req);
	}
	return err;
}

/* An issued certificate of subject_id; its serial into serial. */
static void
issue(const char *subject_id, char serial[65])
{
	struct pechat_error e;

	if (submit(subject_id, serial, &e) != PECHAT_OK)
		fail_msg("submit: %s %s", e.code, e.detail);
}

/* The status of serial now, and its revocation reason ("" when none) into reason. */
static const char *
status(const char *serial, char reason[32])
{
	struct db_revocation ev;
	struct db_cert c;
	const char *st;

	assert_int_equal(db_cert_get(F.db, serial, &c, NULL), PECHAT_OK);
	assert_int_equal(ca_cert_status(F.db, &c, F.now, &st, &ev, NULL), PECHAT_OK);
	db_cert_free_fields(&c);
	pechat_strlcpy(reason, ev.reason, 32);
	return st;
}

static void
change(const char *serial, enum ca_revoke_action action, const char *reason)
{
	struct pechat_error e;

	pechat_error_clear(&e);
	if (ca_revoke(F.ca, F.db, serial, action, reason, 0, "officer1", NULL, NULL, &e) != PECHAT_OK)
		fail_msg("status change: %s %s", e.code, e.detail);
}

/* The current state of subject id. */
static void
expect_state(const char *id, const char *state, int64_t version)
{
	struct db_subject s;

	assert_int_equal(db_subject_get(F.db, id, 0, &s, NULL), PECHAT_OK);
	assert_string_equal(s.state, state);
	assert_int_equal(s.version, version);
	db_subject_free_fields(&s);
}

/* One valid and one held certificate revoked keyCompromise; a revoked one and another subject's untouched. */
static void
test_block_revokes_active(void **state)
{
	char id[37], other[37], valid[65], held[65], old[65], theirs[65], reason[32], rid[65];
	struct ra_revoked rv;
	struct db_subject s;
	struct pechat_error e;
	int64_t events, audit;
	size_t i;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "12345678964", id);
	ra_fixture_individual(&F, &portal, &officer, "23456789099", other);
	issue(id, valid);
	issue(id, held);
	issue(id, old);
	issue(other, theirs);
	change(held, CA_HOLD, NULL);
	change(old, CA_REVOKE, "superseded");
	events = ra_fixture_rows(&F, "revocation_events");
	audit = ra_fixture_rows(&F, "audit");

	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "the owner reports a stolen token", NULL,
	    &s, &rv, &e), PECHAT_OK);
	assert_string_equal(s.state, "blocked");
	db_subject_free_fields(&s);
	assert_int_equal(rv.n, 2);
	for (i = 0; i < rv.n; i++) {
		assert_true(strcmp(rv.ev[i].serial, valid) == 0 || strcmp(rv.ev[i].serial, held) == 0);
		assert_string_equal(rv.ev[i].kind, "revoke");
		assert_string_equal(rv.ev[i].reason, "keyCompromise");
		assert_string_equal(rv.ev[i].comment, "the owner reports a stolen token");
		assert_string_equal(rv.ev[i].actor, "officer1");
	}
	ra_revoked_free(&rv);
	assert_string_equal(status(valid, reason), "revoked");
	assert_string_equal(reason, "keyCompromise");
	assert_string_equal(status(held, reason), "revoked");
	assert_string_equal(reason, "keyCompromise");
	assert_string_equal(status(old, reason), "revoked");
	assert_string_equal(reason, "superseded");
	assert_string_equal(status(theirs, reason), "valid");
	assert_int_equal(ra_fixture_rows(&F, "revocation_events"), events + 2);
	assert_int_equal(ra_fixture_rows(&F, "audit"), audit + 3);       /* subject.block + two certificate.revoke */

	/* blocked: a new request is refused, nothing issued */
	assert_int_equal(submit(id, NULL, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_blocked");
	/* unblocked: allowed again; the old certificates stay revoked */
	assert_int_equal(ra_subject_unblock(F.db, &officer, F.now, id, "re-checked in person", &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	issue(id, rid);
	assert_string_equal(status(rid, reason), "valid");
	assert_string_equal(status(valid, reason), "revoked");
	assert_string_equal(status(held, reason), "revoked");
}

/* revocation_reason: another accepted one is used; a refused one writes nothing. */
static void
test_block_reason(void **state)
{
	char id[37], serial[65], reason[32];
	struct ra_revoked rv;
	struct db_subject s;
	struct pechat_error e;
	int64_t audit;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "34567890123", id);
	issue(id, serial);
	audit = ra_fixture_rows(&F, "audit");
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "closed", "certificateHold", &s, &rv, &e),
	    PECHAT_E_INVALID);
	assert_string_equal(e.code, "reason_invalid");
	assert_true(test_has_field(&e, "revocation_reason", "enum"));
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "closed", "nonsense", &s, &rv, &e),
	    PECHAT_E_INVALID);
	assert_string_equal(e.code, "reason_invalid");
	assert_int_equal(ra_fixture_rows(&F, "audit"), audit);
	expect_state(id, "verified", 2);
	assert_string_equal(status(serial, reason), "valid");

	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "business closed", "cessationOfOperation",
	    &s, &rv, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(rv.n, 1);
	assert_string_equal(rv.ev[0].reason, "cessationOfOperation");
	ra_revoked_free(&rv);
	assert_string_equal(status(serial, reason), "revoked");
	assert_string_equal(reason, "cessationOfOperation");
}

/* The second revocation fails in the store: nothing of the block is kept. */
static void
test_block_rollback(void **state)
{
	char id[37], a[65], b[65], reason[32], sql[512];
	const char *last;
	struct ra_revoked rv;
	struct db_subject s;
	struct pechat_error e;
	int64_t events, audit, versions;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "45678901238", id);
	issue(id, a);
	issue(id, b);
	last = strcmp(a, b) > 0 ? a : b;        /* revoked in serial order: the failure comes second */
	snprintf(sql, sizeof(sql), "CREATE TRIGGER test_fail BEFORE INSERT ON revocation_events WHEN NEW.serial = "
	    "'%s' BEGIN SELECT RAISE(ABORT, 'injected failure'); END", last);
	ra_fixture_exec(&F, sql);
	events = ra_fixture_rows(&F, "revocation_events");
	audit = ra_fixture_rows(&F, "audit");
	versions = ra_fixture_rows(&F, "subject_versions");

	pechat_error_clear(&e);
	assert_int_not_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "stolen token", NULL, &s, &rv, &e),
	    PECHAT_OK);
	assert_int_equal(rv.n, 0);
	assert_null(rv.ev);
	ra_fixture_exec(&F, "DROP TRIGGER test_fail");
	expect_state(id, "verified", 2);
	assert_int_equal(ra_fixture_rows(&F, "revocation_events"), events);
	assert_int_equal(ra_fixture_rows(&F, "audit"), audit);
	assert_int_equal(ra_fixture_rows(&F, "subject_versions"), versions);
	assert_string_equal(status(a, reason), "valid");
	assert_string_equal(status(b, reason), "valid");

	/* the same block without the failure goes through */
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "stolen token", NULL, &s, &rv, &e),
	    PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(rv.n, 2);
	ra_revoked_free(&rv);
	assert_string_equal(status(a, reason), "revoked");
	assert_string_equal(status(b, reason), "revoked");
}

/* An expired certificate is not revoked by a block (it is no longer active). */
static void
test_block_skips_expired(void **state)
{
	char id[37], serial[65], reason[32];
	struct ra_revoked rv;
	struct db_subject s;
	struct db_cert c;
	struct pechat_error e;
	time_t saved = F.now;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "56789012343", id);
	issue(id, serial);
	assert_int_equal(db_cert_get(F.db, serial, &c, NULL), PECHAT_OK);
	F.now = c.not_after + 1;
	db_cert_free_fields(&c);
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "moved abroad", NULL, &s, &rv, &e),
	    PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(rv.n, 0);
	assert_string_equal(status(serial, reason), "expired");
	F.now = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_revokes_active),
		cmocka_unit_test(test_block_reason),
		cmocka_unit_test(test_block_rollback),
		cmocka_unit_test(test_block_skips_expired),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
