/*
 * ca/bootstrap.c — `pechat init`: the operators CA, one root + issuing CA
 * per configured issuer, the API server certificate and the demo admin and
 * portal credentials, all through the shared builder (ca_cert_make) so that
 * every certificate has a reserved serial and a store row. Idempotent: what
 * the store already has is kept and reported, only what is missing is made.
 */
#include "ca_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#define BOOT_ACTOR "pechat-init"
#define OPERATORS_CN "Pechat Operators CA"
#define OPERATORS_DAYS 3650
#define LEAF_DAYS 730

struct boot {
	const struct pechat_config *conf;
	struct db *db;
	int force;
	ca_boot_report_fn report;       /* may be NULL */
	void *report_arg;
	time_t now;
	char base[256];                 /* public_base_url without trailing '/' */
	struct ca_issuer ops;           /* the operators CA, loaded or created */
};

/* What a CA certificate of init looks like. */
struct ca_spec {
	const char *name;               /* store name */
	const char *kind;               /* "root", "issuing", "operators" */
	const char *profile;
	const char *cn, *o, *c;
	const char *alg;                /* hsm_key_generate name */
	int days;
	int pathlen;
	char key_path[PECHAT_PATH_MAX + 80];
	char cert_path[PECHAT_PATH_MAX + 80];
	const struct ca_issuer *parent; /* NULL: self-signed */
};

static int pathf(char *buf, size_t bufsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf for paths: a truncated path is logged and left empty (every later use then fails). */
static int
pathf(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz) {
		log_err("init: path too long (%.60s...)", buf);
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* mkdir -p; only the last component gets `mode`, parents 0755. 0 or -1 (logged). */
static int
mkdirs(const char *path, mode_t mode)
{
	char buf[PECHAT_PATH_MAX + 80];
	char *p;

	if (pechat_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		goto fail;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	log_err("init: mkdir %s: %s", path, strerror(errno));
	return -1;
}

static int
mkdir_parent(const char *path)
{
	char buf[PECHAT_PATH_MAX + 80];
	char *slash;

	if (pechat_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strrchr(buf, '/')) == NULL || slash == buf)
		return 0;
	*slash = '\0';
	return mkdirs(buf, 0755);
}

/* Writes data (not a key: keys go through hsm/) to path, replacing it. */
static enum pechat_err
write_file(const char *path, const void *data, size_t len, int mode, struct pechat_error *e)
{
	if (mkdir_parent(path) != 0 || pechat_file_write(path, data, len, mode, 0) != 0) {
		log_err("init: write %s: %s", path, strerror(errno));
		return pechat_fail(e, PECHAT_E_INTERNAL, "write_failed", "cannot write %s", path);
	}
	return PECHAT_OK;
}

static enum pechat_err
write_cert_pem(const char *path, X509 *cert, struct pechat_error *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	enum pechat_err rc;

	if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "init: PEM");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "PEM encoding");
	} else
		rc = write_file(path, data, (size_t)n, 0644, e);
	BIO_free(bio);
	return rc;
}

/* Tells the caller of ca_bootstrap_report about one item. */
static void
boot_report(const struct boot *b, enum ca_boot_state st, const char *what, const char *name, const char *path)
{
	if (b->report != NULL)
		b->report(b->report_arg, st, what, name, path);
}

/*
 * A new key at path; an existing file is never overwritten: with force it
 * is reused (opened), without force it is CONFLICT "key_exists" with the fix.
 */
static enum pechat_err
key_obtain(const struct boot *b, const char *path, const char *alg, struct hsm_key **out,
    struct pechat_error *e)
{
	char ref[PECHAT_PATH_MAX + 96];
	enum pechat_err rc;

	snprintf(ref, sizeof(ref), "file:%s", path);
	rc = hsm_key_generate(ref, alg, out, e);
	if (rc == PECHAT_E_CONFLICT && b->force) {
		log_warn("init: reusing the existing key %s", path);
		rc = hsm_key_open(ref, out, e);
	} else if (rc == PECHAT_E_CONFLICT)
		pechat_fail(e, rc, "key_exists", "%s exists but the store has no certificate for it: move it "
		    "away, or run `pechat init --force` to certify that key", path);
	return rc;
}

