/*
 * ceremony/rollover.h — `pechat ceremony rollover`: a new generation of an
 * issuing CA (new key, certificate signed by the same root, its own serials,
 * CRLs and OCSP) that takes over new requests from the old one, which keeps
 * publishing CRLs and OCSP answers for its own certificates. CLI only: the
 * daemon links no code that creates a CA key.
 */
#ifndef PECHAT_CEREMONY_ROLLOVER_H
#define PECHAT_CEREMONY_ROLLOVER_H

#include "ca/ca.h"
#include "config/config.h"

/* What to roll over and how; everything borrowed. */
struct ceremony_rollover {
	const char *issuer;             /* the newest generation of a configured issuer */
	const char *new_name;           /* the new issuer's store name (URLs /ca/NAME.crt, /crl/NAME.crl) */
	const char *key_ref;            /* an existing key (file:, pkcs11:), or NULL: a new file key */
	const char *algorithm;          /* hsm_key_generate name for a new key, or NULL: as the old key */
	int days;                       /* validity, or 0: the configured issuer's validity_days (3650) */
	const char *actor;              /* audit actor ("cli:<OS user>") */
};

/* What was made (for the CLI's report). */
struct ceremony_rollover_result {
	char root[64];                  /* the root that signed the new certificate */
	char serial[65];                /* the new certificate's serial */
	char key_ref[512];              /* where its key is */
	char cert_path[4200];           /* the PEM written under var_dir/certs */
	time_t not_after;
};

/*
 * The rollover: ca_succession_precheck (codes there); the root (the old
 * issuer's parent) loaded with its key ("root_key_unavailable" 503, naming
 * the root and its key), not revoked or on hold ("issuer_revoked" 409,
 * "issuer_on_hold" 503) nor expired ("issuer_expired" 503); the new key
 * made at <key_dir>/<new_name>.key (never over an existing file:
 * "key_exists" 409) or opened at key_ref, and not the old issuer's key
 * ("key_reused" 409); the certificate (CA, pathLen 0, keyCertSign +
 * cRLSign, the root's CDP and AIA) signed by the root; its certificates
 * row, issuers row and succession (ca_succession_record) in one
 * transaction, audited ("issuer.create", "issuer.rollover"). On failure
 * nothing is stored and a key file made here is removed.
 */
enum pechat_err ceremony_rollover(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    const struct ceremony_rollover *r, struct ceremony_rollover_result *out, struct pechat_error *e);

#endif
