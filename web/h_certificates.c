/* web/h_certificates.c — GET /api/v1/certificates/{serial}[/pem|/der]. */
#include "web/web_int.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/pem.h>
#include <string.h>

/*
 * See web_int.h. The DER is a stored certificate (parsed back before it was
 * stored, ca/build.c): armoured as it is, without a parse (in OpenSSL 3.0
 * each parse looks its key decoder up again; this runs on every issuance).
 */
char *
web_cert_pem(const unsigned char *der, size_t len)
{
	BIO *bio = NULL;
	char *out = NULL, *data;
	long n;

	if (len == 0 || len > LONG_MAX || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(bio, PEM_STRING_X509, "", der, (long)len) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "stored certificate to PEM");
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(bio);
	return out;
}

/* The "revocation" member: null, or {reason, revoked_at, invalidity_date, by, comment}. */
static json_t *
revocation_json(const struct db_revocation *ev)
{
	json_t *o;

	if (ev->id == 0)
		return json_null();
	o = json_pack("{s:s, s:o, s:s}", "reason", ev->reason, "revoked_at", web_json_time(ev->revoked_at),
	    "by", ev->actor);
	if (o != NULL) {
		json_object_set_new(o, "invalidity_date",
		    ev->invalidity_date != 0 ? web_json_time(ev->invalidity_date) : json_null());
		json_object_set_new(o, "comment", ev->comment[0] != '\0' ? json_string(ev->comment) : json_null());
	}
	return o;
}

/*
 * The certificate resource of c; its status from *last, the status event
 * the caller has just made (its last one), or read from the store when
 * last is NULL.
 */
static json_t *
cert_json(struct web_req *r, const struct db_cert *c, const struct db_revocation *last)
{
	struct pechat_subject subject;
	struct db_revocation ev;
	json_t *o = NULL, *subj, *owner;
	char *pem = NULL;
	const char *status;
	time_t now = pechat_clock_now(r->w->clock);

	memset(&subject, 0, sizeof(subject));
	/* the subject only: no full parse (its key decoder look-up) per reply */
	if (ca_cert_der_subject(c->der, c->der_len, &subject, NULL) != PECHAT_OK ||
	    (pem = web_cert_pem(c->der, c->der_len)) == NULL)
		goto out;
	if ((subj = web_json_subject(&subject)) == NULL)
		goto out;
	json_object_set_new(subj, "dn", json_string(c->subject_dn));
	if (last != NULL)
		status = ca_cert_status_of(c, last, now, &ev);
	else if (ca_cert_status(r->db, c, now, &status, &ev, NULL) != PECHAT_OK) {
		json_decref(subj);
		goto out;
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:s, s:s}",
	    "serial", c->serial, "issuer", c->issuer, "profile", c->profile,
	    "subject", subj, "not_before", web_json_time(c->not_before),
	    "not_after", web_json_time(c->not_after),
	    "status", status, "revocation", revocation_json(&ev),
	    "fingerprint_sha256", c->fingerprint, "pem", pem);
	if (o != NULL) {
		json_object_set_new(o, "request_id", c->request_id[0] != '\0' ? json_string(c->request_id) : json_null());
		json_object_set_new(o, "email", c->email[0] != '\0' ? json_string(c->email) : json_null());
		/* owner: ra/cert_search.c; a store failure fails the resource */
		if ((owner = web_cert_owner_json(r, c, &subject)) == NULL) {
			json_decref(o);
			o = NULL;
		} else
			json_object_set_new(o, "owner", owner);
	}
out:
	pechat_subject_clear(&subject);
	free(pem);
	return o;
}

json_t *
web_cert_json(struct web_req *r, const struct db_cert *c)
{
	return cert_json(r, c, NULL);
}

/* 1 if this portal may see the certificate (ra_cert_visible: its request, or its registry subject). */
static int
portal_owns(struct web_req *r, const struct db_cert *c)
{
	int owns = 0;

	return ra_cert_visible(r->db, &r->actor, c, &owns, NULL) == PECHAT_OK && owns;
}

/* Loads the certificate named by the {serial} parameter, or queues the error reply. */
static int
load_cert(struct web_req *r, struct db_cert *c, MHD_Result_t *ret)
{
	struct pechat_error e;
	char serial[65];
	size_t i;

	pechat_error_clear(&e);
	if (!pechat_is_hex(r->params[0], 64)) {
		*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "certificate_unknown",
		    "no such certificate (serial numbers are hex digits without separators)");
		return -1;
	}
	for (i = 0; r->params[0][i] != '\0'; i++)
		serial[i] = (char)toupper((unsigned char)r->params[0][i]);
	serial[i] = '\0';
	if (db_cert_get(r->db, serial, c, &e) != PECHAT_OK) {
		*ret = web_reply_error(r, &e);
		return -1;
	}
	/* a portal sees the certificates of its own requests only */
	if (r->role == ROLE_PORTAL && !portal_owns(r, c)) {
		db_cert_free_fields(c);
		*ret = web_reply_problem(r, MHD_HTTP_NOT_FOUND, "certificate_unknown", "no such certificate");
		return -1;
	}
	return 0;
}

