/*
 * config/ — load and validate the JSON configuration.
 *
 * The structs below are plain data (no pointers into jansson): other modules
 * (ca/, web/) read them through this header without linking jansson.
 * Every key is documented in docs/CONFIG.md; config/pechat.example.json is a
 * complete example.
 */
#ifndef PECHAT_CONFIG_H
#define PECHAT_CONFIG_H

#include <stddef.h>

#include "common/common.h"

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

/* One listener; the limits keep slow or hostile clients from taking it down (docs/CONFIG.md). */
struct pechat_listener_conf {
	char address[64];       /* IPv4/IPv6 literal to bind */
	int port;               /* 0 = let the OS choose (tests); the bound port is reported */
	int max_connections;    /* open connections at once; default public 512, api 256 */
	int max_connections_per_ip; /* from one client address; default public 128, api 32 */
	int request_deadline_s; /* accept (or end of the previous request) to request fully received;
	                         * does not restart on each byte; default public 10, api 30 */
	int tls_handshake_deadline_s; /* api only: accept to TLS handshake done; default 10 */
};

/*
 * An issuer: a root CA and the issuing CA under it, both created by
 * `pechat init`. `name` is the issuing CA's short name ([a-z0-9-]+, used in
 * URLs); the root is stored as "<name>-root".
 */
struct pechat_issuer_conf {
	char name[PECHAT_NAME_MAX];
	enum pechat_keyalg key_algorithm;   /* exactly one flag */
	int rsa_bits;                       /* for PECHAT_KEYALG_RSA: 2048..8192, default 3072 */
	char common_name[128];              /* issuing CA CN; the root gets "<CN> Root" */
	char organization[128];
	char country[3];
	int root_validity_days;             /* default 7300 */
	int validity_days;                  /* issuing CA, default 3650 */
	char key_dir[PECHAT_PATH_MAX];      /* where init writes the keys; default <var>/keys */
};

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
};

/* CRL publishing ("crl" section). */
struct pechat_crl_conf {
	int next_update_s;          /* full CRL nextUpdate - thisUpdate; default 43200 (12 h, 63-FZ) */
	int full_interval_s;        /* regenerate at least this often; default 3600 */
	int delta_next_update_s;    /* delta CRL validity; default 3600 */
	int delta_rebase_s;         /* deltas relative to a base at most this old; default 86400 */
	int coalesce_ms;            /* CRLs are made once changes pause this long; default 1000 */
	int max_delay_ms;           /* ... and at most this long after the first change; default 3000 */
	int cache_max_age_s;        /* HTTP Cache-Control max-age cap; default 300 */
};

/* OCSP responder ("ocsp" section). */
struct pechat_ocsp_conf {
	int validity_s;             /* pre-signed answers: nextUpdate - thisUpdate; default 14400 */
	int refresh_before_s;       /* re-sign this long before nextUpdate; default 3600 */
	int honour_nonce;           /* "nonce": "honour" (1, default) | "ignore" (0, RFC 8954) */
	int max_certids;            /* CertIDs per request; default 10, at most 16 */
	int on_demand_per_s;        /* on-demand signatures per issuer per second; default 50 */
	int responder_validity_days;/* delegated responder certificate; default 7 */
	int responder_renew_days;   /* renewed this long before expiry; default 2 */
};

struct pechat_config {
	char source[PECHAT_PATH_MAX];       /* file it came from, or "(defaults)" */
	char var_dir[PECHAT_PATH_MAX];      /* default "./var" */
	char store_path[PECHAT_PATH_MAX];   /* default "<var>/pechat.db" */
	struct pechat_listener_conf public_listener;  /* default 127.0.0.1:8080, plain HTTP */
	struct pechat_listener_conf api_listener;     /* default 127.0.0.1:8443, HTTPS + client certs */
	char public_base_url[256];          /* base of CDP/AIA URLs; default "http://127.0.0.1:8080" */
	char api_hostnames[4][128];         /* SANs for the API server certificate; default localhost */
	int n_api_hostnames;
	char tls_cert[PECHAT_PATH_MAX];     /* default "<var>/tls/server.crt" */
	char tls_key[PECHAT_PATH_MAX];      /* default "<var>/tls/server.key" */
	char operator_ca_cert[PECHAT_PATH_MAX]; /* default "<var>/certs/operators.crt" */
	int threads;                        /* worker threads per listener, default 4 */
	size_t max_body_bytes;              /* default 65536; larger bodies get 413 */
	int connection_timeout_s;           /* default 30 */
	int drain_timeout_s;                /* SIGTERM: wait this long for in-flight requests, default 10 */
	char log_level[16];                 /* "debug" | "info" | "warn" | "error" */
	struct pechat_crl_conf crl;
	struct pechat_ocsp_conf ocsp;
	struct pechat_issuer_conf *issuers;
	int n_issuers;
	struct pechat_profile_conf *profiles;
	int n_profiles;
};

/*
 * Loads `path` (NULL: built-in defaults only) into a new config. On error
 * returns NULL and writes "<file>: <json path>: <rule>" into errbuf.
 * Unknown keys are errors (a typo must not silently fall back to a default).
 */
struct pechat_config *pechat_config_load(const char *path, char *errbuf, size_t errsz);

/* Built-in defaults: demo issuers "ecdsa" (P-256) and "rsa" (RSA-3072) and demo profiles. */
struct pechat_config *pechat_config_defaults(void);

void pechat_config_free(struct pechat_config *conf);

/* The linked jansson library's version (jansson_version_str), for --version. */
const char *pechat_config_jansson_version(void);

const struct pechat_issuer_conf *pechat_config_issuer(const struct pechat_config *conf, const char *name);
const struct pechat_profile_conf *pechat_config_profile(const struct pechat_config *conf, const char *name);

#endif
