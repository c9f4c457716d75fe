/*
 * common/spki.c — the SHA-256 of a public key, the same whichever way it
 * was encoded: what the key checks of requests look up (docs/REGISTRATION.md,
 * "Key checks"), written for every certificate by db/certs.c.
 */
#include "common/common.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Refuse absurd inputs before parsing: the largest SPKI we accept (RSA 16384) is ~2.1 KiB. */
#define SPKI_MAX (16 * 1024)

/*
 * SHA-256 (hex) of a SubjectPublicKeyInfo: the key is decoded and encoded
 * again (i2d_PUBKEY), an EC point always uncompressed, so a CSR that sends
 * the compressed form of a known key hashes like the certificate. A key
 * OpenSSL cannot decode here (GOST before gost-engine is loaded) is hashed
 * as its DER. 0, or -1 (not an SPKI, no memory).
 */
int
pechat_spki_sha256_hex(const unsigned char *der, size_t len, char out[65])
{
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;
	unsigned char *canon = NULL;
	int n = -1, rc = -1;

	if (len == 0 || len > SPKI_MAX)
		return -1;
	if ((key = d2i_PUBKEY(NULL, &p, (long)len)) == NULL || p != der + len) {
		ERR_clear_error();
		if (key != NULL)
			goto out;       /* trailing bytes: not one SPKI */
		return pechat_sha256_hex(der, len, out);
	}
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "spki: EC point format");
		goto out;
	}
	if ((n = i2d_PUBKEY(key, &canon)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "spki: encode");
		goto out;
	}
	rc = pechat_sha256_hex(canon, (size_t)n, out);
out:
	OPENSSL_free(canon);
	EVP_PKEY_free(key);
	return rc;
}

/* The key hash of a DER certificate (its SubjectPublicKeyInfo as above). 0 or -1. */
int
pechat_cert_spki_sha256_hex(const unsigned char *der, size_t len, char out[65])
{
	const unsigned char *p = der;
	X509 *cert = NULL;
	unsigned char *spki = NULL;
	int n, rc = -1;

	if ((cert = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "spki: certificate does not parse");
		goto out;
	}
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "spki: certificate key");
		goto out;
	}
	rc = pechat_spki_sha256_hex(spki, (size_t)n, out);
out:
	OPENSSL_free(spki);
	X509_free(cert);
	return rc;
}
