/*
 * ca/ca_int.h — private to ca/ (and its unit tests): the struct ca, the
 * shared certificate builder used by ca_issue() and `pechat init` (declared in ca_make.h), serials,
 * OIDs, time helpers.
 */
#ifndef PECHAT_CA_INT_H
#define PECHAT_CA_INT_H

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ca/ca.h"
#include "ca/ca_make.h"
#include "hsm/hsm.h"

/* An issuer certificate's own status (ca/standing.c). */
enum ca_standing {
	CA_STANDING_OK = 0,
	CA_STANDING_HELD,       /* on hold: signs nothing until released */
	CA_STANDING_REVOKED,    /* revoked: signs nothing, ever */
};

struct ca_issuer {
	char name[64];
	char kind[16];          /* "root", "issuing", "operators" */
	char parent[64];        /* "" for self-signed */
	char predecessor[64];   /* the generation this one succeeds (key rollover), or "" */
	char successor[64];     /* the generation that succeeds it, or "" (ca_new fills both) */
	X509 *cert;             /* owned */
	struct hsm_key *key;    /* owned; NULL for a revoked issuer whose key cannot be opened, or key_problem */
	/* "" or why this issuer's key is unusable since start-up (cannot be opened, does not match
	 * the certificate): it then signs nothing (ca_issuer_check_standing) and /readyz says so */
	char key_problem[1024];
	/* 1: key_ref is "offline:" (a root whose key never comes to this machine, `pechat ceremony
	 * import`): loaded without a key as its normal state; signs nothing, not a key problem */
	int offline;
	char key_ref[2048];     /* the store's key reference (GET /api/v1/keys, redacted there) */
	char key_state[16];     /* "" when the key loaded, else "unavailable", "login_failed", "mismatch" */
	time_t not_before;
	time_t not_after;
	char serial[65];        /* the certificate's serial (ca_cert_serial_hex) */
	/*
	 * Standing (ca/standing.c): the worst status of this certificate and
	 * its ancestors', and the index of the issuer it comes from (-1: none).
	 * Written under ca->standing_lock, read without it (signing paths).
	 */
	atomic_int standing;
	atomic_int standing_from;
	/* under ca->standing_lock: the own certificate's last event */
	int own_standing;
	char own_reason[32];
	time_t own_at;
	int64_t told_event;     /* last event the publisher was told about */
};

/* OK, or UNAVAILABLE "key_unavailable" naming the issuer and reader while its key's token is absent. */
enum pechat_err ca_issuer_check_present(const struct ca_issuer *is, struct pechat_error *e);

struct ca {
	const struct ca_conf *conf;         /* borrowed */
	const struct pechat_clock *clock;   /* borrowed, may be NULL (system clock) */
	struct ca_issuer *issuers;
	int n_issuers;
	pthread_mutex_t standing_lock;      /* ca_standing_refresh: one at a time */
	int standing_lock_init;
	/* the store's highest status event id when a refresh last found nothing left to tell
	 * the publisher (-1: not yet): a refresh that sees the same id has nothing to re-read */
	atomic_llong standing_seen;
};

/* ------------------------------------------------------------ issuer.c */

/* Issuer by name, or NULL. */
struct ca_issuer *ca_issuer_find(const struct ca *ca, const char *name);
/*
 * Loads one issuer row: cert from DER (trailing bytes refused), key via
 * hsm/, key == cert check. An issuer whose certificate is revoked is
 * loaded without its key when the key cannot be opened (key NULL): it is
 * still published and matched, and signs nothing.
 */
enum pechat_err ca_issuer_load(struct db *db, const char *name, struct ca_issuer *out,
    struct pechat_error *e);
void ca_issuer_clear(struct ca_issuer *is);

/* ------------------------------------------------------------ revoke.c */

/* An invalidity date may precede the certificate's notBefore by this much (clock skew), no more. */
#define CA_INVALIDITY_MARGIN_S 86400

/*
 * Checks the input (reason, invalidity date: "reason_invalid",
 * "invalidity_date_invalid") and, in one transaction, the certificate
 * (classification when subscriber_only: "not_subscriber_certificate"), the
 * transition ("already_revoked", "already_on_hold", "not_on_hold"), then
 * appends the event, drops the serial's stored OCSP answers and writes the
 * audit entry. Publishing is the caller's. *out (may be NULL) = the event.
 */
enum pechat_err ca_status_change_apply(struct db *db, time_t now, const struct ca_status_change *c,
    struct db_revocation *out, struct pechat_error *e);

/* ------------------------------------------------------------ oids, time */

/* NID of INNLE (after ca_oids_init). */
int ca_nid_innle(void);
/* NID of identificationKind 1.2.643.100.114 (registered by ca_oids_init). */
int ca_nid_identification_kind(void);
/* ca_asn1_time_to_time: ca/ca_make.h */

/* ------------------------------------------------------------ serial.c */

/*
 * A fresh serial: 16 octets, 6 of milliseconds since the epoch then 10
 * CSPRNG bytes (RAND_bytes): positive, 80 bits of entropy (RFC 5280
 * §4.1.2.2; CA/B BR 7.1 wants >= 64), later serials sort after earlier ones
 * (the store's serial b-trees grow at their right edge). *out owned; hex as
 * ca_cert_serial_hex (32 digits).
 */
