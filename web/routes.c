/* web/routes.c — the one route table: method, path pattern, listener, admitted roles, handler. */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>

static const struct web_route routes[] = {
	{ "GET", "/healthz", WEB_PUBLIC | WEB_API, 0, h_healthz },
	{ "GET", "/readyz", WEB_PUBLIC | WEB_API, 0, h_readyz },
	{ "GET", "/ca/{issuer}.crt", WEB_PUBLIC, 0, h_ca_cert_der },
	{ "GET", "/ca/{issuer}-chain.pem", WEB_PUBLIC, 0, h_ca_chain_pem },
	{ "GET", "/api/v1/issuers", WEB_API, ROLE_ALL, h_issuers_list },
	{ "GET", "/api/v1/issuers/{issuer}/chain", WEB_API, ROLE_ALL, h_ca_chain_pem },
	{ "GET", "/api/v1/keys", WEB_API, ROLE_ADMIN | ROLE_AUDITOR, h_keys_list },
	{ "GET", "/api/v1/profiles", WEB_API, ROLE_ALL, h_profiles_list },
	{ "POST", "/api/v1/requests", WEB_API, ROLE_PORTAL, h_request_create },
	{ "GET", "/api/v1/requests", WEB_API, ROLE_ALL, h_request_list },
	{ "GET", "/api/v1/requests/{id}", WEB_API, ROLE_ALL, h_request_get },
	{ "POST", "/api/v1/requests/{id}/approve", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_request_approve },
	{ "POST", "/api/v1/requests/{id}/reject", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_request_reject },
	{ "GET", "/api/v1/certificates", WEB_API, ROLE_ALL, h_certificate_list },
	{ "GET", "/api/v1/certificates/{serial}", WEB_API, ROLE_ALL, h_certificate_get },
	{ "GET", "/api/v1/certificates/{serial}/pem", WEB_API, ROLE_ALL, h_certificate_pem },
	{ "GET", "/api/v1/certificates/{serial}/der", WEB_API, ROLE_ALL, h_certificate_der },
	{ "POST", "/api/v1/certificates/{serial}/revoke", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_certificate_revoke },
	{ "POST", "/api/v1/certificates/{serial}/hold", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_certificate_hold },
	{ "POST", "/api/v1/certificates/{serial}/release", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_certificate_release },
	{ "POST", "/api/v1/subjects", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER | ROLE_PORTAL, h_subject_create },
	{ "GET", "/api/v1/subjects", WEB_API, ROLE_ALL, h_subject_list },
	{ "GET", "/api/v1/subjects/{id}", WEB_API, ROLE_ALL, h_subject_get },
	{ "PUT", "/api/v1/subjects/{id}", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_subject_update },
	{ "POST", "/api/v1/subjects/{id}/documents", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_subject_document_add },
	{ "POST", "/api/v1/subjects/{id}/documents/{doc}/verify", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER,
	  h_subject_document_verify },
	{ "POST", "/api/v1/subjects/{id}/appointments", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_appointment_add },
	{ "POST", "/api/v1/subjects/{id}/appointments/{appt}/verify", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER,
	  h_appointment_verify },
	{ "POST", "/api/v1/subjects/{id}/verify", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_subject_verify },
	{ "POST", "/api/v1/subjects/{id}/block", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_subject_block },
	{ "POST", "/api/v1/subjects/{id}/unblock", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_subject_unblock },
	{ "PUT", "/api/v1/subjects/{id}/code-word", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_code_word_set },
	{ "POST", "/api/v1/subjects/{id}/rekey", WEB_API, ROLE_PORTAL, h_rekey },
	{ "POST", "/api/v1/subjects/{id}/rekey/unlock", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_rekey_unlock },
	{ "POST", "/api/v1/subjects/{id}/powers", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_poa_import },
	{ "GET", "/api/v1/subjects/{id}/powers", WEB_API, ROLE_ALL, h_poa_list },
	{ "GET", "/api/v1/powers/{poa}", WEB_API, ROLE_ALL, h_poa_get },
	{ "POST", "/api/v1/powers/{poa}/revoke", WEB_API, ROLE_ADMIN | ROLE_RA_OFFICER, h_poa_revoke },
	{ "GET", "/crl/{issuer}-delta.crl", WEB_PUBLIC, 0, h_crl_delta },
	{ "GET", "/crl/{issuer}.crl", WEB_PUBLIC, 0, h_crl_full },
	{ "GET", "/crl/{issuer}/{number}.crl", WEB_PUBLIC, 0, h_crl_number },
	{ "POST", "/ocsp", WEB_PUBLIC, 0, h_ocsp_post },
	{ "GET", "/ocsp/{request*}", WEB_PUBLIC, 0, h_ocsp_get },
};

