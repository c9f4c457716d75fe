/* Unit tests for subject checks, the DN we build (ASN.1 string types) and the way back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "test_util.h"

#define ALL_FIELDS ((1u << PSF_COUNT) - 1)

static struct pechat_profile_conf profile;

static int
setup(void **state)
{
	(void)state;
	memset(&profile, 0, sizeof(profile));
	pechat_strlcpy(profile.name, "qualified", sizeof(profile.name));
	profile.subject_allowed = ALL_FIELDS;
	profile.subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SNILS);
	return 0;
}

/* "Иванов Иван Иванович", individual with every Russian identifier. */
static void
good_subject(struct pechat_subject *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(pechat_subject_set(s, PSF_COMMON_NAME, "Иванов Иван Иванович"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_SURNAME, "Иванов"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_GIVEN_NAME, "Иван"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_PATRONYMIC, "Иванович"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_COUNTRY, "RU"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_REGION, "77 г. Москва"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_EMAIL, "ivanov@example.ru"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_SNILS, "11223344595"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_INN, "500100732259"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_INNLE, "7707083893"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_OGRN, "1027700132195"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_OGRNIP, "304500116000157"), 0);
	assert_int_equal(pechat_subject_set(s, PSF_KPP, "7707AB001"), 0);
}

static void
test_check_good(void **state)
{
	struct pechat_subject s;
	struct pechat_error e;

	(void)state;
	good_subject(&s);
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_OK);
	assert_int_equal(e.nfields, 0);
	pechat_subject_clear(&s);
}

static void
test_check_every_bad_field(void **state)
{
	struct pechat_subject s;
	struct pechat_error e;
	char cn65[200], big[PECHAT_SUBJECT_VALUE_MAX + 2];

	(void)state;
	memset(&s, 0, sizeof(s));
	/* 65 Cyrillic characters (130 bytes): over ub-common-name */
	cn65[0] = '\0';
	for (int i = 0; i < 65; i++)
		strcat(cn65, "Ж");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pechat_subject_set(&s, PSF_COMMON_NAME, cn65);
	pechat_subject_set(&s, PSF_SURNAME, "bad\xc3\x28utf8");
	pechat_subject_set(&s, PSF_COUNTRY, "ru");
	pechat_subject_set(&s, PSF_EMAIL, "a@b@c");
	pechat_subject_set(&s, PSF_INN, "50010073225");          /* 11 digits */
	pechat_subject_set(&s, PSF_INNLE, "77070838x3");
	pechat_subject_set(&s, PSF_OGRN, "10277001321950");      /* 14 */
	pechat_subject_set(&s, PSF_OGRNIP, "30450011600015");    /* 14 */
	pechat_subject_set(&s, PSF_KPP, "7707ab001");
	pechat_subject_set(&s, PSF_LOCALITY, "line\nbreak");
	pechat_subject_set(&s, PSF_STREET, big);
	pechat_subject_set(&s, PSF_PATRONYMIC, "Иванович");     /* without given_name */
	/* snils missing: required */
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "subject_invalid");
	assert_true(test_has_field(&e, "subject.common_name", "too_long"));
	assert_true(test_has_field(&e, "subject.surname", "charset"));
	assert_true(test_has_field(&e, "subject.country", "charset"));
	assert_true(test_has_field(&e, "subject.email", "charset"));
	assert_true(test_has_field(&e, "subject.inn", "length"));
	assert_true(test_has_field(&e, "subject.innle", "charset"));
	assert_true(test_has_field(&e, "subject.ogrn", "length"));
	assert_true(test_has_field(&e, "subject.ogrnip", "length"));
	assert_true(test_has_field(&e, "subject.kpp", "charset"));
	assert_true(test_has_field(&e, "subject.locality", "charset"));
	assert_true(test_has_field(&e, "subject.street", "too_long"));
	assert_true(test_has_field(&e, "subject.snils", "required"));
	assert_true(test_has_field(&e, "subject.given_name", "required"));
	assert_int_equal(e.nfields, 13);
	pechat_subject_clear(&s);
}

