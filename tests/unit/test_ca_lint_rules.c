/*
 * Unit tests for the linter's rule table (ca/lint*.c): a good qualified
 * certificate and a good CRL pass every rule; for EVERY rule of the table
 * a certificate or CRL built here breaks it and is refused with that
 * rule's name (a rule without a case fails the test); every rule is in
 * docs/LINT.md; ca_cert_make with a profile the certificate breaks stops
 * with lint_failed before the CA key signs anything and stores nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ca/lint.h"
#include "db/db_int.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"
#include "test_util.h"
#include "lint_cases.h"

static int
has_finding(const struct ca_lint_report *r, const char *rule)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->f[i].rule->name, rule) == 0)
			return 1;
	return 0;
}

static void
print_report(const char *what, const struct ca_lint_report *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		print_message("%s: %s: %s\n", what, r->f[i].rule->name, r->f[i].message);
}

/* ---------------------------------------------------------------- tests */

static void
test_good_cert_and_crl_pass(void **state)
{
	struct ca_lint_report r;
	struct lc_ctxs c;
	struct ca_lint_ctx cctx;
	X509 *x = lc_qual_cert();
	X509_CRL *crl = lc_good_crl(NULL);

	(void)state;
	lc_base_ctxs(&c);
	ca_lint_cert(x, &c.ctx, &r);
	print_report("good cert", &r);
	assert_int_equal(r.n, 0);
	/* without a profile the certificate is recognised as qualified and still passes */
	assert_true(ca_lint_looks_qualified(x));
	ca_lint_cert(x, NULL, &r);
	print_report("good cert, no context", &r);
	assert_int_equal(r.n, 0);
	lc_base_crl_ctx(&cctx);
	ca_lint_crl(crl, &cctx, &r);
	print_report("good crl", &r);
	assert_int_equal(r.n, 0);
	X509_free(x);
	X509_CRL_free(crl);
}

/* Every rule of the table has a case here, and each case is refused with that rule's name. */
static void
test_every_rule_has_a_breaking_case(void **state)
{
	const struct ca_lint_rule *rules;
	struct ca_lint_report r;
	size_t n, i, k;

	(void)state;
	rules = ca_lint_rules(&n);
	assert_true(n >= 60);
	for (i = 0; i < n; i++) {
		const struct lc_rule_case *rc = NULL;

		for (k = 0; k < lc_n_cases; k++)
			if (strcmp(lc_cases[k].rule, rules[i].name) == 0)
				rc = &lc_cases[k];
		if (rc == NULL)
			fail_msg("rule %s has no case that breaks it", rules[i].name);
		assert_non_null(ca_lint_rule_find(rules[i].name));
		assert_true(rules[i].source[0] != '\0' && rules[i].summary[0] != '\0');
		assert_true((rules[i].name[0] == 'e') == (rules[i].severity == CA_LINT_ERROR));
		if (rc->cm != NULL) {
			struct lc_ctxs c;
			X509 *x = lc_qual_cert();

			lc_base_ctxs(&c);
			rc->cm(&x, &c);
			ca_lint_cert(x, &c.ctx, &r);
			X509_free(x);
		} else {
			struct ca_lint_ctx ctx;
			X509_CRL *crl = lc_good_crl(NULL);

			lc_base_crl_ctx(&ctx);
			rc->crm(&crl, &ctx);
			ca_lint_crl(crl, &ctx, &r);
			X509_CRL_free(crl);
		}
		if (!has_finding(&r, rules[i].name)) {
			print_report(rules[i].name, &r);
			fail_msg("the case of %s is not refused with its name", rules[i].name);
		}
		if (rules[i].severity == CA_LINT_ERROR)
			assert_true(r.errors > 0);
	}
	/* and no case names a rule that is not in the table */
	for (k = 0; k < lc_n_cases; k++)
		assert_non_null(ca_lint_rule_find(lc_cases[k].rule));
}

/* A GOST CRL encoded both ways: NULL parameters refused, absent ones accepted. */
static void
test_gost_crl_params_both_ways(void **state)
{
	struct ca_lint_report r;
	struct ca_lint_ctx ctx;
	X509_CRL *crl = lc_good_crl(NULL);
	const X509_ALGOR *outer = NULL;

	(void)state;
	lc_base_crl_ctx(&ctx);
	ctx.issuer = lc_ca_cert;
	X509_CRL_get0_signature(crl, NULL, &outer);
	/* the TBS keeps ECDSA: mismatching, but the GOST rule reads each AlgorithmIdentifier */
	X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_id_tc26_signwithdigest_gost3410_2012_256), V_ASN1_NULL, NULL);
	ca_lint_crl(crl, &ctx, &r);
	assert_true(has_finding(&r, "e_gost_sigalg_params_absent"));
	X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_id_tc26_signwithdigest_gost3410_2012_256), V_ASN1_UNDEF, NULL);
	ca_lint_crl(crl, &ctx, &r);
	assert_false(has_finding(&r, "e_gost_sigalg_params_absent"));
	assert_false(has_finding(&r, "e_gost_digest_matches_key"));
	X509_CRL_free(crl);
}

