/*
 * hsm/p11.h — internal to hsm/ (and its tests): RFC 7512 "pkcs11:" key
 * references and the per-process token table. Callers outside hsm/ use hsm.h.
 */
#ifndef PECHAT_HSM_P11_H
#define PECHAT_HSM_P11_H

#include <stddef.h>

#include <openssl/evp.h>

#include "common/common.h"

#define P11_URI_MAX     2048    /* a longer key reference is refused */
#define P11_LABEL_MAX   64      /* CK_TOKEN_INFO label: 32 bytes; room for UTF-8 */
#define P11_OBJECT_MAX  128
#define P11_ID_MAX      64
#define P11_PATH_MAX    1024
#define P11_READER_MAX  127     /* a PC/SC reader name (pcsc-lite: MAX_READERNAME 128 with NUL) */

/* A parsed "pkcs11:" key reference (see docs/OPERATIONS.md "Keys on a PKCS#11 token"). */
struct p11_uri {
	char token[P11_LABEL_MAX + 1];          /* token= (required) */
	char object[P11_OBJECT_MAX + 1];        /* object= (label), "" if absent */
	unsigned char id[P11_ID_MAX];           /* id= (CKA_ID bytes) */
	size_t id_len;                          /* 0: no id= */
	char module[P11_PATH_MAX + 1];          /* ?module-path= (required) */
	char pin_file[P11_PATH_MAX + 1];        /* ?pin-source=file:PATH, "" if env */
	char pin_env[P11_LABEL_MAX + 1];        /* ?pin-source=env:PECHAT_PIN_..., "" if file */
	int development;                        /* ?development=1: factory-default PINs allowed */
	char reader[P11_READER_MAX + 1];        /* ?reader=NAME: PC/SC reader watched for presence, "" if none */
};

/*
 * Parses a "pkcs11:" reference into *u. 0, or -1 with a one-line reason in
 * why[whysz] (unknown or repeated attribute, pin-value, bad percent-encoding,
 * overlong, missing token/module-path/pin-source/object-or-id).
 */
int p11_uri_parse(const char *uri, struct p11_uri *u, char *why, size_t whysz);

/*
 * Opens the private key a parsed reference names: loads the module, finds
 * the token by label, logs in once per token per process (a failed login
 * disables the token for the life of the process: never retried), finds
 * the private key by id and/or label. *priv is owned by the caller.
 * UNAVAILABLE "key_unavailable" with a detail naming the token on failure.
 */
enum pechat_err p11_key_open(const struct p11_uri *u, EVP_PKEY **priv, struct pechat_error *e);

/*
 * The PIN a reference names (file or environment) into pin[pinsz]; a
 * factory-default PIN is refused unless u->development. 0, or -1 with why.
 */
int p11_pin_read(const struct p11_uri *u, char *pin, size_t pinsz, char *why, size_t whysz);

/*
 * Generates a key pair ON the token (hsm/p11gen.c, C_GenerateKeyPair) with
 * the reference's label and/or id: private key token, private, sensitive,
 * not extractable. One login, never retried. CONFLICT "key_exists" if an
 * object with that label or id is on the token; INVALID "algorithm_unknown"
 * for an algorithm a token does not make here; UNAVAILABLE "key_unavailable"
 * naming the token otherwise. *pub (the new public key) owned by the caller.
 */
enum pechat_err p11_key_generate(const struct p11_uri *u, const char *algorithm, EVP_PKEY **pub,
    struct pechat_error *e);

/*
 * For p11_key_generate in a process that may already use the token through
 * libp11: takes the token table lock (keeps it on success, so that no libp11
 * login runs during the generation) and refuses (-1 with why, lock released)
 * a token whose login failed earlier in this process (never retried).
 * p11_token_release drops the lock.
 */
int p11_token_hold(const struct p11_uri *u, char *why, size_t whysz);
void p11_token_release(void);

/* Counts one C_Login made outside libp11 (hsm/p11gen.c) in p11_login_attempts. */
void p11_login_note(void);

/*
 * Destroys every object on the token with the reference's label AND id
 * (hsm/p11gen.c; u->object and u->id_len must be set). OK when none is
 * left (*destroyed: how many went); UNAVAILABLE "key_unavailable" naming the
 * token. Logged in as p11_key_generate (at most once, never retried).
 */
enum pechat_err p11_key_destroy(const struct p11_uri *u, int *destroyed, struct pechat_error *e);

/* For tests: how many C_Login calls (PKCS11_login, p11gen's) this process has made. */
unsigned long p11_login_attempts(void);

#endif
