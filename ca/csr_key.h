/*
 * ca/csr_key.h — a CSR's public key without OpenSSL's key decoder
 * (ca/csr_key.c), for ca/csr.c's ca_csr_read. docs/OPENSSL.md, "Key
 * decoders on the issuance path".
 */
#ifndef PECHAT_CA_CSR_KEY_H
#define PECHAT_CA_CSR_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/spki.h"

/*
 * The request's public key (owned): EC keys on the NIST curves and
 * rsaEncryption keys without a decoder (ec_named_key, rsa_key), every other
 * key (RSA-PSS, Ed25519/Ed448, GOST through gost-engine, explicit curves)
 * through d2i_PUBKEY as d2i_X509_REQ would decode it. NULL when it does
 * not decode.
 */
EVP_PKEY *ca_csr_key(const PECHAT_SPKI_RAW *spki, const unsigned char *der, size_t len);

#endif
