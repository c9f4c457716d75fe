/* web/h_requests.c — POST /api/v1/requests, GET /api/v1/requests/{id}. */
#include "web/web_int.h"

#include <string.h>

/* Appends one approval as {operator, at} to the array arg. */
static int
approval_json(void *arg, const struct db_approval *a)
{
	json_array_append_new(arg, json_pack("{s:s, s:o}", "operator", a->operator_name, "at",
	    web_json_time(a->at)));
	return 0;
}

/* The "certificate" member: {serial, pem, not_before, not_after} from der and its validity; null without. */
static json_t *
cert_member(const char *serial, const unsigned char *der, size_t len, time_t not_before, time_t not_after)
{
	json_t *o;
	char *pem;

	if ((pem = web_cert_pem(der, len)) == NULL)
		return json_null();
	o = json_pack("{s:s, s:s, s:o, s:o}", "serial", serial, "pem", pem, "not_before", web_json_time(not_before),
	    "not_after", web_json_time(not_after));
	free(pem);
	return o;
}

/*
 * The request resource of q. Its certificate is q's own when the call that
 * filled q issued it (q->cert_der), else read from the store; its approvals
 * are read from the store unless `fresh` (a request this call created: no
 * approval can exist yet).
 */
static json_t *
request_json(struct web_req *r, const struct db_request *q, int fresh)
{
	json_t *o, *checks, *cert = json_null(), *error = json_null(), *approvals = json_array();
	struct db_cert c;
	int i;

	checks = json_array();
	for (i = 0; i < q->nchecks; i++)
		json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "name", q->checks[i].name,
		    "passed", q->checks[i].passed, "detail", q->checks[i].detail));
	if (q->cert_serial[0] != '\0' && q->cert_der != NULL)
		cert = cert_member(q->cert_serial, q->cert_der, q->cert_der_len, q->cert_not_before, q->cert_not_after);
	else if (q->cert_serial[0] != '\0' && db_cert_get(r->db, q->cert_serial, &c, NULL) == PECHAT_OK) {
		cert = cert_member(c.serial, c.der, c.der_len, c.not_before, c.not_after);
		db_cert_free_fields(&c);
	}
	if (q->error_code[0] != '\0')
		error = json_pack("{s:s, s:s}", "code", q->error_code, "detail", q->error_detail);
	if (!fresh && db_approval_each(r->db, q->id, approval_json, approvals, NULL) != PECHAT_OK)
		log_err("request %s: its approvals could not be read", q->id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", q->id, "state", q->state, "profile", q->profile, "issuer", q->issuer,
	    "subject", web_json_subject(&q->subject),
	    "subject_id", q->subject_id[0] != '\0' ? json_string(q->subject_id) : json_null(),
	    "subject_version", q->subject_id[0] != '\0' ? json_integer(q->subject_version) : json_null(),
	    "representative_id", q->representative_id[0] != '\0' ? json_string(q->representative_id) : json_null(),
	    "representative_version", q->representative_id[0] != '\0' ?
	    json_integer(q->representative_version) : json_null(),
	    "power_of_attorney_id", q->poa_id > 0 ? json_integer(q->poa_id) : json_null(),
	    "created_at", web_json_time(q->created_at),
	    "updated_at", web_json_time(q->updated_at), "checks", checks, "approvals",
	    approvals, "certificate", cert, "error", error);
	if (o != NULL)
		json_object_set_new(o, "sign_tool", q->sign_tool[0] != '\0' ? json_string(q->sign_tool) : json_null());
	return o;
}

json_t *
web_request_json(struct web_req *r, const struct db_request *q)
{
	return request_json(r, q, 0);
}

/* Reads the subject object (present) into s, reporting unknown and bad fields. */
static void
parse_subject(json_t *obj, struct pechat_subject *s, struct pechat_error *e)
{
	json_t *subj = json_object_get(obj, "subject"), *v;
	const char *key, *val;
	char field[96];
	int f;

	if (!json_is_object(subj)) {
		pechat_error_add_field(e, "subject", "type", "must be an object");
		return;
	}
	json_object_foreach(subj, key, v) {
		snprintf(field, sizeof(field), "subject.%.80s", key);
		if ((f = pechat_subject_field_lookup(key)) < 0) {
			pechat_error_add_field(e, field, "unknown", "is not a subject field");
			continue;
		}
		if ((val = web_json_string(subj, key, field, PECHAT_SUBJECT_VALUE_MAX, 1, e)) != NULL &&
		    pechat_subject_set(s, (enum pechat_subject_field)f, val) != 0)
			pechat_error_add_field(e, field, "memory", "could not be stored");
	}
}

