/*
 * web/h_subject_actions.c — officers' actions on a registry subject
 * (docs/API.md, docs/REGISTRATION.md): add and verify identity documents,
 * verify, block and unblock. Every change goes through ra/.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

/* The subject id of the path, or a 404 queued (0 / -1). */
static int
subject_id(struct web_req *r, MHD_Result_t *ret)
{
	if (strlen(r->params[0]) == 36)
		return 0;
	*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	return -1;
}

MHD_Result_t
h_subject_document_add(struct web_req *r)
{
	static const char *const keys[] = { "kind", "series", "number", "issue_date", "issuer", "unit_code", NULL };
	struct ra_document_input in;
	struct ra_idem idem;
	struct db_id_document d;
	struct pechat_error e;
	json_t *doc;
	MHD_Result_t ret;
	char hash[65];

	memset(&in, 0, sizeof(in));
	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	if (web_idem_read(r, "document", r->body, r->body_len, &idem, hash, &ret) != 0) {
		json_decref(doc);
		return ret;
	}
	in.idem = &idem;
	web_json_only(doc, keys, &e);
	in.kind = web_json_string(doc, "kind", "kind", 2, 1, &e);
	in.series = web_json_string(doc, "series", "series", 15, 0, &e);
	in.number = web_json_string(doc, "number", "number", 31, 1, &e);
	in.issue_date = web_json_string(doc, "issue_date", "issue_date", 10, 1, &e);
	in.issuer = web_json_string(doc, "issuer", "issuer", 255, 1, &e);
	in.unit_code = web_json_string(doc, "unit_code", "unit_code", 7, 0, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "document_invalid",
		    "the document has invalid fields: every one is named in errors[]");
		ret = web_reply_error(r, &e);
	} else if (ra_document_add(r->db, &r->actor, ca_now(r->w->ca), r->params[0], &in, &d, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		char location[128];
		snprintf(location, sizeof(location), "/api/v1/subjects/%.36s/documents/%lld", r->params[0],
		    (long long)d.id);
		ret = web_reply_json(r, MHD_HTTP_CREATED, web_document_json(&d), location);
	}
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_subject_document_verify(struct web_req *r)
{
	static const char *const keys[] = { "method", NULL };
	struct db_id_document d;
	struct pechat_error e;
	json_t *doc, *m;
	char *end = NULL;
	long long id;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0)
		return ret;
	id = strtoll(r->params[1], &end, 10);
	if (r->params[1][0] < '1' || r->params[1][0] > '9' || *end != '\0' || id > 1000000000000LL)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "document_unknown", "no such document of this subject");
	if ((doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	m = json_object_get(doc, "method");
	if (m == NULL || !json_is_integer(m) || json_integer_value(m) < 0 || json_integer_value(m) > 3)
		pechat_error_add_field(&e, "method", m == NULL ? "required" : "enum",
		    "0 in person, 1 by a qualified certificate, 2 by biometric passport, 3 via ESIA+EBS");
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_document_verify(r->db, &r->actor, ca_now(r->w->ca), r->params[0], id,
	    (int)json_integer_value(m), &d, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		ret = web_reply_json(r, MHD_HTTP_OK, web_document_json(&d), NULL);
	}
	json_decref(doc);
	return ret;
}

enum action { ACT_VERIFY, ACT_BLOCK, ACT_UNBLOCK };

/* The certificates a block revoked: [{serial, issuer, reason, revoked_at}] (new reference) or NULL. */
static json_t *
revoked_json(const struct ra_revoked *rv)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < rv->n; i++) {
		o = json_pack("{s:s, s:s, s:s, s:o}", "serial", rv->ev[i].serial, "issuer", rv->ev[i].issuer,
		    "reason", rv->ev[i].reason, "revoked_at", web_json_time(rv->ev[i].revoked_at));
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * verify {register_source?}, block {reason, revocation_reason?}, unblock
 * {reason}: the new version of the subject; a block's reply also lists the
 * certificates it revoked ("revoked_certificates").
 */
static MHD_Result_t
state_change(struct web_req *r, enum action act)
{
	static const char *const vkeys[] = { "register_source", NULL };
	static const char *const bkeys[] = { "reason", "revocation_reason", NULL };
	static const char *const ukeys[] = { "reason", NULL };
	const char *text, *rev_reason = NULL;
	struct ra_revoked rv = { NULL, 0 };
	struct db_subject s;
	struct pechat_error e;
	enum pechat_err err;
	json_t *doc, *o;
	MHD_Result_t ret;
	time_t now = ca_now(r->w->ca);

	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, act == ACT_VERIFY ? vkeys : act == ACT_BLOCK ? bkeys : ukeys, &e);
	if (act == ACT_VERIFY)
		text = web_json_string(doc, "register_source", "register_source", 255, 0, &e);
	else
		text = web_json_string(doc, "reason", "reason", 255, 1, &e);
	if (act == ACT_BLOCK)
		rev_reason = web_json_string(doc, "revocation_reason", "revocation_reason", 31, 0, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
		goto out;
	}
	if (act == ACT_VERIFY)
		err = ra_subject_verify(r->db, &r->actor, now, r->params[0], text, &s, &e);
	else if (act == ACT_BLOCK)
		err = ra_subject_block(&r->w->ra, r->db, &r->actor, now, r->params[0], text, rev_reason, &s, &rv, &e);
	else
		err = ra_subject_unblock(r->db, &r->actor, now, r->params[0], text, &s, &e);
	if (err != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	o = web_subject_json(r, &s);
	if (o != NULL && act == ACT_BLOCK)
		json_object_set_new(o, "revoked_certificates", revoked_json(&rv));
	ret = web_reply_json(r, MHD_HTTP_OK, o, NULL);
	db_subject_free_fields(&s);
out:
	ra_revoked_free(&rv);
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_subject_verify(struct web_req *r)
{
	return state_change(r, ACT_VERIFY);
}

MHD_Result_t
h_subject_block(struct web_req *r)
{
	return state_change(r, ACT_BLOCK);
}

MHD_Result_t
h_subject_unblock(struct web_req *r)
{
	return state_change(r, ACT_UNBLOCK);
}
