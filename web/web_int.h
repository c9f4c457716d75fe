/* web/web_int.h — private to web/: the request context, route table, reply helpers. */
#ifndef PECHAT_WEB_INT_H
#define PECHAT_WEB_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "db/db.h"
#include "ra/ra.h"
#include "web/web.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

enum web_listener {
	WEB_PUBLIC = 1,
	WEB_API = 2,
};

/* Role bits; a route admits the OR of some. 0 = no authentication (public data only). */
enum web_role {
	ROLE_ADMIN = 1 << 0,
	ROLE_RA_OFFICER = 1 << 1,
	ROLE_AUDITOR = 1 << 2,
	ROLE_PORTAL = 1 << 3,
};
#define ROLE_ANY_OPERATOR (ROLE_ADMIN | ROLE_RA_OFFICER | ROLE_AUDITOR)
#define ROLE_ALL (ROLE_ANY_OPERATOR | ROLE_PORTAL)

/* A log rate limiter: a few lines per period, then a count of what was dropped. */
struct web_ratelimit {
	pthread_mutex_t lock;
	long long window_ms;
	int lines;
	unsigned long suppressed;
};

/* What a daemon's callbacks receive as their closure. */
struct web_listener_ctx {
	struct web *w;
	enum web_listener listener;
	long long request_deadline_ms;  /* listeners.<name>.request_deadline_s */
	long long handshake_deadline_ms;/* listeners.api.tls_handshake_deadline_s; 0 on the public listener */
	int max_connections;
	atomic_int open;                /* connections tracked by web/guard.c */
	struct web_ratelimit log_rl;    /* libmicrohttpd messages */
	struct web_ratelimit full_rl;   /* "listener full" lines */
};

struct web_guard;

/* Idle store connections kept for the next thread (web/dbpool.c). */
#define WEB_DBPOOL_KEEP 16

struct web {
	const struct pechat_config *conf;
	struct web_listener_ctx pub_ctx;
	struct web_listener_ctx api_ctx;
	struct ca *ca;
	struct ca_publisher *publisher;
	struct ra_ca ra;                /* { ca, publisher }: what every ra/ call that changes state gets */
	const struct pechat_clock *clock;
	pthread_mutex_t ready_lock;     /* /readyz result cached for a few seconds */
	time_t ready_checked;
	int ready_ok;
	char ready_detail[1024];        /* the cached failure: each key that cannot sign, and why */
	struct MHD_Daemon *pub;
	struct MHD_Daemon *api;
	int pub_port;
	int api_port;
	pthread_key_t db_key;           /* one store connection per worker thread (web/dbpool.c) */
	pthread_mutex_t dbpool_lock;
	struct db *dbpool[WEB_DBPOOL_KEEP]; /* idle connections of ended threads */
	int dbpool_n;
	atomic_llong dbpool_opened;     /* connections opened since start (not taken from the pool) */
	char *tls_cert_pem;
	char *tls_key_pem;
	char *trust_pem;
	atomic_int in_flight;
	struct web_guard *guard;        /* deadlines and the watchdog (web/guard.c) */
};

/* web/guard.c: connection deadlines, the watchdog thread, the file-descriptor budget. */
/* Checks/raises RLIMIT_NOFILE for the connection limits and starts the watchdog. */
enum pechat_err web_guard_start(struct web *w, struct pechat_error *e);
/* Stops the watchdog and frees the table (after the daemons stopped). NULL guard is fine. */
void web_guard_stop(struct web *w);
/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the listener's web_listener_ctx. */
void web_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe);
/* The request is fully received: its connection has no deadline while it is handled. */
void web_guard_request_received(struct MHD_Connection *conn);
/* The request is over: the next one on this connection must arrive within the deadline. */
void web_guard_request_done(struct MHD_Connection *conn);
/*
 * What a keep-alive API connection remembers of its client (web/auth.c
 * reads and writes it from the connection's worker thread only; it is freed
 * with the connection): the certificate whose chain verified and until when
 * that holds, and — when `known` — the operator it authenticated as, valid
 * while the store's auth epoch (db_auth_epoch) still equals `epoch`.
 */
struct web_peer {
	char fp[65];            /* SHA-256 of the client certificate whose chain verified; "" none */
	time_t until;           /* trusted before this: min(last success + AUTH_VERIFIED_S, not_after) */
	int known;              /* 1: epoch, not_after, actor and role below are a successful lookup */
	int64_t epoch;          /* the auth epoch read before that lookup */
	time_t not_after;       /* the client certificate's notAfter (store) */
	struct ra_actor actor;
	unsigned role;
};
/* The peer memory of a connection, or NULL when the connection is not tracked (nothing remembered). */
struct web_peer *web_guard_peer(struct MHD_Connection *conn);
void web_ratelimit_init(struct web_ratelimit *rl);
void web_ratelimit_destroy(struct web_ratelimit *rl);
/* 1 if a line may be logged now; then *suppressed = lines refused since the last allowed one. */
int web_ratelimit_allow(struct web_ratelimit *rl, unsigned long *suppressed);