static const char *
issuer_alg(const struct pechat_issuer_conf *ic, char *buf, size_t bufsz)
{
	switch (ic->key_algorithm) {
	case PECHAT_KEYALG_EC_P256: return "ec-p256";
	case PECHAT_KEYALG_EC_P384: return "ec-p384";
	case PECHAT_KEYALG_EC_P521: return "ec-p521";
	case PECHAT_KEYALG_ED25519: return "ed25519";
	case PECHAT_KEYALG_GOST2012_256: return "gost2012-256";
	case PECHAT_KEYALG_GOST2012_512: return "gost2012-512";
	case PECHAT_KEYALG_RSA:
		snprintf(buf, bufsz, "rsa-%d", ic->rsa_bits > 0 ? ic->rsa_bits : 3072);
		return buf;
	}
	return "unknown";
}

/* Validity from now for `days`, clipped to the parent's notAfter. */
static void
validity(const struct boot *b, const struct ca_issuer *parent, int days, time_t *nb, time_t *na)
{
	*nb = b->now;
	*na = b->now + (time_t)days * 86400;
	if (parent != NULL && *na > parent->not_after)
		*na = parent->not_after;
}

struct issuer_row_arg {
	const struct ca_spec *spec;
	const char *key_ref;
};

/* Issuer row in the same transaction as its certificate row. */
static enum pechat_err
issuer_row_txn(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e)
{
	const struct issuer_row_arg *a = arg;
	struct db_issuer row;

	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.name, a->spec->name, sizeof(row.name));
	pechat_strlcpy(row.kind, a->spec->kind, sizeof(row.kind));
	pechat_strlcpy(row.parent, a->spec->parent != NULL ? a->spec->parent->name : "", sizeof(row.parent));
	pechat_strlcpy(row.key_ref, a->key_ref, sizeof(row.key_ref));
	row.cert_der = cert->der;
	row.cert_len = cert->der_len;
	row.created_at = cert->created_at;
	return db_issuer_insert(db, &row, e);
}

/* Creates a CA (key, certificate, issuer row, certificate file) and loads it into *out. */
static enum pechat_err
ca_create(struct boot *b, const struct ca_spec *spec, struct ca_issuer *out, struct pechat_error *e)
{
	struct pechat_subject subj;
	struct hsm_key *key = NULL;
	X509_NAME *name = NULL;
	X509 *cert = NULL;
	struct ca_build cb;
	struct ca_store_job job;
	struct issuer_row_arg ra;
	char crl[512], aia[512], what[32];
	enum pechat_err rc;

	memset(&subj, 0, sizeof(subj));
	memset(&cb, 0, sizeof(cb));
	memset(&job, 0, sizeof(job));
	if ((rc = key_obtain(b, spec->key_path, spec->alg, &key, e)) != PECHAT_OK)
		goto out;
	if (pechat_subject_set(&subj, PSF_COMMON_NAME, spec->cn) != 0 ||
	    (spec->o != NULL && spec->o[0] != '\0' && pechat_subject_set(&subj, PSF_ORGANIZATION, spec->o) != 0) ||
	    (spec->c != NULL && spec->c[0] != '\0' && pechat_subject_set(&subj, PSF_COUNTRY, spec->c) != 0)) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = ca_subject_name(&subj, &name, e)) != PECHAT_OK)
		goto out;
	validity(b, spec->parent, spec->days, &cb.not_before, &cb.not_after);
	cb.profile = spec->profile;
	cb.subject = name;
	cb.subject_key = hsm_key_public(key);
	cb.is_ca = 1;
	cb.pathlen = spec->pathlen;
	cb.key_usage = PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN;
	if (spec->parent != NULL) {
		snprintf(crl, sizeof(crl), "%s/crl/%s.crl", b->base, spec->parent->name);
		snprintf(aia, sizeof(aia), "%s/ca/%s.crt", b->base, spec->parent->name);
		cb.issuer_name = spec->parent->name;
		cb.issuer_cert = spec->parent->cert;
		cb.issuer_key = spec->parent->key;
		cb.crl_url = crl;
		cb.ca_issuers_url = aia;
	} else {
		cb.issuer_name = spec->name;
		cb.issuer_key = key;
	}
	ra.spec = spec;
	ra.key_ref = hsm_key_ref(key);
	job.actor = BOOT_ACTOR;
	job.action = "issuer.create";
	job.extra_fn = issuer_row_txn;
	job.extra_arg = &ra;
	if ((rc = ca_cert_make(b->db, &cb, &job, b->now, &cert, e)) != PECHAT_OK ||
	    (rc = write_cert_pem(spec->cert_path, cert, e)) != PECHAT_OK)
		goto out;
	log_info("init: created %s CA %s (%s)", spec->kind, spec->name, spec->cert_path);
	snprintf(what, sizeof(what), "%s CA", spec->kind);
	boot_report(b, CA_BOOT_CREATED, what, spec->name, spec->cert_path);
	memset(out, 0, sizeof(*out));
	pechat_strlcpy(out->name, spec->name, sizeof(out->name));
	pechat_strlcpy(out->kind, spec->kind, sizeof(out->kind));
	pechat_strlcpy(out->parent, spec->parent != NULL ? spec->parent->name : "", sizeof(out->parent));
	out->not_before = cb.not_before;
	out->not_after = cb.not_after;
	out->cert = cert;
	out->key = key;
	cert = NULL;
	key = NULL;
