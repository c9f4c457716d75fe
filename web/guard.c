/*
 * web/guard.c — what keeps slow and hostile clients from taking a listener
 * down: per-connection deadlines enforced by a watchdog thread, the TLS
 * handshake deadline of the API, the file-descriptor budget of the
 * connection limits, and rate-limited logging of refusals.
 *
 * libmicrohttpd enforces max_connections (MHD_OPTION_CONNECTION_LIMIT: at the
 * limit a worker stops accepting, new connections wait in the kernel's listen
 * queue) and max_connections_per_ip (MHD_OPTION_PER_IP_CONNECTION_LIMIT: the
 * excess connection is accepted and closed at once). Its
 * MHD_OPTION_CONNECTION_TIMEOUT is an idle timeout that restarts on every
 * byte, so a client sending one header line every few seconds would hold a
 * slot for ever. Hence a deadline that does not move:
 *
 *   - accept (MHD_CONNECTION_NOTIFY_STARTED): deadline = now +
 *     request_deadline_s; on the API also handshake deadline = now +
 *     tls_handshake_deadline_s;
 *   - the client's TLS Finished message (a GnuTLS handshake hook) clears the
 *     handshake deadline;
 *   - the request fully received (web_guard_request_received, from dispatch)
 *     clears the deadline: handling and sending the answer are bounded by the
 *     handler and the idle timeout, not by this deadline;
 *   - the request completed (MHD_OPTION_NOTIFY_COMPLETED) re-arms it: now +
 *     request_deadline_s for the next request on the kept-alive connection
 *     (idle keep-alive time counts toward it).
 *
 * The watchdog wakes every WATCHDOG_TICK_MS and shutdown(SHUT_RDWR)s each
 * connection past a deadline; libmicrohttpd then reads the end of stream,
 * closes the connection and frees its slot.
 *
 * Locking: connections live in GUARD_SHARDS lists sharded by fd, each under
 * its own mutex. STARTED inserts and CLOSED removes under the shard mutex and
 * the watchdog shuts a socket down only while holding it; libmicrohttpd calls
 * CLOSED before it closes the fd, so the watchdog never touches an fd that was
 * closed (and perhaps reused). Requests only store into their own
 * connection's atomics: no lock on the request path.
 */
#include "web/web_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define GUARD_SHARDS 16
#define WATCHDOG_TICK_MS 200
#define LOG_PERIOD_MS 10000     /* at most one summary line per listener per period */
#define LOG_BURST 5             /* lines of one rate limiter per period */
/*
 * Descriptors beside the connections: store connections (the kept idle ones of web/dbpool.c:
 * a database and a log file each), epoll, listen sockets, log, keys.
 */
#define FD_RESERVE(threads) (64 + 8 * (threads) + 2 * WEB_DBPOOL_KEEP)

/* One accepted connection (libmicrohttpd's socket context). */
struct web_conn {
	struct web_conn *prev, *next;   /* shard list (shard mutex) */
	int fd;
	struct web_listener_ctx *lc;
	atomic_llong deadline_ms;       /* request deadline, monotonic ms; 0 = a request is being handled */
	atomic_llong hs_deadline_ms;    /* TLS handshake deadline; 0 = done or plain HTTP */
	int cut;                        /* already shut down by the watchdog (shard mutex) */
	struct sockaddr_storage addr;
	struct web_peer peer;           /* the authenticated client (its worker thread only) */
};

struct guard_shard {
	pthread_mutex_t lock;
	struct web_conn *head;
};

/* What the watchdog cut on one listener since its last log line (watchdog thread only). */
struct cut_stats {
	unsigned deadline;
	unsigned handshake;
	char last_ip[INET6_ADDRSTRLEN];
	long long logged_ms;
};

struct web_guard {
	struct guard_shard shards[GUARD_SHARDS];
	pthread_mutex_t lock;           /* stop flag + condvar */
	pthread_cond_t cond;
	int stop;
	int started;
	pthread_t thread;
	struct cut_stats stats[2];      /* [0] public, [1] api */
};

/* Monotonic milliseconds (coarse clock: a few ms of resolution, no system call). */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
listener_name(const struct web_listener_ctx *lc)
{
	return lc->listener == WEB_API ? "api" : "public";
}

/* Client address as text (for logs). */
static void
addr_text(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	const void *a = NULL;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss->ss_family, a, out, (socklen_t)outsz) == NULL)
		pechat_strlcpy(out, "?", outsz);
}

void
web_ratelimit_init(struct web_ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	pthread_mutex_init(&rl->lock, NULL);
}

