/*
 * ra/legal.c — a legal entity's certificate request (docs/REGISTRATION.md,
 * "Legal-entity requests"): the representative (a verified individual
 * subject) acts for the organisation as one of its current heads, with a
 * verified appointment document in force (ra/appointments.c), or under a
 * stored power of attorney whose checks (ra/poa_check.c) pass; the
 * certificate subject is composed from the organisation's and the
 * representative's verified versions. The same checks run again in the
 * transaction that stores the request and when an officer approves it.
 */
#include "ra/poa_store.h"
#include "ra/ra_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the checks read from the store; heap-allocated (the POA parts are large). */
struct legal {
	const struct db_subject *org;
	struct db_subject rep;
	int nheads;
	struct db_subject heads[DB_SUBJECT_HEADS];
	const char *head_title;         /* the representative's title when it is a head, else NULL */
	struct db_poa poa_row;
	struct ra_poa poa;
};

const char *
ra_subject_value(const struct db_subject *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->field[i], name) == 0)
			return s->value[i];
	return NULL;
}

/* Records a passed check on the request (arg; NULL at approval: nothing is recorded). */
static void
record(void *arg, const char *name, const char *detail)
{
	if (arg != NULL)
		ra_add_check(arg, name, 1, detail);
}

/* Frees what legal_run loaded. */
static void
legal_free(struct legal *L)
{
	int i;

	if (L == NULL)
		return;
	db_subject_free_fields(&L->rep);
	for (i = 0; i < L->nheads; i++)
		db_subject_free_fields(&L->heads[i]);
	free(L);
}

/*
 * The representative: an individual subject (a portal: one it registered),
 * its current version verified and not blocked. Check representative_verified.
 */
static enum pechat_err
load_representative(struct db *db, const struct ra_actor *actor, const char *id, struct legal *L, void *req,
    struct pechat_error *e)
{
	enum pechat_err err;
	char detail[160];

	err = actor != NULL ? ra_subject_get(db, actor, id, 0, &L->rep, e) : db_subject_get(db, id, 0, &L->rep, e);
	if (err == PECHAT_E_NOT_FOUND)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "representative_unknown",
		    "no registered individual %.36s to act for the organisation", id);
	if (err != PECHAT_OK)
		return err;
	if (strcmp(L->rep.kind, "individual") != 0)
		return pechat_fail(e, PECHAT_E_POLICY, "representative_kind_mismatch",
		    "representative %s is a %s: it must be an individual", L->rep.id, L->rep.kind);
	if (strcmp(L->rep.state, "blocked") == 0)
		return pechat_fail(e, PECHAT_E_POLICY, "representative_blocked",
		    "representative %s is blocked: no certificate is issued until an officer unblocks it", L->rep.id);
	if (strcmp(L->rep.state, "verified") != 0)
		return pechat_fail(e, PECHAT_E_POLICY, "representative_not_verified",
		    "representative %s (version %lld) is %s: an officer must verify it first", L->rep.id,
		    (long long)L->rep.version, L->rep.state);
	snprintf(detail, sizeof(detail), "individual %s, version %lld verified by %s", L->rep.id,
	    (long long)L->rep.version, L->rep.actor);
	record(req, "representative_verified", detail);
	return PECHAT_OK;
}

/* The organisation's current heads (their current versions); the representative's title if it is one. */
static enum pechat_err
load_heads(struct db *db, struct legal *L, struct pechat_error *e)
{
	enum pechat_err err;
	int i;

	for (i = 0; i < L->org->nheads && i < DB_SUBJECT_HEADS; i++) {
		if ((err = db_subject_get(db, L->org->head_id[i], 0, &L->heads[i], e)) != PECHAT_OK)
			return err;
		L->nheads++;
		if (strcmp(L->org->head_id[i], L->rep.id) == 0)
			L->head_title = L->org->head_title[i];
	}
	return PECHAT_OK;
}

