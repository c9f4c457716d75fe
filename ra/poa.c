/*
 * ra/poa.c — the power-of-attorney field tables, per-field validation and
 * normalisation, the cross-field checks and the questions a POA answers
 * (in force on a day, grants a power). docs/REGISTRATION.md, "Powers of
 * attorney", lists the same fields, paths and rules.
 */
#include <stdio.h>
#include <string.h>

#include "ra/poa_int.h"
#include "ra/ra.h"

#define F(st, key, xml, kind, member, req) \
	{ key, xml, kind, offsetof(struct st, member), sizeof(((struct st *)0)->member), req }
#define END { NULL, NULL, 0, 0, 0, 0 }

const struct poa_field poa_fields_top[] = {
	F(ra_poa, "number", "@НомДовер", POA_GUID, number, 1),
	F(ra_poa, "internal_number", "@ВнНомДовер", POA_TEXT, internal_number, 0),
	F(ra_poa, "issue_date", "@ДатаВыдДовер", POA_DATE, issue_date, 1),
	F(ra_poa, "valid_until", "@СрокДейст", POA_DATE, valid_until, 1),
	F(ra_poa, "redelegation", "@ПрПередов", POA_REDELEG, redelegation, 1),
	END,
};

const struct poa_field poa_fields_org[] = {
	F(ra_poa_org, "name", "@НаимОрг", POA_TEXT, name, 1),
	F(ra_poa_org, "innle", "@ИННЮЛ", POA_INN10, innle, 1),
	F(ra_poa_org, "kpp", "@КПП", POA_KPP, kpp, 1),
	F(ra_poa_org, "ogrn", "@ОГРН", POA_OGRN, ogrn, 1),
	END,
};

const struct poa_field poa_fields_head[] = {
	F(ra_poa_head, "surname", "ФИО/@Фамилия", POA_TEXT, surname, 1),
	F(ra_poa_head, "given_name", "ФИО/@Имя", POA_TEXT, given_name, 1),
	F(ra_poa_head, "patronymic", "ФИО/@Отчество", POA_TEXT, patronymic, 0),
	F(ra_poa_head, "snils", "@СНИЛС", POA_SNILS, snils, 1),
	F(ra_poa_head, "inn", "@ИННФЛ", POA_INN12, inn, 0),
	F(ra_poa_head, "title", "@Должность", POA_TEXT, title, 1),
	END,
};

const struct poa_field poa_fields_rep[] = {
	F(ra_poa_rep, "surname", "ФИО/@Фамилия", POA_TEXT, surname, 1),
	F(ra_poa_rep, "given_name", "ФИО/@Имя", POA_TEXT, given_name, 1),
	F(ra_poa_rep, "patronymic", "ФИО/@Отчество", POA_TEXT, patronymic, 0),
	F(ra_poa_rep, "birth_date", "@ДатаРожд", POA_DATE, birth_date, 1),
	F(ra_poa_rep, "inn", "@ИННФЛ", POA_INN12, inn, 1),
	F(ra_poa_rep, "snils", "@СНИЛС", POA_SNILS, snils, 1),
	END,
};

const struct poa_field poa_fields_doc[] = {
	F(ra_poa_id_doc, "kind", "@КодВидДок", POA_DOCKIND, kind, 1),
	F(ra_poa_id_doc, NULL, "@СерНомДок", POA_SERNUM, series, 1),
	F(ra_poa_id_doc, "series", NULL, POA_TEXT, series, 0),
	F(ra_poa_id_doc, "number", NULL, POA_TEXT, number, 1),
	F(ra_poa_id_doc, "issue_date", "@ДатаДок", POA_DATE, issue_date, 1),
	F(ra_poa_id_doc, "issuer", "@ВыдДок", POA_TEXT, issuer, 0),
	END,
};

const struct poa_field poa_fields_power[] = {
	F(ra_poa_power, "code", "@КодПолн", POA_TEXT, code, 0),
	F(ra_poa_power, "text", "@НаимПолн", POA_FREETEXT, text, 0),
	END,
};

/* 1 for the end row of a table. */
int
poa_field_end(const struct poa_field *f)
{
	return f->key == NULL && f->xml == NULL;
}

/* 1 if every byte of s[0..n-1] is an ASCII digit. */
static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* 1 if "YYYY-MM-DD" is a real calendar date in 1900..9999. */
int
ra_date_check(const char *s)
{
	int64_t days;

	return pechat_date_parse(s, 1900, &days) == 0;
}

