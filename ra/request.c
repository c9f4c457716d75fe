/*
 * ra/request.c — the request workflow: submit (parse, check, store), then
 * approval by profile rule (auto_approve) and issuance through ca/.
 * Officer approval is in ra/approve.c; both issue through ra_request_issue.
 */
#include "ra/ra.h"
#include "ra/ra_int.h"

#include <errno.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Idempotency claims: the (client, Idempotency-Key) pairs a thread of this
 * process is submitting or issuing right now. A submission holds its pair's
 * claim from before the replay lookup until its answer is ready, so that of
 * concurrent identical requests exactly one (the owner: the one that
 * inserts the row, or that finds it pending after an earlier 503) signs;
 * the others wait for it and answer the stored request (API.md).
 */
#define CLAIM_SLOTS 256   /* a worker thread holds at most one; config "threads" <= 256 */
#define CLAIM_WAIT_S 10

static struct {
	int used;
	char client[64];
	char key[129];
} claims[CLAIM_SLOTS];
static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t claim_cond = PTHREAD_COND_INITIALIZER;

/* Slot of (client, key) among the held claims, or -1. Caller holds claim_lock. */
static int
claim_find(const char *client, const char *key)
{
	int i;

	for (i = 0; i < CLAIM_SLOTS; i++)
		if (claims[i].used && strcmp(claims[i].client, client) == 0 && strcmp(claims[i].key, key) == 0)
			return i;
	return -1;
}

/* A free slot, or -1. Caller holds claim_lock. */
static int
claim_free_slot(void)
{
	int i;

	for (i = 0; i < CLAIM_SLOTS; i++)
		if (!claims[i].used)
			return i;
	return -1;
}

/*
 * Takes the claim of (client, key), waiting up to CLAIM_WAIT_S seconds while
 * another thread holds it (or while every slot is taken). The slot index, or
 * -1 when the wait ran out (the other thread is still at work).
 */
int
ra_claim_take(const char *client, const char *key)
{
	struct timespec deadline;
	int slot = -1, rc = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += CLAIM_WAIT_S;
	pthread_mutex_lock(&claim_lock);
	while (rc != ETIMEDOUT) {
		if (claim_find(client, key) < 0 && (slot = claim_free_slot()) >= 0) {
			claims[slot].used = 1;
			pechat_strlcpy(claims[slot].client, client, sizeof(claims[slot].client));
			pechat_strlcpy(claims[slot].key, key, sizeof(claims[slot].key));
			break;
		}
		rc = pthread_cond_timedwait(&claim_cond, &claim_lock, &deadline);
	}
	pthread_mutex_unlock(&claim_lock);
	return slot;
}

/* Gives a claim back (slot < 0: nothing held) and wakes the waiters. */
void
ra_claim_release(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&claim_lock);
	claims[slot].used = 0;
	pthread_cond_broadcast(&claim_cond);
	pthread_mutex_unlock(&claim_lock);
}

/* Appends a check result to the request (bounded by DB_MAX_CHECKS). */
void
ra_add_check(struct db_request *req, const char *name, int passed, const char *detail)
{
	struct db_check *c;

	if (req->nchecks >= DB_MAX_CHECKS)
		return;
	c = &req->checks[req->nchecks++];
	pechat_strlcpy(c->name, name, sizeof(c->name));
	c->passed = passed;
	pechat_strlcpy(c->detail, detail != NULL ? detail : "", sizeof(c->detail));
}

/* Identifier fields and the validator that checks each one. */
static const struct {
	enum pechat_subject_field field;
	int (*check)(const char *);
	const char *rule;
} identifier_checks[] = {
	{ PSF_SNILS, pechat_snils_check, "SNILS check digits" },
	{ PSF_INN, pechat_inn12_check, "person INN check digits (12 digits)" },
	{ PSF_INNLE, pechat_inn10_check, "organisation INN check digit (10 digits)" },
	{ PSF_OGRN, pechat_ogrn_check, "OGRN check digit (13 digits)" },
	{ PSF_OGRNIP, pechat_ogrnip_check, "OGRNIP check digit (15 digits)" },
	{ PSF_KPP, pechat_kpp_check, "KPP format" },
};

