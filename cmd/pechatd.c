/*
 * pechatd — the Pechat daemon. Wiring only: config -> store -> ca -> web,
 * then wait for SIGTERM/SIGINT and drain. Exit codes: 0 clean stop,
 * 1 start-up failure, 2 configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/version.h"
#include "cmd/ca_conf.h"
#include "config/config.h"
#include "db/db.h"
#include "hsm/hsm.h"
#include "ra/ra.h"
#include "web/web.h"

/* What a token presence change wakes: the publisher (CRLs, OCSP answers due) and the approved requests' queue. */
struct presence_listeners {
	struct ca_publisher *pub;
	struct ra_queue *queue;
};

/* hsm/ presence watcher callback (its thread): both told; neither blocks. */
static void
on_presence_change(void *arg)
{
	struct presence_listeners *l = arg;

	ca_publisher_keys_changed(l->pub);
	ra_queue_wake(l->queue);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pechatd [--config FILE] [--ready-file FILE] | --version\n"
	    "  --config FILE      JSON configuration (default: built-in defaults, store ./var/pechat.db)\n"
	    "  --ready-file FILE  write {\"public_port\":N,\"api_port\":N} there once listening\n"
	    "  --version          Pechat's version and the linked libraries'\n");
}

static enum pechat_log_level
level_for(const char *name)
{
	if (strcmp(name, "debug") == 0)
		return PECHAT_LOG_DEBUG;
	if (strcmp(name, "warn") == 0)
		return PECHAT_LOG_WARN;
	if (strcmp(name, "error") == 0)
		return PECHAT_LOG_ERROR;
	return PECHAT_LOG_INFO;
}

/* Tells the operator where everything is. */
static void
print_banner(const struct pechat_config *conf, const struct web *w)
{
	printf("pechatd is running (config: %s)\n", conf->source);
	printf("  public  http://%s:%d/   /ca/<issuer>.crt, /crl/<issuer>.crl, /crl/<issuer>-delta.crl, /ocsp, /healthz\n",
	    conf->public_listener.address, web_public_port(w));
	printf("  api     https://%s:%d/api/v1/   client certificate required\n",
	    conf->api_listener.address, web_api_port(w));
	printf("  store            %s\n", conf->store_path);
	printf("  API trust anchor %s\n", conf->operator_ca_cert);
	printf("  demo operator    %s/credentials/admin.crt, admin.key, admin.p12 (password in admin.p12.pass)\n",
	    conf->var_dir);
	printf("  demo portal      %s/credentials/portal.crt, portal.key, portal.p12 (password in portal.p12.pass)\n",
	    conf->var_dir);
	printf("  try: curl --cacert %s --cert %s/credentials/admin.crt --key %s/credentials/admin.key "
	    "https://localhost:%d/api/v1/issuers/%s/chain\n", conf->operator_ca_cert, conf->var_dir,
	    conf->var_dir, web_api_port(w), conf->n_issuers > 0 ? conf->issuers[0].name : "ecdsa");
	fflush(stdout);
}