out:
	X509_free(cert);
	X509_NAME_free(name);
	hsm_key_free(key);
	pechat_subject_clear(&subj);
	return rc;
}

/* Loads spec->name from the store, or creates it when missing. Rewrites a missing cert file. */
static enum pechat_err
ca_ensure(struct boot *b, const struct ca_spec *spec, struct ca_issuer *out, struct pechat_error *e)
{
	struct db_issuer row;
	char what[32];
	enum pechat_err rc;

	memset(&row, 0, sizeof(row));
	rc = db_issuer_get(b->db, spec->name, &row, e);
	db_issuer_free_fields(&row);
	if (rc == PECHAT_E_NOT_FOUND)
		return ca_create(b, spec, out, e);
	if (rc != PECHAT_OK || (rc = ca_issuer_load(b->db, spec->name, out, e)) != PECHAT_OK)
		return rc;
	log_info("init: %s CA %s already exists", spec->kind, spec->name);
	snprintf(what, sizeof(what), "%s CA", spec->kind);
	if (file_exists(spec->cert_path)) {
		boot_report(b, CA_BOOT_EXISTS, what, spec->name, spec->cert_path);
		return PECHAT_OK;
	}
	if ((rc = write_cert_pem(spec->cert_path, out->cert, e)) == PECHAT_OK)
		boot_report(b, CA_BOOT_FILE_RESTORED, what, spec->name, spec->cert_path);
	return rc;
}

