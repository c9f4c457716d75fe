/*
 * ca/ — issuers, profiles, serials, certificate build, lint, sign.
 * CRLs and OCSP (ca/ca_status.h, ca/publish.c). Opens no sockets,
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
#include "common/profile.h"
#include "common/spki.h"
#include "db/db.h"

struct ca;

/* Built-in profiles for the CA's own certificates (not selectable through the API). */
#define CA_PROFILE_ROOT "ca-root"
#define CA_PROFILE_ISSUING "ca-issuing"
#define CA_PROFILE_OPERATOR "operator-client"
#define CA_PROFILE_TLS_SERVER "tls-server"

/* Name of the internal CA that issues API client and server certificates. */
#define CA_OPERATORS_ISSUER "operators"

/* One configured issuer as ca/ knows it: the issuing CA "<name>" under its root "<name>-root". */
struct ca_issuer_conf {
	char name[PECHAT_NAME_MAX];
	struct pechat_sign_tools tools;     /* issuerSignTool of qualified certificates ("" = unset) */
};

/*
 * ca/'s own configuration, filled by cmd/ from the config file (ca/ does not
 * include config/config.h). The publisher's settings are struct
 * ca_publish_conf below. Arrays are borrowed and must outlive the ca.
 */
struct ca_conf {
	char source[PECHAT_PATH_MAX];       /* the config file or "(defaults)", named in "run `pechat init`" hints */
	char var_dir[PECHAT_PATH_MAX];      /* OCSP responder keys go to <var_dir>/keys/ocsp/ */
	char public_base_url[256];          /* base of CDP, freshestCRL and AIA URLs */
	const struct ca_issuer_conf *issuers;
	int n_issuers;
	const struct pechat_profile_conf *profiles;
	int n_profiles;
};

/*
 * Loads every configured issuer with its root, every later generation of
 * it (key rollover, with their roots) and the operators CA from the store,
 * opens each key through hsm/ and checks that key and certificate match.
 * conf and clock are borrowed and must outlive the ca. NOT_FOUND
 * ("store_not_initialised") if the store has no issuers: run `pechat init`.
 */
enum pechat_err ca_new(const struct ca_conf *conf, struct db *db,
    const struct pechat_clock *clock, struct ca **out, struct pechat_error *e);
void ca_free(struct ca *ca);

/* The CA's clock (the injected one, or the system's): ra/ and web/ stamp records with it. */
time_t ca_now(const struct ca *ca);

/* Profile by name among the configured ones, or NULL. */
const struct pechat_profile_conf *ca_profile_find(const struct ca *ca, const char *name);
/* The configured profile names, ", "-separated, into buf (ending in "..." when it is too small). */
void ca_profile_names(const struct ca *ca, char *buf, size_t bufsz);

/* An issuer's certificate (get0) or NULL if the name is unknown. Includes roots and "operators". */
X509 *ca_issuer_get0_cert(const struct ca *ca, const char *name);

/* PEM chain of an issuer: issuer certificate first, then up to the root. *pem is malloc'd. */
enum pechat_err ca_issuer_chain_pem(const struct ca *ca, const char *name, char **pem,
    size_t *len, struct pechat_error *e);

/* One loaded issuer as the discovery endpoint shows it (everything borrowed from the ca). */
struct ca_issuer_view {
	const char *name;
	const char *kind;               /* "root", "issuing", "operators" */
	const char *parent;             /* "" for a root */
	X509 *cert;                     /* get0 */
	time_t not_before;
	time_t not_after;
	const char *predecessor;        /* the generation it succeeds (key rollover), or "" */
	const char *successor;          /* the generation that succeeds it, or "": it takes new requests */
};
/* The i-th loaded issuer (0 <= i): 0 and *out filled, or -1 past the last one. */
int ca_issuer_at(const struct ca *ca, int i, struct ca_issuer_view *out);

/* ------------------------------------------------ issuer generations (ca/succession.c) */

/*
 * 1 if `name` can name a new issuer: [a-z0-9][a-z0-9-]*, at most 63 bytes (it
 * is used in URLs and file names). With `issuing`, also not "operators" and
 * not ending in -root, -delta or -chain, suffixes that init's root names and
 * the CRL/CA routes give a meaning.
 */