/* 1 if e already names `field` (its format check refused it). NULL-safe. */
static int
has_field_error(const struct pechat_error *e, const char *field)
{
	int i;

	for (i = 0; e != NULL && i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) == 0)
			return 1;
	return 0;
}

/*
 * Runs the identifier checks of docs/SUBJECTS.md on every identifier present whose
 * format passed, recording each as a check and every failure as a field
 * error added to those already in e (one answer names every bad field).
 */
static enum pechat_err
check_identifiers(const struct pechat_subject *s, struct db_request *req, struct pechat_error *e)
{
	char field[64];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(identifier_checks) / sizeof(identifier_checks[0]); i++) {
		const char *v = s->v[identifier_checks[i].field];
		const char *name = pechat_subject_field_name(identifier_checks[i].field);
		snprintf(field, sizeof(field), "subject.%s", name);
		if (v == NULL || has_field_error(e, field))
			continue;
		if (identifier_checks[i].check(v)) {
			ra_add_check(req, name, 1, identifier_checks[i].rule);
			continue;
		}
		pechat_error_add_field(e, field, "check_digit", "fails the %s", identifier_checks[i].rule);
		bad = 1;
	}
	return bad ? PECHAT_E_INVALID : PECHAT_OK;
}

/*
 * Subject checks in one round: the profile and format checks of
 * ca_subject_check, then the check digits of every identifier whose format
 * passed; "subject_invalid" names every bad field together.
 */
static enum pechat_err
check_subject(const struct pechat_profile_conf *profile, struct db_request *req, struct pechat_error *e)
{
	enum pechat_err format, digits;

	format = ca_subject_check(profile, &req->subject, e);
	if (format != PECHAT_OK && format != PECHAT_E_INVALID)
		return format;
	if (format == PECHAT_OK)
		ra_add_check(req, "subject_profile", 1, "subject fields allowed and well-formed");
	digits = check_identifiers(&req->subject, req, e);
	if (format == PECHAT_OK && digits == PECHAT_OK)
		return PECHAT_OK;
	return pechat_fail(e, PECHAT_E_INVALID, "subject_invalid",
	    "the subject has invalid fields: every one is named in errors[]");
}

/* See ra_int.h. */
enum pechat_err
ra_profile_unknown(struct ca *ca, const struct ra_actor *actor, const char *name, struct pechat_error *e)
{
	char names[160];

	ca_profile_names(ca, names, sizeof(names));
	log_reject("%s: unknown profile \"%.64s\" (configured: %s)", actor->name, name, names);
	pechat_fail(e, PECHAT_E_INVALID, "profile_unknown",
	    "no profile named \"%.64s\": use one of %s (GET /api/v1/profiles describes them)", name, names);
	pechat_error_add_field(e, "profile", "enum", "one of: %s", names);
	return PECHAT_E_INVALID;
}

/*
 * A legal entity's fields: representative_id is required by a legal_entity
 * profile and, like power_of_attorney_id, refused by every other one. 1 if
 * one is wrong (each named in e; e may be NULL).
 */
static int
legal_fields_check(const struct pechat_profile_conf *profile, const struct ra_submission *sub,
    struct pechat_error *e)
{
	int legal = strcmp(profile->subject_kind, "legal_entity") == 0, bad = 0;

	if (legal && sub->representative_id == NULL) {
		pechat_error_add_field(e, "representative_id", "required",
		    "is required by profile %s: the individual acting for the organisation", profile->name);
		bad = 1;
	}
	if (!legal && sub->representative_id != NULL) {
		pechat_error_add_field(e, "representative_id", "not_allowed",
		    "profile %s does not issue to a legal entity's representative", profile->name);
		bad = 1;
	}
	if (!legal && sub->poa_id != 0) {
		pechat_error_add_field(e, "power_of_attorney_id", "not_allowed",
		    "profile %s does not issue on the strength of a power of attorney", profile->name);
		bad = 1;
	}
	return bad;
}

/*
 * The subject's source must be the profile's: `subject` for an inline
 * profile, `subject_id` for a registry one, and the legal entity's fields
 * only for its profiles ("validation_failed" naming each field that is
 * missing or not allowed).
 */
