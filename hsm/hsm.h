/*
 * hsm/ — private keys behind a narrow API: open, public key, sign, status.
 * Key references: "file:/abs/or/relative/path.pem[?passphrase-source=file:/abs|env:PECHAT_PASS_NAME]"
 * (encrypted PKCS#8; docs/OPERATIONS.md "Encrypted key files") and RFC 7512 "pkcs11:..."
 * URIs through libp11 (hsm/p11.c; the accepted attributes, PIN sources and
 * the never-retried login are in docs/OPERATIONS.md "Keys on a PKCS#11
 * token") and "engine:ID:KEY-ID" keys of a vendor ENGINE (hsm/engine.c;
 * docs/OPERATIONS.md "Keys in a vendor ENGINE").
 * No caller holds the private key or a context bound to it: callers hand
 * over what to sign (hsm_sign_*) and hsm/ signs and verifies it. The API is
 * shaped so that it can move into a separate signer process without
 * changing its callers.
 *
 * OpenSSL ownership: hsm_key_public() is get0 (borrowed, valid while the
 * key is open); the objects handed to hsm_sign_* stay the caller's. A
 * struct hsm_key may be used from several threads at once: each signature
 * uses its own EVP_MD_CTX inside hsm/.
 */
#ifndef PECHAT_HSM_H
#define PECHAT_HSM_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "common/common.h"

struct hsm_key;

/* Loads engines (gost) once per process; safe to call more than once. 0 or -1. */
int hsm_global_init(void);

/* The linked OpenSSL library's version text (OpenSSL_version), for --version. */
const char *hsm_openssl_version(void);

/* For --version: gost-engine's id and name once hsm_global_init loaded it (the engine
 * exposes no version number), or "not available". Writes a NUL-terminated line into buf. */
void hsm_gost_engine_describe(char *buf, size_t bufsz);

/* Opens the key named by key_ref. UNAVAILABLE ("key_unavailable") if it cannot be loaded. */
enum pechat_err hsm_key_open(const char *key_ref, struct hsm_key **out, struct pechat_error *e);

/*
 * Generates a new key of `algorithm` ("ec-p256", "ec-p384", "ec-p521",
 * "rsa-2048", "rsa-3072", "rsa-4096", "ed25519", "gost2012-256",
 * "gost2012-512", the GOST ones optionally ":<parameter set>" with a config
 * name of common/profile.h of that size, e.g. "gost2012-256:tc26-256-b";
 * without one 256 is CryptoPro A and 512 tc26 A) and stores it at key_ref:
 * for "file:" a PKCS#8 PEM written 0600 in a 0700 directory, encrypted (AES-256-CBC, PBKDF2) when key_ref has a
 * ?passphrase-source= (an unreadable source: UNAVAILABLE, nothing written). Never overwrites: CONFLICT ("key_exists") if the
 * target exists.
 * Also accepted: "rsa-<bits>" for any multiple of 8 in 2048..16384 (issuers
 * configure 2048..8192). Unknown name: INVALID "algorithm_unknown"; GOST
 * without gost-engine: UNAVAILABLE "algorithm_unavailable". `out` may be
 * NULL (only the file is wanted).
 */
enum pechat_err hsm_key_generate(const char *key_ref, const char *algorithm,
    struct hsm_key **out, struct pechat_error *e);

/*
 * The key ceremony's generation (`pechat ceremony keygen`): a new key at
 * key_ref — a "file:" reference as hsm_key_generate, or a "pkcs11:" URI
 * whose object= and/or id= name the new pair ON the token (hsm/p11gen.c:
 * ec-p256, ec-p384, ec-p521, rsa-2048, rsa-3072, rsa-4096; private key
 * sensitive and not extractable; one login, never retried; an existing
 * object with that label or id: CONFLICT "key_exists"). *pub is the new
 * public key (owned by the caller); the private key is not opened.
 */
enum pechat_err hsm_key_create(const char *key_ref, const char *algorithm, EVP_PKEY **pub,
    struct pechat_error *e);

/*
 * A "pkcs11:" reference to a NEW object on the token of key_ref (a pkcs11:
 * reference): the same token, module-path, pin-source, development and
 * reader, with object=label and id=id[id_len] (both percent-encoded) in
 * out[outsz]. For keys the daemon makes next to an issuer's (the OCSP
 * responder keys, ca/responder.c). 0, or -1 (not pkcs11:, refused, too long).
 */
int hsm_key_ref_sibling(const char *key_ref, const char *label, const unsigned char *id, size_t id_len,
    char *out, size_t outsz);

