/*
 * bench/loadgen.c — pechat-loadgen, the load generator of bench/issue and bench/revoke.
 *
 *   pechat-loadgen issue  OPTIONS   N distinct CSRs made first (not timed), then POSTed to
 *                                   /api/v1/requests with C requests in flight
 *   pechat-loadgen revoke OPTIONS   every serial of --serials revoked through
 *                                   /api/v1/certificates/{serial}/revoke, C in flight;
 *                                   every --sample'th checked revoked in OCSP as soon as
 *                                   its call returns
 *   pechat-loadgen ocsp   OPTIONS   every serial of --serials asked in OCSP (one
 *                                   keep-alive connection); all must answer --want
 *
 * libcurl multi, HTTP/1.1 keep-alive, mTLS (client certificate and key in PEM). One
 * easy handle per slot, re-added as soon as its answer is in, so at most C
 * connections are made (one TLS handshake each, before the clock starts: warm_up)
 * and then reused. The CSRs are
 * ECDSA P-256 or GOST 2012-256 (paramset A; gost-engine through OPENSSL_CONF).
 *
 * Prints the figures as lines "key value" for the driver scripts, one "RESULT"
 * line last. Exit status 0: every call got the expected status (201 / 200) and
 * every OCSP check passed; 1 otherwise; 2 usage.
 *
 * A benchmark tool (built with -DPECHAT_BENCH=ON, never part of ctest or the daemon).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_clock.h"
#include "loadgen.h"

/* This process's user + system CPU seconds. */
static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds (utime + stime) of process PID from /proc/PID/stat; -1 if unreadable. */
static double
proc_cpu_s(long pid)
{
	char path[64], line[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15 */
	if ((p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The kB value of line NAME ("VmRSS", "VmHWM") of /proc/PID/status; -1 if absent. */
static long
proc_status_kb(long pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Sets up slot handle H for job J (URL, body, TLS, headers). */
static void
slot_start(struct run *r, struct slot *s, long j)
{
	struct job *jb = &r->jobs[j];

	s->job = j;
	s->in.len = 0;
	curl_easy_setopt(s->h, CURLOPT_URL, jb->url);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, jb->body);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)strlen(jb->body));
	jb->started = now_s();
}

/* One-time options of a slot's easy handle. */
static int
slot_init(struct run *r, struct slot *s)
{
	const struct opts *o = r->o;

	if ((s->h = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(s->h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(s->h, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4);
	curl_easy_setopt(s->h, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(s->h, CURLOPT_SSLCERT, o->cert);
	curl_easy_setopt(s->h, CURLOPT_SSLKEY, o->key);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, &s->in);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 120L);
	/* SIGPIPE is ignored once in main: libcurl need not swap the handler around every transfer */
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	return 0;
}

/* Records slot S's finished transfer (status, latency, serial); samples OCSP for revoke. */
static void
slot_done(struct run *r, struct slot *s, CURLcode res)
{
	struct job *jb = &r->jobs[s->job];
	json_t *o, *sn;
	const char *state;
	int st;

	jb->latency = now_s() - jb->started;
	jb->status = 0;
	if (res == CURLE_OK)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &jb->status);
	else
		fprintf(stderr, "loadgen: %s: %s\n", jb->url, curl_easy_strerror(res));
	r->done++;
	if (strcmp(r->o->mode, "issue") == 0 && jb->status == 201 && s->in.p != NULL) {
		o = json_loads(s->in.p, 0, NULL);
		sn = json_object_get(json_object_get(o, "certificate"), "serial");
		state = json_string_value(json_object_get(o, "state"));
		if (json_is_string(sn) && state != NULL && strcmp(state, "issued") == 0) {
			snprintf(jb->serial, sizeof(jb->serial), "%s", json_string_value(sn));
			r->ok++;
		}
		json_decref(o);
	} else if (strcmp(r->o->mode, "revoke") == 0 && jb->status == 200) {
		r->ok++;
		if (r->o->sample > 0 && s->job % r->o->sample == 0) {
			r->sampled++;
			if ((st = ocsp_status(r, jb->serial)) != V_OCSP_CERTSTATUS_REVOKED) {
				r->sample_bad++;
				fprintf(stderr, "loadgen: %s answers %d in OCSP right after its revoke returned\n",
				    jb->serial, st);
			}
		}
	}
	if (jb->status != 201 && jb->status != 200 && s->in.p != NULL && r->done - r->ok <= 5)
		fprintf(stderr, "loadgen: HTTP %ld: %.300s\n", jb->status, s->in.p);
}

/*
 * Opens the C connections before the clock starts: each slot GETs
 * /api/v1/profiles at --url's origin (authenticated, read from the store),
 * all at once, so what a keep-alive client pays once per connection — the
 * TLS handshake, pechatd's thread and its store connection — is not counted
 * in the first C requests' latency. The connections stay in m's cache for
 * the timed requests. 0 or -1.
 */
static int
warm_up(struct run *r, CURLM *m, struct slot *slots, long c)
{
	CURLU *u = curl_url();
	char *origin = NULL;
	CURLMsg *msg;
	long i, status;
	int running = 1, left, bad = 0;

	/* --url with its path replaced (libcurl's URL API; query and fragment dropped) */
	if (u == NULL || curl_url_set(u, CURLUPART_URL, r->o->url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, "/api/v1/profiles", 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &origin, 0) != CURLUE_OK) {
		fprintf(stderr, "loadgen: --url %s is not a URL\n", r->o->url);
		curl_url_cleanup(u);
		return -1;
	}
	curl_url_cleanup(u);
	for (i = 0; i < c; i++) {
		curl_easy_setopt(slots[i].h, CURLOPT_URL, origin);
		curl_easy_setopt(slots[i].h, CURLOPT_HTTPGET, 1L);
		curl_multi_add_handle(m, slots[i].h);
	}
	while (running > 0 && bad >= 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			bad = -1;
			break;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			status = 0;
			if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK)
				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			if (status != 200 && bad++ == 0)
				fprintf(stderr, "loadgen: warm-up GET %s: %ld\n", origin, status);
			curl_multi_remove_handle(m, msg->easy_handle);
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			bad = -1;
	}
	curl_free(origin);
	for (i = 0; i < c; i++)
		slots[i].in.len = 0;
	return bad == 0 ? 0 : -1;
}

/* Runs all jobs with --concurrency in flight, after warm_up; 0 or -1 (libcurl failure). */
static int
run_multi(struct run *r)
{
	struct slot *slots;
	CURLM *m;
	CURLMsg *msg;
	struct slot *s;
	long i, c = r->o->conc < r->n ? r->o->conc : r->n;
	int running = 1, left, rc = -1;

	if ((m = curl_multi_init()) == NULL || (slots = calloc((size_t)c, sizeof(*slots))) == NULL)
		return -1;
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, c);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, c);
	for (i = 0; i < c; i++)
		if (slot_init(r, &slots[i]) != 0)
			goto fail;
	if (warm_up(r, m, slots, c) != 0)
		goto fail;
	r->d0 = r->o->pid > 0 ? proc_cpu_s(r->o->pid) : -1;
	r->c0 = self_cpu_s();
	r->t0 = now_s();
	for (i = 0; i < c; i++) {
		slot_start(r, &slots[i], r->next++);
		curl_multi_add_handle(m, slots[i].h);
	}
	while (running > 0 || r->done < r->n) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			goto fail;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			slot_done(r, s, msg->data.result);
			curl_multi_remove_handle(m, s->h);
			if (r->next < r->n) {
				slot_start(r, s, r->next++);
				curl_multi_add_handle(m, s->h);
				running++;
			}
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			goto fail;
	}
	rc = 0;