/*
 * Matches one path segment against a pattern segment. "{name}suffix"
 * captures the non-empty text before the literal suffix into params.
 */
static int
segment_match(struct web_req *r, const char *pat, size_t patlen, const char *seg, size_t seglen)
{
	const char *close;
	size_t suffix_len, cap_len;

	if (patlen == 0 || pat[0] != '{')
		return patlen == seglen && memcmp(pat, seg, seglen) == 0;
	if ((close = memchr(pat, '}', patlen)) == NULL)
		return 0;
	suffix_len = patlen - (size_t)(close + 1 - pat);
	if (seglen <= suffix_len || memcmp(seg + seglen - suffix_len, close + 1, suffix_len) != 0)
		return 0;
	cap_len = seglen - suffix_len;
	if (r->nparams >= WEB_MAX_PARAMS || cap_len >= sizeof(r->params[0]))
		return 0;
	memcpy(r->params[r->nparams], seg, cap_len);
	r->params[r->nparams][cap_len] = '\0';
	r->nparams++;
	return 1;
}

/* Whole-path match, segment by segment; a final "{x*}" takes the rest of the path. */
static int
path_match(struct web_req *r, const char *pattern, const char *path)
{
	size_t rest;

	r->nparams = 0;
	while (*pattern == '/' && *path == '/') {
		rest = strlen(pattern + 1);
		if (rest > 3 && pattern[1] == '{' && strcmp(pattern + rest - 1, "*}") == 0) {
			/* the handler reads the full rest from r->url; params gets what fits */
			if (path[1] == '\0' || r->nparams >= WEB_MAX_PARAMS)
				return 0;
			pechat_strlcpy(r->params[r->nparams++], path + 1, sizeof(r->params[0]));
			return 1;
		}
		const char *pe = strchr(pattern + 1, '/'), *se = strchr(path + 1, '/');
		size_t pl = pe != NULL ? (size_t)(pe - pattern - 1) : strlen(pattern + 1);
		size_t sl = se != NULL ? (size_t)(se - path - 1) : strlen(path + 1);
		if (!segment_match(r, pattern + 1, pl, path + 1, sl))
			return 0;
		pattern += pl + 1;
		path += sl + 1;
	}
	return *pattern == '\0' && *path == '\0';
}

const struct web_route *
web_route_match(struct web_req *r, int *method_mismatch)
{
	size_t i;

	*method_mismatch = 0;
	r->allow[0] = '\0';
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!(routes[i].listeners & r->listener) || !path_match(r, routes[i].pattern, r->url))
			continue;
		if (strcmp(routes[i].method, r->method) == 0)
			return &routes[i];
		*method_mismatch = 1;
		/* the Allow header of a 405 (RFC 9110 §15.5.6) */
		if (strstr(r->allow, routes[i].method) == NULL && strlen(r->allow) + 8 < sizeof(r->allow)) {
			if (r->allow[0] != '\0')
				strcat(r->allow, ", ");
			strcat(r->allow, routes[i].method);
		}
	}
	r->nparams = 0;
	return NULL;
}

/* The role names of a route's mask, in role order. */
static const struct {
	unsigned bit;
	const char *name;
} role_names[] = {
	{ ROLE_ADMIN, "admin" },
	{ ROLE_RA_OFFICER, "ra_officer" },
	{ ROLE_AUDITOR, "auditor" },
	{ ROLE_PORTAL, "portal" },
};

void
web_roles_text(unsigned roles, char *buf, size_t bufsz)
{
	size_t i, n;

	buf[0] = '\0';
	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (roles & role_names[i].bit) {
			n = strlen(buf);
			snprintf(buf + n, bufsz - n, "%s%s", n > 0 ? ", " : "", role_names[i].name);
		}
}

json_t *
web_roles_json(unsigned roles)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (roles & role_names[i].bit)
			json_array_append_new(a, json_string(role_names[i].name));
	return a;
}
