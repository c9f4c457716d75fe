/*
 * Unit tests for ceremony/: the --subject syntax (cer_dn_parse), the certificate files of
 * import (cer_cert_parse: one PEM block or DER, nothing around it), and the refusals of the
 * steps on a :memory: store (root name taken, sign by a non-root or unknown root, import of
 * a certificate that is not a CA or does not match the key), each leaving the store unchanged.
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

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"
#include "db/db.h"
#include "hsm/hsm.h"
#include "db/db_int.h"
#include "ca_fixture.h"
#include "test_util.h"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "cer") != 0)
		return -1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* cer_dn_parse's code for dn ("" = accepted). */
static const char *
dn_code(const char *dn)
{
	static struct pechat_error e;
	X509_NAME *n = NULL;

	pechat_error_clear(&e);
	if (cer_dn_parse(dn, &n, &e) == PECHAT_OK) {
		X509_NAME_free(n);
		return "";
	}
	return e.code;
}

static void
test_dn(void **state)
{
	(void)state;
	assert_string_equal(dn_code("CN=Root CA,O=Example,C=RU"), "");
	assert_string_equal(dn_code("CN=Корневой УЦ,O=Пример,ST=Москва,L=Москва,OU=PKI"), "");
	assert_string_equal(dn_code("O=Example"), "subject_invalid");               /* no CN */
	assert_string_equal(dn_code("CN=a,CN=b"), "subject_invalid");              /* two CNs */
	assert_string_equal(dn_code("CN=a,O=b,O=c"), "subject_invalid");           /* O twice */
	assert_string_equal(dn_code("CN=a,OU=1,OU=2,OU=3"), "");                 /* OU repeats */
	assert_string_equal(dn_code("CN=a,O=b,C=RU,ST=s,L=l,OU=1,OU=2,OU=3,OU=4"), "subject_invalid"); /* 9 parts */
	assert_string_equal(dn_code("OU=1,OU=2,OU=3,OU=4,OU=5,OU=6,OU=7,OU=8,CN=a"), "subject_invalid");
	assert_string_equal(dn_code("CN=a,C=ru"), "subject_invalid");              /* C lower case */
	assert_string_equal(dn_code("CN=a,C=RUS"), "subject_invalid");
	assert_string_equal(dn_code("CN=a\\,b"), "subject_invalid");             /* escapes refused */
	assert_string_equal(dn_code("CN=a+O=b"), "subject_invalid");
	assert_string_equal(dn_code("CN="), "subject_invalid");
	assert_string_equal(dn_code("CN=a\tb"), "subject_invalid");                /* control */
	assert_string_equal(dn_code("CN=ple R\x83oot CA,O=Example"), "subject_invalid"); /* not UTF-8 (fuzz_dn) */
	assert_string_equal(dn_code("CN=Root\xe2\x80\x8e CA"), "subject_invalid");   /* U+200E, a format character */
	assert_string_equal(dn_code("CN=Root\xc2\x85" "CA"), "subject_invalid");       /* U+0085, a C1 control */
	assert_string_equal(dn_code("SN=x,CN=a"), "subject_invalid");              /* unknown attribute */
	assert_string_equal(dn_code("CN"), "subject_invalid");
	assert_string_equal(dn_code(""), "subject_invalid");
}

/* A self-signed CA certificate with a fresh EC key: PEM into pem[], DER into der/derlen. */
static X509 *
make_cert(char *pem, size_t pemsz, unsigned char **der, int *derlen)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	assert_non_null(k);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0 && (size_t)n < pemsz);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*der = NULL;
	*derlen = i2d_X509(x, der);
	BIO_free(b);
	EVP_PKEY_free(k);
	return x;
}

/* cer_cert_parse's code for data ("" = accepted). */
static const char *
cert_code(const void *data, size_t len)
{
	static struct pechat_error e;
	X509 *x = NULL;

	pechat_error_clear(&e);
	if (cer_cert_parse(data, len, "--cert", "ca_cert_invalid", &x, &e) == PECHAT_OK) {
		X509_free(x);
		return "";
	}
	return e.code;
}