static enum pechat_err
source_check(const struct pechat_profile_conf *profile, const struct ra_actor *actor,
    const struct ra_submission *sub, struct pechat_error *e)
{
	const char *wanted = profile->subject_registry ? "subject_id" : "subject";
	const char *other = profile->subject_registry ? "subject" : "subject_id";
	int has_wanted = profile->subject_registry ? sub->subject_id != NULL : sub->subject != NULL;
	int has_other = profile->subject_registry ? sub->subject != NULL : sub->subject_id != NULL;

	if (has_wanted && !has_other && !legal_fields_check(profile, sub, NULL))
		return PECHAT_OK;
	log_reject("%s: request for profile %s with the wrong subject source or fields", actor->name, profile->name);
	pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	if (has_other)
		pechat_error_add_field(e, other, "not_allowed", "profile %s takes its subject from %s: send %s",
		    profile->name, profile->subject_registry ? "the registry" : "the request", wanted);
	if (!has_wanted)
		pechat_error_add_field(e, wanted, "required", "is required by profile %s", profile->name);
	legal_fields_check(profile, sub, e);
	return PECHAT_E_INVALID;
}

/*
 * Normalises identifiers written the human way before they are checked and
 * stored: SNILS "112-233-445 95" becomes "11223344595" (docs/SUBJECTS.md). A value
 * that does not normalise is left as sent, for the checks to refuse.
 */
static void
normalize_subject(struct pechat_subject *s)
{
	char snils[16];

	if (s->v[PSF_SNILS] != NULL && pechat_snils_normalize(s->v[PSF_SNILS], snils, sizeof(snils)) == 0)
		pechat_subject_set(s, PSF_SNILS, snils);
}

/* See ra_int.h. */
enum pechat_err
ra_csr_checks(const struct pechat_profile_conf *profile, const unsigned char *bytes, size_t len,
    struct db_request *req, struct ca_csr **csr_out, struct pechat_error *e)
{
	struct ca_csr *csr = NULL;
	enum pechat_err err;

	*csr_out = NULL;
	if ((err = ca_csr_read(bytes, len, &csr, e)) != PECHAT_OK)
		goto out;
	ra_add_check(req, "proof_of_possession", 1, "CSR self-signature verifies");
	if ((err = ca_key_policy_check(profile, csr->key, e)) != PECHAT_OK)
		goto out;
	ra_add_check(req, "key_policy", 1, "key algorithm and size allowed by the profile");
	/* the request row owns a malloc'd copy (db_request_free_fields), not OpenSSL's buffer */
	if ((req->csr_der = malloc(csr->der_len)) == NULL) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	memcpy(req->csr_der, csr->der, csr->der_len);
	req->csr_len = csr->der_len;
	*csr_out = csr;
	csr = NULL;
out:
	ca_csr_free(csr);
	return err;
}

/* See ra_int.h. */
enum pechat_err
ra_stored_csr(const struct db_request *req, struct ca_csr **out, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = ca_csr_read(req->csr_der, req->csr_len, out, e)) != PECHAT_OK && err != PECHAT_E_NOMEM) {
		log_err("request %s: stored CSR does not read: %s", req->id, e != NULL ? e->code : "?");
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	return err;
}

/* The CSR checks, then the subject checks on req->subject (the normalised copy that is stored). */
static enum pechat_err
run_checks(const struct pechat_profile_conf *profile, const struct ra_submission *sub, struct db_request *req,
    struct ca_csr **csr_out, struct pechat_error *e)
{
	enum pechat_err err;

	if ((err = ra_csr_checks(profile, sub->csr, sub->csr_len, req, csr_out, e)) != PECHAT_OK ||
	    (err = check_subject(profile, req, e)) != PECHAT_OK) {
		ca_csr_free(*csr_out);
		*csr_out = NULL;
	}
	return err;
}

struct insert_arg {
	const struct db_request *req;
	const char *actor;
	const struct pechat_profile_conf *profile;
	int refused;            /* out: insert_txn itself failed (then nothing of the request is stored) */
};

/*
 * Transaction body: (a registry subject still verified, a legal entity's
 * representative and POA still pass) the request, its subject and checks,
 * an audit entry.
 */
