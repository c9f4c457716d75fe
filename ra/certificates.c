/*
 * ra/certificates.c — status changes of subscriber certificates asked for
 * over HTTP (revoke, hold, release): the RA's entry to ca_revoke, so that
 * web/ never changes a certificate's status itself (docs/ARCHITECTURE.md,
 * "one write path").
 */
#include "ra/ra_int.h"

#include <string.h>

/* Only an officer or an admin changes a certificate's status ("role_forbidden" otherwise). */
static enum pechat_err
may_change(const struct ra_actor *actor, struct pechat_error *e)
{
	if (strcmp(actor->role, "admin") == 0 || strcmp(actor->role, "ra_officer") == 0)
		return PECHAT_OK;
	return pechat_fail(e, PECHAT_E_FORBIDDEN, "role_forbidden",
	    "role %s may not change a certificate's status (allowed: admin, ra_officer)", actor->role);
}

/* See ra_int.h. */
void
ra_publish(const struct ra_ca *rc, struct db *db, const char *issuer, const char *serial, int crl_changed)
{
	struct pechat_error pe;

	pechat_error_clear(&pe);
	if (ca_publisher_status_changed(rc->pub, db, issuer, serial, crl_changed, &pe) != PECHAT_OK)
		log_err("certificate %s: %s stored but its OCSP answers not %s: %s", serial,
		    crl_changed ? "status change" : "issuance", crl_changed ? "replaced" : "pre-signed", pe.detail);
}

/*
 * The one call of all three: checks the actor, then ca_revoke (event +
 * audit), then the publisher told from the event it reports.
 */
static enum pechat_err
change(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *serial,
    enum ca_revoke_action action, const char *reason, time_t invalidity_date, const char *comment,
    struct db_revocation *out, struct pechat_error *e)
{
	struct db_revocation ev;
	enum pechat_err err;

	if ((err = may_change(actor, e)) != PECHAT_OK ||
	    (err = ca_revoke(rc->ca, db, serial, action, reason, invalidity_date, actor->name, comment, &ev, e)) !=
	    PECHAT_OK)
		return err;
	ra_publish(rc, db, ev.issuer, ev.serial, 1);
	if (out != NULL)
		*out = ev;
	return PECHAT_OK;
}

enum pechat_err
ra_certificate_revoke(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *reason, time_t invalidity_date, const char *comment, struct db_revocation *out,
    struct pechat_error *e)
{
	return change(rc, db, actor, serial, CA_REVOKE, reason, invalidity_date, comment, out, e);
}

enum pechat_err
ra_certificate_hold(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *comment, struct db_revocation *out, struct pechat_error *e)
{
	return change(rc, db, actor, serial, CA_HOLD, NULL, 0, comment, out, e);
}

enum pechat_err
ra_certificate_release(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *comment, struct db_revocation *out, struct pechat_error *e)
{
	return change(rc, db, actor, serial, CA_RELEASE, NULL, 0, comment, out, e);
}
