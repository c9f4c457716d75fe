/*
 * Unit tests for ra/qualified.c on a real store with a fake clock: the sign
 * tool (the request's, bounded in characters, else the profile's, else
 * "sign_tool_missing"); identificationKind = the method of the newest
 * verification of the owner's identity documents made by request time
 * (none: "identification_kind_missing"); a sign tool or a power of
 * attorney where they do not belong; and end to end through
 * ra_request_submit and ra_request_approve: both kept with the request and
 * in the certificate, nothing stored on a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ra/ra.h"
#include "ra/ra_int.h"
#include "ra/rekey.h"

#include "ca_fixture.h"
#include "ra_fixture.h"

static struct ca_fixture F;
static const struct ra_actor officer = { "officer1", "ra_officer", "" };
static const struct ra_actor portal = { "portal1", "portal", "" };

/* Profile "qualified": a qualified registry individual, one approval, the profile's sign tool;
 * issuer "ecdsa" with its sign tools. File store (raw counts). */
static int
group_setup(void **state)
{
	static const struct pechat_sign_tools tools = { "СКЗИ «Печать-CSP»", "ПАК «Печать УЦ»", "СФ/124-0001",
		"СФ/128-0002" };

	(void)state;
	if (ca_fixture_init(&F, "raqual") != 0)
		return -1;
	F.issuers[0].tools = tools;
	F.profiles[0].approvals = 1;
	F.profiles[0].subject_registry = 1;
	pechat_strlcpy(F.profiles[0].subject_kind, "individual", sizeof(F.profiles[0].subject_kind));
	F.profiles[0].qualified = 1;
	/* what the config loader requires of a qualified profile (the linter checks it): a tool class */
	pechat_strlcpy(F.profiles[0].policies[0], "1.2.643.100.113.1", sizeof(F.profiles[0].policies[0]));
	F.profiles[0].n_policies = 1;
	pechat_strlcpy(F.profiles[0].sign_tool, "СКЗИ «КриптоПро CSP»", sizeof(F.profiles[0].sign_tool));
	F.file_store = 1;
	return ca_fixture_start(&F);
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* Adds a passport to subject id and verifies it with method at time at. */
static void
verified_document(const char *id, int method, time_t at)
{
	struct ra_document_input d = { "21", "4510", "123456", "2010-06-01", "ОВД Тверского района", "770-001", NULL };
	struct db_id_document doc;
	struct pechat_error e;

	pechat_error_clear(&e);
	assert_int_equal(ra_document_add(F.db, &officer, at, id, &d, &doc, &e), PECHAT_OK);
	assert_int_equal(ra_document_verify(F.db, &officer, at, id, doc.id, method, &doc, &e), PECHAT_OK);
}

/* A request for subject id made at `at`, run through ra_qualified_compose with profile p and sub. */
static enum pechat_err
compose(const struct pechat_profile_conf *p, const struct ra_submission *sub, const char *id, time_t at,
    struct db_request *req, struct pechat_error *e)
{
	memset(req, 0, sizeof(*req));
	pechat_strlcpy(req->subject_id, id, sizeof(req->subject_id));
	req->created_at = at;
	pechat_error_clear(e);
	return ra_qualified_compose(F.db, p, sub, req, e);
}

/* The detail of check `name` on req, or NULL. */
static const char *
check_detail(const struct db_request *req, const char *name)
{
	int i;

	for (i = 0; i < req->nchecks; i++)
		if (strcmp(req->checks[i].name, name) == 0)
			return req->checks[i].detail;
	return NULL;
}

/* identificationKind: none verified, verified after the request, then the newest by request time. */
static void
test_identification_kind(void **state)
{
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	char id[37];

	(void)state;
	memset(&sub, 0, sizeof(sub));
	ra_fixture_individual(&F, &portal, NULL, "11223344595", id);
	assert_int_equal(compose(&F.profiles[0], &sub, id, F.now, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "identification_kind_missing");
	assert_false(req.has_identification_kind);
	verified_document(id, 2, F.now + 100);
	assert_int_equal(compose(&F.profiles[0], &sub, id, F.now + 99, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "identification_kind_missing");
	assert_int_equal(compose(&F.profiles[0], &sub, id, F.now + 100, &req, &e), PECHAT_OK);
	assert_true(req.has_identification_kind);
	assert_int_equal(req.identification_kind, 2);
	assert_non_null(strstr(check_detail(&req, "identification_kind"), "identificationKind 2"));
	assert_non_null(strstr(check_detail(&req, "sign_tool"), "of the profile"));
	assert_string_equal(req.sign_tool, "");         /* the profile's: not copied onto the request */
	verified_document(id, 3, F.now + 200);
	assert_int_equal(compose(&F.profiles[0], &sub, id, F.now + 150, &req, &e), PECHAT_OK);
	assert_int_equal(req.identification_kind, 2);
	assert_int_equal(compose(&F.profiles[0], &sub, id, F.now + 300, &req, &e), PECHAT_OK);
	assert_int_equal(req.identification_kind, 3);
}

/* The sign tool's source and bounds; a sign tool or a POA where they do not belong. */
static void
test_sign_tool(void **state)
{
	struct pechat_profile_conf p = F.profiles[0];
	struct ra_submission sub;
	struct db_request req;
	struct pechat_error e;
	char id[37], tool[2 * 201 + 1];
	int i;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "08765430300", id);
	memset(&sub, 0, sizeof(sub));
	p.sign_tool[0] = '\0';
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "sign_tool_missing");
	for (i = 0; i < 201; i++)
		memcpy(tool + 2 * i, "я", 2);
	tool[402] = '\0';
	sub.sign_tool = tool;
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "validation_failed");
	assert_string_equal(e.fields[0].field, "sign_tool");
	tool[400] = '\0';       /* 200 characters */
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_OK);
	assert_string_equal(req.sign_tool, tool);
	assert_non_null(strstr(check_detail(&req, "sign_tool"), "named by the request"));
	sub.sign_tool = "a\x01" "b";
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_E_INVALID);
	sub.sign_tool = "ok";
	sub.poa_id = 7;
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.fields[0].field, "power_of_attorney_id");
	sub.poa_id = 0;
	p.qualified = 0;
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.fields[0].field, "sign_tool");
	assert_string_equal(e.fields[0].rule, "not_allowed");
	sub.sign_tool = NULL;
	assert_int_equal(compose(&p, &sub, id, F.now, &req, &e), PECHAT_OK);
	assert_int_equal(req.nchecks, 0);
}

