/*
 * ra/ — registration authority: identifier validators, the request workflow
 * (submit, checks, approval, issuance through ca/). Subjects, documents and
 * powers of attorney arrive with the registration issue.
 */
#ifndef PECHAT_RA_H
#define PECHAT_RA_H

#include <stddef.h>

#include "ca/ca.h"
#include "common/common.h"
#include "db/db.h"

/* The identifier checks (INN, SNILS, OGRN, OGRNIP, KPP) are common/ids.h's. */
#include "common/ids.h"

/* -------------------------------------------------------- request workflow */

/*
 * What ra/ acts through and whom it tells (borrowed; built once by web/ and
 * pechatd). ca/ reports what each issuance or status change changed and
 * holds no pointer to the publisher: ra/ tells pub of it
 * (ca_publisher_status_changed) after the commit and before its own call
 * returns, so a certificate's OCSP answers are current when the API call
 * that changed it answers. pub NULL: nothing published (store-only callers,
 * tests); nothing fails for it.
 */
struct ra_ca {
	struct ca *ca;
	struct ca_publisher *pub;       /* NULL: nothing published */
};

/* Who is calling: established by web/ from the client certificate. */
struct ra_actor {
	char name[64];
	char role[16];
	char fingerprint[65];   /* SHA-256 of the client certificate; "" outside HTTP */
};

/* A submission as parsed by web/ (everything borrowed). */
struct ra_submission {
	const char *profile;
	const struct pechat_subject *subject;   /* inline subject; NULL when absent */
	const char *subject_id;         /* registry subject; NULL when absent */
	const char *representative_id;  /* legal entity: the individual acting for it; NULL when absent */
	int64_t poa_id;                 /* legal entity: power_of_attorney_id; 0 when absent */
	const char *sign_tool;          /* qualified: subjectSignTool (untrusted UTF-8); NULL when absent */
	const unsigned char *csr;       /* PEM or DER bytes, untrusted */
	size_t csr_len;
	const char *idem_key;           /* NULL/"" when absent */
	const char *body_hash;          /* SHA-256 hex of the request body (idempotency) */
};

/*
 * Submits a request: parses the CSR (proof of possession), checks key
 * policy and subject data against the profile and the identifier checks,
 * stores the request "pending" with the results of its checks (or answers an idempotent retry with the
 * stored one: *replayed = 1), and for an auto_approve profile issues at once
 * (also on a replay that finds the request still pending after a transient
 * failure, so a portal's retry completes the issuance).
 * Bad input is refused before anything is stored: nothing is half-written.
 * On success *out holds the stored request (free with db_request_free_fields).
 * The profile's subject_source decides where the subject comes from: the
 * inline `subject`, or the registry subject `subject_id` (its current
 * verified version, composed as docs/REGISTRATION.md says); the other one
 * sent, or the needed one missing, is "validation_failed" naming the field.
 * A legal_entity profile also takes representative_id (required) and
 * poa_id (ra_legal_compose); other profiles refuse both. Every request's
 * CSR key passes ra_key_checks.
 * Codes: "profile_unknown", "validation_failed", "csr_*", "key_*", "subject_invalid",
 * "subject_unknown", "subject_kind_mismatch", "subject_not_verified", "subject_blocked",
 * "representative_*", "poa_*", "key_compromised", "key_certified_for_other_subject",
 * "idempotency_key_reused", "store_busy".
 */
enum pechat_err ra_request_submit(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const struct ra_submission *sub, struct db_request *out, int *replayed,
    struct pechat_error *e);

/* -------------------------------------------------------- subject registry */
/*
 * docs/REGISTRATION.md. Subject fields by JSON name; which kind carries
 * which, and their rules, are in ra/subject_fields.c.
 */
