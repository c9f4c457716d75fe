/*
 * config/profile.c — the "profiles" section: each profile's issuer, key and
 * usage rules, subject fields, approvals and where its subject comes from
 * (inline or the registry, with the registry kind and a required power).
 */
#include "config/config_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CFG_MAX_PROFILES 128

/* "subject": the fields a request must carry and may carry. */
static int
cfg_profile_subject(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	static const char *const keys[] = { "required", "allowed", NULL };
	json_t *s = json_object_get(v, "subject");
	size_t mark;

	if (s == NULL)
		return 0;
	mark = cfg_push(c, ".subject");
	if (!json_is_object(s))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, s, keys) != 0 ||
	    cfg_flags(c, s, "required", &p->subject_required, subject_field_bit, "subject field") != 0 ||
	    cfg_flags(c, s, "allowed", &p->subject_allowed, subject_field_bit, "subject field") != 0)
		return -1;
	p->subject_allowed |= p->subject_required;
	cfg_pop(c, mark);
	return 0;
}

/*
 * "auto_approve" and "approvals" (distinct officers needed): approvals
 * defaults to 0 with auto_approve and to 1 without; 0 is allowed only with
 * auto_approve, and auto_approve with approvals > 0 is refused.
 */
static int
cfg_profile_approvals(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	if (cfg_bool(c, v, "auto_approve", &p->auto_approve) != 0)
		return -1;
	p->approvals = p->auto_approve ? 0 : 1;
	if (cfg_int(c, v, "approvals", &p->approvals, 0, PECHAT_MAX_APPROVALS) != 0)
		return -1;
	if (p->auto_approve && p->approvals > 0)
		return cfg_error(c, "approvals", "must be 0 (or absent) with auto_approve");
	if (!p->auto_approve && p->approvals == 0)
		return cfg_error(c, "approvals", "0 is allowed only with auto_approve: true");
	return 0;
}

/*
 * "requires_power": the power code (1..63 visible ASCII characters) a power
 * of attorney must grant; only on a registry profile for legal_entity.
 */
static int
cfg_profile_power(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	size_t i;

	if (json_object_get(v, "requires_power") == NULL)
		return 0;
	if (cfg_str(c, v, "requires_power", p->requires_power, sizeof(p->requires_power)) != 0)
		return -1;
	if (strcmp(p->subject_kind, "legal_entity") != 0)
		return cfg_error(c, "requires_power", "is allowed only with subject_kind \"legal_entity\"");
	for (i = 0; p->requires_power[i] != '\0'; i++)
		if (p->requires_power[i] < 0x21 || p->requires_power[i] > 0x7e)
			return cfg_error(c, "requires_power", "must be visible ASCII characters (a classifier code)");
	return 0;
}

/*
 * "subject_source" ("inline" by default, or "registry") and "subject_kind"
 * (required with registry, refused with inline); "requires_power".
 */
static int
cfg_profile_source(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	char source[16] = "inline";

	if (cfg_str(c, v, "subject_source", source, sizeof(source)) != 0 ||
	    cfg_str(c, v, "subject_kind", p->subject_kind, sizeof(p->subject_kind)) != 0)
		return -1;
	if (strcmp(source, "registry") == 0)
		p->subject_registry = 1;
	else if (strcmp(source, "inline") != 0)
		return cfg_error(c, "subject_source", "must be \"inline\" or \"registry\"");
	if (!p->subject_registry && p->subject_kind[0] != '\0')
		return cfg_error(c, "subject_kind", "is allowed only with subject_source \"registry\"");
	if (p->subject_registry && p->subject_kind[0] == '\0')
		return cfg_error(c, "subject_kind", "is required with subject_source \"registry\"");
	if (p->subject_registry && strcmp(p->subject_kind, "individual") != 0 &&
	    strcmp(p->subject_kind, "sole_proprietor") != 0 && strcmp(p->subject_kind, "legal_entity") != 0)
		return cfg_error(c, "subject_kind", "must be individual, sole_proprietor or legal_entity");
	return cfg_profile_power(c, v, p);
}

/* The flag of a GOST parameter set name (cfg_flags), 0 if unknown. */
static int
gost_paramset_flag(const char *name)
{
	const struct pechat_gost_paramset_info *ps = pechat_gost_paramset_by_name(name);

	return ps != NULL ? (int)ps->flag : 0;
}

/*
 * "gost_paramsets": the GOST parameter sets the profile accepts (names of
 * common/profile.h); each must be of a GOST size in key_algorithms. Absent:
 * 0, every set of the allowed sizes.
 */
