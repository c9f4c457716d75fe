/*
 * ceremony/init.c — `pechat init`: the operators CA, one root + issuing CA
 * per configured issuer, the API server certificate and the demo admin and
 * portal credentials (ceremony/credentials.c), all through ca/'s shared
 * builder (ca_cert_make) so that every certificate has a reserved serial and
 * a store row. Idempotent: what the store already has is kept and reported,
 * only what is missing is made. CA keys are files under key_dir, or the
 * config's key references (file:, pkcs11:, engine:).
 */
#include "ceremony/init_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#define OPERATORS_CN "Pechat Operators CA"
#define OPERATORS_DAYS 3650

/* What a CA certificate of init looks like. */
struct ca_spec {
	const char *name;               /* store name */
	const char *kind;               /* "root", "issuing", "operators" */
	const char *profile;
	const char *cn, *o, *c;
	const char *alg;                /* hsm_key_generate name */
	int days;
	int pathlen;
	char key_path[PECHAT_PATH_MAX + 80];    /* the key file under key_dir (key_ref "") */
	char key_ref[PECHAT_PATH_MAX];  /* "" or the config's reference ("key", "root_key") */
	char cert_path[PECHAT_PATH_MAX + 80];
	const struct ca_signer *parent; /* NULL: self-signed */
};

/* See init_int.h. */
void
boot_report(const struct boot *b, enum ceremony_boot_state st, const char *what, const char *name,
    const char *path, const char *detail)
{
	if (b->report != NULL)
		b->report(b->report_arg, st, what, name, path, detail);
}

/* See init_int.h. */
enum pechat_err
boot_key_obtain(const struct boot *b, const char *path, const char *alg, struct hsm_key **out,
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

/* Is the file of a "file:PATH[?...]" reference missing? 0 for any other reference. */
static int
file_ref_missing(const char *ref)
{
	char path[PECHAT_PATH_MAX];

	if (strncmp(ref, "file:", 5) != 0 || pechat_strlcpy(path, ref + 5, sizeof(path)) >= sizeof(path))
		return 0;
	path[strcspn(path, "?")] = '\0';
	return !boot_file_exists(path);
}

/* Reports a configured key that exists, with its public key in PEM. */
static void
key_found_report(const struct boot *b, const struct ca_spec *spec, struct hsm_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char what[32], *pem = NULL;

	/* the trailing NUL written into the BIO makes its data a C string */
	if (bio == NULL || PEM_write_bio_PUBKEY(bio, hsm_key_public(key)) != 1 || BIO_write(bio, "", 1) != 1 ||
	    BIO_get_mem_data(bio, &pem) <= 0)
		pem = NULL;
	log_info("init: %s CA %s: certifying the existing key %s", spec->kind, spec->name, spec->key_ref);
	snprintf(what, sizeof(what), "%s CA key", spec->kind);
	boot_report(b, CEREMONY_BOOT_KEY_FOUND, what, spec->name, spec->key_ref, pem);
	BIO_free(bio);
}

/* The hsm_key_generate name of a GOST key with its parameter set ("gost2012-256:tc26-256-b") into buf. */
static void
gost_alg_name(EVP_PKEY *pub, char *buf, size_t bufsz)
{
	const struct pechat_gost_paramset_info *ps = pechat_gost_paramset_of_key(pub);

	snprintf(buf, bufsz, "%s%s%s", EVP_PKEY_get_base_id(pub) == NID_id_GostR3410_2012_256 ? "gost2012-256" :
	    "gost2012-512", ps != NULL ? ":" : "", ps != NULL ? ps->name : "");
}

/* The hsm_key_generate name of what a public key is ("ec-p256", "rsa-3072", "gost2012-256"...) into buf. */
static void
key_alg_name(EVP_PKEY *pub, char *buf, size_t bufsz)
{
	char group[64] = "";
	size_t len = 0;
	int id = EVP_PKEY_get_base_id(pub);

	if (id == EVP_PKEY_EC && EVP_PKEY_get_group_name(pub, group, sizeof(group), &len) == 1)
		snprintf(buf, bufsz, "%s", strcmp(group, "prime256v1") == 0 ? "ec-p256" :
		    strcmp(group, "secp384r1") == 0 ? "ec-p384" : strcmp(group, "secp521r1") == 0 ? "ec-p521" : group);
	else if (id == EVP_PKEY_RSA)
		snprintf(buf, bufsz, "rsa-%d", EVP_PKEY_get_bits(pub));
	else if (id == EVP_PKEY_ED25519)
		snprintf(buf, bufsz, "ed25519");
	else if (id == NID_id_GostR3410_2012_256 || id == NID_id_GostR3410_2012_512)
		gost_alg_name(pub, buf, bufsz);
	else
		snprintf(buf, bufsz, "%s", OBJ_nid2sn(id) != NULL ? OBJ_nid2sn(id) : "an unknown key type");
	ERR_clear_error();
}

/*
 * The key of a configured reference: an existing key is used as it is when
 * it is of the configured algorithm (else INVALID "key_algorithm_mismatch");
 * a missing file: key is generated; a token key must exist (UNAVAILABLE
 * "key_missing" naming the reference and how to make it).
 */
static enum pechat_err
key_configured(const struct boot *b, const struct ca_spec *spec, struct hsm_key **out, struct pechat_error *e)
{
	char why[160];
	enum pechat_err rc;

	if (file_ref_missing(spec->key_ref)) {
		if ((rc = hsm_key_generate(spec->key_ref, spec->alg, out, e)) == PECHAT_OK)
			log_info("init: %s CA %s: new %s key %s", spec->kind, spec->name, spec->alg, spec->key_ref);
		return rc;
	}
	if ((rc = hsm_key_open(spec->key_ref, out, e)) == PECHAT_OK) {
		key_alg_name(hsm_key_public(*out), why, sizeof(why));
		if (strcmp(why, spec->alg) != 0) {
			log_err("init: %s CA %s: the key at %s is %s, the config says %s", spec->kind, spec->name,
			    spec->key_ref, why, spec->alg);
			hsm_key_free(*out);
			*out = NULL;
			return pechat_fail(e, PECHAT_E_INVALID, "key_algorithm_mismatch", "%s CA %s: the key at %s is "
			    "%s, the config says %s (key_algorithm, rsa_bits)", spec->kind, spec->name, spec->key_ref,
			    why, spec->alg);
		}
		key_found_report(b, spec, *out);
		return PECHAT_OK;
	}
	if (strncmp(spec->key_ref, "file:", 5) == 0)
		return rc;      /* the file exists but cannot be used (passphrase, format): hsm/ says why */
	pechat_strlcpy(why, e->detail, sizeof(why));
	log_err("init: %s CA %s: no usable key at %s: %s", spec->kind, spec->name, spec->key_ref, why);
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_missing", "%s CA %s: no usable key at %s; `pechat init` "
	    "does not generate keys on a token: make the %s key there first (docs/OPERATIONS.md) (%s)",
	    spec->kind, spec->name, spec->key_ref, spec->alg, why);
}

