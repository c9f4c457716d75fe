/*
 * web/h_ocsp.c — the OCSP responder (RFC 6960 Appendix A; GET per RFC 5019
 * §5 and RFC 9919): POST /ocsp with application/ocsp-request, and
 * GET /ocsp/{base64 of the DER request, URL-encoded or not}. Pre-signed
 * answers carry HTTP caching headers; others are no-store.
 */
#include "web/web_int.h"

#include <string.h>

/* RFC 6960 §2.3: our failure is an unsigned internalError, or tryLater when the store is busy. */
static MHD_Result_t
send_failure(struct web_req *r, const struct pechat_error *e)
{
	int status = e->err == PECHAT_E_BUSY || e->err == PECHAT_E_UNAVAILABLE ? OCSP_RESPONSE_STATUS_TRYLATER :
	    OCSP_RESPONSE_STATUS_INTERNALERROR;
	unsigned char *der = NULL;
	size_t len = 0;
	MHD_Result_t ret;

	log_err("ocsp: %s (%s)", e->detail, e->code);
	if (ca_ocsp_response_error(status, &der, &len) != 0)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	ret = web_reply_bytes(r, MHD_HTTP_OK, "application/ocsp-response", der, len, NULL);
	OPENSSL_free(der);
	return ret;
}

/* RFC 6960 §2.3 malformedRequest (unsigned), for a GET whose path is not a request at all. */
static MHD_Result_t
send_malformed(struct web_req *r)
{
	unsigned char *der = NULL;
	size_t len = 0;
	MHD_Result_t ret;

	if (ca_ocsp_response_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &der, &len) != 0)
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	ret = web_reply_bytes(r, MHD_HTTP_OK, "application/ocsp-response", der, len, NULL);
	OPENSSL_free(der);
	return ret;
}

/* Sends a ca_ocsp_answer result (always an OCSPResponse, errors included). */
static MHD_Result_t
send_answer(struct web_req *r, const unsigned char *req, size_t len)
{
	struct ca_ocsp_reply out;
	struct pechat_error e;
	time_t now = pechat_clock_now(r->w->clock);
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (ca_ocsp_answer(r->w->publisher, r->db, req, len, &out, &e) != PECHAT_OK)
		return send_failure(r, &e);
	if (out.cacheable && strcmp(r->method, "GET") == 0)
		ret = web_reply_cacheable(r, "application/ocsp-response", out.der, out.len, out.this_update,
		    out.next_update, out.fingerprint, web_max_age(out.next_update, now, -1));
	else
		ret = web_reply_bytes(r, MHD_HTTP_OK, "application/ocsp-response", out.der, out.len, NULL);
	free(out.der);
	return ret;
}

MHD_Result_t
h_ocsp_post(struct web_req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	size_t n = strlen("application/ocsp-request");

	/* media type parameters (";...") are allowed, the type itself must match */
	if (ct == NULL || strncasecmp(ct, "application/ocsp-request", n) != 0 || (ct[n] != '\0' && ct[n] != ';'))
		return web_reply_problem(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "content_type_unsupported",
		    "send OCSP requests as application/ocsp-request");
	return send_answer(r, (const unsigned char *)r->body, r->body != NULL ? r->body_len : 0);
}

MHD_Result_t
h_ocsp_get(struct web_req *r)
{
	/* the URL arrives percent-decoded; what follows "/ocsp/" is standard base64 */
	const char *b64 = r->url + strlen("/ocsp/");
	unsigned char *der = NULL;
	size_t len = 0;
	MHD_Result_t ret;

	if (strlen(b64) > r->w->conf->max_body_bytes)
		return web_reply_problem(r, MHD_HTTP_URI_TOO_LONG, "uri_too_long", "the request is too long");
	if (pechat_base64_decode(b64, strlen(b64), &der, &len) != 0) {
		log_reject("ocsp: GET /ocsp/: the path is not base64");
		ret = send_malformed(r);
	} else
		ret = send_answer(r, der, len);
	free(der);
	return ret;
}
