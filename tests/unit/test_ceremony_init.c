/*
 * Unit tests for ceremony_bootstrap (`pechat init`) into a temp dir with a
 * ":memory:" store: files and modes, store rows, idempotence (a second run
 * and a run after an issuer was added), refusal of unknown key files, force.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ceremony/init.h"
#include "cmd/ca_conf.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

static struct ca_fixture F;     /* no store: each test opens its own */

/* Issuers "ecdsa" (P-384) and, once a test raises n_issuers, "rsa"; two API hostnames; no profiles. */
static int
setup(void **state)
{
	(void)state;
	if (ca_fixture_init(&F, "boot") != 0)
		return -1;
	pechat_strlcpy(F.conf.public_base_url, "http://127.0.0.1:8080", sizeof(F.conf.public_base_url));
	pechat_strlcpy(F.conf.api_hostnames[1], "192.0.2.7", sizeof(F.conf.api_hostnames[1]));
	F.conf.n_api_hostnames = 2;
	F.issuers[0].key_algorithm = PECHAT_KEYALG_EC_P384;
	F.conf.n_issuers = 1;
	F.conf.n_profiles = 0;
	return 0;
}

/* ca_new with the ca/ configuration made of F.conf as it is now (F.cconf, freed by the teardown). */
static enum pechat_err
ca_new_now(struct db *db, struct ca **out, struct pechat_error *e)
{
	cmd_ca_conf_clear(&F.cconf);
	if (cmd_ca_conf(&F.conf, &F.cconf) != 0)
		return PECHAT_E_NOMEM;
	return ca_new(&F.cconf, db, NULL, out, e);
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

static void
mode_is(const char *rel, unsigned mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel);
	if (stat(path, &st) != 0)
		fail_msg("%s is missing", path);
	if ((st.st_mode & 0777) != mode)
		fail_msg("%s has mode %o, want %o", path, st.st_mode & 0777, mode);
}

static X509 *
cert_file(const char *rel)
{
	char path[512];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* Contents of a file, for "never overwritten" checks. */
static char *
slurp(const char *rel)
{
	char path[512];
	unsigned char *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel);
	assert_int_equal(pechat_file_read(path, 1 << 20, &buf, &len), 0);
	return (char *)buf;
}

static void
test_bootstrap_files(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	int count = 0;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	mode_is("keys", 0700);
	mode_is("credentials", 0700);
	mode_is("keys/operators.key", 0600);
	mode_is("keys/ecdsa-root.key", 0600);
	mode_is("keys/ecdsa.key", 0600);
	mode_is("certs/operators.crt", 0644);
	mode_is("certs/ecdsa-root.crt", 0644);
	mode_is("certs/ecdsa.crt", 0644);
	mode_is("tls/server.crt", 0644);
	mode_is("tls/server.key", 0600);
	mode_is("credentials/admin.key", 0600);
	mode_is("credentials/admin.crt", 0644);
	mode_is("credentials/admin.p12", 0600);
	mode_is("credentials/admin.p12.pass", 0600);
	mode_is("credentials/portal.p12", 0600);
	mode_is("credentials/portal.p12.pass", 0600);
	assert_int_equal(db_issuer_count(db, &count, &e), PECHAT_OK);
	assert_int_equal(count, 3);
	db_close(db);
}

