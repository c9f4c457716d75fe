/*
 * ra/subjects.c — the subject registry workflow (docs/REGISTRATION.md):
 * create, update (a new version), read, search, and the state changes
 * verify / block / unblock. Each write is one transaction with its audit
 * entry; nothing is written when a check fails.
 */
#include "ra/ra_int.h"

#include <stdio.h>
#include <string.h>

/* 1 if the actor is a portal (create and read its own only). */
static int
is_portal(const struct ra_actor *actor)
{
	return strcmp(actor->role, "portal") == 0;
}

/* The identifier a kind must hold alone ("" when the data has none): docs/REGISTRATION.md. */
static void
claim_key(const struct db_subject *s, char *buf, size_t bufsz)
{
	const char *ogrnip = NULL, *kpp = NULL;
	int i;

	for (i = 0; i < s->nfields; i++) {
		if (strcmp(s->field[i], "ogrnip") == 0)
			ogrnip = s->value[i];
		else if (strcmp(s->field[i], "kpp") == 0)
			kpp = s->value[i];
	}
	buf[0] = '\0';
	if (strcmp(s->kind, "individual") == 0 && s->snils[0] != '\0')
		snprintf(buf, bufsz, "individual:snils:%s", s->snils);
	else if (strcmp(s->kind, "sole_proprietor") == 0 && ogrnip != NULL)
		snprintf(buf, bufsz, "sole_proprietor:ogrnip:%s", ogrnip);
	else if (strcmp(s->kind, "legal_entity") == 0 && kpp != NULL)
		snprintf(buf, bufsz, "legal_entity:innle_kpp:%s/%s", s->innle, kpp);
}

/* Inside a transaction: every head of s exists and is an individual ("subject_invalid" otherwise). */
static enum pechat_err
heads_exist(struct db *db, const struct db_subject *s, struct pechat_error *e)
{
	struct db_subject head;
	enum pechat_err err;
	char field[48];
	int i, bad = 0;

	for (i = 0; i < s->nheads; i++) {
		snprintf(field, sizeof(field), "heads[%d].subject_id", i);
		err = db_subject_get(db, s->head_id[i], 0, &head, e);
		if (err == PECHAT_E_NOT_FOUND) {
			pechat_error_add_field(e, field, "unknown", "no such subject");
			bad = 1;
			continue;
		}
		if (err != PECHAT_OK)
			return err;
		if (strcmp(head.kind, "individual") != 0) {
			pechat_error_add_field(e, field, "kind", "a head must be an individual subject");
			bad = 1;
		}
		db_subject_free_fields(&head);
	}
	if (bad)
		return pechat_fail(e, PECHAT_E_INVALID, "subject_invalid",
		    "the subject has invalid fields: every one is named in errors[]");
	return PECHAT_OK;
}

/*
 * Inside a transaction: claims the identifier of s, stores version s->version
 * and audits `action`. On "subject_duplicate" holder (may be NULL) gets the holder's id.
 */
static enum pechat_err
store_version(struct db *db, const struct db_subject *s, const char *action, char *holder_out,
    struct pechat_error *e)
{
	char claim[96], holder[37], detail[96];
	enum pechat_err err;

