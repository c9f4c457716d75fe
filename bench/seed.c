/*
 * bench/seed.c — pechat-seed: fills a store with N certificates of one issuer, the
 * first M of them revoked, through db/'s own functions (not HTTP), for bench/crl
 * and bench/ocsp's BENCH_CERTS mode.
 *
 *   pechat-seed --db VAR/pechat.db --issuer ecdsa --template LEAF.der --n N [--revoked M] [--first K]
 *
 * Each certificate is the template (a leaf pechatd issued) with serial
 * "5EED" + 28 hex digits of its index (K, K+1, ... with --first K: a second
 * run adds more after the first's), re-encoded: its signature no longer
 * verifies (nothing here signs), but the row, serial, issuer, validity and key
 * hash are what pechatd reads for CRLs and OCSP. Per row, as ca/build.c and
 * ca/revoke.c write them: serial reservation, certificate, key hash; a revoke
 * event (superseded, actor "bench-seed") for the first M, its revocation time
 * spread over the last day (distinct times, as real revocations have). No audit rows, no
 * requests. 10,000 rows per transaction (db_txn_run). Run with pechatd stopped.
 *
 * A benchmark tool (built with -DPECHAT_BENCH=ON, never part of ctest or the daemon).
 */
#include "common/common.h"
#include "db/db.h"

#include <openssl/x509.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 10000

struct seed {
	const char *issuer;
	X509 *tmpl;
	char spki[65];
	long n, revoked, first, next, end;
	time_t now;
};

/* Row I: the template re-serialled, its serial, fingerprint and times into *ROW (der malloc'd). */
static int
seed_row(struct seed *s, long i, struct db_cert *row)
{
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	memset(row, 0, sizeof(*row));
	snprintf(row->serial, sizeof(row->serial), "5EED%028lX", (unsigned long)i);
	if (BN_hex2bn(&bn, row->serial) == 0 || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(s->tmpl, sn) != 1 ||
	    i2d_re_X509_tbs(s->tmpl, NULL) <= 0 || /* drops the cached encoding of the TBS */
	    (len = i2d_X509(s->tmpl, &der)) <= 0 ||
	    pechat_sha256_hex(der, (size_t)len, row->fingerprint) != 0)
		goto fail;
	pechat_strlcpy(row->issuer, s->issuer, sizeof(row->issuer));
	pechat_strlcpy(row->profile, "bench-seed", sizeof(row->profile));
	snprintf(row->subject_dn, sizeof(row->subject_dn), "CN=Seed %ld", i);
	row->not_before = s->now - 60;
	row->not_after = s->now + 365L * 86400;
	row->created_at = s->now;
	row->der = der;
	row->der_len = (size_t)len;
	der = NULL;
	rc = 0;
fail:
	OPENSSL_free(der);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return rc;
}

/* db_txn_fn: rows s->next .. s->end-1 (serial, certificate, key hash, revoke event for i < revoked). */
static enum pechat_err
seed_batch(struct db *db, void *arg, struct pechat_error *e)
{
	struct seed *s = arg;
	struct db_revocation ev;
	struct db_cert row;
	enum pechat_err rc = PECHAT_OK;
	long i;

	for (i = s->next; i < s->end && rc == PECHAT_OK; i++) {
		if (seed_row(s, i, &row) != 0)
			return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "seed: cannot encode certificate %ld", i);
		if ((rc = db_serial_reserve(db, s->issuer, row.serial, s->now, e)) == PECHAT_OK &&
		    (rc = db_cert_insert(db, &row, e)) == PECHAT_OK)
			rc = db_cert_key_insert(db, row.serial, s->spki, e);
		if (rc == PECHAT_OK && i - s->first < s->revoked) {
			memset(&ev, 0, sizeof(ev));
			pechat_strlcpy(ev.serial, row.serial, sizeof(ev.serial));
			pechat_strlcpy(ev.issuer, s->issuer, sizeof(ev.issuer));
			pechat_strlcpy(ev.kind, "revoke", sizeof(ev.kind));
			pechat_strlcpy(ev.reason, "superseded", sizeof(ev.reason));
			pechat_strlcpy(ev.actor, "bench-seed", sizeof(ev.actor));
			ev.revoked_at = s->now - 86400 + i % 86400;
			ev.created_at = s->now;
			rc = db_revocation_append(db, &ev, NULL, e);
		}
		free(row.der);
	}
	return rc;
}

/* Reads the template certificate (DER) and its key hash into S; 0 or -1. */
static int
seed_template(struct seed *s, const char *path)
{
	unsigned char buf[16384];
	const unsigned char *p = buf;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if ((s->tmpl = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    pechat_cert_spki_sha256_hex(buf, len, s->spki) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", 1, NULL, 'd' }, { "issuer", 1, NULL, 'i' }, { "template", 1, NULL, 't' },
		{ "n", 1, NULL, 'n' }, { "revoked", 1, NULL, 'r' }, { "first", 1, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	struct seed s = { 0 };
	struct pechat_error e = { 0 };
	const char *dbpath = NULL, *tmpl = NULL;
	struct db *db = NULL;
	struct timespec t0, t1;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dbpath = optarg; break;
		case 'i': s.issuer = optarg; break;
		case 't': tmpl = optarg; break;
		case 'n': s.n = strtol(optarg, NULL, 10); break;
		case 'r': s.revoked = strtol(optarg, NULL, 10); break;
		case 'f': s.first = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (dbpath == NULL || s.issuer == NULL || tmpl == NULL || s.n < 1 || s.n > 100000000 || s.revoked < 0 ||
	    s.revoked > s.n || s.first < 0 || s.first > 100000000)
		goto usage;
	if (seed_template(&s, tmpl) != 0) {
		fprintf(stderr, "pechat-seed: cannot read the template certificate %s\n", tmpl);
		goto fail;
	}
	if (db_open(dbpath, 0, &db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat-seed: %s: %s\n", dbpath, e.detail);
		goto fail;
	}
	s.now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (s.next = s.first; s.next < s.first + s.n; s.next = s.end) {
		s.end = s.next + BATCH < s.first + s.n ? s.next + BATCH : s.first + s.n;
		if (db_txn_run(db, seed_batch, &s, &e) != PECHAT_OK) {
			fprintf(stderr, "pechat-seed: rows %ld..%ld: %s\n", s.next, s.end - 1, e.detail);
			goto fail;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("seeded %ld certificates (%ld revoked) for issuer %s in %.1f s\n", s.n, s.revoked, s.issuer,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
fail:
	db_close(db);
	X509_free(s.tmpl);
	return rc;
usage:
	fprintf(stderr, "usage: pechat-seed --db STORE --issuer NAME --template LEAF.der --n N [--revoked M] [--first K]\n");
	return 2;
}