enum ra_subject_field {
	RSF_SURNAME = 0, RSF_GIVEN_NAME, RSF_PATRONYMIC, RSF_BIRTH_DATE, RSF_SNILS, RSF_INN,
	RSF_OGRNIP, RSF_FULL_NAME, RSF_SHORT_NAME, RSF_INNLE, RSF_OGRN, RSF_KPP, RSF_EMAIL,
	RSF_PHONE, RSF_COUNTRY, RSF_REGION, RSF_LOCALITY, RSF_STREET, RSF_COUNT
};
#define RA_SUBJECT_TEXT_MAX 256         /* bytes of any field value */

/* JSON name of a field; the field of a name (-1 if unknown). */
const char *ra_subject_field_name(enum ra_subject_field f);
int ra_subject_field_lookup(const char *name);

/*
 * An Idempotency-Key on a creating POST other than /api/v1/requests
 * (docs/API.md, "Idempotency"), as web/ read it (borrowed). The first reply
 * of (client, route, key) is recorded in the transaction that creates the
 * resource; the same key with the same hash answers it again, with another
 * hash is "idempotency_key_reused" (422). Identical calls run one at a time
 * (the in-process claim of (client, key)).
 */
struct ra_idem {
	const char *key;                /* 1..128 visible ASCII (web/ checked); NULL: no key, every call creates */
	const char *route;              /* "subject", "document", "poa", "rekey" */
	const char *body_hash;          /* SHA-256 hex of what identifies the call (path, content type, body) */
};

/* Subject data as parsed by web/ (everything borrowed; NULL = absent). */
struct ra_subject_input {
	const char *kind;                       /* create only; ignored on update */
	const char *v[RSF_COUNT];
	int heads_given;                        /* update: 0 keeps the current heads */
	int nheads;
	const char *head_id[DB_SUBJECT_HEADS];
	const char *head_title[DB_SUBJECT_HEADS];
	const char *reason;                     /* update: optional note */
	const struct ra_idem *idem;             /* create: its Idempotency-Key, or NULL */
};

/*
 * Checks every field of `in` for `kind` (errors[] names each bad one as
 * "data.<field>" / "heads[i].<member>") and, when all pass, fills the field
 * pairs and search keys of *out (SNILS normalised). "subject_invalid".
 */
enum pechat_err ra_subject_validate(const char *kind, const struct ra_subject_input *in, time_t now,
    struct db_subject *out, struct pechat_error *e);

/* 1 if s is 1..max bytes of UTF-8 text without control or format characters (common/text.c). */
int ra_text_ok(const char *s, size_t max);

/* "YYYY-MM-DD", a real calendar date: 1 and *days (since 1970-01-01) set, or 0. */
int ra_date_parse(const char *s, long *days);

/* An identity document as parsed by web/ (borrowed). */
struct ra_document_input {
	const char *kind, *series, *number, *issue_date, *issuer, *unit_code;
	const struct ra_idem *idem;             /* its Idempotency-Key, or NULL */
};

/*
 * Creates a subject (version 1, state "unverified") after validation, with
 * its identifier claims ("subject_duplicate", 409) and an audit entry, in
 * one transaction. *out: the stored version (free with db_subject_free_fields).
 */
enum pechat_err ra_subject_create(struct db *db, const struct ra_actor *actor, time_t now,
    const struct ra_subject_input *in, struct db_subject *out, struct pechat_error *e);
/* A new version with new data (state back to "unverified" unless blocked). Officers/admin. */
enum pechat_err ra_subject_update(struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const struct ra_subject_input *in, struct db_subject *out, struct pechat_error *e);
/* Version `version` (0: current). A portal gets "subject_unknown" for another's subject. */
enum pechat_err ra_subject_get(struct db *db, const struct ra_actor *actor, const char *id, int64_t version,
    struct db_subject *out, struct pechat_error *e);

#define RA_SEARCH_LIMIT_DEFAULT 50
#define RA_SEARCH_LIMIT_MAX 500
/* Ids of matching subjects in id order (f->limit already bounded by the caller to 1..500);
 * *more = 1 when another page follows (its cursor: the last id). A portal sees only its own. */