static void
test_check_rules(void **state)
{
	struct pechat_subject s;
	struct pechat_error e;

	(void)state;
	good_subject(&s);
	/* not allowed by the profile */
	profile.subject_allowed = ALL_FIELDS & ~(1u << PSF_INNLE);
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	assert_int_equal(e.nfields, 1);
	assert_true(test_has_field(&e, "subject.innle", "not_allowed"));
	profile.subject_allowed = ALL_FIELDS;
	/* country length, snils charset, empty value, overlong UTF-8 */
	pechat_subject_set(&s, PSF_COUNTRY, "RUS");
	pechat_subject_set(&s, PSF_SNILS, "112-233-445 95");
	pechat_subject_set(&s, PSF_ORGANIZATION, "");
	pechat_subject_set(&s, PSF_TITLE, "\xc0\xaf");
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "subject.country", "length"));
	assert_true(test_has_field(&e, "subject.snils", "charset"));
	assert_true(test_has_field(&e, "subject.organization", "required"));
	assert_true(test_has_field(&e, "subject.title", "charset"));
	assert_int_equal(e.nfields, 4);
	pechat_subject_clear(&s);
	/* an empty subject */
	profile.subject_required = 0;
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "subject", "required"));
	/* exactly 64 characters of CN is fine */
	{
		char cn[200] = "";

		for (int i = 0; i < 64; i++)
			strcat(cn, "Я");
		pechat_subject_set(&s, PSF_COMMON_NAME, cn);
		assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_OK);
	}
	pechat_subject_clear(&s);
}

static const ASN1_STRING *
entry(X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_NAME_get_index_by_NID(name, nid, i), -1);   /* exactly one */
	return X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
}

static void
value_is(X509_NAME *name, int nid, int type, const char *value)
{
	const ASN1_STRING *v = entry(name, nid);

	assert_int_equal(ASN1_STRING_type(v), type);
	assert_int_equal(ASN1_STRING_length(v), (int)strlen(value));
	assert_memory_equal(ASN1_STRING_get0_data(v), value, strlen(value));
}

/* The detail of the field error for field, or NULL. */
static const char *
field_detail(const struct pechat_error *e, const char *field)
{
	int i;

	for (i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) == 0)
			return e->fields[i].detail;
	return NULL;
}

/* UTF-8 of code point cp into buf (>= 5 bytes). */
static void
utf8(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		buf[1] = '\0';
	} else if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		buf[2] = '\0';
	} else if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		buf[3] = '\0';
	} else {
		buf[0] = (char)(0xf0 | (cp >> 18));
		buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[3] = (char)(0x80 | (cp & 0x3f));
		buf[4] = '\0';
	}
}

/* ca_subject_check of a subject whose common_name is "Ив<cp>анов": 1 if refused with U+<cp> named. */
static int
cn_refused(uint32_t cp)
{
	struct pechat_subject s;
	struct pechat_error e;
	char ch[8], v[32], want[16];
	const char *d;
	int refused;

	memset(&s, 0, sizeof(s));
	utf8(cp, ch);
	snprintf(v, sizeof(v), "Ив%sанов", ch);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, v), 0);
	assert_int_equal(pechat_subject_set(&s, PSF_SNILS, "11223344595"), 0);
	refused = ca_subject_check(&profile, &s, &e) == PECHAT_E_INVALID;
	if (refused) {
		snprintf(want, sizeof(want), "U+%04X", (unsigned)cp);
		assert_true(test_has_field(&e, "subject.common_name", "charset"));
		assert_non_null(d = field_detail(&e, "subject.common_name"));
		assert_non_null(strstr(d, want));
	}
	pechat_subject_clear(&s);
	return refused;
}

/*
 * Issue item 8: a bidi override (U+202E) and the other format characters
 * (Cf), C1 controls and U+2028/9 are refused in every text field, with a
 * field error naming the code point; every Cf code point of
 * tests/data/unicode/cf.txt is refused; ordinary letters and spaces pass.
 */
