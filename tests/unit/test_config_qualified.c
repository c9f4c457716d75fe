/*
 * Unit tests for config/qualified.c: an issuer's "sign_tools", a profile's
 * "qualified" and "sign_tool", and every load-time rule of a qualified
 * profile, each refused with a message naming the JSON path and the rule.
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

#include "config/config.h"
#include "config_test.h"

#define TOOLS "\"sign_tools\": {\"sign_tool\": \"СКЗИ «Печать-CSP»\", \"ca_tool\": \"ПАК «Печать УЦ»\"," \
	" \"sign_tool_cert\": \"СФ/124-0001\", \"ca_tool_cert\": \"СФ/128-0002\"}"
#define GOST_ISSUER "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", " TOOLS "}"
#define PERSON_SUBJECT "\"subject\": {\"required\": [\"common_name\", \"surname\", \"given_name\", \"snils\"," \
	" \"inn\", \"country\"], \"allowed\": [\"patronymic\"]}"
#define QUALIFIED "\"issuer\": \"gost\", \"qualified\": true, \"subject_source\": \"registry\"," \
	" \"key_algorithms\": [\"gost2012-256\"], \"policies\": [\"1.2.643.100.113.1\"]"

/* A config with issuers ISSUERS and one profile with the members PROFILE. */
static char *
config(const char *issuers, const char *profile)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "{\"var_dir\": \"/tmp/x\", \"issuers\": [%s, {\"name\": \"ecdsa\", "
	    "\"key_algorithm\": \"ec-p256\"}], \"profiles\": [{\"name\": \"q\", %s}]}", issuers, profile);
	return buf;
}

/* A good qualified profile of each kind loads with its keys; the issuer's tools are read. */
static void
test_good(void **state)
{
	static const char *const profiles[] = {
		QUALIFIED ", \"subject_kind\": \"individual\", " PERSON_SUBJECT ", \"sign_tool\": \"СКЗИ «КриптоПро CSP»\"",
		QUALIFIED ", \"subject_kind\": \"sole_proprietor\", \"subject\": {\"required\": [\"common_name\", \"surname\","
		" \"given_name\", \"snils\", \"inn\", \"country\", \"ogrnip\"], \"allowed\": [\"patronymic\"]}",
		QUALIFIED ", \"subject_kind\": \"legal_entity\", \"subject\": {\"required\": [\"common_name\","
		" \"organization\", \"innle\", \"ogrn\", \"country\", \"region\", \"locality\", \"street\", \"surname\","
		" \"given_name\", \"title\", \"snils\", \"inn\"], \"allowed\": [\"patronymic\"]}",
	};
	const struct pechat_profile_conf *p;
	struct pechat_config *conf;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		conf = test_config_load_text(config(GOST_ISSUER, profiles[i]), err, sizeof(err));
		if (conf == NULL)
			fail_msg("profile %zu: %s", i, err);
		assert_non_null(p = pechat_config_profile(conf, "q"));
		assert_true(p->qualified);
		assert_string_equal(pechat_config_issuer(conf, "gost")->tools.sign_tool, "СКЗИ «Печать-CSP»");
		assert_string_equal(pechat_config_issuer(conf, "gost")->tools.ca_tool_cert, "СФ/128-0002");
		if (i == 0)
			assert_string_equal(p->sign_tool, "СКЗИ «КриптоПро CSP»");
		pechat_config_free(conf);
	}
}

