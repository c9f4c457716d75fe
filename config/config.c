/*
 * config/config.c — load and validate the JSON configuration (jansson).
 * Every error names the file, the JSON path and the rule that failed; unknown
 * keys are errors. Paths left unset are derived from var_dir.
 */
#include "config/config_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ISSUERS 32

/* ------------------------------------------------------------- sections */

/* The connection limits and deadlines of one listener (keys already checked by the caller). */
static int
cfg_listener_limits(struct cfg_ctx *c, json_t *v, struct pechat_listener_conf *l, int is_api,
    struct pechat_config *conf)
{
	if (cfg_int(c, v, "max_connections", &l->max_connections, 1, 65536) != 0 ||
	    cfg_int(c, v, "max_connections_per_ip", &l->max_connections_per_ip, 1, 65536) != 0 ||
	    cfg_int(c, v, "request_deadline_s", &l->request_deadline_s, 1, 3600) != 0 ||
	    cfg_int(c, v, "tls_handshake_deadline_s", &l->tls_handshake_deadline_s, 1, 600) != 0)
		return -1;
	/* the public pool splits max_connections between its workers; a default gives way (the
	 * API listener runs a thread per connection: `threads` is not its concern) */
	if (!is_api && l->max_connections < conf->threads && conf->threads_auto)
		conf->threads = l->max_connections;
	if (!is_api && l->max_connections < conf->threads)
		return cfg_error(c, "max_connections", "must be at least threads (%d)", conf->threads);
	if (l->max_connections_per_ip > l->max_connections && json_object_get(v, "max_connections_per_ip") == NULL)
		l->max_connections_per_ip = l->max_connections; /* a default never contradicts a set limit */
	if (l->max_connections_per_ip > l->max_connections)
		return cfg_error(c, "max_connections_per_ip", "must not exceed max_connections (%d)",
		    l->max_connections);
	return 0;
}

static int
cfg_listener(struct cfg_ctx *c, json_t *obj, const char *key, struct pechat_listener_conf *l,
    struct pechat_config *conf)
{
	static const char *const keys[] = { "address", "port", "hostnames", "tls_cert", "tls_key",
		"client_ca", "max_connections", "max_connections_per_ip", "request_deadline_s",
		"tls_handshake_deadline_s", NULL };
	static const char *const public_keys[] = { "address", "port", "max_connections",
		"max_connections_per_ip", "request_deadline_s", NULL };
	json_t *v = json_object_get(obj, key), *h;
	size_t mark, i;
	int is_api = strcmp(key, "api") == 0;

	if (v == NULL)
		return 0;
	mark = cfg_push(c, ".%s", key);
	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, is_api ? keys : public_keys) != 0 ||
	    cfg_str(c, v, "address", l->address, sizeof(l->address)) != 0 ||
	    cfg_int(c, v, "port", &l->port, 0, 65535) != 0 || cfg_listener_limits(c, v, l, is_api, conf) != 0)
		return -1;
	if (is_api) {
		if (cfg_str(c, v, "tls_cert", conf->tls_cert, sizeof(conf->tls_cert)) != 0 ||
		    cfg_str(c, v, "tls_key", conf->tls_key, sizeof(conf->tls_key)) != 0 ||
		    cfg_str(c, v, "client_ca", conf->operator_ca_cert, sizeof(conf->operator_ca_cert)) != 0)
			return -1;
		if ((h = json_object_get(v, "hostnames")) != NULL) {
			if (!json_is_array(h) || json_array_size(h) == 0 || json_array_size(h) > 4)
				return cfg_error(c, "hostnames", "must be an array of 1 to 4 host names");
			conf->n_api_hostnames = 0;
			json_array_foreach(h, i, v) {
				if (!json_is_string(v) || json_string_length(v) == 0 ||
				    json_string_length(v) >= sizeof(conf->api_hostnames[0]))
					return cfg_error(c, "hostnames", "entry %zu must be a host name", i);
				pechat_strlcpy(conf->api_hostnames[conf->n_api_hostnames++],
				    json_string_value(v), sizeof(conf->api_hostnames[0]));
			}
		}
	}
	cfg_pop(c, mark);
	return 0;
}

