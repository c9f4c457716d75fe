/* Unit tests for common/: error helpers, hex/base64, subject fields, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

static void
test_fail_sets_error(void **state)
{
	struct pechat_error e;

	(void)state;
	pechat_error_clear(&e);
	assert_int_equal(pechat_fail(&e, PECHAT_E_INVALID, "csr_malformed", "bad %d", 7),
	    PECHAT_E_INVALID);
	assert_int_equal(e.err, PECHAT_E_INVALID);
	assert_string_equal(e.code, "csr_malformed");
	assert_string_equal(e.detail, "bad 7");
	pechat_error_add_field(&e, "subject.inn", "check_digit", "wrong check digit");
	assert_int_equal(e.nfields, 1);
	assert_string_equal(e.fields[0].field, "subject.inn");
	assert_int_equal(pechat_fail(NULL, PECHAT_E_BUSY, "x", NULL), PECHAT_E_BUSY);
}

static void
test_hex(void **state)
{
	const unsigned char in[] = { 0x00, 0x5f, 0xa0, 0xff };
	char out[9], small[8];

	(void)state;
	assert_int_equal(pechat_hex_encode(in, sizeof(in), out, sizeof(out)), 0);
	assert_string_equal(out, "005FA0FF");
	assert_int_equal(pechat_hex_encode(in, sizeof(in), small, sizeof(small)), -1);
	assert_true(pechat_is_hex("5F3A09", 64));
	assert_false(pechat_is_hex("5G", 64));
	assert_false(pechat_is_hex("", 64));
	assert_false(pechat_is_hex("ABCDEF", 5));
}

static void
test_base64_roundtrip(void **state)
{
	const unsigned char in[] = { 0xfb, 0xff, 0xbf, 0x01 };
	char *enc = NULL;
	unsigned char *dec = NULL;
	size_t declen;

	(void)state;
	assert_int_equal(pechat_base64_encode(in, sizeof(in), &enc), 0);
	assert_string_equal(enc, "+/+/AQ==");
	assert_int_equal(pechat_base64_decode(enc, strlen(enc), &dec, &declen), 0);
	assert_int_equal(declen, sizeof(in));
	assert_memory_equal(dec, in, sizeof(in));
	free(dec);
	free(enc);
	assert_int_equal(pechat_base64_decode("abc", 3, &dec, &declen), -1);
	assert_int_equal(pechat_base64_decode("ab$=", 4, &dec, &declen), -1);
	assert_null(dec);
	/* canonical only: no whitespace, padding only at the end, unused bits zero */
	{
		static const char *const bad[] = { "QQ==\n\n\n\n", "QQ==QQ==", "====", "A===", "Q=QQ", "QQ=A",
			"    QQ==", "    ", "QR==", "QUF=" };
		size_t i;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (pechat_base64_decode(bad[i], strlen(bad[i]), &dec, &declen) != -1)
				fail_msg("accepted non-canonical base64 \"%s\"", bad[i]);
		assert_int_equal(pechat_base64_decode("QUE=", 4, &dec, &declen), 0);
		assert_int_equal(declen, 2);
		free(dec);
	}
}

static void
test_sha256_hex(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(pechat_sha256_hex((const unsigned char *)"abc", 3, out), 0);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_subject_fields(void **state)
{
	struct pechat_subject s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(pechat_subject_field_lookup("snils"), PSF_SNILS);
	assert_int_equal(pechat_subject_field_lookup("nope"), -1);
	assert_string_equal(pechat_subject_field_name(PSF_INNLE), "innle");
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "Иванов Иван"), 0);
	assert_int_equal(pechat_subject_set(&s, PSF_COMMON_NAME, "Петров"), 0);
	assert_string_equal(s.v[PSF_COMMON_NAME], "Петров");
	pechat_subject_clear(&s);
	assert_null(s.v[PSF_COMMON_NAME]);
	pechat_subject_clear(NULL);
}

