/*
 * ra/appointments.c — the documents that appointed an organisation's heads
 * (docs/REGISTRATION.md, "Appointment documents"): the field rules, adding
 * one and its verification by an officer (each audited in its
 * transaction), and the head's authority for a legal entity's request made
 * without a power of attorney: a verified appointment document in force.
 */
#include "ra/ra_int.h"

#include <stdio.h>
#include <string.h>

/* 1991-01-01 in days since 1970-01-01: no appointment document is older. */
#define APPT_DATE_MIN_DAYS 7670L
#define APPT_DATE_MIN "1991-01-01"

static const char *const appt_kinds[] = { "order", "protocol", "decision", NULL };
static const char *const appt_sources[] = { "original", "notarised_copy", "egrul", NULL };

/* 1 if s is one of the NULL-terminated list. */
static int
one_of(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* 1 if head_id is one of the organisation version's heads. */
static int
is_head(const struct db_subject *org, const char *head_id)
{
	int i;

	for (i = 0; head_id != NULL && i < org->nheads; i++)
		if (strcmp(org->head_id[i], head_id) == 0)
			return 1;
	return 0;
}

/* The dates: date real, not in the future, not before 1991; valid_until (optional) real and after date. */
static void
dates_check(const struct ra_appointment_input *in, time_t now, struct pechat_error *e)
{
	long date = 0, until;
	int date_ok = 0;

	if (in->date == NULL)
		pechat_error_add_field(e, "date", "required", "is required");
	else if (!ra_date_parse(in->date, &date))
		pechat_error_add_field(e, "date", "date", "a real calendar date as YYYY-MM-DD");
	else if (date > (long)(now / 86400))
		pechat_error_add_field(e, "date", "date_future", "must not be in the future");
	else if (date < APPT_DATE_MIN_DAYS)
		pechat_error_add_field(e, "date", "date_too_early", "must not be before " APPT_DATE_MIN);
	else
		date_ok = 1;
	if (in->valid_until == NULL)
		return;
	if (!ra_date_parse(in->valid_until, &until))
		pechat_error_add_field(e, "valid_until", "date", "a real calendar date as YYYY-MM-DD");
	else if (date_ok && until <= date)
		pechat_error_add_field(e, "valid_until", "not_after_date", "must be after date (%s)", in->date);
}

enum pechat_err
ra_appointment_check(const struct ra_appointment_input *in, const struct db_subject *org, time_t now,
    struct pechat_error *e)
{
	if (in->head_id == NULL)
		pechat_error_add_field(e, "head_id", "required", "is required");
	else if (!is_head(org, in->head_id))
		pechat_error_add_field(e, "head_id", "not_a_head",
		    "is not a head of the organisation's current version (its heads[])");
	if (in->kind == NULL)
		pechat_error_add_field(e, "kind", "required", "is required");
	else if (!one_of(in->kind, appt_kinds))
		pechat_error_add_field(e, "kind", "enum", "one of order, protocol, decision");
	if (!ra_text_ok(in->number, RA_APPT_NUMBER_MAX))
		pechat_error_add_field(e, "number", in->number == NULL ? "required" : "format",
		    "1 to %d bytes of text without control characters", RA_APPT_NUMBER_MAX);
	dates_check(in, now, e);
	if (!ra_text_ok(in->issued_by, RA_APPT_TEXT_MAX))
		pechat_error_add_field(e, "issued_by", in->issued_by == NULL ? "required" : "format",
		    "1 to %d bytes of text without control characters", RA_APPT_TEXT_MAX);
	if (!ra_text_ok(in->title, RA_APPT_TITLE_MAX))
		pechat_error_add_field(e, "title", in->title == NULL ? "required" : "format",
		    "1 to %d bytes of text without control characters", RA_APPT_TITLE_MAX);
	if (e != NULL && e->nfields > 0)
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	return PECHAT_OK;
}

struct appt_arg {
	const struct ra_actor *actor;
	time_t now;
	const char *org_id;
	const struct ra_appointment_input *in;
	int64_t id;
	const char *source;
	struct db_appointment *out;
};

/* Copies the validated input into the row to store. */
static void
appt_row(const struct appt_arg *a, struct db_appointment *d)
{
	memset(d, 0, sizeof(*d));
	pechat_strlcpy(d->org_id, a->org_id, sizeof(d->org_id));
	pechat_strlcpy(d->head_id, a->in->head_id, sizeof(d->head_id));
	pechat_strlcpy(d->kind, a->in->kind, sizeof(d->kind));
	pechat_strlcpy(d->number, a->in->number, sizeof(d->number));
	pechat_strlcpy(d->date, a->in->date, sizeof(d->date));
	pechat_strlcpy(d->issued_by, a->in->issued_by, sizeof(d->issued_by));
	pechat_strlcpy(d->valid_until, a->in->valid_until != NULL ? a->in->valid_until : "", sizeof(d->valid_until));
	pechat_strlcpy(d->title, a->in->title, sizeof(d->title));
	pechat_strlcpy(d->added_by, a->actor->name, sizeof(d->added_by));
	d->added_at = a->now;
}

/* Transaction body of ra_appointment_add. */
static enum pechat_err
add_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct appt_arg *a = arg;
	struct db_subject org;
	enum pechat_err err;
	char detail[96];

	if ((err = db_subject_get(db, a->org_id, 0, &org, e)) != PECHAT_OK)
		return err;
	if (strcmp(org.kind, "legal_entity") != 0)
		err = pechat_fail(e, PECHAT_E_POLICY, "subject_kind_mismatch",
		    "subject %s is a %s: appointment documents belong to organisations", org.id, org.kind);
	else
		err = ra_appointment_check(a->in, &org, a->now, e);
	db_subject_free_fields(&org);
	if (err != PECHAT_OK)
		return err;
	appt_row(a, a->out);
	if ((err = db_appointment_insert(db, a->out, &a->out->id, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "appointment %lld of head %s, %s", (long long)a->out->id, a->in->head_id,
	    a->in->kind);
	return db_audit_append(db, a->now, a->actor->name, "subject.appointment.add", a->org_id, detail, e);
}

enum pechat_err
ra_appointment_add(struct db *db, const struct ra_actor *actor, time_t now, const char *org_id,
    const struct ra_appointment_input *in, struct db_appointment *out, struct pechat_error *e)
{
	struct appt_arg a = { actor, now, org_id, in, 0, NULL, out };
	enum pechat_err err;

	if ((err = db_txn_run(db, add_txn, &a, e)) != PECHAT_OK) {
		log_reject("%s: appointment document for organisation %.36s refused: %s", actor->name, org_id,
		    e != NULL ? e->code : "?");
		return err;
	}
	log_info("organisation %s: appointment %lld of head %s added by %s", org_id, (long long)out->id,
	    out->head_id, actor->name);
	return PECHAT_OK;
}

/* Transaction body of ra_appointment_verify. */
static enum pechat_err
verify_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct appt_arg *a = arg;
	enum pechat_err err;
	char detail[80];

	if ((err = db_appointment_get(db, a->org_id, a->id, a->out, e)) != PECHAT_OK ||
	    (err = db_appointment_verify(db, a->id, a->actor->name, a->source, a->now, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "appointment %lld, source %s", (long long)a->id, a->source);
	if ((err = db_audit_append(db, a->now, a->actor->name, "subject.appointment.verify", a->org_id,
	    detail, e)) != PECHAT_OK)
		return err;
	return db_appointment_get(db, a->org_id, a->id, a->out, e);
}

enum pechat_err
ra_appointment_verify(struct db *db, const struct ra_actor *actor, time_t now, const char *org_id, int64_t id,
    const char *source, struct db_appointment *out, struct pechat_error *e)
{
	struct appt_arg a = { actor, now, org_id, NULL, id, source, out };
	enum pechat_err err;

	if (!one_of(source, appt_sources)) {
		pechat_error_add_field(e, "source", source == NULL ? "required" : "enum",
		    "one of original, notarised_copy, egrul");
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	}
	if ((err = db_txn_run(db, verify_txn, &a, e)) != PECHAT_OK) {
		log_reject("%s: verification of appointment %lld refused: %s", actor->name, (long long)id,
		    e != NULL ? e->code : "?");
		return err;
	}
	log_info("organisation %s: appointment %lld verified by %s (%s)", org_id, (long long)id, actor->name, source);
	return PECHAT_OK;
}

/* What the search for a head's appointment found. */
struct appt_pick {
	const char *head_id;
	long today;
	int verified;                   /* verified documents of this head seen */
	struct db_appointment *in_force;        /* the newest verified one in force (out) */
	int found;
	char last_until[11];            /* the latest term end among the verified ones */
};

/* Callback: keeps the newest verified, in-force appointment of the head. */
static int
pick(void *arg, const struct db_appointment *a)
{
	struct appt_pick *p = arg;
	long date, until;

	if (strcmp(a->head_id, p->head_id) != 0 || !a->verified)
		return 0;
	p->verified++;
	if (a->valid_until[0] != '\0' && strcmp(a->valid_until, p->last_until) > 0)
		pechat_strlcpy(p->last_until, a->valid_until, sizeof(p->last_until));
	if (!ra_date_parse(a->date, &date) || date > p->today)
		return 0;
	if (a->valid_until[0] != '\0' && (!ra_date_parse(a->valid_until, &until) || until < p->today))
		return 0;
	*p->in_force = *a;
	p->found = 1;
	return 0;
}

enum pechat_err
ra_head_appointment(struct db *db, const char *org_id, const char *head_id, time_t now, struct db_appointment *out,
    struct pechat_error *e)
{
	struct appt_pick p;
	enum pechat_err err;

	memset(&p, 0, sizeof(p));
	p.head_id = head_id;
	p.today = (long)(now / 86400);
	p.in_force = out;
	if ((err = db_appointment_each(db, org_id, pick, &p, e)) != PECHAT_OK)
		return err;
	if (p.found)
		return PECHAT_OK;
	if (p.verified > 0)
		return pechat_fail(e, PECHAT_E_POLICY, "head_appointment_expired",
		    "the appointment of head %s at organisation %s is no longer in force (term ended %s):"
		    " an officer records and verifies the current one", head_id, org_id,
		    p.last_until[0] != '\0' ? p.last_until : "?");
	return pechat_fail(e, PECHAT_E_POLICY, "head_appointment_missing",
	    "head %s of organisation %s has no verified appointment document: an officer records and"
	    " verifies the order, protocol or decision that appointed them", head_id, org_id);
}
