/* web/h_ca.c — issuer certificates: GET /ca/{issuer}.crt (DER), chains in PEM. */
#include "web/web_int.h"

#include <openssl/x509.h>
#include <string.h>

/* Issuers that relying parties may fetch: configured issuing CAs and their roots. */
static int
public_issuer(const struct web_req *r, const char *name)
{
	return strcmp(name, CA_OPERATORS_ISSUER) != 0 && ca_issuer_get0_cert(r->w->ca, name) != NULL;
}

MHD_Result_t
h_ca_cert_der(struct web_req *r)
{
	unsigned char *der = NULL;
	MHD_Result_t ret;
	int len;

	if (!public_issuer(r, r->params[0]))
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "issuer_unknown", "no such issuer");
	if ((len = i2d_X509(ca_issuer_get0_cert(r->w->ca, r->params[0]), &der)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "i2d_X509 issuer");
		return web_reply_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
	}
	ret = web_reply_bytes(r, MHD_HTTP_OK, "application/pkix-cert", der, (size_t)len, "public, max-age=86400");
	OPENSSL_free(der);
	return ret;
}

MHD_Result_t
h_ca_chain_pem(struct web_req *r)
{
	struct pechat_error e;
	char *pem = NULL;
	size_t len;
	MHD_Result_t ret;

	pechat_error_clear(&e);
	if (!public_issuer(r, r->params[0]))
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "issuer_unknown", "no such issuer");
	if (ca_issuer_chain_pem(r->w->ca, r->params[0], &pem, &len, &e) != PECHAT_OK)
		return web_reply_error(r, &e);
	ret = web_reply_bytes(r, MHD_HTTP_OK, "application/pem-certificate-chain", pem, len,
	    "public, max-age=86400");
	free(pem);
	return ret;
}