/*
 * Destroys the key pair a "pkcs11:" reference names on its token (the
 * private and public objects with its object= label AND id=), only when
 * that label begins with label_prefix, so that no other key can ever be
 * hit (pechatd's rotated-out OCSP responder keys, ca/responder.c).
 * PECHAT_OK when destroyed or already gone (*destroyed: objects destroyed);
 * INVALID "key_not_destroyable" for another kind of reference, a reference
 * without both label and id, or a label outside the prefix; UNAVAILABLE
 * "key_unavailable" naming the token otherwise. Logs in at most once, not
 * at all when the process is logged in; a token whose login failed: refused.
 */
enum pechat_err hsm_key_destroy(const char *key_ref, const char *label_prefix, int *destroyed,
    struct pechat_error *e);

/*
 * "offline:<label>": the reference of a key kept off this machine (an
 * offline root imported by `pechat ceremony import`). hsm_key_open refuses
 * it (UNAVAILABLE "key_offline"); ca/ loads such an issuer without a key,
 * which is its normal state, not a key problem.
 */
#define HSM_KEY_REF_OFFLINE "offline:"

/* 1 if key_ref is an HSM_KEY_REF_OFFLINE reference. */
int hsm_key_ref_offline(const char *key_ref);

/* The public key (get0: borrowed). */
EVP_PKEY *hsm_key_public(const struct hsm_key *key);

/*
 * The digest that follows a signing key, the one rule for every signature:
 * EC by curve (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512; RFC 5758 §3.2),
 * RSA SHA-256 at every size (PKCS#1 v1.5; RFC 4055 §5), GOST R 34.10-2012
 * Streebog of the key's size (RFC 9215 §4, gost-engine's md_gost12_256/512),
 * NULL for Ed25519/Ed448 (pure EdDSA, RFC 8410 §6) and for keys we do not
 * know (explicit-parameter curves included: cannot sign). Looked up by name
 * (EVP_get_digestbyname, so engine digests are found); hsm/ calls it once per
 * key at open and keeps the result.
 */
const EVP_MD *hsm_digest_for_key(EVP_PKEY *pub);

/* Upper bound of a signature hsm_sign_data makes (RSA-16384: 2048 bytes). */
#define HSM_SIG_MAX 2048

/*
 * The signing API: the caller hands over what to sign, hsm/ signs it with
 * the key (digest: hsm_digest_for_key; RSA with PKCS#1 v1.5 padding, the
 * one RFC 5280 certificates and CRLs use) and verifies the new signature
 * with the key's public half before returning (sign-then-verify). A
 * signature that does not verify is INTERNAL "signature_check_failed",
 * logged with the key reference; the object then carries a bad signature
 * and must not be used (the caller frees it). Other codes: UNAVAILABLE
 * "key_unavailable" (no key; the key cannot sign now), "algorithm_unavailable"
 * (no digest for the key type), "signing_failed" (the key refused to sign);
 * NOMEM. The object stays the caller's (borrowed); safe from several
 * threads with one key (each call has its own EVP_MD_CTX).
 */
/* X509_sign_ctx on cert (its TBS complete), then X509_verify (not for hsm_key_scratch keys: lint only). */
enum pechat_err hsm_sign_x509(struct hsm_key *key, X509 *cert, struct pechat_error *e);
/* X509_CRL_sign_ctx on crl, then X509_CRL_verify. */
enum pechat_err hsm_sign_crl(struct hsm_key *key, X509_CRL *crl, struct pechat_error *e);
/* X509_REQ_sign_ctx on req (a CSR for this key), then X509_REQ_verify. */
enum pechat_err hsm_sign_req(struct hsm_key *key, X509_REQ *req, struct pechat_error *e);
/*
 * OCSP_basic_sign_ctx(bs, signer, ctx, certs, flags) (signer: the responder
 * certificate for key, borrowed; certs may be NULL), then the
 * BasicOCSPResponse signature verified over its ResponseData.
 */
enum pechat_err hsm_sign_ocsp(struct hsm_key *key, OCSP_BASICRESP *bs, X509 *signer,
    STACK_OF(X509) *certs, unsigned long flags, struct pechat_error *e);
/*
 * A raw signature over tbs[tbslen] (EVP_DigestSign) into sig[*siglen]
 * (in: its size, HSM_SIG_MAX is always enough; out: the length), verified
 * with EVP_DigestVerify. On failure *siglen is 0 and sig is cleansed.
 */
enum pechat_err hsm_sign_data(struct hsm_key *key, const unsigned char *tbs, size_t tbslen,
    unsigned char *sig, size_t *siglen, struct pechat_error *e);

/*
 * A throw-away key of like's algorithm and parameters (EC curve, RSA size,
 * GOST R 34.10-2012 size and parameter set, Ed25519/Ed448; hsm/scratch.c)
 * for the linter: what the CA key would sign is first signed with it
 * through the same hsm_sign_* calls, so the encoding is the same, and
 * linted. Made in memory once per process and parameter choice (thread-
 * safe), never stored. *out is BORROWED (lives until the process ends).
 * INTERNAL "algorithm_unavailable" for a key type it cannot make.
 */