static void
test_bootstrap_content(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	struct db_operator op;
	struct db_issuer is;
	X509 *ops, *root, *issuing, *tls, *admin;
	unsigned char *der = NULL;
	char fp[65], serial[65], want[65], *pass;
	time_t not_after;
	int len;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	ops = cert_file("certs/operators.crt");
	root = cert_file("certs/ecdsa-root.crt");
	issuing = cert_file("certs/ecdsa.crt");
	tls = cert_file("tls/server.crt");
	admin = cert_file("credentials/admin.crt");
	/* chains */
	assert_int_equal(ca_fixture_verify(root, root, NULL, 0, 0), 1);
	assert_int_equal(ca_fixture_verify(issuing, root, NULL, 0, 0), 1);
	assert_int_equal(ca_fixture_verify(tls, ops, NULL, X509_PURPOSE_SSL_SERVER, 0), 1);
	assert_int_equal(ca_fixture_verify(admin, ops, NULL, X509_PURPOSE_SSL_CLIENT, 0), 1);
	/* root: CA, no pathlen; issuing: pathlen 0; P-384 signs with SHA-384 */
	assert_true(X509_get_extension_flags(root) & EXFLAG_CA);
	assert_int_equal(X509_get_pathlen(root), -1);
	assert_int_equal(X509_get_pathlen(issuing), 0);
	assert_int_equal(X509_get_key_usage(issuing), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_signature_nid(issuing), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_check_host(tls, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(tls, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(tls, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(tls, "192.0.2.7", 0), 1);
	/* store rows */
	memset(&is, 0, sizeof(is));
	assert_int_equal(db_issuer_get(db, "ecdsa", &is, &e), PECHAT_OK);
	assert_string_equal(is.kind, "issuing");
	assert_string_equal(is.parent, "ecdsa-root");
	assert_non_null(strstr(is.key_ref, "file:"));
	assert_non_null(strstr(is.key_ref, "/keys/ecdsa.key"));
	db_issuer_free_fields(&is);
	len = i2d_X509(admin, &der);
	assert_int_equal(pechat_sha256_hex(der, (size_t)len, fp), 0);
	memset(&op, 0, sizeof(op));
	assert_int_equal(db_operator_auth(db, fp, &op, serial, &not_after, &e), PECHAT_OK);
	assert_string_equal(op.name, "admin");
	/* its client certificate is stored: what authentication reads for its status */
	assert_int_equal(ca_cert_serial_hex(admin, want, sizeof(want)), 0);
	assert_string_equal(serial, want);
	assert_string_equal(op.role, "admin");
	assert_int_equal(op.enabled, 1);
	assert_int_equal(db_operator_by_name(db, "portal", &op, &e), PECHAT_OK);
	assert_string_equal(op.role, "portal");
	/* the PKCS#12 opens with the password from the .pass file */
	pass = slurp("credentials/admin.p12.pass");
	pass[strcspn(pass, "\n")] = '\0';
	assert_true(strlen(pass) >= 16);
	{
		char path[512];
		FILE *f;
		PKCS12 *p12;
		EVP_PKEY *pk = NULL;
		X509 *c = NULL;
		STACK_OF(X509) *chain = NULL;

		snprintf(path, sizeof(path), "%s/var/credentials/admin.p12", F.dir);
		f = fopen(path, "rb");
		assert_non_null(f);
		p12 = d2i_PKCS12_fp(f, NULL);
		fclose(f);
		assert_non_null(p12);
		assert_int_equal(PKCS12_parse(p12, pass, &pk, &c, &chain), 1);
		assert_int_equal(X509_cmp(c, admin), 0);
		assert_int_equal(EVP_PKEY_eq(pk, X509_get0_pubkey(admin)), 1);
		assert_int_equal(sk_X509_num(chain), 1);
		EVP_PKEY_free(pk);
		X509_free(c);
		sk_X509_pop_free(chain, X509_free);
		PKCS12_free(p12);
	}
	free(pass);
	OPENSSL_free(der);
	X509_free(ops);
	X509_free(root);
	X509_free(issuing);
	X509_free(tls);
	X509_free(admin);
	db_close(db);
}

static void
test_bootstrap_rerun(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	char *k1, *k2, *k3, *tls1, *tls2, *pp;
	char path[512];
	int64_t certs = 0, after = 0;
	int count = 0;
	struct ca *ca = NULL;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	assert_int_equal(db_cert_count(db, &certs, &e), PECHAT_OK);
	assert_int_equal(certs, 6);   /* operators, root, issuing, tls, admin, portal */
	k1 = slurp("keys/ecdsa.key");
	k2 = slurp("keys/operators.key");
	k3 = slurp("credentials/admin.key");
	tls1 = slurp("tls/server.key");
	pp = slurp("credentials/admin.p12.pass");
	/* force with nothing missing: nothing new */
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 1, &e), PECHAT_OK);
	assert_int_equal(db_cert_count(db, &after, &e), PECHAT_OK);
	assert_int_equal(after, certs);
	/* a lost TLS certificate whose key is still there: refused without force (key_exists) */
	snprintf(path, sizeof(path), "%s/var/tls/server.crt", F.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "key_exists");
	assert_non_null(strstr(e.detail, "pechat init --force"));
	/* force with a new issuer and the lost TLS certificate: only those are made */
	F.conf.n_issuers = 2;
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 1, &e), PECHAT_OK);
	assert_int_equal(db_issuer_count(db, &count, &e), PECHAT_OK);
	assert_int_equal(count, 5);
	assert_int_equal(db_cert_count(db, &after, &e), PECHAT_OK);
	assert_int_equal(after, certs + 3);   /* rsa-root, rsa, tls */
	mode_is("keys/rsa-root.key", 0600);
	mode_is("certs/rsa.crt", 0644);
	mode_is("tls/server.crt", 0644);
	/* no key was ever rewritten; the TLS key was reused for the new certificate */
	tls2 = slurp("tls/server.key");
	assert_string_equal(tls1, tls2);
	free(tls2);
	tls2 = slurp("keys/ecdsa.key");
	assert_string_equal(k1, tls2);
	free(tls2);
	tls2 = slurp("keys/operators.key");
	assert_string_equal(k2, tls2);
	free(tls2);
	tls2 = slurp("credentials/admin.key");
	assert_string_equal(k3, tls2);
	free(tls2);
	tls2 = slurp("credentials/admin.p12.pass");
	assert_string_equal(pp, tls2);
	free(tls2);
	/* the new TLS certificate certifies the old key */
	{
		X509 *tls = cert_file("tls/server.crt");
		BIO *bio = BIO_new_mem_buf(tls1, -1);
		EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

		assert_int_equal(X509_check_private_key(tls, key), 1);
		EVP_PKEY_free(key);
		BIO_free(bio);
		X509_free(tls);
	}
	/* the store is usable by ca_new */
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_non_null(ca_issuer_get0_cert(ca, "rsa"));
	assert_int_equal(ca_keys_ready(ca, &e), PECHAT_OK);
	ca_free(ca);
	free(k1);
	free(k2);
	free(k3);
	free(tls1);
	free(pp);
	db_close(db);
}

