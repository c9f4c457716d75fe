/*
 * web/h_appointments.c — an organisation's appointment documents
 * (docs/API.md, docs/REGISTRATION.md "Appointment documents"): record one,
 * verify one, and the "appointments" array of the subject resource. Every
 * change goes through ra/appointments.c.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

/* The appointment resource of docs/API.md (new reference). */
static json_t *
appointment_json(const struct db_appointment *a)
{
	json_t *ver = json_null();

	if (a->verified)
		ver = json_pack("{s:s, s:s, s:o}", "officer", a->verified_by, "source", a->source,
		    "at", web_json_time(a->verified_at));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:o, s:o}", "id", (json_int_t)a->id,
	    "head_id", a->head_id, "kind", a->kind, "number", a->number, "date", a->date, "issued_by", a->issued_by,
	    "valid_until", a->valid_until[0] != '\0' ? a->valid_until : NULL, "title", a->title,
	    "added_by", a->added_by, "added_at", web_json_time(a->added_at), "verification", ver);
}

/* Callback: appends an appointment to the array arg. */
static int
add_appointment(void *arg, const struct db_appointment *a)
{
	json_array_append_new(arg, appointment_json(a));
	return 0;
}

json_t *
web_appointments_json(struct web_req *r, const char *org_id)
{
	json_t *list = json_array();

	if (list != NULL && db_appointment_each(r->db, org_id, add_appointment, list, NULL) != PECHAT_OK) {
		json_decref(list);
		list = json_array();
	}
	return list;
}

/* The organisation id of the path, or a 404 queued (0 / -1). */
static int
org_id(struct web_req *r, MHD_Result_t *ret)
{
	if (strlen(r->params[0]) == 36)
		return 0;
	*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "subject_unknown", "no such subject or version");
	return -1;
}

/*
 * Member key of doc as a string (NULL when absent); a non-string is a
 * "type" error. Lengths and content are ra_appointment_check's, so every
 * bad field is named in one answer.
 */
static const char *
member(json_t *doc, const char *key, struct pechat_error *e)
{
	json_t *v = json_object_get(doc, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		pechat_error_add_field(e, key, "type", "must be a string without NUL");
		return NULL;
	}
	return json_string_value(v);
}

MHD_Result_t
h_appointment_add(struct web_req *r)
{
	static const char *const keys[] = { "head_id", "kind", "number", "date", "issued_by", "valid_until", "title",
		NULL };
	struct ra_appointment_input in;
	struct db_appointment a;
	struct pechat_error e;
	json_t *doc;
	MHD_Result_t ret;
	char location[128];

	memset(&in, 0, sizeof(in));
	pechat_error_clear(&e);
	if (org_id(r, &ret) != 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	in.head_id = member(doc, "head_id", &e);
	in.kind = member(doc, "kind", &e);
	in.number = member(doc, "number", &e);
	in.date = member(doc, "date", &e);
	in.issued_by = member(doc, "issued_by", &e);
	in.valid_until = member(doc, "valid_until", &e);
	in.title = member(doc, "title", &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_appointment_add(r->db, &r->actor, ca_now(r->w->ca), r->params[0], &in, &a, &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		snprintf(location, sizeof(location), "/api/v1/subjects/%.36s/appointments/%lld", r->params[0],
		    (long long)a.id);
		ret = web_reply_json(r, MHD_HTTP_CREATED, appointment_json(&a), location);
	}
	json_decref(doc);
	return ret;
}

MHD_Result_t
h_appointment_verify(struct web_req *r)
{
	static const char *const keys[] = { "source", NULL };
	struct db_appointment a;
	struct pechat_error e;
	const char *source;
	json_t *doc;
	char *end = NULL;
	long long id;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (org_id(r, &ret) != 0)
		return ret;
	id = strtoll(r->params[1], &end, 10);
	if (r->params[1][0] < '1' || r->params[1][0] > '9' || *end != '\0' || id > 1000000000000LL)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "appointment_unknown",
		    "no such appointment document of this organisation");
	if ((doc = web_json_body(r, &ret)) == NULL)
		return ret;
	web_json_only(doc, keys, &e);
	source = web_json_string(doc, "source", "source", 31, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_appointment_verify(r->db, &r->actor, ca_now(r->w->ca), r->params[0], id, source, &a,
	    &e) != PECHAT_OK) {
		ret = web_reply_error(r, &e);
	} else {
		ret = web_reply_json(r, MHD_HTTP_OK, appointment_json(&a), NULL);
	}
	json_decref(doc);
	return ret;
}
