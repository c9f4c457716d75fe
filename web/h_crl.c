/*
 * web/h_crl.c — GET /crl/{issuer}.crl, /crl/{issuer}-delta.crl (the current
 * CRLs, from memory) and /crl/{issuer}/{number}.crl (any CRL ever published,
 * from the store). application/pkix-crl (RFC 5280 §4.2.1.13, RFC 2585).
 */
#include "web/web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 404: this issuer name publishes no CRL. */
static MHD_Result_t
issuer_unknown(struct web_req *r)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "no CRLs are published for an issuer named \"%.64s\"", r->params[0]);
	return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "crl_unknown", detail);
}

/* libmicrohttpd is done with a CRL blob: its reference is dropped. */
static void
blob_done(void *cls)
{
	ca_blob_release(cls);
}

/*
 * Serves the current CRL with caching headers up to its nextUpdate
 * (capped), sent from the blob itself (no copy per request): the reference
 * taken here is released by libmicrohttpd when the reply is sent, so a
 * newer CRL swapped in meanwhile never frees the bytes under it.
 */
static MHD_Result_t
current(struct web_req *r, int delta)
{
	struct ca_blob *b = NULL;
	struct pechat_error e;
	time_t now = pechat_clock_now(r->w->clock);

	pechat_error_clear(&e);
	if (ca_crl_current(r->w->publisher, r->params[0], delta, &b, &e) != PECHAT_OK)
		return issuer_unknown(r);
	return web_reply_cacheable_ref(r, "application/pkix-crl", b->data, b->len, b->this_update, b->next_update,
	    b->fingerprint, web_max_age(b->next_update, now, r->w->conf->crl.cache_max_age_s), blob_done, b);
}

MHD_Result_t
h_crl_full(struct web_req *r)
{
	return current(r, 0);
}

MHD_Result_t
h_crl_delta(struct web_req *r)
{
	return current(r, 1);
}

/*
 * A CRL number as a path segment: canonical decimal only (digits, no sign,
 * no spaces, no leading zero), 1..2^63-1, so that one CRL has one URL.
 * 0 and *n set, or -1.
 */
static int
crl_number_parse(const char *s, int64_t *n)
{
	size_t i, len = strlen(s);
	char *end;
	long long v;

	if (len == 0 || len > 19 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*n = v;
	return 0;
}

/* 404 for a number this issuer never published: the latest number and where the current CRLs are. */
static MHD_Result_t
number_unknown(struct web_req *r, int64_t n)
{
	struct ca_blob *b = NULL;
	struct pechat_error e;
	int64_t max = 0;
	const char *issuer = r->params[0];
	char detail[384];

	pechat_error_clear(&e);
	if (ca_crl_current(r->w->publisher, issuer, 0, &b, &e) != PECHAT_OK)
		return issuer_unknown(r);
	ca_blob_release(b);
	if (db_crl_max_number(r->db, issuer, &max, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	snprintf(detail, sizeof(detail), "issuer %.40s has no CRL number %lld; its full and delta CRLs share "
	    "one increasing sequence, the latest is number %lld; the current CRLs are /crl/%.40s.crl and "
	    "/crl/%.40s-delta.crl", issuer, (long long)n, (long long)max, issuer, issuer);
	return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "crl_unknown", detail);
}

MHD_Result_t
h_crl_number(struct web_req *r)
{
	struct db_crl c;
	struct pechat_error e;
	int64_t n;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (crl_number_parse(r->params[1], &n) != 0)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "crl_unknown",
		    "a CRL number in a path is a positive decimal without sign, spaces or leading zeros");
	if (db_crl_get(r->db, r->params[0], n, &c, &e) != PECHAT_OK) {
		if (e.err == PECHAT_E_NOT_FOUND)
			return number_unknown(r, n);
		return web_reply_error(r, &e);
	}
	/* a published CRL never changes: cache it for a day (its own nextUpdate may be long past) */
	{
		time_t now = pechat_clock_now(r->w->clock);
		ret = web_reply_cacheable(r, "application/pkix-crl", c.der, c.der_len, c.this_update, now + 86400,
		    ca_der_fingerprint(c.der, c.der_len), 86400);
	}
	db_crl_free_fields(&c);
	return ret;
}
