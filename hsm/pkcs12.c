/*
 * hsm/pkcs12.c — the PKCS#12 export of client credentials (file keys only),
 * on its own so that a program that does not call it (pechatd) does not
 * contain it: only the `pechat` CLI's ceremony/ exports keys.
 */
#include "hsm_int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

/*
 * PKCS#12 (RFC 7292) of a file key with its certificate and chain, with
 * OpenSSL 3.0's defaults (AES-256-CBC, PBKDF2, HMAC-SHA-256 MAC).
 */
enum pechat_err
hsm_key_pkcs12(struct hsm_key *key, X509 *cert, STACK_OF(X509) *chain, const char *friendly,
    const char *pass, unsigned char **der, size_t *len, struct pechat_error *e)
{
	EVP_PKEY *priv;
	PKCS12 *p12 = NULL;
	unsigned char *buf = NULL;
	int n;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	if ((priv = hsm_key_file_priv_int(key)) == NULL) {
		log_err("hsm: PKCS#12 export of a non-file key refused");
		return pechat_fail(e, PECHAT_E_FORBIDDEN, "key_not_exportable", "key is not exportable");
	}
	if ((p12 = PKCS12_create(pass, friendly, priv, cert, chain, 0, 0, 0, 0, 0)) == NULL ||
	    (n = i2d_PKCS12(p12, &buf)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: PKCS12_create");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "pkcs12_failed", "PKCS#12 cannot be built");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = PECHAT_OK;
out:
	OPENSSL_free(buf);
	PKCS12_free(p12);
	return rc;
}
