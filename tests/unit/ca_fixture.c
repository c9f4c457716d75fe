/* Shared fixture for the ca/ and hsm/ unit tests: see ca_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "hsm/hsm.h"
#include "ca/ca_int.h"
#include "ceremony/init.h"
#include "cmd/ca_conf.h"
#include "ca_fixture.h"


/* See ca_fixture.h. */
void
ca_fixture_publish_conf(const struct ca_fixture *f, struct ca_publish_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->crl_next_update_s = 43200;
	pc->crl_full_interval_s = 3600;
	pc->crl_delta_next_update_s = 3600;
	pc->crl_delta_rebase_s = 86400;
	pc->crl_max_delay_ms = 100;
	pc->ocsp_validity_s = 14400;
	pc->ocsp_refresh_before_s = 3600;
	pc->ocsp_max_certids = 10;
	pc->ocsp_on_demand_per_s = 50;
	pc->ocsp_responder_validity_days = 7;
	pc->ocsp_responder_renew_days = 2;
	pechat_strlcpy(pc->store_path, f->conf.store_path, sizeof(pc->store_path));
}

void
ca_fixture_owed_drain(struct ca_fixture *f)
{
	struct ca_publish_stats st;
	struct timespec pause = { 0, 1000000L };
	int i;

	if (f->pub == NULL)
		return;
	for (i = 0; i < 30000; i++) {
		ca_publisher_stats(f->pub, &st);
		if (st.ocsp_owed == 0)
			return;
		nanosleep(&pause, NULL);
	}
	fail_msg("OCSP answers still owed after 30 s");
}

OCSP_RESPONSE *
ca_fixture_ocsp_ask(struct ca_fixture *f, struct ca_publisher *pub, const char *issuer, const char *serial,
    const EVP_MD *md)
{
	struct ca_ocsp_reply out;
	struct pechat_error e;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = NULL;
	OCSP_RESPONSE *resp;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	assert_non_null(req);
	assert_int_equal(ca_ocsp_certid_new(f->ca, issuer, serial, md, &id, NULL), PECHAT_OK);
	assert_non_null(OCSP_request_add0_id(req, id));
	assert_true((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	pechat_error_clear(&e);
	if (ca_ocsp_answer(pub, f->db, der, (size_t)len, &out, &e) != PECHAT_OK)
		fail_msg("answer: %s %s", e.code, e.detail);
	p = out.der;
	assert_non_null(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)out.len));
	free(out.der);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return resp;
}

static time_t
fake_time(void *arg)
{
	return *(time_t *)arg;
}

