/*
 * tests/fuzz/fuzz_routes.c — web_route_match (web/routes.c) on untrusted
 * request paths, with a fake struct web_req (the matcher reads only
 * listener, method and url, and writes params, nparams and allow).
 * Input: byte 0 picks the listener (bit 0: public/API) and the method
 * (bits 1-3); the rest, up to the first NUL, is the path.
 * Invariants: a match has the request's method and listener, one non-empty
 * parameter per "{x}" of its pattern, and substituting the parameters back
 * into the pattern gives the path exactly (a final "{x*}" may be cut at
 * 255 bytes); no match leaves nparams 0; the Allow list is set iff the
 * method alone did not match, and fits.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "web/web_int.h"

static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "" };

/* Rebuilds the path from the route's pattern and the captured parameters; checks it against url. */
static void
check_rebuild(const struct web_req *r, const char *pattern)
{
	char buf[8192];
	size_t n = 0, l;
	int k = 0;
	const char *p = pattern, *close;

	while (*p != '\0') {
		if (*p != '{') {
			FUZZ_CHECK(n + 1 < sizeof(buf));
			buf[n++] = *p++;
			continue;
		}
		FUZZ_CHECK((close = strchr(p, '}')) != NULL && k < r->nparams);
		l = strlen(r->params[k]);
		FUZZ_CHECK(l > 0 && l < sizeof(r->params[0]));
		if (close[-1] == '*') {
			/* the rest of the path, '/' included, cut to what params holds */
			FUZZ_CHECK(close[1] == '\0');
			FUZZ_CHECK(strlen(r->url) > n && strncmp(r->url, buf, n) == 0);
			FUZZ_CHECK(strncmp(r->url + n, r->params[k], l) == 0);
			FUZZ_CHECK(l == strlen(r->url + n) || l == sizeof(r->params[0]) - 1);
			FUZZ_CHECK(k + 1 == r->nparams);
			return;
		}
		FUZZ_CHECK(strchr(r->params[k], '/') == NULL);
		FUZZ_CHECK(n + l < sizeof(buf));
		memcpy(buf + n, r->params[k], l);
		n += l;
		k++;
		p = close + 1;
	}
	buf[n] = '\0';
	FUZZ_CHECK(k == r->nparams);
	FUZZ_CHECK(strcmp(buf, r->url) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_req r;
	const struct web_route *route;
	char *url;
	int mismatch = -1;

	if (size < 1 || size > 4096)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(r.params, 0x5a, sizeof(r.params));
	memset(r.allow, 0x5a, sizeof(r.allow));
	r.nparams = -7;
	r.listener = (data[0] & 1) ? WEB_API : WEB_PUBLIC;
	r.method = methods[(data[0] >> 1) & 7];
	if ((url = strndup((const char *)data + 1, size - 1)) == NULL)
		return 0;
	r.url = url;
	route = web_route_match(&r, &mismatch);
	FUZZ_CHECK(mismatch == 0 || mismatch == 1);
	FUZZ_CHECK(memchr(r.allow, '\0', sizeof(r.allow)) != NULL);
	FUZZ_CHECK((r.allow[0] != '\0') == (mismatch == 1));
	FUZZ_CHECK(r.nparams >= 0 && r.nparams <= WEB_MAX_PARAMS);
	if (route == NULL) {
		FUZZ_CHECK(r.nparams == 0);
	} else {
		FUZZ_CHECK(strcmp(route->method, r.method) == 0);
		FUZZ_CHECK((route->listeners & r.listener) != 0);
		FUZZ_CHECK(strstr(r.allow, r.method) == NULL);
		check_rebuild(&r, route->pattern);
	}
	free(url);
	return 0;
}
