/*
 * Unit tests for the subject registry: field and passport rules, every
 * state transition, duplicates, versions never edited (the store's triggers),
 * search paging with a stable cursor, a portal's view.
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
#include "test_util.h"

#define NOW ((time_t)1796040000)        /* 2026-11-30T12:00:00Z */

static struct ra_revoked rv;         /* what a block revoked */
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor portal2 = { "portal2", "portal", "" };

static int
setup(void **state)
{
	struct db *db = NULL;

	if (db_open(":memory:", 1, &db, NULL) != PECHAT_OK)
		return -1;
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	db_close(*state);
	return 0;
}

static int64_t
count(struct db *db, const char *table)
{
	return test_table_rows(db->conn, table);
}

/* A valid SNILS with base number n (9 digits, > 001001998), check digits computed. */
static void
make_snils(long n, char out[12])
{
	int s = 0, i, c;

	snprintf(out, 12, "%09ld", n);
	for (i = 0; i < 9; i++)
		s += (out[i] - '0') * (9 - i);
	c = s < 100 ? s : (s == 100 || s == 101) ? 0 : (s % 101 == 100 ? 0 : s % 101);
	out[9] = (char)('0' + (c / 10) % 10);
	out[10] = (char)('0' + c % 10);
	out[11] = '\0';
}

static void
person(struct ra_subject_input *in, const char *snils, const char *surname)
{
	memset(in, 0, sizeof(*in));
	in->kind = "individual";
	in->v[RSF_SURNAME] = surname;
	in->v[RSF_GIVEN_NAME] = "Иван";
	in->v[RSF_PATRONYMIC] = "Петрович";
	in->v[RSF_BIRTH_DATE] = "1990-05-15";
	in->v[RSF_SNILS] = snils;
	in->v[RSF_INN] = "500100732259";
	in->v[RSF_EMAIL] = "ivanov@example.ru";
	in->v[RSF_PHONE] = "+79161234567";
	in->v[RSF_COUNTRY] = "RU";
}

static void
passport(struct ra_document_input *d, const char *issued)
{
	d->kind = "21";
	d->series = "4510";
	d->number = "123456";
	d->issue_date = issued;
	d->issuer = "ОВД Тверского района г. Москвы";
	d->unit_code = "770-001";
}

static void
create_ok(struct db *db, const struct ra_actor *a, const struct ra_subject_input *in, struct db_subject *s)
{
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, a, NOW, in, s, &e), PECHAT_OK);
}

static void
test_dates(void **state)
{
	long d1, d2;

	(void)state;
	assert_true(ra_date_parse("2024-02-29", &d1));
	assert_false(ra_date_parse("2023-02-29", &d1));
	assert_false(ra_date_parse("1900-02-29", &d1));
	assert_true(ra_date_parse("2000-02-29", &d1));
	assert_false(ra_date_parse("2024-04-31", &d1));
	assert_false(ra_date_parse("2024-13-01", &d1));
	assert_false(ra_date_parse("2024-1-01", &d1));
	assert_false(ra_date_parse("2024-01-01T00:00:00Z", &d1));
	assert_true(ra_date_parse("1970-01-01", &d1));
	assert_int_equal(d1, 0);
	assert_true(ra_date_parse("2026-11-30", &d2));
	assert_int_equal(d2, (long)(NOW / 86400));
}

