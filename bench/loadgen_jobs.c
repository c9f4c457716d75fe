/*
 * bench/loadgen_jobs.c — pechat-loadgen's jobs and its OCSP check: the
 * request bodies of mode issue (a new key and CSR each, made before the clock
 * starts, also written out for the `openssl ca` peer), the serials of modes
 * revoke and ocsp, and one OCSP question with its answer verified.
 */
#include "loadgen.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* See loadgen.h. */
size_t
buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (b->len + n > BODY_MAX || (p = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* A new key of --alg: "ec-p256" or "gost2012-256" (paramset A). NULL on failure. */
static EVP_PKEY *
key_make(const char *alg)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;

	if (strcmp(alg, "ec-p256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(alg, "gost2012-256") != 0)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_id(NID_id_GostR3410_2012_256, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_ctrl_str(ctx, "paramset", "A") <= 0 ||
	    EVP_PKEY_keygen(ctx, &k) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A PEM CSR for a new key of ALG with CN "Bench I" (malloc'd); NULL on failure. */
static char *
csr_make(const char *alg, long i)
{
	const EVP_MD *md;
	X509_REQ *req = NULL;
	EVP_PKEY *k = NULL;
	BIO *mem = NULL;
	char cn[64], *pem = NULL, *data;
	long len;

	snprintf(cn, sizeof(cn), "Bench %ld", i);
	md = strcmp(alg, "ec-p256") == 0 ? EVP_sha256() : EVP_get_digestbyname("md_gost12_256");
	if (md == NULL || (k = key_make(alg)) == NULL || (req = X509_REQ_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(req, k) != 1 || X509_REQ_sign(req, k, md) <= 0 ||
	    (mem = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509_REQ(mem, req) != 1)
		goto fail;
	len = BIO_get_mem_data(mem, &data);
	if ((pem = malloc((size_t)len + 1)) == NULL)
		goto fail;
	memcpy(pem, data, (size_t)len);
	pem[len] = '\0';
fail:
	BIO_free(mem);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return pem;
}

/* Writes PEM to DIR/csr-I.pem (for the `openssl ca` peer); 0 or -1. */
static int
csr_save(const char *dir, long i, const char *pem)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/csr-%06ld.pem", dir, i);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	rc = fputs(pem, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/* See loadgen.h. */
int
jobs_issue(struct run *r)
{
	json_t *o;
	char *pem;
	long i;

	for (i = 0; i < r->n; i++) {
		if ((pem = csr_make(r->o->alg, i)) == NULL) {
			fprintf(stderr, "loadgen: making CSR %ld (%s) failed\n", i, r->o->alg);
			return -1;
		}
		if (r->o->csr_dir != NULL && csr_save(r->o->csr_dir, i, pem) != 0) {
			fprintf(stderr, "loadgen: cannot write CSR %ld into %s\n", i, r->o->csr_dir);
			free(pem);
			return -1;
		}
		o = json_pack("{s:s, s:{s:o}, s:s}", "profile", r->o->profile, "subject", "common_name",
		    json_sprintf("Bench %ld", i), "csr", pem);
		free(pem);
		if (o == NULL)
			return -1;
		r->jobs[i].body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (r->jobs[i].body == NULL)
			return -1;
		snprintf(r->jobs[i].url, sizeof(r->jobs[i].url), "%s/api/v1/requests", r->o->url);
	}
	return 0;
}

/* See loadgen.h. */
int
jobs_serials(struct run *r)
{
	char line[128];
	size_t cap = 1024;
	FILE *f;

	if ((f = fopen(r->o->serials, "r")) == NULL || (r->jobs = calloc(cap, sizeof(*r->jobs))) == NULL)
		goto fail;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || strspn(line, "0123456789ABCDEFabcdef") != strlen(line) || strlen(line) > 64)
			continue;
		if ((size_t)r->n == cap) {
			struct job *j = realloc(r->jobs, 2 * cap * sizeof(*j));

			if (j == NULL)
				goto fail;
			memset(j + cap, 0, cap * sizeof(*j));
			r->jobs = j;
			cap *= 2;
		}
		snprintf(r->jobs[r->n].serial, sizeof(r->jobs[r->n].serial), "%.64s", line);
		if ((r->jobs[r->n].body = strdup("{\"reason\":\"superseded\"}")) == NULL)
			goto fail;
		snprintf(r->jobs[r->n].url, sizeof(r->jobs[r->n].url), "%s/api/v1/certificates/%s/revoke",
		    r->o->url, line);
		r->n++;
	}
	fclose(f);
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	fprintf(stderr, "loadgen: cannot read serials from %s\n", r->o->serials);
	return -1;
}

/* See loadgen.h. */
int
ocsp_setup(struct run *r)
{
	STACK_OF(X509_INFO) *infos = NULL;
	BIO *b = NULL;
	FILE *f;
	int i, rc = -1;

	if ((f = fopen(r->o->issuer, "r")) == NULL)
		goto fail;
	r->issuer = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (r->issuer == NULL || (r->store = X509_STORE_new()) == NULL ||
	    (b = BIO_new_file(r->o->chain, "r")) == NULL ||
	    (infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL)) == NULL)
		goto fail;
	for (i = 0; i < sk_X509_INFO_num(infos); i++)
		if (sk_X509_INFO_value(infos, i)->x509 != NULL &&
		    X509_STORE_add_cert(r->store, sk_X509_INFO_value(infos, i)->x509) != 1)
			goto fail;
	if ((r->ocsp_h = curl_easy_init()) == NULL)
		goto fail;
	curl_easy_setopt(r->ocsp_h, CURLOPT_NOSIGNAL, 1L);
	rc = 0;
fail:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	if (rc != 0)
		fprintf(stderr, "loadgen: cannot load --issuer %s / --chain %s\n", r->o->issuer, r->o->chain);
	return rc;
}

/* See loadgen.h. */
int
ocsp_status(struct run *r, const char *serial)
{
	OCSP_CERTID *id = NULL, *id2;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	struct curl_slist *h = NULL;
	struct buf in = { 0 };
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len, st = -1, status, reason;

	if (BN_hex2bn(&bn, serial) == 0 || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(r->issuer),
		X509_get0_pubkey_bitstr(r->issuer), sn)) == NULL ||
	    (id2 = OCSP_CERTID_dup(id)) == NULL || (req = OCSP_REQUEST_new()) == NULL ||
	    OCSP_request_add0_id(req, id2) == NULL || (len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto fail;
	h = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
	curl_easy_setopt(r->ocsp_h, CURLOPT_URL, r->o->ocsp_url);
	curl_easy_setopt(r->ocsp_h, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(r->ocsp_h, CURLOPT_POSTFIELDS, der);
	curl_easy_setopt(r->ocsp_h, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(r->ocsp_h, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(r->ocsp_h, CURLOPT_WRITEDATA, &in);
	if (curl_easy_perform(r->ocsp_h) != CURLE_OK || in.p == NULL)
		goto fail;
	p = (const unsigned char *)in.p;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)in.len)) == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL || OCSP_basic_verify(bs, NULL, r->store, 0) != 1 ||
	    OCSP_resp_find_status(bs, id, &status, &reason, NULL, NULL, NULL) != 1)
		goto fail;
	st = status;
fail:
	curl_slist_free_all(h);
	free(in.p);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return st;
}