int ca_issuer_name_ok(const char *name, int issuing);
/*
 * Key rollover: an issuing CA may have one successor (issuer_successions),
 * a new issuing CA with its own key, certificate, serials, CRLs and OCSP
 * answers. ca_new loads every generation of each configured issuer (and
 * their roots); new certificates come from the newest generation only (no
 * fallback to an older one: a newest generation without a usable key
 * answers "key_unavailable"); older generations keep signing CRLs and OCSP
 * answers for their own certificates.
 */

/* Most generations one configured issuer may have (a bound on every walk of the chain). */
#define CA_MAX_GENERATIONS 32

/*
 * The newest loaded generation of the issuer `name` (a profile's issuer):
 * `name` itself when it has no loaded successor or is not loaded (borrowed
 * from the ca, or `name`).
 */
const char *ca_issuer_current(const struct ca *ca, const char *name);

/*
 * Before anything is made for a rollover of `predecessor` to the new name
 * `successor`: predecessor is a stored issuing CA ("issuer_unknown" 404,
 * "issuer_not_issuing" 409) and the newest generation ("issuer_not_newest"
 * 409, naming the newest); successor is a usable new name
 * ("issuer_name_invalid" 400: [a-z0-9][a-z0-9-]{0,62}, not ending in
 * -root, -delta or -chain, not "operators"; "issuer_exists" 409).
 * On success root (>= 64 bytes) gets predecessor's parent.
 */
enum pechat_err ca_succession_precheck(struct db *db, const char *predecessor, const char *successor,
    char *root, size_t rootsz, struct pechat_error *e);

/*
 * Inside the caller's transaction, after the successor's issuers row was
 * written: the checks of ca_succession_precheck again (the successor now
 * stored, an issuing CA with no succession of its own), then the
 * succession row and the audit entry "issuer.rollover" (actor, object
 * successor, detail "succeeds <predecessor>"). Safe to re-run (db_txn_run).
 * The one way a succession is recorded (`pechat ceremony rollover`, and an
 * imported certificate that succeeds an issuer).
 */
enum pechat_err ca_succession_record(struct db *db, const char *predecessor, const char *successor,
    const char *actor, time_t now, struct pechat_error *e);
/* OK when this issuer's key makes a test signature (hsm_key_status); "issuer_unknown" (404). */
enum pechat_err ca_issuer_key_ready(const struct ca *ca, const char *name, struct pechat_error *e);

/* OK when every issuer key can sign (readyz). */
enum pechat_err ca_keys_ready(const struct ca *ca, struct pechat_error *e);

/* ------------------------------------------------ issuer standing (ca/standing.c) */
/*
 * An issuer whose certificate (or an ancestor's) is revoked or on hold
 * signs nothing: no certificate, CRL, OCSP answer or responder
 * certificate. Its revocation's consequences are signed by its parent (the
 * parent's CRL lists it, the parent's OCSP answers say so). The standing
 * is read from the store by ca_standing_refresh (ca_new, every issuance,
 * /readyz and the watcher thread, so that a `pechat ceremony` run by the
 * CLI on the same store takes effect within a second).
 */

struct ca_publisher;

/*
 * Re-reads the last status event of every issuer certificate and updates
 * each issuer's standing. When a CA certificate's status changed since the
 * publisher was last told, this caller's publisher pub is told
 * (ca_publisher_status_changed: it re-signs the parent's OCSP answers about
 * it and schedules the parent's CRLs); an event counts as told only once a
 * publisher accepted it, so a refresh with pub NULL (nothing published:
 * ca_issue's own, `pechat` commands, tests) leaves it for the next refresh
 * that has one. Store errors only; one caller at a time (internal lock).
 */
enum pechat_err ca_standing_refresh(struct ca *ca, struct db *db, struct ca_publisher *pub,
    struct pechat_error *e);

/*
 * PECHAT_OK for an issuer in good standing (or an unknown name); else
 * CONFLICT "issuer_revoked" or UNAVAILABLE "issuer_on_hold", the detail
 * naming the issuer whose certificate is revoked or held and the reason.
 * No store access: what the last refresh saw. Thread-safe.
 */
enum pechat_err ca_issuer_check_cert_standing(struct ca *ca, const char *name, struct pechat_error *e);

/*
 * May this issuer sign now? ca_issuer_check_cert_standing, then UNAVAILABLE
 * "key_unavailable" when it was loaded without a usable key (cannot be
 * opened or does not match its certificate at start-up). Every signing
 * path asks this; serving answers already signed asks only the former.
 */
enum pechat_err ca_issuer_check_standing(struct ca *ca, const char *name, struct pechat_error *e);

