/* ra/ra_int.h — what the ra/ sources share: the in-process claims and the one issuance path. */
#ifndef PECHAT_RA_INT_H
#define PECHAT_RA_INT_H

#include <openssl/x509.h>

#include "ra/ra.h"

/*
 * Takes the in-process claim of (client, key), waiting up to 10 s while
 * another thread holds it. The slot, or -1 when the wait ran out.
 */
int ra_claim_take(const char *client, const char *key);
/* Gives a claim back (slot < 0: nothing held) and wakes the waiters. */
void ra_claim_release(int slot);

/*
 * Issues the certificate of a pending or approved request through ca_issue
 * (csr: the parsed CSR, or NULL to parse the stored one); *req is reloaded.
 * A transient failure (store busy, key unavailable) is returned and leaves
 * the request as it was, for a retry; any other failure marks it failed and
 * returns PECHAT_OK with the failed request. An issuance is told to rc->pub
 * (ra_publish) before this returns.
 */
enum pechat_err ra_request_issue(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    struct db_request *req, const struct ca_csr *csr, struct pechat_error *e);

/*
 * Tells rc->pub (ca_publisher_status_changed) that what relying parties see
 * of (issuer, serial) changed — what ca_issue (struct ca_change) or
 * ca_revoke (its event, crl_changed 1) reported — after the commit: its
 * OCSP answers are replaced before this returns. A failure is logged, never
 * undoes the change. rc->pub NULL: nothing done.
 */
void ra_publish(const struct ra_ca *rc, struct db *db, const char *issuer, const char *serial, int crl_changed);

/* Appends a check result (name, passed, detail) to the request (bounded by DB_MAX_CHECKS). */
void ra_add_check(struct db_request *req, const char *name, int passed, const char *detail);

/*
 * For a registry profile: reads subject_id's current version (a portal: only
 * one it created, else "subject_unknown"), refuses "subject_kind_mismatch",
 * "subject_not_verified", "subject_blocked" (all 422), records the checks
 * subject_registered and subject_verified on req, and composes req->subject
 * (empty before) from that version as the profile allows, with
 * req->subject_id and req->subject_version (ra/regreq.c). A legal entity's
 * subject is left empty: ra_legal_compose composes it with the representative.
 */
enum pechat_err ra_registry_subject_compose(struct db *db, const struct ra_actor *actor,
    const struct pechat_profile_conf *profile, const char *subject_id, struct db_request *req,
    struct pechat_error *e);

/*
 * For a request made against the registry: PECHAT_OK while its subject's
 * current version is verified, else "subject_blocked" / "subject_not_verified".
 * OK at once for an inline request.
 */
enum pechat_err ra_registry_subject_standing(struct db *db, const struct db_request *req,
    struct pechat_error *e);

/* The value of field `name` in registry version s, or NULL (ra/legal.c). */
const char *ra_subject_value(const struct db_subject *s, const char *name);

/*
 * For a legal_entity registry profile, after ra_registry_subject_compose
 * (req->subject_id and version are the organisation's, req->subject empty):
 * the representative sub->representative_id (a portal: one it registered;
 * "representative_unknown", "representative_kind_mismatch",
 * "representative_blocked", "representative_not_verified") acts as a
 * current head of the organisation (no POA: else "poa_required") with a
 * verified appointment document in force (ra_head_appointment) or under
 * the stored POA sub->poa_id ("poa_unknown", and ra_poa_check's codes on
 * the day of now). Records the checks that passed, composes req->subject
 * from both verified versions and sets req->representative_id, _version,
 * poa_id (ra/legal.c).
 */
enum pechat_err ra_legal_compose(struct db *db, const struct ra_actor *actor,
    const struct pechat_profile_conf *profile, const struct ra_submission *sub, time_t now,
    struct db_request *req, struct pechat_error *e);

/*
 * The head's authority without a power of attorney (ra/appointments.c): a
 * verified appointment document of head_id at organisation org_id in force
 * on the day of now (its date not after that day, valid_until absent or not
 * before it); *out the newest such. Else "head_appointment_expired" (every
 * verified one of the head has ended) or "head_appointment_missing" (none
 * verified).
 */
enum pechat_err ra_head_appointment(struct db *db, const char *org_id, const char *head_id, time_t now,
    struct db_appointment *out, struct pechat_error *e);

/*
 * For a qualified profile (ra/qualified.c), after the subject is composed:
 * req->sign_tool from sub->sign_tool ("validation_failed" when it is not
 * 1..200 characters of text; absent: the profile's, else
 * "sign_tool_missing"), req->identification_kind from the newest
 * verification of the owner's (the individual's, or a legal entity's
 * representative's) identity documents ("identification_kind_missing"),
 * each recorded as a check; a power of attorney is refused. For other
 * profiles: sub->sign_tool is refused ("validation_failed"), else OK.
 */
