/*
 * Unit tests for ceremony/root_crl.c: `pechat ceremony revoke` and `crl` on an offline store
 * and every refusal of `import-crl` on an online store (:memory: stores, keys in files):
 * not a CRL, a delta, no cRLNumber, nextUpdate not after thisUpdate, not a root, another
 * issuer name, another key's signature, a number not above the last, thisUpdate in the
 * future; each refusal stores nothing; an accepted CRL records its issuing CA revocation once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ceremony/ceremony.h"
#include "db/db.h"
#include "db/db_int.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"
#include "test_util.h"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "cercrl") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* The private key of a file: reference (unencrypted PEM). Owned. */
static EVP_PKEY *
key_of(const char *ref)
{
	FILE *f = fopen(ref + strlen("file:"), "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

/*
 * A CRL made with OpenSSL directly (PEM, owned): issuer `name`, signed by `key`,
 * cRLNumber `number` (< 0: none), deltaCRLIndicator when delta, the two times.
 */
static char *
craft(const X509_NAME *name, EVP_PKEY *key, long number, int delta, time_t this_update, time_t next_update,
    size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, this_update), *t2 = ASN1_TIME_set(NULL, next_update);
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long sz;

	assert_int_equal(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t1), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t2), 1);
	ASN1_INTEGER_set(n, number < 0 ? 1 : number);
	if (number >= 0)
		assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0), 1);
	if (delta)
		assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, n, 1, 0), 1);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_CRL(b, crl), 1);
	sz = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)sz + 1);
	memcpy(out, data, (size_t)sz);
	*len = (size_t)sz;
	BIO_free(b);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	ASN1_INTEGER_free(n);
	X509_CRL_free(crl);
	return out;
}