enum pechat_err ca_serial_new(ASN1_INTEGER **out, char hex[65], struct pechat_error *e);
/* Upper-case hex (BN_bn2hex) of a non-negative ASN1_INTEGER. 0 or -1. */
int ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t bufsz);

/* ------------------------------------------------------------ subject.c */


/* ca_name_rfc2253 (the form of certificates.subject_dn): ca/ca_make.h */

/* ------------------------------------------------------------ build.c */

/* Step 3 alone: the TBS certificate with `serial` (borrowed). *out owned. */
enum pechat_err ca_cert_build(const struct ca_build *b, const ASN1_INTEGER *serial,
    X509 **out, struct pechat_error *e);
/*
 * The extensions of a qualified certificate that b asks for (ca/qualified.c):
 * subjectSignTool, issuerSignTool, identificationKind, each not critical,
 * their strings re-checked (1..200 / 1..100 characters). 0 or -1 (logged).
 */
int ca_qualified_extensions(X509 *cert, const struct ca_build *b);
/*
 * Step 4 alone: cert signed with a throw-away key of signer_pub's algorithm
 * (hsm_key_scratch) and linted with b's issuer and profile (ca/lint.h);
 * INTERNAL "lint_failed" naming the broken error rules.
 */
enum pechat_err ca_cert_lint(X509 *cert, const struct ca_build *b, EVP_PKEY *signer_pub,
    struct pechat_error *e);
/*
 * Steps 5 and 6: hsm_sign_x509 (signs and verifies), for a key that is
 * verify_key's, then ca_cert_der_check of its DER. *cert is the object
 * signed (not re-parsed): sign a certificate nothing has looked at since
 * ca_cert_build, so that no cache (extension flags, SHA-1 hash) predates the
 * signature. *cert stays a pointer to the same object.
 */
enum pechat_err ca_cert_sign(X509 **cert, struct hsm_key *key, EVP_PKEY *verify_key,
    struct pechat_error *e);

/* ------------------------------------------------------------ cert_der.c */

/* The largest certificate ca_cert_der_check reads. */
#define CA_CERT_DER_MAX (64 * 1024)
/*
 * 0 when der (len bytes) is exactly one X.509 v3 Certificate in DER (parsed
 * with OpenSSL's ASN.1 templates, its public key not decoded, and encoding
 * back to the same bytes); -1 otherwise (OpenSSL's error queue says why).
 */
int ca_cert_der_check(const unsigned char *der, size_t len);
/*
 * The subject Name of der (len bytes: exactly one Certificate, any version,
 * parsed with the templates of ca_cert_der_check, its key not decoded) into
 * *out (owned by the caller). 0, or -1 when der is not one Certificate.
 */
int ca_cert_der_subject_name(const unsigned char *der, size_t len, X509_NAME **out);

/* ------------------------------------------------------------ crl.c, crl_der.c */

/* One revokedCertificates entry as an X509_REVOKED (owned), NULL on failure (logged). */
X509_REVOKED *ca_crl_entry_build(const struct ca_crl_entry *en);
/*
 * A writer (ca/crl_der.c) of the CRL whose header is hdr (an X509_CRL without
 * entries, signed with the lint key so that it carries the signature
 * AlgorithmIdentifier; taken over, freed on failure too), signed with key.
 */
enum pechat_err ca_crl_writer_new(X509_CRL *hdr, struct hsm_key *key, int64_t number, int delta,
    struct ca_crl_writer **out, struct pechat_error *e);
/*
 * Tests only: the CRL of p made the way every CRL was made before the writer
 * (an X509_CRL with one X509_REVOKED per entry, X509_CRL_sort, hsm_sign_crl,
 * no lint): the oracle ca_crl_sign's output is compared with.
 */
enum pechat_err ca_crl_sign_x509(struct ca *ca, const struct ca_crl_params *p, unsigned char **der,
    size_t *len, struct pechat_error *e);

/* ------------------------------------------------------------ crl.c, responder.c */

/* ADDED (revocation): the responder's signing key (borrowed), for ocsp.c. */
struct hsm_key *ca_responder_key(const struct ca_responder *r);

#define CA_RESPONDER_ID_LEN 8
/*
 * The reference of a new responder key on the token of the issuer key
 * issuer_ref (a pkcs11: reference): object "ocsp-<issuer>-<UTC
 * YYYYMMDDThhmmssZ of now>-<hex of id[0..3]>", CKA_ID = id (8 random bytes),
 * the issuer reference's module, PIN source and reader (hsm_key_ref_sibling).
 * 0, or -1 (issuer_ref not pkcs11:, no room).
 */
/*
 * The cleanup rule for rotated-out responder keys: 1 if `row`'s key is one
 * pechatd made on a token (pkcs11:) for `issuer`, is not current_ref (the
 * key now in use) and its certificate has expired at `now` (no answer
 * signed by it can still be valid), so ca/responder.c destroys it on the
 * token (hsm_key_destroy, label prefix "ocsp-<issuer>-"); else 0 (file keys stay).
 */
int ca_responder_key_disposable(const struct db_responder *row, const char *issuer, const char *current_ref,
    time_t now);

int ca_responder_token_ref(const char *issuer_ref, const char *issuer, time_t now,
    const unsigned char id[CA_RESPONDER_ID_LEN], char *out, size_t outsz);

#endif
