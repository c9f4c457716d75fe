/*
 * Unit tests for heads' appointment documents (docs/REGISTRATION.md,
 * "Appointment documents"; ra/appointments.c, db/appointments.c): every
 * field rule named in one validation_failed, the organisation's kind, the
 * officer's verification (source, once, another organisation's document),
 * append-only rows with their audit entries; and the head's authority for a
 * legal entity's request without a power of attorney (ra/legal.c): refused
 * with no appointment, an unverified one, one of another head or another
 * organisation, an expired one; accepted with a verified one in force (check
 * head_appointment_verified); re-checked at approval (expired since).
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

#include "db/db_int.h"
#include "ra/ra.h"

#include "ca_fixture.h"
#include "ra_fixture.h"
#include "test_util.h"

static struct ca_fixture F;
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static char head[37], head2[37], stranger[37], org[37], org2[37];

/* The day `days` from F.now as YYYY-MM-DD into buf (11 bytes). */
static const char *
day(long days, char *buf)
{
	time_t t = F.now + days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
	return buf;
}

static int64_t
rows(const char *table)
{
	return test_table_rows(F.db->conn, table);
}

/* Registers (by the portal) and verifies an individual; its id into id. */
static void
person_verified(const char *sur, const char *snils, const char *inn, char id[37])
{
	struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД Тверского района", "770-001", NULL };
	struct ra_subject_input in;
	struct db_id_document doc;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "individual";
	in.v[RSF_SURNAME] = sur;
	in.v[RSF_GIVEN_NAME] = "Иван";
	in.v[RSF_BIRTH_DATE] = "1980-05-20";
	in.v[RSF_SNILS] = snils;
	in.v[RSF_INN] = inn;
	in.v[RSF_COUNTRY] = "RU";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(F.db, &portal, F.now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
	assert_int_equal(ra_document_add(F.db, &officer, F.now, id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(F.db, &officer, F.now, id, doc.id, 0, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(F.db, &officer, F.now, id, NULL, &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
}

/* Registers and verifies an organisation with heads h1 (and h2 unless NULL); its id into id. */
static void
org_verified(const char *innle, const char *ogrn, const char *h1, const char *h2, char id[37])
{
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "legal_entity";
	in.v[RSF_FULL_NAME] = "Общество с ограниченной ответственностью «Ромашка»";
	in.v[RSF_SHORT_NAME] = "ООО «Ромашка»";
	in.v[RSF_INNLE] = innle;
	in.v[RSF_OGRN] = ogrn;
	in.v[RSF_KPP] = "770701001";
	in.v[RSF_COUNTRY] = "RU";
	in.heads_given = 1;
	in.nheads = h2 != NULL ? 2 : 1;
	in.head_id[0] = h1;
	in.head_title[0] = "Генеральный директор";
	in.head_id[1] = h2;
	in.head_title[1] = "Исполнительный директор";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(F.db, &portal, F.now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_verify(F.db, &officer, F.now, id, "EGRUL extract No 1", &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
}

static int
group_setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "appt") != 0)
		return -1;
	/* "org": an organisation's representatives, one officer's approval */
	F.profiles[1] = F.profiles[0];
	pechat_strlcpy(F.profiles[1].name, "org", sizeof(F.profiles[1].name));
	F.profiles[1].auto_approve = 0;
	F.profiles[1].approvals = 1;
	F.profiles[1].subject_registry = 1;
	pechat_strlcpy(F.profiles[1].subject_kind, "legal_entity", sizeof(F.profiles[1].subject_kind));
	F.conf.n_profiles = 2;
	return ca_fixture_start(&F);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* A valid appointment of head h (a protocol with a term when until != NULL). */
static struct ra_appointment_input
good(const char *h, const char *date, const char *until)
{
	struct ra_appointment_input in = { h, "order", "12-к", date, "Общее собрание участников ООО «Ромашка»", until,
		"Генеральный директор" };

	return in;
}

/* Runs first: the registry the other tests share. */
static void
test_setup_registry(void **state)
{
	(void)state;
	person_verified("Иванов", "11223344595", "500100732259", head);
	person_verified("Сидоров", "08765430300", "771234567859", head2);
	person_verified("Петров", "12345678964", NULL, stranger);
	org_verified("7707083893", "1027700132195", head, head2, org);
	org_verified("7736050003", "1027700070518", head, NULL, org2);
}

/* Every bad field at once, then each rule alone; nothing stored, nothing audited. */
static void
test_fields(void **state)
{
	struct ra_appointment_input in;
	struct db_appointment a;
	struct pechat_error e;
	int64_t audit = rows("audit");
	char d[11];

	(void)state;
	in = good(stranger, "2024-02-30", "x");
	in.kind = "ordre";
	in.number = "";
	in.issued_by = "общее\x01собрание";
	in.title = NULL;
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_int_equal(e.nfields, 7);
	assert_true(test_has_field(&e, "head_id", "not_a_head"));
	assert_true(test_has_field(&e, "kind", "enum"));
	assert_true(test_has_field(&e, "number", "format"));
	assert_true(test_has_field(&e, "date", "date"));
	assert_true(test_has_field(&e, "issued_by", "format"));
	assert_true(test_has_field(&e, "valid_until", "date"));
	assert_true(test_has_field(&e, "title", "required"));

	in = good(head, day(1, d), NULL);                       /* tomorrow */
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 1);
	assert_true(test_has_field(&e, "date", "date_future"));
	in = good(head, "1990-12-31", NULL);
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "date", "date_too_early"));
	in = good(head, "2024-01-10", "2024-01-10");            /* the term must end after the date */
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 1);
	assert_true(test_has_field(&e, "valid_until", "not_after_date"));
	memset(&in, 0, sizeof(in));
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 6);                         /* valid_until is optional */
	assert_true(test_has_field(&e, "head_id", "required"));
	assert_true(test_has_field(&e, "kind", "required"));
	assert_true(test_has_field(&e, "number", "required"));
	assert_true(test_has_field(&e, "date", "required"));
	assert_true(test_has_field(&e, "issued_by", "required"));
	assert_true(test_has_field(&e, "title", "required"));

	/* an individual has no appointments; an unknown organisation */
	in = good(head, "2024-01-10", NULL);
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, head, &in, &a, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_kind_mismatch");
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, "00000000-0000-4000-8000-000000000000", &in, &a,
	    &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(rows("head_appointments"), 0);
	assert_int_equal(rows("audit"), audit);
}