/*
 * An optional key reference: "file:/absolute/path[?passphrase-source=...]",
 * "pkcs11:..." or "engine:ID:KEY-ID"; never a PIN (pin-value) in the JSON.
 * hsm/ checks the rest when `pechat init` or pechatd opens the key.
 */
static int
cfg_key_ref(struct cfg_ctx *c, json_t *v, const char *key, char *buf, size_t bufsz)
{
	if (json_object_get(v, key) == NULL)
		return 0;
	if (cfg_str(c, v, key, buf, bufsz) != 0)
		return -1;
	if (strncmp(buf, "file:/", 6) != 0 && strncmp(buf, "pkcs11:", 7) != 0 && strncmp(buf, "engine:", 7) != 0)
		return cfg_error(c, key, "must be a key reference: file:/absolute/path, pkcs11:... or engine:ID:KEY-ID");
	if (strstr(buf, "pin-value") != NULL)
		return cfg_error(c, key, "must not hold a PIN: name a pin-source (file:/path or env:NAME)");
	return 0;
}

/*
 * "gost_paramset": one parameter set name (common/profile.h) that fits a GOST
 * issuer's key size; refused for other issuers. Default: the size's tc26 A.
 */
static int
cfg_issuer_paramset(struct cfg_ctx *c, json_t *v, struct pechat_issuer_conf *is)
{
	const struct pechat_gost_paramset_info *ps;
	char name[32] = "", names[256];
	int gost = is->key_algorithm == PECHAT_KEYALG_GOST2012_256 || is->key_algorithm == PECHAT_KEYALG_GOST2012_512;

	if (gost)
		is->gost_paramset = is->key_algorithm == PECHAT_KEYALG_GOST2012_256 ? PECHAT_GOST_TC26_256_A :
		    PECHAT_GOST_TC26_512_A;
	if (json_object_get(v, "gost_paramset") == NULL)
		return 0;
	if (!gost)
		return cfg_error(c, "gost_paramset", "is only for gost2012-256 and gost2012-512 issuers");
	if (cfg_str(c, v, "gost_paramset", name, sizeof(name)) != 0)
		return -1;
	pechat_gost_paramsets_names(pechat_gost_paramsets_of((unsigned)is->key_algorithm), names, sizeof(names));
	if ((ps = pechat_gost_paramset_by_name(name)) == NULL || ps->keyalg != (int)is->key_algorithm)
		return cfg_error(c, "gost_paramset", "must be a %s parameter set: %s",
		    pechat_keyalg_name(is->key_algorithm), names);
	is->gost_paramset = ps->flag;
	return 0;
}

static int
cfg_issuer(struct cfg_ctx *c, json_t *v, struct pechat_issuer_conf *is)
{
	static const char *const keys[] = { "name", "key_algorithm", "rsa_bits", "common_name",
		"organization", "country", "root_validity_days", "validity_days", "key_dir", "key", "root_key",
		"sign_tools", "gost_paramset", NULL };
	char alg[32] = "";

	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, keys) != 0 || cfg_name(c, v, "name", is->name, sizeof(is->name)) != 0)
		return -1;
	if (json_object_get(v, "key_algorithm") == NULL)
		return cfg_error(c, "key_algorithm", "is required");
	if (cfg_str(c, v, "key_algorithm", alg, sizeof(alg)) != 0)
		return -1;
	if ((is->key_algorithm = (enum pechat_keyalg)pechat_keyalg_lookup(alg)) == 0 ||
	    is->key_algorithm == PECHAT_KEYALG_ED25519)
		return cfg_error(c, "key_algorithm",
		    "must be one of ec-p256, ec-p384, ec-p521, rsa, gost2012-256, gost2012-512");
	is->rsa_bits = 3072;
	is->root_validity_days = 7300;
	is->validity_days = 3650;
	snprintf(is->common_name, sizeof(is->common_name), "Pechat %s CA", is->name);
	if (cfg_int(c, v, "rsa_bits", &is->rsa_bits, 2048, 8192) != 0 ||
	    cfg_str(c, v, "common_name", is->common_name, sizeof(is->common_name)) != 0 ||
	    cfg_str(c, v, "organization", is->organization, sizeof(is->organization)) != 0 ||
	    cfg_str(c, v, "country", is->country, sizeof(is->country)) != 0 ||
	    cfg_int(c, v, "root_validity_days", &is->root_validity_days, 1, 36500) != 0 ||
	    cfg_int(c, v, "validity_days", &is->validity_days, 1, 36500) != 0 ||
	    cfg_str(c, v, "key_dir", is->key_dir, sizeof(is->key_dir)) != 0 ||
	    cfg_key_ref(c, v, "key", is->key_ref, sizeof(is->key_ref)) != 0 ||
	    cfg_key_ref(c, v, "root_key", is->root_key_ref, sizeof(is->root_key_ref)) != 0 ||
	    cfg_issuer_sign_tools(c, v, is) != 0)
		return -1;
	if (is->country[0] != '\0' && (strlen(is->country) != 2 || !isupper((unsigned char)is->country[0]) ||
	    !isupper((unsigned char)is->country[1])))
		return cfg_error(c, "country", "must be two upper-case letters (ISO 3166)");
	if (is->validity_days > is->root_validity_days)
		return cfg_error(c, "validity_days", "must not exceed root_validity_days");
	return cfg_issuer_paramset(c, v, is);
}