/*
 * The issuers loaded without a usable key: "issuer NAME: why; ..." into buf
 * (truncated to bufsz, always NUL-terminated when bufsz > 0); their count.
 */
int ca_key_problems(const struct ca *ca, char *buf, size_t bufsz);

/*
 * conf->public_base_url without trailing '/' into buf: the base of every
 * CDP, freshestCRL and AIA URL ca_issue and `pechat init` write. 0 or -1.
 */
int ca_base_url(const struct ca *ca, char *buf, size_t bufsz);

/*
 * OK when no issuer is blocked; else UNAVAILABLE "issuer_not_usable" whose
 * detail lists every blocked issuer ("issuer ecdsa: certificate revoked
 * (cACompromise) by ceremony; ..."). No store access.
 */
enum pechat_err ca_standing_ready(struct ca *ca, struct pechat_error *e);

/*
 * Starts a thread that calls ca_standing_refresh(ca, ..., pub) every
 * interval_ms with its own connection to store_path (pub may be NULL);
 * *out is the caller's (the ca does not keep it). _stop joins and frees it:
 * before ca_publisher_stop and ca_free. Stop is NULL-safe.
 */
struct ca_standing_watch;
enum pechat_err ca_standing_watch_start(struct ca *ca, struct ca_publisher *pub, const char *store_path,
    int interval_ms, struct ca_standing_watch **out, struct pechat_error *e);
void ca_standing_watch_stop(struct ca_standing_watch *w);

/*
 * Parses a PKCS#10 request (PEM with exactly one CERTIFICATE REQUEST block,
 * only whitespace around it, or DER) from untrusted bytes: bounded to 64
 * KiB, no trailing bytes, a self-signature digest of SHA-2 or Streebog
 * (else "csr_digest_not_allowed", naming the digest found and the accepted
 * ones; Ed25519/Ed448 and RSA-PSS with SHA-2 qualify), a GOST R 34.10-2012
 * key self-signed with the Streebog signature of its own size (else
 * "csr_digest_key_mismatch"), and verifies the self-signature (proof of
 * possession). Codes: "csr_malformed",
 * "csr_trailing_data", "csr_signature_invalid", "csr_too_large" (TOO_LARGE),
 * and "csr_critical_extension" (a requested extension marked critical that
 * OpenSSL does not know; a repeated one is "csr_malformed"). All but
 * csr_too_large are PECHAT_E_INVALID. Weak keys and explicit curves still
 * parse: refusing them is ca_key_policy_check's job.
 */
enum pechat_err ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out,
    struct pechat_error *e);

/* A checked request as parts (ca_csr_read). Everything owned: ca_csr_free. */
struct ca_csr {
	EVP_PKEY *key;                  /* the public key */
	PECHAT_SPKI_RAW *spki;          /* its SubjectPublicKeyInfo as sent: algorithm + key bits, never decoded */
	unsigned char *spki_der;        /* that SubjectPublicKeyInfo's DER (the key checks hash it) */
	size_t spki_len;
	unsigned char *der;             /* the request in DER (what a request row keeps) */
	size_t der_len;
};

/*
 * ca_csr_parse's checks and codes, the request returned as parts instead
 * of an X509_REQ: no OpenSSL key decoder runs for an EC key on P-256,
 * P-384 or P-521 (built from the curve name and the point, which must lie
 * on the curve) nor for an rsaEncryption key (from n and e); other keys are
 * decoded as d2i_X509_REQ would.
 * docs/OPENSSL.md, "Key decoders on the issuance path".
 */
enum pechat_err ca_csr_read(const unsigned char *data, size_t len, struct ca_csr **out,
    struct pechat_error *e);
void ca_csr_free(struct ca_csr *csr);       /* NULL-safe */

/*
 * Checks a public key against a profile's key policy: algorithm allowed,
 * RSA >= rsa_min_bits (and never < 2048), EC on a named curve only, a GOST
 * key on a parameter set the profile accepts (gost_paramsets).
 * Codes: "key_algorithm_not_allowed", "key_too_weak", "key_curve_not_allowed",
 * "key_paramset_not_allowed".
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

/*
 * The DN a certificate for this subject gets, as certificates.subject_dn
 * stores it (RFC 4514, UTF-8 as is, cut to bufsz). The values must have
 * passed ca_subject_check. The key checks of inline requests compare it.
 */
enum pechat_err ca_subject_dn(const struct pechat_subject *s, char *buf, size_t bufsz, struct pechat_error *e);

