/*
 * cmd/ceremony_keys.c — the CLI of the key ceremony's key and certificate
 * steps (ceremony/ does the work, one audited step each; the OS user is
 * the actor):
 *   pechat ceremony keygen --key REF --algorithm ALG [--config FILE]
 *   pechat ceremony root --name NAME --key REF --subject DN --days N [--pathlen N] --out FILE [--config FILE]
 *   pechat ceremony csr --key REF --subject DN --out FILE [--config FILE]
 *   pechat ceremony sign --root NAME --csr FILE --days N [--pathlen N] --out FILE [--config FILE]
 *   pechat ceremony import --name NAME --key REF --cert FILE --root-cert FILE [--succeeds OLD] [--config FILE]
 *   pechat ceremony revoke --root NAME --serial HEX [--reason R] [--comment TEXT] [--config FILE]
 *   pechat ceremony crl --root NAME --days N --out FILE [--config FILE]
 *   pechat ceremony import-crl --root NAME --crl FILE [--config FILE]
 * Output files are never overwritten. Exit codes: 0 done, 1 refused or
 * failed, 2 usage or configuration error.
 */
#include "cmd/ceremony.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>

#include "ceremony/ceremony.h"
#include "config/config.h"
#include "db/db.h"
#include "hsm/hsm.h"

#define INPUT_MAX (64 * 1024)

struct keys_args {
	const char *config, *key, *algorithm, *name, *subject, *out, *root, *csr, *cert, *root_cert;
	const char *serial, *reason, *comment, *crl, *succeeds;
	int days, pathlen;
};

static void
keys_usage(FILE *f)
{
	fprintf(f, "usage: pechat ceremony keygen --key REF --algorithm ALG [--config FILE]\n"
	    "       pechat ceremony root --name NAME --key REF --subject DN --days N [--pathlen N] --out FILE "
	    "[--config FILE]\n"
	    "       pechat ceremony csr --key REF --subject DN --out FILE [--config FILE]\n"
	    "       pechat ceremony sign --root NAME --csr FILE --days N [--pathlen N] --out FILE [--config FILE]\n"
	    "       pechat ceremony import --name NAME --key REF --cert FILE --root-cert FILE [--succeeds OLD] "
	    "[--config FILE]\n"
	    "       pechat ceremony revoke --root NAME --serial HEX [--reason R] [--comment TEXT] [--config FILE]\n"
	    "       pechat ceremony crl --root NAME --days N --out FILE [--config FILE]\n"
	    "       pechat ceremony import-crl --root NAME --crl FILE [--config FILE]\n"
	    "REF: file:PATH[?passphrase-source=...] or pkcs11:token=...;object=...;id=...?module-path=...&pin-source=...\n"
	    "ALG: ec-p256, ec-p384, ec-p521, rsa-3072, rsa-4096 (files also rsa-2048, ed25519, gost2012-256/512,\n"
	    "     optionally :PARAMSET, e.g. gost2012-256:tc26-256-b, gost2012-512:tc26-512-c; docs/CONFIG.md)\n"
	    "DN:  CN=...,O=...,OU=...,C=XX,ST=...,L=...\n");
}