static void
test_create_and_get(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in;
	struct db_subject s, g;
	struct pechat_error e;
	int i, seen = 0;

	person(&in, "112-233-445 95", "Иванов");
	create_ok(db, &officer, &in, &s);
	assert_string_equal(s.state, "unverified");
	assert_int_equal(s.version, 1);
	assert_string_equal(s.snils, "11223344595");
	assert_int_equal(ra_subject_get(db, &officer, s.id, 0, &g, &e), PECHAT_OK);
	for (i = 0; i < g.nfields; i++)
		if (strcmp(g.field[i], "snils") == 0) {
			assert_string_equal(g.value[i], "11223344595");
			seen = 1;
		}
	assert_true(seen);
	assert_string_equal(g.name, "Иванов Иван");
	assert_int_equal(count(db, "audit"), 1);
	db_subject_free_fields(&g);
	/* a portal reads only its own */
	assert_int_equal(ra_subject_get(db, &portal, s.id, 0, &g, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	db_subject_free_fields(&s);
}

static void
test_duplicates(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	person(&in, "11223344595", "Иванов");
	create_ok(db, &officer, &in, &s);
	db_subject_free_fields(&s);
	person(&in, "112-233-445 95", "Другой");
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &portal, NOW, &in, &s, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "subject_duplicate");
	assert_int_equal(count(db, "subjects"), 1);
	assert_int_equal(count(db, "audit"), 1);
	/* organisations: one per INNLE + KPP */
	memset(&in, 0, sizeof(in));
	in.kind = "legal_entity";
	in.v[RSF_FULL_NAME] = "ООО «Ромашка»";
	in.v[RSF_INNLE] = "7707083893";
	in.v[RSF_OGRN] = "1027700132195";
	in.v[RSF_KPP] = "770701001";
	create_ok(db, &officer, &in, &s);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "subject_duplicate");
	in.v[RSF_KPP] = "770702001";    /* a branch: same INNLE, another KPP */
	create_ok(db, &officer, &in, &s);
	db_subject_free_fields(&s);
	assert_int_equal(count(db, "subjects"), 3);
}

static void
test_validation_every_field(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	person(&in, "11223344596", "Ива\xe2\x80\xaeнов");     /* bad check digits; U+202E */
	in.v[RSF_INN] = "500100732258";
	in.v[RSF_BIRTH_DATE] = "2023-02-29";
	in.v[RSF_EMAIL] = "no-at-sign";
	in.v[RSF_PHONE] = "89161234567";
	in.v[RSF_COUNTRY] = "ru";
	in.v[RSF_OGRN] = "1027700132195";       /* not a person's field */
	in.v[RSF_GIVEN_NAME] = NULL;
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "subject_invalid");
	assert_true(test_has_field(&e, "data.snils", "check_digit"));
	assert_true(test_has_field(&e, "data.inn", "check_digit"));
	assert_true(test_has_field(&e, "data.birth_date", "date"));
	assert_true(test_has_field(&e, "data.email", "format"));
	assert_true(test_has_field(&e, "data.phone", "format"));
	assert_true(test_has_field(&e, "data.country", "format"));
	assert_true(test_has_field(&e, "data.ogrn", "not_allowed"));
	assert_true(test_has_field(&e, "data.given_name", "required"));
	assert_true(test_has_field(&e, "data.surname", "charset"));
	assert_int_equal(count(db, "subjects"), 0);
	assert_int_equal(count(db, "audit"), 0);
	/* birth date in the future; unknown kind */
	person(&in, "11223344595", "Иванов");
	in.v[RSF_BIRTH_DATE] = "2027-01-01";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "data.birth_date", "date_future"));
	in.kind = "robot";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "kind", "enum"));
	/* sole proprietor: OGRNIP and INN required */
	person(&in, "11223344595", "Иванов");
	in.kind = "sole_proprietor";
	in.v[RSF_INN] = NULL;
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "data.ogrnip", "required"));
	assert_true(test_has_field(&e, "data.inn", "required"));
	in.v[RSF_INN] = "500100732259";
	in.v[RSF_OGRNIP] = "304500116000157";
	create_ok(db, &officer, &in, &s);
	db_subject_free_fields(&s);
}

static void
test_passport_rules(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in;
	struct ra_document_input d;
	struct db_id_document doc;
	struct db_subject s;
	struct pechat_error e;

	person(&in, "11223344595", "Иванов");   /* born 1990-05-15 */
	create_ok(db, &officer, &in, &s);
	memset(&d, 0, sizeof(d));
	passport(&d, "2027-01-01");
	d.series = "451";
	d.number = "12345A";
	d.unit_code = "770001";
	pechat_error_clear(&e);
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "document_invalid");
	assert_true(test_has_field(&e, "series", "format"));
	assert_true(test_has_field(&e, "number", "format"));
	assert_true(test_has_field(&e, "unit_code", "format"));
	assert_true(test_has_field(&e, "issue_date", "date_future"));
	passport(&d, "2004-05-14");     /* the day before the 14th birthday */
	pechat_error_clear(&e);
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "issue_date", "before_age_14"));
	passport(&d, "2004-02-30");
	pechat_error_clear(&e);
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "issue_date", "date"));
	assert_int_equal(count(db, "identity_documents"), 0);
	passport(&d, "2004-05-15");     /* on the 14th birthday */
	pechat_error_clear(&e);
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(doc.verified, 0);
	passport(&d, "2026-11-30");     /* today */
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(count(db, "identity_documents"), 2);
	db_subject_free_fields(&s);
}

