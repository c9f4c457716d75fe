/* web/h_health.c — GET /healthz (liveness) and GET /readyz (store open, keys usable). */
#include "web/web_int.h"

MHD_Result_t
h_healthz(struct web_req *r)
{
	return web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"), NULL);
}

MHD_Result_t
h_readyz(struct web_req *r)
{
	struct pechat_error e;

	pechat_error_clear(&e);
	if (db_ping(r->db, &e) != PECHAT_OK || ca_keys_ready(r->w->ca, &e) != PECHAT_OK) {
		log_warn("readyz: not ready: %s (%s)", e.code, e.detail);
		return web_reply_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
		    "the store or a signing key is unavailable");
	}
	return web_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"), NULL);
}
