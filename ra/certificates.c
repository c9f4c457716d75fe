/*
 * ra/certificates.c — status changes of subscriber certificates asked for
 * over HTTP (revoke, hold, release): the RA's entry to ca_revoke, so that
 * web/ never changes a certificate's status itself (docs/ARCHITECTURE.md,
 * "one write path").
 */
#include "ra/ra.h"

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

/* The one call of all three: checks the actor, then ca_revoke (event + audit, published). */
static enum pechat_err
change(struct ca *ca, struct db *db, const struct ra_actor *actor, const char *serial,
    enum ca_revoke_action action, const char *reason, time_t invalidity_date, const char *comment,
    struct db_revocation *out, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = may_change(actor, e)) != PECHAT_OK)
		return err;
	return ca_revoke(ca, db, serial, action, reason, invalidity_date, actor->name, comment, out, e);
}

enum pechat_err
ra_certificate_revoke(struct ca *ca, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *reason, time_t invalidity_date, const char *comment, struct db_revocation *out,
    struct pechat_error *e)
{
	return change(ca, db, actor, serial, CA_REVOKE, reason, invalidity_date, comment, out, e);
}

enum pechat_err
ra_certificate_hold(struct ca *ca, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *comment, struct db_revocation *out, struct pechat_error *e)
{
	return change(ca, db, actor, serial, CA_HOLD, NULL, 0, comment, out, e);
}

enum pechat_err
ra_certificate_release(struct ca *ca, struct db *db, const struct ra_actor *actor, const char *serial,
    const char *comment, struct db_revocation *out, struct pechat_error *e)
{
	return change(ca, db, actor, serial, CA_RELEASE, NULL, 0, comment, out, e);
}