/* `pechat lint`'s reader: DER, PEM, garbage. */
static void
test_read_input(void **state)
{
	X509 *x = lc_qual_cert(), *got = NULL;
	X509_CRL *crl = NULL;
	unsigned char *der = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long pemlen;
	int len;

	(void)state;
	assert_true((len = i2d_X509(x, &der)) > 0);
	assert_int_equal(ca_lint_read(der, (size_t)len, &got, &crl), 0);
	assert_non_null(got);
	X509_free(got);
	assert_int_equal(ca_lint_read(der, (size_t)len - 1, &got, &crl), -1);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	assert_int_equal(ca_lint_read((unsigned char *)pem, (size_t)pemlen, &got, &crl), 0);
	assert_non_null(got);
	X509_free(got);
	assert_int_equal(ca_lint_read((const unsigned char *)"garbage", 7, &got, &crl), -1);
	assert_null(got);
	assert_null(crl);
	BIO_free(bio);
	OPENSSL_free(der);
	X509_free(x);
}

/* docs/LINT.md names every rule of the table. */
static void
test_docs_list_every_rule(void **state)
{
	const struct ca_lint_rule *rules;
	unsigned char *doc = NULL;
	size_t n, i, len = 0;
	char *text;

	(void)state;
	assert_int_equal(ca_fixture_read("../../docs/LINT.md", &doc, &len), 0);
	assert_non_null(text = calloc(1, len + 1));
	memcpy(text, doc, len);
	rules = ca_lint_rules(&n);
	for (i = 0; i < n; i++) {
		char needle[80];

		snprintf(needle, sizeof(needle), "`%s`", rules[i].name);
		if (strstr(text, needle) == NULL)
			fail_msg("docs/LINT.md does not list %s", rules[i].name);
	}
	free(text);
	free(doc);
}

/*
 * ca_cert_make with a qualified profile the certificate breaks: lint_failed
 * naming the rules, the issuing key never signs, nothing stored, also with
 * the subject key given as SPKI bytes; the same build without the profile
 * issues (and the key then signs), the certificate's SPKI the one given.
 */
