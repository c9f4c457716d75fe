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
#include <time.h>
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
	assert_int_equal(pechat_file_write(path, "one", 3, 0600, PECHAT_FILE_EXCLUSIVE), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pechat_file_write(path, "two", 3, 0600, PECHAT_FILE_EXCLUSIVE), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(pechat_file_read(path, 16, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "one", 3);
	free(data);
	assert_int_equal(pechat_file_read(path, 2, &data, &len), -1);
	assert_int_equal(pechat_file_write(path, "three", 5, 0644, 0), 0);
	/* unsynced (the ready file): still replaced whole, no temp file left */
	assert_int_equal(pechat_file_write(path, "four", 4, 0644, PECHAT_FILE_NO_SYNC), 0);
	assert_int_equal(pechat_file_read(path, 16, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "four", 4);
	free(data);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
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
	struct timespec pause = { 0, 2000000L };
	time_t before = time(NULL);
	unsigned long long ms;

	(void)state;
	assert_int_equal(pechat_uuid7(a), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(pechat_uuid7(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '7');                           /* version */
	assert_non_null(strchr("89ab", a[19]));                 /* RFC 9562 variant */
	assert_true(strcmp(a, b) < 0);                          /* 2 ms later sorts later */
	/* the first 48 bits are the Unix time in milliseconds */
	assert_int_equal(sscanf(a, "%8llx", &ms), 1);
	ms = (ms << 16) | strtoull(a + 9, NULL, 16);
	assert_true(ms / 1000 >= (unsigned long long)before && ms / 1000 <= (unsigned long long)time(NULL));
}

/* ------------------------------------------------------------ logging */

static FILE *cap_file;
static int cap_saved = -1;

/* Sends stderr (where records go) to a temp file. */
static void
cap_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_saved = dup(2);
	assert_true(cap_saved >= 0);
	assert_true(dup2(fileno(cap_file), 2) >= 0);
}

/* Restores stderr; returns what was logged (malloc'd). */
static char *
cap_end(void)
{
	long n;
	char *buf;

	fflush(stderr);
	assert_true(dup2(cap_saved, 2) >= 0);
	close(cap_saved);
	n = ftell(cap_file);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(cap_file);
	assert_int_equal(fread(buf, 1, (size_t)n, cap_file), (size_t)n);
	fclose(cap_file);
	return buf;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Client text in a record never makes a second line nor hides text (item: log injection). */
static void
test_log_escapes(void **state)
{
	char *out;

	(void)state;
	pechat_log_set_level(PECHAT_LOG_INFO);
	cap_start();
	/* a decoded "%0A" path that tries to forge a record, ESC, DEL, CR */
	pechat_log(PECHAT_LOG_WARN, "GET %s: no such resource",
	    "/x\n2026-01-01T00:00:00Z pechat[error] forged\r\x1b[31m\x7f");
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+200B, U+2028, C1 U+0085, invalid UTF-8, a backslash */
	pechat_log(PECHAT_LOG_WARN, "name %s", "a\xe2\x80\xae" "b\xe2\x80\x8b" "c\xe2\x80\xa8" "d\xc2\x85"
	    "e\xff\xc0\xaf" "f\\x0A" "Ё");
	out = cap_end();
	assert_int_equal(count_lines(out), 2);
	assert_null(strstr(out, "\npechat[error]"));
	assert_non_null(strstr(out, "pechat[warn] GET /x\\x0A2026-01-01T00:00:00Z pechat[error] forged"
	    "\\x0D\\x1B[31m\\x7F: no such resource\n"));
	assert_non_null(strstr(out, "pechat[warn] name a\\u{202E}b\\u{200B}c\\u{2028}d\\u{0085}"
	    "e\\xFF\\xC0\\xAFf\\\\x0AЁ\n"));
	free(out);
}

static void
test_text_escape(void **state)
{
	char out[64], small[8];

	(void)state;
	assert_int_equal(pechat_text_escape("plain Текст", out, sizeof(out)), strlen("plain Текст"));
	assert_string_equal(out, "plain Текст");
	pechat_text_escape("\t\xf4\x90\x80\x80\xed\xa0\x80", out, sizeof(out));
	/* tab; U+110000 and a surrogate are invalid UTF-8: byte by byte */
	assert_string_equal(out, "\\x09\\xF4\\x90\\x80\\x80\\xED\\xA0\\x80");
	/* cut at a whole escape, always terminated */
	pechat_text_escape("ab\n\n", small, sizeof(small));
	assert_string_equal(small, "ab\\x0A");
	/* the table: both ends of some ranges, and their neighbours */
	assert_true(pechat_unicode_is_format(0xad));
	assert_false(pechat_unicode_is_format(0xac));
	assert_true(pechat_unicode_is_format(0x202a));
	assert_true(pechat_unicode_is_format(0x202e));
	assert_false(pechat_unicode_is_format(0x202f));
	assert_true(pechat_unicode_is_format(0xe0001));
	assert_true(pechat_unicode_is_format(0xe007f));
	assert_false(pechat_unicode_is_format(0xe0080));
	assert_false(pechat_unicode_is_format('a'));
	assert_true(pechat_unicode_is_hidden(0));
	assert_true(pechat_unicode_is_hidden(0x9f));
	assert_false(pechat_unicode_is_hidden(0xa0));
	assert_true(pechat_unicode_is_hidden(0x2029));
	assert_false(pechat_unicode_is_hidden(0x0401));
}

/*
 * tests/data/unicode/cf.txt lists every Cf code point of Python's
 * unicodedata (generate.sh there): each one is in the table, and the table
 * holds nothing else below U+E0080 that is not in a later Unicode version.
 */
static void
test_unicode_format_table(void **state)
{
	char path[512], line[256];
	const char *dir = getenv("PECHAT_TEST_DATA");
	FILE *f;
	unsigned long cp;
	int n = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/unicode/cf.txt", dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		cp = strtoul(line, NULL, 16);
		if (!pechat_unicode_is_format((uint32_t)cp))
			fail_msg("U+%04lX is Cf but not in the table", cp);
		n++;
	}
	fclose(f);
	assert_true(n >= 163);
	/* and ordinary letters, digits, spaces of every plane are not */
	for (cp = 0x20; cp < 0x7f; cp++)
		assert_false(pechat_unicode_is_format((uint32_t)cp));
	assert_false(pechat_unicode_is_format(0x20ac));
	assert_false(pechat_unicode_is_format(0x1f600));
}

/* A flood of rejections writes a bounded number of lines (item: log amplification). */
static void
test_log_reject_flood(void **state)
{
	struct timespec t0, t1;
	double elapsed;
	char *out;
	int i, lines;

	(void)state;
	pechat_log_set_level(PECHAT_LOG_INFO);
	cap_start();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++)
		log_reject("ocsp: request %d is malformed", i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out = cap_end();
	elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	lines = count_lines(out);
	/* default bucket: 5 lines/s, bursts of 20 */
	assert_true(lines >= 20);
	assert_true(lines <= 21 + (int)(5 * elapsed));
	free(out);
}

static time_t fake_now;

static time_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* The bucket on a fake clock: exact counts and the "suppressed" summary. */
static void
test_log_reject_bucket(void **state)
{
	struct pechat_clock clk = { fake_clock, NULL };
	char *out;
	int i;

	(void)state;
	fake_now = 1000;
	pechat_log_set_clock(&clk);
	pechat_log_set_reject_limit(2, 3);
	cap_start();
	for (i = 0; i < 10; i++)
		log_reject("bad %d", i);        /* 3 written, 7 counted */
	fake_now += 1;                          /* 2 tokens: the summary and one record */
	log_reject("bad %d", 10);
	log_reject("bad %d", 11);               /* counted */
	pechat_log_flush();
	pechat_log_flush();                     /* nothing left to report */
	out = cap_end();
	assert_int_equal(count_lines(out), 3 + 1 + 1 + 1);
	assert_non_null(strstr(out, "reject: bad 2\n"));
	assert_null(strstr(out, "reject: bad 3\n"));
	assert_non_null(strstr(out, "reject: 7 rejection(s) not logged in the last 1 s (limit 2/s)\n"));
	assert_non_null(strstr(out, "reject: bad 10\n"));
	assert_null(strstr(out, "reject: bad 11\n"));
	assert_non_null(strstr(out, "reject: 1 rejection(s) not logged"));
	assert_true(strstr(out, "7 rejection(s)") < strstr(out, "bad 10"));
	free(out);
	pechat_log_set_reject_limit(5, 20);
	pechat_log_set_clock(NULL);
}

/* pechat_utf8_chars counts characters of valid UTF-8 and refuses what pechat_utf8_decode refuses. */
static void
test_utf8_chars(void **state)
{
	(void)state;
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"", 0), 0);
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"abc", 3), 3);
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xd0\x9f\xd0\xb5", 4), 2);    /* "Пе" */
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xf0\x9f\x98\x80", 4), 1);    /* U+1F600 */
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xd0", 1), -1);                 /* cut short */
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xc0\xaf", 2), -1);            /* overlong */
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xed\xa0\x80", 3), -1);       /* surrogate */
	assert_int_equal(pechat_utf8_chars((const unsigned char *)"\xf4\x90\x80\x80", 4), -1);  /* > U+10FFFF */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_sets_error),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_utf8_chars),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_subject_fields),
		cmocka_unit_test(test_file_exclusive_write),
		cmocka_unit_test(test_time_formats),
		cmocka_unit_test(test_time_parse_strict),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_log_escapes),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_unicode_format_table),
		cmocka_unit_test(test_log_reject_flood),
		cmocka_unit_test(test_log_reject_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