static void
test_file_exclusive_write(void **state)
{
	char dir[] = "/tmp/pechat-test-XXXXXX", path[256];
	unsigned char *data = NULL;
	size_t len;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_int_equal(pechat_file_write(path, "one", 3, 0600, 1), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pechat_file_write(path, "two", 3, 0600, 1), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(pechat_file_read(path, 16, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "one", 3);
	free(data);
	assert_int_equal(pechat_file_read(path, 2, &data, &len), -1);
	assert_int_equal(pechat_file_write(path, "three", 5, 0644, 0), 0);
	unlink(path);
	rmdir(dir);
}

static void
test_time_formats(void **state)
{
	char buf[40];
	time_t t;

	(void)state;
	assert_int_equal(pechat_time_parse_rfc3339("2026-11-25T12:00:00Z", &t), 0);
	assert_int_equal(t, 1795608000);
	assert_string_equal(pechat_time_rfc3339(t, buf, sizeof(buf)), "2026-11-25T12:00:00Z");
	assert_string_equal(pechat_time_http(t, buf, sizeof(buf)), "Wed, 25 Nov 2026 12:00:00 GMT");
	assert_int_equal(pechat_time_parse_rfc3339("2026-11-25 12:00:00Z", &t), -1);
	assert_int_equal(pechat_time_parse_rfc3339("2026-11-25T12:00:00+03:00", &t), -1);
	assert_int_equal(pechat_time_parse_rfc3339("2026-11-25T12:00:00Zjunk", &t), -1);
	assert_int_equal(pechat_time_parse_rfc3339(NULL, &t), -1);
}

/* Strict RFC 3339: real calendar dates, no normalisation, no leap second, years 1970..9999. */
static void
test_time_parse_strict(void **state)
{
	static const char *const bad[] = {
		"0000-01-01T00:00:00Z",         /* year 0: not a time Pechat can hold */
		"1969-12-31T23:59:59Z",         /* before the epoch */
		"2020-02-31T23:59:59Z",         /* no 31 February */
		"2021-02-29T00:00:00Z",         /* 2021 is not a leap year */
		"2100-02-29T00:00:00Z",         /* century, not divisible by 400 */
		"2020-04-31T00:00:00Z",         /* April has 30 days */
		"2020-00-10T00:00:00Z",
		"2020-13-10T00:00:00Z",
		"2020-01-00T00:00:00Z",
		"2020-01-32T00:00:00Z",
		"2020-01-01T24:00:00Z",
		"2020-01-01T23:60:00Z",
		"2016-12-31T23:59:60Z",         /* leap second: time_t cannot hold it */
		"2020-01-01T00:00:61Z",
		"2020-1-01T00:00:00Z0",
		"+020-01-01T00:00:00Z",
		"2020-01-01t00:00:00Z",
		"2020-01-01T00:00:00z",
		"2020-01-01T00:00:00.5Z",
		"2020-01-01T 0:00:00Z",
		"2020-01-01T00:00:00",
		"",
	};
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 12345;
		if (pechat_time_parse_rfc3339(bad[i], &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 12345);     /* untouched on failure */
	}
	assert_int_equal(pechat_time_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(pechat_time_parse_rfc3339("2020-02-29T23:59:59Z", &t), 0);
	assert_int_equal(t, 1583020799);
	assert_int_equal(pechat_time_parse_rfc3339("2000-02-29T00:00:00Z", &t), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(pechat_time_parse_rfc3339("2016-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, 1483228799);
	assert_int_equal(pechat_time_parse_rfc3339("9999-12-31T23:59:59Z", &t), 0);
	assert_int_equal((int64_t)t, INT64_C(253402300799));
}

static void
test_uuid(void **state)
{
	char a[37], b[37];

	(void)state;
	assert_int_equal(pechat_uuid4(a), 0);
	assert_int_equal(pechat_uuid4(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_sets_error),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_subject_fields),
		cmocka_unit_test(test_file_exclusive_write),
		cmocka_unit_test(test_time_formats),
		cmocka_unit_test(test_time_parse_strict),
		cmocka_unit_test(test_uuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
