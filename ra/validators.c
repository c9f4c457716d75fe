/*
 * ra/validators.c — the ra_* identifier checks of ra/ra.h: the checks
 * themselves live in common/ids.c (ca/'s linter uses them too).
 */
#include "common/ids.h"
#include "ra/ra.h"

int
ra_inn_check(const char *inn)
{
	return pechat_inn_check(inn);
}

int
ra_inn10_check(const char *inn)
{
	return pechat_inn10_check(inn);
}

int
ra_inn12_check(const char *inn)
{
	return pechat_inn12_check(inn);
}

int
ra_snils_check(const char *snils)
{
	return pechat_snils_check(snils);
}

int
ra_ogrn_check(const char *ogrn)
{
	return pechat_ogrn_check(ogrn);
}

int
ra_ogrnip_check(const char *ogrnip)
{
	return pechat_ogrnip_check(ogrnip);
}

int
ra_kpp_check(const char *kpp)
{
	return pechat_kpp_check(kpp);
}

int
ra_snils_normalize(const char *in, char *out, size_t outsz)
{
	return pechat_snils_normalize(in, out, outsz);
}
