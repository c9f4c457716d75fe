/*
 * ra/poa_store.c — powers of attorney kept by the RA: import (parse with
 * ra/poa_xml.c or ra/poa_json.c, check the principal against the registry,
 * store with the original document), read, list, revoke. Each change and
 * its audit entry are one transaction (db_txn_run).
 */
#include "ra/poa_store.h"
#include "ra/ra_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of field `name` in a subject version, or "". */
static const char *
field_value(const struct db_subject *s, const char *name)
{
	int i;

	for (i = 0; i < s->nfields; i++)
		if (strcmp(s->field[i], name) == 0)
			return s->value[i];
	return "";
}

/* Copies the parsed POA into the store's row (sizes match ra/poa.h). */
static void
row_fill(struct db_poa *row, const struct ra_poa *p)
{
	const struct ra_poa_rep *r = &p->representative;
	int i;

	pechat_strlcpy(row->number, p->number, sizeof(row->number));
	pechat_strlcpy(row->internal_number, p->internal_number, sizeof(row->internal_number));
	pechat_strlcpy(row->issue_date, p->issue_date, sizeof(row->issue_date));
	pechat_strlcpy(row->valid_until, p->valid_until, sizeof(row->valid_until));
	pechat_strlcpy(row->redelegation, p->redelegation, sizeof(row->redelegation));
	pechat_strlcpy(row->principal_innle, p->principal.innle, sizeof(row->principal_innle));
	pechat_strlcpy(row->principal_kpp, p->principal.kpp, sizeof(row->principal_kpp));
	pechat_strlcpy(row->rep_surname, r->surname, sizeof(row->rep_surname));
	pechat_strlcpy(row->rep_given_name, r->given_name, sizeof(row->rep_given_name));
	pechat_strlcpy(row->rep_patronymic, r->patronymic, sizeof(row->rep_patronymic));
	pechat_strlcpy(row->rep_birth_date, r->birth_date, sizeof(row->rep_birth_date));
	pechat_strlcpy(row->rep_inn, r->inn, sizeof(row->rep_inn));
	pechat_strlcpy(row->rep_snils, r->snils, sizeof(row->rep_snils));
	pechat_strlcpy(row->rep_doc_kind, r->doc.kind, sizeof(row->rep_doc_kind));
	pechat_strlcpy(row->rep_doc_series, r->doc.series, sizeof(row->rep_doc_series));
	pechat_strlcpy(row->rep_doc_number, r->doc.number, sizeof(row->rep_doc_number));
	pechat_strlcpy(row->rep_doc_issue_date, r->doc.issue_date, sizeof(row->rep_doc_issue_date));
	pechat_strlcpy(row->rep_doc_issuer, r->doc.issuer, sizeof(row->rep_doc_issuer));
	row->npowers = p->npowers < DB_POA_POWERS ? p->npowers : DB_POA_POWERS;
	for (i = 0; i < row->npowers; i++) {
		pechat_strlcpy(row->power_code[i], p->powers[i].code, sizeof(row->power_code[0]));
		pechat_strlcpy(row->power_text[i], p->powers[i].text, sizeof(row->power_text[0]));
	}
}

/* The principal must be a registered legal entity with the POA's INNLE and KPP. */
static enum pechat_err
principal_check(struct db *db, const char *principal_id, const struct db_poa *row, struct pechat_error *e)
{
	struct db_subject s;
	enum pechat_err err = PECHAT_OK;

	if ((err = db_subject_get(db, principal_id, 0, &s, e)) != PECHAT_OK)
		return err;
	if (strcmp(s.kind, "legal_entity") != 0)
		err = pechat_fail(e, PECHAT_E_POLICY, "poa_principal_mismatch",
		    "the principal of a power of attorney must be a legal_entity subject");
	else if (strcmp(s.innle, row->principal_innle) != 0 || strcmp(field_value(&s, "kpp"), row->principal_kpp) != 0)
		err = pechat_fail(e, PECHAT_E_POLICY, "poa_principal_mismatch",
		    "the power of attorney's principal (INNLE %s, KPP %s) is not this organisation",
		    row->principal_innle, row->principal_kpp);
	db_subject_free_fields(&s);
	return err;
}

