/*
 * Unit tests for stored powers of attorney (ra/poa_store.c, db/poas.c):
 * import from the XML and JSON samples of tests/data/poa, the principal's
 * checks, duplicates, nothing written on any refusal, revocation (reason
 * required, audited, once), the states, a portal's view, and the store's
 * append-only triggers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "ra/poa_store.h"
#include "test_util.h"

#define NOW ((time_t)1796040000)        /* 2026-11-30T12:00:00Z: valid.xml is in force */
#define DAY ((time_t)86400)

static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };
static const struct ra_actor portal2 = { "portal2", "portal", "" };

struct fixture {
	struct db *db;
	char org[37];           /* ООО «Ромашка», INNLE 7707083893, KPP 770701001, created by portal1 */
	char person[37];        /* an individual */
	struct db_poa *p;       /* 36 KiB: on the heap */
};

/* Reads tests/data/poa/<name> into a malloc'd buffer. */
static char *
sample(const char *name, size_t *len)
{
	const char *dir = getenv("PECHAT_TEST_DATA");
	char path[512];
	unsigned char *buf = NULL;

	snprintf(path, sizeof(path), "%s/poa/%s", dir != NULL ? dir : "tests/data", name);
	assert_int_equal(pechat_file_read(path, 4 * 1024 * 1024, &buf, len), 0);
	return (char *)buf;
}

static int64_t
count(struct db *db, const char *table)
{
	return test_table_rows(db->conn, table);
}