static void
test_individual_transitions(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in;
	struct ra_document_input d;
	struct db_id_document doc;
	struct db_subject s, old;
	struct pechat_error e;
	int64_t doc_id;
	char id[37];

	person(&in, "11223344595", "Иванов");
	create_ok(db, &officer, &in, &s);
	pechat_strlcpy(id, s.id, sizeof(id));
	db_subject_free_fields(&s);
	/* no verified document yet */
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_evidence_missing");
	memset(&d, 0, sizeof(d));
	passport(&d, "2010-06-01");
	assert_int_equal(ra_document_add(db, &officer, NOW, id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_POLICY);
	assert_int_equal(ra_document_verify(db, &officer, NOW, id, doc.id, 4, &doc, &e), PECHAT_E_INVALID);
	doc_id = doc.id;
	assert_int_equal(ra_document_verify(db, &officer, NOW, "00000000-0000-4000-8000-000000000000", doc_id, 0,
	    &doc, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "document_unknown");
	assert_int_equal(ra_document_verify(db, &officer, NOW, id, doc_id, 0, &doc, &e), PECHAT_OK);
	assert_true(doc.verified);
	assert_string_equal(doc.verified_by, "officer1");
	assert_int_equal(doc.method, 0);
	assert_int_equal(ra_document_verify(db, &officer, NOW, id, doc.id, 1, &doc, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "document_already_verified");
	/* unverified -> verified */
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_OK);
	assert_string_equal(s.state, "verified");
	assert_int_equal(s.version, 2);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "subject_state_conflict");
	/* verified -> blocked (reason required) -> verified */
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(NULL, db, &officer, NOW, id, "", NULL, &s, &rv, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "reason", "required"));
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_block(NULL, db, &officer, NOW, id, "line\nbreak", NULL, &s, &rv, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "reason", "charset"));
	assert_int_equal(ra_subject_block(NULL, db, &officer, NOW, id, "key compromise reported", NULL, &s, &rv, &e), PECHAT_OK);
	ra_revoked_free(&rv);
	assert_string_equal(s.state, "blocked");
	assert_string_equal(s.reason, "key compromise reported");
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_block(NULL, db, &officer, NOW, id, "again", NULL, &s, &rv, &e), PECHAT_E_CONFLICT);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_CONFLICT);
	assert_int_equal(ra_subject_unblock(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_INVALID);
	assert_int_equal(ra_subject_unblock(db, &officer, NOW, id, "checked in person", &s, &e), PECHAT_OK);
	assert_string_equal(s.state, "verified");
	assert_int_equal(s.version, 4);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_unblock(db, &officer, NOW, id, "again", &s, &e), PECHAT_E_CONFLICT);
	/* an update is a new version, back to unverified; the old version stays as it was */
	in.v[RSF_SURNAME] = "Петров";
	assert_int_equal(ra_subject_update(db, &officer, NOW, id, &in, &s, &e), PECHAT_OK);
	assert_string_equal(s.state, "unverified");
	assert_int_equal(s.version, 5);
	assert_string_equal(s.name, "Петров Иван");
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_get(db, &officer, id, 1, &old, &e), PECHAT_OK);
	assert_string_equal(old.name, "Иванов Иван");
	assert_string_equal(old.state, "unverified");
	db_subject_free_fields(&old);
	/* unverified -> blocked; data changed while blocked -> unblock gives unverified */
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_block(NULL, db, &officer, NOW, id, "fraud suspected", NULL, &s, &rv, &e), PECHAT_OK);
	ra_revoked_free(&rv);
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_update(db, &officer, NOW, id, &in, &s, &e), PECHAT_OK);
	assert_string_equal(s.state, "blocked");
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_unblock(db, &officer, NOW, id, "cleared", &s, &e), PECHAT_OK);
	assert_string_equal(s.state, "unverified");
	db_subject_free_fields(&s);
	/* create + 2 docs + doc verify + verify, block, unblock, update, verify, block, update, unblock */
	assert_int_equal(count(db, "audit"), 11);
	assert_int_equal(ra_subject_get(db, &officer, "00000000-0000-4000-8000-000000000000", 0, &s, &e),
	    PECHAT_E_NOT_FOUND);
}