/* Date "YYYY-MM-DD" or "DD.MM.YYYY" → "YYYY-MM-DD" in out (11 bytes). 0 or -1. */
static int
date_norm(const char *in, char *out)
{
	out[0] = '\0';
	if (strlen(in) != 10)
		return -1;
	if (in[2] == '.' && in[5] == '.')
		snprintf(out, RA_POA_DATE_LEN, "%.4s-%.2s-%.2s", in + 6, in + 3, in);
	else
		pechat_strlcpy(out, in, RA_POA_DATE_LEN);
	return ra_date_check(out) ? 0 : -1;
}

/* GUID 8-4-4-4-12 hex → lower-case in out (37 bytes). 0 or -1. */
static int
guid_norm(const char *in, char *out)
{
	size_t i;

	if (strlen(in) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		char c = in[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
		} else if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return -1;
		}
		out[i] = c;
	}
	out[36] = '\0';
	return 0;
}

/* 1 if s is non-empty UTF-8 without hidden code points (tab and breaks with free). */
static int
text_ok(const char *s, int free)
{
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	if (len == 0)
		return 0;
	while (i < len) {
		if ((n = pechat_utf8_decode((const unsigned char *)s + i, len - i, &cp)) == 0)
			return 0;
		if (pechat_unicode_is_hidden(cp) && !(free && (cp == '\t' || cp == '\n' || cp == '\r')))
			return 0;
		i += n;
	}
	return 1;
}

/* СерНомДок "45 12 345678": number after the last space, series before it without spaces. */
static int
sernum_split(const char *in, struct ra_poa_id_doc *doc)
{
	const char *sp = strrchr(in, ' ');
	size_t n = 0;
	const char *p;

	if (!text_ok(in, 0))
		return -1;
	if (pechat_strlcpy(doc->number, sp != NULL ? sp + 1 : in, sizeof(doc->number)) >=
	    sizeof(doc->number) || doc->number[0] == '\0')
		return -1;
	for (p = in; sp != NULL && p < sp; p++) {
		if (*p == ' ')
			continue;
		if (n + 1 >= sizeof(doc->series))
			return -1;
		doc->series[n++] = *p;
	}
	doc->series[n] = '\0';
	return 0;
}

/* The checker of one kind: 0 if value is good, with the normalised form in out (size bytes). */
static int
kind_check(enum poa_kind kind, const char *value, char *out, size_t size, const char **why)
{
	int ok = 0;

	*why = "is too long";
	if (strlen(value) >= size && kind != POA_SNILS && kind != POA_DATE)
		return -1;
	switch (kind) {
	case POA_TEXT: *why = "must be text without control characters"; ok = text_ok(value, 0); break;
	case POA_FREETEXT: *why = "must be text without control characters"; ok = text_ok(value, 1); break;
	case POA_GUID: *why = "must be a GUID (8-4-4-4-12 hex)"; return guid_norm(value, out);
	case POA_DATE: *why = "must be a real date YYYY-MM-DD"; return date_norm(value, out);
	case POA_INN10: *why = "must be a 10-digit INN with a valid check digit"; ok = pechat_inn10_check(value); break;
	case POA_INN12: *why = "must be a 12-digit INN with valid check digits"; ok = pechat_inn12_check(value); break;
	case POA_KPP: *why = "must be a KPP (4 digits, 2 of 0-9A-Z, 3 digits)"; ok = pechat_kpp_check(value); break;
	case POA_OGRN: *why = "must be a 13-digit OGRN with a valid check digit"; ok = pechat_ogrn_check(value); break;
	case POA_SNILS:
		*why = "must be a SNILS (999-999-999 99) with valid check digits";
		return pechat_snils_normalize(value, out, size) == 0 && pechat_snils_check(out) ? 0 : -1;
	case POA_DOCKIND: *why = "must be a 2-digit document kind code"; ok = strlen(value) == 2 && digits(value, 2); break;
	case POA_REDELEG: *why = "must be 1, 2 or 3"; ok = strlen(value) == 1 && value[0] >= '1' && value[0] <= '3'; break;
	case POA_SERNUM: break;
	}
	if (ok)
		pechat_strlcpy(out, value, size);
	return ok ? 0 : -1;
}

