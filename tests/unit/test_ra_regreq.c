/*
 * Unit tests for requests against the subject registry (ra/regreq.c via
 * ra_request_submit and ra_request_approve) on a real store with a fake
 * clock: the subject source must be the profile's; unknown, another
 * portal's, wrong-kind, unverified and blocked subjects are refused with
 * nothing stored; the certificate subject is composed from the current
 * verified version as the profile allows; the request records subject id,
 * version and the checks; a subject blocked after submission refuses the
 * approval; one key is not certified for two registry subjects.
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

static struct ra_revoked rv;         /* what a block revoked */
static struct ca_fixture F;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor portal2 = { "portal2", "portal", "" };

/* Profile "qualified": registry individuals, auto-approved, CN + SNILS required, no e-mail
 * allowed; "officer": the same with one officer's approval. File store (raw counts). */
static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "regreq") != 0)
		return -1;
	F.profiles[0].auto_approve = 1;
	F.profiles[0].approvals = 0;
	F.profiles[0].subject_registry = 1;
	pechat_strlcpy(F.profiles[0].subject_kind, "individual", sizeof(F.profiles[0].subject_kind));
	F.profiles[0].subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SNILS);
	F.profiles[0].subject_allowed = ((1u << PSF_COUNT) - 1) & ~(1u << PSF_EMAIL);
	F.profiles[1] = F.profiles[0];
	pechat_strlcpy(F.profiles[1].name, "officer", sizeof(F.profiles[1].name));
	F.profiles[1].auto_approve = 0;
	F.profiles[1].approvals = 1;
	F.conf.n_profiles = 2;
	F.file_store = 1;
	return ca_fixture_start(&F);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* requests/links/certificates/checks, to compare before and after a refusal. */
static void
snapshot(char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%lld/%lld/%lld/%lld", (long long)ra_fixture_rows(&F, "requests"),
	    (long long)ra_fixture_rows(&F, "request_registry_subject"), (long long)ra_fixture_rows(&F, "certificates"),
	    (long long)ra_fixture_rows(&F, "request_checks"));
}

/* Registers an (unverified) sole proprietor by the portal; its id into id. */
static void
sole_proprietor(char id[37])
{
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "sole_proprietor";
	in.v[RSF_SURNAME] = "Петрова";
	in.v[RSF_GIVEN_NAME] = "Анна";
	in.v[RSF_BIRTH_DATE] = "1985-01-20";
	in.v[RSF_SNILS] = "08765430300";
	in.v[RSF_INN] = "500100732259";
	in.v[RSF_OGRNIP] = "304500116000157";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(F.db, &portal, F.now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
}

/* ra_request_submit by `by` for profile with subject_id and/or an inline subject and CSR pem. */
static enum pechat_err
submit_csr(const struct ra_actor *by, const char *profile, const char *subject_id, int inline_subject,
    const unsigned char *pem, size_t len, struct db_request *out, struct pechat_error *e)
{
	struct pechat_subject s;
	struct ra_submission sub;
	enum pechat_err err;
	int replayed;

	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(e);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "Mallory"), 0);
	sub.profile = profile;
	sub.subject = inline_subject ? &s : NULL;
	sub.subject_id = subject_id;
	sub.csr = pem;
	sub.csr_len = len;
	sub.body_hash = "0000";
	err = ra_request_submit(RA_CA(F), F.db, by, &sub, out, &replayed, e);
	pechat_subject_clear(&s);
	return err;
}

/* The same with a fresh key: one key certified for two subjects is refused (the key checks). */
static enum pechat_err
submit(const struct ra_actor *by, const char *profile, const char *subject_id, int inline_subject,
    struct db_request *out, struct pechat_error *e)
{
	unsigned char *pem;
	size_t len;
	enum pechat_err err;