enum pechat_err ra_subject_search(struct db *db, const struct ra_actor *actor, struct db_subject_filter *f,
    char (*ids)[37], int *count, int *more, struct pechat_error *e);

/*
 * State changes, each a new version with an audit entry in one transaction:
 * verify (unverified -> verified; an individual or sole proprietor needs a
 * verified identity document, a legal entity `register_source` (which
 * register extract the officer checked) and a verified head: else
 * "subject_evidence_missing"), block (unverified|verified -> blocked) and
 * unblock (blocked -> the state before the block), both with a reason.
 * A wrong current state is "subject_state_conflict" (409).
 */
enum pechat_err ra_subject_verify(struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const char *register_source, struct db_subject *out, struct pechat_error *e);
/*
 * The events of certificates a block revoked (malloc'd array, n entries;
 * free with ra_revoked_free, NULL-safe).
 */
struct ra_revoked {
	struct db_revocation *ev;
	size_t n;
};
void ra_revoked_free(struct ra_revoked *r);

#define RA_BLOCK_REVOCATION_REASON "keyCompromise"
/*
 * Blocks subject `id` and revokes every active (valid or on hold) subscriber
 * certificate issued for it, with CRLReason `revocation_reason` (NULL:
 * RA_BLOCK_REVOCATION_REASON; any reason the revocation API accepts, else
 * "reason_invalid" naming revocation_reason) and the block's reason as the
 * revocation comment: the new version, the revocations and every audit
 * entry in ONE transaction (a failed revocation rolls all of it back: the
 * subject stays as it was, nothing is revoked). After the commit each
 * revocation is told to rc->pub (its OCSP answers replaced before this
 * returns, CRLs scheduled; rc NULL: not published — a store-only caller).
 * rc NULL or not, each revocation is logged.
 * *revoked lists the events (ra_revoked_free, also on failure).
 */
enum pechat_err ra_subject_block(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, time_t now,
    const char *id, const char *reason, const char *revocation_reason, struct db_subject *out,
    struct ra_revoked *revoked, struct pechat_error *e);
enum pechat_err ra_subject_unblock(struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const char *reason, struct db_subject *out, struct pechat_error *e);

/* Adds an identity document (format and date rules of docs/REGISTRATION.md; "document_invalid"). */
enum pechat_err ra_document_add(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const struct ra_document_input *in, struct db_id_document *out, struct pechat_error *e);
/* Records an officer's verification with the identification method 0..3. */
enum pechat_err ra_document_verify(struct db *db, const struct ra_actor *actor, time_t now,
    const char *subject_id, int64_t doc_id, int method, struct db_id_document *out, struct pechat_error *e);

/*
 * An organisation's appointment document (docs/REGISTRATION.md,
 * "Appointment documents") as parsed by web/ (borrowed; NULL: absent).
 */
struct ra_appointment_input {
	const char *head_id;            /* the head's individual subject: one of the organisation's heads[] */
	const char *kind;               /* "order", "protocol", "decision" */
	const char *number, *date, *issued_by;
	const char *valid_until;        /* optional: the end of the term */
	const char *title;              /* the head's title as written in the document */
};
#define RA_APPT_NUMBER_MAX 63
#define RA_APPT_TEXT_MAX 255
#define RA_APPT_TITLE_MAX 127
/*
 * Every field rule of an appointment document for organisation version org
 * at time now: "validation_failed" naming each bad field (head_id not_a_head,
 * kind enum, number/issued_by/title format, date date/date_future/
 * date_too_early, valid_until date/not_after_date, any missing: required).
 */
enum pechat_err ra_appointment_check(const struct ra_appointment_input *in, const struct db_subject *org,
    time_t now, struct pechat_error *e);
/*
 * Records an appointment document of organisation org_id (a legal entity,
 * else "subject_kind_mismatch"; unknown: "subject_unknown") after
 * ra_appointment_check against its current version, with its audit entry, in
 * one transaction. *out: the stored row.
 */
