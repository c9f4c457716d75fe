/*
 * web/h_rekey.c — a subject's code word and self-service re-key
 * (docs/API.md, docs/REGISTRATION.md "Code word and re-key"): PUT
 * /api/v1/subjects/{id}/code-word, POST /api/v1/subjects/{id}/rekey and
 * POST /api/v1/subjects/{id}/rekey/unlock. Every change goes through ra/;
 * the code word is passed on and never logged or returned.
 */
#include "web/web_int.h"

#include "ra/rekey.h"

#include <stdio.h>
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

/* The code-word / lock resource of docs/API.md (new reference); never the word or its hash. */
static json_t *
state_json(const char *id, const struct ra_rekey_state *st)
{
	json_t *cw = json_null(), *lock;

	if (st->code_word_set)
		cw = json_pack("{s:s, s:o}", "set_by", st->set_by, "set_at", web_json_time(st->set_at));
	lock = json_pack("{s:b, s:o, s:o, s:I, s:i, s:i}", "locked", st->locked,
	    "locked_at", st->locked ? web_json_time(st->locked_at) : json_null(),
	    "reason", st->locked ? json_string(st->locked_reason) : json_null(),
	    "wrong_attempts", (json_int_t)st->wrong_attempts, "max_wrong", RA_REKEY_MAX_WRONG,
	    "window_s", RA_REKEY_WINDOW_S);
	return json_pack("{s:s, s:o, s:o}", "subject_id", id, "code_word", cw, "rekey", lock);
}

/*
 * The code word member: a string without NUL (its rules are ra/'s, which
 * name them precisely), or NULL with a field error added to e.
 */
static const char *
code_word_member(json_t *doc, struct pechat_error *e)
{
	json_t *v = json_object_get(doc, "code_word");

	if (v == NULL) {
		pechat_error_add_field(e, "code_word", "required", "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		pechat_error_add_field(e, "code_word", "type", "must be a string");
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		pechat_error_add_field(e, "code_word", "charset", "must not contain NUL");
		return NULL;
	}
	return json_string_value(v);
}

/* A refusal from ra/: rekey_locked is 423 Locked (an officer must act), the rest as usual. */
static MHD_Result_t
reply_error(struct web_req *r, const struct pechat_error *e)
{
	if (strcmp(e->code, "rekey_locked") == 0)
		return web_reply_problem(r, MHD_HTTP_LOCKED, e->code, e->detail);
	return web_reply_error(r, e);
}

MHD_Result_t
h_code_word_set(struct web_req *r)
{
	static const char *const keys[] = { "code_word", NULL };
	struct ra_rekey_state st;
	struct pechat_error e;
	const char *word;
	json_t *doc;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0 || (doc = web_json_body_secret(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	word = code_word_member(doc, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_code_word_set(r->db, &r->actor, ca_now(r->w->ca), r->params[0], word, &st, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		ret = web_reply_json(r, MHD_HTTP_OK, state_json(r->params[0], &st), NULL);
	}
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_rekey_unlock(struct web_req *r)
{
	static const char *const keys[] = { "reason", NULL };
	struct ra_rekey_state st;
	struct pechat_error e;
	const char *reason;
	json_t *doc;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	reason = web_json_string(doc, "reason", "reason", RA_REASON_MAX, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_rekey_unlock(r->db, &r->actor, ca_now(r->w->ca), r->params[0], reason, &st, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		ret = web_reply_json(r, MHD_HTTP_OK, state_json(r->params[0], &st), NULL);
	}
	json_decref(doc);
	return ret;
}

/* The reply of a re-key: the request resource plus "superseded" (serials). */
static MHD_Result_t
rekey_reply(struct web_req *r, const struct ra_rekey_result *res)
{
	json_t *o = web_request_json(r, &res->req), *sup = json_array();
	char location[96];
	int i;

	for (i = 0; i < res->nsuperseded; i++)
		json_array_append_new(sup, json_string(res->superseded[i]));
	if (o == NULL || json_object_set_new(o, "superseded", sup) != 0) {
		json_decref(o);
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	}
	snprintf(location, sizeof(location), "/api/v1/requests/%s", res->req.id);
	return web_reply_json(r, MHD_HTTP_CREATED, o, location);
}

/*
 * A re-key's Idempotency-Key: what identifies the call is the subject (path),
 * the profile and the CSR. The code word is left out, so that no unsalted
 * hash of it is ever stored (only its Argon2id hash is: docs/REGISTRATION.md).
 */
static int
rekey_idem(struct web_req *r, const struct ra_rekey_input *in, struct ra_idem *idem, char hash[65],
    MHD_Result_t *ret)
{
	size_t plen = strlen(in->profile);
	char *bytes;
	int rc;

	if ((bytes = malloc(plen + 1 + in->csr_len)) == NULL) {
		*ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
		return -1;
	}
	memcpy(bytes, in->profile, plen + 1);
	memcpy(bytes + plen + 1, in->csr, in->csr_len);
	rc = web_idem_read(r, "rekey", bytes, plen + 1 + in->csr_len, idem, hash, ret);
	free(bytes);
	return rc;
}

MHD_Result_t
h_rekey(struct web_req *r)
{
	static const char *const keys[] = { "code_word", "profile", "csr", NULL };
	struct ra_rekey_result res;
	struct ra_rekey_input in;
	struct ra_idem idem;
	struct pechat_error e;
	json_t *doc;
	const char *csr;
	MHD_Result_t ret;
	char hash[65];

	memset(&in, 0, sizeof(in));
	memset(&res, 0, sizeof(res));
	pechat_error_clear(&e);
	if (subject_id(r, &ret) != 0 || (doc = web_json_body_secret(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	in.subject_id = r->params[0];
	in.code_word = code_word_member(doc, &e);
	in.profile = web_json_string(doc, "profile", "profile", PECHAT_NAME_MAX - 1, 1, &e);
	csr = web_json_string(doc, "csr", "csr", r->w->conf->max_body_bytes, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
		goto out;
	}
	in.csr = (const unsigned char *)csr;
	in.csr_len = strlen(csr);
	if (rekey_idem(r, &in, &idem, hash, &ret) != 0)
		goto out;
	in.idem = &idem;
	if (ra_rekey(&r->w->ra, r->db, &r->actor, &in, &res, &e) != PECHAT_OK)
		ret = reply_error(r, &e);
	else
		ret = rekey_reply(r, &res);
	ra_rekey_result_free(&res);
out:
	json_decref(doc);
	return ret;
}