/* Issuer names must not end like the URL forms built from them. */
static int
name_has_suffix(const char *name)
{
	static const char *const suffixes[] = { "-root", "-delta", "-chain" };
	size_t i, n = strlen(name), k;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		k = strlen(suffixes[i]);
		if (n >= k && strcmp(name + n - k, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* Reads an array section into a calloc'd table via fn. */
static int
cfg_issuers(struct cfg_ctx *c, json_t *root, struct pechat_config *conf)
{
	json_t *arr = json_object_get(root, "issuers"), *v;
	size_t i, j, mark;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > CONFIG_MAX_ISSUERS)
		return cfg_error(c, "issuers", "must be an array of 1 to %d issuers", CONFIG_MAX_ISSUERS);
	free(conf->issuers);
	conf->n_issuers = 0;
	if ((conf->issuers = calloc(json_array_size(arr), sizeof(*conf->issuers))) == NULL)
		return cfg_error(c, "issuers", "out of memory");
	json_array_foreach(arr, i, v) {
		mark = cfg_push(c, ".issuers[%zu]", i);
		if (cfg_issuer(c, v, &conf->issuers[i]) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(conf->issuers[j].name, conf->issuers[i].name) == 0)
				return cfg_error(c, "name", "duplicates issuers[%zu]", j);
		if (strcmp(conf->issuers[i].name, "operators") == 0 ||
		    strlen(conf->issuers[i].name) > PECHAT_NAME_MAX - 6 || name_has_suffix(conf->issuers[i].name))
			return cfg_error(c, "name", "is reserved or too long (the root is <name>-root; "
			    "names must not end in -root, -delta or -chain)");
		cfg_pop(c, mark);
		conf->n_issuers++;
	}
	return 0;
}

static int
cfg_limits(struct cfg_ctx *c, json_t *root, struct pechat_config *conf)
{
	static const char *const keys[] = { "max_body_bytes", "connection_timeout_s", "drain_timeout_s", NULL };
	json_t *v = json_object_get(root, "limits");
	int body = (int)conf->max_body_bytes;
	size_t mark;

	if (v == NULL)
		return 0;
	mark = cfg_push(c, ".limits");
	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, keys) != 0 || cfg_int(c, v, "max_body_bytes", &body, 1024, 16 * 1024 * 1024) != 0 ||
	    cfg_int(c, v, "connection_timeout_s", &conf->connection_timeout_s, 1, 3600) != 0 ||
	    cfg_int(c, v, "drain_timeout_s", &conf->drain_timeout_s, 0, 600) != 0)
		return -1;
	conf->max_body_bytes = (size_t)body;
	cfg_pop(c, mark);
	return 0;
}