static void
test_legal_entity(void **state)
{
	struct db *db = *state;
	struct ra_subject_input in, head;
	struct ra_document_input d;
	struct db_id_document doc;
	struct db_subject s, h;
	struct pechat_error e;
	char id[37], head_id[37];

	person(&head, "11223344595", "Иванов");
	create_ok(db, &officer, &head, &h);
	memset(&in, 0, sizeof(in));
	in.kind = "legal_entity";
	in.v[RSF_FULL_NAME] = "ООО «Ромашка»";
	in.v[RSF_INNLE] = "7707083893";
	in.v[RSF_OGRN] = "1027700132195";
	in.v[RSF_KPP] = "770701001";
	in.nheads = 1;
	in.head_id[0] = "00000000-0000-4000-8000-000000000000";
	in.head_title[0] = "Генеральный директор";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "heads[0].subject_id", "unknown"));
	assert_int_equal(count(db, "subjects"), 1);
	in.head_id[0] = h.id;
	create_ok(db, &officer, &in, &s);
	assert_int_equal(s.nheads, 1);
	pechat_strlcpy(id, s.id, sizeof(id));
	db_subject_free_fields(&s);
	/* a legal entity is not a head */
	in.v[RSF_INNLE] = "7710474375";
	in.head_id[0] = id;
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &officer, NOW, &in, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "heads[0].subject_id", "kind"));
	/* no register source, then an unverified head */
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, NULL, &s, &e), PECHAT_E_POLICY);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, "EGRUL extract", &s, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_evidence_missing");
	assert_int_equal(count(db, "register_verifications"), 0);
	memset(&d, 0, sizeof(d));
	passport(&d, "2010-06-01");
	assert_int_equal(ra_document_add(db, &officer, NOW, id, &d, &doc, &e), PECHAT_E_POLICY);
	assert_int_equal(ra_document_add(db, &officer, NOW, h.id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(db, &officer, NOW, h.id, doc.id, 0, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, "EGRUL extract", &s, &e), PECHAT_E_POLICY);
	pechat_strlcpy(head_id, h.id, sizeof(head_id));
	db_subject_free_fields(&h);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, head_id, NULL, &h, &e), PECHAT_OK);
	db_subject_free_fields(&h);
	assert_int_equal(ra_subject_verify(db, &officer, NOW, id, "EGRUL extract No 12345 of 2026-11-30", &s, &e),
	    PECHAT_OK);
	assert_string_equal(s.state, "verified");
	db_subject_free_fields(&s);
	assert_int_equal(count(db, "register_verifications"), 1);
	/* an update keeps the heads when none are sent */
	in.v[RSF_INNLE] = "7707083893";
	in.v[RSF_SHORT_NAME] = "Ромашка";
	in.nheads = 0;
	assert_int_equal(ra_subject_update(db, &officer, NOW, id, &in, &s, &e), PECHAT_OK);
	assert_int_equal(s.nheads, 1);
	assert_string_equal(s.head_id[0], head_id);
	assert_string_equal(s.state, "unverified");
	db_subject_free_fields(&s);
}