enum pechat_err hsm_key_scratch(EVP_PKEY *like, struct hsm_key **out, struct pechat_error *e);

/*
 * PECHAT_OK if the key can sign right now: a real test signature over a
 * fixed probe (hsm_sign_data: the key's digest, verified with the public key).
 * A good result is trusted for 5 s (no new signature); a failure is not.
 */
enum pechat_err hsm_key_status(struct hsm_key *key, struct pechat_error *e);

/* The key_ref it was opened with (borrowed). */
const char *hsm_key_ref(const struct hsm_key *key);

/*
 * ADDED (`pechat init`'s demo credentials; hsm/pkcs12.c, called by the CLI's
 * ceremony/ only, so pechatd does not contain it): a DER PKCS#12 (RFC 7292) of the key with `cert` and `chain` (may be NULL), protected by `pass` with
 * OpenSSL 3.0's defaults (AES-256-CBC, PBKDF2, HMAC-SHA-256). Only "file:"
 * keys are exportable (FORBIDDEN "key_not_exportable" otherwise) so that
 * private key material never leaves hsm/ through any other door.
 * *der is OPENSSL_malloc'd and owned by the caller (OPENSSL_free).
 */
enum pechat_err hsm_key_pkcs12(struct hsm_key *key, X509 *cert, STACK_OF(X509) *chain,
    const char *friendly, const char *pass, unsigned char **der, size_t *len,
    struct pechat_error *e);

void hsm_key_free(struct hsm_key *key);

/* ---------------------------------------------------------- token presence */
/*
 * hsm/presence.c, docs/OPERATIONS.md "Token presence (PC/SC)". A key whose
 * reference names a reader (pkcs11:...?reader=NAME) is usable only while a
 * card is in that reader: with the card out, every hsm_sign_* and
 * hsm_key_status answer UNAVAILABLE "key_unavailable" ("token absent").
 */
enum hsm_presence {
	HSM_PRESENCE_NONE = 0,          /* no reader configured: not followed */
	HSM_PRESENCE_PRESENT,
	HSM_PRESENCE_ABSENT,
	HSM_PRESENCE_UNKNOWN            /* followed, PC/SC not answering (signing is attempted) */
};

/* Called by the watcher thread after a presence change (a card out or back). */
typedef void (*hsm_presence_cb)(void *arg);

/*
 * Starts the watcher thread (one per process) when a reader is followed or
 * the test seam is on; cb (may be NULL) is called after each change.
 * SCardGetStatusChange waits at most 500 ms, so hsm_presence_stop returns
 * within about that. PECHAT_OK, or INTERNAL when the thread cannot start.
 */
enum pechat_err hsm_presence_start(hsm_presence_cb cb, void *arg, struct pechat_error *e);
void hsm_presence_stop(void);

/* The presence of a key's token; the reader's name into reader[readersz] ("" if none). */
enum hsm_presence hsm_key_presence(const struct hsm_key *key, char *reader, size_t readersz);

/* "none", "present", "absent", "unknown". */
const char *hsm_presence_name(enum hsm_presence p);

/*
 * TEST SEAM (docs/OPERATIONS.md "Token presence"): marks `name` (a key
 * reference, a token label or a reader name) absent (present = 0) or no
 * longer absent (present = 1). Honoured only while the environment variable
 * PECHAT_TEST_TOKEN_PRESENCE is set (pechatd then follows that file instead
 * of PC/SC): 0, or -1 when the seam is off or full.
 */
int hsm_presence_set(const char *name, int present);

/* "file", "pkcs11" or "engine" (borrowed). */
const char *hsm_key_kind(const struct hsm_key *key);

/*
 * Parses key_ref as hsm_key_open would, without opening anything (no file
 * read, no module loaded, no PIN asked): file: (with its passphrase
 * source), pkcs11:, engine: and offline: references. 0, or -1 with a
 * one-line reason in why[whysz].
 */
int hsm_key_ref_check(const char *key_ref, char *why, size_t whysz);

/*
 * key_ref without secrets' locations: a pin-source= or passphrase-source=
 * "file:PATH" becomes "file:(redacted)"; "env:NAME" stays (a name, not a
 * secret). Never more than bufsz - 1 bytes (truncated with "...").
 */
void hsm_key_ref_redact(const char *key_ref, char *buf, size_t bufsz);

/* Wall-clock time of the last signature started with this key through hsm/ (0: none yet). */
time_t hsm_key_last_signature(const struct hsm_key *key);

#endif