/* Submitted, stored with its identificationKind, approved: the certificate carries it. */
static void
test_submit_and_approve(void **state)
{
	struct db_request req, again;
	struct pechat_error e;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	X509 *cert;
	char id[37], sql[160], nid_none[37];
	int64_t before;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "00132667900", id);
	assert_int_equal(ra_fixture_submit(&F, &portal, "qualified", id, NULL, 0, &req, &e), PECHAT_OK);
	assert_string_equal(req.state, "pending");
	snprintf(sql, sizeof(sql), "SELECT identification_kind FROM request_qualified WHERE request_id = '%s'", req.id);
	assert_int_equal(ra_fixture_sql_int(&F, sql), 0);
	assert_int_equal(db_request_get(F.db, req.id, &again, &e), PECHAT_OK);
	assert_true(again.has_identification_kind);
	assert_int_equal(again.identification_kind, 0);
	db_request_free_fields(&again);
	assert_int_equal(ra_request_approve(RA_CA(F), F.db, &officer, req.id, &again, &e), PECHAT_OK);
	assert_string_equal(again.state, "issued");
	{
		struct db_cert c;
		assert_int_equal(db_cert_get(F.db, again.cert_serial, &c, &e), PECHAT_OK);
		p = c.der;
		assert_non_null(cert = d2i_X509(NULL, &p, (long)c.der_len));
		db_cert_free_fields(&c);
	}
	/* subjectSignTool: the profile's, as a UTF8String; identificationKind 0 (the passport's method) */
	assert_true(X509_get_ext_by_NID(cert, NID_subjectSignTool, -1) >= 0);
	v = X509_EXTENSION_get_data(X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_subjectSignTool, -1)));
	assert_int_equal(ASN1_STRING_length(v), 2 + (int)strlen("СКЗИ «КриптоПро CSP»"));
	assert_int_equal(ASN1_STRING_get0_data(v)[0], 0x0c);
	assert_memory_equal(ASN1_STRING_get0_data(v) + 2, "СКЗИ «КриптоПро CSP»", strlen("СКЗИ «КриптоПро CSP»"));
	assert_true(X509_get_ext_by_NID(cert, ca_nid_identification_kind(), -1) >= 0);
	assert_memory_equal(ASN1_STRING_get0_data(X509_EXTENSION_get_data(X509_get_ext(cert,
	    X509_get_ext_by_NID(cert, ca_nid_identification_kind(), -1)))), "\x02\x01\x00", 3);
	assert_true(X509_get_ext_by_NID(cert, NID_issuerSignTool, -1) >= 0);
	X509_free(cert);
	db_request_free_fields(&req);
	db_request_free_fields(&again);
	/* a refused request leaves nothing (the registry verifies nobody without a verified document, so
	 * through the API an unverified subject is refused first) */
	ra_fixture_individual(&F, &portal, NULL, "01799617400", nid_none);
	before = ra_fixture_rows(&F, "requests");
	assert_int_equal(ra_fixture_submit(&F, &portal, "qualified", nid_none, NULL, 0, &req, &e), PECHAT_E_POLICY);
	assert_string_equal(e.code, "subject_not_verified");
	assert_int_equal(ra_fixture_rows(&F, "requests"), before);
	assert_int_equal(ra_fixture_rows(&F, "request_qualified"), 1);
}