enum pechat_err ra_appointment_add(struct db *db, const struct ra_actor *actor, time_t now, const char *org_id,
    const struct ra_appointment_input *in, struct db_appointment *out, struct pechat_error *e);
/*
 * Records the officer's verification of appointment id of org_id from
 * source "original", "notarised_copy" or "egrul" (else "validation_failed"),
 * audited, in one transaction: "appointment_unknown" (404),
 * "appointment_already_verified" (409). *out: the row with its verification.
 */
enum pechat_err ra_appointment_verify(struct db *db, const struct ra_actor *actor, time_t now, const char *org_id,
    int64_t id, const char *source, struct db_appointment *out, struct pechat_error *e);

/* ------------------------------------------------------- officer workflow */

#define RA_REASON_MAX 255       /* bytes of a rejection reason */

/*
 * An officer's approval of request `id` (docs/API.md). A pending request
 * gains the approval (with its audit entry, in one transaction); when the
 * profile's "approvals" distinct officers have approved, it becomes
 * "approved" and is issued in the same call through the path auto_approve
 * uses. Approving an "approved" request (left so by a busy store or an
 * unavailable key) retries its issuance and records nothing new.
 * On success *out holds the request as stored now (free with db_request_free_fields).
 * Codes: "request_unknown", "own_request" (the approver submitted it),
 * "already_approved", "request_state_conflict" (issued, rejected, failed),
 * "subject_blocked" / "subject_not_verified" (a registry subject's current
 * version is no longer verified: nothing is recorded), the legal-entity
 * and key checks of ra_request_submit run again (their codes; nothing is recorded),
 * "request_in_progress", "store_busy", "key_unavailable", "issuer_unavailable".
 */
enum pechat_err ra_request_approve(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *id, struct db_request *out, struct pechat_error *e);

/*
 * Issues approved request `id` if its issuer can sign now (its key's token
 * present, the issuer in standing), under the same in-process claim as
 * ra_request_approve, so a request is issued once even when an officer
 * approves it at the same moment. *issued = 1 when this call issued it.
 * Nothing is done for a request no longer approved, or whose issuer cannot
 * sign yet. BUSY "request_in_progress" when an approval holds the claim.
 */
enum pechat_err ra_request_issue_queued(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *id, int *issued, struct pechat_error *e);

/*
 * The queue of approved requests (ra/queue.c): a worker thread with its own
 * store connection issues every approved request whose issuer can sign —
 * at start, when woken (ra_queue_wake: a key's token came back) and every
 * RA_QUEUE_INTERVAL_S. docs/OPERATIONS.md "Token presence".
 */
#define RA_QUEUE_INTERVAL_S 60
struct ra_queue;
/* The queue keeps a copy of *rc (what it points to must outlive the queue). */
enum pechat_err ra_queue_start(const struct ra_ca *rc, const char *store_path, struct ra_queue **out,
    struct pechat_error *e);
/* Asks for a pass now (thread-safe, NULL-safe; callable from the hsm/ presence watcher). */
void ra_queue_wake(struct ra_queue *q);
/* Stops and joins the worker (NULL-safe). */
void ra_queue_stop(struct ra_queue *q);
/* One pass on db: every approved request whose issuer can sign is issued. The number issued. */
int ra_queue_run(const struct ra_ca *rc, struct db *db);

/*
 * Rejects pending request `id` with a reason of 1..RA_REASON_MAX bytes: it
 * becomes "rejected" (error code "rejected", detail the reason), audited,
 * in one transaction. Codes: "request_unknown", "validation_failed" (reason),
 * "request_state_conflict", "store_busy".
 */
enum pechat_err ra_request_reject(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *id, const char *reason, struct db_request *out, struct pechat_error *e);

/* ------------------------------------------- certificate search and owner */
/*
 * GET /api/v1/certificates (ra/cert_search.c, docs/API.md). The query as
 * web/ read it (borrowed; NULL = absent).
 */