/*
 * More store work inside ca_issue's final transaction, right after the new
 * certificate's row (`row`: its serial, DER, fingerprint) and before the
 * request moves to "issued": a non-OK return rolls the issuance back (the
 * serial reservation stays). It may run more than once (db_txn_run retries
 * on a busy store), so it must start from scratch each time and touch only
 * the store (ra/rekey.c revokes the certificates a re-key supersedes here).
 */
typedef enum pechat_err (*ca_issue_txn_fn)(struct db *db, void *arg, const struct db_cert *row,
    struct pechat_error *e);

/* What to issue. Everything borrowed. */
struct ca_issue_params {
	const char *profile;                    /* a configured profile name */
	const struct pechat_subject *subject;   /* verified request data: the DN is built from this */
	const struct ca_csr *csr;               /* read and proof-of-possession checked (ca_csr_read) */
	const char *request_id;                 /* NULL or the request this issues */
	const char *actor;                      /* who caused it (operator/portal name), for the audit */
	ca_issue_txn_fn in_txn;                 /* NULL, or more work in the store transaction */
	void *in_txn_arg;
	/* qualified profiles (docs/PROFILES.md); ignored by the others */
	const char *sign_tool;                  /* subjectSignTool; NULL: the profile's sign_tool */
	int has_identification_kind;            /* 1: identification_kind was recorded by the RA */
	int identification_kind;                /* identificationKind 0..3 (the document's verification method) */
};

/*
 * What a successful ca_issue changed, for its caller to tell the publisher
 * (ca/ holds no pointer to it): ca_publisher_status_changed(pub, db,
 * c->issuer, c->serial, c->crl_changed, e). A status change's report is its
 * stored event (struct db_revocation: issuer, serial; crl_changed 1).
 */
struct ca_change {
	char issuer[64];        /* the issuer that signed (its name, as the store has it) */
	char serial[65];        /* the new certificate's serial (ca_cert_serial_hex) */
	int crl_changed;        /* 0: an issuance changes no CRL */
	time_t at;              /* the clock's time the change was stored with (the request's updated_at) */
	/*
	 * An issuance only: the certificate's DER as stored (malloc'd, the
	 * change's own: ca_change_clear frees it; NULL when not reported) and
	 * its validity, so that the reply needs no read of the store.
	 */
	unsigned char *der;
	size_t der_len;
	time_t not_before, not_after;
};

/* Frees what c owns (its DER) and zeroes it. NULL-safe. */
void ca_change_clear(struct ca_change *c);

/*
 * Issues a certificate (ARCHITECTURE.md, steps 1..7): validity from the
 * clock clipped to the issuer; a random positive serial (>= 64 CSPRNG bits)
 * reserved in the store; DN built from params->subject; profile extensions
 * (basicConstraints, keyUsage, extKeyUsage, SKI, AKI, certificatePolicies,
 * CRL DP and AIA from the public base URL); lint; sign through hsm/ with the
 * digest that follows the issuer key; verify; then one transaction stores
 * the certificate, runs params->in_txn (if any), moves the request to
 * "issued" and appends an audit entry. On success, with out not NULL, *out
 * is the certificate parsed from its stored DER (owned; a complete object,
 * its key decoded); out NULL spares that parse (the stored DER is what
 * replies use). With changed not NULL, *changed reports what the issuance
 * changed (filled on success only; zeroed otherwise): the caller tells the
 * publisher (step 8) before it answers. Nothing but the serial reservation
 * is left in the store on failure.
 * Step 1 re-runs ca_key_policy_check and ca_subject_check (their codes
 * pass through). Other codes: "profile_unknown" (INVALID),
 * "issuer_unavailable"/"issuer_expired"/"issuer_on_hold" (UNAVAILABLE),
 * "issuer_revoked" (CONFLICT; ca_issuer_check_standing, after re-reading
 * the standing from the store), "lint_failed", for a qualified profile
 * "sign_tool_missing" / "identification_kind_missing" (POLICY: the request
 * names no sign tool and the profile has none / no identification recorded),
 * "signature_check_failed" (INTERNAL), the store's codes for step 7 (e.g.
 * CONFLICT when the request can no longer move to "issued").
 * notBefore = the clock's now (no backdating). docs/ISSUANCE.md.
 */
