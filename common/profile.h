/*
 * common/profile.h — a certificate profile and the names of key algorithms
 * and key usages, shared by config/ (which fills them from the JSON) and by
 * ca/ and ra/ (which apply them) without either including the other.
 */
#ifndef PECHAT_PROFILE_H
#define PECHAT_PROFILE_H

#include <stddef.h>

#include <openssl/types.h>

#define PECHAT_NAME_MAX 64
#define PECHAT_PATH_MAX 512
#define PECHAT_MAX_EKU 8
#define PECHAT_MAX_POLICIES 8
#define PECHAT_MAX_APPROVALS 10  /* distinct officers a profile may require */

/* Key algorithms an issuer can have and a profile can allow (bit flags). */
enum pechat_keyalg {
	PECHAT_KEYALG_EC_P256 = 1 << 0,
	PECHAT_KEYALG_EC_P384 = 1 << 1,
	PECHAT_KEYALG_EC_P521 = 1 << 2,
	PECHAT_KEYALG_RSA = 1 << 3,        /* any size >= the profile's rsa_min_bits */
	PECHAT_KEYALG_ED25519 = 1 << 4,
	PECHAT_KEYALG_GOST2012_256 = 1 << 5,
	PECHAT_KEYALG_GOST2012_512 = 1 << 6,
};

/* Name <-> flag: "ec-p256", "ec-p384", "ec-p521", "rsa", "ed25519", "gost2012-256", "gost2012-512". */
const char *pechat_keyalg_name(enum pechat_keyalg alg);
int pechat_keyalg_lookup(const char *name); /* flag or 0 */

/*
 * GOST R 34.10-2012 parameter sets (bit flags), docs/PROFILES.md: tc26 256 A-D
 * (1.2.643.7.1.2.1.1.1-4), CryptoPro A/B/C (1.2.643.2.2.35.1-3), XchA/XchB
 * (1.2.643.2.2.36.0/1), tc26 512 A-C (1.2.643.7.1.2.1.2.1-3).
 */
enum pechat_gost_paramset {
	PECHAT_GOST_TC26_256_A = 1 << 0,
	PECHAT_GOST_TC26_256_B = 1 << 1,
	PECHAT_GOST_TC26_256_C = 1 << 2,
	PECHAT_GOST_TC26_256_D = 1 << 3,
	PECHAT_GOST_CP_A = 1 << 4,
	PECHAT_GOST_CP_B = 1 << 5,
	PECHAT_GOST_CP_C = 1 << 6,
	PECHAT_GOST_CP_XCHA = 1 << 7,
	PECHAT_GOST_CP_XCHB = 1 << 8,
	PECHAT_GOST_TC26_512_A = 1 << 9,
	PECHAT_GOST_TC26_512_B = 1 << 10,
	PECHAT_GOST_TC26_512_C = 1 << 11,
};

/* One GOST parameter set: its config name, flag, OpenSSL NID, key size and gost-engine name. */
struct pechat_gost_paramset_info {
	const char *name;       /* config name: "tc26-256-a".."tc26-256-d", "cryptopro-a".."-c", "cryptopro-xcha",
	                           "cryptopro-xchb", "tc26-512-a".."tc26-512-c" */
	unsigned flag;          /* enum pechat_gost_paramset */
	int nid;                /* OpenSSL NID of the parameter set OID */
	int keyalg;             /* PECHAT_KEYALG_GOST2012_256 or PECHAT_KEYALG_GOST2012_512 */
	const char *engine;     /* gost-engine's "paramset" ctrl value (TCA..TCD, A, B, C, XA, XB; 512: A, B, C) */
};

/* The row of a config name, a single flag or an NID; NULL if none (static storage). */
const struct pechat_gost_paramset_info *pechat_gost_paramset_by_name(const char *name);
const struct pechat_gost_paramset_info *pechat_gost_paramset_by_flag(unsigned flag);
const struct pechat_gost_paramset_info *pechat_gost_paramset_by_nid(int nid);
/* Every parameter set flag of the GOST sizes in `sizes` (OR of pechat_keyalg; others ignored). */
unsigned pechat_gost_paramsets_of(unsigned sizes);
/* The config names of the sets in mask, ", "-separated, into buf (truncated to bufsz). */
void pechat_gost_paramsets_names(unsigned mask, char *buf, size_t bufsz);
/*
 * The parameter set of a GOST R 34.10-2012 public key, read from its
 * SubjectPublicKeyInfo parameters (the publicKeyParamSet OID, RFC 9215 §4.2;
 * common/spki.c); NULL for another key type or a set not in the table.
 */
