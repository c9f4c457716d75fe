/*
 * Unit tests of the GOST parameter sets (issue 9 item 3): the name table of
 * common/profile.c (names <-> flags <-> OpenSSL NIDs <-> sizes <->
 * gost-engine names) and the config keys issuer "gost_paramset" and profile
 * "gost_paramsets" (defaults, and every refusal naming path and rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/obj_mac.h>

#include "config/config.h"
#include "config_test.h"

static void
test_name_table(void **state)
{
	static const struct { const char *name; unsigned flag; int nid, keyalg; const char *engine; } rows[] = {
		{ "tc26-256-a", PECHAT_GOST_TC26_256_A, NID_id_tc26_gost_3410_2012_256_paramSetA,
		  PECHAT_KEYALG_GOST2012_256, "TCA" },
		{ "tc26-256-b", PECHAT_GOST_TC26_256_B, NID_id_tc26_gost_3410_2012_256_paramSetB,
		  PECHAT_KEYALG_GOST2012_256, "TCB" },
		{ "tc26-256-c", PECHAT_GOST_TC26_256_C, NID_id_tc26_gost_3410_2012_256_paramSetC,
		  PECHAT_KEYALG_GOST2012_256, "TCC" },
		{ "tc26-256-d", PECHAT_GOST_TC26_256_D, NID_id_tc26_gost_3410_2012_256_paramSetD,
		  PECHAT_KEYALG_GOST2012_256, "TCD" },
		{ "cryptopro-a", PECHAT_GOST_CP_A, NID_id_GostR3410_2001_CryptoPro_A_ParamSet, PECHAT_KEYALG_GOST2012_256,
		  "A" },
		{ "cryptopro-b", PECHAT_GOST_CP_B, NID_id_GostR3410_2001_CryptoPro_B_ParamSet, PECHAT_KEYALG_GOST2012_256,
		  "B" },
		{ "cryptopro-c", PECHAT_GOST_CP_C, NID_id_GostR3410_2001_CryptoPro_C_ParamSet, PECHAT_KEYALG_GOST2012_256,
		  "C" },
		{ "cryptopro-xcha", PECHAT_GOST_CP_XCHA, NID_id_GostR3410_2001_CryptoPro_XchA_ParamSet,
		  PECHAT_KEYALG_GOST2012_256, "XA" },
		{ "cryptopro-xchb", PECHAT_GOST_CP_XCHB, NID_id_GostR3410_2001_CryptoPro_XchB_ParamSet,
		  PECHAT_KEYALG_GOST2012_256, "XB" },
		{ "tc26-512-a", PECHAT_GOST_TC26_512_A, NID_id_tc26_gost_3410_2012_512_paramSetA,
		  PECHAT_KEYALG_GOST2012_512, "A" },
		{ "tc26-512-b", PECHAT_GOST_TC26_512_B, NID_id_tc26_gost_3410_2012_512_paramSetB,
		  PECHAT_KEYALG_GOST2012_512, "B" },
		{ "tc26-512-c", PECHAT_GOST_TC26_512_C, NID_id_tc26_gost_3410_2012_512_paramSetC,
		  PECHAT_KEYALG_GOST2012_512, "C" },
	};
	const struct pechat_gost_paramset_info *ps;
	unsigned all = 0;
	char names[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(ps = pechat_gost_paramset_by_name(rows[i].name));
		assert_int_equal(ps->flag, rows[i].flag);
		assert_int_equal(ps->nid, rows[i].nid);
		assert_int_equal(ps->keyalg, rows[i].keyalg);
		assert_string_equal(ps->engine, rows[i].engine);
		assert_ptr_equal(pechat_gost_paramset_by_flag(rows[i].flag), ps);
		assert_ptr_equal(pechat_gost_paramset_by_nid(rows[i].nid), ps);
		assert_int_equal(all & rows[i].flag, 0);        /* one flag per set */
		all |= rows[i].flag;
	}
	assert_null(pechat_gost_paramset_by_name("tc26-256-e"));
	assert_null(pechat_gost_paramset_by_name("TC26-256-A"));
	assert_null(pechat_gost_paramset_by_name(NULL));
	assert_null(pechat_gost_paramset_by_flag(0));
	assert_null(pechat_gost_paramset_by_flag(PECHAT_GOST_TC26_256_A | PECHAT_GOST_TC26_256_B));
	assert_null(pechat_gost_paramset_by_nid(NID_X9_62_prime256v1));
	assert_null(pechat_gost_paramset_by_nid(NID_undef));
	assert_int_equal(pechat_gost_paramsets_of(PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512), all);
	assert_int_equal(pechat_gost_paramsets_of(PECHAT_KEYALG_GOST2012_512),
	    PECHAT_GOST_TC26_512_A | PECHAT_GOST_TC26_512_B | PECHAT_GOST_TC26_512_C);
	assert_int_equal(pechat_gost_paramsets_of(PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_RSA), 0);
	pechat_gost_paramsets_names(PECHAT_GOST_TC26_256_B | PECHAT_GOST_CP_XCHA | PECHAT_GOST_TC26_512_C, names,
	    sizeof(names));
	assert_string_equal(names, "tc26-256-b, cryptopro-xcha, tc26-512-c");
	pechat_gost_paramsets_names(all, names, 12);    /* truncated, never overrun */
	assert_true(strlen(names) < 12);
}

