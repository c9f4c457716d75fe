/*
 * ra/documents.c — identity documents of registry subjects: format and date
 * rules (docs/REGISTRATION.md: the passport of the RF, kind code 21), adding
 * one and its verification by an officer, each audited in its transaction.
 */
#include "ra/ra.h"
#include "ra/ra_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSPORT_RF "21"

/* 1 if s is exactly n ASCII digits. */
static int
digits(const char *s, size_t n)
{
	return s != NULL && strlen(s) == n && strspn(s, "0123456789") == n;
}

/* The value of field `name` in a subject version, or NULL. */
static const char *
field_value(const struct db_subject *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->field[i], name) == 0)
			return s->value[i];
	return NULL;
}

/*
 * The issue date: a real date, not in the future, and for a passport not
 * before the holder's 14th birthday (when the birth date is known).
 */
static void
issue_date_check(const struct ra_document_input *in, const struct db_subject *s, time_t now,
    struct pechat_error *e)
{
	const char *birth = field_value(s, "birth_date");
	long issued, born;
	char b14[11];

	if (!ra_date_parse(in->issue_date, &issued)) {
		pechat_error_add_field(e, "issue_date", "date", "a real calendar date as YYYY-MM-DD");
		return;
	}
	if (issued > (long)(now / 86400)) {
		pechat_error_add_field(e, "issue_date", "date_future", "must not be in the future");
		return;
	}
	if (strcmp(in->kind, PASSPORT_RF) != 0 || birth == NULL || !ra_date_parse(birth, &born))
		return;
	/* the 14th birthday as a date string: YYYY+14 with the same month and day compares as text */
	snprintf(b14, sizeof(b14), "%04d%s", (birth[0] - '0') * 1000 + (birth[1] - '0') * 100 +
	    (birth[2] - '0') * 10 + (birth[3] - '0') + 14, birth + 4);
	if (strcmp(in->issue_date, b14) < 0)
		pechat_error_add_field(e, "issue_date", "before_age_14",
		    "a passport is issued at 14 or later: the holder was born on %s", birth);
}

/* Every rule of a document at once; "document_invalid" names each bad field. */
static enum pechat_err
document_check(const struct ra_document_input *in, const struct db_subject *s, time_t now,
    struct pechat_error *e)
{
	int passport;

	if (in->kind == NULL || strlen(in->kind) < 1 || strlen(in->kind) > 2 || strspn(in->kind, "0123456789") != strlen(in->kind))
		pechat_error_add_field(e, "kind", "format", "a document kind code of 1 or 2 digits (21: passport of the RF)");
	passport = in->kind != NULL && strcmp(in->kind, PASSPORT_RF) == 0;
	if (passport ? !digits(in->series, 4) : in->series != NULL && !ra_text_ok(in->series, 15))
		pechat_error_add_field(e, "series", "format", passport ? "4 digits" : "1 to 15 bytes of text");
	if (passport ? !digits(in->number, 6) : !ra_text_ok(in->number, 31))
		pechat_error_add_field(e, "number", "format", passport ? "6 digits" : "1 to 31 bytes of text");
	if (!ra_text_ok(in->issuer, 255))
		pechat_error_add_field(e, "issuer", "format", "1 to 255 bytes of text without control characters");
	if (passport ? !(in->unit_code != NULL && strlen(in->unit_code) == 7 && strspn(in->unit_code, "0123456789") == 3 &&
	    in->unit_code[3] == '-' && strspn(in->unit_code + 4, "0123456789") == 3) :
	    in->unit_code != NULL && !ra_text_ok(in->unit_code, 7))
		pechat_error_add_field(e, "unit_code", "format", passport ? "NNN-NNN" : "1 to 7 bytes of text");
	if (in->issue_date == NULL)
		pechat_error_add_field(e, "issue_date", "required", "is required");
	else
		issue_date_check(in, s, now, e);
	if (e != NULL && e->nfields > 0)
		return pechat_fail(e, PECHAT_E_INVALID, "document_invalid",
		    "the document has invalid fields: every one is named in errors[]");
	return PECHAT_OK;
}

struct doc_arg {
	const struct ra_actor *actor;
	time_t now;
	const char *subject_id;
	const struct ra_document_input *in;
	int64_t doc_id;
	int method;
	struct db_id_document *out;
};