/* Recorded, verified once from a known source; another organisation's id is unknown; rows never change. */
static void
test_verify(void **state)
{
	struct ra_appointment_input in = good(head2, "2023-03-01", "2028-02-29");
	struct db_appointment a, v;
	struct pechat_error e;
	int64_t audit = rows("audit");

	(void)state;
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, org, &in, &a, &e), PECHAT_OK);
	assert_true(a.id > 0);
	assert_string_equal(a.org_id, org);
	assert_string_equal(a.head_id, head2);
	assert_string_equal(a.kind, "order");
	assert_string_equal(a.number, "12-к");
	assert_string_equal(a.date, "2023-03-01");
	assert_string_equal(a.valid_until, "2028-02-29");
	assert_string_equal(a.title, "Генеральный директор");
	assert_string_equal(a.added_by, "officer1");
	assert_false(a.verified);
	assert_int_equal(rows("audit"), audit + 1);

	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id, "scan", &v, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_true(test_has_field(&e, "source", "enum"));
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id, NULL, &v, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "source", "required"));
	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org2, a.id, "original", &v, &e),
	    PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "appointment_unknown");
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id + 100, "original", &v, &e),
	    PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "appointment_unknown");
	assert_int_equal(rows("appointment_verifications"), 0);
	assert_int_equal(rows("audit"), audit + 1);

	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id, "notarised_copy", &v, &e), PECHAT_OK);
	assert_true(v.verified);
	assert_string_equal(v.verified_by, "officer1");
	assert_string_equal(v.source, "notarised_copy");
	assert_int_equal(v.verified_at, F.now);
	assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, org, a.id, "egrul", &v, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "appointment_already_verified");
	assert_int_equal(rows("audit"), audit + 2);

	/* append-only */
	assert_int_not_equal(sqlite3_exec(F.db->conn, "UPDATE head_appointments SET number = 'x'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(F.db->conn, "DELETE FROM head_appointments", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(F.db->conn, "DELETE FROM appointment_verifications", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(rows("appointment_verifications"), 1);
}

/* 1 if req carries the passed check `name`. */
static int
has_check(const struct db_request *req, const char *name)
{
	int i;

	for (i = 0; i < req->nchecks; i++)
		if (strcmp(req->checks[i].name, name) == 0 && req->checks[i].passed)
			return 1;
	return 0;
}

/* The head's request for organisation o without a POA; *out as submitted. */
static enum pechat_err
submit_head(const char *o, const char *rep, struct db_request *out, struct pechat_error *e)
{
	return ra_fixture_submit(&F, &portal, "org", o, rep, 0, out, e);
}

/* Adds and (source != NULL) verifies an appointment of h at o. */
static void
appoint(const char *o, const char *h, const char *date, const char *until, const char *source)
{
	struct ra_appointment_input in = good(h, date, until);
	struct db_appointment a;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ra_appointment_add(F.db, &officer, F.now, o, &in, &a, &e), PECHAT_OK);
	if (source != NULL)
		assert_int_equal(ra_appointment_verify(F.db, &officer, F.now, o, a.id, source, &a, &e), PECHAT_OK);
}

