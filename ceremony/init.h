/*
 * ceremony/init.h — `pechat init` and `pechat operator add`: the CA keys,
 * self-signed roots, the API server certificate and operator credentials
 * (PKCS#12 files). Linked by the `pechat` CLI only: pechatd has no code path
 * that creates a CA key or exports a key (the test `daemon_links` checks it).
 */
#ifndef PECHAT_CEREMONY_INIT_H
#define PECHAT_CEREMONY_INIT_H

#include "common/common.h"
#include "config/config.h"
#include "db/db.h"

/*
 * `pechat init`: for each configured issuer a root and an issuing CA, plus
 * the operators CA, the API server certificate and the demo "admin" and
 * "portal" credentials (cert, key, PKCS#12), written under conf->var_dir
 * (docs/OPERATIONS.md lists every file) and recorded in the store (issuers,
 * certificates, operators). Idempotent: on a store that already has some of
 * these, only what is missing is made (issuers of the config not in the
 * store, the TLS certificate when its cert or key file is missing,
 * operators not in the store, CA certificate files rewritten from the
 * store); nothing that exists is re-issued, changed or re-keyed, and a key
 * file is never overwritten.
 * An issuer's CA keys are the config's "key" / "root_key" references when
 * set: an existing key there is certified as it is, a missing file: key is
 * generated, a missing token (pkcs11:, engine:) key is UNAVAILABLE
 * "key_missing" (token keys are made on the token first). Otherwise they are
 * files under key_dir: a key file where a new key must go (a key the store
 * does not know) is CONFLICT "key_exists" unless force != 0, which certifies
 * that existing key instead. clock may be NULL (system clock).
 */
enum pechat_err ceremony_bootstrap(const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, int force, struct pechat_error *e);

/* What ceremony_bootstrap_report found for one item. */
enum ceremony_boot_state {
	CEREMONY_BOOT_EXISTS,           /* in the store (and its files there): kept as is */
	CEREMONY_BOOT_CREATED,          /* made now */
	CEREMONY_BOOT_FILE_RESTORED,    /* in the store; its certificate file was missing and is rewritten */
	CEREMONY_BOOT_KEY_FOUND,        /* a configured CA key that exists: certified as it is */
};
/*
 * what: "operators CA", "root CA", "issuing CA", "API TLS certificate",
 * "operator", "root CA key", "issuing CA key"; name: the issuer or operator
 * name ("" for the TLS certificate); path: its certificate file (the key
 * reference for a key); detail: NULL, or the PEM public key of a key.
 */
typedef void (*ceremony_boot_report_fn)(void *arg, enum ceremony_boot_state state, const char *what,
    const char *name, const char *path, const char *detail);

/* ceremony_bootstrap, calling report (may be NULL) for every item in the order handled. */
enum pechat_err ceremony_bootstrap_report(const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, int force, ceremony_boot_report_fn report, void *report_arg,
    struct pechat_error *e);

/*
 * `pechat operator add`: a new operator or portal with client credentials
 * from the operators CA, written as var/credentials/<name>.{crt,key,p12,
 * p12.pass} and registered (certificate, operator row and audit entry in
 * one transaction). Codes: "operator_name_invalid", "role_invalid" (422),
 * "operator_exists" (409), "store_not_initialised" (404).
 */
enum pechat_err ceremony_operator_create(const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, const char *name, const char *role, struct pechat_error *e);

#endif
