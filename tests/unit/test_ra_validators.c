/*
 * Unit tests for the identifier checks (common/ids.c, used by ra/): every
 * valid and invalid example of docs/SUBJECTS.md "Identifier checks", plus wrong lengths, non-digits, empty and
 * NULL input, the legacy "00"+INN10 form, unchecked small SNILS numbers and
 * SNILS normalisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ra/ra.h"

static void
test_inn10(void **state)
{
	(void)state;
	/* docs/SUBJECTS.md vectors */
	assert_true(pechat_inn10_check("7707083893"));
	assert_true(pechat_inn10_check("7710474375"));
	assert_false(pechat_inn10_check("7707083894"));
	/* every other wrong check digit too */
	assert_false(pechat_inn10_check("7707083890"));
	assert_false(pechat_inn10_check("7707083899"));
	/* wrong lengths, non-digits, empty, NULL */
	assert_false(pechat_inn10_check("770708389"));
	assert_false(pechat_inn10_check("77070838930"));
	assert_false(pechat_inn10_check("500100732259"));
	assert_false(pechat_inn10_check("770708389A"));
	assert_false(pechat_inn10_check("77070 3893"));
	assert_false(pechat_inn10_check(" 7707083893"));
	assert_false(pechat_inn10_check("7707083893 "));
	assert_false(pechat_inn10_check("+707083893"));
	assert_false(pechat_inn10_check(""));
	assert_false(pechat_inn10_check(NULL));
}

static void
test_inn12(void **state)
{
	(void)state;
	assert_true(pechat_inn12_check("500100732259"));
	assert_false(pechat_inn12_check("500100732258"));
	/* c11 wrong, c12 recomputed or not: both refused */
	assert_false(pechat_inn12_check("500100732269"));
	assert_false(pechat_inn12_check("500100732249"));
	/* legacy "00"+INN10: refused even where both check digits happen to fit */
	assert_false(pechat_inn12_check("007707083893"));
	assert_false(pechat_inn12_check("007707083854"));
	/* wrong lengths, non-digits, empty, NULL */
	assert_false(pechat_inn12_check("7707083893"));
	assert_false(pechat_inn12_check("50010073225"));
	assert_false(pechat_inn12_check("5001007322590"));
	assert_false(pechat_inn12_check("50010073225X"));
	assert_false(pechat_inn12_check("5001-0732259"));
	assert_false(pechat_inn12_check(""));
	assert_false(pechat_inn12_check(NULL));
}

static void
test_inn_either(void **state)
{
	(void)state;
	assert_true(pechat_inn_check("7707083893"));
	assert_true(pechat_inn_check("7710474375"));
	assert_true(pechat_inn_check("500100732259"));
	assert_false(pechat_inn_check("7707083894"));
	assert_false(pechat_inn_check("500100732258"));
	assert_false(pechat_inn_check("007707083854"));
	assert_false(pechat_inn_check("77070838930"));  /* 11 digits */
	assert_false(pechat_inn_check("770708389"));
	assert_false(pechat_inn_check("7707O83893"));   /* letter O */
	assert_false(pechat_inn_check(""));
	assert_false(pechat_inn_check(NULL));
}

static void
test_snils(void **state)
{
	(void)state;
	/* docs/SUBJECTS.md vectors */
	assert_true(pechat_snils_check("11223344595"));
	assert_true(pechat_snils_check("08765430300"));
	assert_true(pechat_snils_check("00132667900"));
	assert_true(pechat_snils_check("01799617400"));
	assert_false(pechat_snils_check("11223344596"));
	/* each branch of the check: S < 100, S = 100, S = 101, S > 101, S mod 101 = 100 */
	assert_true(pechat_snils_check("00100200015"));
	assert_false(pechat_snils_check("00100200016"));
	assert_true(pechat_snils_check("00101998900"));
	assert_false(pechat_snils_check("00101998999"));
	assert_true(pechat_snils_check("00101999800"));
	assert_false(pechat_snils_check("00101999801"));
	assert_true(pechat_snils_check("00101999901"));
	assert_false(pechat_snils_check("00101999902"));
	assert_true(pechat_snils_check("90008799700"));
	/* numbers up to 001-001-998 are not checked; 001-001-999 is */
	assert_true(pechat_snils_check("00100199800"));
	assert_true(pechat_snils_check("00100199899"));
	assert_true(pechat_snils_check("00000000100"));
	assert_true(pechat_snils_check("00100199965"));
	assert_false(pechat_snils_check("00100199900"));
	/* wrong lengths, separators (check takes normalised input), non-digits */
	assert_false(pechat_snils_check("1122334459"));
	assert_false(pechat_snils_check("112233445950"));
	assert_false(pechat_snils_check("112-233-445 95"));
	assert_false(pechat_snils_check("1122334459a"));
	assert_false(pechat_snils_check(""));
	assert_false(pechat_snils_check(NULL));
}

