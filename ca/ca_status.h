/*
 * ca/ca_status.h — revocation status publishing building blocks (included
 * at the end of ca/ca.h): RFC 5280 CRLs (full and delta), RFC 6960 OCSP
 * (request parsing, CertID matching, delegated responders, signed
 * responses). docs/REVOCATION.md describes what each object contains.
 *
 * Pure and thread-safe: no threads, caches, clocks or HTTP here. Every
 * call takes the times it needs; the scheduler, the pre-signed cache and
 * the web endpoints (the lead's web/ and ca/publish.c) sit on top.
 * A struct ca_responder and a struct ca_ocsp_ids are read-only after
 * creation and may be shared by all worker threads (signing uses a
 * per-call EVP_MD_CTX; hsm/ keys are thread-safe).
 *
 * OpenSSL ownership (docs/OPENSSL.md): *der outputs are OPENSSL_malloc'd
 * and owned by the caller (OPENSSL_free); *out OCSP_REQUEST / OCSP_CERTID
 * are owned by the caller (OCSP_REQUEST_free / OCSP_CERTID_free);
 * _get0_ results are borrowed; every other argument is borrowed.
 */
#ifndef PECHAT_CA_STATUS_H
#define PECHAT_CA_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/common.h"
#include "db/db.h"

struct ca;

/* Built-in profile of delegated OCSP responder certificates (stored with the certificate row). */
#define CA_PROFILE_OCSP_RESPONDER "ocsp-responder"

/* ------------------------------------------------------------ CRL reasons */

/*
 * RFC 5280 §5.3.1 CRLReason names (docs/REVOCATION.md) <-> codes
 * (CRL_REASON_* of openssl/x509v3.h: unspecified 0 .. aACompromise 10; 7 is
 * unused; removeFromCRL 8 is not an API name). Unknown: -1 / NULL.
 */
int ca_crl_reason_from_name(const char *name);
const char *ca_crl_reason_name(int code);

/* -------------------------------------------------------------------- CRLs */

/* One revoked certificate of a CRL. */
struct ca_crl_entry {
	char serial[65];        /* upper-case hex as ca_cert_serial_hex */
	int reason;             /* CRL_REASON_*; CRL_REASON_NONE (-1) or CRL_REASON_UNSPECIFIED (0):
	                         * no reasonCode extension (RFC 5280 §5.3.1: SHOULD be absent) */
	time_t revoked_at;      /* revocationDate */
	time_t invalidity_date; /* 0: none; else invalidityDate ext (§5.3.2) */
	int remove_from_crl;    /* delta CRLs only: reasonCode removeFromCRL (8), `reason` ignored */
};

struct ca_crl_params {
	const char *issuer;             /* any issuer of struct ca but "operators" */
	int64_t number;                 /* cRLNumber (§5.2.3), >= 0; one sequence for full + delta */
	int64_t base_number;            /* -1: full CRL; >= 0 (< number): delta with this BaseCRLNumber */
	time_t this_update, next_update;/* next_update > this_update */
	const struct ca_crl_entry *entries; /* any order: sorted by serial when signed */
	size_t n_entries;
	int has_prev_number;            /* 1: prev_number is the issuer's highest published cRLNumber (lint:
	                                   number must be above it); 0: unknown, not checked */
	int64_t prev_number;
};

