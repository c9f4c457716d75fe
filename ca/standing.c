/*
 * ca/standing.c — whether each issuer may still sign. An issuer whose
 * certificate, or an ancestor's, has "revoke" or "hold" as its last status
 * event signs nothing: no certificate, CRL, OCSP answer or responder
 * certificate. Status events of CA certificates are written only by the
 * ceremony (ca/ceremony.c, `pechat ceremony`), usually by another process
 * than pechatd: the standing is re-read from the store (at start, at each
 * issuance, by /readyz and by a watcher thread), never pushed.
 */
#include "ca/ca_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEPTH 8

struct ca_standing_watch {
	struct ca *ca;
	struct ca_publisher *pub;       /* told of CA certificates' changes; may be NULL */
	char store_path[512];
	int interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
};

static const char *
standing_name(int st)
{
	return st == CA_STANDING_REVOKED ? "revoked" : st == CA_STANDING_HELD ? "on hold" : "in good standing";
}

/* Index of an issuer's parent in ca->issuers, -1 for a root or an unknown parent. */
static int
parent_index(const struct ca *ca, const struct ca_issuer *is)
{
	struct ca_issuer *p;

	if (is->parent[0] == '\0' || (p = ca_issuer_find(ca, is->parent)) == NULL || p == is)
		return -1;
	return (int)(p - ca->issuers);
}

/* Reads the own standing of one issuer from its certificate's last status event (caller holds the lock). */
static enum pechat_err
read_own(struct db *db, struct ca_issuer *is, int64_t *event_id, struct pechat_error *e)
{
	struct db_revocation ev;
	enum ca_cert_state st;
	enum pechat_err err;

	*event_id = 0;
	if ((err = ca_serial_status(db, is->serial, -1, 0, 0, &st, &ev, e)) != PECHAT_OK)
		return err;
	*event_id = ev.id;
	if (st == CA_STATE_REVOKED)
		is->own_standing = CA_STANDING_REVOKED;
	else if (st == CA_STATE_ON_HOLD)
		is->own_standing = CA_STANDING_HELD;
	else
		is->own_standing = CA_STANDING_OK;
	pechat_strlcpy(is->own_reason, is->own_standing != CA_STANDING_OK ? ev.reason : "", sizeof(is->own_reason));
	is->own_at = is->own_standing != CA_STANDING_OK ? ev.revoked_at : 0;
	return PECHAT_OK;
}

/* Each issuer's standing: the worst own standing on its way up to the root (caller holds the lock). */
static void
propagate(struct ca *ca)
{
	int i, j, depth, st, from, before;

	for (i = 0; i < ca->n_issuers; i++) {
		st = CA_STANDING_OK;
		from = -1;
		for (j = i, depth = 0; j >= 0 && depth < MAX_DEPTH; depth++) {
			if (ca->issuers[j].own_standing > st) {
				st = ca->issuers[j].own_standing;
				from = j;
			}
			j = parent_index(ca, &ca->issuers[j]);
		}
		before = atomic_load(&ca->issuers[i].standing);
		atomic_store(&ca->issuers[i].standing_from, from);
		atomic_store(&ca->issuers[i].standing, st);
		if (before != st)
			log_warn("issuer %s: now %s%s%s", ca->issuers[i].name, standing_name(st),
			    from >= 0 && from != i ? " through " : "", from >= 0 && from != i ? ca->issuers[from].name : "");
	}
}

/*
 * Tells pub about a CA certificate whose last event it has not seen: the
 * parent (the root itself for a root) re-signs its OCSP answers and CRLs.
 * A blocked parent signs nothing: it is told once it may sign again (a
 * later refresh), so that its answers about this certificate are never the
 * old ones. pub NULL: nothing told (a later refresh with a publisher tells).
 */
