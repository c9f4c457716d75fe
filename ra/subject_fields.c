/*
 * ra/subject_fields.c — the fields of registry subjects by kind and their
 * rules (docs/REGISTRATION.md): text, dates, e-mail, phone and the
 * identifier check digits of ra/validators.c. Every bad field is reported.
 */
#include "ra/ra.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define K_IND 1u
#define K_SP 2u
#define K_LE 4u
#define K_PERSON (K_IND | K_SP)
#define K_ALL (K_IND | K_SP | K_LE)

enum rule {
	R_TEXT,         /* UTF-8 without control/format characters, at most `max` characters */
	R_DATE_PAST,    /* YYYY-MM-DD, before today */
	R_SNILS, R_INN12, R_INN10, R_OGRN, R_OGRNIP, R_KPP,
	R_EMAIL, R_PHONE, R_COUNTRY,
};

static const struct {
	const char *name;
	unsigned kinds;         /* kinds that may carry it */
	unsigned required;      /* kinds that must */
	enum rule rule;
	int max;
} fields[RSF_COUNT] = {
	[RSF_SURNAME] = { "surname", K_PERSON, K_PERSON, R_TEXT, 64 },
	[RSF_GIVEN_NAME] = { "given_name", K_PERSON, K_PERSON, R_TEXT, 64 },
	[RSF_PATRONYMIC] = { "patronymic", K_PERSON, 0, R_TEXT, 64 },
	[RSF_BIRTH_DATE] = { "birth_date", K_PERSON, K_PERSON, R_DATE_PAST, 0 },
	[RSF_SNILS] = { "snils", K_PERSON, K_PERSON, R_SNILS, 0 },
	[RSF_INN] = { "inn", K_PERSON, K_SP, R_INN12, 0 },
	[RSF_OGRNIP] = { "ogrnip", K_SP, K_SP, R_OGRNIP, 0 },
	[RSF_FULL_NAME] = { "full_name", K_LE, K_LE, R_TEXT, 200 },
	[RSF_SHORT_NAME] = { "short_name", K_LE, 0, R_TEXT, 64 },
	[RSF_INNLE] = { "innle", K_LE, K_LE, R_INN10, 0 },
	[RSF_OGRN] = { "ogrn", K_LE, K_LE, R_OGRN, 0 },
	[RSF_KPP] = { "kpp", K_LE, K_LE, R_KPP, 0 },
	[RSF_EMAIL] = { "email", K_ALL, 0, R_EMAIL, 255 },
	[RSF_PHONE] = { "phone", K_ALL, 0, R_PHONE, 0 },
	[RSF_COUNTRY] = { "country", K_ALL, 0, R_COUNTRY, 0 },
	[RSF_REGION] = { "region", K_ALL, 0, R_TEXT, 128 },
	[RSF_LOCALITY] = { "locality", K_ALL, 0, R_TEXT, 128 },
	[RSF_STREET] = { "street", K_LE, 0, R_TEXT, 128 },
};

const char *
ra_subject_field_name(enum ra_subject_field f)
{
	return (unsigned)f < RSF_COUNT ? fields[f].name : "?";
}

int
ra_subject_field_lookup(const char *name)
{
	int f;

	for (f = 0; name != NULL && f < RSF_COUNT; f++)
		if (strcmp(fields[f].name, name) == 0)
			return f;
	return -1;
}

/* Kind bit of a kind name, 0 if unknown. */
static unsigned
kind_bit(const char *kind)
{
	if (kind == NULL)
		return 0;
	if (strcmp(kind, "individual") == 0)
		return K_IND;
	if (strcmp(kind, "sole_proprietor") == 0)
		return K_SP;
	return strcmp(kind, "legal_entity") == 0 ? K_LE : 0;
}

/* Characters of valid UTF-8 text without hidden code points (common/text.c), or -1. */
static long
text_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), k;
	uint32_t cp;
	long n = 0;

	while (len > 0) {
		if ((k = pechat_utf8_decode(p, len, &cp)) == 0 || pechat_unicode_is_hidden(cp))
			return -1;
		p += k;
		len -= k;
		n++;
	}
	return n;
}

int
ra_text_ok(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= max && text_chars(s) >= 0;
}

int
ra_date_parse(const char *s, long *days)
{
	int64_t v;

	if (pechat_date_parse(s, 1800, &v) != 0)
		return 0;
	*days = (long)v;
	return 1;
}

