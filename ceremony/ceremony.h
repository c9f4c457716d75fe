/*
 * ceremony/ceremony.h — the key ceremony (`pechat ceremony keygen|root|csr|
 * sign|import`): CA key generation, a self-signed root, an issuing CA's
 * CSR, its signature by a root that stays offline, and the import of the
 * signed certificate on the online machine with every check. Linked by the
 * `pechat` CLI only: pechatd has no code path that makes a CA key or a CA
 * certificate. Every step appends an audit entry with the operator as actor.
 *
 * Borrowed everything; *out results are the caller's (X509_free,
 * X509_REQ_free). Refusals carry a stable code and a detail that names
 * what is wrong (key reference, subject, serial).
 */
#ifndef PECHAT_CEREMONY_H
#define PECHAT_CEREMONY_H

#include <time.h>

#include <openssl/x509.h>

#include "common/common.h"
#include "db/db.h"

struct db;

/* What every step needs: the store of THIS machine, who acts, when, the public base URL. */
struct cer_env {
	struct db *db;
	const char *actor;              /* audit actor, "cli:<OS user>" */
	time_t now;
	const char *base_url;           /* public_base_url without a trailing '/' (CDP/AIA of sign) */
};

/* Bounds of the command line. */
#define CER_DAYS_MAX 36500
#define CER_PATHLEN_MAX 8

/*
 * A new key at key_ref (a "file:" reference or a "pkcs11:" URI naming the
 * new object on a token: hsm_key_create), audited as "ceremony.keygen".
 * fpr = SHA-256 of its SubjectPublicKeyInfo (lower-case hex).
 */
enum pechat_err cer_keygen(const struct cer_env *env, const char *key_ref, const char *algorithm,
    char fpr[65], struct pechat_error *e);

/*
 * Parses "CN=...,O=...,OU=...,C=..,ST=...,L=..." (no escapes: a backslash,
 * quote, '+' or an empty value is refused, C is two capital letters; each
 * attribute once, only OU repeats, at most 8 parts) into
 * a DN with the encodings of docs/SUBJECTS.md. *out owned.
 * INVALID "subject_invalid" naming the part.
 */
enum pechat_err cer_dn_parse(const char *dn, X509_NAME **out, struct pechat_error *e);

/*
 * A self-signed root `name` with the key at key_ref: serial reserved,
 * certificate row, issuers row (kind root, key_ref as given) and audit
 * "ceremony.root" in the store. pathlen -1: none. CONFLICT
 * "issuer_exists" if the store has that name.
 */
enum pechat_err cer_root(const struct cer_env *env, const char *name, const char *key_ref, const char *dn,
    int days, int pathlen, X509 **out, struct pechat_error *e);

/* A PKCS#10 request for the key at key_ref, signed through hsm/ and verified; audit "ceremony.csr". */
enum pechat_err cer_csr(const struct cer_env *env, const char *key_ref, const char *dn, X509_REQ **out,
    struct pechat_error *e);

/*
 * The offline machine's signature of an issuing CA: the CSR (PEM or DER)
 * parsed and its self-signature checked (ca_csr_parse), its key checked
 * (EC P-256/384/521 or RSA >= 3072), then a certificate for its subject
 * and key from the root `root` (kind root, in this store, in good
 * standing): CA:TRUE critical with `pathlen`, keyUsage keyCertSign+cRLSign
 * critical, SKI/AKI, the root's CDP and caIssuers under base_url, notAfter
 * clipped to the root's. Serial + certificate row + audit
 * "ceremony.sign".
 */
enum pechat_err cer_sign(const struct cer_env *env, const char *root, const unsigned char *csr, size_t csr_len,
    int days, int pathlen, X509 **out, struct pechat_error *e);

/* What cer_import stored. */
struct cer_import_result {
	char root_name[64];
	int root_added;                 /* 0: the store already had that root */
	char serial[65];                /* the issuing CA certificate's serial */
	char root_serial[65];
};

/*
 * The online machine's import of an issuing CA signed offline. Refused,
 * with the code and a detail naming what is wrong: a certificate that is
 * not a CA, lacks keyCertSign/cRLSign, has a pathLenConstraint other than
 * 0 ("ca_cert_invalid"); a root that is not self-signed or not a CA
 * ("root_cert_invalid"); a certificate not signed by that root
 * ("ca_cert_not_from_root"); either outside its validity
 * ("ca_cert_not_valid_now"); a key that does not match the certificate
 * ("issuer_key_mismatch", naming the key reference, subject and serial);
 * a name already used ("issuer_exists"), a serial already in this store
 * ("serial_taken"), an "offline:" key_ref ("key_offline"). On success, in one transaction:
 * the root (unless the store has it under root_name) as an issuers row of
 * kind root with key_ref "offline:<root_name>", the issuing CA as kind
 * issuing, parent root_name, key_ref as given; both certificate rows,
 * their serials and key hashes, an audit entry each.
 */