/* A re-key through a qualified profile: the profile's sign tool, the identificationKind in force now. */
static void
test_rekey(void **state)
{
	struct ra_rekey_input in;
	struct ra_rekey_result res;
	struct ra_rekey_state st;
	struct pechat_error e;
	struct db_cert c;
	const unsigned char *p;
	X509 *cert;
	char id[37];
	int i;

	(void)state;
	ra_fixture_individual(&F, &portal, &officer, "12345678964", id);
	verified_document(id, 3, F.now);        /* the newest verification: method 3 */
	pechat_error_clear(&e);
	assert_int_equal(ra_code_word_set(F.db, &officer, F.now, id, "Сорок два попугая", &st, &e), PECHAT_OK);
	memset(&in, 0, sizeof(in));
	in.subject_id = id;
	in.code_word = "Сорок два попугая";
	in.profile = "qualified";
	assert_non_null(in.csr = ca_fixture_new_csr_pem(&in.csr_len));
	memset(&res, 0, sizeof(res));
	assert_int_equal(ra_rekey(RA_CA(F), F.db, &portal, &in, &res, &e), PECHAT_OK);
	free((void *)in.csr);
	assert_string_equal(res.req.state, "issued");
	assert_true(res.req.has_identification_kind);
	assert_int_equal(res.req.identification_kind, 3);
	assert_int_equal(db_cert_get(F.db, res.req.cert_serial, &c, &e), PECHAT_OK);
	p = c.der;
	assert_non_null(cert = d2i_X509(NULL, &p, (long)c.der_len));
	db_cert_free_fields(&c);
	i = X509_get_ext_by_NID(cert, ca_nid_identification_kind(), -1);
	assert_true(i >= 0);
	assert_memory_equal(ASN1_STRING_get0_data(X509_EXTENSION_get_data(X509_get_ext(cert, i))), "\x02\x01\x03", 3);
	assert_true(X509_get_ext_by_NID(cert, NID_subjectSignTool, -1) >= 0);
	X509_free(cert);
	ra_rekey_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identification_kind),
		cmocka_unit_test(test_sign_tool),
		cmocka_unit_test(test_submit_and_approve),
		cmocka_unit_test(test_rekey),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
