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

#endif