/* E.164-ish: '+' then 10..15 digits. */
static int
phone_ok(const char *s)
{
	size_t n = strlen(s);

	return s[0] == '+' && n >= 11 && n <= 16 && strspn(s + 1, "0123456789") == n - 1;
}

/* An ASCII addr-spec: printable, no spaces, one '@' with both sides non-empty, a dot in the domain. */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Checks one present value; adds a field error (field "data.<name>") and returns 0 if bad. */
static int
value_ok(enum ra_subject_field f, const char *v, long today, struct pechat_error *e)
{
	char field[48];
	long chars, days;

	snprintf(field, sizeof(field), "data.%s", fields[f].name);
	if (v[0] == '\0' || strlen(v) > RA_SUBJECT_TEXT_MAX) {
		pechat_error_add_field(e, field, "length", "must be 1 to %d bytes", RA_SUBJECT_TEXT_MAX);
		return 0;
	}
	if ((chars = text_chars(v)) < 0) {
		pechat_error_add_field(e, field, "charset",
		    "must be UTF-8 text without control or format characters");
		return 0;
	}
	switch (fields[f].rule) {
	case R_TEXT:
		if (chars <= fields[f].max)
			return 1;
		pechat_error_add_field(e, field, "too_long", "at most %d characters", fields[f].max);
		return 0;
	case R_DATE_PAST:
		if (!ra_date_parse(v, &days)) {
			pechat_error_add_field(e, field, "date", "a real calendar date as YYYY-MM-DD");
			return 0;
		}
		if (days < today)
			return 1;
		pechat_error_add_field(e, field, "date_future", "must be in the past");
		return 0;
	case R_SNILS:
		if (pechat_snils_check(v))
			return 1;
		pechat_error_add_field(e, field, "check_digit", "11 digits with valid SNILS check digits");
		return 0;
	case R_INN12:
		if (pechat_inn12_check(v))
			return 1;
		pechat_error_add_field(e, field, "check_digit", "a person's INN: 12 digits with valid check digits");
		return 0;
	case R_INN10:
		if (pechat_inn10_check(v))
			return 1;
		pechat_error_add_field(e, field, "check_digit", "an organisation's INN: 10 digits with a valid check digit");
		return 0;
	case R_OGRN:
		if (pechat_ogrn_check(v))
			return 1;
		pechat_error_add_field(e, field, "check_digit", "13 digits with a valid OGRN check digit");
		return 0;
	case R_OGRNIP:
		if (pechat_ogrnip_check(v))
			return 1;
		pechat_error_add_field(e, field, "check_digit", "15 digits with a valid OGRNIP check digit");
		return 0;
	case R_KPP:
		if (pechat_kpp_check(v))
			return 1;
		pechat_error_add_field(e, field, "format", "4 digits, 2 digits or capital letters, 3 digits");
		return 0;
	case R_EMAIL:
		if (chars <= fields[f].max && email_ok(v))
			return 1;
		pechat_error_add_field(e, field, "format", "an ASCII address user@domain (at most 255 characters)");
		return 0;
	case R_PHONE:
		if (phone_ok(v))
			return 1;
		pechat_error_add_field(e, field, "format", "'+' and 10 to 15 digits");
		return 0;
	case R_COUNTRY:
		if (strlen(v) == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z')
			return 1;
		pechat_error_add_field(e, field, "format", "ISO 3166 alpha-2 code in capital letters");
		return 0;
	}
	return 0;
}

/* 1 if e already names `field`. NULL-safe. */
static int
named(const struct pechat_error *e, const char *field)
{
	int i;

	for (i = 0; e != NULL && i < e->nfields; i++)
		if (strcmp(e->fields[i].field, field) == 0)
			return 1;
	return 0;
}

/* Checks the heads of a legal entity (format only: ra/subjects.c checks they exist). 0 if bad. */
static int
heads_ok(unsigned kind, const struct ra_subject_input *in, struct pechat_error *e)
{
	char field[48];
	int i, j, ok = 1;

	if (in->nheads > 0 && kind != K_LE) {
		pechat_error_add_field(e, "heads", "not_allowed", "only a legal entity has heads");
		return 0;
	}
	for (i = 0; i < in->nheads; i++) {
		snprintf(field, sizeof(field), "heads[%d].subject_id", i);
		if (in->head_id[i] == NULL || strlen(in->head_id[i]) != 36) {
			pechat_error_add_field(e, field, "format", "a subject id (36 characters)");
			ok = 0;
		}
		for (j = 0; j < i && in->head_id[i] != NULL; j++)
			if (in->head_id[j] != NULL && strcmp(in->head_id[i], in->head_id[j]) == 0) {
				pechat_error_add_field(e, field, "duplicate", "the same head twice");
				ok = 0;
			}
		snprintf(field, sizeof(field), "heads[%d].title", i);
		if (in->head_title[i] == NULL || in->head_title[i][0] == '\0' || strlen(in->head_title[i]) > 128 ||
		    text_chars(in->head_title[i]) < 0 || text_chars(in->head_title[i]) > 64) {
			pechat_error_add_field(e, field, "format", "1 to 64 characters of text");
			ok = 0;
		}
	}
	return ok;
}

/* Fills the field pairs and search keys of *out from validated input. 0 or -1 (no memory). */
static int
fill(const struct ra_subject_input *in, const char *snils, struct db_subject *out)
{
	const char *v;
	int f, i;

	for (f = 0; f < RSF_COUNT; f++) {
		if ((v = f == RSF_SNILS ? snils : in->v[f]) == NULL)
			continue;
		pechat_strlcpy(out->field[out->nfields], fields[f].name, sizeof(out->field[0]));
		if ((out->value[out->nfields] = strdup(v)) == NULL)
			return -1;
		out->nfields++;
	}
	pechat_strlcpy(out->snils, snils != NULL ? snils : "", sizeof(out->snils));
	pechat_strlcpy(out->inn, in->v[RSF_INN] != NULL ? in->v[RSF_INN] : "", sizeof(out->inn));
	pechat_strlcpy(out->innle, in->v[RSF_INNLE] != NULL ? in->v[RSF_INNLE] : "", sizeof(out->innle));
	pechat_strlcpy(out->ogrn, in->v[RSF_OGRN] != NULL ? in->v[RSF_OGRN] : "", sizeof(out->ogrn));
	if (in->v[RSF_FULL_NAME] != NULL)
		pechat_strlcpy(out->name, in->v[RSF_FULL_NAME], sizeof(out->name));
	else if (in->v[RSF_SURNAME] != NULL && in->v[RSF_GIVEN_NAME] != NULL)
		snprintf(out->name, sizeof(out->name), "%.120s %.120s", in->v[RSF_SURNAME], in->v[RSF_GIVEN_NAME]);
	for (i = 0; i < in->nheads && i < DB_SUBJECT_HEADS; i++) {
		pechat_strlcpy(out->head_id[i], in->head_id[i], sizeof(out->head_id[0]));
		pechat_strlcpy(out->head_title[i], in->head_title[i], sizeof(out->head_title[0]));
	}
	out->nheads = in->nheads;
	return 0;
}

enum pechat_err
ra_subject_validate(const char *kind, const struct ra_subject_input *in, time_t now, struct db_subject *out,
    struct pechat_error *e)
{
	unsigned k = kind_bit(kind);
	long today = (long)(now / 86400);
	char snils[16], field[48];
	const char *sn = NULL;
	int f, bad = 0;

	if (k == 0) {
		pechat_error_add_field(e, "kind", "enum", "one of: individual, sole_proprietor, legal_entity");
		return pechat_fail(e, PECHAT_E_INVALID, "subject_invalid",
		    "the subject has invalid fields: every one is named in errors[]");
	}
	for (f = 0; f < RSF_COUNT; f++) {
		const char *v = in->v[f];
		snprintf(field, sizeof(field), "data.%s", fields[f].name);
		if (v == NULL) {
			/* a member web/ already refused (wrong type...) is not also "required" */
			if ((fields[f].required & k) && !named(e, field)) {
				pechat_error_add_field(e, field, "required", "required for a %s", kind);
				bad++;
			}
			continue;
		}
		if (!(fields[f].kinds & k)) {
			pechat_error_add_field(e, field, "not_allowed", "a %s has no %s", kind, fields[f].name);
			bad++;
			continue;
		}
		if (f == RSF_SNILS && pechat_snils_normalize(v, snils, sizeof(snils)) == 0)
			v = sn = snils;
		if (!value_ok((enum ra_subject_field)f, v, today, e))
			bad++;
	}
	if (!heads_ok(k, in, e))
		bad++;
	if (bad)
		return pechat_fail(e, PECHAT_E_INVALID, "subject_invalid",
		    "the subject has invalid fields: every one is named in errors[]");
	if (fill(in, sn, out) != 0)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	return PECHAT_OK;
}