void
web_ratelimit_destroy(struct web_ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

int
web_ratelimit_allow(struct web_ratelimit *rl, unsigned long *suppressed)
{
	long long now = now_ms();
	int ok;

	pthread_mutex_lock(&rl->lock);
	if (rl->window_ms == 0 || now - rl->window_ms >= LOG_PERIOD_MS) {
		rl->window_ms = now;
		rl->lines = 0;
	}
	ok = rl->lines < LOG_BURST;
	if (ok) {
		rl->lines++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else
		rl->suppressed++;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

/* The connection of a libmicrohttpd connection handle, or NULL. */
static struct web_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* GnuTLS hook: the client's Finished message arrived, the handshake no longer depends on it. */
static int
handshake_hook(gnutls_session_t session, unsigned int htype, unsigned when, unsigned int incoming,
    const gnutls_datum_t *msg)
{
	struct MHD_Connection *conn = gnutls_session_get_ptr(session); /* set by libmicrohttpd */
	struct web_conn *c;

	(void)htype;
	(void)when;
	(void)msg;
	if (incoming && conn != NULL && (c = conn_of(conn)) != NULL)
		atomic_store_explicit(&c->hs_deadline_ms, 0, memory_order_relaxed);
	return 0;
}

/* Logs (rate-limited) that a listener is full: new connections now wait in the listen queue. */
static void
log_at_limit(struct web_listener_ctx *lc, int open)
{
	unsigned long dropped;
	char more[64] = "";

	if (!web_ratelimit_allow(&lc->full_rl, &dropped))
		return;
	if (dropped > 0)
		snprintf(more, sizeof(more), " (%lu more lines suppressed)", dropped);
	log_warn("%s listener: %d connections open = max_connections; new ones wait in the listen queue%s",
	    listener_name(lc), open, more);
}

/* STARTED: track the connection and arm its deadlines. */
static void
conn_started(struct web_listener_ctx *lc, struct MHD_Connection *conn, void **socket_context)
{
	struct web_guard *g = lc->w->guard;
	const union MHD_ConnectionInfo *fdi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *ti;
	struct guard_shard *sh;
	struct web_conn *c;
	long long now = now_ms();
	int open;

	*socket_context = NULL;
	if (fdi == NULL)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		/* untracked means unbounded: refuse it instead */
		shutdown(fdi->connect_fd, SHUT_RDWR);
		return;
	}
	c->fd = fdi->connect_fd;
	c->lc = lc;
	if (ai != NULL && ai->client_addr != NULL)
		memcpy(&c->addr, ai->client_addr,
		    ai->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	atomic_init(&c->deadline_ms, now + lc->request_deadline_ms);
	atomic_init(&c->hs_deadline_ms, 0);
	if (lc->handshake_deadline_ms > 0 &&
	    (ti = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)) != NULL &&
	    ti->tls_session != NULL) {
		atomic_init(&c->hs_deadline_ms, now + lc->handshake_deadline_ms);
		gnutls_handshake_set_hook_function(ti->tls_session, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
		    handshake_hook);
	}
	sh = &g->shards[(unsigned)c->fd % GUARD_SHARDS];
	pthread_mutex_lock(&sh->lock);
	c->next = sh->head;
	if (sh->head != NULL)
		sh->head->prev = c;
	sh->head = c;
	pthread_mutex_unlock(&sh->lock);
	*socket_context = c;
	open = atomic_fetch_add(&lc->open, 1) + 1;
	if (open >= lc->max_connections)
		log_at_limit(lc, open);
}

/* CLOSED: forget the connection (before libmicrohttpd closes its fd). */
static void
conn_closed(struct web_listener_ctx *lc, void **socket_context)
{
	struct web_conn *c = *socket_context;
	struct guard_shard *sh;

	if (c == NULL)
		return;
	sh = &lc->w->guard->shards[(unsigned)c->fd % GUARD_SHARDS];
	pthread_mutex_lock(&sh->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sh->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&sh->lock);
	atomic_fetch_sub(&lc->open, 1);
	free(c);
	*socket_context = NULL;
}

void
web_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct web_listener_ctx *lc = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(lc, conn, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(lc, socket_context);
}

void
web_guard_request_received(struct MHD_Connection *conn)
{
	struct web_conn *c = conn_of(conn);

	if (c == NULL)
		return;
	atomic_store_explicit(&c->deadline_ms, 0, memory_order_relaxed);
	atomic_store_explicit(&c->hs_deadline_ms, 0, memory_order_relaxed);
}

/* See web_int.h. */
struct web_peer *
web_guard_peer(struct MHD_Connection *conn)
{
	struct web_conn *c = conn_of(conn);

	return c != NULL ? &c->peer : NULL;
}

void
web_guard_request_done(struct MHD_Connection *conn)
{
	struct web_conn *c = conn_of(conn);

	if (c != NULL)
		atomic_store_explicit(&c->deadline_ms, now_ms() + c->lc->request_deadline_ms, memory_order_relaxed);
}

/* Shuts down the connections of one shard that are past a deadline. Shard mutex held by the caller. */
static void
scan_shard(struct web_guard *g, struct guard_shard *sh, long long now)
{
	struct web_conn *c;
	struct cut_stats *st;
	long long dl, hs;

	for (c = sh->head; c != NULL; c = c->next) {
		if (c->cut)
			continue;
		dl = atomic_load_explicit(&c->deadline_ms, memory_order_relaxed);
		hs = atomic_load_explicit(&c->hs_deadline_ms, memory_order_relaxed);
		if ((dl == 0 || now < dl) && (hs == 0 || now < hs))
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = 1;
		st = &g->stats[c->lc->listener == WEB_API];
		if (hs != 0 && now >= hs)
			st->handshake++;
		else
			st->deadline++;
		addr_text(&c->addr, st->last_ip, sizeof(st->last_ip));
	}
}

/* One summary line per listener and LOG_PERIOD_MS for what the watchdog cut (all of it if flush). */
static void
log_cuts(struct web_guard *g, struct web *w, long long now, int flush)
{
	struct web_listener_ctx *lcs[2] = { &w->pub_ctx, &w->api_ctx };
	struct cut_stats *st;
	char dl[96] = "", hs[128] = "";
	int i;

	for (i = 0; i < 2; i++) {
		st = &g->stats[i];
		if ((st->deadline == 0 && st->handshake == 0) ||
		    (!flush && st->logged_ms != 0 && now - st->logged_ms < LOG_PERIOD_MS))
			continue;
		if (st->deadline > 0)
			snprintf(dl, sizeof(dl), " %u past request_deadline_s=%lld", st->deadline,
			    lcs[i]->request_deadline_ms / 1000);
		if (st->handshake > 0)
			snprintf(hs, sizeof(hs), "%s %u without a TLS handshake within tls_handshake_deadline_s=%lld",
			    st->deadline > 0 ? "," : "", st->handshake, lcs[i]->handshake_deadline_ms / 1000);
		log_warn("%s listener: closed connection(s):%s%s (latest from %s)", listener_name(lcs[i]), dl, hs,
		    st->last_ip);
		st->deadline = st->handshake = 0;
		st->logged_ms = now;
		dl[0] = hs[0] = '\0';
	}
}

static void *
watchdog(void *arg)
{
	struct web *w = arg;
	struct web_guard *g = w->guard;
	struct timespec until;
	long long now;
	int i;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCHDOG_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cond, &g->lock, &until);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->lock);
		now = now_ms();
		for (i = 0; i < GUARD_SHARDS; i++) {
			pthread_mutex_lock(&g->shards[i].lock);
			scan_shard(g, &g->shards[i], now);
			pthread_mutex_unlock(&g->shards[i].lock);
		}
		log_cuts(g, w, now, 0);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	log_cuts(g, w, now_ms(), 1);
	return NULL;
}

