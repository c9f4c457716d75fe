/*
 * ra/poa_int.h — what ra/poa.c shares with the XML and JSON entries: the
 * field tables (one row per field: JSON key, XML path relative to the
 * group's element, kind, place in the struct) and the cross-field checks.
 */
#ifndef PECHAT_RA_POA_INT_H
#define PECHAT_RA_POA_INT_H

#include <stddef.h>

#include "ra/poa.h"

/* How a value is checked and normalised. */
enum poa_kind {
	POA_TEXT,      /* 1.. bytes, no control or format characters */
	POA_FREETEXT,  /* as POA_TEXT, but tab and line breaks allowed */
	POA_GUID,      /* 8-4-4-4-12 hex, stored lower-case */
	POA_DATE,      /* YYYY-MM-DD or DD.MM.YYYY, stored YYYY-MM-DD */
	POA_INN10,
	POA_INN12,
	POA_KPP,
	POA_OGRN,
	POA_SNILS,     /* "999-999-999 99" or 11 digits, stored as 11 digits */
	POA_DOCKIND,   /* 2 digits */
	POA_REDELEG,   /* "1", "2" or "3" */
	POA_SERNUM,    /* XML СерНомДок: "series number" split at the last space */
};

/* One field. key NULL: XML only; xml NULL: JSON only. */
struct poa_field {
	const char *key;
	const char *xml;   /* "@attr", "Elem/@attr", or "." (the element's text) */
	enum poa_kind kind;
	size_t off;
	size_t size;
	int required;
};

/* The groups, each ending with a row whose kind is 0 and key and xml NULL. */
extern const struct poa_field poa_fields_top[];   /* struct ra_poa, СвДов */
extern const struct poa_field poa_fields_org[];   /* struct ra_poa_org, СвРосОрг */
extern const struct poa_field poa_fields_head[];  /* struct ra_poa_head, СвФЛ */
extern const struct poa_field poa_fields_rep[];   /* struct ra_poa_rep, СведФизЛ */
extern const struct poa_field poa_fields_doc[];   /* struct ra_poa_id_doc, УдЛичнФЛ */
extern const struct poa_field poa_fields_power[]; /* struct ra_poa_power, МашПолн */

/* 1 for the end row of a table. */
int poa_field_end(const struct poa_field *f);

/*
 * Checks value for field f and stores it, normalised, in the group struct at
 * base. 0, or -1 with *why set to a short static reason ("not a date ...").
 */
int poa_field_set(const struct poa_field *f, void *base, const char *value, const char **why);

/*
 * A complaint of the cross-field checks: key is the JSON field name, xml the
 * element path from the root (as in docs/REGISTRATION.md), why the reason.
 */
typedef void (*poa_report_fn)(void *arg, const char *key, const char *xml, const char *why);

/*
 * The checks that need more than one field: valid_until after issue_date,
 * at least one head and one power, each power with a code or text, the
 * identity document's format by kind and its issue date against the birth
 * date. Calls report for each failure; returns how many there were.
 */
int poa_cross_check(const struct ra_poa *p, poa_report_fn report, void *arg);

/* Element paths of the XML layout, from the root. */
#define POA_X_ROOT "Доверенность"
#define POA_X_DOVER POA_X_ROOT "/Документ/Довер"
#define POA_X_SVDOV POA_X_DOVER "/СвДов"
#define POA_X_ORG POA_X_DOVER "/СвДоверит/Доверит/РосОргДовер"
#define POA_X_REP POA_X_DOVER "/СвУпПред/Пред/СведФизЛ"
#define POA_X_POWERS POA_X_DOVER "/СвПолн"
#define POA_NS "urn://x-artefacts/EMCHD_1"
#define POA_FORMAT "EMCHD_1"

#endif