/* The root "<name>-root" and the issuing CA "<name>" of one configured issuer. */
static enum pechat_err
issuer_ensure(struct boot *b, const struct pechat_issuer_conf *ic, struct pechat_error *e)
{
	struct ca_issuer root, issuing;
	struct ca_spec rs, is;
	char rootname[80], rootcn[160], alg[32];
	const char *keydir = ic->key_dir[0] != '\0' ? ic->key_dir : NULL;
	enum pechat_err rc;

	memset(&root, 0, sizeof(root));
	memset(&issuing, 0, sizeof(issuing));
	memset(&rs, 0, sizeof(rs));
	memset(&is, 0, sizeof(is));
	snprintf(rootname, sizeof(rootname), "%s-root", ic->name);
	snprintf(rootcn, sizeof(rootcn), "%s Root", ic->common_name);
	rs.name = rootname;
	rs.kind = "root";
	rs.profile = CA_PROFILE_ROOT;
	rs.cn = rootcn;
	rs.o = ic->organization;
	rs.c = ic->country;
	rs.alg = issuer_alg(ic, alg, sizeof(alg));
	rs.days = ic->root_validity_days > 0 ? ic->root_validity_days : 7300;
	rs.pathlen = -1;
	if (keydir != NULL)
		pathf(rs.key_path, sizeof(rs.key_path), "%s/%s.key", keydir, rootname);
	else
		pathf(rs.key_path, sizeof(rs.key_path), "%s/keys/%s.key", b->conf->var_dir, rootname);
	pathf(rs.cert_path, sizeof(rs.cert_path), "%s/certs/%s.crt", b->conf->var_dir, rootname);
	is = rs;
	is.name = ic->name;
	is.kind = "issuing";
	is.profile = CA_PROFILE_ISSUING;
	is.cn = ic->common_name;
	is.days = ic->validity_days > 0 ? ic->validity_days : 3650;
	is.pathlen = 0;
	if (keydir != NULL)
		pathf(is.key_path, sizeof(is.key_path), "%s/%s.key", keydir, ic->name);
	else
		pathf(is.key_path, sizeof(is.key_path), "%s/keys/%s.key", b->conf->var_dir, ic->name);
	pathf(is.cert_path, sizeof(is.cert_path), "%s/certs/%s.crt", b->conf->var_dir, ic->name);
	if ((rc = ca_ensure(b, &rs, &root, e)) != PECHAT_OK)
		goto out;
	is.parent = &root;
	rc = ca_ensure(b, &is, &issuing, e);
out:
	ca_issuer_clear(&root);
	ca_issuer_clear(&issuing);
	return rc;
}

/* A leaf from the operators CA (TLS server or operator client). */
struct leaf_spec {
	const char *profile;
	const char *cn;
	const char *eku;                /* "serverAuth" / "clientAuth" */
	const char *const *dns;
	int n_dns;
	const char *const *ips;
	int n_ips;
	struct ca_store_job job;
};

static enum pechat_err
leaf_issue(struct boot *b, struct leaf_spec *ls, struct hsm_key *key, X509 **out,
    struct pechat_error *e)
{
	struct pechat_subject subj;
	X509_NAME *name = NULL;
	struct ca_build cb;
	char eku[1][64];
	enum pechat_err rc;

	memset(&subj, 0, sizeof(subj));
	memset(&cb, 0, sizeof(cb));
	pechat_strlcpy(eku[0], ls->eku, sizeof(eku[0]));
	if (pechat_subject_set(&subj, PSF_COMMON_NAME, ls->cn) != 0) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = ca_subject_name(&subj, &name, e)) != PECHAT_OK)
		goto out;
	validity(b, &b->ops, LEAF_DAYS, &cb.not_before, &cb.not_after);
	cb.profile = ls->profile;
	cb.issuer_name = b->ops.name;
	cb.issuer_cert = b->ops.cert;
	cb.issuer_key = b->ops.key;
	cb.subject_key = hsm_key_public(key);
	cb.subject = name;
	cb.pathlen = -1;
	cb.key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	cb.eku = (const char (*)[64])eku;
	cb.n_eku = 1;
	cb.san_dns = ls->dns;
	cb.n_san_dns = ls->n_dns;
	cb.san_ip = ls->ips;
	cb.n_san_ip = ls->n_ips;
	rc = ca_cert_make(b->db, &cb, &ls->job, b->now, out, e);
out:
	X509_NAME_free(name);
	pechat_subject_clear(&subj);
	return rc;
}

/* Is s an IPv4/IPv6 literal? */
static int
is_ip(const char *s)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s);

	ERR_clear_error();
	ASN1_OCTET_STRING_free(ip);
	return ip != NULL;
}