/* What ceremony_bootstrap_report said: one line per item, "<state> <what> <name>". */
struct report {
	char lines[16][128];
	int n, created, exists, restored, keys;
	char key_detail[128];           /* the start of the last KEY_FOUND detail (a PEM public key) */
};

static void
report_cb(void *arg, enum ceremony_boot_state state, const char *what, const char *name, const char *path,
    const char *detail)
{
	struct report *r = arg;

	assert_non_null(path);
	assert_true(path[0] == '/' || (state == CEREMONY_BOOT_KEY_FOUND && strncmp(path, "file:/", 6) == 0));
	if (state == CEREMONY_BOOT_KEY_FOUND) {
		r->keys++;
		pechat_strlcpy(r->key_detail, detail != NULL ? detail : "", sizeof(r->key_detail));
	} else if (state == CEREMONY_BOOT_CREATED)
		r->created++;
	else if (state == CEREMONY_BOOT_EXISTS)
		r->exists++;
	else
		r->restored++;
	assert_true(r->n < 16);
	snprintf(r->lines[r->n++], sizeof(r->lines[0]), "%s %s %s",
	    state == CEREMONY_BOOT_CREATED ? "created" : state == CEREMONY_BOOT_EXISTS ? "exists" :
	    state == CEREMONY_BOOT_KEY_FOUND ? "key" : "restored", what, name);
}

/* Every key, certificate and credential file init writes, concatenated (for "nothing rewritten"). */
static char *
all_files(void)
{
	static const char *const rel[] = {
		"keys/operators.key", "keys/ecdsa-root.key", "keys/ecdsa.key", "certs/operators.crt",
		"certs/ecdsa-root.crt", "certs/ecdsa.crt", "tls/server.crt", "tls/server.key",
		"credentials/admin.key", "credentials/admin.crt", "credentials/admin.p12",
		"credentials/admin.p12.pass", "credentials/portal.key", "credentials/portal.crt",
	};
	size_t i, total = 0, n;
	char *all = NULL, *one;

	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char path[512];
		unsigned char *buf = NULL;

		snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel[i]);
		assert_int_equal(pechat_file_read(path, 1 << 20, &buf, &n), 0);
		one = realloc(all, total + n + 1);
		assert_non_null(one);
		all = one;
		memcpy(all + total, buf, n);
		total += n;
		all[total] = '\0';
		free(buf);
	}
	return all;
}

/* init twice: the second run makes nothing, changes no file and reports everything as existing. */
static void
test_bootstrap_idempotent(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	struct report r1, r2;
	int64_t certs = 0, audit = 0, after = 0;
	char *before, *now;
	int i;

	(void)state;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap_report(&F.conf, db, NULL, 0, report_cb, &r1, &e), PECHAT_OK);
	assert_int_equal(r1.created, 6);    /* operators CA, root, issuing, TLS, admin, portal */
	assert_int_equal(r1.exists, 0);
	assert_string_equal(r1.lines[1], "created root CA ecdsa-root");
	assert_int_equal(db_cert_count(db, &certs, &e), PECHAT_OK);
	assert_int_equal(db_audit_count(db, &audit, &e), PECHAT_OK);
	before = all_files();
	assert_int_equal(ceremony_bootstrap_report(&F.conf, db, NULL, 0, report_cb, &r2, &e), PECHAT_OK);
	assert_int_equal(r2.created, 0);
	assert_int_equal(r2.restored, 0);
	assert_int_equal(r2.exists, 6);
	for (i = 0; i < r1.n; i++)
		assert_string_equal(r2.lines[i] + strlen("exists"), r1.lines[i] + strlen("created"));
	assert_int_equal(db_cert_count(db, &after, &e), PECHAT_OK);
	assert_int_equal(after, certs);
	assert_int_equal(db_audit_count(db, &after, &e), PECHAT_OK);
	assert_int_equal(after, audit);
	now = all_files();
	assert_string_equal(before, now);
	free(before);
	free(now);
	db_close(db);
}

