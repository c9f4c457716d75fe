/* common/profile.c — the config names of key algorithms and key usages (common/profile.h). */
#include "common/profile.h"
#include "common/common.h"

#include <string.h>

static const struct { const char *name; enum pechat_keyalg alg; } keyalgs[] = {
	{ "ec-p256", PECHAT_KEYALG_EC_P256 },
	{ "ec-p384", PECHAT_KEYALG_EC_P384 },
	{ "ec-p521", PECHAT_KEYALG_EC_P521 },
	{ "rsa", PECHAT_KEYALG_RSA },
	{ "ed25519", PECHAT_KEYALG_ED25519 },
	{ "gost2012-256", PECHAT_KEYALG_GOST2012_256 },
	{ "gost2012-512", PECHAT_KEYALG_GOST2012_512 },
};

static const struct { const char *name; unsigned bit; } key_usages[] = {
	{ "digitalSignature", PECHAT_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", PECHAT_KU_NON_REPUDIATION },
	{ "keyEncipherment", PECHAT_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", PECHAT_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", PECHAT_KU_KEY_AGREEMENT },
	{ "keyCertSign", PECHAT_KU_KEY_CERT_SIGN },
	{ "cRLSign", PECHAT_KU_CRL_SIGN },
};

const char *
pechat_keyalg_name(enum pechat_keyalg alg)
{
	size_t i;

	for (i = 0; i < sizeof(keyalgs) / sizeof(keyalgs[0]); i++)
		if (keyalgs[i].alg == alg)
			return keyalgs[i].name;
	return NULL;
}

int
pechat_keyalg_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keyalgs) / sizeof(keyalgs[0]); i++)
		if (strcmp(keyalgs[i].name, name) == 0)
			return (int)keyalgs[i].alg;
	return 0;
}

int
pechat_key_usage_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(key_usages) / sizeof(key_usages[0]); i++)
		if (strcmp(key_usages[i].name, name) == 0)
			return (int)key_usages[i].bit;
	return 0;
}

const char *
pechat_key_usage_name(enum pechat_key_usage bit)
{
	size_t i;

	for (i = 0; i < sizeof(key_usages) / sizeof(key_usages[0]); i++)
		if (key_usages[i].bit == (unsigned)bit)
			return key_usages[i].name;
	return NULL;
}

/* See profile.h. */
int
pechat_sign_tool_ok(const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n, chars = 0;
	uint32_t cp;

	if (s == NULL || *s == '\0')
		return 0;
	for (len = strlen(s); len > 0; p += n, len -= n) {
		if ((n = pechat_utf8_decode(p, len, &cp)) == 0 || pechat_unicode_is_hidden(cp) ||
		    ++chars > max_chars)
			return 0;
	}
	return 1;
}