const struct pechat_gost_paramset_info *pechat_gost_paramset_of_key(EVP_PKEY *pub);

/* Qualified certificates (docs/PROFILES.md): lengths in characters of the sign tool strings. */
#define PECHAT_SIGN_TOOL_CHARS 200              /* subjectSignTool, signTool, cATool: 1..200 */
#define PECHAT_SIGN_TOOL_CERT_CHARS 100         /* signToolCert, cAToolCert: 1..100 */
#define PECHAT_SIGN_TOOL_BYTES (4 * PECHAT_SIGN_TOOL_CHARS + 1)        /* as UTF-8, with NUL */
#define PECHAT_SIGN_TOOL_CERT_BYTES (4 * PECHAT_SIGN_TOOL_CERT_CHARS + 1)

/* issuerSignTool (1.2.643.100.112): the issuer's crypto tools and their conformity certificates. */
struct pechat_sign_tools {
	char sign_tool[PECHAT_SIGN_TOOL_BYTES];           /* signTool */
	char ca_tool[PECHAT_SIGN_TOOL_BYTES];             /* cATool */
	char sign_tool_cert[PECHAT_SIGN_TOOL_CERT_BYTES]; /* signToolCert */
	char ca_tool_cert[PECHAT_SIGN_TOOL_CERT_BYTES];   /* cAToolCert */
};

/*
 * 1 if s is 1..max_chars characters of valid UTF-8 without control, format or
 * line-separator code points (a sign tool string of docs/PROFILES.md), else 0.
 */
int pechat_sign_tool_ok(const char *s, size_t max_chars);

/* keyUsage bits, as in RFC 5280 §4.2.1.3 (values match OpenSSL's KU_* macros). */
enum pechat_key_usage {
	PECHAT_KU_DIGITAL_SIGNATURE = 0x0080,
	PECHAT_KU_NON_REPUDIATION = 0x0040,
	PECHAT_KU_KEY_ENCIPHERMENT = 0x0020,
	PECHAT_KU_DATA_ENCIPHERMENT = 0x0010,
	PECHAT_KU_KEY_AGREEMENT = 0x0008,
	PECHAT_KU_KEY_CERT_SIGN = 0x0004,
	PECHAT_KU_CRL_SIGN = 0x0002,
};
/* "digitalSignature", "nonRepudiation", ... -> bit, or 0 if unknown. */
int pechat_key_usage_lookup(const char *name);
/* The config name of one keyUsage bit, or NULL. */
const char *pechat_key_usage_name(enum pechat_key_usage bit);

/* A certificate profile: what an end-entity certificate from it looks like. */
struct pechat_profile_conf {
	char name[PECHAT_NAME_MAX];
	char issuer[PECHAT_NAME_MAX];       /* must name a configured issuer */
	int validity_days;                  /* 1..3650, clipped to the issuer's notAfter */
	unsigned key_algorithms;            /* OR of pechat_keyalg flags allowed in CSRs */
	int rsa_min_bits;                   /* >= 2048 */
	unsigned key_usage;                 /* OR of pechat_key_usage (end entity) */
	char ext_key_usage[PECHAT_MAX_EKU][64]; /* short names ("clientAuth") or dotted OIDs */
	int n_ext_key_usage;
	char policies[PECHAT_MAX_POLICIES][64]; /* certificatePolicies OIDs */
	int n_policies;
	unsigned subject_required;          /* bit (1u << PSF_x) per required subject field */
	unsigned subject_allowed;           /* fields the request may carry (required ⊆ allowed) */
	int auto_approve;                   /* issue at once, without an officer's approval */
	int approvals;                      /* distinct officers needed (0 iff auto_approve; else 1..PECHAT_MAX_APPROVALS) */
	int subject_registry;               /* "subject_source": 0 "inline" (default), 1 "registry" */
	char subject_kind[16];              /* registry subjects' kind: "individual", "sole_proprietor",
	                                       "legal_entity"; "" with an inline source */
	char requires_power[64];            /* legal_entity only: the power code a power of attorney must
	                                       grant (visible ASCII); "" = no power required */
	int qualified;                      /* "qualified": true: a qualified certificate (docs/PROFILES.md) */
	char sign_tool[PECHAT_SIGN_TOOL_BYTES]; /* "sign_tool": subjectSignTool when the request names none */
	unsigned gost_paramsets;            /* "gost_paramsets": accepted GOST parameter sets (OR of
	                                       pechat_gost_paramset); 0 = every one of the allowed sizes */
};

#endif
