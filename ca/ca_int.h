/*
 * ca/ca_int.h — private to ca/ (and its unit tests): the struct ca, the
 * shared certificate builder used by ca_issue() and ca_bootstrap(), serials,
 * OIDs, time helpers.
 */
#ifndef PECHAT_CA_INT_H
#define PECHAT_CA_INT_H

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ca/ca.h"
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
	X509 *cert;             /* owned */
	struct hsm_key *key;    /* owned; NULL for a revoked issuer whose key cannot be opened, or key_problem */
	/* "" or why this issuer's key is unusable since start-up (cannot be opened, does not match
	 * the certificate): it then signs nothing (ca_issuer_check_standing) and /readyz says so */
	char key_problem[1024];
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

struct ca_standing_watch;

/* OK, or UNAVAILABLE "key_unavailable" naming the issuer and reader while its key's token is absent. */
enum pechat_err ca_issuer_check_present(const struct ca_issuer *is, struct pechat_error *e);

struct ca {
	const struct pechat_config *conf;   /* borrowed */
	const struct pechat_clock *clock;   /* borrowed, may be NULL (system clock) */
	struct ca_issuer *issuers;
	int n_issuers;
	struct ca_publisher *pub;           /* borrowed; NULL until ca_publisher_start */
	pthread_mutex_t standing_lock;      /* ca_standing_refresh: one at a time */
	int standing_lock_init;
	struct ca_standing_watch *watch;    /* the watcher thread, or NULL */
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

/* Registers the OIDs OpenSSL 3.0 lacks (INNLE 1.2.643.100.4) once per process. 0 or -1. */
int ca_oids_init(void);
/* NID of INNLE (after ca_oids_init). */
int ca_nid_innle(void);
/* ASN1_TIME -> time_t (UTC). 0 or -1. */
int ca_asn1_time_to_time(const ASN1_TIME *t, time_t *out);

/* ------------------------------------------------------------ serial.c */

/*
 * A fresh serial: 16 CSPRNG bytes (RAND_bytes) with the top bit cleared, so
 * positive, <= 16 octets, >= 120 bits of entropy (RFC 5280 §4.1.2.2;
 * CA/B BR 7.1 wants >= 64). *out owned; hex as ca_cert_serial_hex.
 */
enum pechat_err ca_serial_new(ASN1_INTEGER **out, char hex[65], struct pechat_error *e);
/* Upper-case hex (BN_bn2hex) of a non-negative ASN1_INTEGER. 0 or -1. */
int ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t bufsz);

/* ------------------------------------------------------------ subject.c */

/*
 * DN for a subject (docs/SUBJECTS.md's table: C PrintableString, emailAddress
 * IA5String, text UTF8String, SNILS/INN/INNLE/OGRN/OGRNIP NumericString;
 * given_name + patronymic -> one GN; KPP has no attribute). *out owned.
 * The values must have passed ca_subject_check (or be trusted config).
 */
enum pechat_err ca_subject_name(const struct pechat_subject *s, X509_NAME **out,
    struct pechat_error *e);

/* RFC 4514 string of a name, UTF-8 kept as is (no \XX escapes), cut at a character
 * boundary to bufsz: the form of certificates.subject_dn. */
void ca_name_rfc2253(const X509_NAME *name, char *buf, size_t bufsz);

/* ------------------------------------------------------------ policy.c */

/*
 * A digest-sign context for key with the digest that follows it
 * (ca_digest_for_key; none for Ed25519/Ed448), initialised through hsm/.
 * `what` names the signer in the log. *out owned (EVP_MD_CTX_free).
 * Codes: UNAVAILABLE "algorithm_unavailable" and hsm/'s; NOMEM.
 */
enum pechat_err ca_sign_ctx_new(struct hsm_key *key, const char *what, EVP_MD_CTX **out,
    struct pechat_error *e);

/* ------------------------------------------------------------ build.c */

/* What a certificate looks like: everything borrowed. */
struct ca_build {
	const char *profile;            /* profile name, stored with the certificate */
	const char *issuer_name;        /* store name of the signer (serial + cert rows) */
	X509 *issuer_cert;              /* NULL: self-signed (subject = issuer, key signs itself) */
	struct hsm_key *issuer_key;     /* signs */
	EVP_PKEY *subject_key;          /* public key certified */
	const X509_NAME *subject;
	int is_ca;                      /* basicConstraints CA:TRUE */
	int pathlen;                    /* -1: none */
	unsigned key_usage;             /* pechat_key_usage bits */
	const char (*eku)[64];          /* short names or dotted OIDs */
	int n_eku;
	const char (*policies)[64];     /* dotted OIDs */
	int n_policies;
	const char *crl_url;            /* CRL DP fullName URI, or NULL */
	const char *ocsp_url;           /* AIA id-ad-ocsp, or NULL */
	const char *ca_issuers_url;     /* AIA id-ad-caIssuers, or NULL */
	const char *san_email;          /* SAN rfc822Name, or NULL */
	const char *const *san_dns;     /* SAN dNSName */
	int n_san_dns;
	const char *const *san_ip;      /* SAN iPAddress (textual v4/v6) */
	int n_san_ip;
	time_t not_before;
	time_t not_after;
	const char *freshest_crl_url;   /* freshestCRL (RFC 5280 §4.2.1.15) fullName URI, or NULL */
	int ocsp_nocheck;               /* id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), not critical */
};

/*
 * More store work inside step 7's transaction, right after the certificate
 * row (bootstrap: the issuer or operator row that goes with the certificate;
 * responder.c: the ocsp_responders row, whose cert_serial references it).
 * `row` is the certificate row just inserted (DER, fingerprint).
 * Must be safe to re-run (db_txn_run retries).
 */
typedef enum pechat_err (*ca_store_extra_fn)(struct db *db, void *arg, const struct db_cert *row,
    struct pechat_error *e);

/* Store side of steps 2 and 7. Everything borrowed. */
struct ca_store_job {
	const char *request_id;         /* NULL or the request moved to "issued" */
	const char *actor;              /* audit actor */
	const char *action;             /* audit action ("certificate.issue") */
	const char *email;              /* stored with the certificate, or NULL */
	ca_store_extra_fn extra_fn;     /* or NULL */
	void *extra_arg;
};

/*
 * Steps 2..7 of ARCHITECTURE.md for an already chosen issuer/profile/
 * validity (step 1 is the caller's): reserve a serial, build, lint, sign,
 * verify, store. On success *out is the signed certificate (owned).
 * On failure nothing but the serial reservation is left in the store.
 */
enum pechat_err ca_cert_make(struct db *db, const struct ca_build *b,
    const struct ca_store_job *job, time_t now, X509 **out, struct pechat_error *e);

/* Step 3 alone: the TBS certificate with `serial` (borrowed). *out owned. */
enum pechat_err ca_cert_build(const struct ca_build *b, const ASN1_INTEGER *serial,
    X509 **out, struct pechat_error *e);
/* Step 4 alone: RFC 5280 basics + profile rules; issuer NULL for self-signed. */
enum pechat_err ca_cert_lint(X509 *cert, X509 *issuer, struct pechat_error *e);
/* Steps 5 and 6: sign through hsm/ with ca_digest_for_key(), then X509_verify. */
enum pechat_err ca_cert_sign(X509 **cert, struct hsm_key *key, EVP_PKEY *verify_key,
    struct pechat_error *e);

/* ------------------------------------------------------------ crl.c, responder.c */

/* ADDED (revocation): the responder's signing key (borrowed), for ocsp.c. */
struct hsm_key *ca_responder_key(const struct ca_responder *r);

#endif
