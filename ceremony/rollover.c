/*
 * ceremony/rollover.c — `pechat ceremony rollover`: a new key and issuing
 * CA certificate next to the old one, signed by the same root, stored with
 * its succession in one audited transaction (see rollover.h). The daemon
 * picks the new generation up at its next start.
 */
#include "ceremony/rollover.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include "ca/ca_make.h"

/*
 * The hsm_key_generate name of pub's algorithm ("ec-p256", "rsa-3072",
 * "gost2012-256:tc26-256-a", ...) into buf; -1 if none fits.
 */
static int
key_alg_name(EVP_PKEY *pub, char *buf, size_t bufsz)
{
	char curve[64] = "";
	int id = EVP_PKEY_get_base_id(pub);

	if (id == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL) == 1) {
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
			return pechat_strlcpy(buf, "ec-p256", bufsz) < bufsz ? 0 : -1;
		if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			return pechat_strlcpy(buf, "ec-p384", bufsz) < bufsz ? 0 : -1;
		if (strcmp(curve, "secp521r1") == 0 || strcmp(curve, "P-521") == 0)
			return pechat_strlcpy(buf, "ec-p521", bufsz) < bufsz ? 0 : -1;
	}
	ERR_clear_error();
	if (id == EVP_PKEY_RSA)
		return snprintf(buf, bufsz, "rsa-%d", EVP_PKEY_get_bits(pub)) < (int)bufsz ? 0 : -1;
	if (id == EVP_PKEY_ED25519)
		return pechat_strlcpy(buf, "ed25519", bufsz) < bufsz ? 0 : -1;
	if (id == NID_id_GostR3410_2012_256 || id == NID_id_GostR3410_2012_512) {
		/* the old key's parameter set too (common/profile.h) */
		const struct pechat_gost_paramset_info *ps = pechat_gost_paramset_of_key(pub);

		return snprintf(buf, bufsz, "%s%s%s", id == NID_id_GostR3410_2012_256 ? "gost2012-256" : "gost2012-512",
		    ps != NULL ? ":" : "", ps != NULL ? ps->name : "") < (int)bufsz ? 0 : -1;
	}
	return -1;
}

/* The configured issuer `issuer` is a generation of (walking predecessors), or NULL. */
static const struct pechat_issuer_conf *
lineage_conf(const struct pechat_config *conf, struct db *db, const char *issuer, struct pechat_error *e)
{
	char cur[64], prev[64];
	int depth, i;

	pechat_strlcpy(cur, issuer, sizeof(cur));
	for (depth = 0; depth < CA_MAX_GENERATIONS; depth++) {
		if (db_issuer_predecessor(db, cur, prev, sizeof(prev), e) != PECHAT_OK)
			break;
		pechat_strlcpy(cur, prev, sizeof(cur));
	}
	pechat_error_clear(e);
	for (i = 0; i < conf->n_issuers; i++)
		if (strcmp(conf->issuers[i].name, cur) == 0)
			return &conf->issuers[i];
	return NULL;
}

/* The root loaded with a usable key, in good standing and valid now. */
static enum pechat_err
root_usable(struct db *db, const char *name, time_t now, struct ca_signer *root, struct pechat_error *e)
{
	enum ca_cert_state st;
	enum pechat_err err;

	if (name[0] == '\0')
		return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_issuing", "the issuer has no parent CA in the store");
	if ((err = ca_signer_load(db, name, root, e)) != PECHAT_OK)
		return err;
	if ((err = ca_serial_status(db, root->serial, -1, root->not_after, now, &st, NULL, e)) != PECHAT_OK)
		return err;
	if (st == CA_STATE_REVOKED)
		return pechat_fail(e, PECHAT_E_CONFLICT, "issuer_revoked", "the root %s (certificate %s) is revoked: "
		    "it certifies nothing", name, root->serial);
	if (st == CA_STATE_ON_HOLD)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_on_hold", "the root %s (certificate %s) is on "
		    "hold: release it first", name, root->serial);
	if (now < root->not_before || now >= root->not_after)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_expired", "the root %s is not valid now", name);
	if (root->key == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "root_key_unavailable", "the key of the root %s is not "
		    "usable on this machine: %s (run the rollover where the root key is)", name,
		    root->key_problem[0] != '\0' ? root->key_problem : "it cannot be opened");
	return PECHAT_OK;
}