/* The API listener's certificate (serverAuth; SANs: api_hostnames, 127.0.0.1, ::1). */
static enum pechat_err
tls_ensure(struct boot *b, struct pechat_error *e)
{
	const struct pechat_config *c = b->conf;
	const char *dns[4], *ips[6];
	struct leaf_spec ls;
	struct hsm_key *key = NULL;
	X509 *cert = NULL;
	int i, n_dns = 0, n_ips = 0;
	enum pechat_err rc;

	if (file_exists(c->tls_cert) && file_exists(c->tls_key)) {
		log_info("init: %s exists", c->tls_cert);
		boot_report(b, CA_BOOT_EXISTS, "API TLS certificate", "", c->tls_cert);
		return PECHAT_OK;
	}
	for (i = 0; i < c->n_api_hostnames && i < 4; i++) {
		if (is_ip(c->api_hostnames[i]))
			ips[n_ips++] = c->api_hostnames[i];
		else
			dns[n_dns++] = c->api_hostnames[i];
	}
	ips[n_ips++] = "127.0.0.1";
	ips[n_ips++] = "::1";
	memset(&ls, 0, sizeof(ls));
	ls.profile = CA_PROFILE_TLS_SERVER;
	ls.cn = n_dns > 0 ? dns[0] : "localhost";
	ls.eku = "serverAuth";
	ls.dns = dns;
	ls.n_dns = n_dns;
	ls.ips = ips;
	ls.n_ips = n_ips;
	ls.job.actor = BOOT_ACTOR;
	ls.job.action = "certificate.issue";
	if ((rc = key_obtain(b, c->tls_key, "ec-p256", &key, e)) != PECHAT_OK ||
	    (rc = leaf_issue(b, &ls, key, &cert, e)) != PECHAT_OK ||
	    (rc = write_cert_pem(c->tls_cert, cert, e)) != PECHAT_OK)
		goto out;
	log_info("init: API server certificate %s", c->tls_cert);
	boot_report(b, CA_BOOT_CREATED, "API TLS certificate", "", c->tls_cert);
out:
	X509_free(cert);
	hsm_key_free(key);
	return rc;
}

struct operator_arg {
	const char *name;
	const char *role;
};

/* The operator row in the same transaction as its certificate (fingerprint = SHA-256 of the DER). */
static enum pechat_err
operator_row_txn(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e)
{
	const struct operator_arg *a = arg;
	struct db_operator row;

	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.name, a->name, sizeof(row.name));
	pechat_strlcpy(row.role, a->role, sizeof(row.role));
	pechat_strlcpy(row.fingerprint, cert->fingerprint, sizeof(row.fingerprint));
	row.enabled = 1;
	row.created_at = cert->created_at;
	return db_operator_insert(db, &row, e);
}

/* <base>.p12 (random password in <base>.p12.pass, both 0600). */
static enum pechat_err
p12_write(struct boot *b, const char *base, struct hsm_key *key, X509 *cert, const char *friendly,
    struct pechat_error *e)
{
	STACK_OF(X509) *chain = NULL;
	unsigned char rnd[16], *der = NULL;
	char pass[40], path[PECHAT_PATH_MAX + 96];
	size_t len = 0;
	enum pechat_err rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || pechat_hex_encode(rnd, sizeof(rnd), pass, sizeof(pass)) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "init: RAND_bytes");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "rng_failed", "no random password");
		goto out;
	}
	if ((chain = sk_X509_new_null()) == NULL || sk_X509_push(chain, b->ops.cert) <= 0) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = hsm_key_pkcs12(key, cert, chain, friendly, pass, &der, &len, e)) != PECHAT_OK)
		goto out;
	pathf(path, sizeof(path), "%s.p12", base);
	if ((rc = write_file(path, der, len, 0600, e)) != PECHAT_OK)
		goto out;
	pathf(path, sizeof(path), "%s.p12.pass", base);
	pechat_strlcpy(pass + 32, "\n", sizeof(pass) - 32);
	rc = write_file(path, pass, strlen(pass), 0600, e);
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_free(der);
	sk_X509_free(chain);   /* borrowed the operators cert: free the stack only */
	return rc;
}

