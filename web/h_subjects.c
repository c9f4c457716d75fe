/*
 * web/h_subjects.c — the subject registry resources (docs/API.md,
 * docs/REGISTRATION.md): create, read, search, update. The state changes and
 * documents are in web/h_subject_actions.c. Every write goes through ra/.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

/* The document resource of docs/API.md (new reference). */
json_t *
web_document_json(const struct db_id_document *d)
{
	json_t *ver = json_null();

	if (d->verified)
		ver = json_pack("{s:s, s:i, s:o}", "officer", d->verified_by, "method", d->method,
		    "at", web_json_time(d->verified_at));
	return json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s, s:o, s:o}", "id", (json_int_t)d->id,
	    "kind", d->kind, "series", d->series[0] != '\0' ? d->series : NULL, "number", d->number,
	    "issue_date", d->issue_date, "issuer", d->issuer,
	    "unit_code", d->unit_code[0] != '\0' ? d->unit_code : NULL, "added_by", d->added_by,
	    "added_at", web_json_time(d->added_at), "verification", ver);
}

/* Callback: appends a document to the array arg. */
static int
add_document(void *arg, const struct db_id_document *d)
{
	json_array_append_new(arg, web_document_json(d));
	return 0;
}

json_t *
web_subject_json(struct web_req *r, const struct db_subject *s)
{
	json_t *data = json_object(), *heads = json_array(), *docs = json_array();
	int i;

	for (i = 0; i < s->nfields; i++)
		json_object_set_new(data, s->field[i], json_string(s->value[i]));
	for (i = 0; i < s->nheads; i++)
		json_array_append_new(heads, json_pack("{s:s, s:s}", "subject_id", s->head_id[i],
		    "title", s->head_title[i]));
	if (db_id_document_each(r->db, s->id, add_document, docs, NULL) != PECHAT_OK) {
		json_decref(docs);
		docs = json_array();
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:s?, s:o, s:o, s:o, s:o}",
	    "id", s->id, "kind", s->kind, "version", (json_int_t)s->version, "state", s->state,
	    "created_by", s->created_by, "created_at", web_json_time(s->created_at),
	    "change", s->change, "changed_by", s->actor, "changed_at", web_json_time(s->at),
	    "reason", s->reason[0] != '\0' ? s->reason : NULL, "data", data, "heads", heads, "documents", docs,
	    "appointments", web_appointments_json(r, s->id));
}

/* Replies with a subject (status, Location for a create). */
static MHD_Result_t
reply_subject(struct web_req *r, unsigned status, const struct db_subject *s)
{
	char location[80];

	snprintf(location, sizeof(location), "/api/v1/subjects/%s", s->id);
	return web_reply_json(r, status, web_subject_json(r, s), status == MHD_HTTP_CREATED ? location : NULL);
}

/* Reads "data" and "heads" of a body into in; type errors go to e. */
static void
parse_input(json_t *doc, struct ra_subject_input *in, struct pechat_error *e)
{
	json_t *data = json_object_get(doc, "data"), *heads = json_object_get(doc, "heads"), *v, *h;
	const char *key;
	char field[96];
	size_t i;
	int f;

	if (data == NULL || !json_is_object(data))
		pechat_error_add_field(e, "data", data == NULL ? "required" : "type", "an object of subject fields");
	else
		json_object_foreach(data, key, v) {
			snprintf(field, sizeof(field), "data.%.80s", key);
			if ((f = ra_subject_field_lookup(key)) < 0)
				pechat_error_add_field(e, field, "unknown", "is not a subject field");
			else
				in->v[f] = web_json_string(data, key, field, RA_SUBJECT_TEXT_MAX, 1, e);
		}
	if (heads == NULL)
		return;
	in->heads_given = 1;
	if (!json_is_array(heads) || json_array_size(heads) > DB_SUBJECT_HEADS) {
		pechat_error_add_field(e, "heads", "type", "an array of at most %d {subject_id, title}", DB_SUBJECT_HEADS);
		return;
	}
	json_array_foreach(heads, i, h) {
		snprintf(field, sizeof(field), "heads[%zu]", i);
		if (!json_is_object(h)) {
			pechat_error_add_field(e, field, "type", "an object {subject_id, title}");
			continue;
		}
		in->head_id[in->nheads] = json_string_value(json_object_get(h, "subject_id"));
		in->head_title[in->nheads] = json_string_value(json_object_get(h, "title"));
		in->nheads++;
	}
}

/* Adds an "unknown" error for every top-level member not in keys. */
void
web_json_only(json_t *doc, const char *const *keys, struct pechat_error *e)
{
	const char *key;
	json_t *v;
	int known;
	size_t i;

	json_object_foreach(doc, key, v) {
		for (known = 0, i = 0; keys[i] != NULL; i++)
			known |= strcmp(keys[i], key) == 0;
		if (!known)
			pechat_error_add_field(e, key, "unknown", "is not a member of this request");
	}
}

/*
 * Validates and submits a create (kind given) or an update (id given):
 * body errors and field rules are reported together in one 422.
 */
