/*
 * ra/idem.c — the Idempotency-Key of the creating POSTs other than
 * /api/v1/requests (docs/API.md, "Idempotency"): one mechanism for every
 * route. The key is looked up under the in-process claim of (client, key)
 * (ra_claim_take, shared with ra/request.c), recorded in the transaction
 * that creates the resource (db_idem_insert), and the store's primary key
 * on (client, route, key) is the backstop against another process. A key's
 * scope is the client and the route (as POST /api/v1/requests's keys are
 * that route's own).
 */
#include "ra/ra.h"
#include "ra/ra_int.h"

#include <string.h>

/* 1 when idem carries a key. */
static int
has_key(const struct ra_idem *idem)
{
	return idem != NULL && idem->key != NULL && idem->key[0] != '\0';
}

/* Looks up the key recorded on this route: OK (same hash: *found), "idempotency_key_reused", NOT_FOUND. */
static enum pechat_err
lookup(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem, struct db_idem *found,
    struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = db_idem_get(db, actor->name, idem->route, idem->key, found, e)) != PECHAT_OK)
		return err;
	if (strcmp(found->body_hash, idem->body_hash) == 0)
		return PECHAT_OK;
	db_idem_free_fields(found);
	log_reject("idempotency key %s of %s reused with a different body", idem->key, actor->name);
	return pechat_fail(e, PECHAT_E_INVALID, "idempotency_key_reused",
	    "this Idempotency-Key was used for a different request");
}

enum pechat_err
ra_idem_begin(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem, int *claim,
    struct db_idem *found, struct pechat_error *e)
{
	enum pechat_err err;

	*claim = -1;
	memset(found, 0, sizeof(*found));
	if (!has_key(idem))
		return PECHAT_E_NOT_FOUND;
	/* identical calls one at a time: the holder creates, the others then find its key */
	*claim = ra_claim_take(actor->name, idem->key);
	err = lookup(db, actor, idem, found, e);
	if (err != PECHAT_E_NOT_FOUND || *claim >= 0)
		return err;
	log_warn("%s call with idempotency key %s of %s still in progress after 10 s", idem->route, idem->key,
	    actor->name);
	return pechat_fail(e, PECHAT_E_BUSY, "request_in_progress",
	    "a request with this Idempotency-Key is still being processed: send it again");
}

enum pechat_err
ra_idem_record(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem, const char *kind,
    const char *id, int status, const char *detail, time_t at, struct pechat_error *e)
{
	struct db_idem row;

	if (!has_key(idem))
		return PECHAT_OK;
	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.client, actor->name, sizeof(row.client));
	pechat_strlcpy(row.key, idem->key, sizeof(row.key));
	pechat_strlcpy(row.route, idem->route, sizeof(row.route));
	pechat_strlcpy(row.body_hash, idem->body_hash, sizeof(row.body_hash));
	pechat_strlcpy(row.resource_kind, kind, sizeof(row.resource_kind));
	pechat_strlcpy(row.resource_id, id, sizeof(row.resource_id));
	row.status = status;
	row.detail = (char *)detail;    /* read only by db_idem_insert */
	row.created_at = at;
	return db_idem_insert(db, &row, e);
}

enum pechat_err
ra_idem_after_conflict(struct db *db, const struct ra_actor *actor, const struct ra_idem *idem,
    enum pechat_err err, struct db_idem *found, struct pechat_error *e)
{
	struct pechat_error mine;
	enum pechat_err again;

	if (err != PECHAT_E_CONFLICT || !has_key(idem))
		return err;
	pechat_error_clear(&mine);
	again = lookup(db, actor, idem, found, &mine);
	if (again == PECHAT_E_NOT_FOUND)
		return err;
	if (e != NULL)
		*e = mine;
	return again;
}

void
ra_idem_end(int claim, struct db_idem *found)
{
	ra_claim_release(claim);
	db_idem_free_fields(found);
}