static void
tell_publisher(struct ca *ca, struct db *db, struct ca_publisher *pub, struct ca_issuer *is, int64_t event_id)
{
	struct pechat_error pe;
	const char *signer = is->parent[0] != '\0' ? is->parent : is->name;
	struct ca_issuer *sig = ca_issuer_find(ca, signer);

	if (event_id <= 0 || event_id == is->told_event || pub == NULL)
		return;
	if (sig == NULL || atomic_load(&sig->standing) != CA_STANDING_OK)
		return;
	if (sig->offline) {
		/* an offline root signs nothing here: its imported CRL (pechat ceremony import-crl) says so */
		log_info("issuer %s: certificate %s is %s; the CRL of offline root %s publishes it", is->name, is->serial,
		    standing_name(is->own_standing), signer);
		is->told_event = event_id;
		return;
	}
	pechat_error_clear(&pe);
	if (ca_publisher_status_changed(pub, db, signer, is->serial, 1, &pe) != PECHAT_OK) {
		log_err("issuer %s: status of its certificate not yet published by %s: %s", is->name, signer, pe.detail);
		return;         /* the next refresh tries again */
	}
	log_info("issuer %s: certificate %s is %s; %s's CRLs and OCSP answers follow", is->name, is->serial,
	    standing_name(is->own_standing), signer);
	is->told_event = event_id;
}

/*
 * Re-reads every issuer's own standing. A store whose highest status event
 * id is the one seen when a refresh last left nothing untold has no new
 * event to read (ids only grow; events are never edited): one indexed read,
 * no lock. Otherwise the issuers are read under the lock and the id is
 * remembered once every issuer's last event has reached the publisher.
 */
enum pechat_err
ca_standing_refresh(struct ca *ca, struct db *db, struct ca_publisher *pub, struct pechat_error *e)
{
	int64_t *events = NULL, max_id;
	enum pechat_err err = PECHAT_OK;
	int i, untold = 0;

	if (ca == NULL || ca->n_issuers == 0)
		return PECHAT_OK;
	if ((err = db_revocation_max_id(db, &max_id, e)) != PECHAT_OK)
		return err;
	if (max_id == atomic_load(&ca->standing_seen))
		return PECHAT_OK;
	if ((events = calloc((size_t)ca->n_issuers, sizeof(*events))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	pthread_mutex_lock(&ca->standing_lock);
	for (i = 0; i < ca->n_issuers; i++)
		if ((err = read_own(db, &ca->issuers[i], &events[i], e)) != PECHAT_OK)
			break;
	if (err == PECHAT_OK) {
		propagate(ca);
		for (i = 0; i < ca->n_issuers; i++) {
			tell_publisher(ca, db, pub, &ca->issuers[i], events[i]);
			untold |= events[i] > 0 && events[i] != ca->issuers[i].told_event;
		}
		/* events read after max_id was: a newer one makes the next refresh read again */
		if (!untold)
			atomic_store(&ca->standing_seen, max_id);
	}
	pthread_mutex_unlock(&ca->standing_lock);
	free(events);
	return err;
}

enum pechat_err
ca_issuer_check_standing(struct ca *ca, const char *name, struct pechat_error *e)
{
	struct ca_issuer *is = ca_issuer_find(ca, name);
	enum pechat_err err;

	if ((err = ca_issuer_check_cert_standing(ca, name, e)) != PECHAT_OK || is == NULL)
		return err;
	if (is->offline)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_offline",
		    "issuer \"%s\" signs nothing here: its key is kept offline (pechat ceremony)", is->name);
	if (is->key_problem[0] != '\0')
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable",
		    "issuer \"%s\" signs nothing until its key is fixed: %s", is->name, is->key_problem);
	return ca_issuer_check_present(is, e);
}

/* See ca_int.h: UNAVAILABLE "key_unavailable" while the token of the issuer's key is out (hsm/presence.c). */
enum pechat_err
ca_issuer_check_present(const struct ca_issuer *is, struct pechat_error *e)
{
	char reader[128];

	if (is->key == NULL || hsm_key_presence(is->key, reader, sizeof(reader)) != HSM_PRESENCE_ABSENT)
		return PECHAT_OK;
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable",
	    "issuer \"%s\" signs nothing while its key's token is absent%s%s%s: it signs again when the token "
	    "returns", is->name, reader[0] != '\0' ? " (reader \"" : "", reader, reader[0] != '\0' ? "\")" : "");
}

int
ca_key_problems(const struct ca *ca, char *buf, size_t bufsz)
{
	size_t used = 0;
	int i, n, count = 0;

	if (bufsz > 0)
		buf[0] = '\0';
	for (i = 0; ca != NULL && i < ca->n_issuers; i++) {
		if (ca->issuers[i].key_problem[0] == '\0')
			continue;
		n = snprintf(buf + used, bufsz - used, "%sissuer %s: %s", count > 0 ? "; " : "",
		    ca->issuers[i].name, ca->issuers[i].key_problem);
		count++;
		if (n < 0 || (size_t)n >= bufsz - used)
			break;
		used += (size_t)n;
	}
	return count;
}

