/*
 * tests/fuzz/fuzz_text.c — the two common/ functions that see client text
 * first: pechat_text_escape (common/text.c; every log record goes through it)
 * and pechat_time_parse_rfc3339 (common/clock.c; invalidity_date of a
 * revocation). Invariants:
 *   - the escaped text is NUL-terminated within the buffer, as long as the
 *     return value says, valid UTF-8 without control characters or hidden
 *     code points (so no log line can be forged), and escaping it again
 *     only doubles its backslashes;
 *   - a date the parser accepts is canonical: formatting the time back
 *     gives the very same 20 characters, in 1970..9999.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>
#include <time.h>

#include "common/common.h"

#define ESCAPE_OUT 4096

/* The code point at s (valid UTF-8, checked by the caller's loop) and its length. */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return *cp >= 0x80 ? 2 : 0;
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return *cp >= 0x800 && (*cp < 0xD800 || *cp > 0xDFFF) ? 3 : 0;
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		    ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return *cp >= 0x10000 && *cp <= 0x10FFFF ? 4 : 0;
	}
	return 0;
}

/* Checks the escaper's output invariants for one NUL-terminated input. */
static void
check_escape(const char *in)
{
	static char out[ESCAPE_OUT], again[2 * ESCAPE_OUT];
	const unsigned char *p;
	size_t n, k, backslashes = 0;
	uint32_t cp;

	n = pechat_text_escape(in, out, sizeof(out));
	FUZZ_CHECK(n < sizeof(out) && strlen(out) == n);
	for (p = (const unsigned char *)out; *p != '\0'; p += k) {
		k = utf8_next(p, &cp);
		FUZZ_CHECK(k > 0);
		FUZZ_CHECK(!pechat_unicode_is_hidden(cp));
		backslashes += cp == '\\';
	}
	/* only backslashes need escaping a second time */
	FUZZ_CHECK(pechat_text_escape(out, again, sizeof(again)) == n + backslashes);
}

/* Checks that an accepted date is canonical. */
static void
check_date(const char *in)
{
	char back[32];
	time_t t;

	if (pechat_time_parse_rfc3339(in, &t) != 0)
		return;
	FUZZ_CHECK(t >= 0 && t <= (time_t)253402300799LL);     /* 9999-12-31T23:59:59Z */
	FUZZ_CHECK(strcmp(pechat_time_rfc3339(t, back, sizeof(back)), in) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if (size > ESCAPE_OUT / 8 || (in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_escape(in);
	check_date(in);
	free(in);
	return 0;
}