static void
test_check_format_characters(void **state)
{
	static const enum pechat_subject_field text_fields[] = {
		PSF_COMMON_NAME, PSF_SURNAME, PSF_GIVEN_NAME, PSF_PATRONYMIC, PSF_ORGANIZATION,
		PSF_ORGANIZATIONAL_UNIT, PSF_TITLE, PSF_REGION, PSF_LOCALITY, PSF_STREET,
	};
	struct pechat_subject s;
	struct pechat_error e;
	char path[512], line[256], field[64];
	const char *dir = getenv("PECHAT_TEST_DATA");
	FILE *f;
	size_t i;
	int n = 0;

	(void)state;
	good_subject(&s);
	for (i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++)
		assert_int_equal(pechat_subject_set(&s, text_fields[i], "abc\xe2\x80\xae" "cba"), 0);
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	for (i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
		snprintf(field, sizeof(field), "subject.%s", pechat_subject_field_name(text_fields[i]));
		assert_true(test_has_field(&e, field, "charset"));
		assert_non_null(strstr(field_detail(&e, field), "U+202E"));
	}
	/* e-mail: ASCII only already */
	assert_int_equal(pechat_subject_set(&s, PSF_EMAIL, "a\xe2\x80\x8b@example.ru"), 0);
	assert_int_equal(ca_subject_check(&profile, &s, &e), PECHAT_E_INVALID);
	assert_true(test_has_field(&e, "subject.email", "charset"));
	pechat_subject_clear(&s);
	/* controls of every kind and the separators */
	assert_true(cn_refused(0x01));
	assert_true(cn_refused(0x09));
	assert_true(cn_refused(0x7f));
	assert_true(cn_refused(0x85));
	assert_true(cn_refused(0x9f));
	assert_true(cn_refused(0x2028));
	assert_true(cn_refused(0x2029));
	assert_true(cn_refused(0x1343f));       /* Cf since Unicode 15.0 */
	/* not Cf: letters, NBSP, the "Ё", an emoji, the euro sign, a combining accent */
	assert_false(cn_refused(0xa0));
	assert_false(cn_refused(0x401));
	assert_false(cn_refused(0x1f600));
	assert_false(cn_refused(0x20ac));
	assert_false(cn_refused(0x301));
	/* every Cf code point Python's unicodedata knows */
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/unicode/cf.txt", dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		if (!cn_refused((uint32_t)strtoul(line, NULL, 16)))
			fail_msg("U+%s accepted in common_name", line);
		n++;
	}
	fclose(f);
	assert_true(n >= 163);
}

static void
test_name_encodings(void **state)
{
	struct pechat_subject s;
	struct pechat_error e;
	X509_NAME *name = NULL;
	int innle;

	(void)state;
	good_subject(&s);
	assert_int_equal(ca_subject_name(&s, &name, &e), PECHAT_OK);
	innle = OBJ_txt2nid("1.2.643.100.4");
	assert_int_not_equal(innle, NID_undef);
	assert_int_equal(innle, ca_nid_innle());
	value_is(name, NID_commonName, V_ASN1_UTF8STRING, "Иванов Иван Иванович");
	value_is(name, NID_surname, V_ASN1_UTF8STRING, "Иванов");
	value_is(name, NID_givenName, V_ASN1_UTF8STRING, "Иван Иванович");
	value_is(name, NID_countryName, V_ASN1_PRINTABLESTRING, "RU");
	value_is(name, NID_stateOrProvinceName, V_ASN1_UTF8STRING, "77 г. Москва");
	value_is(name, NID_pkcs9_emailAddress, V_ASN1_IA5STRING, "ivanov@example.ru");
	value_is(name, NID_SNILS, V_ASN1_NUMERICSTRING, "11223344595");
	value_is(name, NID_INN, V_ASN1_NUMERICSTRING, "500100732259");
	value_is(name, innle, V_ASN1_NUMERICSTRING, "7707083893");
	value_is(name, NID_OGRN, V_ASN1_NUMERICSTRING, "1027700132195");
	value_is(name, NID_OGRNIP, V_ASN1_NUMERICSTRING, "304500116000157");
	/* KPP has no DN attribute; patronymic lives in GN: 11 attributes in all */
	assert_int_equal(X509_NAME_entry_count(name), 11);
	/* DER round trip keeps the types */
	{
		unsigned char *der = NULL;
		const unsigned char *p;
		int len = i2d_X509_NAME(name, &der);
		X509_NAME *back;

		assert_true(len > 0);
		p = der;
		back = d2i_X509_NAME(NULL, &p, len);
		assert_non_null(back);
		value_is(back, innle, V_ASN1_NUMERICSTRING, "7707083893");
		value_is(back, NID_OGRNIP, V_ASN1_NUMERICSTRING, "304500116000157");
		X509_NAME_free(back);
		OPENSSL_free(der);
	}
	X509_NAME_free(name);
	pechat_subject_clear(&s);
}

