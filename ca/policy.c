/*
 * ca/policy.c — key policy of a profile, and the digest that follows a key.
 */
#include "ca_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

/* Curve of an EC key as a pechat_keyalg flag; 0 for an explicit or unknown curve. */
static unsigned
ec_curve_flag(EVP_PKEY *pub, char *curve, size_t curvesz)
{
	char enc[32] = "";

	curve[0] = '\0';
	if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, curvesz, NULL) != 1)
		curve[0] = '\0';
	/* explicit parameters are refused even when they spell a named curve (RFC 5480 §2.1.1) */
	if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc), NULL) == 1 &&
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
		ERR_clear_error();
		return 0;
	}
	ERR_clear_error();
	if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
		return PECHAT_KEYALG_EC_P256;
	if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
		return PECHAT_KEYALG_EC_P384;
	if (strcmp(curve, "secp521r1") == 0 || strcmp(curve, "P-521") == 0)
		return PECHAT_KEYALG_EC_P521;
	return 0;
}

/* The profile's allowed key algorithms as "ec-p256, rsa (>= 2048 bits)" into buf. */
static void
allowed_list(const struct pechat_profile_conf *profile, char *buf, size_t bufsz)
{
	size_t i, n;

	buf[0] = '\0';
	for (i = 0; i < 31; i++) {
		if (!(profile->key_algorithms & (1u << i)) || pechat_keyalg_name((enum pechat_keyalg)(1u << i)) == NULL)
			continue;
		n = strlen(buf);
		if ((1u << i) == PECHAT_KEYALG_RSA)
			snprintf(buf + n, bufsz - n, "%srsa (>= %d bits)", n > 0 ? ", " : "",
			    profile->rsa_min_bits > 2048 ? profile->rsa_min_bits : 2048);
		else
			snprintf(buf + n, bufsz - n, "%s%s", n > 0 ? ", " : "",
			    pechat_keyalg_name((enum pechat_keyalg)(1u << i)));
	}
	if (buf[0] == '\0')
		pechat_strlcpy(buf, "none", bufsz);
}

/* What the key is, for people: "ec-p521", "rsa 1024 bits", "EC on curve secp256k1", "ED448". */
static void
key_description(EVP_PKEY *pub, int id, unsigned flag, const char *curve, char *buf, size_t bufsz)
{
	const char *name = flag != 0 ? pechat_keyalg_name((enum pechat_keyalg)flag) : NULL;

	if (name != NULL) {
		if (flag == PECHAT_KEYALG_RSA)
			snprintf(buf, bufsz, "rsa %d bits", EVP_PKEY_get_bits(pub));
		else
			pechat_strlcpy(buf, name, bufsz);
		return;
	}
	if (id == EVP_PKEY_EC)
		snprintf(buf, bufsz, "EC with %s%s", curve[0] != '\0' ? "curve " : "explicit curve parameters",
		    curve[0] != '\0' ? curve : "");
	else if (id == EVP_PKEY_RSA_PSS)
		pechat_strlcpy(buf, "RSA-PSS (restricted to PSS)", bufsz);
	else
		pechat_strlcpy(buf, OBJ_nid2sn(id) != NULL ? OBJ_nid2sn(id) : "an unknown key type", bufsz);
}

/* A key_* refusal naming the key found and what the profile allows, in the detail and the log. */
static enum pechat_err
key_refused(const struct pechat_profile_conf *profile, EVP_PKEY *pub, int id, unsigned flag,
    const char *curve, const char *code, struct pechat_error *e)
{
	char found[96], allowed[160];

	key_description(pub, id, flag, curve, found, sizeof(found));
	allowed_list(profile, allowed, sizeof(allowed));
	log_reject("ca: %s: the CSR's key is %s; profile %s allows %s", code, found, profile->name, allowed);
	return pechat_fail(e, PECHAT_E_POLICY, code, "the CSR's key is %s; profile %s allows %s",
	    found, profile->name, allowed);
}

/*
 * A GOST key's parameter set must be one the profile accepts (its
 * gost_paramsets, else every set of its GOST sizes): POLICY
 * "key_paramset_not_allowed" naming the key's set and the accepted ones.
 */