static enum pechat_err
insert_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct insert_arg *a = arg;
	enum pechat_err err;

	a->refused = 1;
	/* a registry subject blocked or changed, a POA revoked since it was read: nothing is stored */
	if ((err = ra_registry_subject_standing(db, a->req, e)) != PECHAT_OK ||
	    (err = ra_legal_standing(db, a->profile, a->req, a->req->created_at, e)) != PECHAT_OK ||
	    (err = db_request_insert(db, a->req, e)) != PECHAT_OK ||
	    (err = db_audit_append(db, a->req->created_at, a->actor, "request.submit", a->req->id,
	    a->req->profile, e)) != PECHAT_OK)
		return err;
	a->refused = 0;
	return PECHAT_OK;
}

/* ca_issue_txn_fn: insert_txn inside the certificate's transaction (the row is not needed). */
static enum pechat_err
insert_in_cert_txn(struct db *db, void *arg, const struct db_cert *row, struct pechat_error *e)
{
	(void)row;
	return insert_txn(db, arg, e);
}

/*
 * Looks for an earlier request with the same Idempotency-Key from the same
 * client: PECHAT_OK and *out filled when found with the same body;
 * "idempotency_key_reused" (422) when the body differs; NOT_FOUND otherwise.
 */
static enum pechat_err
find_replay(struct db *db, const struct ra_actor *actor, const struct ra_submission *sub,
    struct db_request *out, struct pechat_error *e)
{
	enum pechat_err err;

	if (sub->idem_key == NULL || sub->idem_key[0] == '\0')
		return PECHAT_E_NOT_FOUND;
	err = db_request_by_idem_key(db, actor->name, sub->idem_key, out, e);
	if (err != PECHAT_OK)
		return err;
	if (strcmp(out->body_hash, sub->body_hash) != 0) {
		db_request_free_fields(out);
		log_reject("idempotency key %s of %s reused with a different body", sub->idem_key, actor->name);
		return pechat_fail(e, PECHAT_E_INVALID, "idempotency_key_reused",
		    "this Idempotency-Key was used for a different request");
	}
	return PECHAT_OK;
}

/* Re-reads request `id` into *req (replacing its contents). */
static enum pechat_err
reload(struct db *db, struct db_request *req, struct pechat_error *e)
{
	char id[sizeof(req->id)];

	pechat_strlcpy(id, req->id, sizeof(id));
	db_request_free_fields(req);
	return db_request_get(db, id, req, e);
}

/*
 * *req as the issuance's transaction left it in the store (db_request_set_state
 * to "issued" with the certificate's serial at changed->at, error cleared),
 * with the certificate's DER taken over from changed (may be NULL): the reply
 * needs no second read of the request nor of its certificate.
 */
static void
mark_issued(struct db_request *req, struct ca_change *changed)
{
	pechat_strlcpy(req->state, "issued", sizeof(req->state));
	pechat_strlcpy(req->cert_serial, changed->serial, sizeof(req->cert_serial));
	req->error_code[0] = req->error_detail[0] = '\0';
	req->updated_at = changed->at;
	free(req->cert_der);
	req->cert_der = changed->der;
	req->cert_der_len = changed->der_len;
	req->cert_not_before = changed->not_before;
	req->cert_not_after = changed->not_after;
	changed->der = NULL;
	changed->der_len = 0;
}

struct fail_arg {
	const char *id;
	const char *actor;
	const char *code;
	const char *detail;
	time_t now;
};

/* One transaction: the request marked failed, with its audit entry. */
static enum pechat_err
fail_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct fail_arg *a = arg;
	enum pechat_err err;

	if ((err = db_request_set_state(db, a->id, "failed", NULL, a->code, a->detail, a->now, e)) != PECHAT_OK)
		return err;
	return db_audit_append(db, a->now, a->actor, "request.fail", a->id, a->code, e);
}

/* See ra_int.h. */
void
ra_request_mark_failed(struct ca *ca, struct db *db, const char *id, const char *actor, const struct pechat_error *why)
{
	struct fail_arg fa = { id, actor, why != NULL ? why->code : "internal", why != NULL ? why->detail : "",
		ca_now(ca) };
	struct pechat_error ignored;

	pechat_error_clear(&ignored);
	if (db_txn_run(db, fail_txn, &fa, &ignored) != PECHAT_OK)
		log_err("request %s: could not record the failure: %s", id, ignored.detail);
}

