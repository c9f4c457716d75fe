/*
 * ceremony/credentials.c — the operators CA's leaves: the API server's TLS
 * certificate and operator client credentials (certificate, key, PKCS#12
 * with a random password), each recorded in the store with its row.
 */
#include "ceremony/init_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define LEAF_DAYS 730

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

/* The certificate of ls for key, signed by the operators CA (b->ops) through ca_cert_make. *out owned. */
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
	boot_validity(b, &b->ops, LEAF_DAYS, &cb.not_before, &cb.not_after);
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

/* See init_int.h. */
enum pechat_err
boot_tls_ensure(struct boot *b, struct pechat_error *e)
{
	const struct pechat_config *c = b->conf;
	const char *dns[4], *ips[6];
	struct leaf_spec ls;
	struct hsm_key *key = NULL;
	X509 *cert = NULL;
	int i, n_dns = 0, n_ips = 0;
	enum pechat_err rc;

	if (boot_file_exists(c->tls_cert) && boot_file_exists(c->tls_key)) {
		log_info("init: %s exists", c->tls_cert);
		boot_report(b, CEREMONY_BOOT_EXISTS, "API TLS certificate", "", c->tls_cert, NULL);
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
	if ((rc = boot_key_obtain(b, c->tls_key, "ec-p256", &key, e)) != PECHAT_OK ||
	    (rc = leaf_issue(b, &ls, key, &cert, e)) != PECHAT_OK ||
	    (rc = boot_write_cert_pem(c->tls_cert, cert, e)) != PECHAT_OK)
		goto out;
	log_info("init: API server certificate %s", c->tls_cert);
	boot_report(b, CEREMONY_BOOT_CREATED, "API TLS certificate", "", c->tls_cert, NULL);
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
	boot_pathf(path, sizeof(path), "%s.p12", base);
	if ((rc = boot_write_file(path, der, len, 0600, e)) != PECHAT_OK)
		goto out;
	boot_pathf(path, sizeof(path), "%s.p12.pass", base);
	pechat_strlcpy(pass + 32, "\n", sizeof(pass) - 32);
	rc = boot_write_file(path, pass, strlen(pass), 0600, e);
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_free(der);
	sk_X509_free(chain);   /* borrowed the operators cert: free the stack only */
	return rc;
}

/* See init_int.h. */
enum pechat_err
boot_credential_ensure(struct boot *b, const char *name, const char *role, struct pechat_error *e)
{
	struct db_operator op;
	struct operator_arg oa = { name, role };
	struct leaf_spec ls;
	struct hsm_key *key = NULL;
	X509 *cert = NULL;
	char base[PECHAT_PATH_MAX + 32], path[PECHAT_PATH_MAX + 48];
	enum pechat_err rc;

	boot_pathf(base, sizeof(base), "%s/credentials/%s", b->conf->var_dir, name);
	boot_pathf(path, sizeof(path), "%s.crt", base);
	rc = db_operator_by_name(b->db, name, &op, e);
	if (rc == PECHAT_OK) {
		log_info("init: operator %s exists; its credentials are not re-issued", name);
		boot_report(b, CEREMONY_BOOT_EXISTS, "operator", name, path, NULL);
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
	boot_pathf(path, sizeof(path), "%s.key", base);
	if ((rc = boot_key_obtain(b, path, "ec-p256", &key, e)) != PECHAT_OK ||
	    (rc = leaf_issue(b, &ls, key, &cert, e)) != PECHAT_OK)
		goto out;
	boot_pathf(path, sizeof(path), "%s.crt", base);
	if ((rc = boot_write_cert_pem(path, cert, e)) != PECHAT_OK ||
	    (rc = p12_write(b, base, key, cert, name, e)) != PECHAT_OK)
		goto out;
	log_info("init: credentials %s.{crt,key,p12} (role %s)", base, role);
	boot_pathf(path, sizeof(path), "%s.crt", base);
	boot_report(b, CEREMONY_BOOT_CREATED, "operator", name, path, NULL);
out:
	X509_free(cert);
	hsm_key_free(key);
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

/* See init.h. */
enum pechat_err
ceremony_operator_create(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
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
	if ((rc = boot_dirs_make(conf, e)) != PECHAT_OK || (rc = boot_operators_ensure(&b, e)) != PECHAT_OK)
		goto out;
	rc = boot_credential_ensure(&b, name, role, e);
out:
	ca_signer_clear(&b.ops);
	return rc;
}