static enum pechat_err
gost_paramset_check(const struct pechat_profile_conf *profile, EVP_PKEY *pub, unsigned flag,
    struct pechat_error *e)
{
	const struct pechat_gost_paramset_info *ps = pechat_gost_paramset_of_key(pub);
	unsigned accepted = profile->gost_paramsets != 0 ? profile->gost_paramsets :
	    pechat_gost_paramsets_of(profile->key_algorithms);
	char names[256];

	if (ps != NULL && (accepted & ps->flag) != 0)
		return PECHAT_OK;
	pechat_gost_paramsets_names(accepted & pechat_gost_paramsets_of(flag), names, sizeof(names));
	if (names[0] == '\0')
		pechat_strlcpy(names, "none", sizeof(names));
	log_reject("ca: key_paramset_not_allowed: the CSR's %s key is on %s; profile %s accepts %s",
	    pechat_keyalg_name((enum pechat_keyalg)flag), ps != NULL ? ps->name : "an unknown parameter set",
	    profile->name, names);
	return pechat_fail(e, PECHAT_E_POLICY, "key_paramset_not_allowed", "the CSR's %s key is on parameter set %s; "
	    "profile %s accepts %s", pechat_keyalg_name((enum pechat_keyalg)flag),
	    ps != NULL ? ps->name : "(unknown)", profile->name, names);
}

/*
 * See ca.h. RSA: at least max(2048, profile->rsa_min_bits) (NIST SP 800-57,
 * CA/B BR 6.1.5); EC: named curves P-256/384/521 only (RFC 5480 §2.1.1,
 * RFC 5758); Ed25519 (RFC 8410); GOST R 34.10-2012 256/512 (RFC 9215).
 * RSA-PSS-only keys and everything else: key_algorithm_not_allowed. A GOST
 * key on a parameter set the profile does not accept: key_paramset_not_allowed.
 * Every refusal names the key found and the profile's allowed list.
 */
enum pechat_err
ca_key_policy_check(const struct pechat_profile_conf *profile, EVP_PKEY *pub,
    struct pechat_error *e)
{
	char curve[64] = "";
	unsigned flag = 0;
	int id, bits, min;

	if (profile == NULL || pub == NULL) {
		log_err("ca: key policy check without profile or key");
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	id = EVP_PKEY_get_base_id(pub);
	switch (id) {
	case EVP_PKEY_RSA:
		flag = PECHAT_KEYALG_RSA;
		break;
	case EVP_PKEY_EC:
		if ((flag = ec_curve_flag(pub, curve, sizeof(curve))) == 0)
			return key_refused(profile, pub, id, 0, curve, "key_curve_not_allowed", e);
		break;
	case EVP_PKEY_ED25519:
		flag = PECHAT_KEYALG_ED25519;
		break;
	case NID_id_GostR3410_2012_256:
		flag = PECHAT_KEYALG_GOST2012_256;
		break;
	case NID_id_GostR3410_2012_512:
		flag = PECHAT_KEYALG_GOST2012_512;
		break;
	default:
		break;
	}
	if (flag == 0 || (profile->key_algorithms & flag) == 0)
		return key_refused(profile, pub, id, flag, curve, "key_algorithm_not_allowed", e);
	if (flag == PECHAT_KEYALG_RSA) {
		bits = EVP_PKEY_get_bits(pub);
		min = profile->rsa_min_bits > 2048 ? profile->rsa_min_bits : 2048;
		if (bits < min)
			return key_refused(profile, pub, id, flag, curve, "key_too_weak", e);
	}
	if (flag == PECHAT_KEYALG_GOST2012_256 || flag == PECHAT_KEYALG_GOST2012_512)
		return gost_paramset_check(profile, pub, flag, e);
	return PECHAT_OK;
}

/* See ca.h: the one rule lives in hsm/ (hsm_digest_for_key). */
const EVP_MD *
ca_digest_for_key(EVP_PKEY *key)
{
	return hsm_digest_for_key(key);
}
