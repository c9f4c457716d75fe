/*
 * ca/ca_make.h — what the `pechat` CLI's ceremony/ module uses from ca/ to
 * make CA, TLS and operator certificates: the shared certificate builder
 * (ca_cert_make: serial reservation, build, lint, sign, verify, store), a
 * stored issuer loaded for signing, subject names and OIDs. The daemon's
 * code does not need this header; ceremony/ includes no other private ca/
 * header.
 */
#ifndef PECHAT_CA_MAKE_H
#define PECHAT_CA_MAKE_H

#include <openssl/x509.h>

#include "ca/ca.h"
#include "hsm/hsm.h"

/* Registers the OIDs OpenSSL 3.0 lacks (INNLE 1.2.643.100.4, identificationKind 1.2.643.100.114) once per process. 0 or -1. */
int ca_oids_init(void);

/*
 * DN for a subject (docs/SUBJECTS.md's table: C PrintableString, emailAddress
 * IA5String, text UTF8String, SNILS/INN/INNLE/OGRN/OGRNIP NumericString;
 * given_name + patronymic -> one GN; KPP has no attribute). *out owned.
 * The values must have passed ca_subject_check (or be trusted config).
 */
enum pechat_err ca_subject_name(const struct pechat_subject *s, X509_NAME **out,
    struct pechat_error *e);

/* What a certificate looks like: everything borrowed. */
struct ca_build {
	const char *profile;            /* profile name, stored with the certificate */
	const char *issuer_name;        /* store name of the signer (serial + cert rows) */
	X509 *issuer_cert;              /* NULL: self-signed (subject = issuer, key signs itself) */
	struct hsm_key *issuer_key;     /* signs */
	EVP_PKEY *subject_key;          /* public key certified */
	/*
	 * The SubjectPublicKeyInfo subject_key was decoded from (a CSR's), or
	 * NULL. Set: the certificate gets its bytes copied, no key encoded or
	 * decoded, and X509_get0_pubkey of the certificate made is NULL (its
	 * X509_get_X509_PUBKEY and DER are what to read).
	 */
	const PECHAT_SPKI_RAW *subject_spki;
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
	/* qualified certificates (docs/PROFILES.md); all NULL / 0 otherwise */
	const struct pechat_profile_conf *profile_conf; /* end entity: its profile (lint rules), or NULL */
	const struct pechat_sign_tools *issuer_tools;   /* issuerSignTool, or NULL */
	const char *subject_sign_tool;  /* subjectSignTool (UTF-8), or NULL */
	int has_identification_kind;    /* 1: identificationKind below is put in */
	int identification_kind;        /* 0 in person, 1 by a qualified certificate, 2 biometric passport, 3 ESIA+EBS */
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
 * The issuers row of a CA certificate the CLI makes, written in that
 * certificate's transaction. Use ca_issuer_row_extra as the job's extra_fn
 * with a struct ca_issuer_row as extra_arg, or call ca_issuer_row_store
 * from an extra_fn that writes more rows. Everything borrowed.
 */
struct ca_issuer_row {
	const char *name;
	const char *kind;               /* "root", "issuing", "operators" */
	const char *parent;             /* NULL or "" for a self-signed CA */
	const char *key_ref;
};
enum pechat_err ca_issuer_row_store(struct db *db, const struct ca_issuer_row *r, const struct db_cert *cert,
    struct pechat_error *e);
/* ca_store_extra_fn: ca_issuer_row_store(db, arg, cert, e). */
enum pechat_err ca_issuer_row_extra(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e);

/*
 * Steps 2..7 of ARCHITECTURE.md for an already chosen issuer/profile/
 * validity (step 1 is the caller's): reserve a serial, build, lint, sign,
 * verify, store. On success *out is the signed certificate (owned).
 * On failure nothing but the serial reservation is left in the store.
 */
enum pechat_err ca_cert_make(struct db *db, const struct ca_build *b,
    const struct ca_store_job *job, time_t now, X509 **out, struct pechat_error *e);

/* ASN1_TIME -> time_t (UTC). 0 or -1. */
int ca_asn1_time_to_time(const ASN1_TIME *t, time_t *out);

/* RFC 4514 string of a name, UTF-8 kept as is (no \XX escapes), cut at a character
 * boundary to bufsz: the form of certificates.subject_dn. */
void ca_name_rfc2253(const X509_NAME *name, char *buf, size_t bufsz);

/*
 * The full CRL (RFC 5280 §5) of a root kept offline, signed at the ceremony
 * with its key (`pechat ceremony crl`): the builder of ca_crl_sign (v2,
 * sorted entries with reasonCode/invalidityDate, AKI, cRLNumber; no IDP, as
 * on every root CRL) without freshestCRL (an offline root publishes no
 * delta CRLs), signed and verified through hsm_sign_crl. p->base_number
 * must be -1 and p->issuer is not used. *der is OPENSSL_free'd by the
 * caller. Codes as ca_crl_sign.
 */
enum pechat_err ca_crl_make_offline(X509 *root_cert, struct hsm_key *key, const struct ca_crl_params *p,
    unsigned char **der, size_t *len, struct pechat_error *e);

/* A stored issuer loaded for signing by the CLI. Owns cert and key. */
struct ca_signer {
	char name[64];
	char serial[65];        /* its certificate's serial (ca_cert_serial_hex) */
	char kind[16];          /* "root", "issuing", "operators" */
	char parent[64];        /* "" for self-signed */
	X509 *cert;
	struct hsm_key *key;    /* NULL when the key cannot be used (key_problem says why) */
	char key_problem[1024]; /* "" or why the key is unusable (cannot be opened, does not match) */
	time_t not_before;
	time_t not_after;
};

/*
 * Loads issuer `name` from the store: certificate, key through hsm/, and
 * the check that they match (the daemon's issuer load: a key that cannot be
 * used leaves key NULL and key_problem set). NOT_FOUND when the store has
 * no such issuer. *out is cleared first; ca_signer_clear frees it.
 */
enum pechat_err ca_signer_load(struct db *db, const char *name, struct ca_signer *out,
    struct pechat_error *e);
void ca_signer_clear(struct ca_signer *s);

#endif