static void
test_cert_files(void **state)
{
	char pem[4096], two[8192], buf[8192];
	unsigned char *der = NULL;
	int derlen;
	X509 *x = make_cert(pem, sizeof(pem), &der, &derlen);

	(void)state;
	assert_string_equal(cert_code(pem, strlen(pem)), "");
	snprintf(buf, sizeof(buf), "\n  %s\n\n", pem);
	assert_string_equal(cert_code(buf, strlen(buf)), "");                      /* whitespace around */
	assert_string_equal(cert_code(der, (size_t)derlen), "");                   /* DER */
	snprintf(two, sizeof(two), "%s%s", pem, pem);
	assert_string_equal(cert_code(two, strlen(two)), "ca_cert_invalid");       /* two blocks */
	snprintf(buf, sizeof(buf), "%sjunk\n", pem);
	assert_string_equal(cert_code(buf, strlen(buf)), "ca_cert_invalid");       /* trailing text */
	memcpy(buf, der, (size_t)derlen);
	buf[derlen] = 0;
	assert_string_equal(cert_code(buf, (size_t)derlen + 1), "ca_cert_invalid"); /* trailing byte */
	assert_string_equal(cert_code(der, (size_t)derlen - 1), "ca_cert_invalid"); /* truncated */
	assert_string_equal(cert_code("", 0), "ca_cert_invalid");
	memcpy(buf, pem, strlen(pem) + 1);
	memcpy(strstr(buf, "CERTIFICATE"), "CERTIFICATX", 11);
	assert_string_equal(cert_code(buf, strlen(buf)), "ca_cert_invalid");       /* other label */
	OPENSSL_free(der);
	X509_free(x);
}

