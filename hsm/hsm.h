/*
 * hsm/ — private keys behind a narrow API: open, public key, sign, status.
 * Key references: "file:/abs/or/relative/path.pem[?passphrase-source=file:/abs|env:PECHAT_PASS_NAME]"
 * (encrypted PKCS#8; docs/OPERATIONS.md "Encrypted key files") and RFC 7512 "pkcs11:..."
 * URIs through libp11 (hsm/p11.c; the accepted attributes, PIN sources and
 * the never-retried login are in docs/OPERATIONS.md "Keys on a PKCS#11
 * token"); ENGINE keys come with the HSM issue. The API is shaped so that it can
 * move into a separate signer process without changing its callers.
 *
 * OpenSSL ownership: hsm_key_public() is get0 (borrowed, valid while the
 * key is open). A struct hsm_key may be used from several threads at once:
 * each signature uses the caller's own EVP_MD_CTX.
 */
#ifndef PECHAT_HSM_H
#define PECHAT_HSM_H

#include <time.h>

#include <openssl/evp.h>
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
 * "gost2012-512") and stores it at key_ref: for "file:" a PKCS#8 PEM written
 * 0600 in a 0700 directory, encrypted (AES-256-CBC, PBKDF2) when key_ref has a
 * ?passphrase-source= (an unreadable source: UNAVAILABLE, nothing written). Never overwrites: CONFLICT ("key_exists") if the
 * target exists.
 * Also accepted: "rsa-<bits>" for any multiple of 8 in 2048..16384 (issuers
 * configure 2048..8192). Unknown name: INVALID "algorithm_unknown"; GOST
 * without gost-engine: UNAVAILABLE "algorithm_unavailable". `out` may be
 * NULL (only the file is wanted).
 */
enum pechat_err hsm_key_generate(const char *key_ref, const char *algorithm,
    struct hsm_key **out, struct pechat_error *e);

/* The public key (get0: borrowed). */
EVP_PKEY *hsm_key_public(const struct hsm_key *key);

/*
 * Initialises ctx (a fresh EVP_MD_CTX owned by the caller) to sign with this
 * key and digest md (NULL for Ed25519). After this the caller hands ctx to
 * X509_sign_ctx / X509_CRL_sign_ctx / OCSP_BASICRESP_sign_ctx / EVP_DigestSign.
 */
enum pechat_err hsm_key_sign_init(struct hsm_key *key, EVP_MD_CTX *ctx, const EVP_MD *md,
    struct pechat_error *e);

/*
 * PECHAT_OK if the key can sign right now: a real test signature over a
 * fixed probe with the key's default digest, verified with the public key.
 * A good result is trusted for 5 s (no new signature); a failure is not.
 */
enum pechat_err hsm_key_status(struct hsm_key *key, struct pechat_error *e);

/* The key_ref it was opened with (borrowed). */
const char *hsm_key_ref(const struct hsm_key *key);

/*
 * ADDED (ca_bootstrap's demo credentials): a DER PKCS#12 (RFC 7292) of the
 * key with `cert` and `chain` (may be NULL), protected by `pass` with
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
 * card is in that reader: with the card out, hsm_key_sign_init and
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
 * key_ref without secrets' locations: a pin-source= or passphrase-source=
 * "file:PATH" becomes "file:(redacted)"; "env:NAME" stays (a name, not a
 * secret). Never more than bufsz - 1 bytes (truncated with "...").
 */
void hsm_key_ref_redact(const char *key_ref, char *buf, size_t bufsz);

/* Wall-clock time of the last signature started with this key through hsm/ (0: none yet). */
time_t hsm_key_last_signature(const struct hsm_key *key);

#endif
