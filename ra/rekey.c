/*
 * ra/rekey.c — self-service re-key (docs/REGISTRATION.md, "Code word and
 * re-key"): the code word authorises a new certificate from the subject's
 * current verified version without an officer, and the subject's previous
 * active certificates of the profile are revoked "superseded" inside the
 * store transaction of the new certificate (ca_issue_params.in_txn), then
 * published before the call returns.
 */
#include "ra/rekey.h"
#include "ra/ra_int.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ra_rekey_result_free(struct ra_rekey_result *r)
{
	if (r == NULL)
		return;
	db_request_free_fields(&r->req);
	free(r->superseded);
	memset(r, 0, sizeof(*r));
}

/* What the in-transaction hook needs and what it did (reset on every run). */
struct supersede {
	const char *subject_id;
	const char *profile;
	const char *actor;
	time_t now;
	char comment[96];
	const struct ra_actor *client;  /* the Idempotency-Key's scope */
	const struct ra_idem *idem;     /* recorded with the certificate, or NULL */
	const char *request_id;
	int n;                          /* events recorded by this run */
	int cap;
	struct db_revocation *ev;       /* malloc'd, cap entries */
};

/* Room for one more event in s->ev. 0 or -1 (memory). */
static int
supersede_grow(struct supersede *s)
{
	struct db_revocation *ev;
	int cap = s->cap > 0 ? 2 * s->cap : 8;

	if (s->n < s->cap)
		return 0;
	if ((ev = realloc(s->ev, (size_t)cap * sizeof(*ev))) == NULL)
		return -1;
	s->ev = ev;
	s->cap = cap;
	return 0;
}

/* Revokes serial "superseded" when it is valid or on hold; anything else is left as it is. */
static enum pechat_err
supersede_one(struct db *db, struct supersede *s, const char *serial, struct pechat_error *e)
{
	struct ca_status_change c;
	struct db_revocation last;
	struct db_cert cert;
	const char *status;
	enum pechat_err err;

	if ((err = db_cert_get(db, serial, &cert, e)) != PECHAT_OK)
		return err;
	err = ca_cert_status(db, &cert, s->now, &status, &last, e);
	db_cert_free_fields(&cert);
	if (err != PECHAT_OK || (strcmp(status, "valid") != 0 && strcmp(status, "on_hold") != 0))
		return err;
	if (supersede_grow(s) != 0)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.action = CA_REVOKE;
	c.reason = "superseded";
	c.actor = s->actor;
	c.comment = s->comment;
	c.subscriber_only = 1;
	if ((err = ca_status_change_in_txn(db, s->now, &c, &s->ev[s->n], e)) != PECHAT_OK)
		return err;
	s->n++;
	return PECHAT_OK;
}

/*
 * The Idempotency-Key (if any) with the new certificate's request and the
 * serials this run superseded (space-separated), for a retry's reply.
 */
static enum pechat_err
record_key(struct db *db, const struct supersede *s, struct pechat_error *e)
{
	enum pechat_err err;
	char *detail;
	size_t at = 0;
	int i;

	if (s->idem == NULL || s->idem->key == NULL)
		return PECHAT_OK;
	if ((detail = calloc((size_t)s->n + 1, 65)) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	for (i = 0; i < s->n; i++)
		at += (size_t)snprintf(detail + at, 66, "%s%s", i > 0 ? " " : "", s->ev[i].serial);
	err = ra_idem_record(db, s->client, s->idem, "request", s->request_id, 201, detail, s->now, e);
	free(detail);
	return err;
}

/*
 * ca_issue's in-transaction hook: every earlier certificate of the subject
 * from the profile that is valid or on hold is revoked "superseded", in the
 * transaction that stores the new one (row). Re-runnable: starts from zero.
 */
static enum pechat_err
supersede_txn(struct db *db, void *arg, const struct db_cert *row, struct pechat_error *e)
{
	struct supersede *s = arg;
	char (*serials)[65] = NULL;
	enum pechat_err err;
	int i, count = 0, max = 16;

	s->n = 0;
	for (;;) {
		free(serials);
		if ((serials = calloc((size_t)max, sizeof(*serials))) == NULL)
			return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		if ((err = db_subject_cert_serials(db, s->subject_id, s->profile, serials, max, &count, e)) != PECHAT_OK ||
		    count <= max)
			break;
		max = count;
	}
	for (i = 0; err == PECHAT_OK && i < count; i++)
		if (strcmp(serials[i], row->serial) != 0)
			err = supersede_one(db, s, serials[i], e);
	free(serials);
	return err != PECHAT_OK ? err : record_key(db, s, e);
}

/* profile_unknown or, for a profile whose subject is not the registry's, validation_failed. */
static enum pechat_err
profile_check(struct ca *ca, const struct ra_actor *actor, const char *name,
    const struct pechat_profile_conf **out, struct pechat_error *e)
{
	if ((*out = ca_profile_find(ca, name)) == NULL)
		return ra_profile_unknown(ca, actor, name, e);
	if ((*out)->subject_registry && strcmp((*out)->subject_kind, "legal_entity") == 0) {
		log_reject("%s: re-key for legal-entity profile %s", actor->name, name);
		pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
		pechat_error_add_field(e, "profile", "legal_entity",
		    "profile %s certifies an organisation through a representative and a power of attorney, which "
		    "an officer checks: request it with POST /api/v1/requests", name);
		return PECHAT_E_INVALID;
	}
	if ((*out)->subject_registry)
		return PECHAT_OK;
	log_reject("%s: re-key for profile %s, whose subject is not the registry's", actor->name, name);
	pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	pechat_error_add_field(e, "profile", "registry",
	    "profile %s takes its subject from the request: re-key needs a profile with subject_source registry",
	    name);
	return PECHAT_E_INVALID;
}

/* ra_csr_checks, and the request's body hash: the SHA-256 of the CSR's DER. *csr owned. */
static enum pechat_err
csr_check(const struct pechat_profile_conf *profile, const struct ra_rekey_input *in, struct db_request *req,
    struct ca_csr **csr, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = ra_csr_checks(profile, in->csr, in->csr_len, req, csr, e)) != PECHAT_OK)
		return err;
	if (pechat_sha256_hex(req->csr_der, req->csr_len, req->body_hash) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	return PECHAT_OK;
}

