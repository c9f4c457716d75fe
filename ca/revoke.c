/*
 * ca/revoke.c — revoke, hold, release (RFC 5280 §5.3.1 reasons) and the
 * status of a stored certificate. Events are appended, never edited: a
 * release of a hold is a new event. Publishing follows in the same call.
 */
#include "ca/ca_int.h"
#include "ca/ca_status.h"

#include <string.h>

/* Status of a certificate from its last event: "valid", "on_hold", "revoked" (expiry aside). */
static const char *
status_of(const struct db_revocation *last)
{
	if (last == NULL || strcmp(last->kind, "release") == 0)
		return "valid";
	return strcmp(last->kind, "hold") == 0 ? "on_hold" : "revoked";
}

enum pechat_err
ca_cert_status(struct db *db, const struct db_cert *cert, time_t now, const char **status,
    struct db_revocation *ev, struct pechat_error *e)
{
	enum pechat_err err;

	memset(ev, 0, sizeof(*ev));
	err = db_revocation_last(db, cert->serial, -1, ev, e);
	if (err == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		memset(ev, 0, sizeof(*ev));
		*status = now > cert->not_after ? "expired" : "valid";
		return PECHAT_OK;
	}
	if (err != PECHAT_OK)
		return err;
	*status = status_of(ev);
	if (strcmp(*status, "valid") == 0) {
		memset(ev, 0, sizeof(*ev));
		*status = now > cert->not_after ? "expired" : "valid";
	}
	return PECHAT_OK;
}

struct revoke_txn {
	const char *serial;
	enum ca_revoke_action action;
	const char *reason;
	time_t invalidity_date;
	const char *actor;
	const char *comment;
	time_t now;
	struct db_revocation ev;        /* out: the appended event */
};

/* Checks the transition allowed from the current status (RFC 5280 §5.3.1: hold may become revoked). */
static enum pechat_err
check_transition(const char *status, enum ca_revoke_action action, struct pechat_error *e)
{
	if (strcmp(status, "revoked") == 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "already_revoked", "the certificate is already revoked");
	if (action == CA_HOLD && strcmp(status, "on_hold") == 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "already_on_hold", "the certificate is already on hold");
	if (action == CA_RELEASE && strcmp(status, "on_hold") != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "not_on_hold", "the certificate is not on hold");
	return PECHAT_OK;
}

/* Transaction: read the current state, check the transition, append event + audit. */
static enum pechat_err
revoke_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct revoke_txn *t = arg;
	struct db_revocation last;
	struct db_cert cert;
	const char *kind = t->action == CA_REVOKE ? "revoke" : t->action == CA_HOLD ? "hold" : "release";
	char detail[160];
	enum pechat_err err;

	memset(&cert, 0, sizeof(cert));
	if ((err = db_cert_get(db, t->serial, &cert, e)) != PECHAT_OK)
		return err;
	err = db_revocation_last(db, t->serial, -1, &last, e);
	if (err == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		err = check_transition("valid", t->action, e);
	} else if (err == PECHAT_OK)
		err = check_transition(status_of(&last), t->action, e);
	if (err != PECHAT_OK)
		goto out;
	memset(&t->ev, 0, sizeof(t->ev));
	pechat_strlcpy(t->ev.serial, cert.serial, sizeof(t->ev.serial));
	pechat_strlcpy(t->ev.issuer, cert.issuer, sizeof(t->ev.issuer));
	pechat_strlcpy(t->ev.kind, kind, sizeof(t->ev.kind));
	pechat_strlcpy(t->ev.reason, t->reason != NULL ? t->reason : "", sizeof(t->ev.reason));
	t->ev.revoked_at = t->now;
	t->ev.invalidity_date = t->invalidity_date;
	pechat_strlcpy(t->ev.actor, t->actor, sizeof(t->ev.actor));
	pechat_strlcpy(t->ev.comment, t->comment != NULL ? t->comment : "", sizeof(t->ev.comment));
	t->ev.created_at = t->now;
	if ((err = db_revocation_append(db, &t->ev, &t->ev.id, e)) != PECHAT_OK ||
	    (err = db_ocsp_cache_drop(db, cert.serial, e)) != PECHAT_OK)
		goto out;
	snprintf(detail, sizeof(detail), "%s%s%s", kind, t->ev.reason[0] ? " " : "", t->ev.reason);
	err = db_audit_append(db, t->now, t->actor, t->action == CA_REVOKE ? "certificate.revoke" :
	    t->action == CA_HOLD ? "certificate.hold" : "certificate.release", cert.serial, detail, e);
out:
	db_cert_free_fields(&cert);
	return err;
}

enum pechat_err
ca_revoke(struct ca *ca, struct db *db, const char *serial, enum ca_revoke_action action, const char *reason,
    time_t invalidity_date, const char *actor, const char *comment, struct db_revocation *out,
    struct pechat_error *e)
{
	struct revoke_txn t;
	struct pechat_error pe;
	enum pechat_err err;
	int code;

	memset(&t, 0, sizeof(t));
	t.now = pechat_clock_now(ca->clock);
	if (action == CA_HOLD)
		reason = "certificateHold";
	else if (action == CA_RELEASE)
		reason = NULL;
	else {
		if (reason == NULL)
			reason = "unspecified";
		code = ca_crl_reason_from_name(reason);
		if (code < 0 || code == CRL_REASON_CERTIFICATE_HOLD || code == CRL_REASON_REMOVE_FROM_CRL) {
			pechat_error_add_field(e, "reason", "enum", "must be an RFC 5280 reason other than "
			    "certificateHold (use /hold) and removeFromCRL");
			return pechat_fail(e, PECHAT_E_INVALID, "reason_invalid", "unknown or unusable reason \"%s\"",
			    reason);
		}
	}
	if (invalidity_date != 0 && action != CA_REVOKE) {
		pechat_error_add_field(e, "invalidity_date", "not_allowed", "applies to revocations only");
		return pechat_fail(e, PECHAT_E_INVALID, "invalidity_date_invalid",
		    "invalidity_date applies to revocations only");
	}
	if (invalidity_date > t.now) {
		pechat_error_add_field(e, "invalidity_date", "range", "must not be in the future");
		return pechat_fail(e, PECHAT_E_INVALID, "invalidity_date_invalid", "invalidity_date is in the future");
	}
	t.serial = serial;
	t.action = action;
	t.reason = reason;
	t.invalidity_date = invalidity_date;
	t.actor = actor;
	t.comment = comment;
	if ((err = db_txn_run(db, revoke_txn, &t, e)) != PECHAT_OK)
		return err;
	log_info("certificate %s: %s%s%s by %s", t.ev.serial, t.ev.kind, t.ev.reason[0] ? " " : "", t.ev.reason,
	    actor);
	if (out != NULL)
		*out = t.ev;
	/* publish: OCSP answers replaced before we return; CRLs scheduled */
	pechat_error_clear(&pe);
	if (ca->pub != NULL && ca_publisher_status_changed(ca->pub, db, t.ev.issuer, t.ev.serial, 1, &pe) != PECHAT_OK)
		log_err("certificate %s: %s stored but OCSP answers not replaced: %s", t.ev.serial, t.ev.kind,
		    pe.detail);
	return PECHAT_OK;
}