/* var/credentials/<name>.{key,crt,p12,p12.pass} and the operator row, unless the operator exists. */
static enum pechat_err
credential_ensure(struct boot *b, const char *name, const char *role, struct pechat_error *e)
{
	struct db_operator op;
	struct operator_arg oa = { name, role };
	struct leaf_spec ls;
	struct hsm_key *key = NULL;
	X509 *cert = NULL;
	char base[PECHAT_PATH_MAX + 32], path[PECHAT_PATH_MAX + 48];
	enum pechat_err rc;

	pathf(base, sizeof(base), "%s/credentials/%s", b->conf->var_dir, name);
	pathf(path, sizeof(path), "%s.crt", base);
	rc = db_operator_by_name(b->db, name, &op, e);
	if (rc == PECHAT_OK) {
		log_info("init: operator %s exists; its credentials are not re-issued", name);
		boot_report(b, CA_BOOT_EXISTS, "operator", name, path);
		return PECHAT_OK;
	}
	if (rc != PECHAT_E_NOT_FOUND)
		return rc;
	memset(&ls, 0, sizeof(ls));
	ls.profile = CA_PROFILE_OPERATOR;
	ls.cn = name;
	ls.eku = "clientAuth";
	ls.job.actor = BOOT_ACTOR;
	ls.job.action = "operator.create";
	ls.job.extra_fn = operator_row_txn;
	ls.job.extra_arg = &oa;
	pathf(path, sizeof(path), "%s.key", base);
	if ((rc = key_obtain(b, path, "ec-p256", &key, e)) != PECHAT_OK ||
	    (rc = leaf_issue(b, &ls, key, &cert, e)) != PECHAT_OK)
		goto out;
	pathf(path, sizeof(path), "%s.crt", base);
	if ((rc = write_cert_pem(path, cert, e)) != PECHAT_OK ||
	    (rc = p12_write(b, base, key, cert, name, e)) != PECHAT_OK)
		goto out;
	log_info("init: credentials %s.{crt,key,p12} (role %s)", base, role);
	pathf(path, sizeof(path), "%s.crt", base);
	boot_report(b, CA_BOOT_CREATED, "operator", name, path);
out:
	X509_free(cert);
	hsm_key_free(key);
	return rc;
}

static enum pechat_err
dirs_make(const struct pechat_config *c, struct pechat_error *e)
{
	static const struct { const char *sub; mode_t mode; } dirs[] = {
		{ "", 0755 }, { "/keys", 0700 }, { "/certs", 0755 }, { "/tls", 0755 },
		{ "/credentials", 0700 },
	};
	char path[PECHAT_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(path, sizeof(path), "%s%s", c->var_dir, dirs[i].sub);
		if (mkdirs(path, dirs[i].mode) != 0)
			return pechat_fail(e, PECHAT_E_INTERNAL, "write_failed", "cannot create %s", path);
	}
	return PECHAT_OK;
}

/* The operators CA: self-signed EC P-256, pathlen 0 (it only signs leaves). */
static enum pechat_err
operators_ensure(struct boot *b, struct pechat_error *e)
{
	struct ca_spec s;

	memset(&s, 0, sizeof(s));
	s.name = CA_OPERATORS_ISSUER;
	s.kind = "operators";
	s.profile = CA_PROFILE_ROOT;
	s.cn = OPERATORS_CN;
	s.alg = "ec-p256";
	s.days = OPERATORS_DAYS;
	s.pathlen = 0;
	pathf(s.key_path, sizeof(s.key_path), "%s/keys/operators.key", b->conf->var_dir);
	if (b->conf->operator_ca_cert[0] != '\0')
		pechat_strlcpy(s.cert_path, b->conf->operator_ca_cert, sizeof(s.cert_path));
	else
		pathf(s.cert_path, sizeof(s.cert_path), "%s/certs/operators.crt", b->conf->var_dir);
	return ca_ensure(b, &s, &b->ops, e);
}

