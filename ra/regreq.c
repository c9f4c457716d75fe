/*
 * ra/regreq.c — requests made against the subject registry
 * (docs/REGISTRATION.md, "Requests against the registry"): the subject
 * must be registered (a portal: by itself), of the profile's kind,
 * verified and not blocked; the certificate subject is composed from its
 * current verified version, never from the CSR.
 */
#include "ra/ra.h"
#include "ra/ra_int.h"

#include <stdio.h>
#include <string.h>

/* Registry field -> certificate subject field, copied as they are (common_name is composed). */
static const struct {
	const char *field;
	enum pechat_subject_field to;
	int sole_proprietor_only;
} field_map[] = {
	{ "surname", PSF_SURNAME, 0 },
	{ "given_name", PSF_GIVEN_NAME, 0 },
	{ "patronymic", PSF_PATRONYMIC, 0 },
	{ "snils", PSF_SNILS, 0 },
	{ "inn", PSF_INN, 0 },
	{ "ogrnip", PSF_OGRNIP, 1 },
	{ "email", PSF_EMAIL, 0 },
	{ "country", PSF_COUNTRY, 0 },
	{ "region", PSF_REGION, 0 },
	{ "locality", PSF_LOCALITY, 0 },
};

/* The value of field `name` in version s, or NULL. */
static const char *
field_value(const struct db_subject *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->field[i], name) == 0)
			return s->value[i];
	return NULL;
}

/* Sets field f of out to v when v is present and the profile allows f. 0, or -1 (memory). */
static int
put(const struct pechat_profile_conf *profile, struct pechat_subject *out, enum pechat_subject_field f,
    const char *v)
{
	if (v == NULL || !(profile->subject_allowed & (1u << f)))
		return 0;
	return pechat_subject_set(out, f, v);
}

/*
 * Fills out (empty) from version s: common_name "surname given_name
 * patronymic" and the mapped fields, each only when the profile allows it
 * (a required one left out is refused by the subject checks). 0 or -1.
 */
static int
compose(const struct pechat_profile_conf *profile, const struct db_subject *s, struct pechat_subject *out)
{
	const char *sur = field_value(s, "surname"), *given = field_value(s, "given_name");
	const char *patr = field_value(s, "patronymic");
	char cn[3 * RA_SUBJECT_TEXT_MAX + 3];
	size_t i;

	/* an organisation's certificate names its representative too: ra_legal_compose composes it */
	if (strcmp(s->kind, "legal_entity") == 0)
		return 0;
	snprintf(cn, sizeof(cn), "%s%s%s%s%s", sur != NULL ? sur : "", given != NULL ? " " : "",
	    given != NULL ? given : "", patr != NULL ? " " : "", patr != NULL ? patr : "");
	if (cn[0] != '\0' && put(profile, out, PSF_COMMON_NAME, cn) != 0)
		return -1;
	for (i = 0; i < sizeof(field_map) / sizeof(field_map[0]); i++) {
		if (field_map[i].sole_proprietor_only && strcmp(s->kind, "sole_proprietor") != 0)
			continue;
		if (put(profile, out, field_map[i].to, field_value(s, field_map[i].field)) != 0)
			return -1;
	}
	return 0;
}

/* "subject_not_verified" / "subject_blocked" unless version s is verified. */
static enum pechat_err
state_ok(const struct db_subject *s, struct pechat_error *e)
{
	if (strcmp(s->state, "blocked") == 0)
		return pechat_fail(e, PECHAT_E_POLICY, "subject_blocked",
		    "subject %s is blocked: no certificate is issued until an officer unblocks it", s->id);
	if (strcmp(s->state, "verified") != 0)
		return pechat_fail(e, PECHAT_E_POLICY, "subject_not_verified",
		    "subject %s (version %lld) is %s: an officer must verify it first", s->id,
		    (long long)s->version, s->state);
	return PECHAT_OK;
}

enum pechat_err
ra_registry_subject_compose(struct db *db, const struct ra_actor *actor,
    const struct pechat_profile_conf *profile, const char *subject_id, struct db_request *req,
    struct pechat_error *e)
{
	struct db_subject s;
	enum pechat_err err;
	char detail[160];

	if ((err = ra_subject_get(db, actor, subject_id, 0, &s, e)) != PECHAT_OK) {
		log_reject("%s: request for registry subject %.40s refused: %s", actor->name, subject_id,
		    e != NULL ? e->code : "?");
		return err;
	}
	if (strcmp(s.kind, profile->subject_kind) != 0) {
		err = pechat_fail(e, PECHAT_E_POLICY, "subject_kind_mismatch",
		    "subject %s is a %s: profile %s issues to a %s only", s.id, s.kind, profile->name,
		    profile->subject_kind);
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s %s, version %lld", s.kind, s.id, (long long)s.version);
	ra_add_check(req, "subject_registered", 1, detail);
	if ((err = state_ok(&s, e)) != PECHAT_OK)
		goto out;
	snprintf(detail, sizeof(detail), "verified, not blocked (version %lld by %s)", (long long)s.version,
	    s.actor);
	ra_add_check(req, "subject_verified", 1, detail);
	if (compose(profile, &s, &req->subject) != 0) {
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	pechat_strlcpy(req->subject_id, s.id, sizeof(req->subject_id));
	req->subject_version = s.version;
out:
	if (err != PECHAT_OK && err != PECHAT_E_NOMEM)
		log_reject("%s: request for registry subject %s refused: %s", actor->name, s.id,
		    e != NULL ? e->code : "?");
	db_subject_free_fields(&s);
	return err;
}

enum pechat_err
ra_registry_subject_standing(struct db *db, const struct db_request *req, struct pechat_error *e)
{
	struct db_subject s;
	enum pechat_err err;

	if (req->subject_id[0] == '\0')
		return PECHAT_OK;
	if ((err = db_subject_get(db, req->subject_id, 0, &s, e)) != PECHAT_OK)
		return err;
	err = state_ok(&s, e);
	db_subject_free_fields(&s);
	return err;
}
