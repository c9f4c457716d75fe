/* common/codec.c — hex, base64 (OpenSSL EVP_Encode*), SHA-256 fingerprints, UUIDs. */
#include "common.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Hex of len bytes in the case of `digits` into out (2*len+1 bytes, NUL-terminated). */
static void
hex_with(const char *digits, const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
pechat_hex_encode(const unsigned char *in, size_t len, char *out, size_t outsz)
{
	if (outsz < 2 * len + 1)
		return -1;
	hex_with("0123456789ABCDEF", in, len, out);
	return 0;
}

int
pechat_is_hex(const char *s, size_t maxlen)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= maxlen || !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Contract: *out owns a NUL-terminated string on success. */
int
pechat_base64_encode(const unsigned char *in, size_t len, char **out)
{
	char *buf;

	*out = NULL;
	if (len > INT_MAX / 2)
		return -1;
	if ((buf = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)buf, in, (int)len);
	*out = buf;
	return 0;
}

/* Index of a base64 alphabet character (RFC 4648 §4), or -1. */
static int
b64_value(char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

/*
 * Checks canonical RFC 4648 §4 base64 (§3.5: padding only at the end, the
 * unused bits of the last character zero): EVP_DecodeBlock alone would trim
 * whitespace and decode '=' in the middle. Returns the padding count or -1.
 */
static int
b64_canonical(const char *in, size_t len)
{
	int pad = 0, last;
	size_t i;

	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	for (i = 0; i < len - (size_t)pad; i++)
		if (b64_value(in[i]) < 0)
			return -1;
	last = b64_value(in[len - 1 - (size_t)pad]);
	if ((pad == 1 && (last & 0x03) != 0) || (pad == 2 && (last & 0x0f) != 0))
		return -1;
	return pad;
}

/*
 * Strict, canonical RFC 4648 base64 with padding; no whitespace. EVP_DecodeBlock
 * keeps the padding bytes in its count, so the result is trimmed by the '=' count.
 */
int
pechat_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	int n, pad;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len % 4 != 0 || len > INT_MAX / 2 || (pad = b64_canonical(in, len)) < 0)
		return -1;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = (size_t)(n - pad);
	return 0;
}

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;       /* fetched once, kept for the process's life */

/* Fetches SHA-256 from the default provider once: EVP_sha256() is fetched again (under a lock) per call. */
static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
pechat_sha256_hex(const unsigned char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL || EVP_Digest(data, len, md, &mdlen, sha256_md, NULL) != 1 || mdlen != 32) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "sha256");
		return -1;
	}
	hex_with("0123456789abcdef", md, mdlen, out);
	return 0;
}

/* See common.h. */
int
pechat_uuid7(char out[37])
{
	unsigned char b[16];
	struct timespec now;
	uint64_t ms;
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "uuid: RAND_bytes");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
	return 0;
}