/*
 * ra_request_issue's work. With `insert` (a request not yet stored), the
 * request is inserted in the certificate's own transaction: one commit per
 * issuance. Should the issuance fail otherwise, the request is stored then
 * (and marked failed unless the failure is transient), as if it had been
 * stored first; should insert_txn itself refuse (standing, idempotency key
 * taken: insert->refused set) or the store be busy, nothing is stored and
 * that error returned.
 */
static enum pechat_err
issue_request(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, struct db_request *req,
    const struct ca_csr *csr, struct insert_arg *insert, struct pechat_error *e)
{
	struct ca_issue_params params;
	struct ca_change changed;
	struct ca_csr *parsed = NULL;
	struct pechat_error ie;
	enum pechat_err err, ierr;

	if (csr == NULL) {
		if ((err = ra_stored_csr(req, &parsed, e)) != PECHAT_OK)
			return err;
		csr = parsed;
	}
	memset(&params, 0, sizeof(params));
	params.profile = req->profile;
	params.subject = &req->subject;
	params.csr = csr;
	params.request_id = req->id;
	params.actor = actor->name;
	params.sign_tool = req->sign_tool;
	params.has_identification_kind = req->has_identification_kind;
	params.identification_kind = req->identification_kind;
	if (insert != NULL) {
		insert->refused = 0;
		params.in_txn = insert_in_cert_txn;
		params.in_txn_arg = insert;
	}
	err = ca_issue(rc->ca, db, &params, NULL, &changed, e);        /* the reply takes changed's DER */
	ca_csr_free(parsed);
	if (err == PECHAT_OK)   /* step 8: its OCSP answers signed before the request's reply */
		ra_publish(rc, db, changed.issuer, changed.serial, changed.crl_changed);
	if (err != PECHAT_OK && insert != NULL) {
		/* the request itself refused, or the store busy: nothing stored, as if refused first */
		if (insert->refused || err == PECHAT_E_BUSY)
			return err;
		if ((ierr = db_txn_run(db, insert_txn, insert, &ie)) != PECHAT_OK) {
			if (e != NULL)
				*e = ie;
			return ierr;
		}
	}
	if (err != PECHAT_OK && err != PECHAT_E_BUSY && err != PECHAT_E_UNAVAILABLE) {
		ra_request_mark_failed(rc->ca, db, req->id, actor->name, e);
		/* the request exists and says why it failed: the caller shows it */
		return reload(db, req, e) == PECHAT_OK ? PECHAT_OK : err;
	}
	if (err != PECHAT_OK)
		return err;
	if (changed.serial[0] == '\0')         /* not reported (see ca_issue): read what was stored */
		return reload(db, req, e);
	mark_issued(req, &changed);
	ca_change_clear(&changed);
	return PECHAT_OK;
}

/*
 * Issues the certificate of a pending auto-approved (or an officer-approved)
 * request. A transient failure (busy store, key unavailable) leaves the
 * request as it was (pending or approved) so that a retry completes it; any
 * other failure marks it failed with its code.
 */
enum pechat_err
ra_request_issue(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor, struct db_request *req,
    const struct ca_csr *csr, struct pechat_error *e)
{
	return issue_request(rc, db, actor, req, csr, NULL, e);
}

