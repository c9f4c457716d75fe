/*
 * tests/fuzz/fuzz_poa_xml.c — ra_poa_from_xml (ra/poa_xml.c): EMCHD_1
 * powers of attorney uploaded by officers, parsed with libxml2.
 * Invariants:
 *   - a refusal has one of the documented codes (poa_invalid,
 *     poa_format_unsupported, poa_too_large) and leaves the struct zeroed;
 *   - an accepted POA satisfies what the docs promise of it: lower-case
 *     GUID, real dates with valid_until after issue_date, 1..4 heads and
 *     1..16 powers each with a code or a text, INN/SNILS/OGRN/KPP that pass
 *     ra/validators.c (SNILS normalised to 11 digits), a 2-digit document kind;
 *   - libxml2 never writes to stderr (not checked here: test_ra_poa does).
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "ra/poa.h"
#include "ra/ra.h"

static struct ra_poa poa, zero;

/* The invariants of an accepted POA. */
static void
check_accepted(const struct ra_poa *p)
{
	int i;

	FUZZ_CHECK(strlen(p->number) == 36 && strspn(p->number, "0123456789abcdef-") == 36);
	FUZZ_CHECK(ra_date_check(p->issue_date) && ra_date_check(p->valid_until));
	FUZZ_CHECK(strcmp(p->issue_date, p->valid_until) < 0);
	FUZZ_CHECK(strlen(p->redelegation) == 1);
	FUZZ_CHECK(pechat_inn10_check(p->principal.innle) && pechat_kpp_check(p->principal.kpp));
	FUZZ_CHECK(pechat_ogrn_check(p->principal.ogrn) && p->principal.name[0] != '\0');
	FUZZ_CHECK(p->nheads >= 1 && p->nheads <= RA_POA_MAX_HEADS);
	for (i = 0; i < p->nheads; i++) {
		FUZZ_CHECK(pechat_snils_check(p->heads[i].snils));
		FUZZ_CHECK(p->heads[i].inn[0] == '\0' || pechat_inn12_check(p->heads[i].inn));
		FUZZ_CHECK(p->heads[i].surname[0] != '\0' && p->heads[i].title[0] != '\0');
	}
	FUZZ_CHECK(pechat_snils_check(p->representative.snils) && pechat_inn12_check(p->representative.inn));
	FUZZ_CHECK(ra_date_check(p->representative.birth_date));
	FUZZ_CHECK(strlen(p->representative.doc.kind) == 2 && p->representative.doc.number[0] != '\0');
	FUZZ_CHECK(p->npowers >= 1 && p->npowers <= RA_POA_MAX_POWERS);
	for (i = 0; i < p->npowers; i++)
		FUZZ_CHECK(p->powers[i].code[0] != '\0' || p->powers[i].text[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pechat_error e;
	enum pechat_err rc;

	memset(&poa, 0xA5, sizeof(poa)); /* the parser must zero it */
	rc = ra_poa_from_xml((const char *)data, size, &poa, &e);
	FUZZ_CHECK(rc == e.err);
	if (rc == PECHAT_OK) {
		check_accepted(&poa);
		return 0;
	}
	FUZZ_CHECK(strcmp(e.code, "poa_invalid") == 0 || strcmp(e.code, "poa_format_unsupported") == 0 ||
	    strcmp(e.code, "poa_too_large") == 0);
	FUZZ_CHECK(rc == (strcmp(e.code, "poa_too_large") == 0 ? PECHAT_E_TOO_LARGE : PECHAT_E_INVALID));
	FUZZ_CHECK(memchr(e.detail, '\0', sizeof(e.detail)) != NULL && e.detail[0] != '\0');
	FUZZ_CHECK(memcmp(&poa, &zero, sizeof(poa)) == 0);
	return 0;
}