/*
 * Builds and signs a v2 CRL (RFC 5280 §5.1) of p->issuer: issuer = the
 * issuer certificate's subject; thisUpdate/nextUpdate; revokedCertificates
 * sorted by serial, each with reasonCode (§5.3.1, omitted
 * for unspecified) and invalidityDate (§5.3.2) when given; CRL extensions
 * authorityKeyIdentifier (§5.2.1, keyid = issuer SKI), cRLNumber (§5.2.3),
 * critical issuingDistributionPoint (§5.2.5) whose fullName is exactly the
 * certificates' CDP URI "<public_base_url>/crl/<issuer>.crl" (same on full
 * and delta CRLs; absent on root CRLs, which also cover the root itself,
 * a certificate without CDP), and either freshestCRL (§5.2.6, full CRLs:
 * "<public_base_url>/crl/<issuer>-delta.crl") or the critical
 * deltaCRLIndicator (§5.2.4, delta CRLs: base_number). Signed and verified
 * by hsm_sign_crl (the digest follows the issuer key). *der is the DER CRL
 * (OPENSSL_free).
 * Codes: NOT_FOUND "issuer_unknown" (unknown or "operators"); INVALID
 * "crl_params_invalid" (our caller's bug: bad number, times, serial,
 * reason, removeFromCRL on a full CRL); UNAVAILABLE "signing_failed" /
 * "algorithm_unavailable"; INTERNAL "build_failed",
 * "signature_check_failed"; NOMEM.
 */
enum pechat_err ca_crl_sign(struct ca *ca, const struct ca_crl_params *p, unsigned char **der,
    size_t *len, struct pechat_error *e);

/*
 * The same CRL written entry by entry, for CRLs of any size (ca/crl_der.c;
 * docs/REVOCATION.md "How a CRL is assembled"): ca_crl_begin checks p (its
 * entries are ignored), builds and lints the header; ca_crl_writer_add
 * encodes one entry (best in ascending serial order: any other order is
 * sorted at the end, slower); ca_crl_writer_finish signs and returns the DER
 * (*der OPENSSL_free; a serial listed twice is INTERNAL "lint_failed"
 * naming e_crl_serials_unique); ca_crl_writer_free always (NULL-safe).
 * Codes as ca_crl_sign's. Memory: the DER being written, nothing per entry.
 */
struct ca_crl_writer;
enum pechat_err ca_crl_begin(struct ca *ca, const struct ca_crl_params *p, struct ca_crl_writer **w,
    struct pechat_error *e);
enum pechat_err ca_crl_writer_add(struct ca_crl_writer *w, const struct ca_crl_entry *en, struct pechat_error *e);
enum pechat_err ca_crl_writer_finish(struct ca_crl_writer *w, unsigned char **der, size_t *len,
    struct pechat_error *e);
void ca_crl_writer_free(struct ca_crl_writer *w);

/*
 * A CRL of p->issuer with its entries streamed from the store (p->entries
 * ignored): base_mark < 0, a full CRL listing every serial whose last event
 * up to mark is a revoke or hold; else a delta of the serials whose last
 * event is in (base_mark, mark] (released holds the base listed:
 * removeFromCRL). *n the entries, *der OPENSSL_free. Codes as ca_crl_sign's
 * and the store's. What the publisher signs (ca/crl_sched.c), timed by
 * bench/crl.
 */
enum pechat_err ca_crl_from_store(struct ca *ca, struct db *db, const struct ca_crl_params *p, int64_t base_mark,
    int64_t mark, unsigned char **der, size_t *len, size_t *n, struct pechat_error *e);

/* The two CRL URLs of an issuer (into bufs of >= 512 bytes): 0 or -1 (too long). */
int ca_crl_urls(const struct ca *ca, const char *issuer, char *full, size_t fullsz, char *delta,
    size_t deltasz);

/* ---------------------------------------------------- delegated responders */

/* An OCSP responder certificate + key of one issuer (RFC 6960 §4.2.2.2). */
struct ca_responder;