enum pechat_err ca_issue(struct ca *ca, struct db *db, const struct ca_issue_params *params,
    X509 **out, struct ca_change *changed, struct pechat_error *e);

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
/*
 * The same from a certificate's DER, decoding its subject only (no key
 * decoder look-up: for the stored certificates of API replies). INVALID
 * "certificate_malformed" when the DER is not one certificate. *out zeroed.
 */
enum pechat_err ca_cert_der_subject(const unsigned char *der, size_t len, struct pechat_subject *out,
    struct pechat_error *e);

/* The digest that follows a signing key: SHA-256/384/512 for EC by curve, SHA-256 for RSA,
 * Streebog-256/512 for GOST R 34.10-2012, NULL for Ed25519. Looked up by name. */
const EVP_MD *ca_digest_for_key(EVP_PKEY *key);

/* --------------------------------------------------- status publishing */
/*
 * ca/ holds no pointer to the publisher. ca_issue and ca_revoke report what
 * they changed (struct ca_change; the stored struct db_revocation) and
 * their caller, which holds the publisher (ra/: struct ra_ca; NULL when
 * nothing is published), tells it with ca_publisher_status_changed before
 * its own call returns: crl_changed = 0 for an issuance, 1 for a revoke,
 * hold or release. ca_standing_refresh tells the publisher it is given of
 * a CA certificate's change (then issuer is its parent). A failure is
 * logged and never undoes the change.
 *

 * The publisher (ca/publish.c) keeps what relying parties fetch: the latest
 * full and delta CRL of every public issuer (regenerated on a schedule and,
 * coalesced, after every status change) and the pre-signed OCSP answers
 * (memory + store, refreshed ahead of nextUpdate). It owns one background
 * thread with its own store connection. Everything below is thread-safe.
 */
struct ca_publisher;

/* Publishing settings (config "crl" and "ocsp" sections). */
struct ca_publish_conf {
	int crl_next_update_s;          /* full CRL nextUpdate - thisUpdate (default 43200) */
	int crl_full_interval_s;        /* regenerate the full CRL at least this often (default 3600) */
	int crl_delta_next_update_s;    /* delta CRL validity (default 3600) */
	int crl_delta_rebase_s;         /* deltas are relative to a base at most this old (default 86400) */
	int crl_coalesce_ms;            /* CRLs are made once changes pause this long (default 1000) */
	int crl_max_delay_ms;           /* ... but at most this long after the first change (default 3000) */
	int ocsp_validity_s;            /* pre-signed answers: nextUpdate - thisUpdate (default 14400) */
	int ocsp_refresh_before_s;      /* re-sign this long before nextUpdate (default 3600) */
	int ocsp_honour_nonce;          /* 1: nonce echoed in a fresh signature; 0: ignored (RFC 8954) */
	int ocsp_max_certids;           /* CertIDs accepted in one request (default 10) */
	int ocsp_on_demand_per_s;       /* on-demand signatures per issuer per second (default 50) */
	int ocsp_responder_validity_days; /* delegated responder certificate (default 7) */
	int ocsp_responder_renew_days;  /* renewed this long before it expires (default 2) */
	char store_path[512];           /* the publisher thread opens its own connection */
	int maint_slice_answers;        /* maintenance re-signs at most this many certificates between two
	                                 * CRL schedule checks (0: 64) */
	int maint_slice_ms;             /* ... and works at most this long (0: 50 ms) */
	int ocsp_kept_max;              /* answers signed on demand and kept (CertID hashes outside the
	                                 * pre-signed set), over all issuers (0: 16384) */
};

/*
 * Starts the publisher: delegated OCSP responders ensured for every public
 * issuer, stored CRLs and OCSP answers loaded, missing or stale ones made
 * now (before the call returns), issuers whose stored CRLs lag behind their
 * revocation events marked for immediate publication, then the background
 * thread started. The publisher reads `ca` (borrowed, must outlive it);
 * the ca knows nothing of it: whoever changes a status tells it.
 */
enum pechat_err ca_publisher_start(struct ca *ca, struct db *db, const struct ca_publish_conf *conf,
    struct ca_publisher **out, struct pechat_error *e);
/*
 * Stops the thread, after it has published the CRLs of every issuer with a
 * pending status change (call it once no more changes can come: after the
 * listeners, the request queue and the standing watcher are stopped), and
 * frees everything. NULL-safe.
 */
void ca_publisher_stop(struct ca_publisher *pub);

