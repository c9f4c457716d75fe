/*
 * ra/operators.c — changes to the API's operators and portals: enable,
 * disable, revoke the client certificate. The CLI (`pechat operator
 * enable|disable|revoke`) uses these; each is one audited transaction.
 */
#include "ra/ra.h"

struct enable_arg {
	const struct ra_actor *actor;
	time_t now;
	const char *name;
	int enabled;
};

/* Transaction: the flag and its audit entry. */
static enum pechat_err
enable_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct enable_arg *a = arg;
	enum pechat_err err;

	if ((err = db_operator_set_enabled(db, a->name, a->enabled, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor->name, a->enabled ? "operator.enable" : "operator.disable",
	    a->name, NULL, e);
}

enum pechat_err
ra_operator_set_enabled(struct db *db, const struct ra_actor *actor, time_t now, const char *name, int enabled,
    struct pechat_error *e)
{
	struct enable_arg a = { actor, now, name, enabled };
	enum pechat_err err;

	if ((err = db_txn_run(db, enable_txn, &a, e)) != PECHAT_OK)
		return err;
	log_info("operator %s %s by %s", name, enabled ? "enabled" : "disabled", actor->name);
	return PECHAT_OK;
}

enum pechat_err
ra_operator_revoke(struct db *db, const struct pechat_clock *clock, const struct ra_actor *actor, const char *name,
    const char *reason, const char *comment, struct db_revocation *out, struct pechat_error *e)
{
	return ca_operator_revoke(db, clock, name, reason, comment, actor->name, out, e);
}