/* Makes sure the process may open the descriptors the connection limits need (raises the soft limit). */
static enum pechat_err
fd_budget(const struct pechat_config *conf, struct pechat_error *e)
{
	rlim_t need = (rlim_t)conf->public_listener.max_connections + (rlim_t)conf->api_listener.max_connections +
	    FD_RESERVE(conf->threads);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return PECHAT_OK;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
		if (rl.rlim_cur > was && setrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_info("raised the open-file limit from %llu to %llu for the listeners' max_connections",
			    (unsigned long long)was, (unsigned long long)rl.rlim_cur);
		else
			rl.rlim_cur = was;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "fd_limit",
		    "listeners.public.max_connections + listeners.api.max_connections need about %llu open files "
		    "but the limit is %llu: raise it (ulimit -n, systemd LimitNOFILE=) or lower max_connections",
		    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	}
	return PECHAT_OK;
}

enum pechat_err
web_guard_start(struct web *w, struct pechat_error *e)
{
	struct web_guard *g;
	pthread_condattr_t ca;
	enum pechat_err err;
	int i;

	if ((err = fd_budget(w->conf, e)) != PECHAT_OK)
		return err;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	for (i = 0; i < GUARD_SHARDS; i++)
		pthread_mutex_init(&g->shards[i].lock, NULL);
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->guard = g;
	if (pthread_create(&g->thread, NULL, watchdog, w) != 0) {
		web_guard_stop(w);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the connection watchdog");
	}
	g->started = 1;
	return PECHAT_OK;
}

void
web_guard_stop(struct web *w)
{
	struct web_guard *g = w->guard;
	int i;

	if (g == NULL)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_signal(&g->cond);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
	}
	for (i = 0; i < GUARD_SHARDS; i++)
		pthread_mutex_destroy(&g->shards[i].lock);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g);
	w->guard = NULL;
}