struct store_arg {
	const struct ra_actor *actor;
	time_t now;
	const struct ra_poa_source *src;
	struct db_poa *row;
	int64_t id;
	const char *reason;
};

/* Transaction body of ra_poa_import: check the principal, insert the POA, its powers, the audit entry. */
static enum pechat_err
import_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct store_arg *a = arg;
	struct db_poa *row = a->row;
	enum pechat_err err;
	char detail[96];
	int i;

	if ((err = principal_check(db, row->principal_id, row, e)) != PECHAT_OK ||
	    (err = db_poa_insert(db, row, a->src->bytes, a->src->len, &row->id, e)) != PECHAT_OK)
		return err;
	for (i = 0; i < row->npowers; i++)
		if ((err = db_poa_power_insert(db, row->id, i, row->power_code[i], row->power_text[i], e)) != PECHAT_OK)
			return err;
	snprintf(detail, sizeof(detail), "power of attorney %lld, number %s, %s", (long long)row->id, row->number,
	    row->source);
	if ((err = db_audit_append(db, a->now, a->actor->name, "poa.import", row->principal_id, detail, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "%lld", (long long)row->id);
	return ra_idem_record(db, a->actor, a->src->idem, "poa", detail, 201, NULL, a->now, e);
}

/* Parses the source into a freshly allocated POA (*out, the caller frees). */
static enum pechat_err
parse(const struct ra_poa_source *src, struct ra_poa **out, struct pechat_error *e)
{
	enum pechat_err err;

	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "out of memory");
	if (strcmp(src->kind, "xml") == 0)
		err = ra_poa_from_xml(src->bytes, src->len, *out, e);
	else if (strcmp(src->kind, "json") == 0 && src->json != NULL)
		err = ra_poa_from_json(src->json, *out, e);
	else
		err = pechat_fail(e, PECHAT_E_INVALID, "poa_format_unsupported",
		    "a power of attorney is EMCHD_1 XML or a JSON object");
	return err;
}

enum pechat_err
ra_poa_import(struct db *db, const struct ra_actor *actor, time_t now, const char *principal_id,
    const struct ra_poa_source *src, struct db_poa *out, struct pechat_error *e)
{
	struct store_arg a = { actor, now, src, out, 0, NULL };
	struct ra_poa *p = NULL;
	struct db_idem found;
	enum pechat_err err;
	int claim;

	memset(out, 0, sizeof(*out));
	/* a retry with the Idempotency-Key of an imported POA: that POA as it is now */
	if ((err = ra_idem_begin(db, actor, src->idem, &claim, &found, e)) == PECHAT_OK)
		goto replay;
	if (err != PECHAT_E_NOT_FOUND || (err = parse(src, &p, e)) != PECHAT_OK)
		goto fail;
	row_fill(out, p);
	pechat_strlcpy(out->principal_id, principal_id, sizeof(out->principal_id));
	pechat_strlcpy(out->source, src->kind, sizeof(out->source));
	pechat_strlcpy(out->added_by, actor->name, sizeof(out->added_by));
	out->added_at = now;
	if ((err = db_txn_run(db, import_txn, &a, e)) != PECHAT_OK) {
		/* another process's identical import, recorded with this key first: its POA */
		if ((err = ra_idem_after_conflict(db, actor, src->idem, err, &found, e)) == PECHAT_OK)
			goto replay;
		goto fail;
	}
	free(p);
	ra_idem_end(claim, &found);
	log_info("subject %s: power of attorney %lld (%s) imported by %s", principal_id, (long long)out->id,
	    out->number, actor->name);
	return PECHAT_OK;
replay:
	if ((err = db_poa_get(db, strtoll(found.resource_id, NULL, 10), out, e)) == PECHAT_OK) {
		free(p);
		ra_idem_end(claim, &found);
		return PECHAT_OK;
	}
fail:
	free(p);
	ra_idem_end(claim, &found);
	log_reject("%s: power of attorney for subject %.36s refused: %s", actor->name, principal_id,
	    e != NULL ? e->code : "?");
	return err;
}

