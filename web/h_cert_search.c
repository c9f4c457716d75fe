/*
 * web/h_cert_search.c — GET /api/v1/certificates (the paged search) and the
 * "owner" member of the certificate resource. The rules (parameter
 * validation, a portal's scope, where the owner comes from) live in
 * ra/cert_search.c; this file reads the query string and answers.
 */
#include "web/web_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The query string as read: each known parameter once; unknown and repeated ones as field errors. */
struct search_args {
	struct ra_cert_query q;
	struct pechat_error *e;
};

/* The slot of a known parameter in q, or NULL. */
static const char **
param_slot(struct ra_cert_query *q, const char *key)
{
	static const struct {
		const char *name;
		size_t off;
	} params[] = {
		{ "subject_id", offsetof(struct ra_cert_query, subject_id) },
		{ "snils", offsetof(struct ra_cert_query, snils) },
		{ "inn", offsetof(struct ra_cert_query, inn) },
		{ "status", offsetof(struct ra_cert_query, status) },
		{ "issuer", offsetof(struct ra_cert_query, issuer) },
		{ "profile", offsetof(struct ra_cert_query, profile) },
		{ "expires_before", offsetof(struct ra_cert_query, expires_before) },
		{ "limit", offsetof(struct ra_cert_query, limit) },
		{ "cursor", offsetof(struct ra_cert_query, cursor) },
	};
	size_t i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (strcmp(params[i].name, key) == 0)
			return (const char **)(void *)((char *)q + params[i].off);
	return NULL;
}

/* MHD iterator: one query parameter into the query; an unknown or repeated one is a field error. */
static MHD_Result_t
search_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct search_args *a = cls;
	const char **slot = param_slot(&a->q, key);

	(void)kind;
	if (slot == NULL)
		pechat_error_add_field(a->e, key, "unknown",
		    "parameters: subject_id, snils, inn, status, issuer, profile, expires_before, limit, cursor");
	else if (*slot != NULL)
		pechat_error_add_field(a->e, key, "repeated", "give each parameter once");
	else
		*slot = value != NULL ? value : "";
	return MHD_YES;
}

/* The page's certificates as an array, or NULL with e set. */
static json_t *
search_items(struct web_req *r, char (*serials)[65], int count, struct pechat_error *e)
{
	json_t *items = json_array(), *item;
	struct db_cert c;
	int i;

	for (i = 0; items != NULL && i < count; i++) {
		if (db_cert_get(r->db, serials[i], &c, e) != PECHAT_OK)
			goto fail;
		item = web_cert_json(r, &c);
		db_cert_free_fields(&c);
		if (item == NULL || json_array_append_new(items, item) != 0) {
			pechat_fail(e, PECHAT_E_INTERNAL, "internal", "certificate resource");
			goto fail;
		}
	}
	return items;
fail:
	json_decref(items);
	return NULL;
}

MHD_Result_t
h_certificate_list(struct web_req *r)
{
	struct search_args a;
	struct pechat_error e;
	char (*serials)[65] = NULL;     /* RA_CERT_LIMIT_MAX + 1 serials, on the heap */
	json_t *items;
	int count = 0, more = 0;
	MHD_Result_t ret;

	memset(&a, 0, sizeof(a));
	pechat_error_clear(&e);
	a.e = &e;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, search_param, &a);
	if (e.nfields > 0) {
		log_reject("%s: certificate search with a bad query parameter %.32s", r->actor.name, e.fields[0].field);
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the query has invalid parameters");
		return web_reply_error(r, &e);
	}
	if ((serials = calloc(RA_CERT_LIMIT_MAX + 1, sizeof(*serials))) == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	if (ra_cert_search(r->db, &r->actor, &a.q, pechat_clock_now(r->w->clock), serials, &count, &more, &e) !=
	    PECHAT_OK || (items = search_items(r, serials, count, &e)) == NULL) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	ret = web_reply_json(r, MHD_HTTP_OK, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", more && count > 0 ? serials[count - 1] : NULL), NULL);
out:
	free(serials);
	return ret;
}

/* Sets key to s when s is not empty. */
static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s[0] != '\0')
		json_object_set_new(o, key, json_string(s));
}

json_t *
web_cert_owner_json(struct web_req *r, const struct db_cert *c, const struct pechat_subject *subject)
{
	struct ra_cert_owner ow;
	json_t *o, *org;

	if (ra_cert_owner(r->db, c, subject, &ow, NULL) != PECHAT_OK || (o = json_object()) == NULL)
		return NULL;
	set_str(o, "name", ow.name);
	set_str(o, "snils", ow.snils);
	set_str(o, "inn", ow.inn);
	set_str(o, "ogrnip", ow.ogrnip);
	set_str(o, "email", ow.email);
	if (ow.org_name[0] != '\0' || ow.innle[0] != '\0' || ow.ogrn[0] != '\0') {
		if ((org = json_object()) != NULL) {
			set_str(org, "name", ow.org_name);
			set_str(org, "innle", ow.innle);
			set_str(org, "ogrn", ow.ogrn);
		}
		json_object_set_new(o, "organisation", org);
	}
	if (ow.subject_id[0] != '\0') {
		json_object_set_new(o, "subject_id", json_string(ow.subject_id));
		json_object_set_new(o, "subject_version", json_integer(ow.subject_version));
	}
	return o;
}
