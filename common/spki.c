/*
 * common/spki.c — the SHA-256 of a public key, the same whichever way it
 * was encoded: what the key checks of requests look up (docs/REGISTRATION.md,
 * "Key checks"), written for every certificate by db/certs.c.
 */
#include "common/common.h"
#include "common/profile.h"
#include "common/spki.h"

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

/* Refuse absurd inputs before parsing: the largest SPKI we accept (RSA 16384) is ~2.1 KiB. */
#define SPKI_MAX (16 * 1024)

/* See common/spki.h. */
ASN1_SEQUENCE(PECHAT_SPKI_RAW) = {
	ASN1_SIMPLE(PECHAT_SPKI_RAW, algor, X509_ALGOR),
	ASN1_SIMPLE(PECHAT_SPKI_RAW, key, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END(PECHAT_SPKI_RAW)

/*
 * 1 when der is already the canonical form pechat_spki_sha256_hex would
 * make: DER (it encodes back to the same bytes) of an EC key on a named
 * curve with an uncompressed point — what almost every CSR sends. Its hash
 * is then the SHA-256 of der itself, no key decoded. 0 otherwise.
 */
static int
spki_already_canonical(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	const ASN1_OBJECT *alg;
	const void *param;
	unsigned char *again = NULL;
	PECHAT_SPKI_RAW *s;
	int ptype, n, ok = 0;

	if ((s = (PECHAT_SPKI_RAW *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(PECHAT_SPKI_RAW))) == NULL) {
		ERR_clear_error();
		return 0;
	}
	X509_ALGOR_get0(&alg, &ptype, &param, s->algor);
	if (p == der + len && OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT &&
	    s->key->length > 1 && s->key->data[0] == 0x04 && (s->key->flags & 0x07) == 0 &&
	    (n = ASN1_item_i2d((ASN1_VALUE *)s, &again, ASN1_ITEM_rptr(PECHAT_SPKI_RAW))) == (int)len &&
	    memcmp(again, der, len) == 0)
		ok = 1;
	OPENSSL_free(again);
	ASN1_item_free((ASN1_VALUE *)s, ASN1_ITEM_rptr(PECHAT_SPKI_RAW));
	return ok;
}

/*
 * SHA-256 (hex) of a SubjectPublicKeyInfo: the key is decoded and encoded
 * again (i2d_PUBKEY; skipped when spki_already_canonical), an EC point always uncompressed, so a CSR that sends
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
	if (spki_already_canonical(der, len))
		return pechat_sha256_hex(der, len, out);
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

/*
 * See common/profile.h. The key is encoded as an SPKI (i2d through
 * X509_PUBKEY_set) and its AlgorithmIdentifier parameters decoded by OpenSSL
 * as a SEQUENCE whose first element is the parameter set OID. Everything
 * made here is freed here; pub is borrowed.
 */
const struct pechat_gost_paramset_info *
pechat_gost_paramset_of_key(EVP_PKEY *pub)
{
	const struct pechat_gost_paramset_info *ps = NULL;
	X509_PUBKEY *xp = NULL;
	X509_ALGOR *alg = NULL;
	STACK_OF(ASN1_TYPE) *seq = NULL;
	const ASN1_TYPE *first;
	const void *pval = NULL;
	const unsigned char *p;
	int ptype = V_ASN1_UNDEF, id;

	if (pub == NULL)
		return NULL;
	id = EVP_PKEY_get_base_id(pub);
	if (id != NID_id_GostR3410_2012_256 && id != NID_id_GostR3410_2012_512)
		return NULL;
	if (X509_PUBKEY_set(&xp, pub) != 1 || X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, xp) != 1)
		goto out;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE || pval == NULL)
		goto out;
	p = ASN1_STRING_get0_data(pval);
	if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(pval))) == NULL || sk_ASN1_TYPE_num(seq) < 1)
		goto out;
	first = sk_ASN1_TYPE_value(seq, 0);
	if (ASN1_TYPE_get(first) == V_ASN1_OBJECT)
		ps = pechat_gost_paramset_by_nid(OBJ_obj2nid(first->value.object));
	if (ps != NULL && ps->keyalg != (id == NID_id_GostR3410_2012_256 ? PECHAT_KEYALG_GOST2012_256 :
	    PECHAT_KEYALG_GOST2012_512))
		ps = NULL;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	X509_PUBKEY_free(xp);
	ERR_clear_error();
	return ps;
}
