/*
 * ceremony/cer_int.h — private to ceremony/: helpers its steps share.
 */
#ifndef PECHAT_CER_INT_H
#define PECHAT_CER_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/ca_make.h"
#include "ceremony/ceremony.h"

/* SHA-256 of the public key's SubjectPublicKeyInfo (pechat_spki_sha256_hex). 0 or -1. */
int cer_pub_fingerprint(EVP_PKEY *pub, char fpr[65]);

/* One audit entry by env->actor at env->now, in its own transaction. */
enum pechat_err cer_audit(const struct cer_env *env, const char *action, const char *object, const char *detail,
    struct pechat_error *e);

/* "subject SUBJECT serial HEX" of a certificate into buf, for refusals and the report. */
void cer_cert_describe(X509 *cert, char *buf, size_t bufsz);

#define CER_INPUT_MAX (64 * 1024)  /* a certificate or CRL file the ceremony reads */

/*
 * The DER of a ceremony input file: data itself (DER), or the one PEM block
 * labelled `label` (only whitespace around it, no headers) decoded into
 * *pem_der (owned, OPENSSL_free; NULL for DER input). *der / *der_len point
 * at the bytes to decode. INVALID `code` with a detail naming `what` for an
 * empty or oversized input, another or a second block, or trailing data.
 */
enum pechat_err cer_der_input(const unsigned char *data, size_t len, const char *label, const char *what,
    const char *code, unsigned char **pem_der, const unsigned char **der, size_t *der_len,
    struct pechat_error *e);

/*
 * One certificate from PEM (exactly one CERTIFICATE block, only whitespace
 * around it) or DER (no trailing bytes), at most 64 KiB. *out owned.
 * INVALID `code` with a detail naming `what` otherwise.
 */
enum pechat_err cer_cert_parse(const unsigned char *data, size_t len, const char *what, const char *code,
    X509 **out, struct pechat_error *e);

/* OK if the store has no issuer `name`; CONFLICT "issuer_exists" naming it otherwise. */
enum pechat_err cer_name_free(struct db *db, const char *name, struct pechat_error *e);

/*
 * The root `name` of this store loaded for signing (ca_signer_load): a root
 * ("issuer_unknown", "issuer_not_root"), its key opened here
 * ("key_unavailable"), not expired ("issuer_expired"). ca_signer_clear frees it.
 */
enum pechat_err cer_root_load(const struct cer_env *env, const char *name, struct ca_signer *root,
    struct pechat_error *e);

#endif