static MHD_Result_t
create_or_update(struct web_req *r, const char *id)
{
	static const char *const ckeys[] = { "kind", "data", "heads", NULL };
	static const char *const ukeys[] = { "data", "heads", "reason", NULL };
	struct ra_subject_input in;
	struct ra_idem idem;
	struct db_subject s;
	struct pechat_error e;
	enum pechat_err err;
	json_t *doc;
	MHD_Result_t ret;
	char hash[65];

	memset(&in, 0, sizeof(in));
	pechat_error_clear(&e);
	if ((doc = web_json_body(r, &ret)) == NULL)
		return ret;
	/* a create's Idempotency-Key (an update is not a create: no key) */
	if (id == NULL && web_idem_read(r, "subject", r->body, r->body_len, &idem, hash, &ret) != 0)
		goto out;
	in.idem = id == NULL ? &idem : NULL;
	web_json_only(doc, id == NULL ? ckeys : ukeys, &e);
	if (id == NULL)
		in.kind = web_json_string(doc, "kind", "kind", 32, 1, &e);
	else
		in.reason = web_json_string(doc, "reason", "reason", 255, 0, &e);
	parse_input(doc, &in, &e);
	if (e.nfields > 0) {
		/* report the field rules too, so that one answer names every bad field */
		memset(&s, 0, sizeof(s));
		if (id == NULL && in.kind != NULL)
			ra_subject_validate(in.kind, &in, ca_now(r->w->ca), &s, &e);
		db_subject_free_fields(&s);
		pechat_fail(&e, PECHAT_E_INVALID, "subject_invalid",
		    "the subject has invalid fields: every one is named in errors[]");
		ret = web_reply_error(r, &e);
		goto out;
	}
	if (id == NULL)
		err = ra_subject_create(r->db, &r->actor, ca_now(r->w->ca), &in, &s, &e);
	else
		err = ra_subject_update(r->db, &r->actor, ca_now(r->w->ca), id, &in, &s, &e);
	if (err != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	ret = reply_subject(r, id == NULL ? MHD_HTTP_CREATED : MHD_HTTP_OK, &s);
	db_subject_free_fields(&s);
out:
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_subject_create(struct web_req *r)
{
	return create_or_update(r, NULL);
}

MHD_Result_t
h_subject_update(struct web_req *r)
{
	if (strlen(r->params[0]) != 36)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	return create_or_update(r, r->params[0]);
}

MHD_Result_t
h_subject_get(struct web_req *r)
{
	const char *vs = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "version");
	struct db_subject s;
	struct pechat_error e;
	MHD_Result_t ret;
	long long version = 0;
	char *end = NULL;

	pechat_error_clear(&e);
	if (vs != NULL) {
		version = strtoll(vs, &end, 10);
		if (vs[0] < '1' || vs[0] > '9' || *end != '\0' || version > 1000000000LL) {
			pechat_error_add_field(&e, "version", "format", "a version number from 1");
			pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
			return web_reply_error(r, &e);
		}
	}
	if (strlen(r->params[0]) != 36)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	if (ra_subject_get(r->db, &r->actor, r->params[0], version, &s, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	ret = reply_subject(r, MHD_HTTP_OK, &s);
	db_subject_free_fields(&s);
	return ret;
}

/* Query parameter `name` (NULL when absent); a value longer than max is an error in e. */
static const char *
query(struct web_req *r, const char *name, size_t max, struct pechat_error *e)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);

	if (v != NULL && (v[0] == '\0' || strlen(v) > max)) {
		pechat_error_add_field(e, name, "length", "1 to %zu bytes", max);
		return NULL;
	}
	return v;
}

/* The search filter of the query string; errors named in e. */
static void
parse_filter(struct web_req *r, struct db_subject_filter *f, struct pechat_error *e)
{
	const char *limit, *state;
	char *end = NULL;
	long n;

	f->snils = query(r, "snils", 16, e);
	f->inn = query(r, "inn", 12, e);
	f->innle = query(r, "innle", 10, e);
	f->ogrn = query(r, "ogrn", 13, e);
	f->name_prefix = query(r, "name", 200, e);
	f->after_id = query(r, "cursor", 36, e);
	if (f->after_id != NULL && strlen(f->after_id) != 36)
		pechat_error_add_field(e, "cursor", "format", "the next_cursor of an earlier page");
	if ((state = query(r, "state", 16, e)) != NULL && strcmp(state, "unverified") != 0 &&
	    strcmp(state, "verified") != 0 && strcmp(state, "blocked") != 0)
		pechat_error_add_field(e, "state", "enum", "one of: unverified, verified, blocked");
	f->state = state;
	f->limit = RA_SEARCH_LIMIT_DEFAULT;
	if ((limit = query(r, "limit", 8, e)) != NULL) {
		n = strtol(limit, &end, 10);
		if (limit[0] < '0' || limit[0] > '9' || *end != '\0' || n < 1 || n > RA_SEARCH_LIMIT_MAX)
			pechat_error_add_field(e, "limit", "range", "1 to %d", RA_SEARCH_LIMIT_MAX);
		else
			f->limit = (int)n;
	}
}

MHD_Result_t
h_subject_list(struct web_req *r)
{
	struct db_subject_filter f;
	struct db_subject s;
	struct pechat_error e;
	char (*ids)[37];
	json_t *items;
	int count = 0, more = 0, i;
	MHD_Result_t ret;

	memset(&f, 0, sizeof(f));
	pechat_error_clear(&e);
	parse_filter(r, &f, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		return web_reply_error(r, &e);
	}
	if ((ids = calloc(RA_SEARCH_LIMIT_MAX + 1, sizeof(*ids))) == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	if (ra_subject_search(r->db, &r->actor, &f, ids, &count, &more, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	items = json_array();
	for (i = 0; i < count; i++) {
		if (ra_subject_get(r->db, &r->actor, ids[i], 0, &s, &e) != PECHAT_OK) {
			json_decref(items);
			ret = web_reply_error(r, &e);
			goto out;
		}
		json_array_append_new(items, web_subject_json(r, &s));
		db_subject_free_fields(&s);
	}
	ret = web_reply_json(r, MHD_HTTP_OK, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", more && count > 0 ? ids[count - 1] : NULL), NULL);
out:
	free(ids);
	return ret;
}
