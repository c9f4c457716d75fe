/*
 * ca/revoke.c — revoke, hold, release (RFC 5280 §5.3.1 reasons) and the
 * status of a stored certificate. Events are appended, never edited: a
 * release of a hold is a new event. Publishing is the caller's: it tells
 * the publisher from the event returned (ca_status_change_publish).
 * The subscriber API (ca_revoke) acts on subscriber certificates only
 * (ca_cert_classify); ca/ceremony.c uses the same transaction for CA and
 * operator certificates.
 */
#include "ca/ca_int.h"
#include "ca/ca_status.h"

#include <string.h>

/* The reasons a revoke accepts, for the refusal's detail. */
#define REVOKE_REASONS "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, " \
	"cessationOfOperation, privilegeWithdrawn, aACompromise"

/* See ca.h. A positive test: subscriber only when every store link says so. */
enum pechat_err
ca_cert_classify(struct db *db, const struct db_cert *cert, enum ca_cert_class *cls, struct db_cert_role *role,
    struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = db_cert_role(db, cert, role, e)) != PECHAT_OK)
		return err;
	if (strcmp(role->issuer_kind, "root") == 0)
		*cls = CA_CERT_ROOT;
	else if (strcmp(role->issuer_kind, "issuing") == 0)
		*cls = CA_CERT_ISSUING_CA;
	else if (role->issuer_kind[0] != '\0')
		*cls = CA_CERT_OPERATORS_CA;
	else if (role->responder_of[0] != '\0')
		*cls = CA_CERT_OCSP_RESPONDER;
	else if (role->operator_name[0] != '\0')
		*cls = CA_CERT_OPERATOR;
	else if (strcmp(cert->profile, CA_PROFILE_TLS_SERVER) == 0 && strcmp(role->signer_kind, "operators") == 0)
		*cls = CA_CERT_API_TLS;
	else if (role->issued_for_request && strcmp(role->signer_kind, "issuing") == 0 &&
	    strcmp(cert->profile, CA_PROFILE_OCSP_RESPONDER) != 0)
		*cls = CA_CERT_SUBSCRIBER;
	else
		*cls = CA_CERT_OTHER;
	return PECHAT_OK;
}

/* The refusal of the subscriber API for anything else: what it is and what manages it. */
static enum pechat_err
not_subscriber(const struct db_cert *cert, enum ca_cert_class cls, const struct db_cert_role *role,
    struct pechat_error *e)
{
	const char *code = "not_subscriber_certificate";
	enum pechat_err k = PECHAT_E_CONFLICT;

	log_reject("certificate %s: not a subscriber certificate (class %d): status change refused", cert->serial,
	    (int)cls);
	switch (cls) {
	case CA_CERT_ROOT:
	case CA_CERT_ISSUING_CA:
		return pechat_fail(e, k, code, "%s is the %s CA certificate of issuer \"%s\": only the key ceremony "
		    "changes its status (`pechat ceremony revoke-ca|hold-ca|release-ca %s`)", cert->serial,
		    cls == CA_CERT_ROOT ? "root" : "issuing", role->issuer_name, role->issuer_name);
	case CA_CERT_OPERATORS_CA:
		return pechat_fail(e, k, code, "%s is the operators CA certificate (API client authentication): "
		    "it is not revocable", cert->serial);
	case CA_CERT_OCSP_RESPONDER:
		return pechat_fail(e, k, code, "%s is a delegated OCSP responder certificate of issuer \"%s\" "
		    "(short-lived, renewed by pechatd); if the issuer's key is at risk: `pechat ceremony revoke-ca %s`",
		    cert->serial, role->responder_of, role->responder_of);
	case CA_CERT_OPERATOR:
		return pechat_fail(e, k, code, "%s is the client certificate of operator \"%s\" (%s): "
		    "`pechat operator disable %s` or `pechat operator revoke %s`", cert->serial, role->operator_name,
		    role->operator_role, role->operator_name, role->operator_name);
	case CA_CERT_API_TLS:
		return pechat_fail(e, k, code, "%s is the API listener's TLS certificate: `pechat init` issues it "
		    "again when its files are missing", cert->serial);
	default:
		return pechat_fail(e, k, code, "%s was not issued for a request through a profile: it is not a "
		    "subscriber certificate", cert->serial);
	}
}

/* Transaction state of ca_status_change_apply. */
struct revoke_txn {
	const struct ca_status_change *c;
	const char *reason;
	time_t now;
	struct db_revocation ev;        /* out: the appended event */
};