/* PEM text of a certificate or request (owned, NUL-terminated). */
static char *
pem_of(X509 *x, X509_REQ *r, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_int_equal(x != NULL ? PEM_write_bio_X509(b, x) : PEM_write_bio_X509_REQ(b, r), 1);
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

/* The four store tables a ceremony step writes, as "issuers:certificates:serials:audit". */
static void
store_rows(struct db *db, char *buf, size_t sz)
{
	snprintf(buf, sz, "%lld:%lld:%lld:%lld", (long long)test_table_rows(db->conn, "issuers"),
	    (long long)test_table_rows(db->conn, "certificates"), (long long)test_table_rows(db->conn, "serials"),
	    (long long)test_table_rows(db->conn, "audit"));
}

static void
test_steps(void **state)
{
	struct pechat_error e;
	struct db *off = NULL, *on = NULL;
	struct cer_env env = { NULL, "cli:test", 0, "http://127.0.0.1:8080" };
	struct cer_import_result ir;
	char root_ref[512], ca_ref[512], weak_ref[512], fpr[65], before[64], after[64];
	X509 *root = NULL, *ca = NULL, *again = NULL;
	X509_REQ *req = NULL, *weak = NULL;
	char *root_pem, *ca_pem, *req_pem, *weak_pem;
	size_t root_len, ca_len, req_len, weak_len;

	(void)state;
	env.now = time(NULL);
	pechat_error_clear(&e);
	assert_int_equal(db_open(":memory:", 1, &off, &e), PECHAT_OK);
	assert_int_equal(db_open(":memory:", 1, &on, &e), PECHAT_OK);
	snprintf(root_ref, sizeof(root_ref), "file:%s/root.key", tmpdir);
	snprintf(ca_ref, sizeof(ca_ref), "file:%s/ca.key", tmpdir);
	snprintf(weak_ref, sizeof(weak_ref), "file:%s/weak.key", tmpdir);

	/* offline: root key, root; the same key or name again refused */
	env.db = off;
	assert_int_equal(cer_keygen(&env, root_ref, "ec-p384", fpr, &e), PECHAT_OK);
	assert_int_equal(strlen(fpr), 64);
	assert_int_equal(cer_keygen(&env, root_ref, "ec-p256", fpr, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "key_exists");
	assert_int_equal(cer_root(&env, "r-root", root_ref, "CN=R,C=RU", 3650, -1, &root, &e), PECHAT_OK);
	store_rows(off, before, sizeof(before));
	assert_int_equal(cer_root(&env, "r-root", root_ref, "CN=R,C=RU", 3650, -1, &again, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_exists");
	assert_int_equal(cer_root(&env, "r2", root_ref, "CN=R,C=RU", 0, -1, &again, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "days_invalid");
	store_rows(off, after, sizeof(after));
	assert_string_equal(after, before);

	/* online: issuing key and CSR; a weak one */
	env.db = on;
	assert_int_equal(cer_keygen(&env, ca_ref, "ec-p256", fpr, &e), PECHAT_OK);
	assert_int_equal(cer_csr(&env, ca_ref, "CN=I,C=RU", &req, &e), PECHAT_OK);
	assert_int_equal(cer_keygen(&env, weak_ref, "rsa-2048", fpr, &e), PECHAT_OK);
	assert_int_equal(cer_csr(&env, weak_ref, "CN=W,C=RU", &weak, &e), PECHAT_OK);
	req_pem = pem_of(NULL, req, &req_len);
	weak_pem = pem_of(NULL, weak, &weak_len);

	/* offline: sign refusals leave the store as it was, then the signature */
	env.db = off;
	store_rows(off, before, sizeof(before));
	assert_int_equal(cer_sign(&env, "nope", (unsigned char *)req_pem, req_len, 365, 0, &ca, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_unknown");
	assert_int_not_equal(cer_sign(&env, "r-root", (unsigned char *)weak_pem, weak_len, 365, 0, &ca, &e), PECHAT_OK);
	assert_string_equal(e.code, "key_too_weak");
	assert_int_equal(cer_sign(&env, "r-root", (unsigned char *)"junk", 4, 365, 0, &ca, &e), PECHAT_E_INVALID);
	store_rows(off, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(cer_sign(&env, "r-root", (unsigned char *)req_pem, req_len, 365, 0, &ca, &e), PECHAT_OK);
	assert_int_equal(X509_get_pathlen(ca), 0);
	root_pem = pem_of(root, NULL, &root_len);
	ca_pem = pem_of(ca, NULL, &ca_len);

	/* online: import refusals store nothing; the key mismatch names both */
	env.db = on;
	store_rows(on, before, sizeof(before));
	assert_int_equal(cer_import(&env, "i", weak_ref, (unsigned char *)ca_pem, ca_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "issuer_key_mismatch");
	assert_non_null(strstr(e.detail, weak_ref));
	assert_non_null(strstr(e.detail, "CN=I"));
	assert_non_null(strstr(e.detail, "serial "));
	assert_int_equal(cer_import(&env, "i", ca_ref, (unsigned char *)root_pem, root_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "ca_cert_invalid");             /* the root: no pathLenConstraint 0 */
	assert_int_equal(cer_import(&env, "i", ca_ref, (unsigned char *)ca_pem, ca_len, (unsigned char *)ca_pem,
	    ca_len, "i-root", &ir, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "root_cert_invalid");
	assert_int_equal(cer_import(&env, "i", "offline:x", (unsigned char *)ca_pem, ca_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "key_offline");
	store_rows(on, after, sizeof(after));
	assert_string_equal(after, before);

	/* the import: root (offline key) + issuing CA, rows and audit */
	assert_int_equal(cer_import(&env, "i", ca_ref, (unsigned char *)ca_pem, ca_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_OK);
	assert_int_equal(ir.root_added, 1);
	store_rows(on, after, sizeof(after));
	assert_int_equal(test_table_rows(on->conn, "issuers"), 2);
	assert_int_equal(test_table_rows(on->conn, "certificate_keys"), 2);
	assert_int_equal(cer_import(&env, "i", ca_ref, (unsigned char *)ca_pem, ca_len, (unsigned char *)root_pem,
	    root_len, "i-root", &ir, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "issuer_exists");

	free(root_pem);
	free(ca_pem);
	free(req_pem);
	free(weak_pem);
	X509_free(root);
	X509_free(ca);
	X509_REQ_free(req);
	X509_REQ_free(weak);
	db_close(off);
	db_close(on);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dn),
		cmocka_unit_test(test_cert_files),
		cmocka_unit_test(test_steps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