fail:
	for (i = 0; i < c; i++) {
		if (slots[i].h != NULL) {
			curl_multi_remove_handle(m, slots[i].h);
			curl_easy_cleanup(slots[i].h);
		}
		free(slots[i].in.p);
	}
	free(slots);
	curl_multi_cleanup(m);
	return rc;
}

/* qsort comparator for doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints the figures of a timed run and writes the issued serials to --out. */
static void
report(struct run *r, double wall, double gen_cpu, double d_cpu0, double d_cpu1)
{
	double *lat = calloc((size_t)r->n, sizeof(*lat)), rate = (double)r->ok / wall;
	FILE *f = r->o->out != NULL ? fopen(r->o->out, "w") : NULL;
	long i, k = 0;

	for (i = 0; i < r->n; i++) {
		if (lat != NULL)
			lat[k++] = r->jobs[i].latency;
		if (f != NULL && r->jobs[i].serial[0] != '\0' &&
		    (r->jobs[i].status == 201 || r->jobs[i].status == 200))
			fprintf(f, "%s\n", r->jobs[i].serial);
	}
	if (f != NULL)
		fclose(f);
	if (lat != NULL && k > 0)
		qsort(lat, (size_t)k, sizeof(*lat), cmp_double);
	printf("mode %s\nalg %s\nrequests %ld\nok %ld\nconcurrency %ld\nwall_s %.3f\nper_s %.1f\n",
	    r->o->mode, r->o->alg, r->n, r->ok, r->o->conc, wall, rate);
	if (lat != NULL && k > 0)
		printf("p50_ms %.1f\np99_ms %.1f\nmax_ms %.1f\n", 1e3 * lat[k / 2],
		    1e3 * lat[(long)((double)k * 0.99) < k ? (long)((double)k * 0.99) : k - 1], 1e3 * lat[k - 1]);
	printf("gen_cpu_s %.3f\ngen_cpu_ms_per %.3f\n", gen_cpu, 1e3 * gen_cpu / (double)(r->n ? r->n : 1));
	if (r->o->pid > 0 && d_cpu0 >= 0 && d_cpu1 >= 0)
		printf("daemon_cpu_s %.3f\ndaemon_cpu_ms_per %.3f\ndaemon_rss_kb %ld\ndaemon_hwm_kb %ld\n",
		    d_cpu1 - d_cpu0, 1e3 * (d_cpu1 - d_cpu0) / (double)(r->ok ? r->ok : 1),
		    proc_status_kb(r->o->pid, "VmRSS"), proc_status_kb(r->o->pid, "VmHWM"));
	if (strcmp(r->o->mode, "revoke") == 0)
		printf("ocsp_sampled %ld\nocsp_sample_not_revoked %ld\n", r->sampled, r->sample_bad);
	printf("RESULT %s ok=%ld/%ld per_s=%.1f\n", r->o->mode, r->ok, r->n, rate);
	free(lat);
}