/* Checks the transition allowed from the current status (RFC 5280 §5.3.1: hold may become revoked). */
static enum pechat_err
check_transition(enum ca_cert_state st, enum ca_revoke_action action, struct pechat_error *e)
{
	if (st == CA_STATE_REVOKED)
		return pechat_fail(e, PECHAT_E_CONFLICT, "already_revoked", "the certificate is already revoked");
	if (action == CA_HOLD && st == CA_STATE_ON_HOLD)
		return pechat_fail(e, PECHAT_E_CONFLICT, "already_on_hold", "the certificate is already on hold");
	if (action == CA_RELEASE && st != CA_STATE_ON_HOLD)
		return pechat_fail(e, PECHAT_E_CONFLICT, "not_on_hold", "the certificate is not on hold");
	return PECHAT_OK;
}

/*
 * invalidity_date against the certificate (RFC 5280 §5.3.2): not before
 * notBefore - CA_INVALIDITY_MARGIN_S (a compromise before the key was
 * certified says no more than notBefore does; the margin absorbs clock
 * skew between the subscriber and the CA).
 */
static enum pechat_err
check_invalidity(const struct db_cert *cert, time_t inv, struct pechat_error *e)
{
	char nb[32];

	if (inv == 0 || inv >= cert->not_before - CA_INVALIDITY_MARGIN_S)
		return PECHAT_OK;
	pechat_time_rfc3339(cert->not_before, nb, sizeof(nb));
	pechat_error_add_field(e, "invalidity_date", "range", "must not be more than %d hours before notBefore %s",
	    CA_INVALIDITY_MARGIN_S / 3600, nb);
	return pechat_fail(e, PECHAT_E_INVALID, "invalidity_date_invalid", "invalidity_date is more than %d hours "
	    "before the certificate's notBefore (%s): send notBefore for a key compromised before issuance",
	    CA_INVALIDITY_MARGIN_S / 3600, nb);
}

/* Inside the caller's transaction: read the current state, check the transition, append event + audit. */
static enum pechat_err
change_in_txn(struct db *db, const struct ca_status_change *c, const char *reason, time_t now,
    struct db_revocation *ev, struct pechat_error *e)
{
	struct db_cert_role role;
	struct db_cert cert;
	enum ca_cert_class cls;
	enum ca_cert_state st;
	const char *kind = c->action == CA_REVOKE ? "revoke" : c->action == CA_HOLD ? "hold" : "release";
	char detail[160], action[48];
	enum pechat_err err;

	memset(&cert, 0, sizeof(cert));
	if ((err = db_cert_get(db, c->serial, &cert, e)) != PECHAT_OK)
		return err;
	if (c->subscriber_only) {
		if ((err = ca_cert_classify(db, &cert, &cls, &role, e)) != PECHAT_OK)
			goto out;
		if (cls != CA_CERT_SUBSCRIBER) {
			err = not_subscriber(&cert, cls, &role, e);
			goto out;
		}
	}
	if ((err = check_invalidity(&cert, c->invalidity_date, e)) != PECHAT_OK)
		goto out;
	/* expiry aside: an expired certificate can still be revoked (RFC 5280 §3.3) */
	if ((err = ca_serial_status(db, c->serial, -1, cert.not_after, 0, &st, NULL, e)) != PECHAT_OK ||
	    (err = check_transition(st, c->action, e)) != PECHAT_OK)
		goto out;
	memset(ev, 0, sizeof(*ev));
	pechat_strlcpy(ev->serial, cert.serial, sizeof(ev->serial));
	pechat_strlcpy(ev->issuer, cert.issuer, sizeof(ev->issuer));
	pechat_strlcpy(ev->kind, kind, sizeof(ev->kind));
	pechat_strlcpy(ev->reason, reason != NULL ? reason : "", sizeof(ev->reason));
	ev->revoked_at = now;
	ev->invalidity_date = c->invalidity_date;
	pechat_strlcpy(ev->actor, c->actor, sizeof(ev->actor));
	pechat_strlcpy(ev->comment, c->comment != NULL ? c->comment : "", sizeof(ev->comment));
	ev->created_at = now;
	if ((err = db_revocation_append(db, ev, &ev->id, e)) != PECHAT_OK ||
	    (err = db_ocsp_cache_drop(db, cert.serial, e)) != PECHAT_OK)
		goto out;
	snprintf(detail, sizeof(detail), "%s%s%s%s%s", c->audit_object != NULL ? cert.serial : "",
	    c->audit_object != NULL ? " " : "", kind, ev->reason[0] ? " " : "", ev->reason);
	snprintf(action, sizeof(action), "%s", c->audit_action != NULL ? c->audit_action : "certificate.");
	if (c->audit_action == NULL)
		pechat_strlcpy(action + strlen(action), kind, sizeof(action) - strlen(action));
	err = db_audit_append(db, now, c->actor, action, c->audit_object != NULL ? c->audit_object : cert.serial,
	    detail, e);
out:
	db_cert_free_fields(&cert);
	return err;
}

