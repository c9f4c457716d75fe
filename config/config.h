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
#include "common/profile.h"

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
	char key_ref[PECHAT_PATH_MAX];      /* "key": the issuing CA's key reference (file:/abs, pkcs11:,
	                                       engine:); "" = <key_dir>/<name>.key */
	char root_key_ref[PECHAT_PATH_MAX]; /* "root_key": the root's; "" = <key_dir>/<name>-root.key */
	unsigned gost_paramset;             /* "gost_paramset": one pechat_gost_paramset flag for the keys
	                                       init generates (GOST issuers); 0 = the size's tc26 A */
	struct pechat_sign_tools tools;     /* "sign_tools": issuerSignTool of qualified certificates */
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
	int threads;                        /* the public listener's workers, default one per core (1..16);
	                                     * the API listener runs a thread per connection */
	int threads_auto;                   /* 1: the default, lowered to public.max_connections */
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
