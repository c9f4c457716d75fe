/*
 * ra/block.c — what a subject's block does to its certificates: every
 * active one (valid or on hold, by ca_status_rule) of the subject
 * (db_subject_cert_each) is revoked inside the block's transaction, so the
 * new subject version, the revocations and their audit entries commit or
 * roll back together; they are published after the commit.
 */
#include "ra/ra_int.h"

#include <stdlib.h>
#include <string.h>

/* Serials collected from the store before any write (a statement is not stepped while writing). */
struct serials {
	char (*v)[65];
	size_t n, cap;
	int failed;
};

/* db_cert_cb: appends a serial. */
static int
collect(void *arg, const char *serial, time_t not_after)
{
	struct serials *s = arg;
	char (*grown)[65];
	size_t cap;

	(void)not_after;
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 8;
		if ((grown = realloc(s->v, cap * sizeof(*grown))) == NULL) {
			s->failed = 1;
			return 1;
		}
		s->v = grown;
		s->cap = cap;
	}
	pechat_strlcpy(s->v[s->n++], serial, sizeof(s->v[0]));
	return 0;
}

/* Appends ev to the list; -1 when out of memory. */
static int
revoked_add(struct ra_revoked *r, const struct db_revocation *ev)
{
	struct db_revocation *grown;

	if ((grown = realloc(r->ev, (r->n + 1) * sizeof(*grown))) == NULL)
		return -1;
	r->ev = grown;
	r->ev[r->n++] = *ev;
	return 0;
}

void
ra_revoked_free(struct ra_revoked *r)
{
	if (r == NULL)
		return;
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

/* One revocation of the block: subscriber certificates only, the block's reason as comment. */
static enum pechat_err
revoke_one(struct db *db, const struct ra_actor *actor, time_t now, const char *serial, const char *reason,
    const char *comment, struct ra_revoked *out, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_revocation ev;
	enum pechat_err err;

	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.action = CA_REVOKE;
	c.reason = reason;
	c.actor = actor->name;
	c.comment = comment;
	c.subscriber_only = 1;
	if ((err = ca_status_change_in_txn(db, now, &c, &ev, e)) != PECHAT_OK)
		return err;
	if (revoked_add(out, &ev) != 0)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	return PECHAT_OK;
}

/* See ra_int.h. */
enum pechat_err
ra_block_revoke_in_txn(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const char *reason, const char *comment, struct ra_revoked *out, struct pechat_error *e)
{
	struct serials s;
	struct db_cert cert;
	enum ca_cert_state st;
	enum pechat_err err;
	size_t i;

	memset(&s, 0, sizeof(s));
	out->n = 0;             /* a retried transaction starts again */
	if ((err = db_subject_cert_each(db, subject_id, now, collect, &s, e)) != PECHAT_OK)
		goto out;
	if (s.failed) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		if ((err = db_cert_get(db, s.v[i], &cert, e)) != PECHAT_OK)
			goto out;
		err = ca_serial_status(db, cert.serial, -1, cert.not_after, now, &st, NULL, e);
		db_cert_free_fields(&cert);
		if (err != PECHAT_OK)
			goto out;
		if (st != CA_STATE_VALID && st != CA_STATE_ON_HOLD)
			continue;
		if ((err = revoke_one(db, actor, now, s.v[i], reason, comment, out, e)) != PECHAT_OK) {
			log_err("subject %s: block: certificate %s not revoked (%s): nothing of the block is kept",
			    subject_id, s.v[i], e != NULL ? e->code : "?");
			goto out;
		}
	}
	err = PECHAT_OK;
out:
	free(s.v);
	return err;
}