	claim_key(s, claim, sizeof(claim));
	if (claim[0] != '\0' && (err = db_subject_claim(db, claim, s->id, s->at, holder, e)) != PECHAT_OK) {
		if (err == PECHAT_E_CONFLICT)
			log_reject("%s: %s refused: %s is already subject %s", s->actor, action, claim, holder);
		if (holder_out != NULL)
			pechat_strlcpy(holder_out, holder, 37);
		return err;
	}
	if ((err = db_subject_version_insert(db, s, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "version %lld, state %s", (long long)s->version, s->state);
	return db_audit_append(db, s->at, s->actor, action, s->id, detail, e);
}

/*
 * A portal learns the id of the subject holding an identifier only when that
 * subject is its own (its retried create): another client's subject stays unseen.
 */
static void
hide_holder(struct db *db, const struct ra_actor *actor, const char *holder, struct pechat_error *e)
{
	struct db_subject h;

	if (!is_portal(actor))
		return;
	if (db_subject_get(db, holder, 0, &h, NULL) == PECHAT_OK && strcmp(h.created_by, actor->name) == 0) {
		db_subject_free_fields(&h);
		return;
	}
	db_subject_free_fields(&h);
	pechat_fail(e, PECHAT_E_CONFLICT, "subject_duplicate",
	    "a subject with this identifier is already registered by another client: ask an RA officer");
}

struct create_arg {
	struct db_subject *s;
	char holder[37];        /* the subject holding a duplicate identifier */
	const struct ra_actor *actor;
	const struct ra_idem *idem;
};

/* Transaction body of ra_subject_create (with its Idempotency-Key, if any). */
static enum pechat_err
create_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct create_arg *a = arg;
	struct db_subject *s = a->s;
	enum pechat_err err;

	if ((err = heads_exist(db, s, e)) != PECHAT_OK || (err = db_subject_insert(db, s, e)) != PECHAT_OK ||
	    (err = store_version(db, s, "subject.create", a->holder, e)) != PECHAT_OK)
		return err;
	return ra_idem_record(db, a->actor, a->idem, "subject", s->id, 201, NULL, s->at, e);
}

enum pechat_err
ra_subject_create(struct db *db, const struct ra_actor *actor, time_t now, const struct ra_subject_input *in,
    struct db_subject *out, struct pechat_error *e)
{
	struct create_arg arg = { out, "", actor, in->idem };
	struct db_idem found;
	enum pechat_err err;
	int claim = -1;

	memset(out, 0, sizeof(*out));
	memset(&found, 0, sizeof(found));
	if ((err = ra_subject_validate(in->kind, in, now, out, e)) != PECHAT_OK)
		goto fail;
	if ((err = ra_idem_begin(db, actor, in->idem, &claim, &found, e)) == PECHAT_OK)
		goto replay;
	if (err != PECHAT_E_NOT_FOUND)
		goto fail;
	if (pechat_uuid7(out->id) != 0) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
		goto fail;
	}
	pechat_strlcpy(out->kind, in->kind, sizeof(out->kind));
	pechat_strlcpy(out->created_by, actor->name, sizeof(out->created_by));
	pechat_strlcpy(out->state, "unverified", sizeof(out->state));
	pechat_strlcpy(out->change, "create", sizeof(out->change));
	pechat_strlcpy(out->actor, actor->name, sizeof(out->actor));
	out->created_at = out->at = now;
	out->version = 1;
	if ((err = db_txn_run(db, create_txn, &arg, e)) != PECHAT_OK) {
		/* another process's identical create, recorded with this key first: its subject */
		if ((err = ra_idem_after_conflict(db, actor, in->idem, err, &found, e)) == PECHAT_OK)
			goto replay;
		if (err == PECHAT_E_CONFLICT && arg.holder[0] != '\0')
			hide_holder(db, actor, arg.holder, e);
		goto fail;
	}
	log_info("subject %s (%s) registered by %s", out->id, out->kind, actor->name);
	ra_idem_end(claim, &found);
	return PECHAT_OK;
replay:
	/* the first reply again: the subject it created, as it is now */
	db_subject_free_fields(out);
	if ((err = ra_subject_get(db, actor, found.resource_id, 0, out, e)) == PECHAT_OK) {
		log_info("subject %s: create replayed for %s (Idempotency-Key)", out->id, actor->name);
		ra_idem_end(claim, &found);
		return PECHAT_OK;
	}
fail:
	ra_idem_end(claim, &found);
	db_subject_free_fields(out);
	return err;
}

struct change_arg {
	const struct ra_actor *actor;
	time_t now;
	const char *id;
	const struct ra_subject_input *in;      /* update */
	const char *text;                       /* block/unblock reason, verify register source */
	const char *change;
	struct db_subject *out;
	const char *rev_reason;                 /* block: the revocations' CRLReason */
	struct ra_revoked *revoked;             /* block: what it revoked */
};

