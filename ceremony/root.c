/*
 * ceremony/root.c — the offline machine's steps: `pechat ceremony root` (a
 * self-signed root, stored as an issuers row of kind root) and `pechat
 * ceremony sign` (an issuing CA certificate for a CSR, signed with the
 * root's key). Both go through ca/'s builder (ca_cert_make: reserved
 * serial, lint, sign through hsm/, verify, certificate row + audit in one
 * transaction).
 */
#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "ca/ca_make.h"
#include "db/db.h"

/* INVALID unless 1 <= days <= CER_DAYS_MAX and -1 <= pathlen <= CER_PATHLEN_MAX. */
static enum pechat_err
bounds_check(int days, int pathlen, struct pechat_error *e)
{
	if (days < 1 || days > CER_DAYS_MAX)
		return pechat_fail(e, PECHAT_E_INVALID, "days_invalid", "--days is 1 to %d", CER_DAYS_MAX);
	if (pathlen < -1 || pathlen > CER_PATHLEN_MAX)
		return pechat_fail(e, PECHAT_E_INVALID, "pathlen_invalid", "--pathlen is 0 to %d", CER_PATHLEN_MAX);
	return PECHAT_OK;
}

/* See cer_int.h. */
enum pechat_err
cer_name_free(struct db *db, const char *name, struct pechat_error *e)
{
	struct db_issuer row;
	enum pechat_err rc;

	memset(&row, 0, sizeof(row));
	rc = db_issuer_get(db, name, &row, e);
	db_issuer_free_fields(&row);
	if (rc == PECHAT_OK)
		return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_exists", "the store already has an issuer %s", name);
	if (rc != PECHAT_E_NOT_FOUND)
		return rc;
	pechat_error_clear(e);
	return PECHAT_OK;
}

/* See ceremony.h. */
enum pechat_err
cer_root(const struct cer_env *env, const char *name, const char *key_ref, const char *dn, int days,
    int pathlen, X509 **out, struct pechat_error *e)
{
	struct ca_issuer_row ra = { name, "root", NULL, key_ref };
	struct hsm_key *key = NULL;
	X509_NAME *subject = NULL;
	struct ca_build b;
	struct ca_store_job job;
	enum pechat_err rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	memset(&job, 0, sizeof(job));
	if (!ca_issuer_name_ok(name, 0))
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_name_invalid", "--name is [a-z0-9][a-z0-9-], at most "
		    "63 bytes");
	if ((rc = bounds_check(days, pathlen, e)) != PECHAT_OK || (rc = cer_name_free(env->db, name, e)) != PECHAT_OK ||
	    (rc = cer_dn_parse(dn, &subject, e)) != PECHAT_OK)
		goto out;
	if (ca_oids_init() != 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
		goto out;
	}
	if ((rc = hsm_key_open(key_ref, &key, e)) != PECHAT_OK)
		goto out;
	b.profile = CA_PROFILE_ROOT;
	b.issuer_name = name;
	b.issuer_key = key;
	b.subject_key = hsm_key_public(key);
	b.subject = subject;
	b.is_ca = 1;
	b.pathlen = pathlen;
	b.key_usage = PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN;
	b.not_before = env->now;
	b.not_after = env->now + (time_t)days * 86400;
	job.actor = env->actor;
	job.action = "ceremony.root";
	job.extra_fn = ca_issuer_row_extra;
	job.extra_arg = &ra;
	rc = ca_cert_make(env->db, &b, &job, env->now, out, e);
out:
	hsm_key_free(key);
	X509_NAME_free(subject);
	return rc;
}

/* The key of an issuing CA: EC on P-256/384/521 or RSA >= 3072 (ca_key_policy_check). */
static enum pechat_err
ca_key_check(EVP_PKEY *pub, struct pechat_error *e)
{
	struct pechat_profile_conf p;

	memset(&p, 0, sizeof(p));
	p.key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_EC_P521 | PECHAT_KEYALG_RSA;
	p.rsa_min_bits = 3072;
	return ca_key_policy_check(&p, pub, e);
}

/* See cer_int.h. */
enum pechat_err
cer_root_load(const struct cer_env *env, const char *name, struct ca_signer *root, struct pechat_error *e)
{
	enum pechat_err rc;

	if ((rc = ca_signer_load(env->db, name, root, e)) != PECHAT_OK)
		return rc == PECHAT_E_NOT_FOUND ? pechat_fail(e, rc, "issuer_unknown", "this store has no root %s "
		    "(pechat ceremony root makes one)", name) : rc;
	if (strcmp(root->kind, "root") != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_not_root", "%s is a %s CA, not a root", name, root->kind);
	if (root->key == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "root %s: %s", name,
		    root->key_problem[0] != '\0' ? root->key_problem : "its key cannot be opened here");
	if (root->not_after <= env->now)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_expired", "root %s has expired", name);
	return PECHAT_OK;
}

/* See ceremony.h. */
enum pechat_err
cer_sign(const struct cer_env *env, const char *root, const unsigned char *csr, size_t csr_len, int days,
    int pathlen, X509 **out, struct pechat_error *e)
{
	struct ca_signer is;
	X509_REQ *req = NULL;
	struct ca_build b;
	struct ca_store_job job;
	char crl[512], aia[512];
	enum pechat_err rc;

	*out = NULL;
	memset(&is, 0, sizeof(is));
	memset(&b, 0, sizeof(b));
	memset(&job, 0, sizeof(job));
	if ((rc = bounds_check(days, pathlen, e)) != PECHAT_OK)
		goto out;
	if (ca_oids_init() != 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
		goto out;
	}
	if ((rc = ca_csr_parse(csr, csr_len, &req, e)) != PECHAT_OK ||
	    (rc = ca_key_check(X509_REQ_get0_pubkey(req), e)) != PECHAT_OK ||
	    (rc = cer_root_load(env, root, &is, e)) != PECHAT_OK)
		goto out;
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", env->base_url, root);
	snprintf(aia, sizeof(aia), "%s/ca/%s.crt", env->base_url, root);
	b.profile = CA_PROFILE_ISSUING;
	b.issuer_name = root;
	b.issuer_cert = is.cert;
	b.issuer_key = is.key;
	b.subject_key = X509_REQ_get0_pubkey(req);
	b.subject = X509_REQ_get_subject_name(req);
	b.is_ca = 1;
	b.pathlen = pathlen;
	b.key_usage = PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN;
	b.crl_url = env->base_url[0] != '\0' ? crl : NULL;
	b.ca_issuers_url = env->base_url[0] != '\0' ? aia : NULL;
	b.not_before = env->now;
	b.not_after = env->now + (time_t)days * 86400;
	if (b.not_after > is.not_after)
		b.not_after = is.not_after;
	job.actor = env->actor;
	job.action = "ceremony.sign";
	rc = ca_cert_make(env->db, &b, &job, env->now, out, e);
out:
	ca_signer_clear(&is);
	X509_REQ_free(req);
	return rc;
}