int
ca_fixture_tmpdir(char *buf, size_t bufsz, const char *tag)
{
	int n = snprintf(buf, bufsz, "/tmp/pechat-%s-XXXXXX", tag);

	if (n < 0 || (size_t)n >= bufsz || mkdtemp(buf) == NULL) {
		if (bufsz > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
ca_fixture_rmtree(const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return -1;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

void
ca_fixture_issuer(struct pechat_issuer_conf *ic, const char *name, enum pechat_keyalg alg, const char *cn)
{
	memset(ic, 0, sizeof(*ic));
	pechat_strlcpy(ic->name, name, sizeof(ic->name));
	ic->key_algorithm = alg;
	ic->rsa_bits = 2048;
	pechat_strlcpy(ic->common_name, cn, sizeof(ic->common_name));
	pechat_strlcpy(ic->organization, "Печать", sizeof(ic->organization));
	pechat_strlcpy(ic->country, "RU", sizeof(ic->country));
	ic->root_validity_days = 7300;
	ic->validity_days = 3650;
}

static void
conf_init(struct ca_fixture *f)
{
	struct pechat_config *c = &f->conf;
	struct pechat_profile_conf *p = &f->profiles[0];

	snprintf(c->var_dir, sizeof(c->var_dir), "%s/var", f->dir);
	snprintf(c->tls_cert, sizeof(c->tls_cert), "%s/var/tls/server.crt", f->dir);
	snprintf(c->tls_key, sizeof(c->tls_key), "%s/var/tls/server.key", f->dir);
	snprintf(c->operator_ca_cert, sizeof(c->operator_ca_cert), "%s/var/certs/operators.crt", f->dir);
	pechat_strlcpy(c->public_base_url, "http://ca.test/", sizeof(c->public_base_url));
	pechat_strlcpy(c->api_hostnames[0], "localhost", sizeof(c->api_hostnames[0]));
	c->n_api_hostnames = 1;
	ca_fixture_issuer(&f->issuers[0], "ecdsa", PECHAT_KEYALG_EC_P256, "Test ECDSA CA");
	ca_fixture_issuer(&f->issuers[1], "rsa", PECHAT_KEYALG_RSA, "Test RSA CA");
	c->n_issuers = 2;
	if (f->have_gost) {
		ca_fixture_issuer(&f->issuers[2], "gost", PECHAT_KEYALG_GOST2012_256, "Test GOST CA");
		c->n_issuers = 3;
	}
	c->issuers = f->issuers;
	pechat_strlcpy(p->name, "qualified", sizeof(p->name));
	pechat_strlcpy(p->issuer, "ecdsa", sizeof(p->issuer));
	p->validity_days = 365;
	p->key_algorithms = PECHAT_KEYALG_EC_P256;
	p->rsa_min_bits = 2048;
	p->key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION;
	p->subject_required = 1u << PSF_COMMON_NAME;
	p->subject_allowed = (1u << PSF_COUNT) - 1;
	c->profiles = f->profiles;
	c->n_profiles = 1;
}

int
ca_fixture_init(struct ca_fixture *f, const char *tag)
{
	memset(f, 0, sizeof(*f));
	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	if (hsm_global_init() != 0)
		return -1;
	f->have_gost = EVP_get_digestbyname("md_gost12_256") != NULL;
	if (ca_fixture_tmpdir(f->dir, sizeof(f->dir), tag) != 0)
		return -1;
	conf_init(f);
	f->now = time(NULL);
	f->clock.now = fake_time;
	f->clock.arg = &f->now;
	return 0;
}

int
ca_fixture_start(struct ca_fixture *f)
{
	struct pechat_error e;

	pechat_error_clear(&e);
	if (f->file_store)
		snprintf(f->conf.store_path, sizeof(f->conf.store_path), "%s/pechat.db", f->dir);
	if (db_open(f->file_store ? f->conf.store_path : ":memory:", 1, &f->db, &e) != PECHAT_OK ||
	    ceremony_bootstrap(&f->conf, f->db, &f->clock, 0, &e) != PECHAT_OK ||
	    cmd_ca_conf(&f->conf, &f->cconf) != 0 ||
	    ca_new(&f->cconf, f->db, &f->clock, &f->ca, &e) != PECHAT_OK) {
		fprintf(stderr, "setup: %s %s\n", e.code, e.detail);
		return -1;
	}
	return 0;
}

int
ca_fixture_setup(struct ca_fixture *f, const char *tag)
{
	if (ca_fixture_init(f, tag) != 0)
		return -1;
	return ca_fixture_start(f);
}

int
ca_fixture_teardown(struct ca_fixture *f)
{
	int rc = 0;

	ca_free(f->ca);
	f->ca = NULL;
	cmd_ca_conf_clear(&f->cconf);
	db_close(f->db);
	f->db = NULL;
	if (f->dir[0] != '\0')
		rc = ca_fixture_rmtree(f->dir);
	f->dir[0] = '\0';
	return rc;
}

int
ca_fixture_read(const char *relpath, unsigned char **buf, size_t *len)
{
	const char *dir = getenv("PECHAT_TEST_DATA");
	char path[512];
	int n;

	*buf = NULL;
	if (dir == NULL)
		return -1;
	n = snprintf(path, sizeof(path), "%s/%s", dir, relpath);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	return pechat_file_read(path, 1 << 20, buf, len) == 0 ? 0 : -1;
}

/* tests/data/csr/<name> parsed, or NULL. */
static X509_REQ *
csr_load(const char *name, struct pechat_error *e)
{
	char rel[256];
	unsigned char *buf = NULL;
	size_t len = 0;
	X509_REQ *req = NULL;

	pechat_error_clear(e);
	snprintf(rel, sizeof(rel), "csr/%s", name);
	if (ca_fixture_read(rel, &buf, &len) != 0) {
		fprintf(stderr, "cannot read %s\n", rel);
		return NULL;
	}
	if (ca_csr_parse(buf, len, &req, e) != PECHAT_OK)
		req = NULL;
	free(buf);
	return req;
}

struct ca_csr *
ca_fixture_csr_parts(const X509_REQ *req)
{
	struct pechat_error e;
	struct ca_csr *parts = NULL;
	unsigned char *der = NULL;
	int len;

	assert_true((len = i2d_X509_REQ(req, &der)) > 0);
	assert_int_equal(ca_csr_read(der, (size_t)len, &parts, &e), PECHAT_OK);
	OPENSSL_free(der);
	return parts;
}

X509_REQ *
ca_fixture_csr(const char *name)
{
	struct pechat_error e;
	X509_REQ *req = csr_load(name, &e);

	assert_non_null(req);
	return req;
}

unsigned char *
ca_fixture_csr_pem(EVP_PKEY *key, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *out;
	char *data;
	long n;

	assert_true(req != NULL && name != NULL && bio != NULL);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"ignored", -1,
	    -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	assert_true((n = BIO_get_mem_data(bio, &data)) > 0);
	assert_non_null(out = malloc((size_t)n));
	memcpy(out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return out;
}

unsigned char *
ca_fixture_new_csr_pem(size_t *len)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	unsigned char *pem;

	assert_non_null(key);
	pem = ca_fixture_csr_pem(key, len);
	EVP_PKEY_free(key);
	return pem;
}

X509 *
ca_fixture_issue_subject(struct ca_fixture *f, const char *profile, const char *csr_file,
    const struct pechat_subject *s)
{
	X509_REQ *req;
	struct ca_issue_params p;
	struct ca_change changed;
	struct pechat_error e;
	struct ca_csr *parts;
	X509 *cert = NULL;

	if ((req = csr_load(csr_file, &e)) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.subject = s;
	p.csr = parts = ca_fixture_csr_parts(req);
	p.actor = "officer1";
	if (ca_issue(f->ca, f->db, &p, &cert, &changed, &e) != PECHAT_OK)
		fprintf(stderr, "issue: %s %s\n", e.code, e.detail);
	else {  /* what ra/ does with the report */
		assert_int_equal(ca_publisher_status_changed(f->pub, f->db, changed.issuer, changed.serial,
		    changed.crl_changed, &e), PECHAT_OK);
		ca_change_clear(&changed);
		ca_fixture_owed_drain(f);
	}
	ca_csr_free(parts);
	X509_REQ_free(req);
	return cert;
}

X509 *
ca_fixture_issue(struct ca_fixture *f, const char *profile, const char *csr_file, const char *cn)
{
	struct pechat_subject s;
	X509 *cert;

	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, cn);
	cert = ca_fixture_issue_subject(f, profile, csr_file, &s);
	pechat_subject_clear(&s);
	return cert;
}

int
ca_fixture_verify(X509 *leaf, X509 *trusted, X509 *mid, int purpose, time_t at)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok;

	assert_int_equal(X509_STORE_add_cert(store, trusted), 1);
	if (mid != NULL)
		sk_X509_push(untrusted, mid);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	if (purpose > 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	if (at != 0)
		X509_STORE_CTX_set_time(ctx, 0, at);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		fprintf(stderr, "verify: %s\n", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	return ok;
}

int64_t
ca_fixture_cert_count(struct ca_fixture *f)
{
	int64_t n = -1;
	struct pechat_error e;

	assert_int_equal(db_cert_count(f->db, &n, &e), PECHAT_OK);
	return n;
}

int64_t
ca_fixture_audit_count(struct ca_fixture *f)
{
	int64_t n = -1;
	struct pechat_error e;

	assert_int_equal(db_audit_count(f->db, &n, &e), PECHAT_OK);
	return n;
}

/* A subscriber certificate: a request row, then ca_issue for it. Serial into serial. */
void
ca_fixture_issue_subscriber(struct ca_fixture *f, const char *cn, char serial[65])
{
	struct pechat_subject s;
	struct ca_issue_params p;
	struct ca_change changed;
	struct db_request row;
	struct pechat_error e;
	X509_REQ *req = ca_fixture_csr("ec-p256.pem");
	struct ca_csr *parts = ca_fixture_csr_parts(req);
	X509 *cert = NULL;
	unsigned char *der = NULL;
	int len;

	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, cn);
	memset(&row, 0, sizeof(row));
	assert_int_equal(pechat_uuid7(row.id), 0);
	pechat_strlcpy(row.client, "portal", sizeof(row.client));
	pechat_strlcpy(row.profile, "qualified", sizeof(row.profile));
	pechat_strlcpy(row.issuer, "ecdsa", sizeof(row.issuer));
	pechat_strlcpy(row.state, "pending", sizeof(row.state));
	row.subject.v[PSF_COMMON_NAME] = s.v[PSF_COMMON_NAME];
	assert_true((len = i2d_X509_REQ(req, &der)) > 0);
	row.csr_der = der;
	row.csr_len = (size_t)len;
	row.created_at = row.updated_at = f->now;
	assert_int_equal(db_request_insert(f->db, &row, &e), PECHAT_OK);
	memset(&p, 0, sizeof(p));
	p.profile = "qualified";
	p.subject = &s;
	p.csr = parts;
	p.request_id = row.id;
	p.actor = "officer1";
	assert_int_equal(ca_issue(f->ca, f->db, &p, &cert, &changed, &e), PECHAT_OK);
	assert_int_equal(ca_publisher_status_changed(f->pub, f->db, changed.issuer, changed.serial, 0, &e),
	    PECHAT_OK);
	ca_change_clear(&changed);
	ca_fixture_owed_drain(f);
	assert_int_equal(ca_serial_hex(X509_get0_serialNumber(cert), serial, 65), 0);
	X509_free(cert);
	OPENSSL_free(der);
	ca_csr_free(parts);
	X509_REQ_free(req);
	pechat_subject_clear(&s);
}

enum pechat_err
ca_fixture_revoke(struct ca_fixture *f, const char *serial, enum ca_revoke_action action, const char *reason,
    struct db_revocation *ev, struct pechat_error *e)
{
	struct db_revocation stored;
	struct pechat_error pe;
	enum pechat_err err;

	if ((err = ca_revoke(f->ca, f->db, serial, action, reason, 0, "officer1", NULL, &stored, e)) != PECHAT_OK)
		return err;
	pechat_error_clear(&pe);
	if (ca_publisher_status_changed(f->pub, f->db, stored.issuer, stored.serial, 1, &pe) != PECHAT_OK)
		fail_msg("publisher not told of %s: %s %s", serial, pe.code, pe.detail);
	if (ev != NULL)
		*ev = stored;
	return PECHAT_OK;
}