/*
 * The delegated OCSP responder of `issuer` (any issuer but "operators"),
 * usable at `now`. Loads the latest one (db_responder_latest -> certificate
 * row -> key through hsm/, key == certificate checked); issues a new one
 * when there is none or when notAfter - renew_before_days days <= now (and a
 * new one would live longer: near the issuer's own end the clipped one is
 * kept until it expires). A new responder: an EC P-256 key at
 * "file:<var_dir>/keys/ocsp/<issuer>-<16 random hex>.key" (never
 * overwritten), a certificate through ca_cert_make (serial reserved, lint,
 * sign, verify) with subject CN "<issuer CN> OCSP Responder" + the issuer's
 * O and C, CA:FALSE, keyUsage digitalSignature, extKeyUsage OCSPSigning
 * (§4.2.2.2), id-pkix-ocsp-nocheck (§4.2.2.2.1), SKI/AKI, no CDP/AIA,
 * validity [now, now + validity_days] clipped to the issuer; the
 * certificate row, the responder row (db_responder_insert) and the audit
 * entry "ocsp_responder.issue" in one transaction. *out is owned
 * (ca_responder_free). Codes: NOT_FOUND "issuer_unknown"; UNAVAILABLE
 * "issuer_expired", "key_unavailable"; INVALID "responder_params_invalid";
 * INTERNAL "responder_corrupt"; ca_cert_make's and the store's codes.
 */
enum pechat_err ca_responder_ensure(struct ca *ca, struct db *db, const char *issuer, time_t now,
    int validity_days, int renew_before_days, struct ca_responder **out, struct pechat_error *e);
void ca_responder_free(struct ca_responder *r);
time_t ca_responder_not_before(const struct ca_responder *r);
time_t ca_responder_not_after(const struct ca_responder *r);
/* The responder certificate (get0: borrowed, lives as long as r). */
X509 *ca_responder_get0_cert(const struct ca_responder *r);
/* Its issuer's store name and its serial (ca_cert_serial_hex form), borrowed. */
const char *ca_responder_issuer(const struct ca_responder *r);
const char *ca_responder_serial(const struct ca_responder *r);

/* -------------------------------------------------------------------- OCSP */

#define CA_OCSP_REQUEST_MAX 65536       /* bytes */
#define CA_OCSP_MAX_CERTIDS 16          /* CertIDs per request */
#define CA_OCSP_NONCE_MAX 32            /* RFC 8954 §2.1: 1..32 octets */

/*
 * Parses an OCSPRequest (RFC 6960 §4.1.1) from untrusted DER: len <=
 * CA_OCSP_REQUEST_MAX (else TOO_LARGE "ocsp_too_large"); d2i with every byte
 * consumed; DER only (i2d gives back exactly the input: no BER, and what
 * we echo parses again); no version field (v1 is the DEFAULT, absent in
 * DER; other versions unsupported); each CertID's hash algorithm without
 * parameters or with NULL; 1..CA_OCSP_MAX_CERTIDS CertIDs; request and single-request
 * extensions walked: the nonce (1.3.6.1.5.5.7.48.1.2) at most once, its
 * value an OCTET STRING of 1..32 octets (RFC 8954); any other critical
 * extension refused, non-critical ones ignored (§4.4). An optionalSignature
 * is accepted and not checked (§4.1.2: we require none). Everything else:
 * INVALID "ocsp_malformed" (-> malformedRequest). *out owned.
 */
enum pechat_err ca_ocsp_request_parse(const unsigned char *der, size_t len, OCSP_REQUEST **out,
    struct pechat_error *e);

/* 1 if the request carries a nonce extension (RFC 8954), else 0. NULL-safe. */
int ca_ocsp_request_has_nonce(const OCSP_REQUEST *req);

/*
 * Per-issuer CertID hashes (RFC 6960 §4.1.1: issuerNameHash = H(DER of the
 * issuer's subject), issuerKeyHash = H(the issuer subjectPublicKey BIT
 * STRING value)) for SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 and, when
 * gost-engine is loaded, Streebog-256/512 (EVP_get_digestbyname), over
 * every issuer of the ca but "operators". Computed once by _new; read-only
 * afterwards (share it between threads). NULL on failure (logged). The ca
 * must outlive it.
 */