/* Checks value for field f and stores it, normalised, into the group struct at base. */
int
poa_field_set(const struct poa_field *f, void *base, const char *value, const char **why)
{
	char *out = (char *)base + f->off;

	if (f->kind == POA_SERNUM) {
		*why = "must be \"series number\" (the number after the last space)";
		return sernum_split(value, base);
	}
	if (kind_check(f->kind, value, out, f->size, why) == 0)
		return 0;
	out[0] = '\0';
	return -1;
}

/* Adds n years to "YYYY-MM-DD" into out (11 bytes): a plain comparison key. */
static void
date_plus_years(const char *d, int n, char *out)
{
	int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	int i;

	y = (y + n) % 10000;
	for (i = 3; i >= 0; i--, y /= 10)
		out[i] = (char)('0' + y % 10);
	memcpy(out + 4, d + 4, RA_POA_DATE_LEN - 4);
}

/* The identity document: kind-21 format, issued after birth (kind 21: at 14 or later). */
static int
doc_check(const struct ra_poa_rep *r, poa_report_fn report, void *arg)
{
	const struct ra_poa_id_doc *d = &r->doc;
	char at14[RA_POA_DATE_LEN];
	int n = 0;

	if (strcmp(d->kind, "21") == 0 &&
	    (strlen(d->series) != 4 || !digits(d->series, 4) || strlen(d->number) != 6 || !digits(d->number, 6))) {
		report(arg, "representative.identity_document.number", POA_X_REP "/УдЛичнФЛ/@СерНомДок",
		    "a passport (kind 21) has a 4-digit series and a 6-digit number");
		n++;
	}
	date_plus_years(r->birth_date, strcmp(d->kind, "21") == 0 ? 14 : 0, at14);
	if (d->issue_date[0] != '\0' && r->birth_date[0] != '\0' && strcmp(d->issue_date, at14) < 0) {
		report(arg, "representative.identity_document.issue_date", POA_X_REP "/УдЛичнФЛ/@ДатаДок",
		    "is before the birth date (passport: before the 14th birthday)");
		n++;
	}
	return n;
}

/* Each power needs a code or a text. */
static int
powers_check(const struct ra_poa *p, poa_report_fn report, void *arg)
{
	char key[32], xml[128];
	int i, n = 0;

	if (p->npowers == 0) {
		report(arg, "powers", POA_X_POWERS, "at least one power is required");
		return 1;
	}
	for (i = 0; i < p->npowers; i++) {
		if (p->powers[i].code[0] != '\0' || p->powers[i].text[0] != '\0')
			continue;
		snprintf(key, sizeof(key), "powers[%d]", i);
		snprintf(xml, sizeof(xml), "%s/МашПолн[%d]", POA_X_POWERS, i + 1);
		report(arg, key, xml, "needs a code or a text");
		n++;
	}
	return n;
}

/* The checks that need more than one field (poa_int.h). */
int
poa_cross_check(const struct ra_poa *p, poa_report_fn report, void *arg)
{
	int n = 0;

	if (p->issue_date[0] != '\0' && p->valid_until[0] != '\0' &&
	    strcmp(p->valid_until, p->issue_date) <= 0) {
		report(arg, "valid_until", POA_X_SVDOV "/@СрокДейст", "must be after the issue date");
		n++;
	}
	if (p->nheads == 0) {
		report(arg, "principal.heads", POA_X_ORG "/ЛицоБезДов", "at least one head is required");
		n++;
	}
	n += doc_check(&p->representative, report, arg);
	n += powers_check(p, report, arg);
	return n;
}

/* 1 if issue_date <= the UTC day of now <= valid_until. */
int
ra_poa_in_force(const struct ra_poa *poa, time_t now)
{
	char today[RA_POA_DATE_LEN];
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(today, sizeof(today), "%Y-%m-%d", &tm) != 10)
		return 0;
	return strcmp(poa->issue_date, today) <= 0 && strcmp(today, poa->valid_until) <= 0;
}

/* 1 if some power has exactly this code. */
int
ra_poa_grants(const struct ra_poa *poa, const char *code)
{
	int i;

	if (code == NULL || code[0] == '\0')
		return 0;
	for (i = 0; i < poa->npowers; i++)
		if (strcmp(poa->powers[i].code, code) == 0)
			return 1;
	return 0;
}
