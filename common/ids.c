/*
 * common/ids.c — check digits of Russian identifiers (docs/SUBJECTS.md,
 * "Identifier checks"): INN (10 and 12 digits), SNILS, OGRN, OGRNIP, KPP,
 * and SNILS normalisation. Pure functions: no allocation, no logging, no
 * locale (only ASCII '0'..'9' count as digits). Shared by ra/ (requests,
 * registry) and ca/ (the linter, ca/lint_qualified.c).
 */
#include <string.h>

#include "common/ids.h"

#define DIGITS "0123456789"
#define DIGITS_UPPER "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* 1 if s is exactly n ASCII digits followed by NUL; 0 otherwise (NULL-safe). */
static int
is_digits(const char *s, size_t n)
{
	return s != NULL && strspn(s, DIGITS) == n && s[n] == '\0';
}

/* Value of the ASCII digit c (caller has checked that c is a digit). */
static unsigned
dval(char c)
{
	return (unsigned)(c - '0');
}

/* Σ s[i]·w[i] for i < n, over digits already checked by is_digits(). */
static unsigned
weighted_sum(const char *s, const unsigned *w, size_t n)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += dval(s[i]) * w[i];
	return sum;
}

/* int(s[0..n-1]) mod m, computed digit by digit so that no width limit applies. */
static unsigned
digits_mod(const char *s, size_t n, unsigned m)
{
	unsigned r = 0;
	size_t i;

	for (i = 0; i < n; i++)
		r = (r * 10 + dval(s[i])) % m;
	return r;
}

/* INN of a legal entity: 10 digits, weights 2,4,10,3,5,9,4,6,8; sum mod 11 mod 10 = d10. */
int
pechat_inn10_check(const char *inn)
{
	static const unsigned w[9] = { 2, 4, 10, 3, 5, 9, 4, 6, 8 };

	if (!is_digits(inn, 10))
		return 0;
	return weighted_sum(inn, w, 9) % 11 % 10 == dval(inn[9]);
}

/*
 * INN of a person: 12 digits, c11 over d1..d10 and c12 over d1..d11 (weights
 * in docs/SUBJECTS.md), each mod 11 mod 10. The legacy "00"+INN10 form (region code
 * 00 does not exist) is refused: it may be read from old certificates, never issued.
 */
int
pechat_inn12_check(const char *inn)
{
	static const unsigned w11[10] = { 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
	static const unsigned w12[11] = { 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };

	if (!is_digits(inn, 12))
		return 0;
	if (inn[0] == '0' && inn[1] == '0')
		return 0;
	if (weighted_sum(inn, w11, 10) % 11 % 10 != dval(inn[10]))
		return 0;
	return weighted_sum(inn, w12, 11) % 11 % 10 == dval(inn[11]);
}

/* Either INN form: 10 digits (legal entity) or 12 digits (person); 1 if valid. */
int
pechat_inn_check(const char *inn)
{
	if (inn == NULL)
		return 0;
	switch (strlen(inn)) {
	case 10:
		return pechat_inn10_check(inn);
	case 12:
		return pechat_inn12_check(inn);
	default:
		return 0;
	}
}

/*
 * SNILS: 11 digits, 9 + 2 check digits. S = Σ d_i·(10−i), i = 1..9; check =
 * S if S < 100, 00 if S is 100 or 101, else S mod 101 (100 → 00). Numbers up
 * to 001-001-998 are issued without a check and are accepted as they are.
 */
int
pechat_snils_check(const char *snils)
{
	static const unsigned w[9] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	unsigned s, check, number = 0;
	size_t i;

	if (!is_digits(snils, 11))
		return 0;
	for (i = 0; i < 9; i++)
		number = number * 10 + dval(snils[i]);
	if (number <= 1001998)
		return 1;
	s = weighted_sum(snils, w, 9);
	if (s < 100)
		check = s;
	else if (s == 100 || s == 101)
		check = 0;
	else
		check = s % 101 == 100 ? 0 : s % 101;
	return check == dval(snils[9]) * 10 + dval(snils[10]);
}

/* OGRN: 13 digits, int(d1..d12) mod 11 mod 10 = d13. */
int
pechat_ogrn_check(const char *ogrn)
{
	if (!is_digits(ogrn, 13))
		return 0;
	return digits_mod(ogrn, 12, 11) % 10 == dval(ogrn[12]);
}

/* OGRNIP (sole proprietor): 15 digits, int(d1..d14) mod 13 mod 10 = d15. */
int
pechat_ogrnip_check(const char *ogrnip)
{
	if (!is_digits(ogrnip, 15))
		return 0;
	return digits_mod(ogrnip, 14, 13) % 10 == dval(ogrnip[14]);
}

/* KPP: exactly 9 characters, 4 digits, 2 of [0-9A-Z], 3 digits; no check digit. */
int
pechat_kpp_check(const char *kpp)
{
	if (kpp == NULL || strlen(kpp) != 9)
		return 0;
	return strspn(kpp, DIGITS) >= 4 &&
	    strspn(kpp + 4, DIGITS_UPPER) >= 2 &&
	    is_digits(kpp + 6, 3);
}

/*
 * Copies the digits of a SNILS such as "112-233-445 95" into out (>= 12
 * bytes). Runs of spaces and hyphens are allowed only between digits;
 * anything else, or a result that is not exactly 11 digits, gives -1 and an
 * empty out (when outsz > 0). 0 on success. The check digits are not checked.
 */
int
pechat_snils_normalize(const char *in, char *out, size_t outsz)
{
	size_t n = 0;
	const char *p;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (in == NULL || out == NULL || outsz < 12)
		return -1;
	for (p = in; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 11)
				goto fail;
			out[n++] = *p;
		} else if (*p == ' ' || *p == '-') {
			/* a separator needs a digit on both sides */
			if (n == 0 || p[strspn(p, " -")] == '\0')
				goto fail;
		} else {
			goto fail;
		}
	}
	if (n != 11)
		goto fail;
	out[n] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}
