/*
 * ra/poa_store.h — stored powers of attorney (docs/REGISTRATION.md, "Powers
 * of attorney"): import from EMCHD_1 XML or JSON for a registered legal
 * entity, read, list by principal, revoke. Every change and its audit entry
 * in one transaction; nothing is written on failure.
 */
#ifndef PECHAT_RA_POA_STORE_H
#define PECHAT_RA_POA_STORE_H

#include "ra/poa.h"
#include "ra/ra.h"

#define RA_POA_LIST_MAX 500     /* POAs listed per principal */

/* The document to import: the raw bytes are stored as evidence. */
struct ra_poa_source {
	const char *kind;               /* "xml" or "json" */
	const char *bytes;              /* the body as received (borrowed) */
	size_t len;
	const struct json_t *json;      /* kind "json": the parsed body (borrowed) */
	const struct ra_idem *idem;     /* its Idempotency-Key, or NULL */
};

/*
 * Parses src and stores it as a POA of principal_id: NOT_FOUND
 * "subject_unknown" for an unknown subject, POLICY "poa_principal_mismatch"
 * when the subject is not a legal_entity or its INNLE/KPP differ from the
 * POA's principal, CONFLICT "poa_duplicate" for a known registration number,
 * the parser's errors otherwise. *out (heap-sized) gets the stored POA.
 */
enum pechat_err ra_poa_import(struct db *db, const struct ra_actor *actor, time_t now, const char *principal_id,
    const struct ra_poa_source *src, struct db_poa *out, struct pechat_error *e);

/* POA id; a portal gets "poa_unknown" unless it created the principal subject. */
enum pechat_err ra_poa_get(struct db *db, const struct ra_actor *actor, int64_t id, struct db_poa *out,
    struct pechat_error *e);

/* Ids of the POAs of principal_id (id order, at most max); "subject_unknown" as ra_subject_get. */
enum pechat_err ra_poa_list(struct db *db, const struct ra_actor *actor, const char *principal_id, int64_t *ids,
    int max, int *count, struct pechat_error *e);

/*
 * Revokes POA id with a reason (1..255 bytes of text, else INVALID
 * "validation_failed"), audited: CONFLICT "poa_already_revoked" the second
 * time. *out gets the POA as it now is.
 */
enum pechat_err ra_poa_revoke(struct db *db, const struct ra_actor *actor, time_t now, int64_t id,
    const char *reason, struct db_poa *out, struct pechat_error *e);

/* "revoked", "expired" (not in force on the day of now: ra_poa_in_force) or "active". */
const char *ra_poa_state(const struct db_poa *p, time_t now);

#endif
