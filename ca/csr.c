/*
 * ca/csr.c — PKCS#10 (RFC 2986) requests from untrusted bytes.
 */
#include "ca_int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define CSR_MAX_BYTES (64 * 1024)

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
all_space(const unsigned char *p, size_t n)
{
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	return n == 0;
}

/* DER body -> request; every byte must be consumed. */
static enum pechat_err
csr_from_der(const unsigned char *der, size_t len, X509_REQ **out, struct pechat_error *e)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL) {
		pechat_log_openssl_reject("csr: DER does not decode");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "request is not a PKCS#10 structure");
	}
	if (p != der + len) {
		log_reject("csr: %zu bytes after the DER request", (size_t)(der + len - p));
		X509_REQ_free(req);
		return pechat_fail(e, PECHAT_E_INVALID, "csr_trailing_data", "data after the request");
	}
	*out = req;
	return PECHAT_OK;
}

/*
 * PEM (RFC 7468 §7): only whitespace before the one block, label
 * "CERTIFICATE REQUEST" (or the legacy "NEW CERTIFICATE REQUEST"), no
 * encapsulated headers, only whitespace after it.
 */
static enum pechat_err
csr_from_pem(const unsigned char *data, size_t len, X509_REQ **out, struct pechat_error *e)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	char *rest = NULL;
	long restlen;
	enum pechat_err rc;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "out_of_memory", "out of memory");
		goto out;
	}
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1) {
		pechat_log_openssl_reject("csr: PEM does not decode");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "request is not valid PEM");
		goto out;
	}
	if (strcmp(name, "CERTIFICATE REQUEST") != 0 && strcmp(name, "NEW CERTIFICATE REQUEST") != 0) {
		log_reject("csr: PEM block is \"%.40s\", not a certificate request", name);
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "PEM block is not a certificate request");
		goto out;
	}
	if (header[0] != '\0') {
		log_reject("csr: PEM block has encapsulated headers");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "PEM headers are not allowed");
		goto out;
	}
	restlen = BIO_get_mem_data(bio, &rest);
	if (restlen > 0 && !all_space((const unsigned char *)rest, (size_t)restlen)) {
		log_reject("csr: %ld bytes after the PEM block", restlen);
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_trailing_data", "data after the request");
		goto out;
	}
	rc = csr_from_der(der, (size_t)derlen, out, e);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

/*
 * Requested extensions are never copied into certificates, but a request
 * that marks one critical we do not understand, or repeats one, is refused
 * (RFC 5280 §4.2 spirit: do not silently ignore critical data).
 */
static enum pechat_err
csr_check_extensions(X509_REQ *req, struct pechat_error *e)
{
	STACK_OF(X509_EXTENSION) *exts;
	enum pechat_err rc = PECHAT_OK;
	int i, j, n;

	if (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) < 0 &&
	    X509_REQ_get_attr_by_NID(req, NID_ms_ext_req, -1) < 0)
		return PECHAT_OK;
	if ((exts = X509_REQ_get_extensions(req)) == NULL) {
		pechat_log_openssl_reject("csr: extension request does not decode");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "extension request is malformed");
	}
	n = sk_X509_EXTENSION_num(exts);
	for (i = 0; i < n && rc == PECHAT_OK; i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(x);

		for (j = 0; j < i; j++) {
			if (OBJ_cmp(obj, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0) {
				log_reject("csr: extension requested twice");
				rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "extension requested twice");
				break;
			}
		}
		if (rc == PECHAT_OK && X509_EXTENSION_get_critical(x) && !X509_supported_extension(x)) {
			log_reject("csr: unknown critical extension requested");
			rc = pechat_fail(e, PECHAT_E_INVALID, "csr_critical_extension",
			    "unsupported critical extension requested");
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* See ca.h. Proof of possession: RFC 2986 §3 self-signature over CertificationRequestInfo. */
enum pechat_err
ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out, struct pechat_error *e)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	size_t off = 0;
	enum pechat_err rc;

	*out = NULL;
	if (len > CSR_MAX_BYTES) {
		log_reject("csr: %zu bytes (max %d)", len, CSR_MAX_BYTES);
		return pechat_fail(e, PECHAT_E_TOO_LARGE, "csr_too_large", "request larger than 64 KiB");
	}
	if (data == NULL || len == 0) {
		log_reject("csr: empty");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "empty request");
	}
	while (off < len && is_space(data[off]))
		off++;
	if (len - off >= 10 && memcmp(data + off, "-----BEGIN", 10) == 0)
		rc = csr_from_pem(data + off, len - off, &req, e);
	else
		rc = csr_from_der(data, len, &req, e);
	if (rc != PECHAT_OK)
		goto out;
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		log_reject("csr: version %ld", X509_REQ_get_version(req));
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "unsupported request version");
		goto out;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL) {
		pechat_log_openssl_reject("csr: public key does not decode");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "public key is malformed or unsupported");
		goto out;
	}
	if (X509_REQ_verify(req, pub) != 1) {
		pechat_log_openssl_reject("csr: self-signature does not verify");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_signature_invalid",
		    "the request's signature does not verify");
		goto out;
	}
	if ((rc = csr_check_extensions(req, e)) != PECHAT_OK)
		goto out;
	*out = req;
	req = NULL;
out:
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}