/* back (read from a certificate) has every field of s but KPP (never mapped back), and nothing else. */
static void
assert_subject_read_back(const struct pechat_subject *s, const struct pechat_subject *back)
{
	int f;

	for (f = 0; f < PSF_COUNT; f++) {
		if (f == PSF_KPP || s->v[f] == NULL) {
			assert_null(back->v[f]);
			continue;
		}
		assert_non_null(back->v[f]);
		assert_string_equal(back->v[f], s->v[f]);
	}
}

static void
test_cert_subject_roundtrip(void **state)
{
	struct pechat_subject s, back;
	struct pechat_error e;
	X509_NAME *name = NULL;
	X509 *cert = X509_new();

	(void)state;
	good_subject(&s);
	assert_int_equal(ca_subject_name(&s, &name, &e), PECHAT_OK);
	assert_int_equal(X509_set_subject_name(cert, name), 1);
	memset(&back, 0, sizeof(back));
	assert_int_equal(ca_cert_subject(cert, &back, &e), PECHAT_OK);
	assert_subject_read_back(&s, &back);
	pechat_subject_clear(&back);
	X509_NAME_free(name);
	X509_free(cert);
	pechat_subject_clear(&s);
}

/* A signed certificate with subject name (v3 with an extension when v3, else v1); DER into *der. */
static int
signed_cert(const X509_NAME *name, int v3, unsigned char **der)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_EXTENSION *ext = NULL;
	int len;

	assert_non_null(key);
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, v3 ? X509_VERSION_3 : X509_VERSION_1), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 0x1234), 1);
	assert_int_equal(X509_set_subject_name(cert, name), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	if (v3) {
		assert_non_null(ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:FALSE"));
		assert_int_equal(X509_add_ext(cert, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	*der = NULL;
	len = i2d_X509(cert, der);
	assert_true(len > 0);
	X509_free(cert);
	EVP_PKEY_free(key);
	return len;
}

/*
 * ca_cert_der_subject (the API replies' subject-only decode) gives what
 * ca_cert_subject gives from the parsed certificate, v1 and v3; a
 * truncated certificate or one with trailing data is refused.
 */
static void
test_der_subject(void **state)
{
	struct pechat_subject s, back;
	struct pechat_error e;
	X509_NAME *name = NULL;
	unsigned char *der, *more;
	int len, v3;

	(void)state;
	good_subject(&s);
	assert_int_equal(ca_subject_name(&s, &name, &e), PECHAT_OK);
	for (v3 = 0; v3 <= 1; v3++) {
		len = signed_cert(name, v3, &der);
		memset(&back, 0, sizeof(back));
		assert_int_equal(ca_cert_der_subject(der, (size_t)len, &back, &e), PECHAT_OK);
		assert_subject_read_back(&s, &back);
		pechat_subject_clear(&back);
		memset(&back, 0, sizeof(back));
		assert_int_equal(ca_cert_der_subject(der, (size_t)len - 1, &back, &e), PECHAT_E_INVALID);
		assert_string_equal(e.code, "certificate_malformed");
		assert_non_null(more = malloc((size_t)len + 1));
		memcpy(more, der, (size_t)len);
		more[len] = 0;
		assert_int_equal(ca_cert_der_subject(more, (size_t)len + 1, &back, &e), PECHAT_E_INVALID);
		assert_int_equal(ca_cert_der_subject(more, 0, &back, &e), PECHAT_E_INVALID);
		free(more);
		OPENSSL_free(der);
	}
	X509_NAME_free(name);
	pechat_subject_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_check_good, setup),
		cmocka_unit_test_setup(test_check_every_bad_field, setup),
		cmocka_unit_test_setup(test_check_rules, setup),
		cmocka_unit_test_setup(test_check_format_characters, setup),
		cmocka_unit_test(test_name_encodings),
		cmocka_unit_test(test_cert_subject_roundtrip),
		cmocka_unit_test(test_der_subject),
	};

	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