static void
test_snils_normalize(void **state)
{
	char out[12], big[32], small[11];

	(void)state;
	assert_int_equal(pechat_snils_normalize("112-233-445 95", out, sizeof(out)), 0);
	assert_string_equal(out, "11223344595");
	assert_true(pechat_snils_check(out));
	assert_int_equal(pechat_snils_normalize("11223344595", big, sizeof(big)), 0);
	assert_string_equal(big, "11223344595");
	assert_int_equal(pechat_snils_normalize("087 654 303 00", out, sizeof(out)), 0);
	assert_string_equal(out, "08765430300");
	assert_int_equal(pechat_snils_normalize("112 - 233 - 445  95", out, sizeof(out)), 0);
	assert_string_equal(out, "11223344595");
	/* the check digits are not judged here */
	assert_int_equal(pechat_snils_normalize("112-233-445 96", out, sizeof(out)), 0);
	assert_string_equal(out, "11223344596");
	assert_false(pechat_snils_check(out));

	/* refused: wrong digit count, other characters, leading/trailing separators */
	assert_int_equal(pechat_snils_normalize("112-233-445 9", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(pechat_snils_normalize("112-233-445 955", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(pechat_snils_normalize("112.233.445 95", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("112-233-445\t95", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("112-233-445 9X", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize(" 112-233-445 95", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("112-233-445 95 ", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("-11223344595", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("", out, sizeof(out)), -1);
	assert_int_equal(pechat_snils_normalize("  -- ", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	/* bad arguments */
	assert_int_equal(pechat_snils_normalize(NULL, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(pechat_snils_normalize("11223344595", NULL, 12), -1);
	memset(small, 'x', sizeof(small));
	assert_int_equal(pechat_snils_normalize("11223344595", small, sizeof(small)), -1);
	assert_int_equal(small[0], '\0');
	assert_int_equal(pechat_snils_normalize("11223344595", out, 0), -1);
}

static void
test_ogrn(void **state)
{
	(void)state;
	assert_true(pechat_ogrn_check("1027700132195"));
	assert_true(pechat_ogrn_check("1117746358608"));
	assert_false(pechat_ogrn_check("1027700132196"));
	/* the 12-digit prefix exceeds 32 bits: no overflow */
	assert_true(pechat_ogrn_check("9999999999990"));
	assert_false(pechat_ogrn_check("9999999999991"));
	assert_false(pechat_ogrn_check("102770013219"));
	assert_false(pechat_ogrn_check("10277001321950"));
	assert_false(pechat_ogrn_check("304500116000157"));
	assert_false(pechat_ogrn_check("102770013219A"));
	assert_false(pechat_ogrn_check("1027700-32195"));
	assert_false(pechat_ogrn_check(""));
	assert_false(pechat_ogrn_check(NULL));
}

static void
test_ogrnip(void **state)
{
	(void)state;
	assert_true(pechat_ogrnip_check("304500116000157"));
	assert_false(pechat_ogrnip_check("304500116000158"));
	/* the 14-digit prefix exceeds 32 bits: no overflow */
	assert_true(pechat_ogrnip_check("999999999999998"));
	assert_false(pechat_ogrnip_check("999999999999999"));
	assert_false(pechat_ogrnip_check("1027700132195"));
	assert_false(pechat_ogrnip_check("30450011600015"));
	assert_false(pechat_ogrnip_check("3045001160001570"));
	assert_false(pechat_ogrnip_check("30450011600015 "));
	assert_false(pechat_ogrnip_check("30450011600015x"));
	assert_false(pechat_ogrnip_check(""));
	assert_false(pechat_ogrnip_check(NULL));
}

static void
test_kpp(void **state)
{
	(void)state;
	assert_true(pechat_kpp_check("773601001"));
	assert_true(pechat_kpp_check("7736AZ001"));
	assert_true(pechat_kpp_check("77360Z001"));
	assert_false(pechat_kpp_check("7736az001"));   /* lower case */
	assert_false(pechat_kpp_check("773A01001"));   /* letter among the first 4 */
	assert_false(pechat_kpp_check("77360100A"));   /* letter among the last 3 */
	assert_false(pechat_kpp_check("7736-1001"));
	assert_false(pechat_kpp_check("77360100"));
	assert_false(pechat_kpp_check("7736010011"));
	assert_false(pechat_kpp_check(""));
	assert_false(pechat_kpp_check(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inn10),
		cmocka_unit_test(test_inn12),
		cmocka_unit_test(test_inn_either),
		cmocka_unit_test(test_snils),
		cmocka_unit_test(test_snils_normalize),
		cmocka_unit_test(test_ogrn),
		cmocka_unit_test(test_ogrnip),
		cmocka_unit_test(test_kpp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