static void
test_cert_make_lint_failed(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	struct hsm_key *root = NULL, *issuing = NULL;
	struct ca_build b;
	struct ca_store_job job;
	struct pechat_profile_conf qp;
	X509 *icert = X509_new(), *out = NULL;
	X509_PUBKEY *spki = NULL;
	PECHAT_SPKI_RAW *raw = NULL;
	X509_NAME *n = X509_NAME_new(), *leaf = X509_NAME_new();
	char ref[256];

	(void)state;
	snprintf(ref, sizeof(ref), "file:%s/root.key", lc_tmpdir);
	assert_int_equal(hsm_key_generate(ref, "ec-p256", &root, &e), PECHAT_OK);
	snprintf(ref, sizeof(ref), "file:%s/issuing.key", lc_tmpdir);
	assert_int_equal(hsm_key_generate(ref, "ec-p256", &issuing, &e), PECHAT_OK);
	/* the issuing CA's certificate, signed by the root: the issuing key has signed nothing */
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Issuing", -1, -1, 0);
	X509_set_version(icert, X509_VERSION_3);
	lc_set_serial_hex(icert, "02");
	X509_set_subject_name(icert, n);
	X509_set_issuer_name(icert, n);
	lc_set_validity(icert, lc_now - 60, lc_now + 86400 * 30);
	X509_set_pubkey(icert, hsm_key_public(issuing));
	lc_add_bc(icert, 1, 1);
	lc_add_ku(icert, PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN, 1);
	lc_add_ski(icert);
	assert_int_equal(hsm_sign_x509(root, icert, &e), PECHAT_OK);
	assert_int_equal(hsm_key_last_signature(issuing), 0);
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);

	X509_NAME_add_entry_by_txt(leaf, "CN", MBSTRING_UTF8, (const unsigned char *)"Leaf", -1, -1, 0);
	memset(&qp, 0, sizeof(qp));
	pechat_strlcpy(qp.name, "qual", sizeof(qp.name));
	qp.qualified = 1;
	qp.key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	memset(&b, 0, sizeof(b));
	b.profile = "qual";
	b.issuer_name = "issuing";
	b.issuer_cert = icert;
	b.issuer_key = issuing;
	b.subject_key = lc_ec_key;
	b.subject = leaf;
	b.pathlen = -1;
	b.key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	b.not_before = lc_now;
	b.not_after = lc_now + 86400;
	b.profile_conf = &qp;
	memset(&job, 0, sizeof(job));
	job.actor = "test";
	pechat_error_clear(&e);
	assert_int_equal(ca_cert_make(db, &b, &job, lc_now, &out, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "lint_failed");
	assert_non_null(strstr(e.detail, "e_qual_subject_sign_tool"));
	assert_non_null(strstr(e.detail, "e_qual_country_ru"));
	assert_null(out);
	assert_int_equal(hsm_key_last_signature(issuing), 0);   /* the CA key never signed */
	assert_int_equal(test_table_rows(db->conn, "certificates"), 0);
	assert_int_equal(test_table_rows(db->conn, "audit"), 0);
	/* the key's SPKI copied as bytes (ca_issue's way, no key decoded): the lint still stops it */
	assert_int_equal(X509_PUBKEY_set(&spki, lc_ec_key), 1);
	{
		unsigned char *der = NULL;
		const unsigned char *p;
		int len = i2d_X509_PUBKEY(spki, &der);

		assert_true(len > 0);
		p = der;
		assert_non_null(raw = (PECHAT_SPKI_RAW *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(PECHAT_SPKI_RAW)));
		OPENSSL_free(der);
	}
	b.subject_spki = raw;
	pechat_error_clear(&e);
	assert_int_equal(ca_cert_make(db, &b, &job, lc_now, &out, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "lint_failed");
	assert_non_null(strstr(e.detail, "e_qual_subject_sign_tool"));
	assert_null(out);
	assert_int_equal(hsm_key_last_signature(issuing), 0);
	assert_int_equal(test_table_rows(db->conn, "certificates"), 0);
	/* a CSR's extension is never copied, and a profile without qualified issues */
	b.profile_conf = NULL;
	assert_int_equal(ca_cert_make(db, &b, &job, lc_now, &out, &e), PECHAT_OK);
	assert_non_null(out);
	assert_true(hsm_key_last_signature(issuing) != 0);
	assert_int_equal(test_table_rows(db->conn, "certificates"), 1);
	{
		unsigned char *a = NULL, *c = NULL;
		int na = i2d_X509_PUBKEY(spki, &a), nc = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(out), &c);

		assert_true(na > 0 && na == nc);
		assert_memory_equal(a, c, (size_t)na);
		OPENSSL_free(a);
		OPENSSL_free(c);
	}
	assert_int_equal(X509_verify(out, hsm_key_public(issuing)), 1);
	ASN1_item_free((ASN1_VALUE *)raw, ASN1_ITEM_rptr(PECHAT_SPKI_RAW));
	X509_PUBKEY_free(spki);
	X509_free(out);
	X509_free(icert);
	X509_NAME_free(n);
	X509_NAME_free(leaf);
	hsm_key_free(root);
	hsm_key_free(issuing);
	db_close(db);
}

static int
setup(void **state)
{
	(void)state;
	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	return lc_setup();
}

static int
teardown(void **state)
{
	(void)state;
	return lc_teardown();
}

/*
 * A sign tool must be valid UTF-8 (RFC 3629, as the subject's values): an
 * encoded surrogate (ED A0 80 = U+D800) in subjectSignTool is refused.
 */
static void
test_sign_tool_surrogate(void **state)
{
	static const unsigned char der[] = { 0x0c, 0x05, 'a', 0xed, 0xa0, 0x80, 'b' };
	ASN1_OBJECT *oid = OBJ_txt2obj("1.2.643.100.111", 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	X509 *x = lc_qual_cert();
	struct ca_lint_report r;
	struct lc_ctxs c;
	int i;

	(void)state;
	assert_true((i = X509_get_ext_by_OBJ(x, oid, -1)) >= 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, sizeof(der)), 1);
	assert_non_null(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	lc_base_ctxs(&c);
	ca_lint_cert(x, &c.ctx, &r);
	print_report("surrogate", &r);
	assert_true(has_finding(&r, "e_qual_subject_sign_tool"));
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_cert_and_crl_pass),
		cmocka_unit_test(test_every_rule_has_a_breaking_case),
		cmocka_unit_test(test_sign_tool_surrogate),
		cmocka_unit_test(test_gost_crl_params_both_ways),
		cmocka_unit_test(test_read_input),
		cmocka_unit_test(test_docs_list_every_rule),
		cmocka_unit_test(test_cert_make_lint_failed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