MHD_Result_t
h_request_create(struct web_req *r)
{
	static const char *const keys[] = { "profile", "subject", "subject_id", "representative_id",
		"power_of_attorney_id", "csr", "sign_tool", NULL };
	struct ra_submission sub;
	struct pechat_subject subject;
	struct db_request req;
	struct pechat_error e;
	json_t *doc = NULL, *v;
	const char *key, *profile, *csr, *subject_id = NULL;
	char body_hash[65];
	MHD_Result_t ret;
	int replayed = 0, known;
	size_t i;

	memset(&subject, 0, sizeof(subject));
	memset(&sub, 0, sizeof(sub));
	pechat_error_clear(&e);
	if ((doc = web_json_body(r, &ret)) == NULL)
		goto out;
	if (web_idem_key(r, &sub.idem_key) != 0) {
		ret = web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "idempotency_key_invalid",
		    "Idempotency-Key must be 1 to 128 visible ASCII characters");
		goto out;
	}
	json_object_foreach(doc, key, v) {
		for (known = 0, i = 0; keys[i] != NULL; i++)
			known |= strcmp(keys[i], key) == 0;
		if (!known)
			pechat_error_add_field(&e, key, "unknown", "is not a request field");
	}
	profile = web_json_string(doc, "profile", "profile", PECHAT_NAME_MAX - 1, 1, &e);
	/* which of subject / subject_id the profile needs is ra/'s rule (ra_request_submit) */
	if (json_object_get(doc, "subject") != NULL)
		parse_subject(doc, &subject, &e);
	if (json_object_get(doc, "subject_id") != NULL)
		subject_id = web_json_string(doc, "subject_id", "subject_id", 36, 1, &e);
	/* a legal entity's representative and power of attorney: which profile takes them is ra/'s rule */
	if (json_object_get(doc, "representative_id") != NULL)
		sub.representative_id = web_json_string(doc, "representative_id", "representative_id", 36, 1, &e);
	if ((v = json_object_get(doc, "power_of_attorney_id")) != NULL) {
		if (json_is_integer(v) && json_integer_value(v) > 0)
			sub.poa_id = (int64_t)json_integer_value(v);
		else
			pechat_error_add_field(&e, "power_of_attorney_id", "type", "must be a positive integer (a POA's id)");
	}
	/* a qualified profile's subjectSignTool: its characters are counted by ra/ */
	if (json_object_get(doc, "sign_tool") != NULL)
		sub.sign_tool = web_json_string(doc, "sign_tool", "sign_tool", PECHAT_SIGN_TOOL_BYTES - 1, 1, &e);
	csr = web_json_string(doc, "csr", "csr", r->w->conf->max_body_bytes, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
		goto out;
	}
	if (pechat_sha256_hex((const unsigned char *)r->body, r->body_len, body_hash) != 0) {
		ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
		goto out;
	}
	sub.profile = profile;
	sub.subject = json_object_get(doc, "subject") != NULL ? &subject : NULL;
	sub.subject_id = subject_id;
	sub.csr = (const unsigned char *)csr;
	sub.csr_len = strlen(csr);
	sub.body_hash = body_hash;
	if (ra_request_submit(&r->w->ra, r->db, &r->actor, &sub, &req, &replayed, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	{
		char location[96];
		snprintf(location, sizeof(location), "/api/v1/requests/%s", req.id);
		/* a new request has no approvals yet; a replayed one may have */
		ret = web_reply_json(r, MHD_HTTP_CREATED, request_json(r, &req, !replayed), location);
	}
	db_request_free_fields(&req);
out:
	pechat_subject_clear(&subject);
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_request_get(struct web_req *r)
{
	struct db_request req;
	struct pechat_error e;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (strlen(r->params[0]) != 36)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "request_unknown", "no such request");
	if (db_request_get(r->db, r->params[0], &req, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	/* a portal sees only its own requests; others are indistinguishable from missing ones */
	if (r->role == ROLE_PORTAL && strcmp(req.client, r->actor.name) != 0)
		ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "request_unknown", "no such request");
	else
		ret = web_reply_json(r, MHD_HTTP_OK, web_request_json(r, &req), NULL);
	db_request_free_fields(&req);
	return ret;
}