	pem = ca_fixture_new_csr_pem(&len);
	err = submit_csr(by, profile, subject_id, inline_subject, pem, len, out, e);
	free(pem);
	return err;
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

/* The wrong source, an unknown / another portal's / unverified / blocked subject: refused, nothing stored. */
static void
test_refusals(void **state)
{
	struct db_request req;
	struct pechat_error e;
	struct db_subject s;
	char before[96], after[96], id[37], other[37], ip[37];

	(void)state;
	ra_fixture_individual(&F, &portal, NULL, "11223344595", id);
	ra_fixture_individual(&F, &portal2, &officer, "22233344416", other);
	snapshot(before, sizeof(before));
	assert_int_equal(submit(&portal, "qualified", id, 1, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_int_equal(e.nfields, 1);
	assert_string_equal(e.fields[0].field, "subject");
	assert_int_equal(submit(&portal, "qualified", NULL, 1, &req, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 2);
	assert_string_equal(e.fields[1].field, "subject_id");
	assert_int_equal(submit(&portal, "qualified", NULL, 0, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.fields[0].field, "subject_id");
	assert_int_equal(submit(&portal, "qualified", "00000000-0000-4000-8000-000000000000", 0, &req, &e),
	    PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(submit(&portal, "qualified", other, 0, &req, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(submit(&portal, "qualified", id, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_not_verified");
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, other, "lost token", NULL, &s, &rv, &e), PECHAT_OK);
	ra_revoked_free(&rv);
	db_subject_free_fields(&s);
	assert_int_equal(submit(&officer, "qualified", other, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_blocked");
	sole_proprietor(ip);
	assert_int_equal(submit(&portal, "qualified", ip, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_kind_mismatch");
	snapshot(after, sizeof(after));
	assert_string_equal(after, before);
}

/* The certificate subject is the registry's current verified version, as the profile allows. */
static void
test_composed_from_registry(void **state)
{
	struct db_request req, again;
	struct pechat_error e;
	char id[37], cn[128];

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "12345678964", id);
	assert_int_equal(submit(&portal, "qualified", id, 0, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	assert_string_equal(req.subject_id, id);
	assert_int_equal(req.subject_version, 2);
	snprintf(cn, sizeof(cn), "%s", req.subject.v[PSF_COMMON_NAME]);
	assert_string_equal(cn, "Иванов Иван Петрович");
	assert_string_equal(req.subject.v[PSF_SURNAME], "Иванов");
	assert_string_equal(req.subject.v[PSF_PATRONYMIC], "Петрович");
	assert_string_equal(req.subject.v[PSF_SNILS], "12345678964");
	assert_string_equal(req.subject.v[PSF_INN], "500100732259");
	assert_string_equal(req.subject.v[PSF_COUNTRY], "RU");
	assert_null(req.subject.v[PSF_EMAIL]);          /* the profile does not allow it */
	assert_null(req.subject.v[PSF_OGRNIP]);
	assert_true(has_check(&req, "subject_registered"));
	assert_true(has_check(&req, "subject_verified"));
	assert_true(has_check(&req, "subject_profile"));
	/* read back from the store */
	assert_int_equal(db_request_get(F.db, req.id, &again, &e), PECHAT_OK);
	assert_string_equal(again.subject_id, id);
	assert_int_equal(again.subject_version, 2);
	assert_string_equal(again.subject.v[PSF_COMMON_NAME], "Иванов Иван Петрович");
	db_request_free_fields(&again);
	db_request_free_fields(&req);
}

/* A subject blocked after submission: the approval is refused and nothing recorded; unblocked, it issues. */
static void
test_blocked_before_approval(void **state)
{
	struct db_request req, out;
	struct pechat_error e;
	struct db_subject s;
	char id[37], rid[40];

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "11122233372", id);
	assert_int_equal(submit(&portal, "officer", id, 0, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "pending");
	pechat_strlcpy(rid, req.id, sizeof(rid));
	db_request_free_fields(&req);
	assert_int_equal(ra_subject_block(RA_CA(F), F.db, &officer, F.now, id, "lost token", NULL, &s, &rv, &e), PECHAT_OK);
	ra_revoked_free(&rv);
	db_subject_free_fields(&s);
	pechat_error_clear(&e);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &officer, rid, &out, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_blocked");
	assert_int_equal(ra_fixture_rows(&F, "request_approvals"), 0);
	assert_int_equal(ra_subject_unblock(F.db, &officer, F.now, id, "re-checked", &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &officer, rid, &out, &e), PECHAT_OK);
	assert_string_equal(out.state, "issued");
	db_request_free_fields(&out);
}

/* One key, two registry subjects: the second is refused with nothing stored; the first may renew. */
static void
test_key_for_other_subject(void **state)
{
	struct db_request req;
	struct pechat_error e;
	unsigned char *pem;
	size_t len;
	char a[37], b[37], before[96], after[96];

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "18171615164", a);
	ra_fixture_individual(&F, &portal, &officer, "13121110064", b);
	pem = ca_fixture_new_csr_pem(&len);
	assert_int_equal(submit_csr(&portal, "qualified", a, 0, pem, len, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	assert_true(has_check(&req, "key_unique_to_subject"));
	db_request_free_fields(&req);
	snapshot(before, sizeof(before));
	assert_int_equal(submit_csr(&portal, "qualified", b, 0, pem, len, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "key_certified_for_other_subject");
	snapshot(after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(submit_csr(&portal, "qualified", a, 0, pem, len, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "issued");
	db_request_free_fields(&req);
	free(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_composed_from_registry),
		cmocka_unit_test(test_blocked_before_approval),
		cmocka_unit_test(test_key_for_other_subject),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