struct insert_arg {
	const struct db_request *req;
	const char *actor;
};

/* Transaction body: (the subject still verified) the request, its checks and link, an audit entry. */
static enum pechat_err
insert_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct insert_arg *a = arg;
	enum pechat_err err;

	if ((err = ra_registry_subject_standing(db, a->req, e)) != PECHAT_OK ||
	    (err = db_request_insert(db, a->req, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->req->created_at, a->actor, "request.rekey", a->req->id, a->req->profile, e);
}

/*
 * Issues req (stored "approved") with the supersede hook; after the commit
 * every revocation is published. A failure marks the request failed (never
 * left approved for an officer to issue without superseding) and is returned.
 */
static enum pechat_err
rekey_issue(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, struct db_request *req,
    const struct ca_csr *csr, struct supersede *s, struct pechat_error *e)
{
	struct ca_issue_params params;
	struct ca_change changed;
	enum pechat_err err;
	int i;

	memset(&params, 0, sizeof(params));
	params.profile = req->profile;
	params.subject = &req->subject;
	params.csr = csr;
	params.request_id = req->id;
	params.actor = actor->name;
	params.in_txn = supersede_txn;
	params.in_txn_arg = s;
	params.sign_tool = req->sign_tool;
	params.has_identification_kind = req->has_identification_kind;
	params.identification_kind = req->identification_kind;
	err = ca_issue(rc->ca, db, &params, NULL, &changed, e);
	if (err != PECHAT_OK) {
		ra_request_mark_failed(rc->ca, db, req->id, actor->name, e);
		s->n = 0;
		return err;
	}
	ra_publish(rc, db, changed.issuer, changed.serial, changed.crl_changed);
	ca_change_clear(&changed);      /* the reply reads the stored DER (ra/idem.c's replay shares it) */
	for (i = 0; i < s->n; i++)
		ca_status_change_publish(rc->pub, db, &s->ev[i]);
	return PECHAT_OK;
}

/*
 * The first reply of a re-key again (its Idempotency-Key recorded with the
 * certificate): the request as it is now and the serials it superseded.
 */
static enum pechat_err
replay(struct db *db, const struct db_idem *found, struct ra_rekey_result *out, struct pechat_error *e)
{
	const char *p = found->detail;
	size_t len;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if ((out->superseded = calloc(strlen(p) / 2 + 1, sizeof(*out->superseded))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	while (*p != '\0') {
		len = strcspn(p, " ");
		if (len > 0 && len < sizeof(out->superseded[0]))
			memcpy(out->superseded[n++], p, len);
		p += len + (p[len] == ' ');
	}
	out->nsuperseded = n;
	log_info("re-key request %s replayed (Idempotency-Key)", found->resource_id);
	return db_request_get(db, found->resource_id, &out->req, e);
}

/* The new request: registry subject composed (a portal's own, verified, of the profile's kind), checked, its key too. */
static enum pechat_err
compose_request(struct ca *ca, struct db *db, const struct ra_actor *actor, const struct pechat_profile_conf *profile,
    const char *subject_id, const struct ca_csr *csr, struct db_request *req, struct pechat_error *e)
{
	struct ra_submission none;
	enum pechat_err err;

	if (pechat_uuid7(req->id) != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	pechat_strlcpy(req->client, actor->name, sizeof(req->client));
	pechat_strlcpy(req->profile, profile->name, sizeof(req->profile));
	pechat_strlcpy(req->issuer, profile->issuer, sizeof(req->issuer));
	/* the code word is its approval: never pending in an officer's queue */
	pechat_strlcpy(req->state, "approved", sizeof(req->state));
	req->created_at = req->updated_at = ca_now(ca);
	memset(&none, 0, sizeof(none));
	/* a qualified profile: the profile's sign tool, the identificationKind in force now */
	if ((err = ra_registry_subject_compose(db, actor, profile, subject_id, req, e)) != PECHAT_OK ||
	    (err = ra_qualified_compose(db, profile, &none, req, e)) != PECHAT_OK)
		return err;
	if ((err = ca_subject_check(profile, &req->subject, e)) != PECHAT_OK) {
		if (err == PECHAT_E_INVALID)
			pechat_fail(e, PECHAT_E_INVALID, "subject_invalid",
			    "the registry subject lacks fields the profile needs: every one is named in errors[]");
		return err;
	}
	ra_add_check(req, "subject_profile", 1, "subject fields allowed and well-formed");
	return ra_key_checks(db, req, csr, 1, e);
}

enum pechat_err
ra_rekey(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, const struct ra_rekey_input *in,
    struct ra_rekey_result *out, struct pechat_error *e)
{
	struct ca *ca = rc->ca;
	const struct pechat_profile_conf *profile;
	struct supersede s;
	struct insert_arg ia;
	struct db_idem found;
	struct ca_csr *csr = NULL;
	enum pechat_err err;
	char id[sizeof(out->req.id)];
	int claim;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	/* a retry with the key of a re-key that issued: its reply again, nothing issued or revoked */
	if ((err = ra_idem_begin(db, actor, in->idem, &claim, &found, e)) == PECHAT_OK) {
		err = replay(db, &found, out, e);
		goto out;
	}
	if (err != PECHAT_E_NOT_FOUND)
		goto out;
	if ((err = profile_check(ca, actor, in->profile, &profile, e)) != PECHAT_OK ||
	    (err = csr_check(profile, in, &out->req, &csr, e)) != PECHAT_OK)
		goto out;
	/* the code word: one Argon2 computation and one recorded attempt whatever the outcome */
	if ((err = ra_code_word_check(db, actor, ca_now(ca), in->subject_id, in->code_word, e)) != PECHAT_OK)
		goto out;
	ra_add_check(&out->req, "code_word", 1, "the subject's code word (Argon2id) is right: no officer approval");
	if ((err = ca_standing_refresh(ca, db, rc->pub, e)) != PECHAT_OK ||
	    (err = ca_issuer_check_standing(ca, ca_issuer_current(ca, profile->issuer), e)) != PECHAT_OK ||
	    (err = compose_request(ca, db, actor, profile, in->subject_id, csr, &out->req, e)) != PECHAT_OK)
		goto out;
	ia.req = &out->req;
	ia.actor = actor->name;
	if ((err = db_txn_run(db, insert_txn, &ia, e)) != PECHAT_OK)
		goto out;
	log_info("re-key request %s by %s for subject %s, profile %s", out->req.id, actor->name, in->subject_id,
	    profile->name);
	s.subject_id = out->req.subject_id;
	s.profile = profile->name;
	s.actor = actor->name;
	s.now = ca_now(ca);
	s.client = actor;
	s.idem = in->idem;
	s.request_id = out->req.id;
	snprintf(s.comment, sizeof(s.comment), "superseded by re-key request %s", out->req.id);
	if ((err = rekey_issue(rc, db, actor, &out->req, csr, &s, e)) != PECHAT_OK) {
		/* another process issued for this key first: its reply */
		if ((err = ra_idem_after_conflict(db, actor, in->idem, err, &found, e)) == PECHAT_OK) {
			ra_rekey_result_free(out);
			err = replay(db, &found, out, e);
		}
		goto out;
	}
	if (s.n > 0 && (out->superseded = calloc((size_t)s.n, sizeof(*out->superseded))) == NULL) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	for (out->nsuperseded = 0; out->nsuperseded < s.n; out->nsuperseded++)
		pechat_strlcpy(out->superseded[out->nsuperseded], s.ev[out->nsuperseded].serial, 65);
	pechat_strlcpy(id, out->req.id, sizeof(id));
	db_request_free_fields(&out->req);
	err = db_request_get(db, id, &out->req, e);
out:
	if (err != PECHAT_OK && err != PECHAT_E_NOMEM)
		log_reject("%s: re-key of subject %.40s refused: %s", actor->name, in->subject_id != NULL ?
		    in->subject_id : "", e != NULL ? e->code : "?");
	free(s.ev);
	ca_csr_free(csr);
	ra_idem_end(claim, &found);
	if (err != PECHAT_OK)
		ra_rekey_result_free(out);
	return err;
}