enum pechat_err
ca_issuer_check_cert_standing(struct ca *ca, const char *name, struct pechat_error *e)
{
	struct ca_issuer *is = ca_issuer_find(ca, name);
	int st, from;

	if (is == NULL || (st = atomic_load(&is->standing)) == CA_STANDING_OK)
		return PECHAT_OK;
	from = atomic_load(&is->standing_from);
	if (from >= 0 && from < ca->n_issuers && &ca->issuers[from] != is)
		return pechat_fail(e, st == CA_STANDING_REVOKED ? PECHAT_E_CONFLICT : PECHAT_E_UNAVAILABLE,
		    st == CA_STANDING_REVOKED ? "issuer_revoked" : "issuer_on_hold",
		    "issuer \"%s\" signs nothing: the certificate of its parent \"%s\" is %s (pechat ceremony)",
		    is->name, ca->issuers[from].name, standing_name(st));
	if (st == CA_STANDING_REVOKED)
		return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_revoked",
		    "issuer \"%s\" signs nothing: its CA certificate is revoked (pechat ceremony revoke-ca)", is->name);
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_on_hold",
	    "issuer \"%s\" signs nothing: its CA certificate is on hold (`pechat ceremony release-ca %s` ends it)",
	    is->name, is->name);
}

enum pechat_err
ca_standing_ready(struct ca *ca, struct pechat_error *e)
{
	char detail[256], at[32], *p = detail;
	size_t left = sizeof(detail);
	int i, n, blocked = 0;

	detail[0] = '\0';
	if (ca == NULL)
		return PECHAT_OK;
	pthread_mutex_lock(&ca->standing_lock);
	for (i = 0; i < ca->n_issuers; i++) {
		struct ca_issuer *is = &ca->issuers[i];
		int st = atomic_load(&is->standing), from = atomic_load(&is->standing_from);
		if (st == CA_STANDING_OK)
			continue;
		if (from == i)
			n = snprintf(p, left, "%sissuer %s: certificate %s (%s) at %s", blocked ? "; " : "", is->name,
			    standing_name(st), is->own_reason, pechat_time_rfc3339(is->own_at, at, sizeof(at)));
		else
			n = snprintf(p, left, "%sissuer %s: %s through %s", blocked ? "; " : "", is->name, standing_name(st),
			    from >= 0 && from < ca->n_issuers ? ca->issuers[from].name : "?");
		blocked++;
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
	pthread_mutex_unlock(&ca->standing_lock);
	if (blocked == 0)
		return PECHAT_OK;
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_not_usable", "%s", detail);
}

/* ------------------------------------------------------------ watcher */

static void *
watch_main(void *arg)
{
	struct ca_standing_watch *w = arg;
	struct pechat_error e;
	struct db *db = NULL;
	struct timespec ts;
	int failing = 0;

	pechat_error_clear(&e);
	if (db_open(w->store_path, 0, &db, &e) != PECHAT_OK) {
		log_err("standing: cannot open the store: %s", e.detail);
		return NULL;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		pthread_mutex_unlock(&w->lock);
		pechat_error_clear(&e);
		if (ca_standing_refresh(w->ca, db, w->pub, &e) != PECHAT_OK) {
			if (!failing++)
				log_warn("standing: issuer status not re-read: %s", e.detail);
		} else
			failing = 0;
		pthread_mutex_lock(&w->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += w->interval_ms / 1000;
		ts.tv_nsec += (long)(w->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->lock);
	db_close(db);
	return NULL;
}

enum pechat_err
ca_standing_watch_start(struct ca *ca, struct ca_publisher *pub, const char *store_path, int interval_ms,
    struct ca_standing_watch **out, struct pechat_error *e)
{
	struct ca_standing_watch *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	w->ca = ca;
	w->pub = pub;
	w->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	pechat_strlcpy(w->store_path, store_path, sizeof(w->store_path));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot start the standing watcher");
	}
	*out = w;
	return PECHAT_OK;
}

void
ca_standing_watch_stop(struct ca_standing_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