struct ca_ocsp_ids;
struct ca_ocsp_ids *ca_ocsp_ids_new(const struct ca *ca);
void ca_ocsp_ids_free(struct ca_ocsp_ids *ids);

struct ca_ocsp_certid_info {
	int issuer_found;       /* 0: unknown hash algorithm or issuer -> answer "unauthorized" */
	char issuer[64];        /* store name of the issuer when found */
	char serial[65];        /* ca_cert_serial_hex form; "" for a serial Pechat never
	                         * issues (negative, > 32 octets): answer "unknown" */
	int md_nid;             /* NID of the CertID's hashAlgorithm (NID_undef if unknown) */
};

/*
 * Matches a CertID (borrowed) against our issuers: the hash algorithm named
 * in the CertID, then issuerNameHash and issuerKeyHash both equal
 * (constant-time compares). Always fills *out. PECHAT_OK unless the CertID
 * is unusable (no fields: INVALID "ocsp_malformed").
 */
enum pechat_err ca_ocsp_certid_match(const struct ca_ocsp_ids *ids, OCSP_CERTID *id,
    struct ca_ocsp_certid_info *out, struct pechat_error *e);

/*
 * A CertID for pre-signing without a request: OCSP_cert_id_new with the
 * issuer certificate, serial_hex (upper/lower-case hex, <= 64 digits) and
 * md (NULL: SHA-1, RFC 5019 §2.1.1). *out owned (OCSP_CERTID_free).
 * Codes: NOT_FOUND "issuer_unknown"; INVALID "serial_invalid"; INTERNAL.
 */
enum pechat_err ca_ocsp_certid_new(const struct ca *ca, const char *issuer, const char *serial_hex,
    const EVP_MD *md, OCSP_CERTID **out, struct pechat_error *e);

/* One SingleResponse to sign (RFC 6960 §4.2.1). */
struct ca_ocsp_single {
	OCSP_CERTID *id;        /* borrowed; echoed as received (copied into the response) */
	int status;             /* V_OCSP_CERTSTATUS_GOOD | _REVOKED | _UNKNOWN */
	int reason;             /* revoked: CRL_REASON_* or -1; -1 and unspecified (0) omit it */
	time_t revoked_at;      /* revoked: revocationTime */
};

/*
 * Signs a successful OCSPResponse (RFC 6960 §4.2.1) of type
 * id-pkix-ocsp-basic: responderID byKey (§4.2.2.3), producedAt =
 * this_update, one SingleResponse per s[i] (1..CA_OCSP_MAX_CERTIDS) with
 * thisUpdate = this_update and nextUpdate = next_update (> this_update),
 * revoked ones with revocationTime and revocationReason; the responder
 * certificate in `certs` (so clients can verify the delegation, §4.2.2.2);
 * the nonce copied from nonce_req when it has one (RFC 8954). Signed and
 * verified by hsm_sign_ocsp (OCSP_basic_sign_ctx inside hsm/; the digest
 * follows the responder key; the signature checked with its public key).
 * this_update must lie inside the responder's validity. *der owned.
 * Codes: INVALID "ocsp_params_invalid" (caller bug); UNAVAILABLE
 * "responder_expired", "signing_failed"; INTERNAL "build_failed",
 * "signature_check_failed"; NOMEM.
 */
enum pechat_err ca_ocsp_response_sign(struct ca_responder *r, const struct ca_ocsp_single *s,
    size_t n, time_t this_update, time_t next_update, OCSP_REQUEST *nonce_req,
    unsigned char **der, size_t *len, struct pechat_error *e);

/*
 * An unsigned error OCSPResponse (RFC 6960 §4.2.1: no responseBytes) with
 * `status`: OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, _INTERNALERROR,
 * _TRYLATER, _SIGREQUIRED or _UNAUTHORIZED. *der owned. 0, or -1 (bad
 * status / no memory).
 */
int ca_ocsp_response_error(int status, unsigned char **der, size_t *len);

#endif
