/*
 * web/h_approvals.c — the officer workflow: GET /api/v1/requests (the paged
 * list), POST /api/v1/requests/{id}/approve and /reject. The rules live in
 * ra/approve.c; this file parses and answers.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 50

struct list_query {
	struct db_request_filter f;
	int limit_seen;
	const char *bad;        /* the first unknown, malformed or repeated parameter, or NULL */
};

/* 1 if s is one of the request states. */
static int
state_ok(const char *s)
{
	static const char *const states[] = { "pending", "approved", "issued", "rejected", "failed", NULL };
	int i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], s) == 0)
			return 1;
	return 0;
}

/* 1 if parameter key was already given (a repeated parameter is refused, never picked). */
static int
repeated(struct list_query *q, const char *key)
{
	if (strcmp(key, "state") == 0)
		return q->f.state != NULL;
	if (strcmp(key, "profile") == 0)
		return q->f.profile != NULL;
	if (strcmp(key, "cursor") == 0)
		return q->f.after_id != NULL;
	return strcmp(key, "limit") == 0 && q->limit_seen++ > 0;
}

/* MHD iterator: one query parameter into the filter; records the first bad one. */
static MHD_Result_t
list_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct list_query *q = cls;
	char *end;
	long n;

	(void)kind;
	if (value == NULL)
		value = "";
	if (repeated(q, key)) {
		q->bad = key;
		return MHD_NO;
	}
	if (strcmp(key, "state") == 0 && state_ok(value))
		q->f.state = value;
	else if (strcmp(key, "profile") == 0 && value[0] != '\0' && strlen(value) < PECHAT_NAME_MAX)
		q->f.profile = value;
	else if (strcmp(key, "cursor") == 0 && strlen(value) == 36)
		q->f.after_id = value;
	else if (strcmp(key, "limit") == 0 && (n = strtol(value, &end, 10)) >= 1 && n <= DB_LIST_MAX &&
	    *end == '\0' && value[0] >= '1' && value[0] <= '9')
		q->f.limit = (int)n;
	else {
		q->bad = key;
		return MHD_NO;
	}
	return MHD_YES;
}

/* The page as {items, next_cursor}, or NULL when a request could not be read (e set). */
static json_t *
list_page(struct web_req *r, char ids[][40], int n, int limit, struct pechat_error *e)
{
	json_t *items = json_array();
	struct db_request req;
	int i;

	for (i = 0; i < n && i < limit; i++) {
		if (db_request_get(r->db, ids[i], &req, e) != PECHAT_OK) {
			json_decref(items);
			return NULL;
		}
		json_array_append_new(items, web_request_json(r, &req));
		db_request_free_fields(&req);
	}
	return json_pack("{s:o, s:o}", "items", items, "next_cursor",
	    n > limit ? json_string(ids[limit - 1]) : json_null());
}

MHD_Result_t
h_request_list(struct web_req *r)
{
	char (*page)[40] = NULL;        /* DB_LIST_MAX + 1 ids, on the heap */
	struct list_query q;
	struct pechat_error e;
	MHD_Result_t ret;
	json_t *body;
	int n = 0;

	memset(&q, 0, sizeof(q));
	pechat_error_clear(&e);
	q.f.limit = LIST_DEFAULT;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, list_param, &q);
	if (q.bad != NULL) {
		log_reject("%s: request list with a bad query parameter %.32s", r->actor.name, q.bad);
		return web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "query_invalid",
		    "a query parameter is unknown or malformed: state (a request state), profile, "
		    "limit (1 to 100), cursor (next_cursor of the previous page)");
	}
	/* a portal sees only its own requests */
	if (r->role == ROLE_PORTAL)
		q.f.client = r->actor.name;
	if ((page = calloc(DB_LIST_MAX + 1, sizeof(*page))) == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "nomem", "out of memory");
	if (db_request_list(r->db, &q.f, page, &n, &e) != PECHAT_OK) {
		ret = strcmp(e.code, "cursor_invalid") == 0 ?
		    web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "cursor_invalid",
		    "the cursor is not a next_cursor this list gave") : web_reply_error(r, &e);
		goto out;
	}
	if ((body = list_page(r, page, n, q.f.limit, &e)) == NULL)
		ret = web_reply_error(r, &e);
	else
		ret = web_reply_json(r, MHD_HTTP_OK, body, NULL);
out:
	free(page);
	return ret;
}

/* The request id of the path: 36 characters, or a 404 is queued into *ret. */
static int
path_id(struct web_req *r, MHD_Result_t *ret)
{
	if (strlen(r->params[0]) == 36)
		return 0;
	*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "request_unknown", "no such request");
	return -1;
}

MHD_Result_t
h_request_approve(struct web_req *r)
{
	struct db_request req;
	struct pechat_error e;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (path_id(r, &ret) != 0)
		return ret;
	if (ra_request_approve(&r->w->ra, r->db, &r->actor, r->params[0], &req, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	ret = web_reply_json(r, MHD_HTTP_OK, web_request_json(r, &req), NULL);
	db_request_free_fields(&req);
	return ret;
}

MHD_Result_t
h_request_reject(struct web_req *r)
{
	struct db_request req;
	struct pechat_error e;
	const char *key, *reason;
	json_t *doc, *v;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (path_id(r, &ret) != 0 || (doc = web_json_body(r, &ret)) == NULL)
		return ret;
	json_object_foreach(doc, key, v)
		if (strcmp(key, "reason") != 0)
			pechat_error_add_field(&e, key, "unknown", "is not a rejection field");
	reason = web_json_string(doc, "reason", "reason", RA_REASON_MAX, 1, &e);
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
	} else if (ra_request_reject(&r->w->ra, r->db, &r->actor, r->params[0], reason, &req, &e) != PECHAT_OK)
		ret = web_reply_error(r, &e);
	else {
		ret = web_reply_json(r, MHD_HTTP_OK, web_request_json(r, &req), NULL);
		db_request_free_fields(&req);
	}
	json_decref(doc);
	return ret;
}
