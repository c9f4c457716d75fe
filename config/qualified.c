/*
 * config/qualified.c — the keys of qualified certificates (docs/PROFILES.md):
 * an issuer's "sign_tools" (issuerSignTool), a profile's "qualified" and
 * "sign_tool" (subjectSignTool), and the rules a qualified profile must
 * meet at load (registry subject of a kind with the attributes the
 * qualified profile requires, a GOST issuer with sign_tools, GOST keys only,
 * tool class policies, digitalSignature + nonRepudiation).
 */
#include "config/config_int.h"

#include <string.h>

/* Tool class policy OIDs (KC1, KC2, KC3, KB1, KB2, KA1): 1.2.643.100.113.1..6. */
static int
tool_class_oid(const char *oid)
{
	static const char prefix[] = "1.2.643.100.113.";

	return strncmp(oid, prefix, sizeof(prefix) - 1) == 0 && oid[sizeof(prefix) - 1] >= '1' &&
	    oid[sizeof(prefix) - 1] <= '6' && oid[sizeof(prefix)] == '\0';
}

/* Optional sign tool string: 1..max_chars characters of UTF-8, no controls. Absent leaves dst. */
static int
cfg_sign_text(struct cfg_ctx *c, json_t *obj, const char *key, char *dst, size_t dstsz, size_t max_chars)
{
	if (cfg_str(c, obj, key, dst, dstsz) != 0)
		return -1;
	if (json_object_get(obj, key) != NULL && !pechat_sign_tool_ok(dst, max_chars))
		return cfg_error(c, key, "must be 1 to %zu characters of UTF-8 without control or format characters",
		    max_chars);
	return 0;
}

/* See config_int.h. */
int
cfg_issuer_sign_tools(struct cfg_ctx *c, json_t *v, struct pechat_issuer_conf *is)
{
	static const char *const keys[] = { "sign_tool", "ca_tool", "sign_tool_cert", "ca_tool_cert", NULL };
	struct pechat_sign_tools *t = &is->tools;
	json_t *s = json_object_get(v, "sign_tools");
	size_t mark, i;

	if (s == NULL)
		return 0;
	mark = cfg_push(c, ".sign_tools");
	if (!json_is_object(s))
		return cfg_error(c, NULL, "must be an object");
	if (cfg_known_keys(c, s, keys) != 0)
		return -1;
	for (i = 0; keys[i] != NULL; i++)
		if (json_object_get(s, keys[i]) == NULL)
			return cfg_error(c, keys[i], "is required");
	if (cfg_sign_text(c, s, "sign_tool", t->sign_tool, sizeof(t->sign_tool), PECHAT_SIGN_TOOL_CHARS) != 0 ||
	    cfg_sign_text(c, s, "ca_tool", t->ca_tool, sizeof(t->ca_tool), PECHAT_SIGN_TOOL_CHARS) != 0 ||
	    cfg_sign_text(c, s, "sign_tool_cert", t->sign_tool_cert, sizeof(t->sign_tool_cert),
	    PECHAT_SIGN_TOOL_CERT_CHARS) != 0 ||
	    cfg_sign_text(c, s, "ca_tool_cert", t->ca_tool_cert, sizeof(t->ca_tool_cert),
	    PECHAT_SIGN_TOOL_CERT_CHARS) != 0)
		return -1;
	cfg_pop(c, mark);
	return 0;
}

/* See config_int.h. */
int
cfg_profile_qualified(struct cfg_ctx *c, json_t *v, struct pechat_profile_conf *p)
{
	if (cfg_bool(c, v, "qualified", &p->qualified) != 0 ||
	    cfg_sign_text(c, v, "sign_tool", p->sign_tool, sizeof(p->sign_tool), PECHAT_SIGN_TOOL_CHARS) != 0)
		return -1;
	if (!p->qualified && p->sign_tool[0] != '\0')
		return cfg_error(c, "sign_tool", "is allowed only with \"qualified\": true");
	return 0;
}

/* The subject fields a qualified profile of `kind` must require (docs/PROFILES.md). */
static unsigned
qualified_required(const char *kind)
{
	unsigned person = (1u << PSF_COMMON_NAME) | (1u << PSF_SURNAME) | (1u << PSF_GIVEN_NAME) |
	    (1u << PSF_SNILS) | (1u << PSF_INN) | (1u << PSF_COUNTRY);

	if (strcmp(kind, "sole_proprietor") == 0)
		return person | (1u << PSF_OGRNIP);
	if (strcmp(kind, "legal_entity") == 0)
		return person | (1u << PSF_ORGANIZATION) | (1u << PSF_INNLE) | (1u << PSF_OGRN) |
		    (1u << PSF_REGION) | (1u << PSF_LOCALITY) | (1u << PSF_STREET) | (1u << PSF_TITLE);
	return person;
}

/* The subject of a qualified profile: what its kind requires, required; the patronymic allowed (GN). */
static int
qualified_subject_check(struct cfg_ctx *c, const struct pechat_profile_conf *p)
{
	unsigned need = qualified_required(p->subject_kind), missing = need & ~p->subject_required;
	int f;

	for (f = 0; f < PSF_COUNT; f++)
		if (missing & (1u << f))
			return cfg_error(c, "subject", "a qualified %s certificate must require %s",
			    p->subject_kind, pechat_subject_field_name((enum pechat_subject_field)f));
	if (!(p->subject_allowed & (1u << PSF_PATRONYMIC)))
		return cfg_error(c, "subject", "a qualified certificate must allow patronymic (GN is given name + "
		    "patronymic)");
	return 0;
}

/* See config_int.h. */
int
cfg_profile_qualified_check(struct cfg_ctx *c, const struct pechat_profile_conf *p, const struct pechat_config *conf)
{
	const struct pechat_issuer_conf *is = pechat_config_issuer(conf, p->issuer);
	unsigned gost = PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512;
	int i;

	if (!p->qualified)
		return 0;
	if (!p->subject_registry)
		return cfg_error(c, "qualified", "a qualified profile takes its subject from the registry: "
		    "set subject_source \"registry\" and subject_kind");
	if (p->requires_power[0] != '\0')
		return cfg_error(c, "requires_power", "a qualified legal entity certificate is its head's, acting "
		    "without a power of attorney (an employee gets an individual qualified certificate)");
	if (is == NULL || !(is->key_algorithm & gost))
		return cfg_error(c, "issuer", "a qualified profile must name a GOST issuer (gost2012-256 or gost2012-512)");
	if (is->tools.sign_tool[0] == '\0')
		return cfg_error(c, "issuer", "issuer \"%s\" of a qualified profile must have sign_tools", is->name);
	if (p->key_algorithms & ~gost)
		return cfg_error(c, "key_algorithms", "a qualified profile allows only gost2012-256 and gost2012-512");
	if (p->n_policies == 0)
		return cfg_error(c, "policies", "a qualified profile must name the tool classes it allows "
		    "(1.2.643.100.113.1 to .6: KC1, KC2, KC3, KB1, KB2, KA1)");
	for (i = 0; i < p->n_policies; i++)
		if (!tool_class_oid(p->policies[i]))
			return cfg_error(c, "policies", "entry %d: a qualified profile allows only the tool class OIDs "
			    "1.2.643.100.113.1 to .6", i);
	if ((p->key_usage & (PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION)) !=
	    (PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION))
		return cfg_error(c, "key_usage", "a qualified profile must have digitalSignature and nonRepudiation");
	return qualified_subject_check(c, p);
}
