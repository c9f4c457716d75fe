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

/* ------------------------------------------------------------- validators */
/*
 * Identifier checks of docs/SUBJECTS.md. Each takes a NUL-terminated string and
 * returns 1 if it is a valid identifier of that kind, 0 otherwise (wrong
 * length, non-digits, wrong check digit). No normalisation happens here
 * except in ra_snils_normalize.
 */
int ra_inn_check(const char *inn);       /* 10 (legal entity) or 12 (person) digits */
int ra_inn10_check(const char *inn);     /* legal entity INN (INNLE) */
int ra_inn12_check(const char *inn);     /* person INN; "00"+INN10 legacy form is refused */
int ra_snils_check(const char *snils);   /* 11 digits; numbers <= 001-001-998 are not checked */
int ra_ogrn_check(const char *ogrn);     /* 13 digits */
int ra_ogrnip_check(const char *ogrnip); /* 15 digits */
int ra_kpp_check(const char *kpp);       /* 4 digits, 2 of [0-9A-Z], 3 digits */

/*
 * Normalises a SNILS written as "112-233-445 95" (or with any spaces and
 * hyphens between digits) to 11 digits in out (>= 12 bytes). 0, or -1 if
 * what remains is not exactly 11 digits.
 */
int ra_snils_normalize(const char *in, char *out, size_t outsz);

/* -------------------------------------------------------- request workflow */

/* Who is calling: established by web/ from the client certificate. */
struct ra_actor {
	char name[64];
	char role[16];
	char fingerprint[65];   /* SHA-256 of the client certificate; "" outside HTTP */
};

/* A submission as parsed by web/ (everything borrowed). */
struct ra_submission {
	const char *profile;
	const struct pechat_subject *subject;
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
 * Codes: "profile_unknown", "csr_*", "key_*", "subject_invalid",
 * "idempotency_key_reused", "store_busy".
 */
enum pechat_err ra_request_submit(struct ca *ca, struct db *db, const struct ra_actor *actor,
    const struct ra_submission *sub, struct db_request *out, int *replayed,
    struct pechat_error *e);

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
 * "request_in_progress", "store_busy", "key_unavailable", "issuer_unavailable".
 */
enum pechat_err ra_request_approve(struct ca *ca, struct db *db, const struct ra_actor *actor,
    const char *id, struct db_request *out, struct pechat_error *e);

/*
 * Rejects pending request `id` with a reason of 1..RA_REASON_MAX bytes: it
 * becomes "rejected" (error code "rejected", detail the reason), audited,
 * in one transaction. Codes: "request_unknown", "validation_failed" (reason),
 * "request_state_conflict", "store_busy".
 */
enum pechat_err ra_request_reject(struct ca *ca, struct db *db, const struct ra_actor *actor,
    const char *id, const char *reason, struct db_request *out, struct pechat_error *e);

#endif
