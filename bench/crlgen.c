/*
 * bench/crlgen.c — pechat-crlgen: times the publisher's CRLs of one issuer
 * on a store (bench/crl), through the code pechatd runs
 * (ca_crl_from_store: the store's rows streamed into the CRL writer, signed
 * with the issuer's key; then db_crl_insert), without starting pechatd.
 *
 *   pechat-crlgen --config CONF --issuer NAME --full FULL.der [--since-mark K --delta DELTA.der]
 *
 * Makes a full CRL at the issuer's current event mark or, with --since-mark,
 * at event K (the base) and then the delta of the changes after K relative
 * to it: a base published, then revocations after it. Both are stored (as
 * the publisher stores them) and written to the files. Prints per CRL:
 * entries, bytes, milliseconds to build and sign, to store, and the peak
 * RSS (VmHWM) after it. Run with pechatd stopped.
 *
 * A benchmark tool (built with -DPECHAT_BENCH=ON, never part of ctest or the daemon).
 */
#include "ca/ca.h"
#include "ca/ca_status.h"
#include "cmd/ca_conf.h"
#include "common/common.h"
#include "config/config.h"
#include "db/db.h"
#include "hsm/hsm.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

/* Monotonic milliseconds. */
static double
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* This process's VmHWM in kB (0 when unreadable). */
static long
hwm_kb(void)
{
	char line[128];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

/* Writes len bytes to path; 0 or -1. */
static int
write_file(const char *path, const unsigned char *der, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = f != NULL && fwrite(der, 1, len, f) == len ? 0 : -1;

	if (f != NULL && fclose(f) != 0)
		rc = -1;
	return rc;
}

/* One CRL made, stored, written and reported; 0 or -1. */
static int
one_crl(struct ca *ca, struct db *db, struct ca_crl_params *p, int64_t base_mark, int64_t mark, const char *out)
{
	struct pechat_error e = { 0 };
	struct db_crl row;
	unsigned char *der = NULL;
	size_t len = 0, n = 0;
	double t0, t1, t2;
	int rc = -1;

	t0 = ms_now();
	if (ca_crl_from_store(ca, db, p, base_mark, mark, &der, &len, &n, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat-crlgen: %s: %s (%s)\n", p->base_number < 0 ? "full" : "delta", e.detail, e.code);
		goto out;
	}
	t1 = ms_now();
	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.issuer, p->issuer, sizeof(row.issuer));
	row.number = p->number;
	pechat_strlcpy(row.kind, p->base_number < 0 ? "full" : "delta", sizeof(row.kind));
	row.base_number = p->base_number;
	row.event_mark = mark;
	row.this_update = p->this_update;
	row.next_update = p->next_update;
	row.entries = (int)n;
	row.der = der;
	row.der_len = len;
	row.created_at = p->this_update;
	if (db_crl_insert(db, &row, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat-crlgen: storing: %s\n", e.detail);
		goto out;
	}
	t2 = ms_now();
	if (write_file(out, der, len) != 0) {
		fprintf(stderr, "pechat-crlgen: cannot write %s\n", out);
		goto out;
	}
	printf("%s number %lld entries %zu bytes %zu build_ms %.1f store_ms %.1f total_ms %.1f hwm_kb %ld\n",
	    p->base_number < 0 ? "full" : "delta", (long long)p->number, n, len, t1 - t0, t2 - t1, t2 - t0, hwm_kb());
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", 1, NULL, 'c' }, { "issuer", 1, NULL, 'i' }, { "full", 1, NULL, 'f' },
		{ "since-mark", 1, NULL, 's' }, { "delta", 1, NULL, 'd' }, { NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL, *issuer = NULL, *full = NULL, *delta = NULL;
	struct pechat_config *conf = NULL;
	struct ca_conf cc;
	struct pechat_error e = { 0 };
	struct ca_crl_params p;
	struct db *db = NULL;
	struct ca *ca = NULL;
	char errbuf[512];
	int64_t since = -1, mark = 0, max = 0, full_number;
	int ch, rc = 1;

	memset(&cc, 0, sizeof(cc));
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'i': issuer = optarg; break;
		case 'f': full = optarg; break;
		case 's': since = strtoll(optarg, NULL, 10); break;
		case 'd': delta = optarg; break;
		default: goto usage;
		}
	}
	if (cpath == NULL || issuer == NULL || full == NULL || (since >= 0) != (delta != NULL) || optind != argc)
		goto usage;
	if ((conf = pechat_config_load(cpath, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechat-crlgen: %s\n", errbuf);
		return 2;
	}
	pechat_log_set_level(PECHAT_LOG_WARN);
	if (hsm_global_init() != 0 || db_open(conf->store_path, 0, &db, &e) != PECHAT_OK || cmd_ca_conf(conf, &cc) != 0 ||
	    ca_new(&cc, db, NULL, &ca, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat-crlgen: cannot load the store and the CA: %s\n", e.detail);
		goto out;
	}
	if (db_revocation_mark(db, issuer, &mark, &e) != PECHAT_OK || db_crl_max_number(db, issuer, &max, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat-crlgen: %s\n", e.detail);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.issuer = issuer;
	p.number = full_number = max + 1;
	p.base_number = -1;
	p.this_update = time(NULL);
	p.next_update = p.this_update + conf->crl.next_update_s;
	p.has_prev_number = 1;
	p.prev_number = max;
	if (one_crl(ca, db, &p, -1, since >= 0 ? since : mark, full) != 0)
		goto out;
	if (delta != NULL) {
		p.number = full_number + 1;
		p.prev_number = full_number;
		p.base_number = full_number;
		p.next_update = p.this_update + conf->crl.delta_next_update_s;
		if (one_crl(ca, db, &p, since, mark, delta) != 0)
			goto out;
	}
	rc = 0;
out:
	ca_free(ca);
	db_close(db);
	cmd_ca_conf_clear(&cc);
	pechat_config_free(conf);
	return rc;
usage:
	fprintf(stderr, "usage: pechat-crlgen --config CONF --issuer NAME --full FULL.der "
	    "[--since-mark K --delta DELTA.der]\n");
	return 2;
}
