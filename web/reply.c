/* web/reply.c — JSON, byte and RFC 9457 problem replies; error kind -> HTTP status. */
#include "web/web_int.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

unsigned
web_status_for(enum pechat_err err)
{
	switch (err) {
	case PECHAT_OK: return MHD_HTTP_OK;
	case PECHAT_E_INVALID:
	case PECHAT_E_POLICY: return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case PECHAT_E_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
	case PECHAT_E_CONFLICT: return MHD_HTTP_CONFLICT;
	case PECHAT_E_TOO_LARGE: return MHD_HTTP_CONTENT_TOO_LARGE;
	case PECHAT_E_UNAUTHENTICATED: return MHD_HTTP_UNAUTHORIZED;
	case PECHAT_E_FORBIDDEN: return MHD_HTTP_FORBIDDEN;
	case PECHAT_E_BUSY:
	case PECHAT_E_UNAVAILABLE: return MHD_HTTP_SERVICE_UNAVAILABLE;
	case PECHAT_E_NOMEM:
	case PECHAT_E_INTERNAL: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Queues buf (copied) with the given headers; Retry-After on 503 and 429. */
static MHD_Result_t
queue(struct web_req *r, unsigned status, const char *content_type, const void *data, size_t len,
    const char *location, const char *cache_control)
{
	struct MHD_Response *resp;
	MHD_Result_t ret;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (cache_control != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Mutual-TLS");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* See web_int.h. */
void
web_etag(uint64_t fingerprint, char etag[20])
{
	if (fingerprint == 0)
		etag[0] = '\0';
	else
		snprintf(etag, 20, "\"%016" PRIx64 "\"", fingerprint);
}

/* See web_int.h. */
int
web_max_age(time_t next_update, time_t now, int cap)
{
	time_t left = next_update - now;

	if (left < 0)
		return 0;
	return cap >= 0 && left > cap ? cap : (int)(left > INT_MAX ? INT_MAX : left);
}

/*
 * The cacheable reply of data (see web_int.h); release (may be NULL) is
 * called with cls once libmicrohttpd no longer needs data, which it then
 * sends from where it is (no copy); without release data is copied.
 */
static MHD_Result_t
cacheable(struct web_req *r, const char *content_type, const void *data, size_t len, time_t last_modified,
    time_t expires, uint64_t fingerprint, int max_age, void (*release)(void *), void *cls)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	struct MHD_Response *resp;
	char lm[40], ex[40], cc[96], etag[20];
	unsigned status = MHD_HTTP_OK;
	MHD_Result_t ret;

	web_etag(fingerprint, etag);
	if (max_age < 0)
		max_age = 0;
	snprintf(cc, sizeof(cc), "public, max-age=%d, no-transform, must-revalidate", max_age);
	/* RFC 9110 §13.1.2: a matching If-None-Match on GET gets 304 without the body */
	if (inm != NULL && etag[0] != '\0' && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0)) {
		status = MHD_HTTP_NOT_MODIFIED;
		len = 0;
	}
	if (release != NULL)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)(uintptr_t)data, release,
		    cls);
	else
		resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL) {
		if (release != NULL)
			release(cls);
		return MHD_NO;
	}
	if (status == MHD_HTTP_OK)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, pechat_time_http(last_modified, lm, sizeof(lm)));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, pechat_time_http(expires, ex, sizeof(ex)));
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	if (etag[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

MHD_Result_t
web_reply_cacheable(struct web_req *r, const char *content_type, const void *data, size_t len,
    time_t last_modified, time_t expires, uint64_t fingerprint, int max_age)
{
	return cacheable(r, content_type, data, len, last_modified, expires, fingerprint, max_age, NULL, NULL);
}

MHD_Result_t
web_reply_cacheable_ref(struct web_req *r, const char *content_type, const void *data, size_t len,
    time_t last_modified, time_t expires, uint64_t fingerprint, int max_age, void (*release)(void *), void *cls)
{
	return cacheable(r, content_type, data, len, last_modified, expires, fingerprint, max_age, release, cls);
}

MHD_Result_t
web_reply_bytes(struct web_req *r, unsigned status, const char *content_type, const void *data,
    size_t len, const char *cache_control)
{
	return queue(r, status, content_type, data, len, NULL, cache_control);
}

MHD_Result_t
web_reply_json(struct web_req *r, unsigned status, json_t *json, const char *location)
{
	char *text;
	MHD_Result_t ret;

	if (json == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	if (text == NULL)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	ret = queue(r, status, "application/json", text, strlen(text), location, NULL);
	free(text);
	return ret;
}

/* The RFC 9457 title for a status. */
static const char *
title_for(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 423: return "Locked";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Builds the problem document; fields (may be NULL) become "errors"; the members of ext
 * (an object or NULL; stolen) are added as RFC 9457 extension members. */
static MHD_Result_t
problem(struct web_req *r, unsigned status, const char *code, const char *detail,
    const struct pechat_error *fields, json_t *ext)
{
	char type[128];
	json_t *doc, *errs;
	char *text;
	MHD_Result_t ret;
	int i;

	snprintf(type, sizeof(type), "https://pechat.dev/problems/%s", code);
	doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", title_for(status),
	    "status", (int)status, "detail", detail != NULL && detail[0] != '\0' ? detail : title_for(status),
	    "code", code);
	if (doc == NULL) {
		json_decref(ext);
		return MHD_NO;
	}
	if (ext != NULL)
		json_object_update_missing(doc, ext);
	json_decref(ext);
	if (fields != NULL && fields->nfields > 0) {
		errs = json_array();
		for (i = 0; i < fields->nfields; i++)
			json_array_append_new(errs, json_pack("{s:s, s:s, s:s}", "field", fields->fields[i].field,
			    "rule", fields->fields[i].rule, "detail", fields->fields[i].detail));
		json_object_set_new(doc, "errors", errs);
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	ret = queue(r, status, "application/problem+json", text, strlen(text), NULL, NULL);
	free(text);
	return ret;
}

MHD_Result_t
web_reply_problem(struct web_req *r, unsigned status, const char *code, const char *detail)
{
	return problem(r, status, code, detail, NULL, NULL);
}

MHD_Result_t
web_reply_problem_ext(struct web_req *r, unsigned status, const char *code, const char *detail, json_t *ext)
{
	return problem(r, status, code, detail, NULL, ext);
}

MHD_Result_t
web_reply_error(struct web_req *r, const struct pechat_error *e)
{
	unsigned status = web_status_for(e->err);

	/* internal details stay in the log; the client gets a stable code */
	if (status == MHD_HTTP_INTERNAL_SERVER_ERROR)
		return problem(r, status, "internal", "internal error", NULL, NULL);
	return problem(r, status, e->code[0] != '\0' ? e->code : pechat_err_name(e->err), e->detail, e, NULL);
}

json_t *
web_json_time(time_t t)
{
	char buf[32];

	return json_string(pechat_time_rfc3339(t, buf, sizeof(buf)));
}

json_t *
web_json_subject(const struct pechat_subject *s)
{
	json_t *o = json_object();
	int f;

	for (f = 0; o != NULL && f < PSF_COUNT; f++)
		if (s->v[f] != NULL)
			json_object_set_new(o, pechat_subject_field_name((enum pechat_subject_field)f),
			    json_string(s->v[f]));
	return o;
}

/* Content-Type must be JSON (parameters such as charset allowed). */
static int
is_json(struct web_req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/*
 * json_malformed for a body jansson refused: its message with the line,
 * column (characters) and byte position, in the detail and as the members
 * "line", "column", "position". Bytes outside printable ASCII in jansson's
 * message (it may quote the client's text) become '?'. A body carrying a
 * secret (secret != 0) gets no message at all: jansson quotes the text near
 * the error, which may be the secret, and it would reach the log.
 */
static MHD_Result_t
json_syntax_problem(struct web_req *r, const json_error_t *jerr, int secret)
{
	char text[JSON_ERROR_TEXT_LENGTH], detail[256];
	size_t i;

	pechat_strlcpy(text, secret ? "syntax error (not quoted: the body carries a secret)" : jerr->text, sizeof(text));
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			text[i] = '?';
	snprintf(detail, sizeof(detail), "the request body is not valid JSON: %.160s at line %d, column %d (byte %d)",
	    text, jerr->line, jerr->column, jerr->position);
	log_reject("%s %s: malformed JSON body: line %d, column %d: %s", r->method, r->url, jerr->line,
	    jerr->column, text);
	return problem(r, MHD_HTTP_BAD_REQUEST, "json_malformed", detail, NULL,
	    json_pack("{s:i, s:i, s:i}", "line", jerr->line, "column", jerr->column, "position", jerr->position));
}

/* web_json_body and web_json_body_secret. */
static json_t *
json_body(struct web_req *r, MHD_Result_t *ret, int secret)
{
	json_error_t jerr;
	json_t *doc;

	if (!is_json(r)) {
		*ret = web_reply_problem(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "content_type_unsupported",
		    "send the request as application/json");
		return NULL;
	}
	if (r->body == NULL) {
		log_reject("%s %s: empty JSON body", r->method, r->url);
		*ret = web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "json_malformed",
		    "the request body is empty: send a JSON object");
		return NULL;
	}
	if ((doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*ret = json_syntax_problem(r, &jerr, secret);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		*ret = web_reply_problem(r, MHD_HTTP_BAD_REQUEST, "json_malformed", "the body must be a JSON object");
		return NULL;
	}
	return doc;
}

json_t *
web_json_body(struct web_req *r, MHD_Result_t *ret)
{
	return json_body(r, ret, 0);
}

json_t *
web_json_body_secret(struct web_req *r, MHD_Result_t *ret)
{
	return json_body(r, ret, 1);
}

/* A string member: 1..max bytes, no NUL. Adds a field error otherwise. */
const char *
web_json_string(json_t *obj, const char *key, const char *field, size_t max, int required, struct pechat_error *e)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		if (required)
			pechat_error_add_field(e, field, "required", "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		pechat_error_add_field(e, field, "type", "must be a string");
		return NULL;
	}
	if (json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		pechat_error_add_field(e, field, "length", "must be 1 to %zu bytes without NUL", max);
		return NULL;
	}
	return json_string_value(v);
}

