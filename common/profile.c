/* common/profile.c — the config names of key algorithms, key usages and GOST parameter sets (common/profile.h). */
#include "common/profile.h"
#include "common/common.h"

#include <stdio.h>
#include <string.h>

#include <openssl/obj_mac.h>

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

/* GOST R 34.10-2012 parameter sets (RFC 9215 §2, R 1323565.1.024-2019): one row each. */
static const struct pechat_gost_paramset_info gost_paramsets[] = {
	{ "tc26-256-a", PECHAT_GOST_TC26_256_A, NID_id_tc26_gost_3410_2012_256_paramSetA, PECHAT_KEYALG_GOST2012_256,
	  "TCA" },
	{ "tc26-256-b", PECHAT_GOST_TC26_256_B, NID_id_tc26_gost_3410_2012_256_paramSetB, PECHAT_KEYALG_GOST2012_256,
	  "TCB" },
	{ "tc26-256-c", PECHAT_GOST_TC26_256_C, NID_id_tc26_gost_3410_2012_256_paramSetC, PECHAT_KEYALG_GOST2012_256,
	  "TCC" },
	{ "tc26-256-d", PECHAT_GOST_TC26_256_D, NID_id_tc26_gost_3410_2012_256_paramSetD, PECHAT_KEYALG_GOST2012_256,
	  "TCD" },
	{ "cryptopro-a", PECHAT_GOST_CP_A, NID_id_GostR3410_2001_CryptoPro_A_ParamSet, PECHAT_KEYALG_GOST2012_256, "A" },
	{ "cryptopro-b", PECHAT_GOST_CP_B, NID_id_GostR3410_2001_CryptoPro_B_ParamSet, PECHAT_KEYALG_GOST2012_256, "B" },
	{ "cryptopro-c", PECHAT_GOST_CP_C, NID_id_GostR3410_2001_CryptoPro_C_ParamSet, PECHAT_KEYALG_GOST2012_256, "C" },
	{ "cryptopro-xcha", PECHAT_GOST_CP_XCHA, NID_id_GostR3410_2001_CryptoPro_XchA_ParamSet,
	  PECHAT_KEYALG_GOST2012_256, "XA" },
	{ "cryptopro-xchb", PECHAT_GOST_CP_XCHB, NID_id_GostR3410_2001_CryptoPro_XchB_ParamSet,
	  PECHAT_KEYALG_GOST2012_256, "XB" },
	{ "tc26-512-a", PECHAT_GOST_TC26_512_A, NID_id_tc26_gost_3410_2012_512_paramSetA, PECHAT_KEYALG_GOST2012_512,
	  "A" },
	{ "tc26-512-b", PECHAT_GOST_TC26_512_B, NID_id_tc26_gost_3410_2012_512_paramSetB, PECHAT_KEYALG_GOST2012_512,
	  "B" },
	{ "tc26-512-c", PECHAT_GOST_TC26_512_C, NID_id_tc26_gost_3410_2012_512_paramSetC, PECHAT_KEYALG_GOST2012_512,
	  "C" },
};

#define N_GOST_PARAMSETS (sizeof(gost_paramsets) / sizeof(gost_paramsets[0]))

const struct pechat_gost_paramset_info *
pechat_gost_paramset_by_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < N_GOST_PARAMSETS; i++)
		if (strcmp(gost_paramsets[i].name, name) == 0)
			return &gost_paramsets[i];
	return NULL;
}

const struct pechat_gost_paramset_info *
pechat_gost_paramset_by_flag(unsigned flag)
{
	size_t i;

	for (i = 0; i < N_GOST_PARAMSETS; i++)
		if (gost_paramsets[i].flag == flag)
			return &gost_paramsets[i];
	return NULL;
}

const struct pechat_gost_paramset_info *
pechat_gost_paramset_by_nid(int nid)
{
	size_t i;

	for (i = 0; nid != NID_undef && i < N_GOST_PARAMSETS; i++)
		if (gost_paramsets[i].nid == nid)
			return &gost_paramsets[i];
	return NULL;
}

unsigned
pechat_gost_paramsets_of(unsigned sizes)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < N_GOST_PARAMSETS; i++)
		if ((sizes & (unsigned)gost_paramsets[i].keyalg) != 0)
			mask |= gost_paramsets[i].flag;
	return mask;
}

void
pechat_gost_paramsets_names(unsigned mask, char *buf, size_t bufsz)
{
	size_t i, used = 0;
	int n;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < N_GOST_PARAMSETS; i++) {
		if ((mask & gost_paramsets[i].flag) == 0)
			continue;
		n = snprintf(buf + used, bufsz - used, "%s%s", used > 0 ? ", " : "", gost_paramsets[i].name);
		if (n < 0 || (size_t)n >= bufsz - used)
			return;
		used += (size_t)n;
	}
}