MHD_Result_t
h_certificate_get(struct web_req *r)
{
	struct db_cert c;
	MHD_Result_t ret;

	if (load_cert(r, &c, &ret) != 0)
		return ret;
	ret = web_reply_json(r, MHD_HTTP_OK, web_cert_json(r, &c), NULL);
	db_cert_free_fields(&c);
	return ret;
}

MHD_Result_t
h_certificate_pem(struct web_req *r)
{
	struct db_cert c;
	MHD_Result_t ret;
	char *pem;

	if (load_cert(r, &c, &ret) != 0)
		return ret;
	if ((pem = web_cert_pem(c.der, c.der_len)) == NULL)
		ret = web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	else
		ret = web_reply_bytes(r, MHD_HTTP_OK, "application/x-pem-file", pem, strlen(pem), NULL);
	free(pem);
	db_cert_free_fields(&c);
	return ret;
}

MHD_Result_t
h_certificate_der(struct web_req *r)
{
	struct db_cert c;
	MHD_Result_t ret;

	if (load_cert(r, &c, &ret) != 0)
		return ret;
	ret = web_reply_bytes(r, MHD_HTTP_OK, "application/pkix-cert", c.der, c.der_len, NULL);
	db_cert_free_fields(&c);
	return ret;
}

/*
 * POST .../revoke|hold|release: {reason?, invalidity_date?, comment?}, or
 * an empty body (no Content-Type needed): no reason given (revoke:
 * unspecified), no date, no comment. Subscriber certificates only; the
 * change is the RA's (ra_certificate_revoke|hold|release). Answers 200 with
 * the certificate resource showing the status the change's event makes.
 */
static MHD_Result_t
status_change(struct web_req *r, enum ca_revoke_action action)
{
	static const char *const keys[] = { "reason", "invalidity_date", "comment", NULL };
	struct pechat_error e;
	struct db_revocation ev;
	struct db_cert c;
	json_t *doc = NULL, *v;
	const char *key, *reason = NULL, *inv = NULL, *comment = NULL;
	time_t invalidity = 0;
	enum pechat_err err;
	MHD_Result_t ret;
	size_t i;
	int known;

	pechat_error_clear(&e);
	if (load_cert(r, &c, &ret) != 0)
		return ret;
	if (r->body_len > 0) {
		if ((doc = web_json_body(r, &ret)) == NULL)
			goto out;
		json_object_foreach(doc, key, v) {
			for (known = 0, i = 0; keys[i] != NULL; i++)
				known |= strcmp(keys[i], key) == 0;
			if (!known)
				pechat_error_add_field(&e, key, "unknown", "is not a field of this request");
		}
		if (action == CA_REVOKE)
			reason = web_json_string(doc, "reason", "reason", 31, 0, &e);
		else if (json_object_get(doc, "reason") != NULL)
			pechat_error_add_field(&e, "reason", "not_allowed", "hold and release take no reason");
		inv = web_json_string(doc, "invalidity_date", "invalidity_date", 20, 0, &e);
		comment = web_json_string(doc, "comment", "comment", 255, 0, &e);
		if (inv != NULL && pechat_time_parse_rfc3339(inv, &invalidity) != 0)
			pechat_error_add_field(&e, "invalidity_date", "format",
			    "must be a real UTC date and time as YYYY-MM-DDTHH:MM:SSZ (1970..9999, seconds 00..59)");
	}
	if (e.nfields > 0) {
		pechat_fail(&e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		ret = web_reply_error(r, &e);
		goto out;
	}
	if (action == CA_REVOKE)
		err = ra_certificate_revoke(&r->w->ra, r->db, &r->actor, c.serial, reason, invalidity, comment, &ev, &e);
	else if (action == CA_HOLD)
		err = ra_certificate_hold(&r->w->ra, r->db, &r->actor, c.serial, comment, &ev, &e);
	else
		err = ra_certificate_release(&r->w->ra, r->db, &r->actor, c.serial, comment, &ev, &e);
	if (err != PECHAT_OK) {
		ret = web_reply_error(r, &e);
		goto out;
	}
	/* the status this change made, from its event: not read back */
	ret = web_reply_json(r, MHD_HTTP_OK, cert_json(r, &c, &ev), NULL);
out:
	json_decref(doc);
	db_cert_free_fields(&c);
	return ret;
}

MHD_Result_t
h_certificate_revoke(struct web_req *r)
{
	return status_change(r, CA_REVOKE);
}

MHD_Result_t
h_certificate_hold(struct web_req *r)
{
	return status_change(r, CA_HOLD);
}

MHD_Result_t
h_certificate_release(struct web_req *r)
{
	return status_change(r, CA_RELEASE);
}