/* Reads the current version into a->out and makes it the next one (version + 1, actor, time). */
static enum pechat_err
next_version(struct db *db, struct change_arg *a, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = db_subject_get(db, a->id, 0, a->out, e)) != PECHAT_OK)
		return err;
	a->out->version++;
	pechat_strlcpy(a->out->change, a->change, sizeof(a->out->change));
	pechat_strlcpy(a->out->actor, a->actor->name, sizeof(a->out->actor));
	pechat_strlcpy(a->out->reason, a->text != NULL ? a->text : "", sizeof(a->out->reason));
	a->out->at = a->now;
	return PECHAT_OK;
}

/* Transaction body of ra_subject_update: validate against the current kind, keep or replace heads. */
static enum pechat_err
update_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct change_arg *a = arg;
	struct ra_subject_input in = *a->in;
	struct db_subject cur, *s = a->out;
	enum pechat_err err;
	int i;

	if (in.reason != NULL && !ra_text_ok(in.reason, 255)) {
		pechat_error_add_field(e, "reason", "charset", "1 to 255 bytes of text without control characters");
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	}
	if ((err = db_subject_get(db, a->id, 0, &cur, e)) != PECHAT_OK)
		return err;
	if (!in.heads_given) {
		in.nheads = cur.nheads;
		for (i = 0; i < cur.nheads; i++) {
			in.head_id[i] = cur.head_id[i];
			in.head_title[i] = cur.head_title[i];
		}
	}
	db_subject_free_fields(s);
	err = ra_subject_validate(cur.kind, &in, a->now, s, e);
	if (err == PECHAT_OK) {
		pechat_strlcpy(s->id, cur.id, sizeof(s->id));
		pechat_strlcpy(s->kind, cur.kind, sizeof(s->kind));
		pechat_strlcpy(s->created_by, cur.created_by, sizeof(s->created_by));
		s->created_at = cur.created_at;
		s->version = cur.version + 1;
		/* new data needs a new verification; a block stays until an officer lifts it */
		pechat_strlcpy(s->state, strcmp(cur.state, "blocked") == 0 ? "blocked" : "unverified", sizeof(s->state));
		pechat_strlcpy(s->change, "update", sizeof(s->change));
		pechat_strlcpy(s->actor, a->actor->name, sizeof(s->actor));
		pechat_strlcpy(s->reason, in.reason != NULL ? in.reason : "", sizeof(s->reason));
		s->at = a->now;
	}
	db_subject_free_fields(&cur);
	if (err != PECHAT_OK || (err = heads_exist(db, s, e)) != PECHAT_OK)
		return err;
	return store_version(db, s, "subject.update", NULL, e);
}

/* Runs a change transaction; on failure *out is freed. */
static enum pechat_err
run_change(struct db *db, db_txn_fn fn, struct change_arg *a, struct pechat_error *e)
{
	enum pechat_err err;

	memset(a->out, 0, sizeof(*a->out));
	if ((err = db_txn_run(db, fn, a, e)) != PECHAT_OK) {
		db_subject_free_fields(a->out);
		log_reject("%s: subject %s %s refused: %s", a->actor->name, a->id, a->change,
		    e != NULL ? e->code : "?");
		return err;
	}
	log_info("subject %s: %s by %s (version %lld, %s)", a->id, a->change, a->actor->name,
	    (long long)a->out->version, a->out->state);
	return PECHAT_OK;
}

enum pechat_err
ra_subject_update(struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const struct ra_subject_input *in, struct db_subject *out, struct pechat_error *e)
{
	struct change_arg a = { actor, now, id, in, NULL, "update", out, NULL, NULL };

	return run_change(db, update_txn, &a, e);
}

enum pechat_err
ra_subject_get(struct db *db, const struct ra_actor *actor, const char *id, int64_t version,
    struct db_subject *out, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = db_subject_get(db, id, version, out, e)) != PECHAT_OK)
		return err;
	/* a portal's view: another's subject is indistinguishable from a missing one */
	if (is_portal(actor) && strcmp(out->created_by, actor->name) != 0) {
		db_subject_free_fields(out);
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "subject_unknown", "no such subject or version");
	}
	return PECHAT_OK;
}

