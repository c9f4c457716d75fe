/* tests/unit/ra_fixture.c — see ra_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra_fixture.h"

/* f's store file opened with flags; asserts. */
static sqlite3 *
open_store(const struct ca_fixture *f, int flags)
{
	char path[256];
	sqlite3 *raw = NULL;

	snprintf(path, sizeof(path), "%s/pechat.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &raw, flags, NULL), SQLITE_OK);
	return raw;
}

int64_t
ra_fixture_sql_int(const struct ca_fixture *f, const char *sql)
{
	sqlite3 *raw = open_store(f, SQLITE_OPEN_READONLY);
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(raw));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);
	return n;
}

int64_t
ra_fixture_rows(const struct ca_fixture *f, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return ra_fixture_sql_int(f, sql);
}

void
ra_fixture_exec(const struct ca_fixture *f, const char *sql)
{
	sqlite3 *raw = open_store(f, SQLITE_OPEN_READWRITE);

	assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
}

void
ra_fixture_individual(struct ca_fixture *f, const struct ra_actor *by, const struct ra_actor *officer,
    const char *snils, char id[37])
{
	struct ra_subject_input in;
	struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД Тверского района", "770-001", NULL };
	struct db_id_document doc;
	struct db_subject s;
	struct pechat_error e;

	memset(&in, 0, sizeof(in));
	in.kind = "individual";
	in.v[RSF_SURNAME] = "Иванов";
	in.v[RSF_GIVEN_NAME] = "Иван";
	in.v[RSF_PATRONYMIC] = "Петрович";
	in.v[RSF_BIRTH_DATE] = "1990-05-15";
	in.v[RSF_SNILS] = snils;
	in.v[RSF_INN] = "500100732259";
	in.v[RSF_EMAIL] = "ivanov@example.ru";
	in.v[RSF_COUNTRY] = "RU";
	pechat_error_clear(&e);
	assert_int_equal(ra_subject_create(f->db, by, f->now, &in, &s, &e), PECHAT_OK);
	pechat_strlcpy(id, s.id, 37);
	db_subject_free_fields(&s);
	if (officer == NULL)
		return;
	assert_int_equal(ra_document_add(f->db, officer, f->now, id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(f->db, officer, f->now, id, doc.id, 0, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_subject_verify(f->db, officer, f->now, id, NULL, &s, &e), PECHAT_OK);
	db_subject_free_fields(&s);
}

void
ra_fixture_assert_stored(struct ca_fixture *f, const struct db_request *r)
{
	struct db_request st;
	struct pechat_error e;
	int i;

	pechat_error_clear(&e);
	assert_int_equal(db_request_get(f->db, r->id, &st, &e), PECHAT_OK);
	assert_string_equal(r->client, st.client);
	assert_string_equal(r->profile, st.profile);
	assert_string_equal(r->issuer, st.issuer);
	assert_string_equal(r->state, st.state);
	assert_string_equal(r->idem_key, st.idem_key);
	assert_string_equal(r->body_hash, st.body_hash);
	assert_string_equal(r->cert_serial, st.cert_serial);
	assert_string_equal(r->error_code, st.error_code);
	assert_string_equal(r->error_detail, st.error_detail);
	for (i = 0; i < PSF_COUNT; i++)
		assert_string_equal(r->subject.v[i] != NULL ? r->subject.v[i] : "",
		    st.subject.v[i] != NULL ? st.subject.v[i] : "");
	assert_string_equal(r->subject_id, st.subject_id);
	assert_int_equal(r->subject_version, st.subject_version);
	assert_string_equal(r->representative_id, st.representative_id);
	assert_int_equal(r->representative_version, st.representative_version);
	assert_int_equal(r->poa_id, st.poa_id);
	assert_string_equal(r->sign_tool, st.sign_tool);
	assert_int_equal(r->has_identification_kind, st.has_identification_kind);
	assert_int_equal(r->identification_kind, st.identification_kind);
	assert_int_equal(r->nchecks, st.nchecks);
	for (i = 0; i < r->nchecks; i++) {
		assert_string_equal(r->checks[i].name, st.checks[i].name);
		assert_int_equal(r->checks[i].passed, st.checks[i].passed);
		assert_string_equal(r->checks[i].detail, st.checks[i].detail);
	}
	assert_int_equal(r->created_at, st.created_at);
	assert_int_equal(r->updated_at, st.updated_at);
	db_request_free_fields(&st);
	/* a certificate the call reported is the stored one of that serial */
	if (r->cert_der != NULL) {
		struct db_cert c;

		assert_int_equal(db_cert_get(f->db, r->cert_serial, &c, &e), PECHAT_OK);
		assert_int_equal(r->cert_der_len, c.der_len);
		assert_memory_equal(r->cert_der, c.der, c.der_len);
		assert_int_equal(r->cert_not_before, c.not_before);
		assert_int_equal(r->cert_not_after, c.not_after);
		db_cert_free_fields(&c);
	}
}

/* ra_request_submit of sub (its CSR: a fresh P-256 key's) by `by`; an accepted request is as stored. */
static enum pechat_err
submit_with_csr(struct ca_fixture *f, const struct ra_actor *by, struct ra_submission *sub,
    struct db_request *out, struct pechat_error *e)
{
	enum pechat_err err;
	unsigned char *pem;
	size_t len;
	int replayed;

	pechat_error_clear(e);
	assert_non_null(pem = ca_fixture_new_csr_pem(&len));
	sub->csr = pem;
	sub->csr_len = len;
	sub->body_hash = "0000";
	err = ra_request_submit(RA_CA(*f), f->db, by, sub, out, &replayed, e);
	free(pem);
	if (err == PECHAT_OK)
		ra_fixture_assert_stored(f, out);
	/* a certificate issued by this call comes with the request: its reply reads nothing back */
	if (err == PECHAT_OK && strcmp(out->state, "issued") == 0)
		assert_non_null(out->cert_der);
	return err;
}

enum pechat_err
ra_fixture_submit(struct ca_fixture *f, const struct ra_actor *by, const char *profile, const char *subject_id,
    const char *representative_id, int64_t poa_id, struct db_request *out, struct pechat_error *e)
{
	struct ra_submission sub;

	memset(&sub, 0, sizeof(sub));
	sub.profile = profile;
	sub.subject_id = subject_id;
	sub.representative_id = representative_id;
	sub.poa_id = poa_id;
	return submit_with_csr(f, by, &sub, out, e);
}

enum pechat_err
ra_fixture_submit_cn(struct ca_fixture *f, const struct ra_actor *by, const char *profile, const char *cn,
    struct db_request *out, struct pechat_error *e)
{
	struct pechat_subject s;
	struct ra_submission sub;
	enum pechat_err err;

	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, cn), 0);
	sub.profile = profile;
	sub.subject = &s;
	err = submit_with_csr(f, by, &sub, out, e);
	pechat_subject_clear(&s);
	return err;
}
