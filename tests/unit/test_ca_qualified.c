/*
 * Unit tests for ca/qualified.c through ca_cert_build: subjectSignTool,
 * issuerSignTool and identificationKind are put in only when asked, not
 * critical, and decode back with OpenSSL to the right types (UTF8String,
 * SEQUENCE of four UTF8String, INTEGER) and values; the limits count
 * characters (200 / 100 Cyrillic characters pass, one more fails the
 * build), control and format characters and a kind outside 0..3 fail it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "ca/ca_make.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

static char tmpdir[128];
static struct hsm_key *key;
static X509_NAME *name;
static const struct pechat_sign_tools tools = {
	"СКЗИ «Печать-CSP»", "ПАК «Печать УЦ»", "Сертификат соответствия № СФ/124-0001", "СФ/128-0002"
};

static int
setup(void **state)
{
	char ref[256];
	struct pechat_error e;

	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "caqual") != 0 || ca_oids_init() != 0)
		return -1;
	snprintf(ref, sizeof(ref), "file:%s/k.key", tmpdir);
	if (hsm_key_generate(ref, "ec-p256", &key, &e) != PECHAT_OK)
		return -1;
	name = X509_NAME_new();
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"Сидоров", -1, -1, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_NAME_free(name);
	hsm_key_free(key);
	ca_fixture_rmtree(tmpdir);
	return 0;
}

/* An end-entity build of the test key; the caller sets the qualified fields. */
static void
build_init(struct ca_build *b)
{
	memset(b, 0, sizeof(*b));
	b->profile = "q";
	b->issuer_name = "t";
	b->issuer_key = key;
	b->subject_key = hsm_key_public(key);
	b->subject = name;
	b->pathlen = -1;
	b->key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	b->not_before = 1700000000;
	b->not_after = 1700000000 + 86400;
}

/* ca_cert_build of b: the certificate, or NULL when the build fails ("build_failed"). */
static X509 *
build(const struct ca_build *b)
{
	struct pechat_error e;
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	X509 *x = NULL;
	enum pechat_err rc;

	ASN1_INTEGER_set(serial, 7);
	pechat_error_clear(&e);
	rc = ca_cert_build(b, serial, &x, &e);
	ASN1_INTEGER_free(serial);
	if (rc != PECHAT_OK) {
		assert_string_equal(e.code, "build_failed");
		assert_null(x);
	}
	return x;
}

/* The value (extnValue) of extension nid of x, there once and not critical (asserted); NULL if absent. */
static const ASN1_OCTET_STRING *
ext_value(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	X509_EXTENSION *ext;

	if (i < 0)
		return NULL;
	assert_int_equal(X509_get_ext_by_NID(x, nid, i), -1);      /* once */
	ext = X509_get_ext(x, i);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
	return X509_EXTENSION_get_data(ext);
}

/* s is exactly the UTF8String want (asserted). */
static void
assert_utf8(const ASN1_STRING *s, const char *want)
{
	assert_int_equal(ASN1_STRING_type(s), V_ASN1_UTF8STRING);
	assert_int_equal(ASN1_STRING_length(s), (int)strlen(want));
	assert_memory_equal(ASN1_STRING_get0_data(s), want, strlen(want));
}

static void
test_all_three(void **state)
{
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	ASN1_UTF8STRING *u;
	ASN1_SEQUENCE_ANY *seq;
	ASN1_INTEGER *i;
	struct ca_build b;
	X509 *x;
	int k;

	(void)state;
	build_init(&b);
	b.subject_sign_tool = "СКЗИ «КриптоПро CSP» (версия 5.0)";
	b.issuer_tools = &tools;
	b.has_identification_kind = 1;
	b.identification_kind = 2;
	assert_non_null(x = build(&b));
	/* subjectSignTool: a UTF8String (tag 0x0c) */
	assert_non_null(v = ext_value(x, NID_subjectSignTool));
	assert_int_equal(ASN1_STRING_get0_data(v)[0], 0x0c);
	p = ASN1_STRING_get0_data(v);
	assert_non_null(u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v)));
	assert_ptr_equal(p, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v));      /* nothing after it */
	assert_utf8(u, "СКЗИ «КриптоПро CSP» (версия 5.0)");
	ASN1_UTF8STRING_free(u);
	/* issuerSignTool: SEQUENCE of 4 UTF8String in order */
	assert_non_null(v = ext_value(x, NID_issuerSignTool));
	assert_int_equal(ASN1_STRING_get0_data(v)[0], 0x30);
	p = ASN1_STRING_get0_data(v);
	assert_non_null(seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(v)));
	assert_ptr_equal(p, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v));
	assert_int_equal(sk_ASN1_TYPE_num(seq), 4);
	for (k = 0; k < 4; k++)
		assert_int_equal(sk_ASN1_TYPE_value(seq, k)->type, V_ASN1_UTF8STRING);
	assert_utf8(sk_ASN1_TYPE_value(seq, 0)->value.utf8string, tools.sign_tool);
	assert_utf8(sk_ASN1_TYPE_value(seq, 1)->value.utf8string, tools.ca_tool);
	assert_utf8(sk_ASN1_TYPE_value(seq, 2)->value.utf8string, tools.sign_tool_cert);
	assert_utf8(sk_ASN1_TYPE_value(seq, 3)->value.utf8string, tools.ca_tool_cert);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	/* identificationKind 1.2.643.100.114: INTEGER, registered once with its short name */
	assert_int_equal(OBJ_txt2nid("1.2.643.100.114"), ca_nid_identification_kind());
	assert_string_equal(OBJ_nid2sn(ca_nid_identification_kind()), "identificationKind");
	assert_non_null(v = ext_value(x, ca_nid_identification_kind()));
	assert_int_equal(ASN1_STRING_length(v), 3);
	assert_memory_equal(ASN1_STRING_get0_data(v), "\x02\x01\x02", 3);
	p = ASN1_STRING_get0_data(v);
	assert_non_null(i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v)));
	assert_int_equal(ASN1_INTEGER_get(i), 2);
	ASN1_INTEGER_free(i);
	X509_free(x);
}