/*
 * A certificate's status changed (issued, revoked, held, released): its OCSP
 * answers are re-signed and replaced before this returns, and, when
 * crl_changed (revoke, hold, release — not issuance), the CRLs of its issuer
 * are scheduled (coalesced). Called by whoever made the change, from its
 * report (struct ca_change, struct db_revocation). pub NULL: PECHAT_OK,
 * nothing done.
 */
enum pechat_err ca_publisher_status_changed(struct ca_publisher *pub, struct db *db, const char *issuer,
    const char *serial, int crl_changed, struct pechat_error *e);

/*
 * The first 8 octets of SHA-256 of der, big-endian: what identifies served
 * bytes (web/ makes the HTTP ETag of it). 0 when the digest cannot be made.
 */
uint64_t ca_der_fingerprint(const unsigned char *der, size_t len);

/* A published CRL as served: a reference-counted immutable blob. */
struct ca_blob {
	unsigned char *data;
	size_t len;
	time_t this_update;
	time_t next_update;
	uint64_t fingerprint;           /* the first 8 octets of SHA-256 of data, big-endian (web/ makes the ETag) */
};

/*
 * The latest full (delta = 0) or delta (delta = 1) CRL of an issuer:
 * PECHAT_OK with *out a new reference (release with ca_blob_release);
 * NOT_FOUND for an issuer we do not publish.
 */
enum pechat_err ca_crl_current(struct ca_publisher *pub, const char *issuer, int delta,
    struct ca_blob **out, struct pechat_error *e);
void ca_blob_release(struct ca_blob *blob);

/* What the OCSP endpoint sends. */
struct ca_ocsp_reply {
	unsigned char *der;             /* malloc'd OCSPResponse DER (always set on PECHAT_OK) */
	size_t len;
	int cacheable;                  /* a pre-signed answer: HTTP caching headers apply */
	time_t this_update;
	time_t next_update;
	uint64_t fingerprint;           /* of der, as ca_blob's; set when cacheable */
};

/*
 * Answers an OCSP request (RFC 6960): pre-signed answers from memory for a
 * single CertID without nonce (no signing, no SQL); otherwise the slow path
 * with the caller's store connection: on-demand signatures rate-limited per
 * issuer, unauthorized for issuers we do not serve, malformedRequest for
 * anything unparsable. Returns PECHAT_OK with out->der always set, or an
 * internal error.
 */
enum pechat_err ca_ocsp_answer(struct ca_publisher *pub, struct db *db, const unsigned char *req,
    size_t len, struct ca_ocsp_reply *out, struct pechat_error *e);

/* Counters for tests and monitoring. */
struct ca_publish_stats {
	uint64_t ocsp_presigned_hits;
	uint64_t ocsp_on_demand_signed;
	uint64_t ocsp_try_later;
	uint64_t crl_generated;
	uint64_t ocsp_owed;             /* serials whose answers are owed now (a status change not re-signed yet) */
	uint64_t ocsp_owed_total;       /* status changes recorded as owed */
	uint64_t ocsp_owed_resigned;    /* owed serials signed by the background re-signer */
	uint64_t ocsp_owed_on_demand;   /* owed serials signed by an OCSP request for them (no rate limit) */
	uint64_t ocsp_owed_inline;      /* status changes signed on the request thread (the owed set full) */
};
void ca_publisher_stats(struct ca_publisher *pub, struct ca_publish_stats *out);

/*
 * A key's token came back or went (hsm/ presence watcher): issuers whose
 * CRL regeneration failed meanwhile are retried now instead of after
 * CRL_RETRY_S, and an OCSP maintenance pass re-signs the answers that fell
 * due. Thread-safe; NULL-safe.
 */
void ca_publisher_keys_changed(struct ca_publisher *pub);

/* ------------------------------------------------------ keys (ca/keys.c) */

/* One key the daemon uses, as GET /api/v1/keys shows it (docs/API.md). */
struct ca_key_view {
	char role[16];                  /* "issuer" or "ocsp_responder" */
	char issuer[64];                /* the issuer it is (or answers for) */
	char issuer_kind[16];           /* "root", "issuing", "operators" */
	char key_ref[512];              /* hsm_key_ref_redact: no secret source's path */
	char kind[16];                  /* "file", "pkcs11", "engine" */
	char algorithm[32];             /* from the certificate: "ec-p256", "rsa-3072", "ed25519", ... */
	char public_key_sha256[65];     /* common/spki.c key hash of the certificate's key */
	char cert_serial[65];           /* the certificate this key signs for */
	char state[16];                 /* "ok", "absent", "login_failed", "mismatch", "unavailable" */
	char detail[256];               /* why, when not "ok" */
	char reader[128];               /* the PC/SC reader, "" when none */
	char presence[16];              /* "none", "present", "absent", "unknown" */
	time_t last_signature;          /* last signature started with it (0: none since start) */
};