/* A decimal option in [min, max]. 0 or -1. */
static int
int_arg(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Options after the verb. 0; 2 (usage printed); -1 for --help. */
static int
keys_parse(int argc, char **argv, struct keys_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' },
		{ "algorithm", required_argument, NULL, 'a' }, { "name", required_argument, NULL, 'n' },
		{ "subject", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, 'r' }, { "csr", required_argument, NULL, 'q' },
		{ "cert", required_argument, NULL, 'C' }, { "root-cert", required_argument, NULL, 'R' },
		{ "days", required_argument, NULL, 'd' }, { "pathlen", required_argument, NULL, 'p' },
		{ "serial", required_argument, NULL, 'S' }, { "reason", required_argument, NULL, 'e' },
		{ "comment", required_argument, NULL, 'm' }, { "crl", required_argument, NULL, 'L' },
		{ "succeeds", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->pathlen = -2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'k': a->key = optarg; break;
		case 'a': a->algorithm = optarg; break;
		case 'n': a->name = optarg; break;
		case 's': a->subject = optarg; break;
		case 'o': a->out = optarg; break;
		case 'r': a->root = optarg; break;
		case 'q': a->csr = optarg; break;
		case 'C': a->cert = optarg; break;
		case 'R': a->root_cert = optarg; break;
		case 'S': a->serial = optarg; break;
		case 'e': a->reason = optarg; break;
		case 'm': a->comment = optarg; break;
		case 'L': a->crl = optarg; break;
		case 'u': a->succeeds = optarg; break;
		case 'd':
			if (int_arg(optarg, 1, CER_DAYS_MAX, &a->days) != 0) {
				fprintf(stderr, "pechat: --days is a number of days, 1 to %d\n", CER_DAYS_MAX);
				return 2;
			}
			break;
		case 'p':
			if (int_arg(optarg, 0, CER_PATHLEN_MAX, &a->pathlen) != 0) {
				fprintf(stderr, "pechat: --pathlen is 0 to %d\n", CER_PATHLEN_MAX);
				return 2;
			}
			break;
		case 'h': keys_usage(stdout); return -1;
		default: keys_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		keys_usage(stderr);
		return 2;
	}
	return 0;
}

/* Each name in `need` (a list of option letters) was given; else usage naming the first missing. */
static int
keys_require(const struct keys_args *a, const char *verb, const char *need)
{
	static const struct { char opt; const char *name; size_t off; } all[] = {
		{ 'k', "--key", offsetof(struct keys_args, key) },
		{ 'a', "--algorithm", offsetof(struct keys_args, algorithm) },
		{ 'n', "--name", offsetof(struct keys_args, name) },
		{ 's', "--subject", offsetof(struct keys_args, subject) },
		{ 'o', "--out", offsetof(struct keys_args, out) },
		{ 'r', "--root", offsetof(struct keys_args, root) },
		{ 'q', "--csr", offsetof(struct keys_args, csr) },
		{ 'C', "--cert", offsetof(struct keys_args, cert) },
		{ 'R', "--root-cert", offsetof(struct keys_args, root_cert) },
		{ 'S', "--serial", offsetof(struct keys_args, serial) },
		{ 'L', "--crl", offsetof(struct keys_args, crl) },
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strchr(need, all[i].opt) != NULL && *(const char *const *)((const char *)a + all[i].off) == NULL) {
			fprintf(stderr, "pechat: ceremony %s needs %s\n", verb, all[i].name);
			return 2;
		}
	if (strchr(need, 'd') != NULL && a->days == 0) {
		fprintf(stderr, "pechat: ceremony %s needs --days\n", verb);
		return 2;
	}
	return 0;
}

/* Refuses an --out that exists (output files are never overwritten). 0 or 1. */
static int
out_free(const char *path)
{
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0) {
		fprintf(stderr, "pechat: %s exists; the ceremony never overwrites a file (move it away)\n", path);
		return 1;
	}
	return 0;
}

/* Reads an input file (at most INPUT_MAX). 0 or 1 (said why). */
static int
input_read(const char *path, unsigned char **data, size_t *len)
{
	if (pechat_file_read(path, INPUT_MAX, data, len) != 0) {
		fprintf(stderr, "pechat: cannot read %s: %s (at most %d bytes)\n", path, strerror(errno), INPUT_MAX);
		return 1;
	}
	return 0;
}