enum pechat_err ra_qualified_compose(struct db *db, const struct pechat_profile_conf *profile,
    const struct ra_submission *sub, struct db_request *req, struct pechat_error *e);

/*
 * The same checks again on a stored request (in the transaction that stores
 * it, and at approval), against the current versions, recording nothing.
 * OK at once for a request without a representative.
 */
enum pechat_err ra_legal_standing(struct db *db, const struct pechat_profile_conf *profile,
    const struct db_request *req, time_t now, struct pechat_error *e);

/*
 * The CSR key checks (ra/keycheck.c) for req (its subject composed; csr the
 * parsed CSR, or NULL to parse req->csr_der): "key_compromised" when a
 * certificate of the key was revoked keyCompromise (or cACompromise),
 * "key_certified_for_other_subject" when one names another owner (registry:
 * another subject or representative; inline: another DN or a registry
 * subject); both PECHAT_E_POLICY. With record, the passed checks
 * key_not_compromised and key_unique_to_subject go on req.
 */
enum pechat_err ra_key_checks(struct db *db, struct db_request *req, const struct ca_csr *csr, int record,
    struct pechat_error *e);

/*
 * Inside the block's transaction: revokes every active (valid or on hold)
 * certificate of subject_id (db_subject_cert_each) with `reason` (an
 * accepted CRLReason name) and `comment`, by actor, through
 * ca_status_change_in_txn; out gets one event per revocation (reset first,
 * so a retried transaction starts again). Any failure is returned as is:
 * the caller's transaction rolls everything back.
 */
enum pechat_err ra_block_revoke_in_txn(struct db *db, const struct ra_actor *actor, time_t now,
    const char *subject_id, const char *reason, const char *comment, struct ra_revoked *out,
    struct pechat_error *e);

/*
 * Idempotency of the creating POSTs (ra/idem.c). ra_idem_begin, before
 * anything is written: without a key NOT_FOUND at once (*claim -1); else
 * the claim of (client, key) is taken (*claim; a call still at work after
 * 10 s: "request_in_progress" unless its key is recorded by then) and the
 * recorded key looked up: PECHAT_OK with *found (a replay: the caller
 * answers found->resource_id as it is now), "idempotency_key_reused" (422)
 * for another route or body hash, NOT_FOUND when it is new (create, then
 * ra_idem_end). *found is freed by ra_idem_end.
 */
enum pechat_err ra_idem_begin(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem,
    int *claim, struct db_idem *found, struct pechat_error *e);
/*
 * Inside the creating transaction: records the key with what it created
 * (resource kind and id, HTTP status, detail may be NULL). OK at once
 * without a key; CONFLICT when another process recorded it first.
 */
enum pechat_err ra_idem_record(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem,
    const char *kind, const char *id, int status, const char *detail, time_t at, struct pechat_error *e);
/*
 * After the creating transaction failed with CONFLICT: PECHAT_OK with *found
 * when another process recorded the key meanwhile (with this body: answer it),
 * the error ra_idem_begin would give for another body, else `err` unchanged
 * (e kept: the conflict was the resource's own, e.g. "subject_duplicate").
 */
enum pechat_err ra_idem_after_conflict(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem,
    enum pechat_err err, struct db_idem *found, struct pechat_error *e);
/* Releases the claim and frees *found (both may be unset: claim -1, found zeroed). */
void ra_idem_end(int claim, struct db_idem *found);

/* The profile_unknown refusal (INVALID) for `name`, naming the configured profiles in detail and errors[]. */
enum pechat_err ra_profile_unknown(struct ca *ca, const struct ra_actor *actor, const char *name,
    struct pechat_error *e);

/*
 * The CSR checks of every request and re-key: parsed with proof of
 * possession (ca_csr_read), its key allowed by the profile
 * (ca_key_policy_check), both recorded as passed checks on req; its DER
 * kept on req->csr_der. *csr_out (owned) is the parsed CSR; NULL on failure.
 */
enum pechat_err ra_csr_checks(const struct pechat_profile_conf *profile, const unsigned char *bytes, size_t len,
    struct db_request *req, struct ca_csr **csr_out, struct pechat_error *e);

/*
 * The CSR a request row keeps (req->csr_der, checked when it was stored),
 * read again as parts (ca_csr_read) into *out (owned); its codes, INTERNAL
 * for one that no longer reads.
 */
enum pechat_err ra_stored_csr(const struct db_request *req, struct ca_csr **out, struct pechat_error *e);

/*
 * Marks request id "failed" with why's code and detail (audit
 * "request.fail" by actor) in one transaction; a store failure is logged.
 */
void ra_request_mark_failed(struct ca *ca, struct db *db, const char *id, const char *actor,
    const struct pechat_error *why);

#endif