/* init after an issuer was added to the config: only that issuer (root + issuing CA) is made. */
static void
test_bootstrap_adds_issuer(void **state)
{
	struct db *db = NULL;
	struct pechat_error e;
	struct report r;
	struct ca *ca = NULL;
	int64_t certs = 0, after = 0;
	char *before, *now;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	assert_int_equal(db_cert_count(db, &certs, &e), PECHAT_OK);
	before = all_files();
	F.conf.n_issuers = 2;
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_missing");
	assert_non_null(strstr(e.detail, "issuer rsa-root is not initialised: run `pechat init"));
	assert_int_equal(ceremony_bootstrap_report(&F.conf, db, NULL, 0, report_cb, &r, &e), PECHAT_OK);
	assert_int_equal(r.created, 2);
	assert_int_equal(r.exists, 6);
	assert_string_equal(r.lines[3], "created root CA rsa-root");
	assert_string_equal(r.lines[4], "created issuing CA rsa");
	assert_int_equal(db_cert_count(db, &after, &e), PECHAT_OK);
	assert_int_equal(after, certs + 2);
	now = all_files();
	assert_string_equal(before, now);
	mode_is("keys/rsa-root.key", 0600);
	mode_is("certs/rsa.crt", 0644);
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_non_null(ca_issuer_get0_cert(ca, "rsa"));
	ca_free(ca);
	free(before);
	free(now);
	db_close(db);
}

/* Writes `data` over the file var/<rel> (a test swapping a key file). */
static void
overwrite(const char *rel, const char *data)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/var/%s", F.dir, rel);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * An issuer key that does not match its certificate, or is gone: ca_new
 * still loads the CA; that issuer signs nothing (key_unavailable) and
 * ca_key_problems names it and why; the other issuers are usable. The
 * operators CA key stays required.
 */