enum pechat_err
ra_poa_get(struct db *db, const struct ra_actor *actor, int64_t id, struct db_poa *out, struct pechat_error *e)
{
	struct db_subject s;
	enum pechat_err err;

	if ((err = db_poa_get(db, id, out, e)) != PECHAT_OK)
		return err;
	if (strcmp(actor->role, "portal") != 0)
		return PECHAT_OK;
	/* a portal's view: a POA of another's subject is indistinguishable from a missing one */
	if (ra_subject_get(db, actor, out->principal_id, 0, &s, e) != PECHAT_OK)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "poa_unknown", "no such power of attorney");
	db_subject_free_fields(&s);
	return PECHAT_OK;
}

enum pechat_err
ra_poa_list(struct db *db, const struct ra_actor *actor, const char *principal_id, int64_t *ids, int max,
    int *count, struct pechat_error *e)
{
	struct db_subject s;
	enum pechat_err err;

	*count = 0;
	if ((err = ra_subject_get(db, actor, principal_id, 0, &s, e)) != PECHAT_OK)
		return err;
	db_subject_free_fields(&s);
	return db_poa_list(db, principal_id, ids, max, count, e);
}

/* Transaction body of ra_poa_revoke. */
static enum pechat_err
revoke_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct store_arg *a = arg;
	enum pechat_err err;
	char detail[320];

	if ((err = db_poa_get(db, a->id, a->row, e)) != PECHAT_OK ||
	    (err = db_poa_revoke(db, a->id, a->actor->name, a->now, a->reason, e)) != PECHAT_OK)
		return err;
	snprintf(detail, sizeof(detail), "power of attorney %lld (%s): %s", (long long)a->id, a->row->number,
	    a->reason);
	if ((err = db_audit_append(db, a->now, a->actor->name, "poa.revoke", a->row->principal_id, detail, e)) != PECHAT_OK)
		return err;
	return db_poa_get(db, a->id, a->row, e);
}

enum pechat_err
ra_poa_revoke(struct db *db, const struct ra_actor *actor, time_t now, int64_t id, const char *reason,
    struct db_poa *out, struct pechat_error *e)
{
	struct store_arg a = { actor, now, NULL, out, id, reason };
	enum pechat_err err;

	if (!ra_text_ok(reason, 255)) {
		pechat_error_add_field(e, "reason", reason == NULL ? "required" : "format",
		    "1 to 255 bytes of text without control characters");
		return pechat_fail(e, PECHAT_E_INVALID, "validation_failed", "the request has invalid fields");
	}
	if ((err = db_txn_run(db, revoke_txn, &a, e)) != PECHAT_OK) {
		log_reject("%s: revocation of power of attorney %lld refused: %s", actor->name, (long long)id,
		    e != NULL ? e->code : "?");
		return err;
	}
	log_info("power of attorney %lld revoked by %s", (long long)id, actor->name);
	return PECHAT_OK;
}

const char *
ra_poa_state(const struct db_poa *p, time_t now)
{
	struct ra_poa *dates;
	int in_force;

	if (p->revoked)
		return "revoked";
	if ((dates = calloc(1, sizeof(*dates))) == NULL)
		return "expired";       /* never claim "active" without checking */
	pechat_strlcpy(dates->issue_date, p->issue_date, sizeof(dates->issue_date));
	pechat_strlcpy(dates->valid_until, p->valid_until, sizeof(dates->valid_until));
	in_force = ra_poa_in_force(dates, now);
	free(dates);
	return in_force ? "active" : "expired";
}