/* The key a new CA certifies: the configured reference, or a new file under key_dir. */
static enum pechat_err
ca_key_get(const struct boot *b, const struct ca_spec *spec, struct hsm_key **out, struct pechat_error *e)
{
	if (spec->key_ref[0] != '\0')
		return key_configured(b, spec, out, e);
	return boot_key_obtain(b, spec->key_path, spec->alg, out, e);
}

/* The hsm_key_generate name of an issuer's algorithm ("rsa-<bits>" for RSA, "gost2012-256:<set>" for GOST). */
static const char *
issuer_alg(const struct pechat_issuer_conf *ic, char *buf, size_t bufsz)
{
	const char *name = pechat_keyalg_name(ic->key_algorithm);
	const struct pechat_gost_paramset_info *ps;

	if (ic->key_algorithm == PECHAT_KEYALG_RSA) {
		snprintf(buf, bufsz, "rsa-%d", ic->rsa_bits > 0 ? ic->rsa_bits : 3072);
		return buf;
	}
	if (ic->key_algorithm == PECHAT_KEYALG_GOST2012_256 || ic->key_algorithm == PECHAT_KEYALG_GOST2012_512) {
		/* on the issuer's parameter set; 0 (not configured) = the size's tc26 A */
		if ((ps = pechat_gost_paramset_by_flag(ic->gost_paramset)) == NULL || ps->keyalg != (int)ic->key_algorithm)
			ps = pechat_gost_paramset_by_flag(ic->key_algorithm == PECHAT_KEYALG_GOST2012_256 ?
			    PECHAT_GOST_TC26_256_A : PECHAT_GOST_TC26_512_A);
		snprintf(buf, bufsz, "%s:%s", name, ps->name);
		return buf;
	}
	return name != NULL ? name : "unknown";
}

/* See init_int.h. */
void
boot_validity(const struct boot *b, const struct ca_signer *parent, int days, time_t *nb, time_t *na)
{
	*nb = b->now;
	*na = b->now + (time_t)days * 86400;
	if (parent != NULL && *na > parent->not_after)
		*na = parent->not_after;
}