enum pechat_err
ra_subject_search(struct db *db, const struct ra_actor *actor, struct db_subject_filter *f, char (*ids)[37],
    int *count, int *more, struct pechat_error *e)
{
	char snils[16];
	enum pechat_err err;
	int limit = f->limit;

	*more = 0;
	if (is_portal(actor))
		f->created_by = actor->name;
	if (f->snils != NULL && pechat_snils_normalize(f->snils, snils, sizeof(snils)) == 0)
		f->snils = snils;
	f->limit = limit + 1;   /* one more tells whether a next page exists */
	err = db_subject_search(db, f, ids, count, e);
	f->limit = limit;
	if (err == PECHAT_OK && *count > limit) {
		*count = limit;
		*more = 1;
	}
	if (f->snils == snils)
		f->snils = NULL;
	return err;
}

/* Callback: counts verified documents. */
static int
count_verified(void *arg, const struct db_id_document *doc)
{
	if (doc->verified)
		(*(int *)arg)++;
	return 0;
}

/* The evidence a verification needs (docs/REGISTRATION.md); "subject_evidence_missing" if absent. */
static enum pechat_err
evidence_ok(struct db *db, const struct change_arg *a, const struct db_subject *s, struct pechat_error *e)
{
	struct db_subject head;
	enum pechat_err err;
	int i, n = 0;

	if (strcmp(s->kind, "legal_entity") != 0) {
		if ((err = db_id_document_each(db, s->id, count_verified, &n, e)) != PECHAT_OK)
			return err;
		if (n == 0)
			return pechat_fail(e, PECHAT_E_POLICY, "subject_evidence_missing",
			    "a %s is verified only with a verified identity document", s->kind);
		return PECHAT_OK;
	}
	if (!ra_text_ok(a->text, 255))
		return pechat_fail(e, PECHAT_E_POLICY, "subject_evidence_missing",
		    "name the register extract you checked in register_source (1 to 255 bytes of text)");
	for (i = 0; i < s->nheads; i++) {
		if ((err = db_subject_get(db, s->head_id[i], 0, &head, e)) != PECHAT_OK)
			return err;
		n += strcmp(head.state, "verified") == 0;
		db_subject_free_fields(&head);
	}
	if (n == 0)
		return pechat_fail(e, PECHAT_E_POLICY, "subject_evidence_missing",
		    "a legal entity is verified only with a verified head");
	return PECHAT_OK;
}

/* Transaction body of verify: unverified -> verified with the evidence present. */
static enum pechat_err
verify_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct change_arg *a = arg;
	struct db_subject *s = a->out;
	enum pechat_err err;

	db_subject_free_fields(s);
	if ((err = next_version(db, a, e)) != PECHAT_OK)
		return err;
	if (strcmp(s->state, "unverified") != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "subject_state_conflict",
		    "the subject is %s: only an unverified subject can be verified", s->state);
	if ((err = evidence_ok(db, a, s, e)) != PECHAT_OK)
		return err;
	pechat_strlcpy(s->state, "verified", sizeof(s->state));
	if ((err = store_version(db, s, "subject.verify", NULL, e)) != PECHAT_OK || strcmp(s->kind, "legal_entity") != 0)
		return err;
	/* the officer's check of the register data, tied to the version it verified */
	return db_register_verification_insert(db, s->id, s->version, a->actor->name, a->text, a->now, e);
}

/* Transaction body of block: unverified|verified -> blocked. */
static enum pechat_err
block_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct change_arg *a = arg;
	struct db_subject *s = a->out;
	enum pechat_err err;

	db_subject_free_fields(s);
	if ((err = next_version(db, a, e)) != PECHAT_OK)
		return err;
	if (strcmp(s->state, "blocked") == 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "subject_state_conflict", "the subject is already blocked");
	pechat_strlcpy(s->state, "blocked", sizeof(s->state));
	if ((err = store_version(db, s, "subject.block", NULL, e)) != PECHAT_OK)
		return err;
	return ra_block_revoke_in_txn(db, a->actor, a->now, s->id, a->rev_reason, a->text, a->revoked, e);
}