/* Without the qualified fields none of the three is there; each alone is the only one. */
static void
test_only_when_asked(void **state)
{
	struct ca_build b;
	X509 *x;

	(void)state;
	build_init(&b);
	assert_non_null(x = build(&b));
	assert_null(ext_value(x, NID_subjectSignTool));
	assert_null(ext_value(x, NID_issuerSignTool));
	assert_null(ext_value(x, ca_nid_identification_kind()));
	X509_free(x);
	b.has_identification_kind = 1;
	b.identification_kind = 0;
	assert_non_null(x = build(&b));
	assert_null(ext_value(x, NID_subjectSignTool));
	assert_memory_equal(ASN1_STRING_get0_data(ext_value(x, ca_nid_identification_kind())), "\x02\x01\x00", 3);
	X509_free(x);
}

/* n copies of the 2-byte character "я" (n <= 250). */
static const char *
cyr(int n)
{
	static char buf[2][512];
	static int which;
	char *s = buf[which ^= 1];
	int k;

	for (k = 0; k < n; k++)
		memcpy(s + 2 * k, "я", 2);
	s[2 * n] = '\0';
	return s;
}

/* The limits count characters; too long, empty, control or format characters, kind 4: no certificate. */
static void
test_limits(void **state)
{
	struct pechat_sign_tools t = tools;
	const ASN1_OCTET_STRING *v;
	struct ca_build b;
	X509 *x;

	(void)state;
	build_init(&b);
	b.subject_sign_tool = cyr(200);
	assert_non_null(x = build(&b));
	assert_non_null(v = ext_value(x, NID_subjectSignTool));
	assert_memory_equal(ASN1_STRING_get0_data(v), "\x0c\x82\x01\x90", 4);      /* 400 bytes, long form */
	X509_free(x);
	b.subject_sign_tool = cyr(201);
	assert_null(build(&b));
	b.subject_sign_tool = "";
	assert_null(build(&b));
	b.subject_sign_tool = "a\nb";
	assert_null(build(&b));
	b.subject_sign_tool = "a\xe2\x80\xae" "b";   /* U+202E RIGHT-TO-LEFT OVERRIDE */
	assert_null(build(&b));
	b.subject_sign_tool = "a\xff";
	assert_null(build(&b));
	b.subject_sign_tool = NULL;
	pechat_strlcpy(t.sign_tool, cyr(200), sizeof(t.sign_tool));
	pechat_strlcpy(t.ca_tool, cyr(200), sizeof(t.ca_tool));
	pechat_strlcpy(t.sign_tool_cert, cyr(100), sizeof(t.sign_tool_cert));
	pechat_strlcpy(t.ca_tool_cert, cyr(100), sizeof(t.ca_tool_cert));
	b.issuer_tools = &t;
	assert_non_null(x = build(&b));
	X509_free(x);
	pechat_strlcpy(t.ca_tool_cert, cyr(101), sizeof(t.ca_tool_cert));
	assert_null(build(&b));
	pechat_strlcpy(t.ca_tool_cert, cyr(100), sizeof(t.ca_tool_cert));
	t.ca_tool[0] = '\0';
	assert_null(build(&b));
	b.issuer_tools = NULL;
	b.has_identification_kind = 1;
	b.identification_kind = 4;
	assert_null(build(&b));
	b.identification_kind = -1;
	assert_null(build(&b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_three),
		cmocka_unit_test(test_only_when_asked),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