static int
cfg_crl(struct cfg_ctx *c, json_t *root, struct pechat_crl_conf *crl)
{
	static const char *const keys[] = { "next_update_s", "full_interval_s", "delta_next_update_s",
		"delta_rebase_s", "coalesce_ms", "max_delay_ms", "cache_max_age_s", NULL };
	json_t *v = json_object_get(root, "crl");
	size_t mark;

	if (v == NULL)
		return 0;
	mark = cfg_push(c, ".crl");
	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, keys) != 0 ||
	    cfg_int(c, v, "next_update_s", &crl->next_update_s, 60, 7 * 86400) != 0 ||
	    cfg_int(c, v, "full_interval_s", &crl->full_interval_s, 1, 7 * 86400) != 0 ||
	    cfg_int(c, v, "delta_next_update_s", &crl->delta_next_update_s, 60, 7 * 86400) != 0 ||
	    cfg_int(c, v, "delta_rebase_s", &crl->delta_rebase_s, 1, 30 * 86400) != 0 ||
	    cfg_int(c, v, "coalesce_ms", &crl->coalesce_ms, 0, 4000) != 0 ||
	    cfg_int(c, v, "max_delay_ms", &crl->max_delay_ms, 0, 4000) != 0 ||
	    cfg_int(c, v, "cache_max_age_s", &crl->cache_max_age_s, 0, 86400) != 0)
		return -1;
	if (crl->max_delay_ms < crl->coalesce_ms)
		return cfg_error(c, "max_delay_ms", "must be at least coalesce_ms");
	if (crl->full_interval_s >= crl->next_update_s)
		return cfg_error(c, "full_interval_s", "must be less than next_update_s (a CRL is replaced before it expires)");
	cfg_pop(c, mark);
	return 0;
}

static int
cfg_ocsp(struct cfg_ctx *c, json_t *root, struct pechat_ocsp_conf *o)
{
	static const char *const keys[] = { "validity_s", "refresh_before_s", "nonce", "max_certids",
		"on_demand_per_s", "responder_validity_days", "responder_renew_days", NULL };
	json_t *v = json_object_get(root, "ocsp");
	char nonce[16] = "";
	size_t mark;

	if (v == NULL)
		return 0;
	mark = cfg_push(c, ".ocsp");
	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, keys) != 0 ||
	    cfg_int(c, v, "validity_s", &o->validity_s, 60, 7 * 86400) != 0 ||
	    cfg_int(c, v, "refresh_before_s", &o->refresh_before_s, 10, 7 * 86400) != 0 ||
	    cfg_str(c, v, "nonce", nonce, sizeof(nonce)) != 0 ||
	    cfg_int(c, v, "max_certids", &o->max_certids, 1, 16) != 0 ||
	    cfg_int(c, v, "on_demand_per_s", &o->on_demand_per_s, 1, 100000) != 0 ||
	    cfg_int(c, v, "responder_validity_days", &o->responder_validity_days, 1, 365) != 0 ||
	    cfg_int(c, v, "responder_renew_days", &o->responder_renew_days, 1, 364) != 0)
		return -1;
	if (nonce[0] != '\0') {
		if (strcmp(nonce, "honour") != 0 && strcmp(nonce, "ignore") != 0)
			return cfg_error(c, "nonce", "must be \"honour\" or \"ignore\"");
		o->honour_nonce = strcmp(nonce, "honour") == 0;
	}
	if (o->refresh_before_s >= o->validity_s)
		return cfg_error(c, "refresh_before_s", "must be less than validity_s");
	if (o->responder_renew_days >= o->responder_validity_days)
		return cfg_error(c, "responder_renew_days", "must be less than responder_validity_days");
	if ((long)o->responder_renew_days * 86400 <= o->validity_s)
		return cfg_error(c, "responder_renew_days", "must exceed validity_s, so no answer outlives its responder");
	cfg_pop(c, mark);
	return 0;
}

static void cfg_builtin_qualified_drop(struct pechat_config *conf);

/* `threads`: set, or the default (threads_auto) left for the public listener's limit to lower. */
static int
cfg_threads(struct cfg_ctx *c, json_t *root, struct pechat_config *conf)
{
	if (json_object_get(root, "threads") == NULL)
		return 0;
	conf->threads_auto = 0;
	return cfg_int(c, root, "threads", &conf->threads, 1, 256);
}

/*
 * The default `threads` (the public listener's workers: CRLs, OCSP, CA
 * certificates, served from memory, never waiting for a commit): one per
 * core, at most 16.
 */
static int
cfg_threads_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

