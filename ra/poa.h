/*
 * ra/poa.h — the power-of-attorney model (docs/REGISTRATION.md, "Powers of
 * attorney") and its two entries: the FNS machine-readable XML (EMCHD_1,
 * ra/poa_xml.c, libxml2) and a JSON object (ra/poa_json.c, jansson).
 * Both fill the same struct through one field table (ra/poa.c), so a value
 * is validated and normalised the same way whichever way it came in.
 * Everything is fixed-size: no allocation to free, nothing truncated (a
 * value longer than its buffer is an error, never cut).
 */
#ifndef PECHAT_RA_POA_H
#define PECHAT_RA_POA_H

#include <stddef.h>
#include <time.h>

#include "common/common.h"

#define RA_POA_MAX_HEADS 4          /* heads of the principal acting without a POA */
#define RA_POA_MAX_POWERS 16        /* powers (codes and/or free text) */
#define RA_POA_XML_MAX (256 * 1024) /* bytes of XML accepted */
#define RA_POA_XML_MAX_DEPTH 32     /* element nesting accepted */
#define RA_POA_DATE_LEN 11          /* "YYYY-MM-DD" + NUL */

/* A head of the principal organisation acting without a power of attorney. */
struct ra_poa_head {
	char surname[128];
	char given_name[128];
	char patronymic[128];   /* "" when absent */
	char snils[12];         /* 11 digits, normalised */
	char inn[13];           /* person INN, 12 digits */
	char title[512];
};

/* The representative's identity document (kind 21: passport of the RF). */
struct ra_poa_id_doc {
	char kind[3];           /* 2-digit document kind code */
	char series[16];        /* kind 21: 4 digits */
	char number[32];        /* kind 21: 6 digits */
	char issue_date[RA_POA_DATE_LEN];
	char issuer[512];
};

/* The representative (a person). */
struct ra_poa_rep {
	char surname[128];
	char given_name[128];
	char patronymic[128];
	char birth_date[RA_POA_DATE_LEN];
	char inn[13];
	char snils[12];
	struct ra_poa_id_doc doc;
};

/* The principal organisation. */
struct ra_poa_org {
	char name[1024];
	char innle[11];
	char kpp[10];
	char ogrn[14];
};

/* One power: a classifier code, a text, or both (at least one). */
struct ra_poa_power {
	char code[64];
	char text[2048];
};

/* A power of attorney as an RA keeps it (about 32 KiB: keep it off small stacks). */
struct ra_poa {
	char number[37];          /* registration number: lower-case GUID */
	char internal_number[64]; /* "" when absent */
	char issue_date[RA_POA_DATE_LEN];
	char valid_until[RA_POA_DATE_LEN];
	char redelegation[2];     /* ПрПередов: "1", "2" or "3" */
	struct ra_poa_org principal;
	int nheads;
	struct ra_poa_head heads[RA_POA_MAX_HEADS];
	struct ra_poa_rep representative;
	int npowers;
	struct ra_poa_power powers[RA_POA_MAX_POWERS];
};

/* The linked libxml2 version ("2.9.14"), for --version. */
const char *ra_libxml2_version(void);

/*
 * Parses an EMCHD_1 document from memory into *out (zeroed first). Refuses
 * anything over RA_POA_XML_MAX bytes ("poa_too_large"), any DOCTYPE, entity
 * declarations, external resources and nesting past RA_POA_XML_MAX_DEPTH
 * ("poa_invalid"), another root, namespace or ВерсФорм
 * ("poa_format_unsupported"), and a missing or invalid field ("poa_invalid",
 * detail "<element path>/@<attribute>: <why>"). libxml2 prints nothing.
 */
enum pechat_err ra_poa_from_xml(const char *xml, size_t len, struct ra_poa *out,
    struct pechat_error *e);

/*
 * Fills *out (zeroed first) from a JSON object (a json_t *, borrowed;
 * declared here so that this header needs no jansson.h). Every bad, missing or unknown
 * member is one field error ("principal.heads[0].snils"), all at once:
 * PECHAT_E_INVALID "poa_invalid".
 */
struct json_t;
enum pechat_err ra_poa_from_json(const struct json_t *json, struct ra_poa *out, struct pechat_error *e);

/*
 * 1 if the POA is in force on the UTC day of `now`: issue_date <= today <=
 * valid_until. Revocation is the store's business, not this function's.
 */
int ra_poa_in_force(const struct ra_poa *poa, time_t now);

/* 1 if some power of the POA has exactly this classifier code. */
int ra_poa_grants(const struct ra_poa *poa, const char *code);

/* ------------------------------------------------- checks on a request */
/*
 * docs/REGISTRATION.md, "Legal-entity requests" (ra/poa_check.c). Names are
 * compared after normalisation: Latin and Cyrillic letters case-folded,
 * "ё" read as "е", runs of white space (space, tab, no-break space) made
 * one space, none at either end. out gets the normalised UTF-8; 0, or -1
 * for invalid UTF-8 or an out too small.
 */
int ra_name_normalize(const char *in, char *out, size_t outsz);
/* 1 if a and b (NULL = "") are equal after ra_name_normalize, else 0. */
int ra_names_equal(const char *a, const char *b);

#define RA_POA_CHECK_HEADS 8        /* the organisation's heads compared (DB_SUBJECT_HEADS) */

/* A person as the registry has it (borrowed; NULL or "" when absent). */
struct ra_poa_person {
	const char *surname, *given_name, *patronymic, *snils, *inn;
};

/* What a stored POA is checked against on a request (everything borrowed). */
struct ra_poa_check_input {
	const struct ra_poa *poa;       /* the POA as parsed from its kept original */
	int revoked;                    /* a revocation is on record */
	time_t now;
	int principal_is_org;           /* the POA was imported for this organisation */
	const char *org_innle, *org_kpp;        /* the organisation's current version */
	struct ra_poa_person representative;    /* the applicant's verified version */
	int nheads;
	struct ra_poa_person heads[RA_POA_CHECK_HEADS]; /* the organisation's current heads */
	const char *requires_power;     /* the profile's power code; NULL/"": none */
};

/* Receives each check that passed (name, detail), in order. */
typedef void (*ra_poa_check_fn)(void *arg, const char *name, const char *detail);

/*
 * The power-of-attorney checks of a request, in order, each reported to
 * record when it passes: poa_principal (imported for this organisation,
 * INNLE and KPP equal), poa_not_revoked, poa_in_force (issue_date <= today
 * (UTC) <= valid_until), poa_representative (SNILS and INN equal, surname,
 * given name and patronymic equal after ra_name_normalize), poa_power (the
 * required power code is granted; only when one is required), poa_head
 * (every head named in the POA is a current head of the organisation: SNILS
 * equal, names equal after normalisation). The first failure stops:
 * PECHAT_E_POLICY with "poa_principal_mismatch", "poa_revoked",
 * "poa_not_yet_valid", "poa_expired", "poa_representative_mismatch",
 * "poa_power_missing" or "poa_head_mismatch".
 */
enum pechat_err ra_poa_check(const struct ra_poa_check_input *in, ra_poa_check_fn record, void *arg,
    struct pechat_error *e);

/* 1 if s is a real calendar date "YYYY-MM-DD" (years 1900..9999). */
int ra_date_check(const char *s);

#endif