/* The store refuses to edit or delete what the registry wrote. */
static void
test_append_only(void **state)
{
	static const char *const refused[] = {
		"UPDATE subject_versions SET state = 'verified'",
		"DELETE FROM subject_versions",
		"UPDATE subject_fields SET value = 'x'",
		"UPDATE subjects SET created_by = 'x'",
		"DELETE FROM subject_claims",
		"UPDATE identity_documents SET number = '000000'",
		"DELETE FROM document_verifications",
		NULL,
	};
	struct db *db = *state;
	struct ra_subject_input in;
	struct ra_document_input d;
	struct db_id_document doc;
	struct db_subject s;
	struct pechat_error e;
	char *msg = NULL;
	int i;

	person(&in, "11223344595", "Иванов");
	create_ok(db, &officer, &in, &s);
	memset(&d, 0, sizeof(d));
	passport(&d, "2010-06-01");
	assert_int_equal(ra_document_add(db, &officer, NOW, s.id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(db, &officer, NOW, s.id, doc.id, 0, &doc, &e), PECHAT_OK);
	for (i = 0; refused[i] != NULL; i++) {
		assert_int_not_equal(sqlite3_exec(db->conn, refused[i], NULL, NULL, &msg), SQLITE_OK);
		assert_non_null(msg);
		assert_non_null(strstr(msg, "append-only"));
		sqlite3_free(msg);
		msg = NULL;
	}
	db_subject_free_fields(&s);
	assert_int_equal(ra_subject_get(db, &officer, in.v[RSF_SNILS], 0, &s, &e), PECHAT_E_NOT_FOUND);
}

/* Walks every page of f (limit per page); fills ids; returns how many. */
static int
walk(struct db *db, const struct ra_actor *a, struct db_subject_filter *f, char (*all)[37], int max)
{
	char (*ids)[37] = calloc(RA_SEARCH_LIMIT_MAX + 1, sizeof(*ids));
	char cursor[37] = "";
	struct pechat_error e;
	int n = 0, c, more, i, pages = 0;

	assert_non_null(ids);
	do {
		f->after_id = cursor[0] != '\0' ? cursor : NULL;
		assert_int_equal(ra_subject_search(db, a, f, ids, &c, &more, &e), PECHAT_OK);
		assert_true(c <= f->limit);
		for (i = 0; i < c && n < max; i++) {
			if (n > 0)
				assert_true(strcmp(all[n - 1], ids[i]) < 0);   /* strictly increasing: no repeats */
			memcpy(all[n++], ids[i], 37);
		}
		if (c > 0)
			memcpy(cursor, ids[c - 1], 37);
		assert_true(++pages < 100);
	} while (more);
	free(ids);
	return n;
}

static void
test_search_paging(void **state)
{
	struct db *db = *state;
	struct db_subject_filter f;
	struct ra_subject_input in;
	struct db_subject s;
	char snils[12], all[32][37], first[37], (*ids)[37];
	struct pechat_error e;
	int i, n, c, more;

	for (i = 0; i < 7; i++) {
		make_snils(200000000L + i * 1111, snils);
		person(&in, snils, i % 2 ? "Петров" : "Иванов");
		create_ok(db, i < 5 ? &portal : &portal2, &in, &s);
		db_subject_free_fields(&s);
	}
	memset(&f, 0, sizeof(f));
	f.limit = 3;
	assert_int_equal(walk(db, &officer, &f, all, 32), 7);
	memset(&f, 0, sizeof(f));
	f.limit = 3;
	assert_int_equal(walk(db, &portal, &f, all, 32), 5);
	assert_int_equal(walk(db, &portal2, &f, all, 32), 2);
	memset(&f, 0, sizeof(f));
	f.limit = 50;
	f.name_prefix = "Петр";
	assert_int_equal(walk(db, &officer, &f, all, 32), 3);
	f.name_prefix = "Иванов Ив";
	assert_int_equal(walk(db, &officer, &f, all, 32), 4);
	f.name_prefix = NULL;
	f.state = "verified";
	assert_int_equal(walk(db, &officer, &f, all, 32), 0);
	f.state = NULL;
	make_snils(200000000L + 3 * 1111, snils);
	f.snils = snils;
	assert_int_equal(walk(db, &officer, &f, all, 32), 1);
	f.snils = NULL;
	f.inn = "500100732259";
	assert_int_equal(walk(db, &officer, &f, all, 32), 7);
	/* stable cursor: subjects created between pages never repeat or shift what follows */
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	ids = calloc(RA_SEARCH_LIMIT_MAX + 1, sizeof(*ids));
	assert_non_null(ids);
	assert_int_equal(ra_subject_search(db, &officer, &f, ids, &c, &more, &e), PECHAT_OK);
	assert_int_equal(c, 2);
	assert_true(more);
	memcpy(first, ids[1], 37);
	for (i = 0; i < 3; i++) {
		make_snils(300000000L + i * 1111, snils);
		person(&in, snils, "Новый");
		create_ok(db, &officer, &in, &s);
		db_subject_free_fields(&s);
	}
	f.after_id = first;
	f.limit = 500;
	assert_int_equal(ra_subject_search(db, &officer, &f, ids, &c, &more, &e), PECHAT_OK);
	assert_false(more);
	for (i = 0; i < c; i++)
		assert_true(strcmp(ids[i], first) > 0);
	/* the 5 older subjects after the cursor, plus the new ones whose ids sort after it */
	n = c;
	assert_true(n >= 5 && n <= 8);
	free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test_setup_teardown(test_create_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passport_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_individual_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legal_entity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_paging, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