/* The head's authority without a POA: a verified appointment in force, at submission and approval. */
static void
test_head_request(void **state)
{
	struct db_request req, out;
	struct pechat_error e;
	int64_t requests = rows("requests");
	char d[11];

	(void)state;
	/* none; an unverified one; head2's (verified, test_verify); head's at org2: all refused */
	assert_int_equal(submit_head(org, head, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "head_appointment_missing");
	appoint(org, head, "2022-05-01", NULL, NULL);
	appoint(org2, head, "2022-05-01", NULL, "original");
	assert_int_equal(submit_head(org, head, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "head_appointment_missing");
	/* at org2 the same head is appointed: accepted there */
	assert_int_equal(submit_head(org2, head, &req, &e), PECHAT_OK);
	assert_true(has_check(&req, "head_appointment_verified"));
	db_request_free_fields(&req);
	requests++;
	/* an expired one (term ended yesterday) */
	appoint(org, head, "2020-01-10", day(-1, d), "egrul");
	assert_int_equal(submit_head(org, head, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "head_appointment_expired");
	assert_non_null(strstr(e.detail, d));
	/* a non-head still needs a POA first */
	assert_int_equal(submit_head(org, stranger, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "poa_required");
	assert_int_equal(rows("requests"), requests);

	/* in force until today + 30 (the last day counts): stored, pending, the check recorded */
	appoint(org, head, "2025-01-10", day(0, d), "original");
	assert_int_equal(submit_head(org, head, &req, &e), PECHAT_OK);
	db_request_free_fields(&req);
	appoint(org, head, "2025-01-10", day(30, d), "original");
	assert_int_equal(submit_head(org, head, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "pending");
	assert_true(has_check(&req, "representative_is_head"));
	assert_true(has_check(&req, "head_appointment_verified"));
	assert_int_equal(rows("requests"), requests + 2);

	/* the term ends before the approval: refused, nothing recorded */
	F.now += 31 * 86400;
	pechat_error_clear(&e);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &officer, req.id, &out, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "head_appointment_expired");
	assert_int_equal(rows("request_approvals"), 0);
	/* the next appointment recorded and verified: the approval issues */
	appoint(org, head, day(-1, d), NULL, "original");
	pechat_error_clear(&e);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &officer, req.id, &out, &e), PECHAT_OK);
	assert_string_equal(out.state, "issued");
	db_request_free_fields(&out);
	db_request_free_fields(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_registry),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_head_request),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
