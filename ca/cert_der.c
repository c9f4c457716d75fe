/*
 * ca/cert_der.c — a certificate's DER read without decoding its public
 * key: the check that a signed certificate parses (ca_cert_der_check,
 * build.c step 6) and the subject of a stored one (ca_cert_der_subject_name,
 * for API replies).
 *
 * d2i_X509 in OpenSSL 3.0 decodes the SubjectPublicKeyInfo into an EVP_PKEY
 * through OSSL_DECODER_CTX_new_for_pkey, a decoder look-up that costs more
 * than the CA's signature. The templates below are RFC 5280 §4.1's
 * Certificate and TBSCertificate made of OpenSSL's own exported ASN.1 items
 * (X509_ALGOR, X509_NAME, X509_VAL, X509_EXTENSION, ASN1_INTEGER,
 * ASN1_BIT_STRING), the same layout as OpenSSL's X509_CINF, with the key
 * kept as its AlgorithmIdentifier and BIT STRING: OpenSSL's DER decoder
 * parses every field, nothing is parsed by hand. Everything made here is
 * freed here.
 */
#include "ca_int.h"
#include "common/spki.h"

#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/x509.h>

/* TBSCertificate (RFC 5280 §4.1), fields as OpenSSL's X509_CINF. */
typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *signature;
	X509_NAME *issuer;
	X509_VAL *validity;
	X509_NAME *subject;
	PECHAT_SPKI_RAW *key;           /* common/spki.h: the key not decoded */
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) *extensions;
} CERT_DER_TBS;

ASN1_SEQUENCE(CERT_DER_TBS) = {
	ASN1_EXP_OPT(CERT_DER_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(CERT_DER_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(CERT_DER_TBS, signature, X509_ALGOR),
	ASN1_SIMPLE(CERT_DER_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(CERT_DER_TBS, validity, X509_VAL),
	ASN1_SIMPLE(CERT_DER_TBS, subject, X509_NAME),
	ASN1_SIMPLE(CERT_DER_TBS, key, PECHAT_SPKI_RAW),
	ASN1_IMP_OPT(CERT_DER_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(CERT_DER_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(CERT_DER_TBS, extensions, X509_EXTENSION, 3)
} static_ASN1_SEQUENCE_END(CERT_DER_TBS)

/* Certificate (RFC 5280 §4.1). */
typedef struct {
	CERT_DER_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
} CERT_DER;

ASN1_SEQUENCE(CERT_DER) = {
	ASN1_SIMPLE(CERT_DER, tbs, CERT_DER_TBS),
	ASN1_SIMPLE(CERT_DER, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(CERT_DER, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CERT_DER)

/* der as one Certificate with nothing after it (owned by the caller), or NULL. */
static CERT_DER *
cert_der_parse(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	CERT_DER *c;

	if (len == 0 || len > (size_t)CA_CERT_DER_MAX)
		return NULL;
	if ((c = (CERT_DER *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CERT_DER))) != NULL &&
	    p != der + len) {
		ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(CERT_DER));
		c = NULL;
	}
	return c;
}

/* See ca_int.h. */
int
ca_cert_der_subject_name(const unsigned char *der, size_t len, X509_NAME **out)
{
	CERT_DER *c = cert_der_parse(der, len);

	*out = NULL;
	if (c != NULL) {        /* the parsed subject taken over, not copied (a copy re-encodes it) */
		*out = c->tbs->subject;
		c->tbs->subject = NULL;
	}
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(CERT_DER));
	return *out != NULL ? 0 : -1;
}

/*
 * See ca_int.h: der is one Certificate and nothing after it, encoded as DER
 * (it encodes back to the same bytes), with a version 3 TBS.
 */
int
ca_cert_der_check(const unsigned char *der, size_t len)
{
	unsigned char *again = NULL;
	CERT_DER *c;
	int n, rc = -1;

	if ((c = cert_der_parse(der, len)) == NULL)
		goto out;
	if (c->tbs->version == NULL || ASN1_INTEGER_get(c->tbs->version) != X509_VERSION_3)
		goto out;
	if ((n = ASN1_item_i2d((ASN1_VALUE *)c, &again, ASN1_ITEM_rptr(CERT_DER))) != (int)len ||
	    memcmp(again, der, len) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(again);
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(CERT_DER));
	return rc;
}