struct ra_cert_query {
	const char *subject_id, *snils, *inn, *status, *issuer, *profile, *expires_before;
	const char *limit, *cursor;
};
#define RA_CERT_LIMIT_DEFAULT 50
#define RA_CERT_LIMIT_MAX 100

/*
 * Validates every parameter of q (each bad one a field error named after
 * it: "validation_failed") and reads a page of subscriber certificates in
 * serial order: up to the limit serials into serials (RA_CERT_LIMIT_MAX + 1
 * rows), *count of them, *more = 1 when another page follows (its cursor:
 * the last serial). A portal sees only its own (db_cert_of_portal's rule).
 */
enum pechat_err ra_cert_search(struct db *db, const struct ra_actor *actor, const struct ra_cert_query *q,
    time_t now, char (*serials)[65], int *count, int *more, struct pechat_error *e);

/* *visible = 1 if actor may read the certificate: operators every one, a portal its own only. */
enum pechat_err ra_cert_visible(struct db *db, const struct ra_actor *actor, const struct db_cert *c,
    int *visible, struct pechat_error *e);

/* The owner of a certificate, as a "view certificate" page shows it ("" = absent). */
struct ra_cert_owner {
	char name[1024];                /* "surname given patronymic", else the CN */
	char snils[12], inn[13];
	char org_name[1024];            /* an organisation's name, with its INNLE and OGRN */
	char innle[11], ogrn[14];
	char ogrnip[16];                /* a sole proprietor's */
	char email[256];
	char subject_id[37];            /* the registry subject and version it was issued from */
	int64_t subject_version;        /* 0 when not from the registry */
};

/*
 * The owner of c: the registry version its request was composed from when
 * there is one, else the certificate's own subject (`subject`: c's, as
 * ca_cert_der_subject parses it; the caller has it for the reply already).
 * The certificate's subject fills what the registry version lacks (the
 * person named in an organisation's certificate). Store errors only.
 */
enum pechat_err ra_cert_owner(struct db *db, const struct db_cert *c, const struct pechat_subject *subject,
    struct ra_cert_owner *out, struct pechat_error *e);

/* ------------------------------------------------ certificate status changes */
/*
 * Revoke, hold, release a subscriber certificate as asked over HTTP
 * (ra/certificates.c): only an "admin" or "ra_officer" actor (else 403
 * "role_forbidden"), then ca_revoke (event + audit in one transaction) with
 * the actor's name, then rc->pub told from the event it returns (OCSP
 * answers replaced before returning, CRLs scheduled; a failure is logged and
 * never undoes the change). Codes: those of ca_revoke. *out (may be NULL)
 * gets the event.
 */
enum pechat_err ra_certificate_revoke(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *serial, const char *reason, time_t invalidity_date, const char *comment,
    struct db_revocation *out, struct pechat_error *e);
enum pechat_err ra_certificate_hold(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *serial, const char *comment, struct db_revocation *out, struct pechat_error *e);
enum pechat_err ra_certificate_release(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const char *serial, const char *comment, struct db_revocation *out, struct pechat_error *e);

/* ----------------------------------------------------------------- operators */
/*
 * Enables or disables operator `name` (the flag and an audit entry
 * "operator.enable|disable" by actor, one transaction). "operator_unknown" (404).
 */
enum pechat_err ra_operator_set_enabled(struct db *db, const struct ra_actor *actor, time_t now,
    const char *name, int enabled, struct pechat_error *e);
/*
 * Revokes the client certificate of operator `name` (ca_operator_revoke:
 * event under the operators CA, audit "operator.revoke" by actor). Codes of
 * ca_operator_revoke. clock NULL: the system clock.
 */
enum pechat_err ra_operator_revoke(struct db *db, const struct pechat_clock *clock, const struct ra_actor *actor,
    const char *name, const char *reason, const char *comment, struct db_revocation *out,
    struct pechat_error *e);

#endif