static int
cfg_root(struct cfg_ctx *c, json_t *root, struct pechat_config *conf)
{
	static const char *const keys[] = { "var_dir", "store", "listeners", "public_base_url", "threads",
		"limits", "log_level", "crl", "ocsp", "issuers", "profiles", NULL };
	static const char *const listener_keys[] = { "public", "api", NULL };
	json_t *l;
	size_t mark;
	int i;

	if (!json_is_object(root))
		return cfg_error(c, NULL, "the configuration must be a JSON object");
	if (cfg_known_keys(c, root, keys) != 0 ||
	    cfg_str(c, root, "var_dir", conf->var_dir, sizeof(conf->var_dir)) != 0 ||
	    cfg_str(c, root, "store", conf->store_path, sizeof(conf->store_path)) != 0 ||
	    cfg_str(c, root, "public_base_url", conf->public_base_url, sizeof(conf->public_base_url)) != 0 ||
	    cfg_threads(c, root, conf) != 0 ||
	    cfg_str(c, root, "log_level", conf->log_level, sizeof(conf->log_level)) != 0 ||
	    cfg_limits(c, root, conf) != 0 || cfg_crl(c, root, &conf->crl) != 0 ||
	    cfg_ocsp(c, root, &conf->ocsp) != 0 || cfg_issuers(c, root, conf) != 0 || cfg_profiles(c, root, conf) != 0)
		return -1;
	if (strncmp(conf->public_base_url, "http://", 7) != 0 && strncmp(conf->public_base_url, "https://", 8) != 0)
		return cfg_error(c, "public_base_url", "must start with http:// or https://");
	if (conf->public_base_url[strlen(conf->public_base_url) - 1] == '/')
		return cfg_error(c, "public_base_url", "must not end with '/'");
	if (strcmp(conf->log_level, "debug") != 0 && strcmp(conf->log_level, "info") != 0 &&
	    strcmp(conf->log_level, "warn") != 0 && strcmp(conf->log_level, "error") != 0)
		return cfg_error(c, "log_level", "must be debug, info, warn or error");
	if (json_object_get(root, "issuers") != NULL && json_object_get(root, "profiles") == NULL)
		cfg_builtin_qualified_drop(conf);
	if (json_object_get(root, "issuers") != NULL && json_object_get(root, "profiles") == NULL)
		for (i = 0; i < conf->n_profiles; i++)
			if (pechat_config_issuer(conf, conf->profiles[i].issuer) == NULL)
				return cfg_error(c, "profiles", "is required: the built-in profile \"%s\" names issuer "
				    "\"%s\", which $.issuers does not define", conf->profiles[i].name, conf->profiles[i].issuer);
	if ((l = json_object_get(root, "listeners")) != NULL) {
		mark = cfg_push(c, ".listeners");
		if (!json_is_object(l))
			return cfg_error(c, NULL, "must be an object");
		if (cfg_known_keys(c, l, listener_keys) != 0 ||
		    cfg_listener(c, l, "public", &conf->public_listener, conf) != 0 ||
		    cfg_listener(c, l, "api", &conf->api_listener, conf) != 0)
			return -1;
		cfg_pop(c, mark);
	}
	return 0;
}

/* ------------------------------------------------------------- defaults */

static void
default_issuer(struct pechat_issuer_conf *is, const char *name, enum pechat_keyalg alg, const char *cn)
{
	memset(is, 0, sizeof(*is));
	pechat_strlcpy(is->name, name, sizeof(is->name));
	is->key_algorithm = alg;
	is->rsa_bits = 3072;
	pechat_strlcpy(is->common_name, cn, sizeof(is->common_name));
	pechat_strlcpy(is->organization, "Pechat Demo", sizeof(is->organization));
	pechat_strlcpy(is->country, "RU", sizeof(is->country));
	is->root_validity_days = 7300;
	is->validity_days = 3650;
}

/* The demo GOST issuer's issuerSignTool: marked DEMO, no certified tool is claimed. */
static void
default_gost_tools(struct pechat_sign_tools *t)
{
	pechat_strlcpy(t->sign_tool, "DEMO: Pechat demo crypto tool (not certified)", sizeof(t->sign_tool));
	pechat_strlcpy(t->ca_tool, "DEMO: Pechat demo CA (not certified)", sizeof(t->ca_tool));
	pechat_strlcpy(t->sign_tool_cert, "DEMO: no conformity certificate", sizeof(t->sign_tool_cert));
	pechat_strlcpy(t->ca_tool_cert, "DEMO: no conformity certificate", sizeof(t->ca_tool_cert));
}

/*
 * "qualified-person": a qualified certificate of a verified registry
 * individual from the demo GOST issuer (docs/PROFILES.md), one approval.
 */
