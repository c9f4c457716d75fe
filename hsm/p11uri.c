/*
 * hsm/p11uri.c — a small bounded parser for RFC 7512 "pkcs11:" key
 * references (libp11 0.4.12 has no public URI parser; its engine's is
 * private). Only the attributes Pechat uses are accepted; anything else is
 * refused so that a typo never silently selects another key.
 */
#include "p11.h"
#include "secret.h"

#include <stdio.h>
#include <string.h>

/* Value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes src[0..n) into dst (at most cap bytes). text: the result
 * is a C string (NUL-terminated, no embedded NUL). Returns the decoded
 * length or -1 (bad %XX, overlong, NUL in text).
 */
static long
pct_decode(const char *src, size_t n, unsigned char *dst, size_t cap, int text)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			if (i + 2 >= n || (hi = hexval(src[i + 1])) < 0 || (lo = hexval(src[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (text && c == '\0')
			return -1;
		if (o >= cap - (text ? 1 : 0))
			return -1;
		dst[o++] = c;
	}
	if (text)
		dst[o] = '\0';
	return (long)o;
}

/* The attribute names seen so far, one bit each (repeats are refused). */
enum {
	SEEN_TOKEN = 1, SEEN_OBJECT = 2, SEEN_ID = 4, SEEN_TYPE = 8,
	SEEN_MODULE = 16, SEEN_PIN = 32, SEEN_DEV = 64, SEEN_READER = 128
};

/* A pin-source value: "file:/abs/path" or "env:PECHAT_PIN_NAME" (hsm/secret.c). 0 or -1. */
static int
pin_source(const char *v, struct p11_uri *u)
{
	return secret_source_parse(v, "PECHAT_PIN_", u->pin_file, sizeof(u->pin_file),
	    u->pin_env, sizeof(u->pin_env));
}

/* One "name=value" of the path (query = 0) or the query (query = 1). 0 or -1 with why. */
static int
attribute(const char *a, size_t n, int query, unsigned *seen, struct p11_uri *u,
    char *why, size_t whysz)
{
	const char *eq = memchr(a, '=', n);
	char name[32], val[P11_PATH_MAX + 1];
	size_t nl;
	unsigned bit = 0;
	long vl;

	if (eq == NULL || (nl = (size_t)(eq - a)) == 0 || nl >= sizeof(name)) {
		snprintf(why, whysz, "attribute without name=value");
		return -1;
	}
	memcpy(name, a, nl);
	name[nl] = '\0';
	if (strcmp(name, "pin-value") == 0) {
		snprintf(why, whysz, "pin-value refused: a PIN never goes into the configuration; "
		    "use pin-source=file:PATH or pin-source=env:PECHAT_PIN_NAME");
		return -1;
	}
	if (!query && strcmp(name, "id") == 0) {
		vl = pct_decode(eq + 1, n - nl - 1, u->id, sizeof(u->id), 0);
		bit = SEEN_ID;
		if (vl <= 0) {
			snprintf(why, whysz, "id: bad percent-encoding, empty or longer than %d bytes", P11_ID_MAX);
			return -1;
		}
		u->id_len = (size_t)vl;
	} else {
		if (pct_decode(eq + 1, n - nl - 1, (unsigned char *)val, sizeof(val), 1) < 0) {
			snprintf(why, whysz, "%s: bad percent-encoding or overlong", name);
			return -1;
		}
		if (!query && strcmp(name, "token") == 0) {
			bit = SEEN_TOKEN;
			if (val[0] == '\0' || pechat_strlcpy(u->token, val, sizeof(u->token)) >= sizeof(u->token))
				goto bad_value;
		} else if (!query && strcmp(name, "object") == 0) {
			bit = SEEN_OBJECT;
			if (val[0] == '\0' || pechat_strlcpy(u->object, val, sizeof(u->object)) >= sizeof(u->object))
				goto bad_value;
		} else if (!query && strcmp(name, "type") == 0) {
			bit = SEEN_TYPE;
			if (strcmp(val, "private") != 0)
				goto bad_value;
		} else if (query && strcmp(name, "module-path") == 0) {
			bit = SEEN_MODULE;
			if (val[0] != '/' || pechat_strlcpy(u->module, val, sizeof(u->module)) >= sizeof(u->module))
				goto bad_value;
		} else if (query && strcmp(name, "pin-source") == 0) {
			bit = SEEN_PIN;
			if (pin_source(val, u) != 0)
				goto bad_value;
		} else if (query && strcmp(name, "development") == 0) {
			bit = SEEN_DEV;
			if (strcmp(val, "1") != 0)
				goto bad_value;
			u->development = 1;
		} else if (query && strcmp(name, "reader") == 0) {
			bit = SEEN_READER;      /* the PC/SC reader the token sits in (hsm/presence.c) */
			if (val[0] == '\0' || pechat_strlcpy(u->reader, val, sizeof(u->reader)) >= sizeof(u->reader))
				goto bad_value;
		} else {
			snprintf(why, whysz, "unknown attribute \"%s\"", name);
			return -1;
		}
	}
	if (*seen & bit) {
		snprintf(why, whysz, "attribute \"%s\" repeated", name);
		return -1;
	}
	*seen |= bit;
	return 0;
bad_value:
	snprintf(why, whysz, "%s: value not accepted", name);
	return -1;
}

/* Splits s[0..n) at sep and hands each non-empty part to attribute(). 0 or -1. */
static int
attributes(const char *s, size_t n, char sep, int query, unsigned *seen, struct p11_uri *u,
    char *why, size_t whysz)
{
	const char *end = s + n, *p;

	while (s < end) {
		if ((p = memchr(s, sep, (size_t)(end - s))) == NULL)
			p = end;
		if (p > s && attribute(s, (size_t)(p - s), query, seen, u, why, whysz) != 0)
			return -1;
		s = p + 1;
	}
	return 0;
}

/* See p11.h. */
int
p11_uri_parse(const char *uri, struct p11_uri *u, char *why, size_t whysz)
{
	const char *path, *q;
	size_t len;
	unsigned seen = 0;

	memset(u, 0, sizeof(*u));
	if (uri == NULL || strncmp(uri, "pkcs11:", 7) != 0) {
		snprintf(why, whysz, "not a pkcs11: reference");
		return -1;
	}
	if ((len = strnlen(uri, P11_URI_MAX + 1)) > P11_URI_MAX) {
		snprintf(why, whysz, "reference longer than %d characters", P11_URI_MAX);
		return -1;
	}
	path = uri + 7;
	q = strchr(path, '?');
	if (attributes(path, q != NULL ? (size_t)(q - path) : strlen(path), ';', 0, &seen, u, why, whysz) != 0 ||
	    (q != NULL && attributes(q + 1, strlen(q + 1), '&', 1, &seen, u, why, whysz) != 0))
		return -1;
	if (!(seen & SEEN_TOKEN) || !(seen & (SEEN_ID | SEEN_OBJECT))) {
		snprintf(why, whysz, "token= and id= or object= are required");
		return -1;
	}
	if (!(seen & SEEN_MODULE) || !(seen & SEEN_PIN)) {
		snprintf(why, whysz, "module-path= and pin-source= are required");
		return -1;
	}
	return 0;
}
