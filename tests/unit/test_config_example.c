/*
 * config/pechat.example.json must load, use every key, and describe the
 * built-in defaults (plus the GOST issuer and the qualified-person profile;
 * its "crl" and "ocsp" sections spell out the default publishing settings):
 * docs/CONFIG.md documents the keys through this file.
 * The path comes from PECHAT_CONFIG_EXAMPLE (set by tests/unit/config_example.cmake).
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

static struct pechat_config *
load_example(void)
{
	const char *path = getenv("PECHAT_CONFIG_EXAMPLE");
	struct pechat_config *conf;
	char err[512] = "";

	assert_non_null(path);
	conf = pechat_config_load(path, err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	return conf;
}

/* What a relative path of the example becomes: absolute against the working directory. */
static const char *
abs_of(const char *rel)
{
	static char buf[1024];
	char cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(buf, sizeof(buf), "%s/%s", cwd, rel + 2);
	return buf;
}

static void
test_example_top_level(void **state)
{
	struct pechat_config *conf = load_example();

	(void)state;
	assert_string_equal(conf->var_dir, abs_of("./var"));
	assert_string_equal(conf->store_path, abs_of("./var/pechat.db"));
	assert_string_equal(conf->public_listener.address, "127.0.0.1");
	assert_int_equal(conf->public_listener.port, 8080);
	assert_string_equal(conf->api_listener.address, "127.0.0.1");
	assert_int_equal(conf->api_listener.port, 8443);
	assert_int_equal(conf->public_listener.max_connections, 512);
	assert_int_equal(conf->public_listener.max_connections_per_ip, 128);
	assert_int_equal(conf->public_listener.request_deadline_s, 10);
	assert_int_equal(conf->api_listener.max_connections, 256);
	assert_int_equal(conf->api_listener.max_connections_per_ip, 32);
	assert_int_equal(conf->api_listener.request_deadline_s, 30);
	assert_int_equal(conf->api_listener.tls_handshake_deadline_s, 10);
	assert_int_equal(conf->n_api_hostnames, 1);
	assert_string_equal(conf->api_hostnames[0], "localhost");
	assert_string_equal(conf->tls_cert, abs_of("./var/tls/server.crt"));
	assert_string_equal(conf->tls_key, abs_of("./var/tls/server.key"));
	assert_string_equal(conf->operator_ca_cert, abs_of("./var/certs/operators.crt"));
	assert_string_equal(conf->public_base_url, "http://127.0.0.1:8080");
	assert_true(conf->threads >= 1 && conf->threads <= 16);     /* not in the file: one per core */
	assert_int_equal(conf->max_body_bytes, 65536);
	assert_int_equal(conf->connection_timeout_s, 30);
	assert_int_equal(conf->drain_timeout_s, 10);
	assert_string_equal(conf->log_level, "info");
	pechat_config_free(conf);
}

static void
test_example_issuers(void **state)
{
	struct pechat_config *conf = load_example();
	const struct pechat_issuer_conf *is;

	(void)state;
	assert_int_equal(conf->n_issuers, 3);
	assert_non_null(is = pechat_config_issuer(conf, "ecdsa"));
	assert_int_equal(is->key_algorithm, PECHAT_KEYALG_EC_P256);
	assert_string_equal(is->common_name, "Pechat Demo ECDSA CA");
	assert_string_equal(is->organization, "Pechat Demo");
	assert_string_equal(is->country, "RU");
	assert_int_equal(is->root_validity_days, 7300);
	assert_int_equal(is->validity_days, 3650);
	assert_string_equal(is->key_dir, abs_of("./var/keys"));
	assert_non_null(is = pechat_config_issuer(conf, "rsa"));
	assert_int_equal(is->key_algorithm, PECHAT_KEYALG_RSA);
	assert_int_equal(is->rsa_bits, 3072);
	assert_string_equal(is->key_dir, "");
	assert_non_null(is = pechat_config_issuer(conf, "gost"));
	assert_int_equal(is->key_algorithm, PECHAT_KEYALG_GOST2012_256);
	assert_non_null(strstr(is->tools.sign_tool, "DEMO"));
	assert_non_null(strstr(is->tools.ca_tool_cert, "DEMO"));
	pechat_config_free(conf);
}

static void
test_example_profiles(void **state)
{
	struct pechat_config *conf = load_example();
	const struct pechat_profile_conf *p;

	(void)state;
	assert_int_equal(conf->n_profiles, 5);
	assert_non_null(p = pechat_config_profile(conf, "demo-auto"));
	assert_string_equal(p->issuer, "ecdsa");
	assert_true(p->auto_approve);
	assert_non_null(p = pechat_config_profile(conf, "demo-rsa"));
	assert_string_equal(p->issuer, "rsa");
	assert_true(p->auto_approve);
	assert_non_null(p = pechat_config_profile(conf, "person"));
	assert_false(p->auto_approve);
	assert_int_equal(p->n_policies, 1);
	assert_string_equal(p->policies[0], "1.2.643.100.113.1");
	assert_int_equal(p->subject_registry, 0);
	assert_non_null(p = pechat_config_profile(conf, "person-registry"));
	assert_int_equal(p->subject_registry, 1);
	assert_string_equal(p->subject_kind, "individual");
	assert_int_equal(p->approvals, 1);
	assert_non_null(p = pechat_config_profile(conf, "qualified-person"));
	assert_string_equal(p->issuer, "gost");
	assert_int_equal(p->key_algorithms, PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512);
	assert_int_equal(p->key_usage, PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION);
	assert_int_equal(p->n_policies, 2);
	assert_true(p->subject_required & (1u << PSF_SNILS));
	assert_true(p->subject_allowed & (1u << PSF_PATRONYMIC));
	assert_false(p->subject_allowed & (1u << PSF_OGRN));
	assert_int_equal(p->subject_registry, 1);
	assert_string_equal(p->subject_kind, "individual");
	assert_false(p->auto_approve);
	assert_int_equal(p->approvals, 1);
	assert_true(p->qualified);
	assert_non_null(strstr(p->sign_tool, "DEMO"));
	pechat_config_free(conf);
}