enum pechat_err
ra_request_submit(const struct ra_ca *rc, struct db *db, const struct ra_actor *actor,
    const struct ra_submission *sub, struct db_request *out, int *replayed, struct pechat_error *e)
{
	struct ca *ca = rc->ca;
	const struct pechat_profile_conf *profile;
	struct insert_arg arg;
	struct ca_csr *csr = NULL;
	enum pechat_err err;
	int f, claim = -1, owner = 1;

	memset(out, 0, sizeof(*out));
	*replayed = 0;
	if ((profile = ca_profile_find(ca, sub->profile)) == NULL)
		return ra_profile_unknown(ca, actor, sub->profile, e);
	if ((err = source_check(profile, actor, sub, e)) != PECHAT_OK)
		return err;
	/* identical requests run one at a time: the claim holder is the only one that signs */
	if (sub->idem_key != NULL && sub->idem_key[0] != '\0' &&
	    (claim = ra_claim_take(actor->name, sub->idem_key)) < 0)
		owner = 0;      /* the owner is still at work: answer what is stored, never sign */
	if ((err = find_replay(db, actor, sub, out, e)) == PECHAT_OK) {
		*replayed = 1;
		goto issue;
	}
	if (err != PECHAT_E_NOT_FOUND)
		goto out;
	pechat_error_clear(e);
	if (!owner) {
		log_warn("request with idempotency key %s of %s still in progress after %d s",
		    sub->idem_key, actor->name, CLAIM_WAIT_S);
		err = pechat_fail(e, PECHAT_E_BUSY, "request_in_progress",
		    "a request with this Idempotency-Key is still being processed: send it again");
		goto out;
	}
	/* nothing is stored for an issuer that may not sign (revoked or on hold: ca/standing.c) */
	if ((err = ca_standing_refresh(ca, db, rc->pub, e)) != PECHAT_OK ||
	    (err = ca_issuer_check_standing(ca, ca_issuer_current(ca, profile->issuer), e)) != PECHAT_OK)
		goto out;

	if (pechat_uuid7(out->id) != 0) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
		goto out;
	}
	pechat_strlcpy(out->client, actor->name, sizeof(out->client));
	pechat_strlcpy(out->profile, profile->name, sizeof(out->profile));
	pechat_strlcpy(out->issuer, profile->issuer, sizeof(out->issuer));
	pechat_strlcpy(out->state, "pending", sizeof(out->state));
	pechat_strlcpy(out->idem_key, sub->idem_key != NULL ? sub->idem_key : "", sizeof(out->idem_key));
	pechat_strlcpy(out->body_hash, sub->body_hash, sizeof(out->body_hash));
	out->created_at = out->updated_at = ca_now(ca);
	if (profile->subject_registry &&
	    (err = ra_registry_subject_compose(db, actor, profile, sub->subject_id, out, e)) != PECHAT_OK)
		goto out;
	if (sub->representative_id != NULL &&
	    (err = ra_legal_compose(db, actor, profile, sub, out->created_at, out, e)) != PECHAT_OK)
		goto out;
	if ((err = ra_qualified_compose(db, profile, sub, out, e)) != PECHAT_OK)
		goto out;
	for (f = 0; !profile->subject_registry && f < PSF_COUNT; f++)
		if (pechat_subject_set(&out->subject, (enum pechat_subject_field)f, sub->subject->v[f]) != 0) {
			err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
			goto out;
		}
	normalize_subject(&out->subject);
	if ((err = run_checks(profile, sub, out, &csr, e)) != PECHAT_OK ||
	    (err = ra_key_checks(db, out, csr, 1, e)) != PECHAT_OK) {
		log_reject("%s: request refused: %s (%s)", actor->name, e != NULL ? e->code : "?",
		    e != NULL ? e->detail : "");
		goto out;
	}
	arg.req = out;
	arg.actor = actor->name;
	arg.profile = profile;
	arg.refused = 0;
	/* auto-approved: one transaction stores the request with its certificate (or it ends failed) */
	if (profile->auto_approve)
		err = issue_request(rc, db, actor, out, csr, &arg, e);
	else
		err = db_txn_run(db, insert_txn, &arg, e);
	if (err == PECHAT_E_CONFLICT && arg.refused && out->idem_key[0] != '\0') {
		/* another process inserted this key first: its request, issued by that owner only */
		db_request_free_fields(out);
		pechat_error_clear(e);
		if ((err = find_replay(db, actor, sub, out, e)) != PECHAT_OK)
			goto out;
		*replayed = 1;
		owner = 0;
	} else if (err != PECHAT_OK)
		goto out;
	else
		log_info("request %s submitted by %s for profile %s", out->id, actor->name, out->profile);
issue:
	if (owner && profile->auto_approve &&
	    (strcmp(out->state, "pending") == 0 || strcmp(out->state, "approved") == 0))
		err = ra_request_issue(rc, db, actor, out, csr, e);
	else
		err = PECHAT_OK;
out:
	ra_claim_release(claim);
	ca_csr_free(csr);
	if (err != PECHAT_OK)
		db_request_free_fields(out);
	return err;
}
