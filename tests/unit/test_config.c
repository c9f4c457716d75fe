/* Unit tests for config/: defaults, a full file, and precise error messages. */
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

static void
test_defaults(void **state)
{
	char err[256];
	struct pechat_config *conf = pechat_config_load(NULL, err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	{
		char want[600];
		assert_non_null(getcwd(want, 512));
		strcat(want, "/var/pechat.db");
		assert_string_equal(conf->store_path, want);    /* relative paths are made absolute */
	}
	assert_int_equal(conf->public_listener.port, 8080);
	assert_int_equal(conf->api_listener.port, 8443);
	assert_non_null(strstr(conf->tls_cert, "/var/tls/server.crt"));
	assert_true(conf->tls_cert[0] == '/');
	assert_int_equal(conf->n_issuers, 3);
	assert_int_equal(conf->issuers[1].key_algorithm, PECHAT_KEYALG_RSA);
	/* the demo GOST issuer and its qualified individual profile (docs/PROFILES.md) */
	assert_int_equal(conf->issuers[2].key_algorithm, PECHAT_KEYALG_GOST2012_256);
	assert_non_null(strstr(conf->issuers[2].tools.sign_tool, "DEMO"));
	assert_true(pechat_config_profile(conf, "qualified-person")->qualified);
	assert_int_equal(conf->issuers[1].rsa_bits, 3072);
	assert_non_null(pechat_config_profile(conf, "demo-auto"));
	assert_true(pechat_config_profile(conf, "demo-auto")->auto_approve);
	assert_null(pechat_config_profile(conf, "nope"));
	pechat_config_free(conf);
}

static void
test_full_file(void **state)
{
	char err[256];
	struct pechat_config *conf = test_config_load_text(
	    "{\"var_dir\": \"/tmp/x\", \"listeners\": {\"public\": {\"port\": 0},"
	    " \"api\": {\"address\": \"::1\", \"port\": 0, \"hostnames\": [\"ca.example\"]}},"
	    " \"public_base_url\": \"http://ca.example\", \"limits\": {\"max_body_bytes\": 4096},"
	    " \"issuers\": [{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\","
	    "   \"key\": \"pkcs11:token=ca;object=gost;type=private?module-path=/usr/lib/m.so&pin-source=file:/etc/pechat/pin\","
	    "   \"root_key\": \"file:/offline/root.key?passphrase-source=env:PECHAT_PASS_ROOT\"}],"
	    " \"profiles\": [{\"name\": \"p1\", \"issuer\": \"gost\", \"key_algorithms\": [\"gost2012-256\"],"
	    "   \"key_usage\": [\"digitalSignature\"], \"ext_key_usage\": [\"1.2.643.2.2.34.6\"],"
	    "   \"subject\": {\"required\": [\"common_name\", \"snils\"]}, \"auto_approve\": true}]}",
	    err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	assert_string_equal(conf->store_path, "/tmp/x/pechat.db");
	assert_string_equal(conf->api_listener.address, "::1");
	assert_int_equal(conf->api_listener.port, 0);
	assert_string_equal(conf->api_hostnames[0], "ca.example");
	assert_int_equal(conf->max_body_bytes, 4096);
	assert_int_equal(conf->n_issuers, 1);
	assert_int_equal(conf->issuers[0].key_algorithm, PECHAT_KEYALG_GOST2012_256);
	assert_string_equal(conf->issuers[0].key_ref, "pkcs11:token=ca;object=gost;type=private?module-path=/usr/lib/m.so&pin-source=file:/etc/pechat/pin");
	assert_string_equal(conf->issuers[0].root_key_ref, "file:/offline/root.key?passphrase-source=env:PECHAT_PASS_ROOT");
	assert_int_equal(conf->n_profiles, 1);
	assert_int_equal(conf->profiles[0].key_algorithms, PECHAT_KEYALG_GOST2012_256);
	assert_int_equal(conf->profiles[0].key_usage, PECHAT_KU_DIGITAL_SIGNATURE);
	assert_true(conf->profiles[0].subject_required & (1u << PSF_SNILS));
	assert_true(conf->profiles[0].subject_allowed & (1u << PSF_SNILS));
	assert_string_equal(conf->profiles[0].ext_key_usage[0], "1.2.643.2.2.34.6");
	pechat_config_free(conf);
}

/* Each bad document must fail with a message naming the JSON path and rule. */
static void
test_errors_name_path_and_rule(void **state)
{
	static const struct { const char *json; const char *expect; } cases[] = {
		{ "{\"thread\": 4}", "$.thread: unknown key" },
		{ "{\"threads\": 0}", "$.threads: must be an integer from 1 to 256" },
		{ "{\"listeners\": {\"api\": {\"port\": 70000}}}", "$.listeners.api.port: must be an integer" },
		{ "{\"issuers\": [{\"name\": \"Bad Name\", \"key_algorithm\": \"ec-p256\"}]}",
		  "$.issuers[0].name: must match [a-z0-9-]+" },
		{ "{\"issuers\": [{\"name\": \"a\", \"key_algorithm\": \"dsa\"}]}", "$.issuers[0].key_algorithm: must be one of" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"nope\"}]}",
		  "$.profiles[0].issuer: must name an issuer" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"key_usage\": [\"keyCertSign\"]}]}",
		  "$.profiles[0].key_usage: keyCertSign and cRLSign are for CA certificates only" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject\": {\"required\": [\"shoe_size\"]}}]}",
		  "$.profiles[0].subject.required[0]: unknown subject field" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"rsa_min_bits\": 1024}]}",
		  "$.profiles[0].rsa_min_bits: must be an integer from 2048" },
		{ "{\"public_base_url\": \"ftp://x\"}", "$.public_base_url: must start with http://" },
		{ "{\"threads\": 1, \"threads\": 2}", "duplicate object key" },
		{ "[1]", "$: the configuration must be a JSON object" },
		{ "{\"issuers\": [{\"name\": \"x\", \"key_algorithm\": \"ec-p256\"}]}",
		  "$.profiles: is required: the built-in profile \"demo-auto\" names issuer \"ecdsa\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"ext_key_usage\": [\"clientAuthh\"]}]}",
		  "$.profiles[0].ext_key_usage: entry 0 must be serverAuth" },
		{ "{\"issuers\": [{\"name\": \"x-root\", \"key_algorithm\": \"ec-p256\"}]}",
		  "$.issuers[0].name: is reserved" },
		{ "{\"issuers\": [{\"name\": \"x\", \"key_algorithm\": \"ec-p256\", \"key\": \"file:keys/x.key\"}]}",
		  "$.issuers[0].key: must be a key reference: file:/absolute/path" },
		{ "{\"issuers\": [{\"name\": \"x\", \"key_algorithm\": \"ec-p256\", \"root_key\": \"/keys/x.key\"}]}",
		  "$.issuers[0].root_key: must be a key reference" },
		{ "{\"issuers\": [{\"name\": \"x\", \"key_algorithm\": \"ec-p256\", \"key\": \"pkcs11:token=t;pin-value=1234\"}]}",
		  "$.issuers[0].key: must not hold a PIN" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"approvals\": 0}]}",
		  "$.profiles[0].approvals: 0 is allowed only with auto_approve: true" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"approvals\": 1}]}",
		  "$.profiles[0].approvals: must be 0 (or absent) with auto_approve" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"approvals\": 11}]}",
		  "$.profiles[0].approvals: must be an integer from 0 to 10" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"ldap\"}]}",
		  "$.profiles[0].subject_source: must be \"inline\" or \"registry\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\"}]}",
		  "$.profiles[0].subject_kind: is required with subject_source \"registry\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_kind\": \"individual\"}]}",
		  "$.profiles[0].subject_kind: is allowed only with subject_source \"registry\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\","
		  " \"subject_kind\": \"person\"}]}",
		  "$.profiles[0].subject_kind: must be individual, sole_proprietor or legal_entity" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\","
		  " \"subject_kind\": \"individual\", \"requires_power\": \"02.01\"}]}",
		  "$.profiles[0].requires_power: is allowed only with subject_kind \"legal_entity\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"requires_power\": \"02.01\"}]}",
		  "$.profiles[0].requires_power: is allowed only with subject_kind \"legal_entity\"" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\","
		  " \"subject_kind\": \"legal_entity\", \"requires_power\": \"02 01\"}]}",
		  "$.profiles[0].requires_power: must be visible ASCII characters" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\","
		  " \"subject_kind\": \"legal_entity\", \"requires_power\": \"\"}]}",
		  "$.profiles[0].requires_power: must be 1 to 63 bytes long" },
		{ "{\"ocsp\": {\"nonce\": \"sometimes\"}}", "$.ocsp.nonce: must be \"honour\" or \"ignore\"" },
		{ "{\"ocsp\": {\"max_certids\": 17}}", "$.ocsp.max_certids: must be an integer from 1 to 16" },
		{ "{\"crl\": {\"full_interval_s\": 50000}}", "$.crl.full_interval_s: must be less than next_update_s" },
		{ "{\"crl\": {\"coalesce\": 5}}", "$.crl.coalesce: unknown key" },
		{ "{\"profiles\": [{\"name\": \"p\", \"issuer\": \"ecdsa\"}, {\"name\": \"p\", \"issuer\": \"ecdsa\"}]}",
		  "$.profiles[1].name: duplicates profiles[0]" },
		{ "{\"listeners\": {\"public\": {\"tls_handshake_deadline_s\": 5}}}",
		  "$.listeners.public.tls_handshake_deadline_s: unknown key" },
		{ "{\"listeners\": {\"public\": {\"max_connections\": 0}}}",
		  "$.listeners.public.max_connections: must be an integer from 1 to 65536" },
		{ "{\"threads\": 8, \"listeners\": {\"public\": {\"max_connections\": 4}}}",
		  "$.listeners.public.max_connections: must be at least threads (8)" },
		{ "{\"listeners\": {\"api\": {\"max_connections\": 16, \"max_connections_per_ip\": 17}}}",
		  "$.listeners.api.max_connections_per_ip: must not exceed max_connections (16)" },
		{ "{\"listeners\": {\"public\": {\"request_deadline_s\": 0}}}",
		  "$.listeners.public.request_deadline_s: must be an integer from 1 to 3600" },
		{ "{\"listeners\": {\"api\": {\"tls_handshake_deadline_s\": 601}}}",
		  "$.listeners.api.tls_handshake_deadline_s: must be an integer from 1 to 600" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pechat_config *conf = test_config_load_text(cases[i].json, err, sizeof(err));
		if (conf != NULL || strstr(err, cases[i].expect) == NULL || strstr(err, "/tmp/pechat-config-") != err)
			fail_msg("case %zu: %s -> \"%s\" (want \"%s\")", i, cases[i].json, err, cases[i].expect);
	}
}

/* The listener limits: safe defaults, each key read, a default per-IP limit never above a set total. */
static void
test_listener_limits(void **state)
{
	char err[256];
	struct pechat_config *conf = test_config_load_text("{}", err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	assert_int_equal(conf->public_listener.max_connections, 512);
	assert_int_equal(conf->public_listener.max_connections_per_ip, 128);
	assert_int_equal(conf->public_listener.request_deadline_s, 10);
	assert_int_equal(conf->api_listener.max_connections, 256);
	assert_int_equal(conf->api_listener.max_connections_per_ip, 32);
	assert_int_equal(conf->api_listener.request_deadline_s, 30);
	assert_int_equal(conf->api_listener.tls_handshake_deadline_s, 10);
	pechat_config_free(conf);
	conf = test_config_load_text("{\"listeners\": {\"public\": {\"max_connections\": 24, \"request_deadline_s\": 4},"
	    " \"api\": {\"max_connections\": 100, \"max_connections_per_ip\": 5, \"request_deadline_s\": 6,"
	    " \"tls_handshake_deadline_s\": 2}}}", err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(conf->public_listener.max_connections, 24);
	assert_int_equal(conf->public_listener.max_connections_per_ip, 24);   /* default 128 clipped */
	assert_int_equal(conf->public_listener.request_deadline_s, 4);
	assert_int_equal(conf->api_listener.max_connections, 100);
	assert_int_equal(conf->api_listener.max_connections_per_ip, 5);
	assert_int_equal(conf->api_listener.request_deadline_s, 6);
	assert_int_equal(conf->api_listener.tls_handshake_deadline_s, 2);
	pechat_config_free(conf);
}

/*
 * threads (the public listener's workers): one per core (1..16) by default,
 * lowered to a smaller public max_connections; a set value is checked
 * against the public listener only (the API runs a thread per connection).
 */
static void
test_threads_default(void **state)
{
	char err[256];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int want = n < 1 ? 1 : n > 16 ? 16 : (int)n;
	struct pechat_config *conf = test_config_load_text("{}", err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	assert_int_equal(conf->threads, want);
	pechat_config_free(conf);
	conf = test_config_load_text("{\"listeners\": {\"public\": {\"max_connections\": 1}}}", err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(conf->threads, 1);     /* the default gives way to a small listener */
	pechat_config_free(conf);
	conf = test_config_load_text("{\"threads\": 5, \"listeners\": {\"api\": {\"max_connections\": 3}}}",
	    err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_int_equal(conf->threads, 5);     /* the API listener's limit is not the workers' */
	pechat_config_free(conf);
	assert_null(test_config_load_text("{\"threads\": 5, \"listeners\": {\"public\": {\"max_connections\": 3}}}",
	    err, sizeof(err)));
	assert_non_null(strstr(err, "must be at least threads (5)"));
}

static void
test_profile_approvals(void **state)
{
	char err[256];
	struct pechat_config *conf = test_config_load_text(
	    "{\"profiles\": [{\"name\": \"a\", \"issuer\": \"ecdsa\"},"
	    " {\"name\": \"b\", \"issuer\": \"ecdsa\", \"auto_approve\": true},"
	    " {\"name\": \"c\", \"issuer\": \"ecdsa\", \"approvals\": 2},"
	    " {\"name\": \"d\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"approvals\": 0}]}",
	    err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	assert_int_equal(pechat_config_profile(conf, "a")->approvals, 1);
	assert_int_equal(pechat_config_profile(conf, "b")->approvals, 0);
	assert_int_equal(pechat_config_profile(conf, "c")->approvals, 2);
	assert_int_equal(pechat_config_profile(conf, "d")->approvals, 0);
	pechat_config_free(conf);
}

/* subject_source: inline by default; registry with its subject_kind; requires_power for legal_entity. */
static void
test_profile_subject_source(void **state)
{
	char err[256];
	struct pechat_config *conf = test_config_load_text(
	    "{\"profiles\": [{\"name\": \"a\", \"issuer\": \"ecdsa\"},"
	    " {\"name\": \"b\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\", \"subject_kind\": \"individual\"},"
	    " {\"name\": \"c\", \"issuer\": \"ecdsa\", \"subject_source\": \"inline\"},"
	    " {\"name\": \"d\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\", \"subject_kind\": \"legal_entity\","
	    "  \"requires_power\": \"02.01.001\"}]}",
	    err, sizeof(err));

	(void)state;
	assert_non_null(conf);
	assert_int_equal(pechat_config_profile(conf, "a")->subject_registry, 0);
	assert_string_equal(pechat_config_profile(conf, "a")->subject_kind, "");
	assert_int_equal(pechat_config_profile(conf, "b")->subject_registry, 1);
	assert_string_equal(pechat_config_profile(conf, "b")->subject_kind, "individual");
	assert_int_equal(pechat_config_profile(conf, "c")->subject_registry, 0);
	/* a legal entity's registry profile, with the power its POAs must grant */
	assert_string_equal(pechat_config_profile(conf, "d")->subject_kind, "legal_entity");
	assert_string_equal(pechat_config_profile(conf, "d")->requires_power, "02.01.001");
	assert_string_equal(pechat_config_profile(conf, "b")->requires_power, "");
	pechat_config_free(conf);
}

static void
test_missing_file(void **state)
{
	char err[256];

	(void)state;
	assert_null(pechat_config_load("/nonexistent/pechat.json", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/pechat.json"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_errors_name_path_and_rule),
		cmocka_unit_test(test_listener_limits),
		cmocka_unit_test(test_threads_default),
		cmocka_unit_test(test_profile_approvals),
		cmocka_unit_test(test_profile_subject_source),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