/* The "crl" section: every key set, to the built-in defaults. */
static void
test_example_crl(void **state)
{
	struct pechat_config *conf = load_example();

	(void)state;
	assert_int_equal(conf->crl.next_update_s, 43200);
	assert_int_equal(conf->crl.full_interval_s, 3600);
	assert_int_equal(conf->crl.delta_next_update_s, 3600);
	assert_int_equal(conf->crl.delta_rebase_s, 86400);
	assert_int_equal(conf->crl.coalesce_ms, 1000);
	assert_int_equal(conf->crl.max_delay_ms, 3000);
	assert_int_equal(conf->crl.cache_max_age_s, 300);
	pechat_config_free(conf);
}

/* The "ocsp" section: every key set, to the built-in defaults ("nonce": "honour"). */
static void
test_example_ocsp(void **state)
{
	struct pechat_config *conf = load_example();

	(void)state;
	assert_int_equal(conf->ocsp.validity_s, 14400);
	assert_int_equal(conf->ocsp.refresh_before_s, 3600);
	assert_int_equal(conf->ocsp.honour_nonce, 1);
	assert_int_equal(conf->ocsp.max_certids, 10);
	assert_int_equal(conf->ocsp.on_demand_per_s, 50);
	assert_int_equal(conf->ocsp.responder_validity_days, 7);
	assert_int_equal(conf->ocsp.responder_renew_days, 2);
	pechat_config_free(conf);
}

/* The example's ecdsa/rsa issuers and demo profiles are exactly the built-in defaults. */
static void
test_example_matches_defaults(void **state)
{
	struct pechat_config *conf = load_example(), *def = pechat_config_defaults();
	const struct pechat_issuer_conf *a, *b;
	const struct pechat_profile_conf *p, *q;
	int i, j;

	(void)state;
	assert_non_null(def);
	assert_string_equal(conf->var_dir, abs_of(def->var_dir));
	assert_string_equal(conf->public_base_url, def->public_base_url);
	assert_int_equal(conf->threads, def->threads);
	assert_int_equal(conf->max_body_bytes, def->max_body_bytes);
	assert_memory_equal(&conf->crl, &def->crl, sizeof(conf->crl));
	assert_memory_equal(&conf->ocsp, &def->ocsp, sizeof(conf->ocsp));
	for (i = 0; i < def->n_issuers; i++) {
		b = &def->issuers[i];
		assert_non_null(a = pechat_config_issuer(conf, b->name));
		assert_int_equal(a->key_algorithm, b->key_algorithm);
		assert_int_equal(a->rsa_bits, b->rsa_bits);
		assert_string_equal(a->common_name, b->common_name);
		assert_string_equal(a->organization, b->organization);
		assert_string_equal(a->country, b->country);
		assert_int_equal(a->root_validity_days, b->root_validity_days);
		assert_int_equal(a->validity_days, b->validity_days);
		assert_memory_equal(&a->tools, &b->tools, sizeof(a->tools));
	}
	for (i = 0; i < def->n_profiles; i++) {
		q = &def->profiles[i];
		assert_non_null(p = pechat_config_profile(conf, q->name));
		assert_string_equal(p->issuer, q->issuer);
		assert_int_equal(p->validity_days, q->validity_days);
		assert_int_equal(p->key_algorithms, q->key_algorithms);
		assert_int_equal(p->rsa_min_bits, q->rsa_min_bits);
		assert_int_equal(p->key_usage, q->key_usage);
		assert_int_equal(p->n_ext_key_usage, q->n_ext_key_usage);
		for (j = 0; j < q->n_ext_key_usage; j++)
			assert_string_equal(p->ext_key_usage[j], q->ext_key_usage[j]);
		assert_int_equal(p->n_policies, q->n_policies);
		for (j = 0; j < q->n_policies; j++)
			assert_string_equal(p->policies[j], q->policies[j]);
		assert_int_equal(p->subject_required, q->subject_required);
		assert_int_equal(p->subject_allowed, q->subject_allowed);
		assert_int_equal(p->auto_approve, q->auto_approve);
		assert_int_equal(p->approvals, q->approvals);
		assert_int_equal(p->subject_registry, q->subject_registry);
		assert_string_equal(p->subject_kind, q->subject_kind);
		assert_int_equal(p->qualified, q->qualified);
		assert_string_equal(p->sign_tool, q->sign_tool);
	}
	pechat_config_free(def);
	pechat_config_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_top_level),
		cmocka_unit_test(test_example_issuers),
		cmocka_unit_test(test_example_profiles),
		cmocka_unit_test(test_example_crl),
		cmocka_unit_test(test_example_ocsp),
		cmocka_unit_test(test_example_matches_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