/* PEM of a certificate (owned). */
static char *
cert_pem(X509 *x, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

/* "crls:revocation_events:audit" of a store. */
static void
rows(struct db *db, char *buf, size_t sz)
{
	snprintf(buf, sz, "%lld:%lld:%lld", (long long)test_table_rows(db->conn, "crls"),
	    (long long)test_table_rows(db->conn, "revocation_events"), (long long)test_table_rows(db->conn, "audit"));
}

/* import-crl of data on env; returns the code ("" when accepted). */
static const char *
import_code(const struct cer_env *env, const char *root, const char *data, size_t len)
{
	static struct pechat_error e;
	struct cer_import_crl_result r;

	pechat_error_clear(&e);
	if (cer_import_crl(env, root, (const unsigned char *)data, len, &r, &e) == PECHAT_OK)
		return "";
	return e.code;
}

static void
test_root_crl(void **state)
{
	struct pechat_error e;
	struct db *off = NULL, *on = NULL;
	struct cer_env env = { NULL, "cli:test", 0, "http://127.0.0.1:8080" };
	struct cer_import_result ir;
	struct cer_crl_result cr;
	struct cer_import_crl_result icr;
	struct db_revocation ev;
	char root_ref[512], ca_ref[512], other_ref[512], fpr[65], before[64], after[64], ser[65];
	X509 *root = NULL, *ca = NULL, *other = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *rkey, *okey;
	BIO *b;
	char *root_pem, *ca_pem, *req_pem, *pem, *crl1, *crl2;
	unsigned char *der = NULL;
	size_t root_len, ca_len, req_len, len, len1, len2, dlen;
	time_t now = time(NULL);
	long n;

	(void)state;
	env.now = now;
	pechat_error_clear(&e);
	assert_int_equal(db_open(":memory:", 1, &off, &e), PECHAT_OK);
	assert_int_equal(db_open(":memory:", 1, &on, &e), PECHAT_OK);
	snprintf(root_ref, sizeof(root_ref), "file:%s/root.key", tmpdir);
	snprintf(ca_ref, sizeof(ca_ref), "file:%s/ca.key", tmpdir);
	snprintf(other_ref, sizeof(other_ref), "file:%s/other.key", tmpdir);

	/* offline root, online issuing CA "i" signed by it and imported */
	env.db = off;
	assert_int_equal(cer_keygen(&env, root_ref, "ec-p256", fpr, &e), PECHAT_OK);
	assert_int_equal(cer_root(&env, "i-root", root_ref, "CN=R,C=RU", 3650, -1, &root, &e), PECHAT_OK);
	assert_int_equal(cer_keygen(&env, other_ref, "ec-p256", fpr, &e), PECHAT_OK);
	assert_int_equal(cer_root(&env, "o-root", other_ref, "CN=O,C=RU", 3650, -1, &other, &e), PECHAT_OK);
	env.db = on;
	assert_int_equal(cer_keygen(&env, ca_ref, "ec-p256", fpr, &e), PECHAT_OK);
	assert_int_equal(cer_csr(&env, ca_ref, "CN=I,C=RU", &req, &e), PECHAT_OK);
	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &pem);
	req_pem = calloc(1, (size_t)n + 1);
	memcpy(req_pem, pem, (size_t)n);
	req_len = (size_t)n;
	BIO_free(b);
	env.db = off;
	assert_int_equal(cer_sign(&env, "i-root", (unsigned char *)req_pem, req_len, 365, 0, &ca, &e), PECHAT_OK);
	root_pem = cert_pem(root, &root_len);
	ca_pem = cert_pem(ca, &ca_len);
	env.db = on;
	assert_int_equal(cer_import(&env, "i", ca_ref, (unsigned char *)ca_pem, ca_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_OK);
	pechat_strlcpy(ser, ir.serial, sizeof(ser));

	/* offline revoke refusals, then the revocation (cACompromise) */
	env.db = off;
	rows(off, before, sizeof(before));
	assert_int_equal(cer_revoke(&env, "nope", ser, NULL, NULL, &ev, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_unknown");
	assert_int_equal(cer_revoke(&env, "i-root", "xyz", NULL, NULL, &ev, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "serial_invalid");
	assert_int_equal(cer_revoke(&env, "i-root", "0BADC0DE", NULL, NULL, &ev, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "certificate_unknown");
	assert_int_equal(cer_revoke(&env, "i-root", ir.root_serial, NULL, NULL, &ev, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "certificate_not_issuing_ca");  /* the root itself */
	assert_int_equal(cer_revoke(&env, "o-root", ser, NULL, NULL, &ev, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "certificate_not_issuing_ca");  /* signed by another root */
	assert_int_equal(cer_revoke(&env, "i-root", ser, "certificateHold", NULL, &ev, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "reason_invalid");
	rows(off, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(cer_revoke(&env, "i-root", ser, "cACompromise", "test", &ev, &e), PECHAT_OK);
	assert_string_equal(ev.issuer, "i-root");
	assert_int_equal(cer_revoke(&env, "i-root", ser, NULL, NULL, &ev, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "already_revoked");

	/* offline crl: bounds, then one listing the revocation, stored and audited */
	assert_int_equal(cer_crl(&env, "i-root", 0, &der, &dlen, &cr, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "days_invalid");
	assert_int_equal(cer_crl(&env, "i-root", 30, &der, &dlen, &cr, &e), PECHAT_OK);
	assert_int_equal(cr.entries, 1);
	assert_int_equal(test_table_rows(off->conn, "crls"), 1);
	{
		const unsigned char *p = der;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)dlen);
		BIO *o = BIO_new(BIO_s_mem());

		assert_non_null(c);
		assert_int_equal(X509_CRL_verify(c, X509_get0_pubkey(root)), 1);
		assert_null(X509_CRL_get_ext_d2i(c, NID_issuing_distribution_point, NULL, NULL));
		assert_null(X509_CRL_get_ext_d2i(c, NID_freshest_crl, NULL, NULL));
		assert_int_equal(PEM_write_bio_X509_CRL(o, c), 1);
		n = BIO_get_mem_data(o, &pem);
		crl1 = calloc(1, (size_t)n + 1);
		memcpy(crl1, pem, (size_t)n);
		len1 = (size_t)n;
		BIO_free(o);
		X509_CRL_free(c);
	}
	OPENSSL_free(der);
	der = NULL;

	/* online import-crl refusals: nothing stored */
	env.db = on;
	rkey = key_of(root_ref);
	okey = key_of(other_ref);
	rows(on, before, sizeof(before));
	assert_string_equal(import_code(&env, "i-root", "junk", 4), "crl_invalid");
	assert_string_equal(import_code(&env, "i-root", ca_pem, ca_len), "crl_invalid");            /* a certificate */
	assert_string_equal(import_code(&env, "nope", crl1, len1), "issuer_unknown");
	assert_string_equal(import_code(&env, "i", crl1, len1), "issuer_not_root");
	pem = craft(X509_get_subject_name(root), rkey, 5, 1, now, now + 3600, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_invalid");                  /* delta */
	free(pem);
	pem = craft(X509_get_subject_name(root), rkey, -1, 0, now, now + 3600, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_invalid");                  /* no number */
	free(pem);
	pem = craft(X509_get_subject_name(root), rkey, 5, 0, now, now, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_invalid");                  /* next <= this */
	free(pem);
	pem = craft(X509_get_subject_name(other), rkey, 5, 0, now, now + 3600, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_issuer_mismatch");
	free(pem);
	pem = craft(X509_get_subject_name(root), okey, 5, 0, now, now + 3600, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_signature_invalid");
	free(pem);
	pem = craft(X509_get_subject_name(root), rkey, 5, 0, now + CER_CRL_SKEW_S + 60, now + 7200, &len);
	assert_string_equal(import_code(&env, "i-root", pem, len), "crl_not_yet_valid");
	free(pem);
	rows(on, after, sizeof(after));
	assert_string_equal(after, before);

	/* accepted: the CRL row, the revocation of "i" recorded under the root, audited */
	assert_int_equal(cer_import_crl(&env, "i-root", (unsigned char *)crl1, len1, &icr, &e), PECHAT_OK);
	assert_int_equal(icr.entries, 1);
	assert_int_equal(icr.recorded, 1);
	assert_int_equal(db_revocation_last(on, ser, -1, &ev, &e), PECHAT_OK);
	assert_string_equal(ev.kind, "revoke");
	assert_string_equal(ev.reason, "cACompromise");
	assert_string_equal(ev.issuer, "i-root");
	assert_string_equal(import_code(&env, "i-root", crl1, len1), "crl_number_not_newer");     /* the same */
	/* a newer CRL listing the same revocation records nothing new */
	env.db = off;
	env.now = now + 1;
	assert_int_equal(cer_crl(&env, "i-root", 30, &der, &dlen, &cr, &e), PECHAT_OK);
	env.db = on;
	{
		const unsigned char *p = der;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)dlen);
		BIO *o = BIO_new(BIO_s_mem());

		assert_int_equal(PEM_write_bio_X509_CRL(o, c), 1);
		n = BIO_get_mem_data(o, &pem);
		crl2 = calloc(1, (size_t)n + 1);
		memcpy(crl2, pem, (size_t)n);
		len2 = (size_t)n;
		BIO_free(o);
		X509_CRL_free(c);
	}
	assert_int_equal(cer_import_crl(&env, "i-root", (unsigned char *)crl2, len2, &icr, &e), PECHAT_OK);
	assert_int_equal(icr.recorded, 0);
	assert_int_equal(test_table_rows(on->conn, "revocation_events"), 1);
	assert_int_equal(test_table_rows(on->conn, "crls"), 2);
	assert_string_equal(import_code(&env, "i-root", crl1, len1), "crl_number_not_newer");     /* older */

	OPENSSL_free(der);
	free(crl1);
	free(crl2);
	free(root_pem);
	free(ca_pem);
	free(req_pem);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(okey);
	X509_free(root);
	X509_free(other);
	X509_free(ca);
	X509_REQ_free(req);
	db_close(off);
	db_close(on);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_crl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