/* Writes the PEM in bio to path, exclusively. 0 or 1. */
static int
out_write(const char *path, BIO *bio)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || pechat_file_write(path, data, (size_t)n, 0644, PECHAT_FILE_EXCLUSIVE) != 0) {
		fprintf(stderr, "pechat: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* Writes a certificate as PEM. 0 or 1. */
static int
cert_out(const char *path, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = 1;

	if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1)
		rc = out_write(path, bio);
	BIO_free(bio);
	return rc;
}

/* Loads the config, creates var_dir, opens (or creates) this machine's store, fills env. 0, 1 or 2. */
static int
keys_open(const struct keys_args *a, struct pechat_config **conf, struct db **db, struct cer_env *env,
    char *actor, size_t actorsz, char *base, size_t basesz)
{
	struct pechat_error e;
	char errbuf[512];
	size_t n;

	pechat_error_clear(&e);
	if ((*conf = pechat_config_load(a->config, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pechat: configuration error: %s\n", errbuf);
		return 2;
	}
	if (mkdir((*conf)->var_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "pechat: cannot create %s: %s\n", (*conf)->var_dir, strerror(errno));
		return 1;
	}
	if (db_open((*conf)->store_path, 1, db, &e) != PECHAT_OK) {
		fprintf(stderr, "pechat: cannot open the store %s: %s\n", (*conf)->store_path, e.detail);
		return 1;
	}
	pechat_os_actor(actor, actorsz);
	pechat_strlcpy(base, (*conf)->public_base_url, basesz);
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	memset(env, 0, sizeof(*env));
	env->db = *db;
	env->actor = actor;
	env->now = time(NULL);
	env->base_url = base;
	return 0;
}

/* One certificate's subject and serial for the report. */
static void
cert_print(const char *what, X509 *cert)
{
	char sn[65] = "?";
	ASN1_INTEGER *s = X509_get_serialNumber(cert);
	BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	if (hex != NULL)
		pechat_strlcpy(sn, hex, sizeof(sn));
	printf("%s: ", what);
	X509_NAME_print_ex_fp(stdout, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	printf(", serial %s\n", sn);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Writes a DER CRL as PEM. 0 or 1. */
static int
crl_out(const char *path, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = 1;

	if (crl != NULL && bio != NULL && PEM_write_bio_X509_CRL(bio, crl) == 1)
		rc = out_write(path, bio);
	BIO_free(bio);
	X509_CRL_free(crl);
	return rc;
}

/* revoke, crl, import-crl (the offline root's CRL): *err set; 0 done, 1 or 2 failed (said why). */
static int
root_crl_run(const char *verb, const struct keys_args *a, const struct cer_env *env, struct pechat_error *e,
    enum pechat_err *err)
{
	struct db_revocation ev;
	struct cer_crl_result cr;
	struct cer_import_crl_result ir;
	unsigned char *der = NULL, *in = NULL;
	size_t len = 0;
	char at[32];
	int rc = 1;

	if (strcmp(verb, "revoke") == 0) {
		if ((*err = cer_revoke(env, a->root, a->serial, a->reason, a->comment, &ev, e)) == PECHAT_OK) {
			printf("certificate %s of root %s revoked (%s) by %s (audited)\n  make and carry the root's CRL: "
			    "pechat ceremony crl --root %s --days N --out FILE\n", ev.serial, a->root, ev.reason, ev.actor,
			    a->root);
			rc = 0;
		}
	} else if (strcmp(verb, "crl") == 0) {
		if ((*err = cer_crl(env, a->root, a->days, &der, &len, &cr, e)) == PECHAT_OK &&
		    (rc = crl_out(a->out, der, len)) == 0)
			printf("CRL %lld of %s written to %s (%d entries, nextUpdate %s) (audited)\n  import it on the "
			    "online machine before then: pechat ceremony import-crl --root %s --crl FILE\n",
			    (long long)cr.number, a->root, a->out, cr.entries, pechat_time_rfc3339(cr.next_update, at,
			    sizeof(at)), a->root);
	} else {
		if (input_read(a->crl, &in, &len) != 0)
			goto out;
		if ((*err = cer_import_crl(env, a->root, in, len, &ir, e)) == PECHAT_OK) {
			printf("CRL %lld of %s imported (%d entries, %d new status events here, nextUpdate %s) (audited)\n"
			    "  a running pechatd serves it at /crl/%s.crl within %d s\n", (long long)ir.number, a->root,
			    ir.entries, ir.recorded, pechat_time_rfc3339(ir.next_update, at, sizeof(at)), a->root, 10);
			rc = 0;
		}
	}
out:
	OPENSSL_free(der);
	free(in);
	return rc;
}

/* The step `verb` with parsed arguments on an open store. 0 or 1/2 (said why). */
static int
keys_run(const char *verb, const struct keys_args *a, const struct cer_env *env, struct pechat_error *e)
{
	unsigned char *in = NULL, *in2 = NULL;
	size_t len = 0, len2 = 0;
	X509 *cert = NULL;
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	struct cer_import_result ir;
	char fpr[65], root_name[80];
	int rc = 1;
	enum pechat_err err = PECHAT_OK;

	if (strcmp(verb, "keygen") == 0) {
		if ((err = cer_keygen(env, a->key, a->algorithm, fpr, e)) == PECHAT_OK)
			printf("key %s: %s generated (audited)\n  public key SHA-256 (SubjectPublicKeyInfo): %s\n", a->key,
			    a->algorithm, fpr);
	} else if (strcmp(verb, "root") == 0) {
		if ((err = cer_root(env, a->name, a->key, a->subject, a->days, a->pathlen < -1 ? -1 : a->pathlen, &cert,
		    e)) == PECHAT_OK && (rc = cert_out(a->out, cert)) == 0)
			cert_print("root certificate", cert);
	} else if (strcmp(verb, "csr") == 0) {
		if ((err = cer_csr(env, a->key, a->subject, &req, e)) == PECHAT_OK) {
			if ((bio = BIO_new(BIO_s_mem())) != NULL && PEM_write_bio_X509_REQ(bio, req) == 1 &&
			    (rc = out_write(a->out, bio)) == 0)
				printf("CSR of %s written to %s (audited); sign it on the offline machine\n", a->key, a->out);
		}
	} else if (strcmp(verb, "sign") == 0) {
		if (input_read(a->csr, &in, &len) != 0)
			goto out;
		if ((err = cer_sign(env, a->root, in, len, a->days, a->pathlen < -1 ? 0 : a->pathlen, &cert, e)) ==
		    PECHAT_OK && (rc = cert_out(a->out, cert)) == 0)
			cert_print("issuing CA certificate", cert);
	} else if (strcmp(verb, "revoke") == 0 || strcmp(verb, "crl") == 0 || strcmp(verb, "import-crl") == 0) {
		rc = root_crl_run(verb, a, env, e, &err);
	} else {
		snprintf(root_name, sizeof(root_name), "%s-root", a->name);
		if (input_read(a->cert, &in, &len) != 0 || input_read(a->root_cert, &in2, &len2) != 0)
			goto out;
		if ((err = cer_import_successor(env, a->name, a->key, in, len, in2, len2, root_name, a->succeeds, &ir,
		    e)) == PECHAT_OK) {
			printf("issuer %s (issuing, key %s, certificate serial %s) imported under root %s (serial %s, "
			    "key offline%s) (audited)\n", a->name, a->key, ir.serial, ir.root_name, ir.root_serial,
			    ir.root_added ? "" : ", already in the store");
			if (a->succeeds != NULL)
				printf("  %s succeeds %s: after a restart pechatd sends new requests to %s; %s keeps signing "
				    "CRLs and OCSP answers for its certificates\n", a->name, a->succeeds, a->name, a->succeeds);
		}
	}
	if (err != PECHAT_OK) {
		fprintf(stderr, "pechat: ceremony %s refused: %s (%s)\n", verb, e->detail, e->code);
		rc = err == PECHAT_E_INVALID ? 2 : 1;
	} else if (strcmp(verb, "keygen") == 0 || strcmp(verb, "import") == 0)
		rc = 0;
out:
	free(in);
	free(in2);
	X509_free(cert);
	X509_REQ_free(req);
	BIO_free(bio);
	return rc;
}

int
pechat_ceremony_keys_main(int argc, char **argv)
{
	static const struct { const char *verb, *need; } verbs[] = {
		{ "keygen", "ka" }, { "root", "nksdo" }, { "csr", "kso" }, { "sign", "rqdo" }, { "import", "nkCR" },
		{ "revoke", "rS" }, { "crl", "rdo" }, { "import-crl", "rL" },
	};
	struct pechat_config *conf = NULL;
	struct pechat_error e;
	struct keys_args a;
	struct cer_env env;
	struct db *db = NULL;
	char actor[64], base[512];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[i].verb, argv[1]) != 0; i++)
		;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return -1;
	if ((rc = keys_parse(argc - 1, argv + 1, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = keys_require(&a, verbs[i].verb, verbs[i].need)) != 0 || (rc = out_free(a.out)) != 0)
		return rc;
	if ((rc = keys_open(&a, &conf, &db, &env, actor, sizeof(actor), base, sizeof(base))) != 0)
		goto out;
	pechat_error_clear(&e);
	rc = keys_run(verbs[i].verb, &a, &env, &e);
out:
	db_close(db);
	pechat_config_free(conf);
	return rc;
}