/*
 * Transaction body of unblock: blocked -> the state before the block, or
 * unverified when the data changed while it was blocked.
 */
static enum pechat_err
unblock_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct change_arg *a = arg;
	struct db_subject *s = a->out, before;
	char state[16] = "unverified";
	enum pechat_err err;

	db_subject_free_fields(s);
	if ((err = next_version(db, a, e)) != PECHAT_OK)
		return err;
	if (strcmp(s->state, "blocked") != 0)
		return pechat_fail(e, PECHAT_E_CONFLICT, "subject_state_conflict",
		    "the subject is %s, not blocked", s->state);
	if ((err = db_subject_get(db, s->id, s->version - 1, &before, e)) != PECHAT_OK)
		return err;
	if (strcmp(before.change, "block") == 0) {
		db_subject_free_fields(&before);
		if ((err = db_subject_get(db, s->id, s->version - 2, &before, e)) != PECHAT_OK)
			return err;
		pechat_strlcpy(state, before.state, sizeof(state));
	}
	db_subject_free_fields(&before);
	pechat_strlcpy(s->state, state, sizeof(s->state));
	return store_version(db, s, "subject.unblock", NULL, e);
}

/* A reason for block/unblock: 1..255 bytes of text, else "validation_failed". */
static enum pechat_err
reason_ok(const char *reason, struct pechat_error *e)
{
	if (ra_text_ok(reason, 255))
		return PECHAT_OK;
	pechat_error_add_field(e, "reason", reason == NULL || reason[0] == '\0' ? "required" : "charset",
	    "a reason of 1 to 255 bytes of text without control characters is required");
	return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
}

enum pechat_err
ra_subject_verify(struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const char *register_source, struct db_subject *out, struct pechat_error *e)
{
	struct change_arg a = { actor, now, id, NULL, register_source, "verify", out, NULL, NULL };

	return run_change(db, verify_txn, &a, e);
}

enum pechat_err
ra_subject_block(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, time_t now, const char *id,
    const char *reason, const char *revocation_reason, struct db_subject *out, struct ra_revoked *revoked,
    struct pechat_error *e)
{
	struct change_arg a = { actor, now, id, NULL, reason, "block", out, NULL, revoked };
	enum pechat_err err;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(revoked, 0, sizeof(*revoked));
	a.rev_reason = revocation_reason != NULL ? revocation_reason : RA_BLOCK_REVOCATION_REASON;
	if (reason_ok(reason, e) != PECHAT_OK)
		return PECHAT_E_INVALID;
	if ((err = ca_revoke_reason_check("revocation_reason", a.rev_reason, e)) != PECHAT_OK)
		return err;
	if ((err = run_change(db, block_txn, &a, e)) != PECHAT_OK) {
		ra_revoked_free(revoked);
		return err;
	}
	/* committed: each revocation logged, and visible in OCSP before the call returns */
	for (i = 0; i < revoked->n; i++)
		ca_status_change_publish(rc != NULL ? rc->pub : NULL, db, &revoked->ev[i]);
	log_info("subject %s: block revoked %zu certificate(s) (%s)", id, revoked->n, a.rev_reason);
	return PECHAT_OK;
}

enum pechat_err
ra_subject_unblock(struct db *db, const struct ra_actor *actor, time_t now, const char *id, const char *reason,
    struct db_subject *out, struct pechat_error *e)
{
	struct change_arg a = { actor, now, id, NULL, reason, "unblock", out, NULL, NULL };

	memset(out, 0, sizeof(*out));
	if (reason_ok(reason, e) != PECHAT_OK)
		return PECHAT_E_INVALID;
	return run_change(db, unblock_txn, &a, e);
}