/* The POA's kept original parsed again into L->poa (its heads are only there). */
static enum pechat_err
load_poa_document(struct db *db, struct legal *L, struct pechat_error *e)
{
	unsigned char *doc = NULL;
	json_t *json = NULL;
	json_error_t jerr;
	size_t len = 0;
	enum pechat_err err;

	if ((err = db_poa_document(db, L->poa_row.id, &doc, &len, e)) != PECHAT_OK)
		return err;
	if (strcmp(L->poa_row.source, "xml") == 0)
		err = ra_poa_from_xml((const char *)doc, len, &L->poa, e);
	else if ((json = json_loadb((const char *)doc, len, JSON_REJECT_DUPLICATES, &jerr)) != NULL)
		err = ra_poa_from_json(json, &L->poa, e);
	else
		err = PECHAT_E_INTERNAL;
	if (err != PECHAT_OK) {
		log_err("power of attorney %lld: its kept document no longer parses", (long long)L->poa_row.id);
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	json_decref(json);
	free(doc);
	return err;
}

/* A person's registry fields for the POA checks. */
static void
person(const struct db_subject *s, struct ra_poa_person *p)
{
	p->surname = ra_subject_value(s, "surname");
	p->given_name = ra_subject_value(s, "given_name");
	p->patronymic = ra_subject_value(s, "patronymic");
	p->snils = s->snils;
	p->inn = ra_subject_value(s, "inn");
}

/* The POA path: the stored POA (a portal: of its own subject) passes ra_poa_check. */
static enum pechat_err
check_poa(struct db *db, const struct ra_actor *actor, int64_t poa_id, time_t now,
    const struct pechat_profile_conf *profile, struct legal *L, void *req, struct pechat_error *e)
{
	struct ra_poa_check_input in;
	enum pechat_err err;
	int i;

	err = actor != NULL ? ra_poa_get(db, actor, poa_id, &L->poa_row, e) : db_poa_get(db, poa_id, &L->poa_row, e);
	if (err != PECHAT_OK || (err = load_poa_document(db, L, e)) != PECHAT_OK)
		return err;
	memset(&in, 0, sizeof(in));
	in.poa = &L->poa;
	in.revoked = L->poa_row.revoked;
	in.now = now;
	in.principal_is_org = strcmp(L->poa_row.principal_id, L->org->id) == 0;
	in.org_innle = L->org->innle;
	in.org_kpp = ra_subject_value(L->org, "kpp");
	person(&L->rep, &in.representative);
	for (i = 0; i < L->nheads && i < RA_POA_CHECK_HEADS; i++)
		person(&L->heads[i], &in.heads[in.nheads++]);
	in.requires_power = profile->requires_power;
	return ra_poa_check(&in, record, req, e);
}

/*
 * A head acting without a POA: its verified appointment document in force
 * (ra_head_appointment). Check head_appointment_verified.
 */
static enum pechat_err
check_appointment(struct db *db, const char *org_id, const char *head_id, time_t now, void *req,
    struct pechat_error *e)
{
	struct db_appointment a;
	enum pechat_err err;
	char detail[256];       /* cut to the check's 160 bytes by ra_add_check */

	if ((err = ra_head_appointment(db, org_id, head_id, now, &a, e)) != PECHAT_OK)
		return err;
	/* the officer's name (ASCII) last: a long detail is cut there, never inside the UTF-8 number */
	snprintf(detail, sizeof(detail), "%s No %s of %s, until %s, verified (%s) by %s", a.kind, a.number, a.date,
	    a.valid_until[0] != '\0' ? a.valid_until : "open", a.source, a.verified_by);
	record(req, "head_appointment_verified", detail);
	return PECHAT_OK;
}

/*
 * Every check of a legal entity's request for organisation org (verified by
 * the caller): the representative, then either a head acting without a POA
 * (no POA given) or the POA's checks. actor NULL: an officer's re-check, the
 * portal view does not apply. Passed checks go on req (NULL: not recorded).
 * *out (zeroed, heap) holds what was read; the caller frees it with legal_free.
 */
static enum pechat_err
legal_run(struct db *db, const struct ra_actor *actor, const struct pechat_profile_conf *profile,
    const struct db_subject *org, const char *rep_id, int64_t poa_id, time_t now, struct db_request *req,
    struct legal **out, struct pechat_error *e)
{
	struct legal *L;
	enum pechat_err err;
	char detail[160];

	if ((*out = L = calloc(1, sizeof(*L))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	L->org = org;
	if ((err = load_representative(db, actor, rep_id, L, req, e)) != PECHAT_OK ||
	    (err = load_heads(db, L, e)) != PECHAT_OK)
		return err;
	if (poa_id > 0)
		return check_poa(db, actor, poa_id, now, profile, L, req, e);
	if (L->head_title == NULL)
		return pechat_fail(e, PECHAT_E_POLICY, "poa_required",
		    "representative %s is not a head of organisation %s: send power_of_attorney_id", L->rep.id, org->id);
	snprintf(detail, sizeof(detail), "a current head of the organisation (%s), acting without a power of attorney",
	    L->head_title);
	record(req, "representative_is_head", detail);
	return check_appointment(db, org->id, L->rep.id, now, req, e);
}

/* Sets field f of out to v when v is present and the profile allows f. 0, or -1 (memory). */
static int
put(const struct pechat_profile_conf *profile, struct pechat_subject *out, enum pechat_subject_field f,
    const char *v)
{
	if (v == NULL || v[0] == '\0' || !(profile->subject_allowed & (1u << f)))
		return 0;
	return pechat_subject_set(out, f, v);
}

/*
 * The certificate subject (docs/REGISTRATION.md): the person's CN, SN, GN,
 * patronymic, SNILS, INN; the organisation's O (short name, else full
 * name), INNLE, OGRN, KPP, C, ST, L, street; e-mail the person's, else the
 * organisation's; title the head's. Only fields the profile allows. 0 or -1.
 */
static int
compose(const struct pechat_profile_conf *profile, const struct legal *L, struct pechat_subject *out)
{
	static const struct { int from_org; const char *field; enum pechat_subject_field to; } map[] = {
		{ 0, "surname", PSF_SURNAME }, { 0, "given_name", PSF_GIVEN_NAME },
		{ 0, "patronymic", PSF_PATRONYMIC }, { 0, "snils", PSF_SNILS }, { 0, "inn", PSF_INN },
		{ 1, "innle", PSF_INNLE }, { 1, "ogrn", PSF_OGRN }, { 1, "kpp", PSF_KPP },
		{ 1, "country", PSF_COUNTRY }, { 1, "region", PSF_REGION }, { 1, "locality", PSF_LOCALITY },
		{ 1, "street", PSF_STREET },
	};
	const char *sur = ra_subject_value(&L->rep, "surname"), *given = ra_subject_value(&L->rep, "given_name");
	const char *patr = ra_subject_value(&L->rep, "patronymic"), *org = ra_subject_value(L->org, "short_name");
	const char *email = ra_subject_value(&L->rep, "email");
	char cn[3 * RA_SUBJECT_TEXT_MAX + 3];
	size_t i;

	snprintf(cn, sizeof(cn), "%s%s%s%s%s", sur != NULL ? sur : "", given != NULL ? " " : "",
	    given != NULL ? given : "", patr != NULL ? " " : "", patr != NULL ? patr : "");
	if (org == NULL)
		org = ra_subject_value(L->org, "full_name");
	/* a qualified certificate of a legal entity names the organisation in CN too (docs/PROFILES.md) */
	if (put(profile, out, PSF_COMMON_NAME, profile->qualified && org != NULL ? org : cn) != 0 ||
	    put(profile, out, PSF_ORGANIZATION, org) != 0 ||
	    put(profile, out, PSF_EMAIL, email != NULL ? email : ra_subject_value(L->org, "email")) != 0 ||
	    put(profile, out, PSF_TITLE, L->head_title) != 0)
		return -1;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (put(profile, out, map[i].to, ra_subject_value(map[i].from_org ? L->org : &L->rep, map[i].field)) != 0)
			return -1;
	return 0;
}

enum pechat_err
ra_legal_compose(struct db *db, const struct ra_actor *actor, const struct pechat_profile_conf *profile,
    const struct ra_submission *sub, time_t now, struct db_request *req, struct pechat_error *e)
{
	struct db_subject org;
	struct legal *L = NULL;
	enum pechat_err err;

	if ((err = db_subject_get(db, req->subject_id, req->subject_version, &org, e)) != PECHAT_OK)
		return err;
	if ((err = legal_run(db, actor, profile, &org, sub->representative_id, sub->poa_id, now, req, &L, e)) != PECHAT_OK)
		goto out;
	if (compose(profile, L, &req->subject) != 0) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	pechat_strlcpy(req->representative_id, L->rep.id, sizeof(req->representative_id));
	req->representative_version = L->rep.version;
	req->poa_id = sub->poa_id;
out:
	if (err != PECHAT_OK && err != PECHAT_E_NOMEM)
		log_reject("%s: request for organisation %s by representative %.36s refused: %s", actor->name, org.id,
		    sub->representative_id, e != NULL ? e->code : "?");
	legal_free(L);
	db_subject_free_fields(&org);
	return err;
}

enum pechat_err
ra_legal_standing(struct db *db, const struct pechat_profile_conf *profile, const struct db_request *req,
    time_t now, struct pechat_error *e)
{
	struct db_subject org;
	struct legal *L = NULL;
	enum pechat_err err;

	if (req->representative_id[0] == '\0')
		return PECHAT_OK;
	if ((err = db_subject_get(db, req->subject_id, 0, &org, e)) != PECHAT_OK)
		return err;
	err = legal_run(db, NULL, profile, &org, req->representative_id, req->poa_id, now, NULL, &L, e);
	legal_free(L);
	db_subject_free_fields(&org);
	return err;
}