static int
write_ready_file(const char *path, const struct web *w)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "{\"public_port\":%d,\"api_port\":%d}\n", web_public_port(w),
	    web_api_port(w));

	return pechat_file_write(path, buf, (size_t)n, 0644, PECHAT_FILE_NO_SYNC);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *ready_file = NULL;
	struct pechat_config *conf = NULL;
	struct pechat_error e;
	struct db *db = NULL;
	struct ca *ca = NULL;
	struct ca_publisher *pub = NULL;
	struct ca_standing_watch *watch = NULL;
	struct ra_ca ra;
	struct ca_publish_conf pc;
	struct ca_conf cc;
	struct presence_listeners listeners = { NULL, NULL };
	struct web *w = NULL;
	sigset_t sigs;
	char errbuf[512];
	int c, sig = 0, rc = 1;

	memset(&cc, 0, sizeof(cc));
	while ((c = getopt_long(argc, argv, "c:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'r': ready_file = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': cmd_print_version(stdout, "pechatd", web_mhd_version(), web_gnutls_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((conf = pechat_config_load(config_path, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechatd: configuration error: %s\n", errbuf);
		return 2;
	}
	pechat_log_set_level(level_for(conf->log_level));
	pechat_error_clear(&e);

	/* signals are taken by sigwait below; every thread started later inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (hsm_global_init() != 0)
		log_warn("hsm: engines could not be loaded; GOST issuers are unavailable");
	/* group commit: every connection opened on the store from here on queues its transactions here */
	if (db_writer_start(conf->store_path, &e) != PECHAT_OK) {
		log_err("cannot open the store: %s", e.detail);
		goto out;
	}
	if (db_open(conf->store_path, 0, &db, &e) != PECHAT_OK) {
		log_err("cannot open the store: %s", e.detail);
		goto out;
	}
	if (cmd_ca_conf(conf, &cc) != 0) {
		log_err("out of memory");
		goto out;
	}
	if (ca_new(&cc, db, NULL, &ca, &e) != PECHAT_OK) {
		log_err("cannot load the CA: %s (%s)", e.detail, e.code);
		goto out;
	}
	cmd_publish_conf(conf, &pc);
	if (ca_publisher_start(ca, db, &pc, &pub, &e) != PECHAT_OK) {
		log_err("cannot start CRL/OCSP publishing: %s (%s)", e.detail, e.code);
		goto out;
	}
	/* ca/ has no pointer to the publisher: ra/ (web/'s calls, the queue) tells it of every change */
	ra.ca = ca;
	ra.pub = pub;
	/* a `pechat ceremony` on this store takes effect within a second (its CRLs and OCSP too) */
	if (ca_standing_watch_start(ca, pub, conf->store_path, 1000, &watch, &e) != PECHAT_OK) {
		log_err("cannot watch the issuers' standing: %s (%s)", e.detail, e.code);
		goto out;
	}
	/* approved requests issued when their issuer's key can sign again (a token back, or at start) */
	if (ra_queue_start(&ra, conf->store_path, &listeners.queue, &e) != PECHAT_OK) {
		log_err("cannot start the request queue: %s (%s)", e.detail, e.code);
		goto out;
	}
	listeners.pub = pub;
	/* the readers that key references name (pkcs11:...?reader=), followed through PC/SC */
	if (hsm_presence_start(on_presence_change, &listeners, &e) != PECHAT_OK) {
		log_err("cannot follow token presence: %s (%s)", e.detail, e.code);
		goto out;
	}
	if (web_start(conf, ca, pub, NULL, &w, &e) != PECHAT_OK) {
		log_err("cannot start the listeners: %s (%s)", e.detail, e.code);
		goto out;
	}
	/* start-up's store connection is not needed any more (each thread has its own); the heap
	 * start-up used (schema parses, issuer loading) goes back to the system */
	db_close(db);
	db = NULL;
	print_banner(conf, w);
	if (ready_file != NULL && write_ready_file(ready_file, w) != 0) {
		log_err("cannot write %s: %s", ready_file, strerror(errno));
		goto out;
	}
	malloc_trim(0);         /* after ready: the listeners answer meanwhile */
	while (sigwait(&sigs, &sig) != 0)
		;
	log_info("signal %d: draining in-flight requests (up to %d s)", sig, conf->drain_timeout_s);
	if (web_shutdown(w, conf->drain_timeout_s) == 0)
		rc = 0;
	w = NULL;
	log_info("stopped");
out:
	web_shutdown(w, 0);
	/*
	 * After the listeners (drained and stopped above): every revoke, hold or
	 * release whose call returned has marked its issuer dirty, and the
	 * publisher publishes those CRLs before it exits.
	 */
	hsm_presence_stop();
	ra_queue_stop(listeners.queue);
	ca_standing_watch_stop(watch);
	ca_publisher_stop(pub);
	db_writer_stop();
	ca_free(ca);
	cmd_ca_conf_clear(&cc);
	db_close(db);
	pechat_config_free(conf);
	return rc;
}
