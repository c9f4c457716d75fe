/*
 * ra/approve.c — the officer workflow on stored requests: approval by N
 * distinct officers (the N-th issues through ra_request_issue, the path
 * auto_approve uses) and rejection with a reason. States only move forward:
 * pending -> approved -> issued, pending -> rejected, pending|approved -> failed.
 */
#include "ra/ra_int.h"

#include <stdio.h>
#include <string.h>

/* Claims are keyed by (client, key): this client name cannot be an operator's. */
#define APPROVE_CLAIM "#approve"

struct approve_arg {
	const struct db_request *req;
	const struct ra_actor *actor;
	int needed;             /* the profile's "approvals" */
	time_t now;
	int approved;           /* out: the request became "approved" */
};

/*
 * Transaction body: the approval and its audit entry; when it is the
 * needed-th, the request moves pending -> approved (audited too).
 */
static enum pechat_err
approve_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct approve_arg *a = arg;
	struct db_approval ap;
	enum pechat_err err;
	int64_t count;

	a->approved = 0;
	memset(&ap, 0, sizeof(ap));
	pechat_strlcpy(ap.operator_name, a->actor->name, sizeof(ap.operator_name));
	pechat_strlcpy(ap.client, a->actor->fingerprint, sizeof(ap.client));
	ap.at = a->now;
	if ((err = db_approval_insert(db, a->req->id, &ap, e)) != PECHAT_OK ||
	    (err = db_audit_append(db, a->now, a->actor->name, "request.approve", a->req->id,
	    a->req->profile, e)) != PECHAT_OK ||
	    (err = db_approval_count(db, a->req->id, &count, e)) != PECHAT_OK)
		return err;
	if (count < a->needed)
		return PECHAT_OK;
	if ((err = db_request_set_state(db, a->req->id, "approved", NULL, NULL, NULL, a->now, e)) != PECHAT_OK)
		return err;
	a->approved = 1;
	return db_audit_append(db, a->now, a->actor->name, "request.approved", a->req->id, NULL, e);
}

/*
 * The refusals that depend on the request alone: it must be pending or
 * approved, and a pending one must not be the approver's own submission.
 */
static enum pechat_err
approve_allowed(const struct ra_actor *actor, const struct db_request *req, struct pechat_error *e)
{
	if (strcmp(req->state, "pending") != 0 && strcmp(req->state, "approved") != 0) {
		log_reject("%s: approve of %s request %s refused", actor->name, req->state, req->id);
		return pechat_fail(e, PECHAT_E_CONFLICT, "request_state_conflict",
		    "the request is %s: only pending or approved requests can be approved", req->state);
	}
	if (strcmp(req->state, "pending") == 0 && strcmp(req->client, actor->name) == 0) {
		log_reject("%s: approve of its own request %s refused", actor->name, req->id);
		return pechat_fail(e, PECHAT_E_FORBIDDEN, "own_request",
		    "a request cannot be approved by the client identity that submitted it");
	}
	return PECHAT_OK;
}

/* Records the approval of pending *req (re-read afterwards); issues when it is the last needed. */
static enum pechat_err
approve_pending(struct ca *ca, struct db *db, const struct ra_actor *actor, int needed,
    struct db_request *req, struct pechat_error *e)
{
	struct approve_arg arg = { req, actor, needed, ca_now(ca), 0 };
	char id[sizeof(req->id)];
	enum pechat_err err;

	if ((err = db_txn_run(db, approve_txn, &arg, e)) != PECHAT_OK) {
		log_reject("%s: approval of %s refused: %s", actor->name, req->id, e != NULL ? e->code : "?");
		return err;
	}
	log_info("request %s approved by %s%s", req->id, actor->name, arg.approved ? " (approvals complete)" : "");
	pechat_strlcpy(id, req->id, sizeof(id));
	db_request_free_fields(req);
	return db_request_get(db, id, req, e);
}

struct queued_arg {
	const char *id;
	const char *actor;
	const char *code;
	const char *detail;
	time_t now;
};