/* Mode ocsp: every serial asked once; all must answer --want (good|revoked). 0 or 1. */
static int
run_ocsp(struct run *r)
{
	int want = strcmp(r->o->want, "good") == 0 ? V_OCSP_CERTSTATUS_GOOD : V_OCSP_CERTSTATUS_REVOKED;
	long i, bad = 0;
	double t0 = now_s();
	int st;

	for (i = 0; i < r->n; i++)
		if ((st = ocsp_status(r, r->jobs[i].serial)) != want && bad++ < 5)
			fprintf(stderr, "loadgen: OCSP for %s: %d, want %s\n", r->jobs[i].serial, st, r->o->want);
	printf("mode ocsp\nasked %ld\nnot_%s %ld\nwall_s %.3f\nRESULT ocsp ok=%ld/%ld\n", r->n, r->o->want, bad,
	    now_s() - t0, r->n - bad, r->n);
	return bad == 0 && r->n > 0 ? 0 : 1;
}

/* Parses the command line into O; 0 or -1. */
static int
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "url", 1, NULL, 'u' }, { "cacert", 1, NULL, 'A' }, { "cert", 1, NULL, 'E' },
		{ "key", 1, NULL, 'K' }, { "profile", 1, NULL, 'P' }, { "alg", 1, NULL, 'a' },
		{ "n", 1, NULL, 'n' }, { "concurrency", 1, NULL, 'c' }, { "pid", 1, NULL, 'p' },
		{ "serials", 1, NULL, 's' }, { "csr-dir", 1, NULL, 'd' }, { "out", 1, NULL, 'o' },
		{ "ocsp-url", 1, NULL, 'O' }, { "chain", 1, NULL, 'C' }, { "issuer", 1, NULL, 'I' },
		{ "sample", 1, NULL, 'S' }, { "want", 1, NULL, 'W' }, { NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->alg = "ec-p256";
	o->profile = "demo-auto";
	o->want = "revoked";
	o->n = 200;
	o->conc = 16;
	if (argc < 2)
		return -1;
	o->mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': o->url = optarg; break;
		case 'A': o->cacert = optarg; break;
		case 'E': o->cert = optarg; break;
		case 'K': o->key = optarg; break;
		case 'P': o->profile = optarg; break;
		case 'a': o->alg = optarg; break;
		case 'n': o->n = strtol(optarg, NULL, 10); break;
		case 'c': o->conc = strtol(optarg, NULL, 10); break;
		case 'p': o->pid = strtol(optarg, NULL, 10); break;
		case 's': o->serials = optarg; break;
		case 'd': o->csr_dir = optarg; break;
		case 'o': o->out = optarg; break;
		case 'O': o->ocsp_url = optarg; break;
		case 'C': o->chain = optarg; break;
		case 'I': o->issuer = optarg; break;
		case 'S': o->sample = strtol(optarg, NULL, 10); break;
		case 'W': o->want = optarg; break;
		default: return -1;
		}
	}
	if (o->n < 1 || o->n > 10000000 || o->conc < 1 || o->conc > 4096)
		return -1;
	if (strcmp(o->mode, "issue") == 0)
		return o->url && o->cacert && o->cert && o->key ? 0 : -1;
	if (strcmp(o->mode, "revoke") == 0)
		return o->url && o->cacert && o->cert && o->key && o->serials &&
		    (o->sample == 0 || (o->ocsp_url && o->chain && o->issuer)) ? 0 : -1;
	if (strcmp(o->mode, "ocsp") == 0)
		return o->serials && o->ocsp_url && o->chain && o->issuer ? 0 : -1;
	return -1;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r = { 0 };
	double d1 = -1, wall, gen;
	long i;
	int rc = 1;

	if (opts_parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: pechat-loadgen issue|revoke|ocsp --url URL --cacert F --cert F --key F\n"
		    "  [--profile P] [--alg ec-p256|gost2012-256] [--n N] [--concurrency C] [--pid PID]\n"
		    "  [--csr-dir DIR] [--out SERIALS] [--serials FILE] [--sample K --ocsp-url U --issuer F --chain F]\n"
		    "  [--want good|revoked]  (see the head of bench/loadgen.c)\n");
		return 2;
	}
	r.o = &o;
	signal(SIGPIPE, SIG_IGN);       /* a peer that closes mid-write is an error of that transfer */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r.hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (strcmp(o.mode, "issue") == 0) {
		r.n = o.n;
		if ((r.jobs = calloc((size_t)r.n, sizeof(*r.jobs))) == NULL || jobs_issue(&r) != 0)
			goto fail;
	} else if (jobs_serials(&r) != 0)
		goto fail;
	if (o.ocsp_url != NULL && ocsp_setup(&r) != 0)
		goto fail;
	if (strcmp(o.mode, "ocsp") == 0) {
		rc = run_ocsp(&r);
		goto fail;
	}
	if (r.n == 0)
		goto fail;
	if (run_multi(&r) != 0)
		goto fail;
	wall = now_s() - r.t0;
	gen = self_cpu_s() - r.c0;
	if (o.pid > 0)
		d1 = proc_cpu_s(o.pid);
	report(&r, wall, gen, r.d0, d1);
	rc = r.ok == r.n && r.sample_bad == 0 ? 0 : 1;
fail:
	for (i = 0; r.jobs != NULL && i < r.n; i++)
		free(r.jobs[i].body);
	free(r.jobs);
	curl_slist_free_all(r.hdrs);
	if (r.ocsp_h != NULL)
		curl_easy_cleanup(r.ocsp_h);
	X509_free(r.issuer);
	X509_STORE_free(r.store);
	curl_global_cleanup();
	return rc;
}