/* Creates a CA (key, certificate, issuer row, certificate file) and loads it into *out. */
static enum pechat_err
ca_create(struct boot *b, const struct ca_spec *spec, struct ca_signer *out, struct pechat_error *e)
{
	struct pechat_subject subj;
	struct hsm_key *key = NULL;
	X509_NAME *name = NULL;
	X509 *cert = NULL;
	struct ca_build cb;
	struct ca_store_job job;
	struct ca_issuer_row ra;
	char crl[512], aia[512], what[32];
	enum pechat_err rc;

	memset(&subj, 0, sizeof(subj));
	memset(&cb, 0, sizeof(cb));
	memset(&job, 0, sizeof(job));
	if (spec->parent != NULL && spec->parent->key == NULL) {
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "%s CA %s cannot be signed: its parent "
		    "%s has no usable key (%s)", spec->kind, spec->name, spec->parent->name, spec->parent->key_problem);
		goto out;
	}
	if ((rc = ca_key_get(b, spec, &key, e)) != PECHAT_OK)
		goto out;
	if (pechat_subject_set(&subj, PSF_COMMON_NAME, spec->cn) != 0 ||
	    (spec->o != NULL && spec->o[0] != '\0' && pechat_subject_set(&subj, PSF_ORGANIZATION, spec->o) != 0) ||
	    (spec->c != NULL && spec->c[0] != '\0' && pechat_subject_set(&subj, PSF_COUNTRY, spec->c) != 0)) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = ca_subject_name(&subj, &name, e)) != PECHAT_OK)
		goto out;
	boot_validity(b, spec->parent, spec->days, &cb.not_before, &cb.not_after);
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
	ra.name = spec->name;
	ra.kind = spec->kind;
	ra.parent = spec->parent != NULL ? spec->parent->name : NULL;
	ra.key_ref = hsm_key_ref(key);
	job.actor = BOOT_ACTOR;
	job.action = "issuer.create";
	job.extra_fn = ca_issuer_row_extra;
	job.extra_arg = &ra;
	if ((rc = ca_cert_make(b->db, &cb, &job, b->now, &cert, e)) != PECHAT_OK ||
	    (rc = boot_write_cert_pem(spec->cert_path, cert, e)) != PECHAT_OK)
		goto out;
	log_info("init: created %s CA %s (%s)", spec->kind, spec->name, spec->cert_path);
	snprintf(what, sizeof(what), "%s CA", spec->kind);
	boot_report(b, CEREMONY_BOOT_CREATED, what, spec->name, spec->cert_path, NULL);
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
ca_ensure(struct boot *b, const struct ca_spec *spec, struct ca_signer *out, struct pechat_error *e)
{
	struct db_issuer row;
	char what[32];
	enum pechat_err rc;

	memset(&row, 0, sizeof(row));
	rc = db_issuer_get(b->db, spec->name, &row, e);
	db_issuer_free_fields(&row);
	if (rc == PECHAT_E_NOT_FOUND)
		return ca_create(b, spec, out, e);
	if (rc != PECHAT_OK || (rc = ca_signer_load(b->db, spec->name, out, e)) != PECHAT_OK)
		return rc;
	log_info("init: %s CA %s already exists", spec->kind, spec->name);
	snprintf(what, sizeof(what), "%s CA", spec->kind);
	if (boot_file_exists(spec->cert_path)) {
		boot_report(b, CEREMONY_BOOT_EXISTS, what, spec->name, spec->cert_path, NULL);
		return PECHAT_OK;
	}
	if ((rc = boot_write_cert_pem(spec->cert_path, out->cert, e)) == PECHAT_OK)
		boot_report(b, CEREMONY_BOOT_FILE_RESTORED, what, spec->name, spec->cert_path, NULL);
	return rc;
}

/* The key of spec: the config's reference when set, else <keydir or var/keys>/<file>.key. */
static void
spec_key(const struct boot *b, struct ca_spec *spec, const char *ref, const char *keydir, const char *file)
{
	pechat_strlcpy(spec->key_ref, ref, sizeof(spec->key_ref));
	if (keydir != NULL)
		boot_pathf(spec->key_path, sizeof(spec->key_path), "%s/%s.key", keydir, file);
	else
		boot_pathf(spec->key_path, sizeof(spec->key_path), "%s/keys/%s.key", b->conf->var_dir, file);
}

/*
 * A GOST issuer needs gost-engine (keys, signatures): without it init stops
 * here, naming the package and the way out ("gost_engine_missing", UNAVAILABLE).
 */
