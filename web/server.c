/*
 * web/server.c — the two libmicrohttpd daemons, the access handler (body
 * collection with a hard size limit, routing, authentication, roles) and
 * graceful shutdown. One store connection per worker thread (pthread key).
 */
#include "web/web_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TLS_FILE_MAX (64 * 1024)
/* TLS 1.3 and TLS 1.2 with ECDHE and AEAD ciphers only (no CBC, no SHA-1 MAC, no RSA key
 * transport); SECURE256/SECURE128 keep their signature algorithms and groups. */
#define API_TLS_PRIORITIES "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
	"+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/*
 * 404 for a path no route has on this listener; an /api/ path on the public
 * listener says where the API is (the API listener's bound port).
 */
static MHD_Result_t
not_found(struct web_req *r)
{
	const struct pechat_config *c = r->w->conf;
	char detail[320];

	if (r->listener != WEB_PUBLIC || strncmp(r->url, "/api/", 5) != 0)
		return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "not_found", "no such resource");
	snprintf(detail, sizeof(detail),
	    "this is the public listener (CRLs, OCSP, CA certificates): the API is served on the API listener, "
	    "https://%.64s:%d%s, with a client certificate",
	    c->n_api_hostnames > 0 ? c->api_hostnames[0] : c->api_listener.address, r->w->api_port, "/api/v1/");
	return web_reply_problem(r, MHD_HTTP_NOT_FOUND, "not_found", detail);
}

/* 403 naming the caller's role and the roles the route admits (detail and members). */
static MHD_Result_t
role_forbidden(struct web_req *r, const struct web_route *route)
{
	char allowed[64], detail[320];

	web_roles_text(route->roles, allowed, sizeof(allowed));
	log_reject("%s (%s) may not %s %s (allowed: %s)", r->actor.name, r->actor.role, r->method, r->url, allowed);
	snprintf(detail, sizeof(detail), "your role is %s; %s %s is allowed to %s only", r->actor.role,
	    route->method, route->pattern, allowed);
	return web_reply_problem_ext(r, MHD_HTTP_FORBIDDEN, "role_forbidden", detail,
	    json_pack("{s:s, s:o}", "role", r->actor.role, "allowed_roles", web_roles_json(route->roles)));
}

/* Routes, authenticates and dispatches a request whose body is complete. */
static MHD_Result_t
dispatch(struct web_req *r)
{
	const struct web_route *route;
	struct pechat_error e;
	MHD_Result_t ret;
	int wrong_method;

	web_guard_request_received(r->conn);
	if (r->too_large)
		return web_reply_problem(r, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
		    "the request body exceeds the configured limit");
	if ((route = web_route_match(r, &wrong_method)) == NULL) {
		if (wrong_method)
			return web_reply_problem(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
			    "this resource does not support that method");
		return not_found(r);
	}
	pechat_error_clear(&e);
	if (route->handler != h_healthz && (r->db = web_db(r->w, &e)) == NULL)
		return web_reply_error(r, &e);
	if (route->roles != 0) {
		if (web_authenticate(r, &ret) != 0)
			return ret;
		if (!(route->roles & r->role))
			return role_forbidden(r, route);
	}
	return route->handler(r);
}

/* Content-Length larger than the limit is refused before reading the body. */
static int
declared_too_large(struct MHD_Connection *conn, size_t limit)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (cl == NULL)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno != 0 || *end != '\0' || n > limit;
}

