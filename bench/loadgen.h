/*
 * bench/loadgen.h — what the two files of pechat-loadgen share: its options,
 * jobs, slots and run (bench/loadgen.c: the libcurl multi driver, the figures,
 * main; bench/loadgen_jobs.c: the jobs — CSRs or serials — and the OCSP check).
 */
#ifndef PECHAT_LOADGEN_H
#define PECHAT_LOADGEN_H

#include <curl/curl.h>
#include <openssl/x509.h>
#include <stddef.h>

#define BODY_MAX (1u << 20)

struct opts {
	const char *mode, *url, *cacert, *cert, *key, *profile, *alg, *serials, *csr_dir, *out;
	const char *ocsp_url, *chain, *issuer, *want;
	long n, conc, sample, pid;
};

struct buf {
	char *p;
	size_t len;
};

struct job {
	char *body;       /* issue: the JSON request; revoke: the serial */
	char url[512];
	double started, latency;
	long status;
	char serial[80];  /* issue: the serial of the 201's certificate */
};

struct slot {
	CURL *h;
	struct buf in;
	long job;
};

struct run {
	const struct opts *o;
	struct job *jobs;
	long n, next, done, ok, sampled, sample_bad;
	struct curl_slist *hdrs;
	CURL *ocsp_h;
	X509 *issuer;
	X509_STORE *store;
	double t0, c0, d0;  /* when the timed part began: monotonic, own CPU, daemon CPU */
};

/* libcurl write callback: appends to a struct buf, at most BODY_MAX bytes. */
size_t buf_write(char *data, size_t size, size_t nmemb, void *arg);
/* Fills run->jobs for issue: N request bodies with distinct new CSRs; 0 or -1. */
int jobs_issue(struct run *r);
/* Fills run->jobs for revoke / ocsp from the --serials file (one hex serial a line); 0 or -1. */
int jobs_serials(struct run *r);
/* Loads the OCSP checker: issuer certificate and a store with the chain; 0 or -1. */
int ocsp_setup(struct run *r);
/* The OCSP status of SERIAL (hex) from --ocsp-url, SHA-1 CertID, signature verified:
 * V_OCSP_CERTSTATUS_GOOD / _REVOKED / _UNKNOWN, or -1 (no valid answer). */
int ocsp_status(struct run *r, const char *serial);

#endif