static void
test_issuer_key_problems(void **state)
{
	struct db *db = NULL;
	struct ca *ca = NULL;
	struct pechat_error e;
	char buf[2048], path[512];
	char *root_key, *ops_key;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	root_key = slurp("keys/ecdsa-root.key");     /* another P-256 key */
	ops_key = slurp("keys/operators.key");
	overwrite("keys/ecdsa.key", root_key);
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_int_equal(ca_issuer_check_standing(ca, "ecdsa", &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_non_null(strstr(e.detail, "does not match certificate"));
	assert_int_equal(ca_issuer_key_ready(ca, "ecdsa", &e), PECHAT_E_UNAVAILABLE);
	assert_int_equal(ca_issuer_check_cert_standing(ca, "ecdsa", &e), PECHAT_OK);
	assert_int_equal(ca_issuer_check_standing(ca, "rsa", &e), PECHAT_OK);
	assert_int_equal(ca_keys_ready(ca, &e), PECHAT_OK);
	assert_int_equal(ca_key_problems(ca, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "issuer ecdsa: key file:"));
	assert_non_null(strstr(buf, "/keys/ecdsa.key does not match certificate CN="));
	assert_non_null(strstr(buf, " serial "));
	ca_free(ca);
	ca = NULL;

	snprintf(path, sizeof(path), "%s/var/keys/ecdsa.key", F.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_int_equal(ca_issuer_check_standing(ca, "ecdsa", &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_unavailable");
	assert_int_equal(ca_key_problems(ca, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "/keys/ecdsa.key unavailable: "));
	ca_free(ca);
	ca = NULL;

	/* the operators CA key is required */
	overwrite("keys/operators.key", root_key);
	assert_int_not_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_null(ca);
	overwrite("keys/operators.key", ops_key);
	free(root_key);
	free(ops_key);
	db_close(db);
}

/* A fresh store over a directory that already holds keys: refused, nothing overwritten. */
static void
test_bootstrap_existing_keys(void **state)
{
	struct db *db = NULL, *db2 = NULL;
	struct pechat_error e;
	char *k1, *k2;
	int count = -1;

	(void)state;
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_OK);
	k1 = slurp("keys/operators.key");
	assert_int_equal(db_open(":memory:", 1, &db2, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap(&F.conf, db2, NULL, 0, &e), PECHAT_E_CONFLICT);
	assert_string_equal(e.code, "key_exists");
	k2 = slurp("keys/operators.key");
	assert_string_equal(k1, k2);
	assert_int_equal(db_issuer_count(db2, &count, &e), PECHAT_OK);
	assert_int_equal(count, 0);
	free(k1);
	free(k2);
	db_close(db);
	db_close(db2);
}

/* The issuer row's key_ref and the PEM certificate file's public key equals key's. */
static void
issuer_uses_key(struct db *db, const char *name, const char *ref, struct hsm_key *key)
{
	struct db_issuer row;
	struct pechat_error e;
	char rel[128];
	X509 *x;

	memset(&row, 0, sizeof(row));
	assert_int_equal(db_issuer_get(db, name, &row, &e), PECHAT_OK);
	assert_string_equal(row.key_ref, ref);
	db_issuer_free_fields(&row);
	snprintf(rel, sizeof(rel), "certs/%s.crt", name);
	x = cert_file(rel);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), hsm_key_public(key)), 1);
	X509_free(x);
}

/*
 * The config's key references: an existing key is certified as it is (and
 * reported with its public key), a missing file: key is generated there
 * (nothing under key_dir), a token key that cannot be opened is refused
 * with key_missing naming the reference; the daemon loads the issuers.
 */
static void
test_bootstrap_key_refs(void **state)
{
	struct db *db = NULL;
	struct ca *ca = NULL;
	struct hsm_key *existing = NULL, *root = NULL;
	struct report r;
	struct pechat_error e;
	char ref[600], root_ref[600], path[512];

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(ref, sizeof(ref), "file:%s/ext/issuing.key", F.dir);
	snprintf(root_ref, sizeof(root_ref), "file:%s/ext/root.key", F.dir);
	assert_int_equal(hsm_key_generate(ref, "ec-p384", &existing, &e), PECHAT_OK);
	pechat_strlcpy(F.issuers[0].key_ref, ref, sizeof(F.issuers[0].key_ref));
	pechat_strlcpy(F.issuers[0].root_key_ref, root_ref, sizeof(F.issuers[0].root_key_ref));
	assert_int_equal(db_open(":memory:", 1, &db, &e), PECHAT_OK);
	assert_int_equal(ceremony_bootstrap_report(&F.conf, db, NULL, 0, report_cb, &r, &e), PECHAT_OK);
	assert_int_equal(r.keys, 1);
	assert_string_equal(r.lines[2], "key issuing CA key ecdsa");
	assert_non_null(strstr(r.key_detail, "-----BEGIN PUBLIC KEY-----"));
	issuer_uses_key(db, "ecdsa", ref, existing);
	assert_int_equal(hsm_key_open(root_ref, &root, &e), PECHAT_OK);
	issuer_uses_key(db, "ecdsa-root", root_ref, root);
	snprintf(path, sizeof(path), "%s/var/keys/ecdsa.key", F.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/var/keys/ecdsa-root.key", F.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(ca_new_now(db, &ca, &e), PECHAT_OK);
	assert_int_equal(ca_issuer_check_standing(ca, "ecdsa", &e), PECHAT_OK);
	ca_free(ca);

	/* an existing key of another algorithm than the config's: refused, naming both */
	F.conf.n_issuers = 2;
	snprintf(path, sizeof(path), "file:%s/ext/wrong.key", F.dir);
	assert_int_equal(hsm_key_generate(path, "ec-p256", NULL, &e), PECHAT_OK);
	pechat_strlcpy(F.issuers[1].key_ref, path, sizeof(F.issuers[1].key_ref));
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "key_algorithm_mismatch");
	assert_non_null(strstr(e.detail, "/ext/wrong.key is ec-p256, the config says rsa-2048"));

	/* a token key that is not there: init does not make it */
	pechat_strlcpy(F.issuers[1].key_ref, "pkcs11:token=absent;object=none;type=private"
	    "?module-path=/nonexistent/libnone.so&pin-source=env:PECHAT_PIN_NONE", sizeof(F.issuers[1].key_ref));
	assert_int_equal(ceremony_bootstrap(&F.conf, db, NULL, 0, &e), PECHAT_E_UNAVAILABLE);
	assert_string_equal(e.code, "key_missing");
	assert_non_null(strstr(e.detail, "issuing CA rsa: no usable key at pkcs11:token=absent"));
	assert_non_null(strstr(e.detail, "does not generate keys on a token"));
	hsm_key_free(existing);
	hsm_key_free(root);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bootstrap_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_rerun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_existing_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_adds_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuer_key_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_key_refs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