static MHD_Result_t
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	const struct web_listener_ctx *lc = cls;
	struct web_req *r = *con_cls;
	struct web *w = lc->w;
	char *grown;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->w = w;
		r->conn = conn;
		r->listener = lc->listener;
		r->method = method;
		r->url = url;
		r->started = 1;
		atomic_fetch_add(&w->in_flight, 1);
		*con_cls = r;
		if (declared_too_large(conn, w->conf->max_body_bytes)) {
			r->too_large = 1;
			log_reject("%s %s: declared body over %zu bytes", method, url, w->conf->max_body_bytes);
			return dispatch(r);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->too_large && r->body_len + *upload_data_size <= w->conf->max_body_bytes) {
			if ((grown = realloc(r->body, r->body_len + *upload_data_size + 1)) == NULL)
				return MHD_NO;
			r->body = grown;
			memcpy(r->body + r->body_len, upload_data, *upload_data_size);
			r->body_len += *upload_data_size;
			r->body[r->body_len] = '\0';
		} else
			r->too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(r);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	const struct web_listener_ctx *lc = cls;
	struct web_req *r = *con_cls;
	struct web *w = lc->w;

	(void)toe;
	web_guard_request_done(conn);
	if (r == NULL)
		return;
	if (r->started)
		atomic_fetch_sub(&w->in_flight, 1);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's messages, rate-limited per listener (a client can cause one per connection). */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct web_listener_ctx *lc = cls;
	const struct pechat_listener_conf *l = lc->listener == WEB_API ? &lc->w->conf->api_listener :
	    &lc->w->conf->public_listener;
	const char *name = lc->listener == WEB_API ? "api" : "public";
	unsigned long dropped;
	char msg[512], more[64] = "";
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (n == 0 || !web_ratelimit_allow(&lc->log_rl, &dropped))
		return;
	if (dropped > 0)
		snprintf(more, sizeof(more), " (%lu more lines suppressed)", dropped);
	if (strstr(msg, "reached connection limit") != NULL)
		log_reject("%s listener: connection refused: its address has max_connections_per_ip=%d open "
		    "(or the listener max_connections=%d)%s", name, l->max_connections_per_ip, l->max_connections, more);
	else    /* mostly one line per bad connection (malformed HTTP, TLS garbage): a rejection */
		log_reject("http (%s): %s%s", name, msg, more);
}

/* Reads a PEM file into a NUL-terminated string. */
static char *
read_pem(const char *path, struct pechat_error *e)
{
	unsigned char *data = NULL;
	size_t len;

	if (pechat_file_read(path, TLS_FILE_MAX, &data, &len) != 0) {
		log_err("cannot read %s: %s", path, strerror(errno));
		pechat_fail(e, PECHAT_E_UNAVAILABLE, "tls_files_missing", "cannot read %s: run `pechat init`", path);
		return NULL;
	}
	return (char *)data;
}

/* Fills a sockaddr for address:port (IPv4 or IPv6 literal). */
static int
make_addr(const struct pechat_listener_conf *l, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, l->address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)l->port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, l->address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)l->port);
		return AF_INET6;
	}
	return -1;
}

/* Fills a listener context from the config. */
static void
listener_ctx_init(struct web *w, struct web_listener_ctx *lc, enum web_listener listener)
{
	const struct pechat_listener_conf *l = listener == WEB_API ? &w->conf->api_listener : &w->conf->public_listener;

	lc->w = w;
	lc->listener = listener;
	lc->request_deadline_ms = (long long)l->request_deadline_s * 1000;
	lc->handshake_deadline_ms = listener == WEB_API ? (long long)l->tls_handshake_deadline_s * 1000 : 0;
	lc->max_connections = l->max_connections;
	atomic_init(&lc->open, 0);
	web_ratelimit_init(&lc->log_rl);
	web_ratelimit_init(&lc->full_rl);
}

/* Starts one daemon with its listener context as the callbacks' closure. */
static struct MHD_Daemon *
start_daemon(struct web *w, struct web_listener_ctx *lc, int *port, struct pechat_error *e)
{
	enum web_listener listener = lc->listener;
	const struct pechat_listener_conf *l = listener == WEB_API ? &w->conf->api_listener : &w->conf->public_listener;
	void *cls = lc;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	unsigned int max_conns = (unsigned int)l->max_connections, per_ip = (unsigned int)l->max_connections_per_ip;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	int family;

	if ((family = make_addr(l, &ss)) < 0) {
		pechat_fail(e, PECHAT_E_INVALID, "listener_address", "bad listener address %s", l->address);
		return NULL;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (listener == WEB_API) {
		/* a thread per connection: a request waiting for its commit holds no other client */
		flags = (flags & ~(unsigned int)MHD_USE_EPOLL) | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_TLS;
		d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, access_handler, cls,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, cls,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)w->conf->connection_timeout_s,
		    MHD_OPTION_CONNECTION_LIMIT, max_conns,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		    MHD_OPTION_NOTIFY_CONNECTION, web_guard_notify, cls,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
		    MHD_OPTION_HTTPS_MEM_CERT, w->tls_cert_pem,
		    MHD_OPTION_HTTPS_MEM_KEY, w->tls_key_pem,
		    MHD_OPTION_HTTPS_MEM_TRUST, w->trust_pem,
		    MHD_OPTION_HTTPS_PRIORITIES, API_TLS_PRIORITIES,
		    MHD_OPTION_END);
	} else {
		d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, access_handler, cls,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, cls,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)w->conf->threads,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)w->conf->connection_timeout_s,
		    MHD_OPTION_CONNECTION_LIMIT, max_conns,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		    MHD_OPTION_NOTIFY_CONNECTION, web_guard_notify, cls,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
		    MHD_OPTION_END);
	}
	if (d == NULL) {
		log_err("cannot listen on %s:%d (%s)", l->address, l->port,
		    listener == WEB_API ? "api" : "public");
		pechat_fail(e, PECHAT_E_UNAVAILABLE, "listen_failed", "cannot listen on %s:%d", l->address, l->port);
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info != NULL ? info->port : l->port;
	return d;
}