static int
cfg_profile_paramsets(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	const struct pechat_gost_paramset_info *ps;
	unsigned allowed = pechat_gost_paramsets_of(p->key_algorithms), bit;

	if (json_object_get(v, "gost_paramsets") == NULL)
		return 0;
	if (allowed == 0)
		return cfg_error(c, "gost_paramsets", "needs gost2012-256 or gost2012-512 in key_algorithms");
	if (cfg_flags(c, v, "gost_paramsets", &p->gost_paramsets, gost_paramset_flag, "GOST parameter set") != 0)
		return -1;
	if (p->gost_paramsets == 0)
		return cfg_error(c, "gost_paramsets", "must name at least one parameter set");
	for (bit = 1; bit != 0 && bit <= p->gost_paramsets; bit <<= 1)
		if ((p->gost_paramsets & bit) != 0 && (allowed & bit) == 0 && (ps = pechat_gost_paramset_by_flag(bit)))
			return cfg_error(c, "gost_paramsets", "%s is a %s parameter set, not in key_algorithms",
			    ps->name, pechat_keyalg_name((enum pechat_keyalg)ps->keyalg));
	return 0;
}

/* One profile object into *p (defaults first); its issuer must be in conf. */
static int
cfg_profile(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p, const struct pechat_config *conf)
{
	static const char *const keys[] = { "name", "issuer", "validity_days", "key_algorithms",
		"rsa_min_bits", "key_usage", "ext_key_usage", "policies", "subject", "auto_approve",
		"approvals", "subject_source", "subject_kind", "requires_power", "qualified", "sign_tool",
		"gost_paramsets", NULL };
	int i, found = 0;

	if (!json_is_object(v))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, v, keys) != 0 || cfg_name(c, v, "name", p->name, sizeof(p->name)) != 0 ||
	    cfg_name(c, v, "issuer", p->issuer, sizeof(p->issuer)) != 0)
		return -1;
	for (i = 0; i < conf->n_issuers; i++)
		found |= strcmp(conf->issuers[i].name, p->issuer) == 0;
	if (!found)
		return cfg_error(c, "issuer", "must name an issuer in $.issuers");
	p->validity_days = 365;
	p->rsa_min_bits = 2048;
	p->key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_RSA;
	p->key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	p->subject_required = 1u << PSF_COMMON_NAME;
	p->subject_allowed = (1u << PSF_COUNT) - 1;
	if (cfg_int(c, v, "validity_days", &p->validity_days, 1, 3650) != 0 ||
	    cfg_int(c, v, "rsa_min_bits", &p->rsa_min_bits, 2048, 16384) != 0 ||
	    cfg_flags(c, v, "key_algorithms", &p->key_algorithms, pechat_keyalg_lookup, "key algorithm") != 0 ||
	    cfg_flags(c, v, "key_usage", &p->key_usage, pechat_key_usage_lookup, "key usage") != 0 ||
	    cfg_str_list(c, v, "ext_key_usage", p->ext_key_usage, PECHAT_MAX_EKU, &p->n_ext_key_usage) != 0 ||
	    cfg_str_list(c, v, "policies", p->policies, PECHAT_MAX_POLICIES, &p->n_policies) != 0 ||
	    cfg_profile_subject(c, v, p) != 0 || cfg_profile_approvals(c, v, p) != 0 ||
	    cfg_profile_source(c, v, p) != 0 || cfg_profile_qualified(c, v, p) != 0)
		return -1;
	if (p->key_algorithms == 0)
		return cfg_error(c, "key_algorithms", "must allow at least one algorithm");
	if (p->key_usage == 0)
		return cfg_error(c, "key_usage", "must name at least one key usage");
	if (p->key_usage & (PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN))
		return cfg_error(c, "key_usage", "keyCertSign and cRLSign are for CA certificates only");
	for (i = 0; i < p->n_policies; i++)
		if (!cfg_oid_ok(p->policies[i]))
			return cfg_error(c, "policies", "entry %d must be a dotted OID", i);
	for (i = 0; i < p->n_ext_key_usage; i++)
		if (!cfg_oid_ok(p->ext_key_usage[i]) && !eku_name_ok(p->ext_key_usage[i]))
			return cfg_error(c, "ext_key_usage", "entry %d must be serverAuth, clientAuth, codeSigning, "
			    "emailProtection, timeStamping, OCSPSigning or a dotted OID", i);
	if (cfg_profile_paramsets(c, v, p) != 0)
		return -1;
	return cfg_profile_qualified_check(c, p, conf);
}

/* See config_int.h. */
int
cfg_profiles(struct cfg_ctx *c, json_t *root, struct pechat_config *conf)
{
	json_t *arr = json_object_get(root, "profiles"), *v;
	size_t i, j, mark;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > CFG_MAX_PROFILES)
		return cfg_error(c, "profiles", "must be an array of at most %d profiles", CFG_MAX_PROFILES);
	free(conf->profiles);
	conf->n_profiles = 0;
	if ((conf->profiles = calloc(json_array_size(arr) + 1, sizeof(*conf->profiles))) == NULL)
		return cfg_error(c, "profiles", "out of memory");
	json_array_foreach(arr, i, v) {
		mark = cfg_push(c, ".profiles[%zu]", i);
		if (cfg_profile(c, v, &conf->profiles[i], conf) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(conf->profiles[j].name, conf->profiles[i].name) == 0)
				return cfg_error(c, "name", "duplicates profiles[%zu]", j);
		cfg_pop(c, mark);
		conf->n_profiles++;
	}
	return 0;
}