/* Transaction body of ra_document_add. */
static enum pechat_err
add_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct doc_arg *a = arg;
	struct db_id_document *d = a->out;
	struct db_subject s;
	enum pechat_err err;
	char detail[64];

	if ((err = db_subject_get(db, a->subject_id, 0, &s, e)) != PECHAT_OK)
		return err;
	if (strcmp(s.kind, "legal_entity") == 0)
		err = pechat_fail(e, PECHAT_E_POLICY, "document_invalid",
		    "identity documents belong to people: add them to the head's individual subject");
	else
		err = document_check(a->in, &s, a->now, e);
	db_subject_free_fields(&s);
	if (err != PECHAT_OK)
		return err;
	memset(d, 0, sizeof(*d));
	pechat_strlcpy(d->subject_id, a->subject_id, sizeof(d->subject_id));
	pechat_strlcpy(d->kind, a->in->kind, sizeof(d->kind));
	pechat_strlcpy(d->series, a->in->series != NULL ? a->in->series : "", sizeof(d->series));
	pechat_strlcpy(d->number, a->in->number, sizeof(d->number));
	pechat_strlcpy(d->issue_date, a->in->issue_date, sizeof(d->issue_date));
	pechat_strlcpy(d->issuer, a->in->issuer, sizeof(d->issuer));
	pechat_strlcpy(d->unit_code, a->in->unit_code != NULL ? a->in->unit_code : "", sizeof(d->unit_code));
	pechat_strlcpy(d->added_by, a->actor->name, sizeof(d->added_by));
	d->added_at = a->now;
	if ((err = db_id_document_insert(db, d, &d->id, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "document %lld, kind %s", (long long)d->id, d->kind);
	if ((err = db_audit_append(db, a->now, a->actor->name, "subject.document.add", a->subject_id, detail,
	    e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "%lld", (long long)d->id);
	return ra_idem_record(db, a->actor, a->in->idem, "document", detail, 201, NULL, a->now, e);
}

enum pechat_err
ra_document_add(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    const struct ra_document_input *in, struct db_id_document *out, struct pechat_error *e)
{
	struct doc_arg a = { actor, now, subject_id, in, 0, 0, out };
	struct db_idem found;
	enum pechat_err err;
	int claim;

	if ((err = ra_idem_begin(db, actor, in->idem, &claim, &found, e)) == PECHAT_E_NOT_FOUND)
		err = ra_idem_after_conflict(db, actor, in->idem, db_txn_run(db, add_txn, &a, e), &found, e);
	/* a retry with the Idempotency-Key of an added document: that document as it is now */
	if (err == PECHAT_OK && found.resource_id[0] != '\0')
		err = db_id_document_get(db, subject_id, strtoll(found.resource_id, NULL, 10), out, e);
	ra_idem_end(claim, &found);
	if (err != PECHAT_OK) {
		log_reject("%s: document for subject %s refused: %s", actor->name, subject_id, e != NULL ? e->code : "?");
		return err;
	}
	log_info("subject %s: document %lld added by %s", subject_id, (long long)out->id, actor->name);
	return PECHAT_OK;
}

/* Transaction body of ra_document_verify. */
static enum pechat_err
verify_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct doc_arg *a = arg;
	enum pechat_err err;
	char detail[64];

	if ((err = db_id_document_get(db, a->subject_id, a->doc_id, a->out, e)) != PECHAT_OK ||
	    (err = db_id_document_verify(db, a->doc_id, a->actor->name, a->method, a->now, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "document %lld, method %d", (long long)a->doc_id, a->method);
	if ((err = db_audit_append(db, a->now, a->actor->name, "subject.document.verify", a->subject_id,
	    detail, e)) != PECHAT_OK)
		return err;
	return db_id_document_get(db, a->subject_id, a->doc_id, a->out, e);
}

enum pechat_err
ra_document_verify(struct db *db, const struct ra_actor *actor, time_t now, const char *subject_id,
    int64_t doc_id, int method, struct db_id_document *out, struct pechat_error *e)
{
	struct doc_arg a = { actor, now, subject_id, NULL, doc_id, method, out };
	enum pechat_err err;

	if (method < 0 || method > 3) {
		pechat_error_add_field(e, "method", "enum",
		    "0 in person, 1 by a qualified certificate, 2 by biometric passport, 3 via ESIA+EBS");
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	}
	if ((err = db_txn_run(db, verify_txn, &a, e)) != PECHAT_OK) {
		log_reject("%s: verification of document %lld refused: %s", actor->name, (long long)doc_id,
		    e != NULL ? e->code : "?");
		return err;
	}
	log_info("subject %s: document %lld verified by %s (method %d)", subject_id, (long long)doc_id,
	    actor->name, method);
	return PECHAT_OK;
}