static void
default_qualified_person(struct pechat_profile_conf *p)
{
	memset(p, 0, sizeof(*p));
	pechat_strlcpy(p->name, "qualified-person", sizeof(p->name));
	pechat_strlcpy(p->issuer, "gost", sizeof(p->issuer));
	p->validity_days = 365;
	p->key_algorithms = PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512;
	p->rsa_min_bits = 2048;
	p->key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	pechat_strlcpy(p->ext_key_usage[0], "clientAuth", sizeof(p->ext_key_usage[0]));
	pechat_strlcpy(p->ext_key_usage[1], "emailProtection", sizeof(p->ext_key_usage[1]));
	p->n_ext_key_usage = 2;
	pechat_strlcpy(p->policies[0], "1.2.643.100.113.1", sizeof(p->policies[0]));   /* KC1 */
	pechat_strlcpy(p->policies[1], "1.2.643.100.113.2", sizeof(p->policies[1]));   /* KC2 */
	p->n_policies = 2;
	p->subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SURNAME) | (1u << PSF_GIVEN_NAME) |
	    (1u << PSF_SNILS) | (1u << PSF_INN) | (1u << PSF_COUNTRY);
	p->subject_allowed = p->subject_required | (1u << PSF_PATRONYMIC) | (1u << PSF_REGION) |
	    (1u << PSF_LOCALITY) | (1u << PSF_EMAIL);
	p->approvals = 1;
	p->subject_registry = 1;
	pechat_strlcpy(p->subject_kind, "individual", sizeof(p->subject_kind));
	p->qualified = 1;
	pechat_strlcpy(p->sign_tool, "DEMO: Pechat demo crypto tool (not certified)", sizeof(p->sign_tool));
}

static void
default_profile(struct pechat_profile_conf *p, const char *name, const char *issuer, int auto_approve)
{
	memset(p, 0, sizeof(*p));
	pechat_strlcpy(p->name, name, sizeof(p->name));
	pechat_strlcpy(p->issuer, issuer, sizeof(p->issuer));
	p->validity_days = 365;
	p->key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_RSA;
	p->rsa_min_bits = 2048;
	p->key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	pechat_strlcpy(p->ext_key_usage[0], "clientAuth", sizeof(p->ext_key_usage[0]));
	pechat_strlcpy(p->ext_key_usage[1], "emailProtection", sizeof(p->ext_key_usage[1]));
	p->n_ext_key_usage = 2;
	p->subject_required = 1u << PSF_COMMON_NAME;
	p->subject_allowed = (1u << PSF_COUNT) - 1;
	p->auto_approve = auto_approve;
	p->approvals = auto_approve ? 0 : 1;
}

/*
 * Built-in qualified profiles need the built-in "gost" issuer with its
 * sign_tools: with $.issuers but no $.profiles, each one whose issuer is
 * not defined that way is left out (docs/CONFIG.md), the others kept in order.
 */
static void
cfg_builtin_qualified_drop(struct pechat_config *conf)
{
	const struct pechat_issuer_conf *is;
	int i, n = 0;

	for (i = 0; i < conf->n_profiles; i++) {
		is = pechat_config_issuer(conf, conf->profiles[i].issuer);
		if (conf->profiles[i].qualified && (is == NULL || is->tools.sign_tool[0] == '\0' ||
		    !(is->key_algorithm & (PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512))))
			continue;
		conf->profiles[n++] = conf->profiles[i];
	}
	conf->n_profiles = n;
}