/*
 * The state shared by `pechat init` and `pechat operator add`: config,
 * store, clock, the public base URL without a trailing '/', crypto set up
 * (engines, our OIDs); *issuers gets the number of issuers in the store.
 */
static enum pechat_err
boot_init(struct boot *b, const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    int *issuers, struct pechat_error *e)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	b->conf = conf;
	b->db = db;
	b->now = pechat_clock_now(clock);
	pechat_strlcpy(b->base, conf->public_base_url, sizeof(b->base));
	for (n = strlen(b->base); n > 0 && b->base[n - 1] == '/'; n--)
		b->base[n - 1] = '\0';
	if (hsm_global_init() != 0 || ca_oids_init() != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
	return db_issuer_count(db, issuers, e);
}

/* See ca.h. */
enum pechat_err
ca_bootstrap(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    int force, struct pechat_error *e)
{
	return ca_bootstrap_report(conf, db, clock, force, NULL, NULL, e);
}

/* See ca.h. */
enum pechat_err
ca_bootstrap_report(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    int force, ca_boot_report_fn report, void *report_arg, struct pechat_error *e)
{
	struct boot b;
	int count = 0, i;
	enum pechat_err rc;

	if ((rc = boot_init(&b, conf, db, clock, &count, e)) != PECHAT_OK)
		goto out;
	b.force = force;
	b.report = report;
	b.report_arg = report_arg;
	if ((rc = dirs_make(conf, e)) != PECHAT_OK || (rc = operators_ensure(&b, e)) != PECHAT_OK)
		goto out;
	for (i = 0; i < conf->n_issuers; i++)
		if ((rc = issuer_ensure(&b, &conf->issuers[i], e)) != PECHAT_OK)
			goto out;
	if ((rc = tls_ensure(&b, e)) != PECHAT_OK ||
	    (rc = credential_ensure(&b, "admin", "admin", e)) != PECHAT_OK ||
	    (rc = credential_ensure(&b, "portal", "portal", e)) != PECHAT_OK)
		goto out;
	rc = PECHAT_OK;
out:
	ca_issuer_clear(&b.ops);
	return rc;
}

/* A name usable as an operator name and a file name: [a-z0-9_-]{1,63}. */
static int
operator_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i >= 63 || !((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	return i > 0;
}

/* See ca.h. */
enum pechat_err
ca_operator_create(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    const char *name, const char *role, struct pechat_error *e)
{
	struct db_operator op;
	struct boot b;
	int count = 0;
	enum pechat_err rc;

	memset(&b, 0, sizeof(b));
	if (!operator_name_ok(name))
		return pechat_fail(e, PECHAT_E_INVALID, "operator_name_invalid", "operator names are [a-z0-9_-], 1 to 63");
	if (strcmp(role, "admin") != 0 && strcmp(role, "ra_officer") != 0 && strcmp(role, "auditor") != 0 &&
	    strcmp(role, "portal") != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "role_invalid", "roles are admin, ra_officer, auditor, portal");
	if ((rc = boot_init(&b, conf, db, clock, &count, e)) != PECHAT_OK)
		goto out;
	if (count == 0) {
		rc = pechat_fail(e, PECHAT_E_NOT_FOUND, "store_not_initialised", "run `pechat init` first");
		goto out;
	}
	if ((rc = db_operator_by_name(db, name, &op, e)) != PECHAT_E_NOT_FOUND) {
		if (rc == PECHAT_OK)
			rc = pechat_fail(e, PECHAT_E_CONFLICT, "operator_exists", "operator %s already exists", name);
		goto out;
	}
	pechat_error_clear(e);
	if ((rc = dirs_make(conf, e)) != PECHAT_OK || (rc = operators_ensure(&b, e)) != PECHAT_OK)
		goto out;
	rc = credential_ensure(&b, name, role, e);
out:
	ca_issuer_clear(&b.ops);
	return rc;
}