static enum pechat_err
gost_engine_check(const struct pechat_issuer_conf *ic, struct pechat_error *e)
{
	char engine[256];

	if (!(ic->key_algorithm & (PECHAT_KEYALG_GOST2012_256 | PECHAT_KEYALG_GOST2012_512)))
		return PECHAT_OK;
	hsm_gost_engine_describe(engine, sizeof(engine));
	if (strcmp(engine, "not available") != 0)
		return PECHAT_OK;
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "gost_engine_missing", "issuer %s is GOST (%s) but gost-engine "
	    "is not available: install it (Debian: libengine-gost-openssl; scripts/install-deps runtime), or remove "
	    "the issuer and its profiles from the config", ic->name, pechat_keyalg_name(ic->key_algorithm));
}

/* The root "<name>-root" and the issuing CA "<name>" of one configured issuer. */
static enum pechat_err
issuer_ensure(struct boot *b, const struct pechat_issuer_conf *ic, struct pechat_error *e)
{
	struct ca_signer root, issuing;
	struct ca_spec rs, is;
	char rootname[80], rootcn[160], alg[32];
	const char *keydir = ic->key_dir[0] != '\0' ? ic->key_dir : NULL;
	enum pechat_err rc;

	memset(&root, 0, sizeof(root));
	memset(&issuing, 0, sizeof(issuing));
	if ((rc = gost_engine_check(ic, e)) != PECHAT_OK)
		return rc;
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
	spec_key(b, &rs, ic->root_key_ref, keydir, rootname);
	boot_pathf(rs.cert_path, sizeof(rs.cert_path), "%s/certs/%s.crt", b->conf->var_dir, rootname);
	is = rs;
	is.name = ic->name;
	is.kind = "issuing";
	is.profile = CA_PROFILE_ISSUING;
	is.cn = ic->common_name;
	is.days = ic->validity_days > 0 ? ic->validity_days : 3650;
	is.pathlen = 0;
	spec_key(b, &is, ic->key_ref, keydir, ic->name);
	boot_pathf(is.cert_path, sizeof(is.cert_path), "%s/certs/%s.crt", b->conf->var_dir, ic->name);
	if ((rc = ca_ensure(b, &rs, &root, e)) != PECHAT_OK)
		goto out;
	is.parent = &root;
	rc = ca_ensure(b, &is, &issuing, e);
out:
	ca_signer_clear(&root);
	ca_signer_clear(&issuing);
	return rc;
}

/* See init_int.h: the operators CA only signs leaves, hence pathlen 0. */
enum pechat_err
boot_operators_ensure(struct boot *b, struct pechat_error *e)
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
	boot_pathf(s.key_path, sizeof(s.key_path), "%s/keys/operators.key", b->conf->var_dir);
	if (b->conf->operator_ca_cert[0] != '\0')
		pechat_strlcpy(s.cert_path, b->conf->operator_ca_cert, sizeof(s.cert_path));
	else
		boot_pathf(s.cert_path, sizeof(s.cert_path), "%s/certs/operators.crt", b->conf->var_dir);
	return ca_ensure(b, &s, &b->ops, e);
}

/* See init_int.h. */
enum pechat_err
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

/* See init.h. */
enum pechat_err
ceremony_bootstrap(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    int force, struct pechat_error *e)
{
	return ceremony_bootstrap_report(conf, db, clock, force, NULL, NULL, e);
}

/* See init.h. */
enum pechat_err
ceremony_bootstrap_report(const struct pechat_config *conf, struct db *db, const struct pechat_clock *clock,
    int force, ceremony_boot_report_fn report, void *report_arg, struct pechat_error *e)
{
	struct boot b;
	int count = 0, i;
	enum pechat_err rc;

	if ((rc = boot_init(&b, conf, db, clock, &count, e)) != PECHAT_OK)
		goto out;
	b.force = force;
	b.report = report;
	b.report_arg = report_arg;
	if ((rc = boot_dirs_make(conf, e)) != PECHAT_OK || (rc = boot_operators_ensure(&b, e)) != PECHAT_OK)
		goto out;
	for (i = 0; i < conf->n_issuers; i++)
		if ((rc = issuer_ensure(&b, &conf->issuers[i], e)) != PECHAT_OK)
			goto out;
	if ((rc = boot_tls_ensure(&b, e)) != PECHAT_OK ||
	    (rc = boot_credential_ensure(&b, "admin", "admin", e)) != PECHAT_OK ||
	    (rc = boot_credential_ensure(&b, "portal", "portal", e)) != PECHAT_OK)
		goto out;
	rc = PECHAT_OK;
out:
	ca_signer_clear(&b.ops);
	return rc;
}
