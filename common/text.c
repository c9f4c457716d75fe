/*
 * common/text.c — UTF-8 decoding and the code points no name or log line
 * may carry: controls (Cc), format characters (Cf: bidi overrides, zero
 * widths, tags...) and the line/paragraph separators (Zl, Zp). The log
 * writer escapes them; ca/subject.c refuses them in subject fields.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>

/* See common.h. RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
size_t
pechat_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c, v;
	size_t need, k;

	if (s == NULL || len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
	} else
		return 0;
	if (need >= len)
		return 0;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3f);
	}
	if ((need == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (need == 3 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return need + 1;
}

/* See common.h. */
long
pechat_utf8_chars(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t k;
	long n = 0;

	for (; len > 0; s += k, len -= k, n++)
		if ((k = pechat_utf8_decode(s, len, &cp)) == 0)
			return -1;
	return n;
}

/*
 * General category Cf (format) of Unicode 15.1 — 170 code points in 21
 * ranges, from UnicodeData.txt. Small and stable: a new Cf character is
 * rare (the last ones came with 14.0 and 15.0). Sorted, disjoint.
 */
static const struct {
	uint32_t lo, hi;
} format_ranges[] = {
	{ 0x00ad, 0x00ad },     /* SOFT HYPHEN */
	{ 0x0600, 0x0605 },     /* ARABIC NUMBER SIGN .. ARABIC NUMBER MARK ABOVE */
	{ 0x061c, 0x061c },     /* ARABIC LETTER MARK */
	{ 0x06dd, 0x06dd },     /* ARABIC END OF AYAH */
	{ 0x070f, 0x070f },     /* SYRIAC ABBREVIATION MARK */
	{ 0x0890, 0x0891 },     /* ARABIC POUND / PIASTRE MARK ABOVE */
	{ 0x08e2, 0x08e2 },     /* ARABIC DISPUTED END OF AYAH */
	{ 0x180e, 0x180e },     /* MONGOLIAN VOWEL SEPARATOR */
	{ 0x200b, 0x200f },     /* ZERO WIDTH SPACE .. RIGHT-TO-LEFT MARK */
	{ 0x202a, 0x202e },     /* LEFT-TO-RIGHT EMBEDDING .. RIGHT-TO-LEFT OVERRIDE */
	{ 0x2060, 0x2064 },     /* WORD JOINER .. INVISIBLE PLUS */
	{ 0x2066, 0x206f },     /* LEFT-TO-RIGHT ISOLATE .. NOMINAL DIGIT SHAPES */
	{ 0xfeff, 0xfeff },     /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	{ 0xfff9, 0xfffb },     /* INTERLINEAR ANNOTATION ANCHOR .. TERMINATOR */
	{ 0x110bd, 0x110bd },   /* KAITHI NUMBER SIGN */
	{ 0x110cd, 0x110cd },   /* KAITHI NUMBER SIGN ABOVE */
	{ 0x13430, 0x1343f },   /* EGYPTIAN HIEROGLYPH VERTICAL JOINER .. END WALLED ENCLOSURE */
	{ 0x1bca0, 0x1bca3 },   /* SHORTHAND FORMAT LETTER OVERLAP .. UP STEP */
	{ 0x1d173, 0x1d17a },   /* MUSICAL SYMBOL BEGIN BEAM .. END PHRASE */
	{ 0xe0001, 0xe0001 },   /* LANGUAGE TAG */
	{ 0xe0020, 0xe007f },   /* TAG SPACE .. CANCEL TAG */
};

#define N_FORMAT_RANGES (sizeof(format_ranges) / sizeof(format_ranges[0]))

/* See common.h. */
int
pechat_unicode_is_format(uint32_t cp)
{
	size_t lo = 0, hi = N_FORMAT_RANGES, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (cp < format_ranges[mid].lo)
			hi = mid;
		else if (cp > format_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* See common.h. Cc = U+0000..U+001F, U+007F..U+009F; Zl = U+2028; Zp = U+2029. */
int
pechat_unicode_is_hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    pechat_unicode_is_format(cp);
}

/* Appends s to out (bounded); returns the new length, never past outsz - 1. */
static size_t
put(char *out, size_t outsz, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (n + k >= outsz)
		return n;
	memcpy(out + n, s, k);
	return n + k;
}

/* See common.h. */
size_t
pechat_text_escape(const char *in, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t len = strlen(in), i = 0, n = 0, k, m;
	uint32_t cp;
	char esc[16];

	if (outsz == 0)
		return 0;
	while (i < len) {
		if ((k = pechat_utf8_decode(p + i, len - i, &cp)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02X", p[i]);
			k = 1;
		} else if (cp == '\\')
			snprintf(esc, sizeof(esc), "\\\\");
		else if (cp < 0x80 && pechat_unicode_is_hidden(cp))
			snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)cp);
		else if (pechat_unicode_is_hidden(cp))
			snprintf(esc, sizeof(esc), "\\u{%04X}", (unsigned)cp);
		else {
			if (n + k >= outsz)
				break;
			memcpy(out + n, p + i, k);
			n += k;
			i += k;
			continue;
		}
		if ((m = put(out, outsz, n, esc)) == n)
			break;
		n = m;
		i += k;
	}
	out[n] = '\0';
	return n;
}
