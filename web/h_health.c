/* web/h_health.c — GET /healthz (liveness), GET /readyz (store, keys and their tokens, every issuer with a usable key, none revoked or held). */
#include "web/web_int.h"

#include <string.h>

/*
 * Liveness, with the OCSP answers owed after status changes and not signed
 * yet and the listeners' store connections (docs/API.md).
 */
MHD_Result_t
h_healthz(struct web_req *r)
{
	struct ca_publish_stats st;
	long long opened;
	int kept;

	memset(&st, 0, sizeof(st));
	if (r->w->publisher != NULL)
		ca_publisher_stats(r->w->publisher, &st);
	web_dbpool_stats(r->w, &opened, &kept);
	return web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:I, s:{s:I, s:i}}", "status", "ok", "ocsp_owed",
	    (json_int_t)st.ocsp_owed, "store_connections", "opened", (json_int_t)opened, "kept", kept), NULL);
}

#define READY_CACHE_S 5

/*
 * Key readiness makes a test signature per key: done at most every
 * READY_CACHE_S seconds; the failure's detail (each key named) is cached
 * with it into detail[detailsz].
 */
static int
keys_ready(struct web *w, char *detail, size_t detailsz)
{
	struct pechat_error e;
	time_t now = time(NULL);
	int ok;

	pthread_mutex_lock(&w->ready_lock);
	if (w->ready_checked == 0 || now - w->ready_checked >= READY_CACHE_S) {
		pechat_error_clear(&e);
		w->ready_ok = ca_keys_ready(w->ca, &e) == PECHAT_OK;
		pechat_strlcpy(w->ready_detail, w->ready_ok ? "" : e.detail, sizeof(w->ready_detail));
		w->ready_checked = now;
	}
	ok = w->ready_ok;
	pechat_strlcpy(detail, w->ready_detail, detailsz);
	pthread_mutex_unlock(&w->ready_lock);
	return ok;
}

MHD_Result_t
h_readyz(struct web_req *r)
{
	struct pechat_error e;
	char problems[2048];

	pechat_error_clear(&e);
	if (db_ping(r->db, &e) != PECHAT_OK) {
		log_warn("readyz: not ready: %s (%s)", e.code, e.detail);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", "the store is unavailable");
	}
	/* a key whose token is out (PC/SC or the test seam), now: no signature, no cache */
	if (ca_keys_absent(r->w->ca, problems, sizeof(problems)) > 0) {
		log_warn("readyz: not ready: %s", problems);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", problems);
	}
	if (!keys_ready(r->w, problems, sizeof(problems))) {
		log_warn("readyz: not ready: %s", problems);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
		    problems[0] != '\0' ? problems : "a signing key is unavailable");
	}
	/* an issuer loaded without a usable key (unavailable or not matching its certificate) signs nothing */
	if (ca_key_problems(r->w->ca, problems, sizeof(problems)) > 0) {
		log_warn("readyz: not ready: %s", problems);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", problems);
	}
	/* an issuer revoked or held by the ceremony (re-read from the store now) signs nothing: say which */
	if (ca_standing_refresh(r->w->ca, r->db, r->w->publisher, &e) != PECHAT_OK || ca_standing_ready(r->w->ca, &e) != PECHAT_OK) {
		log_warn("readyz: not ready: %s (%s)", e.code, e.detail);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
		    strcmp(e.code, "issuer_not_usable") == 0 ? e.detail : "the store is unavailable");
	}
	return web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"), NULL);
}
