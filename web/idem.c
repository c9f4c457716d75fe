/*
 * web/idem.c — the Idempotency-Key header of the creating POSTs (docs/API.md,
 * "Idempotency"): its bounds, and the hash that tells a retry from another
 * request. The rules (replay, reuse, claims) are ra/'s (ra/idem.c, ra/request.c).
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#define IDEM_KEY_MAX 128

int
web_idem_key(struct web_req *r, const char **out)
{
	const char *k = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	size_t i;

	*out = NULL;
	if (k == NULL)
		return 0;
	for (i = 0; k[i] != '\0'; i++)
		if (i >= IDEM_KEY_MAX || k[i] < 0x21 || k[i] > 0x7e)
			return -1;
	if (i == 0)
		return -1;
	*out = k;
	return 0;
}

/* SHA-256 hex of route, path, Content-Type and the bytes, each part ended by a NUL. 0 or -1 (memory). */
static int
call_hash(struct web_req *r, const char *route, const void *bytes, size_t len, char hash[65])
{
	const char *ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *part[3] = { route, r->url, ctype != NULL ? ctype : "" };
	unsigned char *buf;
	size_t n = len, at = 0, i;
	int rc;

	for (i = 0; i < 3; i++)
		n += strlen(part[i]) + 1;
	if ((buf = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		memcpy(buf + at, part[i], strlen(part[i]) + 1);
		at += strlen(part[i]) + 1;
	}
	if (len > 0)
		memcpy(buf + at, bytes, len);
	rc = pechat_sha256_hex(buf, n, hash);
	free(buf);
	return rc;
}

int
web_idem_read(struct web_req *r, const char *route, const void *bytes, size_t len, struct ra_idem *idem,
    char hash[65], MHD_Result_t *ret)
{
	memset(idem, 0, sizeof(*idem));
	idem->route = route;
	idem->body_hash = hash;
	hash[0] = '\0';
	if (web_idem_key(r, &idem->key) != 0) {
		*ret = web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "idempotency_key_invalid",
		    "Idempotency-Key must be 1 to 128 visible ASCII characters");
		return -1;
	}
	if (idem->key != NULL && call_hash(r, route, bytes, len, hash) != 0) {
		*ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
		return -1;
	}
	return 0;
}