/*
 * The new issuer's key: opened at r->key_ref, or made at <key_dir>/<new_name>.key
 * with the old key's algorithm unless r->algorithm says; *made = 1 when a file was
 * made here (removed again if the rollover fails). Never the old issuer's key.
 */
static enum pechat_err
new_key(const struct pechat_config *conf, const struct pechat_issuer_conf *ic, const struct ceremony_rollover *r,
    X509 *old_cert, struct hsm_key **key, char *path, size_t pathsz, int *made, struct pechat_error *e)
{
	char alg[32], ref[4300];
	int n;
	enum pechat_err err;

	*made = 0;
	path[0] = '\0';
	if (r->key_ref != NULL) {
		if ((err = hsm_key_open(r->key_ref, key, e)) != PECHAT_OK)
			return err;
	} else {
		if (r->algorithm != NULL)
			pechat_strlcpy(alg, r->algorithm, sizeof(alg));
		else if (key_alg_name(X509_get0_pubkey(old_cert), alg, sizeof(alg)) != 0)
			return pechat_fail(e, PECHAT_E_INVALID, "algorithm_unknown", "the old key's algorithm has no "
			    "name here: give --algorithm");
		n = ic->key_dir[0] != '\0' ? snprintf(path, pathsz, "%s/%s.key", ic->key_dir, r->new_name) :
		    snprintf(path, pathsz, "%s/keys/%s.key", conf->var_dir, r->new_name);
		if (n < 0 || (size_t)n >= pathsz || snprintf(ref, sizeof(ref), "file:%s", path) >= (int)sizeof(ref))
			return pechat_fail(e, PECHAT_E_INVALID, "write_failed", "the key path is too long");
		if ((err = hsm_key_generate(ref, alg, key, e)) != PECHAT_OK)
			return err;
		*made = 1;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(old_cert), hsm_key_public(*key)) == 1)
		return pechat_fail(e, PECHAT_E_CONFLICT, "key_reused", "key %s is the key of %s: a rollover needs a "
		    "new key", hsm_key_ref(*key), r->issuer);
	ERR_clear_error();
	return PECHAT_OK;
}

struct rollover_txn {
	const struct ceremony_rollover *r;
	const char *root;
	const char *key_ref;
	time_t now;
};

/* Issuer row and succession in the certificate's transaction (ca_store_extra_fn). */
static enum pechat_err
rollover_rows(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e)
{
	const struct rollover_txn *t = arg;
	struct ca_issuer_row row = { t->r->new_name, "issuing", t->root, t->key_ref };
	enum pechat_err err;

	if ((err = ca_issuer_row_store(db, &row, cert, e)) != PECHAT_OK)
		return err;
	return ca_succession_record(db, t->r->issuer, t->r->new_name, t->r->actor, t->now, e);
}

/* The new CA's subject: the configured O and C, CN "<configured CN> (<new name>)". *out owned. */
static enum pechat_err
new_subject(const struct pechat_issuer_conf *ic, const char *new_name, X509_NAME **out, struct pechat_error *e)
{
	struct pechat_subject subj;
	char cn[200];
	enum pechat_err err;

	memset(&subj, 0, sizeof(subj));
	snprintf(cn, sizeof(cn), "%s (%s)", ic->common_name, new_name);
	if (pechat_subject_set(&subj, PSF_COMMON_NAME, cn) != 0 ||
	    (ic->organization[0] != '\0' && pechat_subject_set(&subj, PSF_ORGANIZATION, ic->organization) != 0) ||
	    (ic->country[0] != '\0' && pechat_subject_set(&subj, PSF_COUNTRY, ic->country) != 0))
		err = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	else
		err = ca_subject_name(&subj, out, e);
	pechat_subject_clear(&subj);
	return err;
}

/* var_dir/certs/<name>.crt (PEM, 0644, replaced). */
static enum pechat_err
write_cert(const struct pechat_config *conf, const char *name, X509 *cert, char *path, size_t pathsz,
    struct pechat_error *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	enum pechat_err err = PECHAT_OK;

	if (snprintf(path, pathsz, "%s/certs/%s.crt", conf->var_dir, name) >= (int)pathsz)
		err = pechat_fail(e, PECHAT_E_INVALID, "write_failed", "the certificate path is too long");
	else if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "PEM encoding");
	else if (pechat_file_write(path, data, (size_t)n, 0644, 0) != 0)
		err = pechat_fail(e, PECHAT_E_INTERNAL, "write_failed", "cannot write %s: %s", path, strerror(errno));
	BIO_free(bio);
	return err;
}

