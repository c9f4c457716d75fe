/* web/h_certificates.c — GET /api/v1/certificates/{serial}[/pem|/der]. */
#include "web/web_int.h"

#include <ctype.h>
#include <openssl/pem.h>
#include <string.h>

char *
web_cert_pem(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	BIO *bio = NULL;
	char *out = NULL, *data;
	long n;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len ||
	    (bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, x) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "stored certificate to PEM");
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(bio);
	X509_free(x);
	return out;
}

json_t *
web_cert_json(struct web_req *r, const struct db_cert *c)
{
	struct pechat_subject subject;
	const unsigned char *p = c->der;
	json_t *o = NULL, *subj;
	X509 *x = NULL;
	char *pem = NULL;
	time_t now = pechat_clock_now(r->w->clock);

	memset(&subject, 0, sizeof(subject));
	if ((x = d2i_X509(NULL, &p, (long)c->der_len)) == NULL ||
	    ca_cert_subject(x, &subject, NULL) != PECHAT_OK || (pem = web_cert_pem(c->der, c->der_len)) == NULL)
		goto out;
	if ((subj = web_json_subject(&subject)) == NULL)
		goto out;
	json_object_set_new(subj, "dn", json_string(c->subject_dn));
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:n, s:s, s:s}",
	    "serial", c->serial, "issuer", c->issuer, "profile", c->profile,
	    "subject", subj, "not_before", web_json_time(c->not_before),
	    "not_after", web_json_time(c->not_after),
	    "status", now > c->not_after ? "expired" : "valid", "revocation",
	    "fingerprint_sha256", c->fingerprint, "pem", pem);
	if (o != NULL) {
		json_object_set_new(o, "request_id", c->request_id[0] != '\0' ? json_string(c->request_id) : json_null());
		json_object_set_new(o, "email", c->email[0] != '\0' ? json_string(c->email) : json_null());
	}
out:
	pechat_subject_clear(&subject);
	X509_free(x);
	free(pem);
	return o;
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
		    "serial numbers are upper-case hex without separators");
		return -1;
	}
	for (i = 0; r->params[0][i] != '\0'; i++)
		serial[i] = (char)toupper((unsigned char)r->params[0][i]);
	serial[i] = '\0';
	if (db_cert_get(r->db, serial, c, &e) != PECHAT_OK) {
		*ret = web_reply_error(r, &e);
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