enum pechat_err
web_start(const struct pechat_config *conf, struct ca *ca, struct ca_publisher *pub,
    const struct pechat_clock *clock, struct web **out, struct pechat_error *e)
{
	struct web *w;
	enum pechat_err err = PECHAT_E_INTERNAL;

	*out = NULL;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "tls_unsupported", "libmicrohttpd lacks TLS support");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	w->conf = conf;
	listener_ctx_init(w, &w->pub_ctx, WEB_PUBLIC);
	listener_ctx_init(w, &w->api_ctx, WEB_API);
	w->ca = ca;
	w->publisher = pub;
	w->ra.ca = ca;
	w->ra.pub = pub;
	w->clock = clock;
	pthread_mutex_init(&w->ready_lock, NULL);
	atomic_init(&w->in_flight, 0);
	if (web_dbpool_init(w) != 0) {
		pthread_mutex_destroy(&w->ready_lock);
		free(w);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "pthread_key_create failed");
	}
	if ((w->tls_cert_pem = read_pem(conf->tls_cert, e)) == NULL ||
	    (w->tls_key_pem = read_pem(conf->tls_key, e)) == NULL ||
	    (w->trust_pem = read_pem(conf->operator_ca_cert, e)) == NULL) {
		err = e != NULL ? e->err : PECHAT_E_UNAVAILABLE;
		goto fail;
	}
	if ((err = web_guard_start(w, e)) != PECHAT_OK)
		goto fail;
	if ((w->pub = start_daemon(w, &w->pub_ctx, &w->pub_port, e)) == NULL ||
	    (w->api = start_daemon(w, &w->api_ctx, &w->api_port, e)) == NULL) {
		err = e != NULL ? e->err : PECHAT_E_UNAVAILABLE;
		goto fail;
	}
	*out = w;
	return PECHAT_OK;
fail:
	web_shutdown(w, 0);
	return err;
}

int
web_public_port(const struct web *w)
{
	return w->pub_port;
}

int
web_api_port(const struct web *w)
{
	return w->api_port;
}

int
web_shutdown(struct web *w, int timeout_s)
{
	int waited_ms = 0, left;

	if (w == NULL)
		return 0;
	/* stop accepting; connections already accepted keep being served */
	if (w->pub != NULL)
		MHD_quiesce_daemon(w->pub);
	if (w->api != NULL)
		MHD_quiesce_daemon(w->api);
	while ((left = atomic_load(&w->in_flight)) > 0 && waited_ms < timeout_s * 1000) {
		usleep(20 * 1000);
		waited_ms += 20;
	}
	if (left > 0)
		log_warn("shutdown: %d request(s) still in flight after %d s", left, timeout_s);
	if (w->pub != NULL)
		MHD_stop_daemon(w->pub);
	if (w->api != NULL)
		MHD_stop_daemon(w->api);
	web_guard_stop(w);
	web_ratelimit_destroy(&w->pub_ctx.log_rl);
	web_ratelimit_destroy(&w->pub_ctx.full_rl);
	web_ratelimit_destroy(&w->api_ctx.log_rl);
	web_ratelimit_destroy(&w->api_ctx.full_rl);
	web_dbpool_close(w);
	pthread_mutex_destroy(&w->ready_lock);
	free(w->tls_cert_pem);
	if (w->tls_key_pem != NULL)
		OPENSSL_cleanse(w->tls_key_pem, strlen(w->tls_key_pem));
	free(w->tls_key_pem);
	free(w->trust_pem);
	free(w);
	return left;
}
