/*
 * ca/ — issuers, profiles, serials, certificate build, lint, sign.
 * (CRL and OCSP arrive with the revocation issue.) Opens no sockets,
 * knows no HTTP. ca_issue() is the numbered sequence of ARCHITECTURE.md;
 * docs/ISSUANCE.md tells it step by step.
 *
 * A struct ca is shared by all worker threads after ca_new(); it is
 * read-only from then on. Every call that touches the store takes the
 * caller's own struct db (one connection per thread).
 *
 * OpenSSL ownership: functions named _get0_ borrow; *out parameters of
 * X509/X509_REQ type are owned by the caller.
 */
#ifndef PECHAT_CA_H
#define PECHAT_CA_H

#include <openssl/x509.h>

#include "common/common.h"
#include "config/config.h"
#include "db/db.h"

struct ca;

/* Built-in profiles for the CA's own certificates (not selectable through the API). */
#define CA_PROFILE_ROOT "ca-root"
#define CA_PROFILE_ISSUING "ca-issuing"
#define CA_PROFILE_OPERATOR "operator-client"
#define CA_PROFILE_TLS_SERVER "tls-server"

/* Name of the internal CA that issues API client and server certificates. */
#define CA_OPERATORS_ISSUER "operators"

/*
 * Loads every configured issuer (and the operators CA) from the store, opens
 * its key through hsm/ and checks that key and certificate match.
 * conf and clock are borrowed and must outlive the ca. NOT_FOUND
 * ("store_not_initialised") if the store has no issuers: run `pechat init`.
 */
enum pechat_err ca_new(const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, struct ca **out, struct pechat_error *e);
void ca_free(struct ca *ca);

/* Profile by name among the configured ones, or NULL. */
const struct pechat_profile_conf *ca_profile_find(const struct ca *ca, const char *name);

/* An issuer's certificate (get0) or NULL if the name is unknown. Includes roots and "operators". */
X509 *ca_issuer_get0_cert(const struct ca *ca, const char *name);

/* PEM chain of an issuer: issuer certificate first, then up to the root. *pem is malloc'd. */
enum pechat_err ca_issuer_chain_pem(const struct ca *ca, const char *name, char **pem,
    size_t *len, struct pechat_error *e);

/* OK when every issuer key can sign (readyz). */
enum pechat_err ca_keys_ready(const struct ca *ca, struct pechat_error *e);

/*
 * Parses a PKCS#10 request (PEM with exactly one CERTIFICATE REQUEST block,
 * or DER) from untrusted bytes: bounded to 64 KiB, no trailing bytes, and
 * verifies the self-signature (proof of possession). Codes: "csr_malformed",
 * "csr_trailing_data", "csr_signature_invalid", "csr_too_large" (TOO_LARGE),
 * and "csr_critical_extension" (a requested extension marked critical that
 * OpenSSL does not know; a repeated one is "csr_malformed"). All but
 * csr_too_large are PECHAT_E_INVALID. Weak keys and explicit curves still
 * parse: refusing them is ca_key_policy_check's job.
 */
enum pechat_err ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
    struct pechat_error *e);

/*
 * Checks a public key against a profile's key policy: algorithm allowed,
 * RSA >= rsa_min_bits (and never < 2048), EC on a named curve only.
 * Codes: "key_algorithm_not_allowed", "key_too_weak", "key_curve_not_allowed".
 */
enum pechat_err ca_key_policy_check(const struct pechat_profile_conf *profile, EVP_PKEY *pub,
    struct pechat_error *e);

/*
 * Checks request subject data against a profile: required fields present,
 * no field the profile does not allow, values well-formed for their
 * attribute (length, charset). FORMAT only: identifier check digits
 * (SNILS, INN, OGRN...) are ra/'s job. Reports every bad field through
 * pechat_error_add_field as "subject.<name>" with rule "required",
 * "not_allowed", "too_long", "charset" or "length" (also "subject" /
 * "required" for an empty subject, and "subject.given_name" / "required"
 * for a patronymic without a given name); code "subject_invalid"
 * (PECHAT_E_INVALID). Upper bounds: PECHAT_SUBJECT_VALUE_MAX bytes and
 * RFC 5280 Appendix A's ub-* in characters (CN/O/OU/title 64, L/ST/street
 * 128, email 255). e may be NULL.
 */
