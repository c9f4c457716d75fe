/* web/h_keys.c — GET /api/v1/keys: every key the daemon uses, its state and its token (admin, auditor). */
#include "web/web_int.h"

#include <stdlib.h>

#define KEYS_MAX 128    /* issuers (two per configured issuer + the operators CA) and their responders */

/* One key as docs/API.md describes it (new reference) or NULL. */
static json_t *
key_json(const struct ca_key_view *v)
{
	char at[32];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:s}",
	    "role", v->role, "issuer", v->issuer, "issuer_kind", v->issuer_kind, "key_ref", v->key_ref,
	    "kind", v->kind, "algorithm", v->algorithm, "public_key_sha256", v->public_key_sha256,
	    "certificate", "serial", v->cert_serial, "state", v->state, "presence", v->presence);
	if (o == NULL)
		return NULL;
	if (v->detail[0] != '\0')
		json_object_set_new(o, "detail", json_string(v->detail));
	json_object_set_new(o, "reader", v->reader[0] != '\0' ? json_string(v->reader) : json_null());
	json_object_set_new(o, "last_signature_at", v->last_signature > 0 ?
	    json_string(pechat_time_rfc3339(v->last_signature, at, sizeof(at))) : json_null());
	return o;
}

MHD_Result_t
h_keys_list(struct web_req *r)
{
	struct ca_key_view *views;
	json_t *list = json_array();
	int i, n;

	if ((views = calloc(KEYS_MAX, sizeof(*views))) == NULL) {
		json_decref(list);
		return web_reply_json(r, MHD_HTTP_OK, NULL, NULL);
	}
	n = ca_keys_list(r->w->ca, r->w->publisher, views, KEYS_MAX);
	for (i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, key_json(&views[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	free(views);
	return web_reply_json(r, MHD_HTTP_OK, list != NULL ? json_pack("{s:o}", "keys", list) : NULL, NULL);
}
