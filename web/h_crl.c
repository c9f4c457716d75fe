/*
 * web/h_crl.c — GET /crl/{issuer}.crl, /crl/{issuer}-delta.crl (the current
 * CRLs, from memory) and /crl/{issuer}/{number}.crl (any CRL ever published,
 * from the store). application/pkix-crl (RFC 5280 §4.2.1.13, RFC 2585).
 */
#include "web/web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Serves the current CRL with caching headers up to its nextUpdate (capped). */
static MHD_Result_t
current(struct web_req *r, int delta)
{
	struct ca_blob *b = NULL;
	struct pechat_error e;
	time_t now = pechat_clock_now(r->w->clock);
	long max_age;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (ca_crl_current(r->w->publisher, r->params[0], delta, &b, &e) != PECHAT_OK)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "crl_unknown", "no CRL for this issuer");
	max_age = (long)(b->next_update - now);
	if (max_age > r->w->conf->crl.cache_max_age_s)
		max_age = r->w->conf->crl.cache_max_age_s;
	ret = web_reply_cacheable(r, "application/pkix-crl", b->data, b->len, b->this_update, b->next_update,
	    b->etag, (int)max_age);
	ca_blob_release(b);
	return ret;
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

MHD_Result_t
h_crl_number(struct web_req *r)
{
	struct db_crl c;
	struct pechat_error e;
	char *end;
	long long n;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	errno = 0;
	n = strtoll(r->params[1], &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0 || r->params[1][0] == '+')
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "crl_unknown", "CRL numbers are positive decimals");
	if (db_crl_get(r->db, r->params[0], n, &c, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	/* a published CRL never changes: cache it for a day (its own nextUpdate may be long past) */
	{
		char etag[20], hex[65];
		time_t now = pechat_clock_now(r->w->clock);
		if (pechat_sha256_hex(c.der, c.der_len, hex) != 0)
			hex[0] = '\0';
		snprintf(etag, sizeof(etag), "\"%.16s\"", hex);
		ret = web_reply_cacheable(r, "application/pkix-crl", c.der, c.der_len, c.this_update, now + 86400,
		    etag, 86400);
	}
	db_crl_free_fields(&c);
	return ret;
}
