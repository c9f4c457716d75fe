/*
 * ca/status.c — the one certificate-status rule: what a certificate's
 * revocation events make of it (valid, on hold, revoked) and, for a valid
 * one, its expiry. Every module that needs a status (the revocation API,
 * OCSP answers, CRLs, issuer standing, web/'s client-certificate check, the
 * certificate resource, the registry's block) asks here.
 */
#include "ca/ca_int.h"

#include <string.h>

/* See ca.h. */
enum ca_cert_state
ca_status_rule(const struct db_revocation *last, time_t not_after, time_t now)
{
	if (last != NULL && last->id != 0 && strcmp(last->kind, "revoke") == 0)
		return CA_STATE_REVOKED;
	if (last != NULL && last->id != 0 && strcmp(last->kind, "hold") == 0)
		return CA_STATE_ON_HOLD;
	return now != 0 && now > not_after ? CA_STATE_EXPIRED : CA_STATE_VALID;
}

/* See ca.h. */
const char *
ca_cert_state_name(enum ca_cert_state st)
{
	switch (st) {
	case CA_STATE_ON_HOLD:
		return "on_hold";
	case CA_STATE_REVOKED:
		return "revoked";
	case CA_STATE_EXPIRED:
		return "expired";
	default:
		return "valid";
	}
}

/* See ca.h. */
enum pechat_err
ca_serial_status(struct db *db, const char *serial, int64_t mark, time_t not_after, time_t now,
    enum ca_cert_state *st, struct db_revocation *last, struct pechat_error *e)
{
	struct db_revocation ev;
	enum pechat_err err;

	memset(&ev, 0, sizeof(ev));
	err = db_revocation_last(db, serial, mark, &ev, e);
	if (err == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		memset(&ev, 0, sizeof(ev));
	} else if (err != PECHAT_OK)
		return err;
	*st = ca_status_rule(&ev, not_after, now);
	if (last != NULL)
		*last = ev;
	return PECHAT_OK;
}

/* See ca.h. */
const char *
ca_cert_status_of(const struct db_cert *cert, const struct db_revocation *last, time_t now,
    struct db_revocation *ev)
{
	enum ca_cert_state st = ca_status_rule(last, cert->not_after, now);

	if (st == CA_STATE_REVOKED || st == CA_STATE_ON_HOLD)
		*ev = *last;
	else
		memset(ev, 0, sizeof(*ev));     /* a release is no revocation to show */
	return ca_cert_state_name(st);
}

/* See ca.h. */
enum pechat_err
ca_cert_status(struct db *db, const struct db_cert *cert, time_t now, const char **status,
    struct db_revocation *ev, struct pechat_error *e)
{
	struct db_revocation last;
	enum ca_cert_state st;
	enum pechat_err err;

	memset(ev, 0, sizeof(*ev));
	if ((err = ca_serial_status(db, cert->serial, -1, cert->not_after, now, &st, &last, e)) != PECHAT_OK)
		return err;
	*status = ca_cert_status_of(cert, &last, now, ev);
	return PECHAT_OK;
}
