/*
 * hsm/hsm_int.h — internal to hsm/ (and its tests): the key object shared by
 * hsm/key.c (file: and pkcs11: keys), hsm/engine.c (engine: keys) and
 * hsm/sign.c (the signing API). Callers outside hsm/ use hsm.h.
 */
#ifndef PECHAT_HSM_INT_H
#define PECHAT_HSM_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hsm.h"
#include "p11.h"

struct hsm_key {
	char *ref;
	EVP_PKEY *priv;         /* the private key (never leaves hsm/) */
	EVP_PKEY *pub;          /* public-only copy, handed out by hsm_key_public() and used to verify */
	const EVP_MD *md;       /* hsm_digest_for_key(pub), looked up once at open; NULL for Ed25519/Ed448 */
	int can_sign;           /* 0: no digest known for this key type (algorithm_unavailable) */
	ENGINE *engine;         /* engine: keys: the functional reference held while the key is open */
	_Atomic long long good_until;   /* monotonic s: a good test signature is trusted until then */
	_Atomic long long last_sign;    /* wall-clock s of the last signature started (0: none) */
	/*
	 * A context EVP_DigestSignInit made ready for priv and md (sign.c),
	 * copied for each signature; made on first use, read-only once set,
	 * freed with the key. Owned.
	 */
	EVP_MD_CTX *_Atomic sign_tmpl;
	/* Likewise for EVP_DigestVerifyInit with pub and md (sign.c, the OCSP check). Owned. */
	EVP_MD_CTX *_Atomic verify_tmpl;
	char token[P11_LABEL_MAX + 1];  /* pkcs11: the token label, "" for other keys */
	char reader[P11_READER_MAX + 1];        /* pkcs11: ?reader=, "" when not followed */
};

/* Takes ownership of priv (on success and failure): the key object with its public copy and digest. */
enum pechat_err hsm_key_wrap(const char *key_ref, EVP_PKEY *priv, struct hsm_key **out,
    struct pechat_error *e);

/*
 * Opens an "engine:ID:KEY-ID" key (hsm/engine.c). UNAVAILABLE
 * "key_unavailable" with a detail naming the reason (bad reference, unknown
 * engine, engine init, no such key, PIN source).
 */
enum pechat_err hsm_engine_key_open(const char *key_ref, struct hsm_key **out, struct pechat_error *e);

/* Parses an "engine:" reference without loading anything: 0, or -1 with a reason in why. */
int hsm_engine_ref_check(const char *ref, char *why, size_t whysz);

/* For tests: how many PIN questions engines have asked in this process (hsm/engine.c). */
unsigned long hsm_engine_pin_questions(void);

/* Drops the engine reference an engine: key holds (NULL: nothing). */
void hsm_engine_release(ENGINE *engine);

/* The reference of the throw-away keys of hsm/scratch.c (hsm_key_scratch). */
#define HSM_SCRATCH_REF "scratch:lint"

/*
 * Test fault seam: the next signature made through hsm_sign_* with a real
 * key (not a throw-away lint key) gets one bit flipped before its check, so
 * that the check fails. Only tests call it.
 */
void hsm_test_corrupt_next_signature(void);

/* The private key of a "file:" key (borrowed), or NULL for any other kind: only file keys are
 * exportable (hsm/pkcs12.c, the CLI's client credentials). */
EVP_PKEY *hsm_key_file_priv_int(const struct hsm_key *key);

/*
 * UNAVAILABLE "key_unavailable" naming the reader while the key's token is
 * absent (hsm/presence.c), forgetting the trusted good status; else OK.
 * Every signature (hsm/sign.c) and status check asks it first.
 */
enum pechat_err hsm_key_present_check(struct hsm_key *key, struct pechat_error *e);

/*
 * The ASN.1 method hook of GOST R 34.10-2012 keys (hsm/sign.c), installed on
 * gost-engine's 256 and 512 methods when the engine is loaded (hsm/key.c):
 * OpenSSL's ASN1_item_sign_ctx asks it for the signature AlgorithmIdentifiers
 * of every certificate, CRL, CSR and OCSP response a GOST key signs; it sets
 * them with the parameters ABSENT (RFC 9215 §3.2) and returns 3 ("identifiers
 * set: just sign"), 0 on failure. alg1/alg2 (either may be NULL) belong to the
 * object being signed; it, data and sig are not used.
 */
int hsm_gost_item_sign(EVP_MD_CTX *ctx, const ASN1_ITEM *it, const void *data, X509_ALGOR *alg1,
    X509_ALGOR *alg2, ASN1_BIT_STRING *sig);

#endif
