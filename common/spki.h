/*
 * common/spki.h — a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) read by
 * OpenSSL's ASN.1 templates WITHOUT decoding its key: d2i_X509_PUBKEY and
 * d2i_X509 in OpenSSL 3.0 look a key decoder up on every parse, a large
 * share of an issuance's CPU. The item is defined in common/spki.c, for its
 * key hash and for ca/cert_der.c's certificate template.
 */
#ifndef PECHAT_COMMON_SPKI_H
#define PECHAT_COMMON_SPKI_H

#include <openssl/asn1.h>
#include <openssl/x509.h>

typedef struct {
	X509_ALGOR *algor;
	ASN1_BIT_STRING *key;
} PECHAT_SPKI_RAW;

DECLARE_ASN1_ITEM(PECHAT_SPKI_RAW)

#endif