#define WEB_MAX_PARAMS 4

struct web_req;
typedef MHD_Result_t (*web_handler)(struct web_req *r);

struct web_route {
	const char *method;
	const char *pattern;            /* "/api/v1/requests/{id}"; "{x}" may have a literal suffix;
	                                 * a final "{x*}" captures the rest of the path, '/' included */
	unsigned listeners;             /* OR of web_listener */
	unsigned roles;                 /* OR of web_role; 0 = public */
	web_handler handler;
};

/* Everything a handler needs about one HTTP request. */
struct web_req {
	struct web *w;
	struct MHD_Connection *conn;
	enum web_listener listener;
	const char *method;
	const char *url;
	char *body;                     /* NUL-terminated copy of the upload */
	size_t body_len;
	int too_large;
	int started;                    /* counted in w->in_flight */
	struct ra_actor actor;          /* set by authentication */
	unsigned role;                  /* the actor's role bit */
	char params[WEB_MAX_PARAMS][256];
	int nparams;
	char allow[32];                 /* methods of the matched path, for a 405 */
	struct db *db;                  /* this thread's store connection (borrowed) */
};

/* Finds the route for method + url on a listener; fills r->params. */
const struct web_route *web_route_match(struct web_req *r, int *method_mismatch);
/* A role mask as "admin, ra_officer" into buf, or as a JSON array of names (new reference). */
void web_roles_text(unsigned roles, char *buf, size_t bufsz);
json_t *web_roles_json(unsigned roles);

/* Authenticates the client certificate: 0 and r->actor/role set, or a problem reply was queued. */
int web_authenticate(struct web_req *r, MHD_Result_t *ret);

/*
 * This thread's store connection (web/dbpool.c): on first use one a thread
 * that ended left idle, else a new one; given back when the thread ends.
 * NULL (and e set) if unavailable.
 */
struct db *web_db(struct web *w, struct pechat_error *e);
/* Sets up w's connection pool and thread key: 0, or -1 (nothing to undo). */
int web_dbpool_init(struct web *w);
/* After every listener thread has ended: closes the kept connections and deletes the key. */
void web_dbpool_close(struct web *w);
/* Store connections opened since start, and idle ones kept now (GET /healthz). */
void web_dbpool_stats(struct web *w, long long *opened, int *kept);

/* Replies (each queues a response and returns the MHD result). json is stolen. */
MHD_Result_t web_reply_json(struct web_req *r, unsigned status, json_t *json, const char *location);
MHD_Result_t web_reply_bytes(struct web_req *r, unsigned status, const char *content_type,
    const void *data, size_t len, const char *cache_control);
MHD_Result_t web_reply_problem(struct web_req *r, unsigned status, const char *code, const char *detail);
/* A problem with RFC 9457 extension members: the members of ext (an object, or NULL; stolen). */
MHD_Result_t web_reply_problem_ext(struct web_req *r, unsigned status, const char *code, const char *detail,
    json_t *ext);
/* The strong ETag of served bytes from their ca_der_fingerprint: "\"<16 hex>\"", "" for 0. */
void web_etag(uint64_t fingerprint, char etag[20]);
/* Cache-Control max-age of an object valid until next_update: the seconds left (>= 0), at most cap (< 0: none). */
int web_max_age(time_t next_update, time_t now, int cap);
/* A cacheable public object (CRL, OCSP answer): Last-Modified, Expires, ETag (web_etag of fingerprint),
 * Cache-Control max-age; answers 304 when If-None-Match matches. */
MHD_Result_t web_reply_cacheable(struct web_req *r, const char *content_type, const void *data, size_t len,
    time_t last_modified, time_t expires, uint64_t fingerprint, int max_age);
/*
 * The same without a copy: libmicrohttpd sends data from where it is and
 * calls release(cls) once it no longer needs it (also when this fails).
 * A CRL of a million entries (~40 MB) is served from its in-memory blob.
 */
MHD_Result_t web_reply_cacheable_ref(struct web_req *r, const char *content_type, const void *data, size_t len,
    time_t last_modified, time_t expires, uint64_t fingerprint, int max_age, void (*release)(void *), void *cls);
MHD_Result_t web_reply_error(struct web_req *r, const struct pechat_error *e);

/* HTTP status for an error kind. */
unsigned web_status_for(enum pechat_err err);

/* JSON helpers shared by handlers. */
json_t *web_json_time(time_t t);
json_t *web_json_subject(const struct pechat_subject *s);

/* PEM text of a DER certificate (malloc'd, NUL-terminated) or NULL. */
char *web_cert_pem(const unsigned char *der, size_t len);
/* The certificate resource of docs/API.md (new reference) or NULL. */
json_t *web_cert_json(struct web_req *r, const struct db_cert *c);
/* Its "owner" member from c and c's parsed subject (web/h_cert_search.c; new reference) or NULL. */
json_t *web_cert_owner_json(struct web_req *r, const struct db_cert *c, const struct pechat_subject *subject);