/* Transaction body: the approved request's wait recorded on it, and audited ("request.queued"). */
static enum pechat_err
queued_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct queued_arg *a = arg;
	enum pechat_err err;

	if ((err = db_request_set_waiting(db, a->id, a->code, a->detail, a->now, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor, "request.queued", a->id, a->code, e);
}

/*
 * An approved request whose issuance failed for a transient reason (its
 * issuer's key unavailable: token absent): the reason is recorded on it
 * (error code/detail; it stays approved) and e's detail says it is queued.
 * ra_queue issues it when the key can sign again.
 */
static void
queued_note(struct ca *ca, struct db *db, const struct ra_actor *actor, const char *id, struct pechat_error *e)
{
	struct queued_arg qa = { id, actor->name, "", "", ca_now(ca) };
	struct pechat_error ignored;
	char detail[sizeof(e->detail)], msg[sizeof(e->detail) + 96];

	if (e == NULL || strcmp(e->code, "key_unavailable") != 0)
		return;
	pechat_strlcpy(detail, e->detail, sizeof(detail));
	qa.code = e->code;
	qa.detail = detail;
	pechat_error_clear(&ignored);
	if (db_txn_run(db, queued_txn, &qa, &ignored) != PECHAT_OK)
		log_err("request %s: its wait could not be recorded: %s", id, ignored.detail);
	else
		log_info("request %s approved and queued: %s", id, detail);
	snprintf(msg, sizeof(msg), "approved and queued: issued when the issuer's key can sign again (%s)", detail);
	pechat_strlcpy(e->detail, msg, sizeof(e->detail));
}

/* See ra.h: one queued request issued, under the approval claim so that a concurrent approve cannot issue too. */
enum pechat_err
ra_request_issue_queued(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *id,
    int *issued, struct pechat_error *e)
{
	const struct pechat_profile_conf *profile;
	struct db_request req;
	enum pechat_err err;
	int claim;

	*issued = 0;
	memset(&req, 0, sizeof(req));
	if ((claim = ra_claim_take(APPROVE_CLAIM, id)) < 0)
		return pechat_fail(e, PECHAT_E_BUSY, "request_in_progress", "an approval of this request is under way");
	if ((err = db_request_get(db, id, &req, e)) != PECHAT_OK)
		goto out;
	/* issued by an approval meanwhile, or its issuer still cannot sign: nothing to do now */
	if (strcmp(req.state, "approved") != 0 || (profile = ca_profile_find(rc->ca, req.profile)) == NULL ||
	    ca_issuer_check_standing(rc->ca, profile->issuer, NULL) != PECHAT_OK)
		goto out;
	if ((err = ra_request_issue(rc, db, actor, &req, NULL, e)) == PECHAT_OK)
		*issued = strcmp(req.state, "issued") == 0;
	if (*issued)
		log_info("request %s: queued request issued (certificate %s)", id, req.cert_serial);
out:
	ra_claim_release(claim);
	db_request_free_fields(&req);
	return err;
}

enum pechat_err
ra_request_approve(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *id,
    struct db_request *out, struct pechat_error *e)
{
	struct ca *ca = rc->ca;
	const struct pechat_profile_conf *profile;
	enum pechat_err err;
	int claim;

	memset(out, 0, sizeof(*out));
	/* one approval of a request at a time in this process: only one of them can issue */
	if ((claim = ra_claim_take(APPROVE_CLAIM, id)) < 0)
		return pechat_fail(e, PECHAT_E_BUSY, "request_in_progress",
		    "another approval of this request is still being processed: send it again");
	if ((err = db_request_get(db, id, out, e)) != PECHAT_OK ||
	    (err = approve_allowed(actor, out, e)) != PECHAT_OK)
		goto out;
	if ((profile = ca_profile_find(ca, out->profile)) == NULL) {
		log_err("request %s names profile %s, which is no longer configured", out->id, out->profile);
		err = pechat_fail(e, PECHAT_E_CONFLICT, "profile_unknown",
		    "the request's profile %.64s is no longer configured", out->profile);
		goto out;
	}
	/*
	 * a registry subject blocked (or changed and not re-verified), a representative or POA that no
	 * longer passes, a key certified elsewhere or compromised since submission: nothing is recorded
	 */
	if ((err = ra_registry_subject_standing(db, out, e)) != PECHAT_OK ||
	    (err = ra_legal_standing(db, profile, out, ca_now(ca), e)) != PECHAT_OK ||
	    (err = ra_key_checks(db, out, NULL, 0, e)) != PECHAT_OK) {
		log_reject("%s: approval of %s refused: %s", actor->name, out->id, e != NULL ? e->code : "?");
		goto out;
	}
	if (strcmp(out->state, "pending") == 0 &&
	    (err = approve_pending(ca, db, actor, profile->approvals, out, e)) != PECHAT_OK)
		goto out;
	if (strcmp(out->state, "approved") == 0 &&
	    (err = ra_request_issue(rc, db, actor, out, NULL, e)) == PECHAT_E_UNAVAILABLE)
		queued_note(ca, db, actor, out->id, e);
out:
	ra_claim_release(claim);
	if (err != PECHAT_OK)
		db_request_free_fields(out);
	return err;
}

struct reject_arg {
	const char *id;
	const char *actor;
	const char *reason;
	time_t now;
};

/* Transaction body: pending -> rejected with the reason, and its audit entry. */
static enum pechat_err
reject_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct reject_arg *a = arg;
	char from[16];
	enum pechat_err err;
	struct db_request req;

	/* only a pending request is rejected (set_state alone would also let approved fail) */
	if ((err = db_request_get(db, a->id, &req, e)) != PECHAT_OK)
		return err;
	pechat_strlcpy(from, req.state, sizeof(from));
	db_request_free_fields(&req);
	if (strcmp(from, "pending") != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "request_state_conflict",
		    "the request is %s: only a pending request can be rejected", from);
	if ((err = db_request_set_state(db, a->id, "rejected", NULL, "rejected", a->reason, a->now, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor, "request.reject", a->id, a->reason, e);
}

enum pechat_err
ra_request_reject(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *id,
    const char *reason, struct db_request *out, struct pechat_error *e)
{
	struct reject_arg arg = { id, actor->name, reason, ca_now(rc->ca) };
	enum pechat_err err;

	memset(out, 0, sizeof(*out));
	if (reason == NULL || reason[0] == '\0' || strlen(reason) > RA_REASON_MAX) {
		pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		pechat_error_add_field(e, "reason", "length", "must be 1 to %d bytes without NUL", RA_REASON_MAX);
		return PECHAT_E_INVALID;
	}
	if ((err = db_txn_run(db, reject_txn, &arg, e)) != PECHAT_OK) {
		log_reject("%s: reject of %s refused: %s", actor->name, id, e != NULL ? e->code : "?");
		return err;
	}
	log_info("request %s rejected by %s", id, actor->name);
	return db_request_get(db, id, out, e);
}
