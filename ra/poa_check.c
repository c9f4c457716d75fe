/*
 * ra/poa_check.c — the checks a stored power of attorney passes before a
 * representative of an organisation gets a certificate on its strength
 * (docs/REGISTRATION.md, "Legal-entity requests"), and the name
 * normalisation they compare names with. Pure functions: the caller
 * (ra/legal.c) reads the store.
 */
#include "ra/poa.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Lower case of Latin and Cyrillic capitals; "ё" (after folding) reads as "е". */
static uint32_t
fold(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		cp += 0x20;
	else if (cp >= 0x0410 && cp <= 0x042f)  /* А..Я */
		cp += 0x20;
	else if (cp >= 0x0400 && cp <= 0x040f)  /* Ѐ..Џ, Ё among them */
		cp += 0x50;
	return cp == 0x0451 ? 0x0435 : cp;
}

/* White space inside a name: space, tab, no-break space. */
static int
is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == 0xa0;
}

/* Appends cp as UTF-8 at out[*n] (the caller keeps 5 bytes free). */
static void
put_utf8(char *out, size_t *n, uint32_t cp)
{
	unsigned char *o = (unsigned char *)out + *n;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		*n += 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		*n += 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		*n += 3;
	} else {
		o[0] = (unsigned char)(0xf0 | (cp >> 18));
		o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (unsigned char)(0x80 | (cp & 0x3f));
		*n += 4;
	}
}

int
ra_name_normalize(const char *in, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t len = strlen(in), i = 0, n = 0, step;
	int pending_space = 0;
	uint32_t cp;

	if (outsz == 0)
		return -1;
	while (i < len) {
		if ((step = pechat_utf8_decode(p + i, len - i, &cp)) == 0)
			return -1;
		i += step;
		if (is_space(cp)) {
			pending_space = n > 0;
			continue;
		}
		if (n + (pending_space ? 1 : 0) + 4 >= outsz)
			return -1;
		if (pending_space)
			out[n++] = ' ';
		pending_space = 0;
		put_utf8(out, &n, fold(cp));
	}
	out[n] = '\0';
	return 0;
}

int
ra_names_equal(const char *a, const char *b)
{
	char na[1024], nb[1024];

	if (ra_name_normalize(a != NULL ? a : "", na, sizeof(na)) != 0 ||
	    ra_name_normalize(b != NULL ? b : "", nb, sizeof(nb)) != 0)
		return 0;
	return strcmp(na, nb) == 0;
}

/* v, or "" for NULL. */
static const char *
str(const char *v)
{
	return v != NULL ? v : "";
}

/* 1 if the registry person p has the same surname, given name and patronymic as POA names s, g, pt. */
static int
same_name(const struct ra_poa_person *p, const char *s, const char *g, const char *pt)
{
	return ra_names_equal(p->surname, s) && ra_names_equal(p->given_name, g) &&
	    ra_names_equal(p->patronymic, pt);
}

/* The representative named in the POA is the applicant: SNILS, INN, names. NULL or what differs. */
static const char *
representative_differs(const struct ra_poa_rep *r, const struct ra_poa_person *p)
{
	if (strcmp(r->snils, str(p->snils)) != 0)
		return "SNILS";
	if (strcmp(r->inn, str(p->inn)) != 0)
		return str(p->inn)[0] == '\0' ? "INN (the registry has none for the applicant)" : "INN";
	if (!same_name(p, r->surname, r->given_name, r->patronymic))
		return "name";
	return NULL;
}

/* 1 if POA head h is one of the organisation's current heads (SNILS and names; INN when both have one). */
static int
head_known(const struct ra_poa_head *h, const struct ra_poa_check_input *in)
{
	int i;

	for (i = 0; i < in->nheads && i < RA_POA_CHECK_HEADS; i++) {
		const struct ra_poa_person *p = &in->heads[i];
		if (strcmp(h->snils, str(p->snils)) != 0 || !same_name(p, h->surname, h->given_name, h->patronymic))
			continue;
		if (h->inn[0] != '\0' && str(p->inn)[0] != '\0' && strcmp(h->inn, p->inn) != 0)
			continue;
		return 1;
	}
	return 0;
}

/* The dates and revocation: poa_not_revoked, poa_in_force. */
static enum pechat_err
check_standing(const struct ra_poa_check_input *in, ra_poa_check_fn record, void *arg, struct pechat_error *e)
{
	const struct ra_poa *p = in->poa;
	char today[RA_POA_DATE_LEN], detail[160];
	struct tm tm;

	if (in->revoked)
		return pechat_fail(e, PECHAT_E_POLICY, "poa_revoked",
		    "power of attorney %s is revoked", p->number);
	record(arg, "poa_not_revoked", "no revocation on record");
	if (ra_poa_in_force(p, in->now)) {
		snprintf(detail, sizeof(detail), "in force: %s to %s", p->issue_date, p->valid_until);
		record(arg, "poa_in_force", detail);
		return PECHAT_OK;
	}
	if (gmtime_r(&in->now, &tm) != NULL && strftime(today, sizeof(today), "%Y-%m-%d", &tm) == 10 &&
	    strcmp(today, p->issue_date) < 0)
		return pechat_fail(e, PECHAT_E_POLICY, "poa_not_yet_valid",
		    "power of attorney %s is valid from %s only", p->number, p->issue_date);
	return pechat_fail(e, PECHAT_E_POLICY, "poa_expired",
	    "power of attorney %s expired on %s", p->number, p->valid_until);
}

enum pechat_err
ra_poa_check(const struct ra_poa_check_input *in, ra_poa_check_fn record, void *arg, struct pechat_error *e)
{
	const struct ra_poa *p = in->poa;
	const char *what;
	char detail[160];
	enum pechat_err err;
	int i;

	if (!in->principal_is_org || strcmp(p->principal.innle, str(in->org_innle)) != 0 ||
	    strcmp(p->principal.kpp, str(in->org_kpp)) != 0)
		return pechat_fail(e, PECHAT_E_POLICY, "poa_principal_mismatch",
		    "power of attorney %s was not given by this organisation (INNLE %s, KPP %s)", p->number,
		    str(in->org_innle), str(in->org_kpp));
	snprintf(detail, sizeof(detail), "principal INNLE %s, KPP %s", p->principal.innle, p->principal.kpp);
	record(arg, "poa_principal", detail);
	if ((err = check_standing(in, record, arg, e)) != PECHAT_OK)
		return err;
	if ((what = representative_differs(&p->representative, &in->representative)) != NULL)
		return pechat_fail(e, PECHAT_E_POLICY, "poa_representative_mismatch",
		    "the representative of power of attorney %s is not the applicant: the %s differs", p->number, what);
	record(arg, "poa_representative", "SNILS, INN and name equal the applicant's");
	if (str(in->requires_power)[0] != '\0') {
		if (!ra_poa_grants(p, in->requires_power))
			return pechat_fail(e, PECHAT_E_POLICY, "poa_power_missing",
			    "power of attorney %s does not grant power %s, which the profile requires", p->number,
			    in->requires_power);
		snprintf(detail, sizeof(detail), "grants power %s", in->requires_power);
		record(arg, "poa_power", detail);
	}
	for (i = 0; i < p->nheads; i++)
		if (!head_known(&p->heads[i], in))
			return pechat_fail(e, PECHAT_E_POLICY, "poa_head_mismatch",
			    "head %d named in power of attorney %s is not a current head of the organisation", i + 1,
			    p->number);
	snprintf(detail, sizeof(detail), "the %d head(s) named are current heads of the organisation", p->nheads);
	record(arg, "poa_head", detail);
	return PECHAT_OK;
}