/*
 * Every key of the loaded issuers, then every delegated OCSP responder key
 * of pub (may be NULL), into out[0..max): their number. A loaded key's
 * state comes from its token's presence and hsm_key_status (a test
 * signature, trusted 5 s). Read-only.
 */
int ca_keys_list(struct ca *ca, struct ca_publisher *pub, struct ca_key_view *out, int max);

/*
 * The issuers whose key's token is absent right now (no signature made):
 * "issuer NAME: key REF: token absent (reader R)" joined by "; " into buf;
 * their number.
 */
int ca_keys_absent(const struct ca *ca, char *buf, size_t bufsz);

/* ------------------------------------------------------------- revocation */

/* What an operator asks for. */
enum ca_revoke_action {
	CA_REVOKE,      /* final; reason any RFC 5280 name except certificateHold */
	CA_HOLD,        /* reason certificateHold */
	CA_RELEASE,     /* ends a hold; a new event, never an edit */
};

/*
 * The subscriber API: revokes, holds or releases a subscriber certificate
 * (ca_cert_classify) in one transaction (event + audit). *out (may be
 * NULL) gets the stored event: the report its caller tells the publisher
 * (ca_publisher_status_changed(pub, db, out->issuer, out->serial, 1, e):
 * OCSP answers replaced, CRLs scheduled) before it answers. Codes:
 * "certificate_unknown" (404), "not_subscriber_certificate" (409, the
 * detail says what the certificate is and which command manages it),
 * "already_revoked", "already_on_hold", "not_on_hold" (409),
 * "reason_invalid" (the detail lists the accepted reasons),
 * "invalidity_date_invalid" (422: given to hold/release, in the future, or
 * more than CA_INVALIDITY_MARGIN_S = 24 h before the certificate's
 * notBefore).
 */
enum pechat_err ca_revoke(struct ca *ca, struct db *db, const char *serial, enum ca_revoke_action action,
    const char *reason, time_t invalidity_date, const char *actor, const char *comment,
    struct db_revocation *out, struct pechat_error *e);

/*
 * The revocation reason in `field` is one the API accepts: an RFC 5280 name of docs/REVOCATION.md
 * other than certificateHold and removeFromCRL. INVALID "reason_invalid"
 * naming `field` (the detail lists the accepted reasons).
 */
enum pechat_err ca_revoke_reason_check(const char *field, const char *reason, struct pechat_error *e);

/* One status change of a stored certificate. Everything borrowed. */
struct ca_status_change {
	const char *serial;
	enum ca_revoke_action action;
	const char *reason;             /* revoke: RFC 5280 name, NULL = unspecified; ignored otherwise */
	time_t invalidity_date;         /* 0: none; revoke only */
	const char *actor;              /* audit and event actor */
	const char *comment;            /* or NULL */
	int subscriber_only;            /* 1 (the API): refuse anything but a subscriber certificate */
	const char *audit_action;       /* NULL: "certificate.revoke|hold|release" */
	const char *audit_object;       /* NULL: the serial (then the serial leads the detail) */
};

/*
 * One status change inside the caller's open transaction (a db_txn_run
 * callback), so several changes, or a change and other rows, commit
 * together: the checks and appends of ca_revoke (same codes), nothing
 * published. After the commit, call ca_status_change_publish for each
 * event; on a failure the caller's transaction rolls everything back.
 */
enum pechat_err ca_status_change_in_txn(struct db *db, time_t now, const struct ca_status_change *c,
    struct db_revocation *out, struct pechat_error *e);
/*
 * After the commit of a status change: logs it and tells pub (its OCSP
 * answers replaced before returning, CRLs scheduled; a failure is logged).
 * pub NULL: only logs.
 */
void ca_status_change_publish(struct ca_publisher *pub, struct db *db, const struct db_revocation *ev);

/* What a stored certificate is to the CA (ca_cert_classify). */
enum ca_cert_class {
	CA_CERT_SUBSCRIBER,     /* issued by an issuing CA for a request through a profile */
	CA_CERT_ROOT,           /* a root CA certificate */
	CA_CERT_ISSUING_CA,     /* an issuing CA certificate */
	CA_CERT_OPERATORS_CA,   /* the operators CA certificate */
	CA_CERT_OCSP_RESPONDER, /* a delegated OCSP responder certificate */
	CA_CERT_OPERATOR,       /* an operator's or portal's client certificate */
	CA_CERT_API_TLS,        /* the API listener's TLS server certificate */
	CA_CERT_OTHER,          /* none of these, and not tied to a request */
};