enum pechat_err ca_subject_check(const struct pechat_profile_conf *profile,
    const struct pechat_subject *subject, struct pechat_error *e);

/* What to issue. Everything borrowed. */
struct ca_issue_params {
	const char *profile;                    /* a configured profile name */
	const struct pechat_subject *subject;   /* verified request data: the DN is built from this */
	X509_REQ *csr;                          /* parsed and proof-of-possession checked */
	const char *request_id;                 /* NULL or the request this issues */
	const char *actor;                      /* who caused it (operator/portal name), for the audit */
};

/*
 * Issues a certificate (ARCHITECTURE.md, steps 1..7): validity from the
 * clock clipped to the issuer; a random positive serial (>= 64 CSPRNG bits)
 * reserved in the store; DN built from params->subject; profile extensions
 * (basicConstraints, keyUsage, extKeyUsage, SKI, AKI, certificatePolicies,
 * CRL DP and AIA from the public base URL); lint; sign through hsm/ with the
 * digest that follows the issuer key; verify; then one transaction stores
 * the certificate, moves the request to "issued" and appends an audit entry.
 * On success *out is the certificate (owned). Nothing but the serial
 * reservation is left in the store on failure.
 * Step 1 re-runs ca_key_policy_check and ca_subject_check (their codes
 * pass through). Other codes: "profile_unknown" (INVALID),
 * "issuer_unavailable"/"issuer_expired" (UNAVAILABLE), "lint_failed",
 * "signature_check_failed" (INTERNAL), the store's codes for step 7 (e.g.
 * CONFLICT when the request can no longer move to "issued").
 * notBefore = the clock's now (no backdating). docs/ISSUANCE.md.
 */
enum pechat_err ca_issue(struct ca *ca, struct db *db, const struct ca_issue_params *params,
    X509 **out, struct pechat_error *e);

/*
 * Upper-case hex serial of a certificate into buf (>= 65 bytes). 0 or -1.
 * The format is BN_bn2hex's: whole octets, no "00" sign pad, so a serial
 * starting with octet 0x0F prints "0F..."; negative serials give -1. The
 * one textual form used by db/, web/ and logs.
 */
int ca_cert_serial_hex(const X509 *cert, char *buf, size_t bufsz);

/*
 * Subject fields of a certificate (DN attributes back to API names). *out must be zeroed.
 * GN is split at its first space: given_name, then patronymic. KPP (no DN
 * attribute) and unknown attributes are skipped; the first of repeated
 * attributes wins. On failure *out is cleared.
 */
enum pechat_err ca_cert_subject(const X509 *cert, struct pechat_subject *out, struct pechat_error *e);

/* The digest that follows a signing key: SHA-256/384/512 for EC by curve, SHA-256 for RSA,
 * Streebog-256/512 for GOST R 34.10-2012, NULL for Ed25519. Looked up by name. */
const EVP_MD *ca_digest_for_key(EVP_PKEY *key);

/*
 * `pechat init`: for each configured issuer a root and an issuing CA, plus
 * the operators CA, the API server certificate and the demo "admin" and
 * "portal" credentials (cert, key, PKCS#12), written under conf->var_dir as
 * API-CONVENTIONS.md lists, and recorded in the store (issuers,
 * certificates, operators). Refuses ("store_initialised", CONFLICT) when
 * the store already has issuers unless force != 0; never overwrites an
 * existing key file, with or without force.
 * With force only what is missing is made (issuers not in the store, the
 * TLS certificate when its cert or key file is missing, operators not in
 * the store); an existing key file is then reused for the new certificate.
 * Without force an existing key file is CONFLICT "key_exists".
 * clock may be NULL (system clock). docs/ISSUANCE.md lists every file.
 */
enum pechat_err ca_bootstrap(const struct pechat_config *conf, struct db *db,
    const struct pechat_clock *clock, int force, struct pechat_error *e);

#endif
