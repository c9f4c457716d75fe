/*
 * web/h_poas.c — powers of attorney over HTTP (docs/API.md,
 * docs/REGISTRATION.md): import for a legal-entity subject (EMCHD_1 XML or
 * JSON), list by principal, read, revoke. Every change goes through
 * ra/poa_store.c; the resource's state comes from ra_poa_state.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ra/poa_store.h"

/* 1 if the request's Content-Type is `type` (parameters such as charset allowed). */
static int
content_type_is(struct web_req *r, const char *type)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(type);

	return ct != NULL && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* The POA id of path parameter i (1..10^12), or -1 (a 404 was queued). */
static long long
poa_id(struct web_req *r, int i, MHD_Result_t *ret)
{
	char *end = NULL;
	long long id = strtoll(r->params[i], &end, 10);

	if (r->params[i][0] >= '1' && r->params[i][0] <= '9' && *end == '\0' && id <= 1000000000000LL)
		return id;
	*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "poa_unknown", "no such power of attorney");
	return -1;
}

/* The resource of a stored POA (docs/API.md, "Powers of attorney"). */
static json_t *
poa_json(struct web_req *r, const struct db_poa *p)
{
	json_t *powers = json_array(), *o;
	int i;

	for (i = 0; powers != NULL && i < p->npowers; i++) {
		o = json_object();
		if (p->power_code[i][0] != '\0')
			json_object_set_new(o, "code", json_string(p->power_code[i]));
		if (p->power_text[i][0] != '\0')
			json_object_set_new(o, "text", json_string(p->power_text[i]));
		json_array_append_new(powers, o);
	}
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s},"
	    " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}},"
	    " s:o, s:s, s:s, s:o}",
	    "id", (json_int_t)p->id, "principal_id", p->principal_id, "number", p->number,
	    "internal_number", p->internal_number, "issue_date", p->issue_date, "valid_until", p->valid_until,
	    "redelegation", p->redelegation, "state", ra_poa_state(p, ca_now(r->w->ca)),
	    "principal", "innle", p->principal_innle, "kpp", p->principal_kpp,
	    "representative", "surname", p->rep_surname, "given_name", p->rep_given_name,
	    "patronymic", p->rep_patronymic, "birth_date", p->rep_birth_date, "inn", p->rep_inn, "snils", p->rep_snils,
	    "identity_document", "kind", p->rep_doc_kind, "series", p->rep_doc_series, "number", p->rep_doc_number,
	    "issue_date", p->rep_doc_issue_date, "issuer", p->rep_doc_issuer,
	    "powers", powers != NULL ? powers : json_array(), "source", p->source, "added_by", p->added_by,
	    "added_at", web_json_time(p->added_at));
	if (o != NULL && p->revoked)
		json_object_set_new(o, "revocation", json_pack("{s:s, s:o, s:s}", "actor", p->revoked_by,
		    "at", web_json_time(p->revoked_at), "reason", p->revoked_reason));
	return o;
}

MHD_Result_t
h_poa_import(struct web_req *r)
{
	struct ra_poa_source src = { NULL, r->body != NULL ? r->body : "", r->body_len, NULL, NULL };
	struct ra_idem idem;
	struct db_poa *p = NULL;
	struct pechat_error e;
	json_t *doc = NULL;
	MHD_Result_t ret;
	char location[64], hash[65];

	pechat_error_clear(&e);
	if (strlen(r->params[0]) != 36)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	/* the raw body bytes and the content type identify an import (XML or JSON) */
	if (web_idem_read(r, "poa", src.bytes, src.len, &idem, hash, &ret) != 0)
		return ret;
	src.idem = &idem;
	if (content_type_is(r, "application/xml")) {
		src.kind = "xml";
	} else if (!content_type_is(r, "application/json")) {
		return web_reply_problem(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "content_type_unsupported",
		    "send the power of attorney as application/xml (EMCHD_1) or application/json");
	} else if ((doc = web_json_body(r, &ret)) == NULL) {
		return ret;     /* malformed JSON */
	} else {
		src.kind = "json";
		src.json = doc;
	}
	if ((p = malloc(sizeof(*p))) == NULL) {
		ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	} else if (ra_poa_import(r->db, &r->actor, ca_now(r->w->ca), r->params[0], &src, p, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		snprintf(location, sizeof(location), "/api/v1/powers/%lld", (long long)p->id);
		ret = web_reply_json(r, MHD_HTTP_CREATED, poa_json(r, p), location);
	}
	free(p);
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_poa_list(struct web_req *r)
{
	int64_t *ids = NULL;
	struct db_poa *p = NULL;
	struct pechat_error e;
	json_t *items = NULL;
	MHD_Result_t ret;
	int n = 0, i;

	pechat_error_clear(&e);
	if (strlen(r->params[0]) != 36)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	if ((ids = calloc(RA_POA_LIST_MAX, sizeof(*ids))) == NULL || (p = malloc(sizeof(*p))) == NULL ||
	    (items = json_array()) == NULL) {
		ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
		goto out;
	}
	if (ra_poa_list(r->db, &r->actor, r->params[0], ids, RA_POA_LIST_MAX, &n, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (db_poa_get(r->db, ids[i], p, &e) != PECHAT_OK) {
			ret = web_reply_error(r, &e);
			goto out;
		}
		json_array_append_new(items, poa_json(r, p));
	}
	ret = web_reply_json(r, MHD_HTTP_OK, json_pack("{s:O}", "items", items), NULL);
out:
	json_decref(items);
	free(p);
	free(ids);
	return ret;
}

MHD_Result_t
h_poa_get(struct web_req *r)
{
	struct db_poa *p;
	struct pechat_error e;
	MHD_Result_t ret;
	long long id;

	pechat_error_clear(&e);
	if ((id = poa_id(r, 0, &ret)) < 0)
		return ret;
	if ((p = malloc(sizeof(*p))) == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	if (ra_poa_get(r->db, &r->actor, id, p, &e) != PECHAT_OK)
		ret = web_reply_error(r, &e);
	else
		ret = web_reply_json(r, MHD_HTTP_OK, poa_json(r, p), NULL);
	free(p);
	return ret;
}

MHD_Result_t
h_poa_revoke(struct web_req *r)
{
	static const char *const keys[] = { "reason", NULL };
	struct db_poa *p = NULL;
	struct pechat_error e;
	const char *reason;
	json_t *doc;
	MHD_Result_t ret;
	long long id;

	pechat_error_clear(&e);
	if ((id = poa_id(r, 0, &ret)) < 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	reason = web_json_string(doc, "reason", "reason", 255, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if ((p = malloc(sizeof(*p))) == NULL) {
		ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	} else if (ra_poa_revoke(r->db, &r->actor, ca_now(r->w->ca), id, reason, p, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		ret = web_reply_json(r, MHD_HTTP_OK, poa_json(r, p), NULL);
	}
	free(p);
	json_decref(doc);
	return ret;
}