/* Each refusal names the key and the rule. */
static void
test_refusals(void **state)
{
	static char long200[2 * 201 + 1], long100[2 * 101 + 1];
	static struct {
		const char *issuer, *profile, *expect;
	} cases[] = {
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"individual\", " PERSON_SUBJECT ", \"sign_tool\": \"\"",
		  "profiles[0].sign_tool: must be 1 to" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"sign_tool\": \"x\"",
		  "profiles[0].sign_tool: is allowed only with \"qualified\": true" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": 1", "profiles[0].qualified: must be true or false" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": true, \"key_algorithms\": [\"gost2012-256\"], "
		  "\"policies\": [\"1.2.643.100.113.1\"], " PERSON_SUBJECT, "profiles[0].qualified: a qualified profile takes its subject "
		  "from the registry" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": true, \"subject_kind\": \"individual\", " PERSON_SUBJECT,
		  "profiles[0].subject_kind: is allowed only with subject_source \"registry\"" },
		{ "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\"}", QUALIFIED ", \"subject_kind\": \"individual\", "
		  PERSON_SUBJECT, "profiles[0].issuer: issuer \"gost\" of a qualified profile must have sign_tools" },
		{ "{\"name\": \"gost\", \"key_algorithm\": \"ec-p256\", " TOOLS "}", QUALIFIED ", \"subject_kind\": "
		  "\"individual\", " PERSON_SUBJECT, "profiles[0].issuer: a qualified profile must name a GOST issuer" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": true, \"subject_source\": \"registry\", \"subject_kind\": "
		  "\"individual\", \"policies\": [\"1.2.643.100.113.1\"], " PERSON_SUBJECT,
		  "profiles[0].key_algorithms: a qualified profile allows only gost2012-256 and gost2012-512" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": true, \"subject_source\": \"registry\", \"subject_kind\": "
		  "\"individual\", \"key_algorithms\": [\"gost2012-512\"], " PERSON_SUBJECT,
		  "profiles[0].policies: a qualified profile must name the tool classes" },
		{ GOST_ISSUER, "\"issuer\": \"gost\", \"qualified\": true, \"subject_source\": \"registry\", \"subject_kind\": "
		  "\"individual\", \"key_algorithms\": [\"gost2012-512\"], \"policies\": [\"1.2.643.100.113.7\"], "
		  PERSON_SUBJECT, "profiles[0].policies: entry 0: a qualified profile allows only the tool class OIDs" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"individual\", \"key_usage\": [\"digitalSignature\"], "
		  PERSON_SUBJECT, "profiles[0].key_usage: a qualified profile must have digitalSignature and nonRepudiation" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"individual\", \"subject\": {\"required\": [\"common_name\", "
		  "\"surname\", \"given_name\", \"snils\", \"country\"], \"allowed\": [\"patronymic\"]}",
		  "profiles[0].subject: a qualified individual certificate must require inn" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"individual\", \"subject\": {\"required\": [\"common_name\", "
		  "\"surname\", \"given_name\", \"snils\", \"inn\", \"country\"], \"allowed\": []}",
		  "profiles[0].subject: a qualified certificate must allow patronymic" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"sole_proprietor\", " PERSON_SUBJECT,
		  "profiles[0].subject: a qualified sole_proprietor certificate must require ogrnip" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"legal_entity\", " PERSON_SUBJECT,
		  "profiles[0].subject: a qualified legal_entity certificate must require organization" },
		{ GOST_ISSUER, QUALIFIED ", \"subject_kind\": \"legal_entity\", \"requires_power\": \"02.01.001\", "
		  PERSON_SUBJECT, "profiles[0].requires_power: a qualified legal entity certificate is its head's" },
		{ "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", \"sign_tools\": {\"sign_tool\": \"a\"}}",
		  "\"issuer\": \"gost\"", "issuers[0].sign_tools.ca_tool: is required" },
		{ "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", \"sign_tools\": {\"sign_tool\": \"a\", "
		  "\"ca_tool\": \"b\", \"sign_tool_cert\": \"c\", \"ca_tool_cert\": \"d\", \"x\": \"e\"}}",
		  "\"issuer\": \"gost\"", "issuers[0].sign_tools.x: unknown key" },
		{ "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", \"sign_tools\": {\"sign_tool\": \"a\\u202eb\", "
		  "\"ca_tool\": \"b\", \"sign_tool_cert\": \"c\", \"ca_tool_cert\": \"d\"}}",
		  "\"issuer\": \"gost\"", "issuers[0].sign_tools.sign_tool: must be 1 to 200 characters" },
		{ NULL, "\"issuer\": \"gost\"", "issuers[0].sign_tools.ca_tool: must be 1 to 200 characters" },
		{ NULL, "\"issuer\": \"gost\"", "issuers[0].sign_tools.sign_tool_cert: must be 1 to 100 characters" },
	};
	static char over200[1024], over100[1024];
	struct pechat_config *conf;
	char err[512];
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	/* 201 Cyrillic characters (402 bytes: the limit counts characters) and 101 */
	for (i = 0; i < 201; i++)
		memcpy(long200 + 2 * i, "я", 2);
	for (i = 0; i < 101; i++)
		memcpy(long100 + 2 * i, "я", 2);
	snprintf(over200, sizeof(over200), "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", \"sign_tools\": "
	    "{\"sign_tool\": \"a\", \"ca_tool\": \"%s\", \"sign_tool_cert\": \"c\", \"ca_tool_cert\": \"d\"}}", long200);
	snprintf(over100, sizeof(over100), "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\", \"sign_tools\": "
	    "{\"sign_tool\": \"a\", \"ca_tool\": \"b\", \"sign_tool_cert\": \"%s\", \"ca_tool_cert\": \"d\"}}", long100);
	cases[n - 2].issuer = over200;
	cases[n - 1].issuer = over100;
	for (i = 0; i < n; i++) {
		conf = test_config_load_text(config(cases[i].issuer, cases[i].profile), err, sizeof(err));
		if (conf != NULL || strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, cases[i].expect, err);
	}
}