/* See rollover.h. */
enum pechat_err
ceremony_rollover(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    const struct ceremony_rollover *r, struct ceremony_rollover_result *out, struct pechat_error *e)
{
	const struct pechat_issuer_conf *ic;
	struct ca_signer root, old;
	struct hsm_key *key = NULL;
	X509_NAME *subject = NULL;
	X509 *cert = NULL;
	struct ca_build cb;
	struct ca_store_job job;
	struct rollover_txn t;
	char base[256], crl[512], aia[512], key_path[4200];
	time_t now = pechat_clock_now(clock);
	size_t n;
	int made = 0, days;
	enum pechat_err err;

	memset(out, 0, sizeof(*out));
	memset(&root, 0, sizeof(root));
	memset(&old, 0, sizeof(old));
	memset(&cb, 0, sizeof(cb));
	memset(&job, 0, sizeof(job));
	key_path[0] = '\0';
	if (hsm_global_init() != 0 || ca_oids_init() != 0) {
		err = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
		goto out;
	}
	if ((err = ca_succession_precheck(db, r->issuer, r->new_name, out->root, sizeof(out->root), e)) != PECHAT_OK)
		goto out;
	if ((ic = lineage_conf(conf, db, r->issuer, e)) == NULL) {
		err = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_not_configured", "issuer %s is not a generation of a "
		    "configured issuer: pechatd would not load it", r->issuer);
		goto out;
	}
	if ((err = root_usable(db, out->root, now, &root, e)) != PECHAT_OK ||
	    (err = ca_signer_load(db, r->issuer, &old, e)) != PECHAT_OK ||
	    (err = new_key(conf, ic, r, old.cert, &key, key_path, sizeof(key_path), &made, e)) != PECHAT_OK ||
	    (err = new_subject(ic, r->new_name, &subject, e)) != PECHAT_OK)
		goto out;
	pechat_strlcpy(base, conf->public_base_url, sizeof(base));
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base, root.name);
	snprintf(aia, sizeof(aia), "%s/ca/%s.crt", base, root.name);
	days = r->days > 0 ? r->days : ic->validity_days > 0 ? ic->validity_days : 3650;
	cb.not_before = now;
	cb.not_after = now + (time_t)days * 86400 < root.not_after ? now + (time_t)days * 86400 : root.not_after;
	cb.profile = CA_PROFILE_ISSUING;
	cb.issuer_name = root.name;
	cb.issuer_cert = root.cert;
	cb.issuer_key = root.key;
	cb.subject_key = hsm_key_public(key);
	cb.subject = subject;
	cb.is_ca = 1;
	cb.pathlen = 0;
	cb.key_usage = PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN;
	cb.crl_url = crl;
	cb.ca_issuers_url = aia;
	t.r = r;
	t.root = root.name;
	t.key_ref = hsm_key_ref(key);
	t.now = now;
	job.actor = r->actor;
	job.action = "issuer.create";
	job.extra_fn = rollover_rows;
	job.extra_arg = &t;
	if ((err = ca_cert_make(db, &cb, &job, now, &cert, e)) != PECHAT_OK)
		goto out;
	made = 0;       /* stored: the key file belongs to the new issuer now */
	ca_cert_serial_hex(cert, out->serial, sizeof(out->serial));
	pechat_strlcpy(out->key_ref, hsm_key_ref(key), sizeof(out->key_ref));
	out->not_after = cb.not_after;
	/* the store has it (and pechatd serves it at /ca/NAME.crt): a missing file is only reported */
	if (write_cert(conf, r->new_name, cert, out->cert_path, sizeof(out->cert_path), e) != PECHAT_OK) {
		log_warn("rollover: %s", e != NULL ? e->detail : "certificate file not written");
		out->cert_path[0] = '\0';
		pechat_error_clear(e);
	}
	err = PECHAT_OK;
out:
	if (made && key_path[0] != '\0' && unlink(key_path) != 0)
		log_err("rollover: %s not removed: %s", key_path, strerror(errno));
	X509_free(cert);
	X509_NAME_free(subject);
	hsm_key_free(key);
	ca_signer_clear(&root);
	ca_signer_clear(&old);
	return err;
}