static void
test_config_paramsets(void **state)
{
	char err[512];
	struct pechat_config *conf;

	(void)state;
	conf = test_config_load_text("{\"issuers\": [{\"name\": \"g\", \"key_algorithm\": \"gost2012-256\"},"
	    "{\"name\": \"h\", \"key_algorithm\": \"gost2012-512\", \"gost_paramset\": \"tc26-512-c\"},"
	    "{\"name\": \"x\", \"key_algorithm\": \"gost2012-256\", \"gost_paramset\": \"cryptopro-xcha\"}],"
	    "\"profiles\": [{\"name\": \"p\", \"issuer\": \"g\", \"key_algorithms\": [\"gost2012-256\"],"
	    "\"gost_paramsets\": [\"tc26-256-a\", \"cryptopro-a\"]},"
	    "{\"name\": \"q\", \"issuer\": \"g\", \"key_algorithms\": [\"gost2012-256\", \"gost2012-512\"]}]}",
	    err, sizeof(err));
	assert_non_null(conf);
	assert_int_equal(conf->issuers[0].gost_paramset, PECHAT_GOST_TC26_256_A);      /* default: tc26 A */
	assert_int_equal(conf->issuers[1].gost_paramset, PECHAT_GOST_TC26_512_C);
	assert_int_equal(conf->issuers[2].gost_paramset, PECHAT_GOST_CP_XCHA);
	assert_int_equal(conf->profiles[0].gost_paramsets, PECHAT_GOST_TC26_256_A | PECHAT_GOST_CP_A);
	assert_int_equal(conf->profiles[1].gost_paramsets, 0);                          /* every set */
	pechat_config_free(conf);
}

static void
test_config_paramset_errors(void **state)
{
	static const struct { const char *json; const char *expect; } cases[] = {
		{ "{\"issuers\": [{\"name\": \"g\", \"key_algorithm\": \"gost2012-256\", \"gost_paramset\": \"tc26-512-a\"}]}",
		  "$.issuers[0].gost_paramset: must be a gost2012-256 parameter set: tc26-256-a, tc26-256-b, tc26-256-c, "
		  "tc26-256-d, cryptopro-a, cryptopro-b, cryptopro-c, cryptopro-xcha, cryptopro-xchb" },
		{ "{\"issuers\": [{\"name\": \"g\", \"key_algorithm\": \"gost2012-512\", \"gost_paramset\": \"nope\"}]}",
		  "$.issuers[0].gost_paramset: must be a gost2012-512 parameter set: tc26-512-a, tc26-512-b, tc26-512-c" },
		{ "{\"issuers\": [{\"name\": \"g\", \"key_algorithm\": \"ec-p256\", \"gost_paramset\": \"tc26-256-a\"}]}",
		  "$.issuers[0].gost_paramset: is only for gost2012-256 and gost2012-512 issuers" },
		{ "{\"issuers\": [{\"name\": \"g\", \"key_algorithm\": \"gost2012-256\", \"gost_paramset\": 1}]}",
		  "$.issuers[0].gost_paramset: must be a string" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"key_algorithms\": [\"gost2012-256\"],"
		  "\"gost_paramsets\": [\"tc26-512-a\"]}]}",
		  "$.profiles[0].gost_paramsets: tc26-512-a is a gost2012-512 parameter set, not in key_algorithms" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"key_algorithms\": [\"gost2012-256\"],"
		  "\"gost_paramsets\": [\"tc26-256-a\", \"tc26-256-z\"]}]}",
		  "$.profiles[0].gost_paramsets[1]: unknown GOST parameter set" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"gost_paramsets\": [\"tc26-256-a\"]}]}",
		  "$.profiles[0].gost_paramsets: needs gost2012-256 or gost2012-512 in key_algorithms" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"key_algorithms\": [\"gost2012-256\"],"
		  "\"gost_paramsets\": []}]}",
		  "$.profiles[0].gost_paramsets: must name at least one parameter set" },
	};
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pechat_config *conf = test_config_load_text(cases[i].json, err, sizeof(err));

		if (conf != NULL || strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].expect);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_config_paramsets),
		cmocka_unit_test(test_config_paramset_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