enum pechat_err cer_import(const struct cer_env *env, const char *name, const char *key_ref,
    const unsigned char *cert, size_t cert_len, const unsigned char *root_cert, size_t root_len,
    const char *root_name, struct cer_import_result *out, struct pechat_error *e);

/*
 * cer_import of an issuing CA that succeeds the issuing CA `succeeds`
 * (NULL: plain cer_import): ca_succession_precheck before anything else
 * (its codes: "issuer_unknown", "issuer_not_issuing", "issuer_not_newest",
 * "issuer_exists"); the certificate must come from the predecessor's root
 * (root_name is replaced by it), and the succession is recorded
 * (ca_succession_record, audit "issuer.rollover") in the import's
 * transaction. pechatd sends new requests to the successor after a restart.
 */
enum pechat_err cer_import_successor(const struct cer_env *env, const char *name, const char *key_ref,
    const unsigned char *cert, size_t cert_len, const unsigned char *root_cert, size_t root_len,
    const char *root_name, const char *succeeds, struct cer_import_result *out, struct pechat_error *e);

/* ------------------------------------------- the offline root's CRL (root_crl.c) */

/* Bounds: a CRL's --days, and the clock skew an imported CRL's thisUpdate may have. */
#define CER_CRL_DAYS_MAX 366
#define CER_CRL_SKEW_S 300

/*
 * Offline machine: revokes the issuing CA certificate `serial` (hex) that
 * the root `root` of this store signed (`pechat ceremony sign`). reason: an
 * RFC 5280 name (NULL: unspecified; cACompromise, keyCompromise, ...;
 * "reason_invalid"). Codes: "issuer_unknown" (404), "issuer_not_root"
 * (422), "serial_invalid" (400), "certificate_unknown" (404),
 * "certificate_not_issuing_ca" (422: not an issuing CA certificate of that
 * root), "already_revoked" (409). Event under the root, audit
 * "ceremony.revoke" (object the serial), one transaction. *out: the event.
 */
enum pechat_err cer_revoke(const struct cer_env *env, const char *root, const char *serial, const char *reason,
    const char *comment, struct db_revocation *out, struct pechat_error *e);

/* What cer_crl made. */
struct cer_crl_result {
	int64_t number;
	int entries;
	time_t this_update, next_update;
};

/*
 * Offline machine: a full CRL of the root `root` (its key opened here,
 * root_load's checks) listing the last status of every certificate it
 * signed (revoked, on hold), thisUpdate now, nextUpdate now + days
 * (1..CER_CRL_DAYS_MAX), number above every CRL of this root in the store
 * and never below the clock in milliseconds (as pechatd numbers CRLs).
 * Stored in the crls table and audited ("ceremony.crl") in one
 * transaction. *der: the DER CRL (OPENSSL_free).
 */
enum pechat_err cer_crl(const struct cer_env *env, const char *root, int days, unsigned char **der, size_t *len,
    struct cer_crl_result *out, struct pechat_error *e);

/* What cer_import_crl stored. */
struct cer_import_crl_result {
	int64_t number;
	int entries;            /* entries in the CRL */
	int recorded;           /* new revocation/hold events of this store's certificates */
	time_t next_update;
};

/*
 * Online machine: the CRL of the offline root `root` (PEM "X509 CRL" or
 * DER, at most 64 KiB) checked and stored for pechatd to serve at
 * /crl/<root>.crl. Refused, storing nothing: not one CRL, a delta CRL, no
 * cRLNumber or nextUpdate, nextUpdate not after thisUpdate ("crl_invalid",
 * 400); `root` is not a root of this store ("issuer_unknown" 404,
 * "issuer_not_root" 422); issuer name not the root's subject
 * ("crl_issuer_mismatch", 422); signature not the root's
 * ("crl_signature_invalid", 422); number not above the last stored
 * ("crl_number_not_newer", 409); thisUpdate more than CER_CRL_SKEW_S in
 * the future ("crl_not_yet_valid", 422). In one transaction: each entry
 * naming a certificate of this store signed by the root (the issuing CAs
 * imported under it) becomes a revocation event (revoke with its reason, or
 * hold for certificateHold) unless its status already says so; the CRL row
 * (kind full); audit "ceremony.import-crl".
 */
enum pechat_err cer_import_crl(const struct cer_env *env, const char *root, const unsigned char *data, size_t len,
    struct cer_import_crl_result *out, struct pechat_error *e);

#endif