/* Creates a legal entity (by portal1) with the given KPP and returns its id in id. */
static void
org_create(struct db *db, const char *kpp, char id[37])
{
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "legal_entity";
	in.v[RSF_FULL_NAME] = "ООО «Ромашка»";
	in.v[RSF_INNLE] = "7707083893";
	in.v[RSF_OGRN] = "1027700132195";
	in.v[RSF_KPP] = kpp;
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(db, &portal, NOW, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ra_subject_input in;
	struct db_subject s;
	struct pechat_error e;

	if (f == NULL || (f->p = calloc(1, sizeof(*f->p))) == NULL || db_open(":memory:", 1, &f->db, NULL) != PECHAT_OK)
		return -1;
	org_create(f->db, "770701001", f->org);
	memset(&in, 0, sizeof(in));
	in.kind = "individual";
	in.v[RSF_SURNAME] = "Иванов";
	in.v[RSF_GIVEN_NAME] = "Иван";
	in.v[RSF_PATRONYMIC] = "Петрович";
	in.v[RSF_BIRTH_DATE] = "1990-05-15";
	in.v[RSF_SNILS] = "11223344595";
	in.v[RSF_INN] = "500100732259";
	in.v[RSF_EMAIL] = "ivanov@example.ru";
	in.v[RSF_PHONE] = "+79161234567";
	in.v[RSF_COUNTRY] = "RU";
	pechat_error_clear(&e);
	if (ra_subject_create(f->db, &officer, NOW, &in, &s, &e) != PECHAT_OK)
		return -1;
	pechat_strlcpy(f->person, s.id, sizeof(f->person));
	db_subject_free_fields(&s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->db);
	free(f->p);
	free(f);
	return 0;
}

/* Imports tests/data/poa/<name> as XML for principal; returns the result, *e filled. */
static enum pechat_err
import_xml(struct fixture *f, const char *principal, const char *name, struct pechat_error *e)
{
	size_t len;
	char *xml = sample(name, &len);
	struct ra_poa_source src = { "xml", xml, len, NULL, NULL };
	enum pechat_err err;

	pechat_error_clear(e);
	err = ra_poa_import(f->db, &officer, NOW, principal, &src, f->p, e);
	free(xml);
	return err;
}

/* Rows of every POA table and the audit log, to compare before/after a refusal. */
static int64_t
rows(struct db *db)
{
	return count(db, "powers_of_attorney") * 1000000 + count(db, "poa_powers") * 10000 +
	    count(db, "poa_revocations") * 100 + count(db, "audit");
}

static void
test_import_xml(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	unsigned char *doc = NULL;
	size_t len, doclen;
	char *xml = sample("valid.xml", &len);
	int64_t audit = count(f->db, "audit");

	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);
	assert_true(f->p->id > 0);
	assert_string_equal(f->p->number, "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
	assert_string_equal(f->p->principal_id, f->org);
	assert_string_equal(f->p->source, "xml");
	assert_string_equal(ra_poa_state(f->p, NOW), "active");
	assert_int_equal(count(f->db, "powers_of_attorney"), 1);
	assert_int_equal(count(f->db, "poa_powers"), f->p->npowers);
	assert_true(f->p->npowers > 0);
	assert_int_equal(count(f->db, "audit"), audit + 1);
	/* read back: every field as imported, the original bytes kept */
	assert_int_equal(ra_poa_get(f->db, &officer, f->p->id, f->p, &e), PECHAT_OK);
	assert_string_equal(f->p->rep_surname, "Петрова");
	assert_string_equal(f->p->rep_snils, "08765430300");
	assert_string_equal(f->p->rep_inn, "771234567859");
	assert_string_equal(f->p->internal_number, "17/2026-Д");
	assert_string_equal(f->p->principal_kpp, "770701001");
	assert_int_equal(f->p->revoked, 0);
	assert_int_equal(db_poa_document(f->db, f->p->id, &doc, &doclen, &e), PECHAT_OK);
	assert_int_equal(doclen, len);
	assert_memory_equal(doc, xml, len);
	free(doc);
	free(xml);
}

static void
test_import_json_and_duplicate(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	struct ra_poa_source src = { "json", NULL, 0, NULL, NULL };
	size_t len;
	char *text = sample("valid.json", &len);
	json_t *json = json_loadb(text, len, 0, NULL);
	int64_t before;

	assert_non_null(json);
	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);
	/* the same registration number again, as JSON: 409, nothing written */
	before = rows(f->db);
	src.json = json;
	src.bytes = text;
	src.len = len;
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_import(f->db, &officer, NOW, f->org, &src, f->p, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "poa_duplicate");
	assert_int_equal(rows(f->db), before);
	/* another number: stored, source json */
	json_object_set_new(json, "number", json_string("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_import(f->db, &officer, NOW, f->org, &src, f->p, &e), PECHAT_OK);
	assert_string_equal(f->p->source, "json");
	assert_string_equal(f->p->number, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
	assert_int_equal(count(f->db, "powers_of_attorney"), 2);
	json_decref(json);
	free(text);
}

static void
test_principal_refused(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	char branch[37];
	int64_t before;

	org_create(f->db, "770702001", branch);
	before = rows(f->db);
	assert_int_equal(import_xml(f, "00000000-0000-4000-8000-000000000000", "valid.xml", &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(import_xml(f, f->person, "valid.xml", &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "poa_principal_mismatch");
	assert_int_equal(import_xml(f, branch, "valid.xml", &e), PECHAT_E_POLICY);   /* same INNLE, other KPP */
	assert_string_equal(e.code, "poa_principal_mismatch");
	assert_int_equal(rows(f->db), before);
}

static void
test_invalid_documents(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	struct ra_poa_source src = { "json", "{}", 2, NULL, NULL };
	json_t *empty = json_object();
	int64_t before = rows(f->db);

	assert_int_equal(import_xml(f, f->org, "xxe.xml", &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "poa_invalid");
	assert_int_equal(import_xml(f, f->org, "billion_laughs.xml", &e), PECHAT_E_INVALID);
	assert_int_equal(import_xml(f, f->org, "wrong_version.xml", &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "poa_format_unsupported");
	assert_int_equal(import_xml(f, f->org, "missing_number.xml", &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "poa_invalid");
	src.json = empty;
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_import(f->db, &officer, NOW, f->org, &src, f->p, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "poa_invalid");
	assert_int_equal(rows(f->db), before);
	json_decref(empty);
}

static void
test_revoke(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	int64_t id, before;

	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);
	id = f->p->id;
	before = rows(f->db);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW, id, NULL, f->p, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW, id, "bad\x01", f->p, &e), PECHAT_E_INVALID);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW, id + 1, "no such", f->p, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "poa_unknown");
	assert_int_equal(rows(f->db), before);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW + 60, id, "the director withdrew it", f->p, &e), PECHAT_OK);
	assert_int_equal(f->p->revoked, 1);
	assert_string_equal(f->p->revoked_by, "officer1");
	assert_string_equal(f->p->revoked_reason, "the director withdrew it");
	assert_int_equal(f->p->revoked_at, NOW + 60);
	assert_string_equal(ra_poa_state(f->p, NOW), "revoked");
	assert_int_equal(count(f->db, "poa_revocations"), 1);
	assert_int_equal(count(f->db, "audit"), before % 100 + 1);
	before = rows(f->db);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW, id, "again", f->p, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "poa_already_revoked");
	assert_int_equal(rows(f->db), before);
}

static void
test_states(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;

	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);    /* 2026-01-15 .. 2027-01-14 */
	assert_string_equal(ra_poa_state(f->p, (time_t)1768435200), "active");                 /* 2026-01-15 */
	assert_string_equal(ra_poa_state(f->p, (time_t)1768435200 - 1), "expired");            /* the day before */
	assert_string_equal(ra_poa_state(f->p, (time_t)1799971200 - 1), "active");             /* 2027-01-14 23:59:59 */
	assert_string_equal(ra_poa_state(f->p, (time_t)1799971200), "expired");                /* 2027-01-15 */
	/* expired.xml (2020-01-15 .. 2021-01-14) shares the number: stored alone, it is expired today */
	assert_int_equal(import_xml(f, f->org, "expired.xml", &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "poa_duplicate");
}

static void
test_portal_view(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	int64_t ids[4];
	int n = -1;

	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);
	assert_int_equal(ra_poa_get(f->db, &portal, f->p->id, f->p, &e), PECHAT_OK);  /* its own subject */
	assert_int_equal(ra_poa_list(f->db, &portal, f->org, ids, 4, &n, &e), PECHAT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], f->p->id);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_get(f->db, &portal2, ids[0], f->p, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "poa_unknown");
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_list(f->db, &portal2, f->org, ids, 4, &n, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "subject_unknown");
	assert_int_equal(n, 0);
}

static void
test_append_only(void **state)
{
	struct fixture *f = *state;
	struct pechat_error e;
	static const char *const sql[] = {
		"UPDATE powers_of_attorney SET valid_until = '2099-01-01'",
		"DELETE FROM powers_of_attorney",
		"UPDATE poa_powers SET code = 'x'",
		"DELETE FROM poa_powers",
		"UPDATE poa_revocations SET reason = 'x'",
		"DELETE FROM poa_revocations",
	};
	size_t i;

	assert_int_equal(import_xml(f, f->org, "valid.xml", &e), PECHAT_OK);
	pechat_error_clear(&e);
	assert_int_equal(ra_poa_revoke(f->db, &officer, NOW, f->p->id, "withdrawn", f->p, &e), PECHAT_OK);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		assert_int_not_equal(sqlite3_exec(f->db->conn, sql[i], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count(f->db, "powers_of_attorney"), 1);
	assert_int_equal(count(f->db, "poa_revocations"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import_xml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_json_and_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_principal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portal_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