struct pechat_config *
pechat_config_defaults(void)
{
	struct pechat_config *conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	conf->issuers = calloc(3, sizeof(*conf->issuers));
	conf->profiles = calloc(5, sizeof(*conf->profiles));
	if (conf->issuers == NULL || conf->profiles == NULL) {
		pechat_config_free(conf);
		return NULL;
	}
	pechat_strlcpy(conf->source, "(defaults)", sizeof(conf->source));
	pechat_strlcpy(conf->var_dir, "./var", sizeof(conf->var_dir));
	pechat_strlcpy(conf->public_listener.address, "127.0.0.1", sizeof(conf->public_listener.address));
	conf->public_listener.port = 8080;
	conf->public_listener.max_connections = 512;
	conf->public_listener.max_connections_per_ip = 128;
	conf->public_listener.request_deadline_s = 10;
	pechat_strlcpy(conf->api_listener.address, "127.0.0.1", sizeof(conf->api_listener.address));
	conf->api_listener.port = 8443;
	conf->api_listener.max_connections = 256;
	conf->api_listener.max_connections_per_ip = 32;
	conf->api_listener.request_deadline_s = 30;
	conf->api_listener.tls_handshake_deadline_s = 10;
	pechat_strlcpy(conf->public_base_url, "http://127.0.0.1:8080", sizeof(conf->public_base_url));
	pechat_strlcpy(conf->api_hostnames[0], "localhost", sizeof(conf->api_hostnames[0]));
	conf->n_api_hostnames = 1;
	conf->threads = cfg_threads_default();
	conf->threads_auto = 1;
	conf->max_body_bytes = 65536;
	conf->connection_timeout_s = 30;
	conf->drain_timeout_s = 10;
	conf->crl.next_update_s = 43200;
	conf->crl.full_interval_s = 3600;
	conf->crl.delta_next_update_s = 3600;
	conf->crl.delta_rebase_s = 86400;
	conf->crl.coalesce_ms = 1000;
	conf->crl.max_delay_ms = 3000;
	conf->crl.cache_max_age_s = 300;
	conf->ocsp.validity_s = 14400;
	conf->ocsp.refresh_before_s = 3600;
	conf->ocsp.honour_nonce = 1;
	conf->ocsp.max_certids = 10;
	conf->ocsp.on_demand_per_s = 50;
	conf->ocsp.responder_validity_days = 7;
	conf->ocsp.responder_renew_days = 2;
	pechat_strlcpy(conf->log_level, "info", sizeof(conf->log_level));
	default_issuer(&conf->issuers[0], "ecdsa", PECHAT_KEYALG_EC_P256, "Pechat Demo ECDSA CA");
	default_issuer(&conf->issuers[1], "rsa", PECHAT_KEYALG_RSA, "Pechat Demo RSA CA");
	default_issuer(&conf->issuers[2], "gost", PECHAT_KEYALG_GOST2012_256, "Pechat Demo GOST CA");
	default_gost_tools(&conf->issuers[2].tools);
	conf->n_issuers = 3;
	default_profile(&conf->profiles[0], "demo-auto", "ecdsa", 1);
	default_profile(&conf->profiles[1], "demo-rsa", "rsa", 1);
	default_profile(&conf->profiles[2], "person", "ecdsa", 0);
	conf->profiles[2].subject_required = (1u << PSF_COMMON_NAME) | (1u << PSF_SURNAME) |
	    (1u << PSF_GIVEN_NAME) | (1u << PSF_SNILS) | (1u << PSF_INN) | (1u << PSF_COUNTRY);
	conf->profiles[2].subject_allowed = conf->profiles[2].subject_required | (1u << PSF_PATRONYMIC) |
	    (1u << PSF_REGION) | (1u << PSF_LOCALITY) | (1u << PSF_EMAIL);
	pechat_strlcpy(conf->profiles[2].policies[0], "1.2.643.100.113.1", sizeof(conf->profiles[2].policies[0]));
	conf->profiles[2].n_policies = 1;
	/* the same certificate, its subject taken from a verified registry individual */
	conf->profiles[3] = conf->profiles[2];
	pechat_strlcpy(conf->profiles[3].name, "person-registry", sizeof(conf->profiles[3].name));
	conf->profiles[3].subject_registry = 1;
	pechat_strlcpy(conf->profiles[3].subject_kind, "individual", sizeof(conf->profiles[3].subject_kind));
	default_qualified_person(&conf->profiles[4]);
	conf->n_profiles = 5;
	return conf;
}

/* dst = dir + suffix unless dst is already set; -1 if it does not fit. */
static int
derive_path(char *dst, size_t dstsz, const char *dir, const char *suffix)
{
	int n;

	if (dst[0] != '\0')
		return 0;
	n = snprintf(dst, dstsz, "%s%s", dir, suffix);
	return n < 0 || (size_t)n >= dstsz ? -1 : 0;
}

/*
 * Makes a relative path absolute against the working directory, in place:
 * key references are stored in the store, and must not depend on the
 * directory pechatd happens to be started from. 0 or -1 (too long).
 */
