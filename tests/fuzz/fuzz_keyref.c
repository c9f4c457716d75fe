/*
 * tests/fuzz/fuzz_keyref.c — key references (hsm/): hsm_key_ref_check (the
 * parse of file:, pkcs11:, engine: and offline: references, nothing opened)
 * and hsm_key_ref_redact (what GET /api/v1/keys and the logs show).
 * Invariants:
 *   - a refusal says why (a non-empty, NUL-terminated reason);
 *   - an accepted pkcs11: or engine: reference is at most 2048 bytes and
 *     carries no PIN: no pin-value attribute in a pkcs11: URI, no
 *     "pin-value" in an engine's KEY-ID (handed to the engine as is);
 *   - the redacted text is NUL-terminated within its buffer, and every
 *     "pin-source=file:" / "passphrase-source=file:" attribute in it (after
 *     '?', '&' or ';') is followed by "(redacted)" (or by the "..." of a cut).
 */
#define _GNU_SOURCE 1  /* memmem */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "hsm/hsm.h"

#define REF_MAX 4096

/* Every "<name>file:" attribute of s is followed by "(redacted)" or the final "...". */
static void
check_sources(const char *s, const char *name)
{
	const char *p = s;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		int attribute = p > s && strchr("?&;", p[-1]) != NULL;

		p += n;
		if (!attribute)
			continue;
		FUZZ_CHECK(strncmp(p, "(redacted)", 10) == 0 || strcmp(p + strlen(p) - 3, "...") == 0);
	}
}

/* 1 if one of the sep-separated attributes of s[0..len) starts with "pin-value". */
static int
attribute_pin(const char *s, size_t len, char sep)
{
	const char *p = s, *end = s + len, *next;

	for (; p < end; p = next + 1) {
		if ((next = memchr(p, sep, (size_t)(end - p))) == NULL)
			next = end;
		if ((size_t)(next - p) >= 9 && strncmp(p, "pin-value", 9) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 if ref carries a PIN: a pin-value attribute of a pkcs11: URI (path
 * attributes split at ';', query attributes at '&'), or "pin-value" in an
 * engine: KEY-ID (between the second ':' and the '?').
 */
static int
carries_pin(const char *ref)
{
	const char *path, *query, *key_id;
	size_t n;

	if (strncmp(ref, "engine:", 7) == 0) {
		if ((key_id = strchr(ref + 7, ':')) == NULL)
			return 0;
		n = (query = strchr(key_id, '?')) != NULL ? (size_t)(query - key_id) : strlen(key_id);
		return memmem(key_id, n, "pin-value", 9) != NULL;
	}
	path = ref + 7;
	query = strchr(path, '?');
	n = query != NULL ? (size_t)(query - path) : strlen(path);
	return attribute_pin(path, n, ';') || (query != NULL && attribute_pin(query + 1, strlen(query + 1), '&'));
}

/* hsm_key_ref_redact into a buffer of bufsz bytes, checked. */
static void
check_redact(const char *ref, size_t bufsz)
{
	static char buf[REF_MAX + 64];

	memset(buf, 'x', sizeof(buf));
	hsm_key_ref_redact(ref, buf, bufsz);
	FUZZ_CHECK(memchr(buf, '\0', bufsz) != NULL);
	check_sources(buf, "pin-source=file:");
	check_sources(buf, "passphrase-source=file:");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ref[REF_MAX + 1];
	char why[320];
	size_t n = size < REF_MAX ? size : REF_MAX;

	memcpy(ref, data, n);
	ref[n] = '\0';
	why[0] = '\0';
	if (hsm_key_ref_check(ref, why, sizeof(why)) != 0) {
		FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
	} else if (strncmp(ref, "pkcs11:", 7) == 0 || strncmp(ref, "engine:", 7) == 0) {
		FUZZ_CHECK(strlen(ref) <= 2048);
		FUZZ_CHECK(!carries_pin(ref));
	}
	check_redact(ref, 2);
	check_redact(ref, 64);
	check_redact(ref, sizeof(ref) + 32);
	return 0;
}