/* 200 Cyrillic characters (400 bytes) are within the limit. */
static void
test_limits_count_characters(void **state)
{
	char issuer[2048], tool[2 * 200 + 1], cert[2 * 100 + 1];
	struct pechat_config *conf;
	char err[512];
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		memcpy(tool + 2 * i, "я", 2);
	tool[400] = '\0';
	for (i = 0; i < 100; i++)
		memcpy(cert + 2 * i, "я", 2);
	cert[200] = '\0';
	snprintf(issuer, sizeof(issuer), "{\"name\": \"gost\", \"key_algorithm\": \"gost2012-512\", \"sign_tools\": "
	    "{\"sign_tool\": \"%s\", \"ca_tool\": \"%s\", \"sign_tool_cert\": \"%s\", \"ca_tool_cert\": \"%s\"}}",
	    tool, tool, cert, cert);
	conf = test_config_load_text(config(issuer, "\"issuer\": \"gost\""), err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(strlen(pechat_config_issuer(conf, "gost")->tools.ca_tool), 400);
	pechat_config_free(conf);
}

/* $.issuers without $.profiles: the built-in qualified profile goes only with a GOST issuer "gost" with tools. */
static void
test_builtin_profile(void **state)
{
	struct pechat_config *conf;
	char err[512];

	(void)state;
	conf = test_config_load_text("{\"var_dir\": \"/tmp/x\", \"issuers\": [{\"name\": \"ecdsa\", \"key_algorithm\": \"ec-p256\"},"
	    " {\"name\": \"rsa\", \"key_algorithm\": \"rsa\"}]}", err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_null(pechat_config_profile(conf, "qualified-person"));
	assert_non_null(pechat_config_profile(conf, "person-registry"));
	pechat_config_free(conf);
	conf = test_config_load_text("{\"var_dir\": \"/tmp/x\", \"issuers\": [{\"name\": \"ecdsa\", \"key_algorithm\": \"ec-p256\"},"
	    " {\"name\": \"rsa\", \"key_algorithm\": \"rsa\"}, " GOST_ISSUER "]}", err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_non_null(pechat_config_profile(conf, "qualified-person"));
	pechat_config_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits_count_characters),
		cmocka_unit_test(test_builtin_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