static int
absolute_path(char *path, size_t size)
{
	char cwd[PECHAT_PATH_MAX], joined[PECHAT_PATH_MAX];
	const char *rel = path;
	int n;

	if (path[0] == '\0' || path[0] == '/')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	n = snprintf(joined, sizeof(joined), "%s/%s", cwd, strcmp(rel, ".") == 0 ? "" : rel);
	if (n < 0 || (size_t)n >= sizeof(joined) || (size_t)n >= size)
		return -1;
	memcpy(path, joined, (size_t)n + 1);
	return 0;
}

/* Fills paths that the file left unset from var_dir; every path made absolute. */
static int
derive_paths(struct pechat_config *conf)
{
	int i;

	if (absolute_path(conf->var_dir, sizeof(conf->var_dir)) != 0)
		return -1;
	for (i = 0; i < conf->n_issuers; i++)
		if (absolute_path(conf->issuers[i].key_dir, sizeof(conf->issuers[i].key_dir)) != 0)
			return -1;
	if (derive_path(conf->store_path, sizeof(conf->store_path), conf->var_dir, "/pechat.db") != 0 ||
	    derive_path(conf->tls_cert, sizeof(conf->tls_cert), conf->var_dir, "/tls/server.crt") != 0 ||
	    derive_path(conf->tls_key, sizeof(conf->tls_key), conf->var_dir, "/tls/server.key") != 0 ||
	    derive_path(conf->operator_ca_cert, sizeof(conf->operator_ca_cert), conf->var_dir,
	    "/certs/operators.crt") != 0)
		return -1;
	return absolute_path(conf->store_path, sizeof(conf->store_path)) != 0 ||
	    absolute_path(conf->tls_cert, sizeof(conf->tls_cert)) != 0 ||
	    absolute_path(conf->tls_key, sizeof(conf->tls_key)) != 0 ||
	    absolute_path(conf->operator_ca_cert, sizeof(conf->operator_ca_cert)) != 0 ? -1 : 0;
}

struct pechat_config *
pechat_config_load(const char *path, char *errbuf, size_t errsz)
{
	struct pechat_config *conf = NULL;
	struct cfg_ctx c;
	json_error_t jerr;
	json_t *root = NULL;
	struct stat st;

	memset(&c, 0, sizeof(c));
	c.file = path != NULL ? path : "(defaults)";
	c.err = errbuf;
	c.errsz = errsz;
	pechat_strlcpy(c.path, "$", sizeof(c.path));
	if ((conf = pechat_config_defaults()) == NULL) {
		snprintf(errbuf, errsz, "%s: out of memory", c.file);
		return NULL;
	}
	if (path != NULL) {
		pechat_strlcpy(conf->source, path, sizeof(conf->source));
		if (stat(path, &st) == 0 && st.st_size > CONFIG_MAX_BYTES) {
			snprintf(errbuf, errsz, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
			goto fail;
		}
		root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL) {
			snprintf(errbuf, errsz, "%s: line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
			goto fail;
		}
		if (cfg_root(&c, root, conf) != 0)
			goto fail;
	}
	if (derive_paths(conf) != 0) {
		snprintf(errbuf, errsz, "%s: $.var_dir: too long to derive absolute store, key and TLS paths", c.file);
		goto fail;
	}
	json_decref(root);
	return conf;
fail:
	json_decref(root);
	pechat_config_free(conf);
	return NULL;
}

void
pechat_config_free(struct pechat_config *conf)
{
	if (conf == NULL)
		return;
	free(conf->issuers);
	free(conf->profiles);
	free(conf);
}

const struct pechat_issuer_conf *
pechat_config_issuer(const struct pechat_config *conf, const char *name)
{
	int i;

	for (i = 0; i < conf->n_issuers; i++)
		if (strcmp(conf->issuers[i].name, name) == 0)
			return &conf->issuers[i];
	return NULL;
}

const struct pechat_profile_conf *
pechat_config_profile(const struct pechat_config *conf, const char *name)
{
	int i;

	for (i = 0; i < conf->n_profiles; i++)
		if (strcmp(conf->profiles[i].name, name) == 0)
			return &conf->profiles[i];
	return NULL;
}

/* See config.h. */
const char *
pechat_config_jansson_version(void)
{
	return jansson_version_str();
}