/* Transaction of ca_status_change_apply: one change. */
static enum pechat_err
revoke_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct revoke_txn *t = arg;

	return change_in_txn(db, t->c, t->reason, t->now, &t->ev, e);
}

/* See ca.h. */
enum pechat_err
ca_revoke_reason_check(const char *field, const char *reason, struct pechat_error *e)
{
	int code = ca_crl_reason_from_name(reason);

	if (code >= 0 && code != CRL_REASON_CERTIFICATE_HOLD && code != CRL_REASON_REMOVE_FROM_CRL)
		return PECHAT_OK;
	pechat_error_add_field(e, field, "enum", "must be one of: " REVOKE_REASONS);
	return pechat_fail(e, PECHAT_E_INVALID, "reason_invalid", "%s \"%.31s\" is not accepted; "
	    "use one of: " REVOKE_REASONS " (certificateHold: use hold)", field, reason);
}

/* Reason and invalidity date checks that need no store (refusals name what is accepted). */
static enum pechat_err
check_input(enum ca_revoke_action action, const char **reason, time_t invalidity_date, time_t now,
    struct pechat_error *e)
{
	enum pechat_err err;

	if (action == CA_HOLD)
		*reason = "certificateHold";
	else if (action == CA_RELEASE)
		*reason = NULL;
	else {
		if (*reason == NULL)
			*reason = "unspecified";
		if ((err = ca_revoke_reason_check("reason", *reason, e)) != PECHAT_OK)
			return err;
	}
	if (invalidity_date != 0 && action != CA_REVOKE) {
		pechat_error_add_field(e, "invalidity_date", "not_allowed", "applies to revocations only");
		return pechat_fail(e, PECHAT_E_INVALID, "invalidity_date_invalid",
		    "invalidity_date applies to revocations only");
	}
	if (invalidity_date > now) {
		pechat_error_add_field(e, "invalidity_date", "range", "must not be in the future");
		return pechat_fail(e, PECHAT_E_INVALID, "invalidity_date_invalid", "invalidity_date is in the future");
	}
	return PECHAT_OK;
}

/* See ca_int.h. */
enum pechat_err
ca_status_change_apply(struct db *db, time_t now, const struct ca_status_change *c, struct db_revocation *out,
    struct pechat_error *e)
{
	struct revoke_txn t;
	enum pechat_err err;

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.now = now;
	t.reason = c->reason;
	if ((err = check_input(c->action, &t.reason, c->invalidity_date, now, e)) != PECHAT_OK ||
	    (err = db_txn_run(db, revoke_txn, &t, e)) != PECHAT_OK)
		return err;
	log_info("certificate %s: %s%s%s by %s", t.ev.serial, t.ev.kind, t.ev.reason[0] ? " " : "", t.ev.reason,
	    c->actor);
	if (out != NULL)
		*out = t.ev;
	return PECHAT_OK;
}

/* See ca.h. */
enum pechat_err
ca_status_change_in_txn(struct db *db, time_t now, const struct ca_status_change *c, struct db_revocation *out,
    struct pechat_error *e)
{
	const char *reason = c->reason;
	enum pechat_err err;

	if ((err = check_input(c->action, &reason, c->invalidity_date, now, e)) != PECHAT_OK)
		return err;
	return change_in_txn(db, c, reason, now, out, e);
}

/* See ca.h. */
void
ca_status_change_publish(struct ca_publisher *pub, struct db *db, const struct db_revocation *ev)
{
	struct pechat_error pe;

	log_info("certificate %s: %s%s%s by %s", ev->serial, ev->kind, ev->reason[0] ? " " : "", ev->reason,
	    ev->actor);
	pechat_error_clear(&pe);
	if (ca_publisher_status_changed(pub, db, ev->issuer, ev->serial, 1, &pe) != PECHAT_OK)
		log_err("certificate %s: %s stored but OCSP answers not replaced: %s", ev->serial, ev->kind, pe.detail);
}

enum pechat_err
ca_revoke(struct ca *ca, struct db *db, const char *serial, enum ca_revoke_action action, const char *reason,
    time_t invalidity_date, const char *actor, const char *comment, struct db_revocation *out,
    struct pechat_error *e)
{
	struct ca_status_change c;

	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.action = action;
	c.reason = reason;
	c.invalidity_date = invalidity_date;
	c.actor = actor;
	c.comment = comment;
	c.subscriber_only = 1;
	return ca_status_change_apply(db, pechat_clock_now(ca->clock), &c, out, e);
}