/*
 * Classifies a stored certificate from the store (db_cert_role): issuer
 * certificate (by DER), OCSP responder (by serial), operator credential
 * (by fingerprint), API TLS (tls-server profile from the operators CA);
 * SUBSCRIBER only for a certificate that a request names as its own,
 * signed by an issuing CA. *role gets the rows found (names for messages).
 */
enum pechat_err ca_cert_classify(struct db *db, const struct db_cert *cert, enum ca_cert_class *cls,
    struct db_cert_role *role, struct pechat_error *e);

/*
 * The key ceremony (ca/ceremony.c, `pechat ceremony`): revokes, holds or
 * releases the certificate of issuer `issuer` (a root or an issuing CA; not
 * the operators CA: "issuer_not_revocable"). The event is recorded under
 * the certificate's signer (the parent; the root itself for a root), so the
 * parent's CRLs and OCSP answers publish it; audit "ca.revoke|hold|release"
 * by `actor`, object the issuer name. Reason and transition rules and codes
 * as ca_revoke ("issuer_unknown" 404 for a name not in the store). Whoever
 * runs pechatd on this store notices within a second (ca_standing_*).
 */
enum pechat_err ca_ceremony_issuer(struct db *db, const struct pechat_clock *clock, const char *issuer,
    enum ca_revoke_action action, const char *reason, const char *comment, const char *actor,
    struct db_revocation *out, struct pechat_error *e);

/*
 * `pechat operator revoke`: revokes the client certificate of operator
 * `name` (event under the operators CA; the API refuses it from then on
 * with client_certificate_revoked). Audit "operator.revoke". Codes:
 * "operator_unknown" (404), ca_revoke's reason and transition codes.
 */
enum pechat_err ca_operator_revoke(struct db *db, const struct pechat_clock *clock, const char *name,
    const char *reason, const char *comment, const char *actor, struct db_revocation *out,
    struct pechat_error *e);

/* ------------------------------------------- certificate status (ca/status.c) */

/* What a certificate is to relying parties. */
enum ca_cert_state {
	CA_STATE_VALID,
	CA_STATE_ON_HOLD,
	CA_STATE_REVOKED,
	CA_STATE_EXPIRED,       /* valid by its events, past notAfter */
};

/*
 * THE certificate-status rule (the only place that derives a status from
 * revocation events): the last event decides — none (NULL or id 0) or a
 * release: valid; a hold: on hold; a revoke: revoked (final) — and a valid
 * certificate past not_after at `now` is expired (now == 0: expiry not
 * considered, as OCSP answers and CRLs do).
 */
enum ca_cert_state ca_status_rule(const struct db_revocation *last, time_t not_after, time_t now);
/* "valid", "on_hold", "revoked", "expired": the API's names. */
const char *ca_cert_state_name(enum ca_cert_state st);
/*
 * The status of certificate `serial` from the store: its last event with
 * id <= mark (mark < 0: all) through ca_status_rule. *last (may be NULL)
 * gets that event (id 0: none). Store errors only.
 */
enum pechat_err ca_serial_status(struct db *db, const char *serial, int64_t mark, time_t not_after, time_t now,
    enum ca_cert_state *st, struct db_revocation *last, struct pechat_error *e);

/*
 * The status of cert whose last status event is *last (id 0: none), as
 * ca_cert_status names it, without the store: ev gets *last when it is the
 * revoke or hold in force, zeroes otherwise. For a caller that has just
 * made that event (ca_revoke's report).
 */
const char *ca_cert_status_of(const struct db_cert *cert, const struct db_revocation *last, time_t now,
    struct db_revocation *ev);
/* Current status of a stored certificate: "valid", "on_hold", "revoked", "expired";
 * ev filled with the revoke/hold event when there is one (ev->id == 0 otherwise). */
enum pechat_err ca_cert_status(struct db *db, const struct db_cert *cert, time_t now, const char **status,
    struct db_revocation *ev, struct pechat_error *e);

/* CRL and OCSP building blocks (ca/crl.c, ca/ocsp.c, ca/responder.c). */
#include "ca/ca_status.h"

#endif