/* Handlers (one file per resource). */
MHD_Result_t h_healthz(struct web_req *r);
MHD_Result_t h_readyz(struct web_req *r);
MHD_Result_t h_ca_cert_der(struct web_req *r);
MHD_Result_t h_ca_chain_pem(struct web_req *r);
MHD_Result_t h_profiles_list(struct web_req *r);
MHD_Result_t h_issuers_list(struct web_req *r);
MHD_Result_t h_keys_list(struct web_req *r);
/* Idempotency-Key: 1..128 visible ASCII characters. 0 with *out (NULL when absent), -1 when bad (web/idem.c). */
int web_idem_key(struct web_req *r, const char **out);
/*
 * The Idempotency-Key of a creating POST other than /api/v1/requests into
 * idem (route; key NULL when absent; body_hash = hash: SHA-256 of the route,
 * the path, the Content-Type and `bytes`). 0, or -1 with a 400
 * "idempotency_key_invalid" (or 500) queued in *ret.
 */
int web_idem_read(struct web_req *r, const char *route, const void *bytes, size_t len, struct ra_idem *idem,
    char hash[65], MHD_Result_t *ret);
MHD_Result_t h_request_create(struct web_req *r);
MHD_Result_t h_request_get(struct web_req *r);
MHD_Result_t h_request_list(struct web_req *r);
MHD_Result_t h_request_approve(struct web_req *r);
MHD_Result_t h_request_reject(struct web_req *r);
/* The request resource of docs/API.md, approvals included (new reference) or NULL; its certificate is
 * q->cert_der when set (the call that filled q issued it), else read from the store. */
json_t *web_request_json(struct web_req *r, const struct db_request *q);
MHD_Result_t h_certificate_list(struct web_req *r);
MHD_Result_t h_certificate_get(struct web_req *r);
MHD_Result_t h_certificate_pem(struct web_req *r);
MHD_Result_t h_certificate_der(struct web_req *r);
MHD_Result_t h_certificate_revoke(struct web_req *r);
MHD_Result_t h_certificate_hold(struct web_req *r);
MHD_Result_t h_certificate_release(struct web_req *r);
MHD_Result_t h_subject_create(struct web_req *r);
MHD_Result_t h_subject_list(struct web_req *r);
MHD_Result_t h_subject_get(struct web_req *r);
MHD_Result_t h_subject_update(struct web_req *r);
MHD_Result_t h_subject_document_add(struct web_req *r);
MHD_Result_t h_subject_document_verify(struct web_req *r);
MHD_Result_t h_subject_verify(struct web_req *r);
MHD_Result_t h_subject_block(struct web_req *r);
MHD_Result_t h_subject_unblock(struct web_req *r);
MHD_Result_t h_appointment_add(struct web_req *r);
MHD_Result_t h_appointment_verify(struct web_req *r);
MHD_Result_t h_code_word_set(struct web_req *r);
MHD_Result_t h_rekey(struct web_req *r);
MHD_Result_t h_rekey_unlock(struct web_req *r);
MHD_Result_t h_poa_import(struct web_req *r);
MHD_Result_t h_poa_list(struct web_req *r);
MHD_Result_t h_poa_get(struct web_req *r);
MHD_Result_t h_poa_revoke(struct web_req *r);
/* The subject and identity document resources of docs/API.md (new references). */
json_t *web_subject_json(struct web_req *r, const struct db_subject *s);
json_t *web_document_json(const struct db_id_document *d);
/* An organisation's appointment documents as the resource's "appointments" array (new reference). */
json_t *web_appointments_json(struct web_req *r, const char *org_id);
/* Adds an "unknown" field error to e for every member of doc not named in keys (NULL-ended). */
void web_json_only(json_t *doc, const char *const *keys, struct pechat_error *e);
MHD_Result_t h_crl_full(struct web_req *r);
MHD_Result_t h_crl_delta(struct web_req *r);
MHD_Result_t h_crl_number(struct web_req *r);
MHD_Result_t h_ocsp_post(struct web_req *r);
MHD_Result_t h_ocsp_get(struct web_req *r);

/* A string member of obj: 1..max bytes without NUL, or NULL with a field error added to e
 * ("required" when absent and required, "type", "length"). */
const char *web_json_string(json_t *obj, const char *key, const char *field, size_t max, int required,
    struct pechat_error *e);

/* JSON body of a POST: parsed object (new reference) or NULL with a 400/415 reply queued. */
json_t *web_json_body(struct web_req *r, MHD_Result_t *ret);
/* The same for a body that carries a secret (a code word): a syntax error quotes none of it. */
json_t *web_json_body_secret(struct web_req *r, MHD_Result_t *ret);

#endif
