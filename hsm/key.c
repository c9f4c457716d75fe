/*
 * hsm/key.c — file keys ("file:<path>"): open, generate, sign, status,
 * PKCS#12 export; gost-engine loading.
 *
 * The ENGINE API is deprecated in OpenSSL 3.0 but it is the only way to get
 * GOST R 34.10-2012 signatures there (gost-engine's provider has none), so
 * this file, and only this file, suppresses the deprecation attributes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "hsm_int.h"
#include "common/profile.h"
#include "p11.h"
#include "presence.h"
#include "secret.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define HSM_KEY_FILE_MAX (1024 * 1024)

#define STATUS_TRUST_S 5        /* how long one good test signature answers hsm_key_status */

/* Monotonic seconds (a wall-clock step never extends the trust window). */
static long long
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static CRYPTO_ONCE engine_once = CRYPTO_ONCE_STATIC_INIT;
static int gost_available;  /* the engine is the default for GOST methods */

/*
 * Installs hsm_gost_item_sign (hsm/sign.c) on the engine's GOST R 34.10-2012
 * 256 and 512 ASN.1 methods (gost-engine sets no item functions of its own):
 * signature AlgorithmIdentifiers without parameters. The methods belong to
 * the engine and live as long as it is loaded (until OPENSSL_cleanup).
 * 0, or -1 if the engine has no such method.
 */
static int
gost_sigalg_install(ENGINE *e)
{
	static const int nids[] = { NID_id_GostR3410_2012_256, NID_id_GostR3410_2012_512 };
	ENGINE_PKEY_ASN1_METHS_PTR meths = ENGINE_get_pkey_asn1_meths(e);
	EVP_PKEY_ASN1_METHOD *m;
	size_t i;

	/* the engine's own lookup hands out its (mutable) methods; ENGINE_get_pkey_asn1_meth is const */
	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
		m = NULL;
		if (meths == NULL || meths(e, &m, NULL, nids[i]) != 1 || m == NULL)
			return -1;
		EVP_PKEY_asn1_set_item(m, NULL, hsm_gost_item_sign);
	}
	return 0;
}

/*
 * Loads gost-engine (dynamic, from ENGINESDIR) and makes it the default for
 * the methods it has (GOST pkey/asn1 methods, Streebog digests, ciphers).
 * Absence is not an error: GOST then answers "algorithm_unavailable".
 */
static void
engine_load(void)
{
	ENGINE *e;

	ENGINE_load_builtin_engines();
	if ((e = ENGINE_by_id("gost")) == NULL) {
		ERR_clear_error();
		log_info("hsm: gost engine not available; GOST algorithms disabled");
		return;
	}
	if (ENGINE_init(e) != 1) {
		pechat_log_openssl(PECHAT_LOG_WARN, "hsm: ENGINE_init(gost)");
		ENGINE_free(e);
		return;
	}
	if (ENGINE_set_default(e, ENGINE_METHOD_ALL) != 1) {
		pechat_log_openssl(PECHAT_LOG_WARN, "hsm: ENGINE_set_default(gost)");
		ENGINE_finish(e);
		ENGINE_free(e);
		return;
	}
	if (gost_sigalg_install(e) != 0) {
		pechat_log_openssl(PECHAT_LOG_WARN, "hsm: gost engine has no GOST 2012 ASN.1 method; GOST disabled");
		ENGINE_finish(e);
		ENGINE_free(e);
		return;
	}
	/* the method tables now hold their own references until OPENSSL_cleanup */
	ENGINE_finish(e);
	ENGINE_free(e);
	gost_available = 1;
}

int
hsm_global_init(void)
{
	if (CRYPTO_THREAD_run_once(&engine_once, engine_load) != 1)
		return -1;
	return 0;
}

/* See hsm.h. */
const char *
hsm_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

/* See hsm.h: ENGINE_get_id/ENGINE_get_name of the loaded engine and the directory it came from. */
void
hsm_gost_engine_describe(char *buf, size_t bufsz)
{
	ENGINE *e = NULL;

	if (hsm_global_init() != 0 || !gost_available || (e = ENGINE_by_id("gost")) == NULL) {
		ERR_clear_error();
		snprintf(buf, bufsz, "not available");
		return;
	}
	snprintf(buf, bufsz, "%s: %s (%s; the engine reports no version)", ENGINE_get_id(e),
	    ENGINE_get_name(e) != NULL ? ENGINE_get_name(e) : "no name", OpenSSL_version(OPENSSL_ENGINES_DIR));
	ENGINE_free(e);
}

#define PASS_MAX 1024   /* passphrase bytes, newline excluded; buffers are PASS_MAX + 4 so that a longer one is seen */
#define PASS_SOURCE "?passphrase-source="

/* A parsed "file:PATH[?passphrase-source=file:/abs|env:PECHAT_PASS_NAME]" reference. */
struct file_ref {
	char path[4096];
	char pass_file[P11_PATH_MAX + 1];       /* "" if env or none */
	char pass_env[P11_LABEL_MAX + 1];       /* "" if file or none */
	int has_pass;
};

/*
 * Parses a "file:" key_ref into *f. 0; 1 for another scheme; -1 for a
 * file: reference with a bad passphrase-source (why says so).
 */
static int
file_ref_parse(const char *key_ref, struct file_ref *f, char *why, size_t whysz)
{
	const char *q;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (key_ref == NULL || strncmp(key_ref, "file:", 5) != 0 || key_ref[5] == '\0')
		return 1;
	q = strstr(key_ref + 5, PASS_SOURCE);
	n = q != NULL ? (size_t)(q - key_ref - 5) : strlen(key_ref + 5);
	if (n == 0 || n >= sizeof(f->path)) {
		snprintf(why, whysz, "key path empty or too long");
		return -1;
	}
	memcpy(f->path, key_ref + 5, n);
	f->path[n] = '\0';
	if (q == NULL)
		return 0;
	if (secret_source_parse(q + strlen(PASS_SOURCE), "PECHAT_PASS_", f->pass_file, sizeof(f->pass_file),
	    f->pass_env, sizeof(f->pass_env)) != 0) {
		snprintf(why, whysz, "passphrase-source: value not accepted "
		    "(file:/absolute/path or env:PECHAT_PASS_NAME)");
		return -1;
	}
	f->has_pass = 1;
	return 0;
}

/* Path part of a "file:" key_ref (into buf), or NULL for other schemes or a bad reference. */
static const char *
ref_path(const char *key_ref, struct file_ref *f)
{
	char why[160];

	return file_ref_parse(key_ref, f, why, sizeof(why)) == 0 ? f->path : NULL;
}

/*
 * The passphrase a file reference names into pass[passsz] (1..PASS_MAX
 * bytes). 0, or -1 with why naming the file or variable (never the secret).
 */
static int
pass_read(const struct file_ref *f, char *pass, size_t passsz, char *why, size_t whysz)
{
	if (secret_read(f->pass_file, f->pass_env, "passphrase", pass, passsz, why, whysz) != 0)
		return -1;
	if (strlen(pass) > PASS_MAX) {
		OPENSSL_cleanse(pass, passsz);
		snprintf(why, whysz, "passphrase from %.256s longer than %d bytes",
		    f->pass_file[0] != '\0' ? f->pass_file : f->pass_env, PASS_MAX);
		return -1;
	}
	return 0;
}

/* pem_password_cb: copies the passphrase u (NULL: none, so never a terminal prompt). */
static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n;

	(void)rwflag;
	if (u == NULL || size <= 0 || (n = strlen(u)) >= (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

/* 1 if the PEM text is an encrypted private key (PKCS#8 or legacy Proc-Type). */
static int
pem_is_encrypted(const unsigned char *buf, size_t len)
{
	static const char *const marks[] = { "-----BEGIN ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED" };
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(buf, len, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return 0;
}

/* Public-only copy of pkey through SubjectPublicKeyInfo DER (works for engine keys too). */
static EVP_PKEY *
public_copy(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int len;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	if (pub != NULL && p != der + len) {
		EVP_PKEY_free(pub);
		pub = NULL;
	}
	OPENSSL_free(der);
	return pub;
}

/* See hsm_int.h. */
enum pechat_err
hsm_key_wrap(const char *key_ref, EVP_PKEY *priv, struct hsm_key **out, struct pechat_error *e)
{
	struct hsm_key *k = NULL;

	if ((k = calloc(1, sizeof(*k))) == NULL || (k->ref = strdup(key_ref)) == NULL) {
		free(k);
		EVP_PKEY_free(priv);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	k->priv = priv;
	if ((k->pub = public_copy(priv)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: public key copy");
		hsm_key_free(k);
		return pechat_fail(e, PECHAT_E_INTERNAL, "key_unavailable", "key cannot be used");
	}
	k->md = hsm_digest_for_key(k->pub);
	k->can_sign = k->md != NULL || EVP_PKEY_get_base_id(k->pub) == EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_base_id(k->pub) == EVP_PKEY_ED448;
	*out = k;
	return PECHAT_OK;
}

/* Opens a "pkcs11:" key (hsm/p11.c); UNAVAILABLE "key_unavailable" naming the reason. */
static enum pechat_err
p11_open(const char *key_ref, struct hsm_key **out, struct pechat_error *e)
{
	struct p11_uri u;
	char why[320];
	EVP_PKEY *priv = NULL;
	enum pechat_err rc;

	if (p11_uri_parse(key_ref, &u, why, sizeof(why)) != 0) {
		log_err("hsm: pkcs11 key reference refused: %s", why);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key reference refused: %s", why);
	}
	if (u.reader[0] != '\0')
		presence_watch(u.reader);       /* followed from now on, even if the key cannot be opened */
	if ((rc = p11_key_open(&u, &priv, e)) != PECHAT_OK)
		return rc;
	if ((rc = hsm_key_wrap(key_ref, priv, out, e)) != PECHAT_OK)
		return rc;
	pechat_strlcpy((*out)->token, u.token, sizeof((*out)->token));
	pechat_strlcpy((*out)->reader, u.reader, sizeof((*out)->reader));
	return PECHAT_OK;
}

/*
 * Decodes the PEM in buf as the private key of file reference f: an
 * encrypted key needs a passphrase source, a plain key must have none.
 * *pkey owned by the caller. UNAVAILABLE "key_unavailable" with the reason.
 */
static enum pechat_err
file_key_decode(const struct file_ref *f, const unsigned char *buf, size_t len, EVP_PKEY **pkey,
    struct pechat_error *e)
{
	char pass[PASS_MAX + 4], why[512];
	int enc = pem_is_encrypted(buf, len);
	BIO *bio = NULL;
	enum pechat_err rc;

	pass[0] = '\0';
	if (enc && !f->has_pass) {
		log_err("hsm: key %s is encrypted: give passphrase-source=file:PATH or env:PECHAT_PASS_NAME", f->path);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key %.256s is encrypted: "
		    "give passphrase-source=file:PATH or env:PECHAT_PASS_NAME", f->path);
		goto out;
	}
	if (!enc && f->has_pass) {
		log_err("hsm: key %s is not encrypted but has a passphrase-source; refused "
		    "(encrypt it or remove passphrase-source)", f->path);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key %.256s is not encrypted: "
		    "remove passphrase-source (or encrypt the key)", f->path);
		goto out;
	}
	if (enc && pass_read(f, pass, sizeof(pass), why, sizeof(why)) != 0) {
		log_err("hsm: key %s: %s", f->path, why);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "%s", why);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((*pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, enc ? pass : NULL)) == NULL) {
		if (enc) {
			ERR_clear_error();      /* nothing about the passphrase reaches the log */
			log_err("hsm: key %s: wrong passphrase (or a damaged key file)", f->path);
			rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key %.256s: wrong passphrase",
			    f->path);
			goto out;
		}
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: cannot decode private key");
		log_err("hsm: %s: not a usable private key", f->path);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key cannot be decoded");
		goto out;
	}
	rc = PECHAT_OK;
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	BIO_free(bio);
	return rc;
}

/*
 * Opens a "file:" key: a PEM private key (PKCS#8, encrypted PKCS#8 with a
 * passphrase-source, or traditional), read with PEM_read_bio_PrivateKey
 * (OSSL_DECODER, with the legacy fallback that engine key types need).
 * UNAVAILABLE "key_unavailable" on any failure.
 */
enum pechat_err
hsm_key_open(const char *key_ref, struct hsm_key **out, struct pechat_error *e)
{
	struct file_ref f;
	char why[256];
	unsigned char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	enum pechat_err rc;
	int r;

	*out = NULL;
	hsm_global_init();
	if (key_ref != NULL && strncmp(key_ref, "pkcs11:", 7) == 0)
		return p11_open(key_ref, out, e);
	if (key_ref != NULL && strncmp(key_ref, "engine:", 7) == 0)
		return hsm_engine_key_open(key_ref, out, e);
	if (hsm_key_ref_offline(key_ref)) {
		log_err("hsm: key %s is kept offline; it is never opened here", key_ref);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_offline", "key %s is kept offline", key_ref);
	}
	if ((r = file_ref_parse(key_ref, &f, why, sizeof(why))) != 0) {
		log_err("hsm: unsupported key reference \"%s\"%s%s", key_ref != NULL ? key_ref : "",
		    r < 0 ? ": " : "", r < 0 ? why : "");
		rc = r < 0 ? pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key reference refused: %s", why) :
		    pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key reference not supported");
		goto out;
	}
	if (pechat_file_read(f.path, HSM_KEY_FILE_MAX, &buf, &len) != 0) {
		log_err("hsm: %s: %s", f.path, strerror(errno));
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key cannot be read");
		goto out;
	}
	if ((rc = file_key_decode(&f, buf, len, &pkey, e)) != PECHAT_OK)
		goto out;
	rc = hsm_key_wrap(key_ref, pkey, out, e);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

/* mkdir -p for the parent of path, new directories 0700. 0 or -1. */
static int
mkdir_parent(const char *path)
{
	char dir[4096];
	char *p;

	if (pechat_strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -1;
	if ((p = strrchr(dir, '/')) == NULL)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (dir[0] != '\0' && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * GOST key through the engine's pkey method on a parameter set (gost-engine's
 * "paramset" name, common/profile.h); NULL if the engine is absent.
 */
static EVP_PKEY *
gost_keygen(int nid, const char *paramset)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!gost_available)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_id(nid, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_ctrl_str(ctx, "paramset", paramset) <= 0 ||
	    EVP_PKEY_keygen(ctx, &pkey) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/*
 * "gost2012-256" / "gost2012-512", optionally ":<parameter set>" (a config
 * name of common/profile.h of that size): the key; *known = 0 for another
 * name. Without a set: CryptoPro A for 256 (gost-engine's "A", as before
 * parameter sets were configurable), tc26 A for 512.
 */
static EVP_PKEY *
gost_keygen_named(const char *alg, int *known)
{
	const struct pechat_gost_paramset_info *ps = NULL;
	int keyalg, nid;

	if (strncmp(alg, "gost2012-256", 12) == 0) {
		keyalg = PECHAT_KEYALG_GOST2012_256;
		nid = NID_id_GostR3410_2012_256;
	} else if (strncmp(alg, "gost2012-512", 12) == 0) {
		keyalg = PECHAT_KEYALG_GOST2012_512;
		nid = NID_id_GostR3410_2012_512;
	} else {
		*known = 0;
		return NULL;
	}
	if (alg[12] == ':' && ((ps = pechat_gost_paramset_by_name(alg + 13)) == NULL || ps->keyalg != keyalg)) {
		*known = 0;
		return NULL;
	}
	if (alg[12] != ':' && alg[12] != '\0') {
		*known = 0;
		return NULL;
	}
	return gost_keygen(nid, ps != NULL ? ps->engine : "A");
}

/* A new key for an algorithm name (see hsm.h); *known = 0 for an unknown name. */
static EVP_PKEY *
keygen(const char *alg, int *known)
{
	long bits;
	char *end;

	*known = 1;
	if (strcmp(alg, "ec-p256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(alg, "ec-p384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (strcmp(alg, "ec-p521") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	if (strcmp(alg, "ed25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strncmp(alg, "gost2012-", 9) == 0)
		return gost_keygen_named(alg, known);
	if (strncmp(alg, "rsa-", 4) == 0) {
		errno = 0;
		bits = strtol(alg + 4, &end, 10);
		if (errno == 0 && *end == '\0' && bits >= 2048 && bits <= 16384 && bits % 8 == 0)
			return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	}
	*known = 0;
	return NULL;
}

/*
 * Generates a key and writes it as PKCS#8 PEM (0600; parent directories
 * created 0700) with an exclusive write: an existing file is never replaced
 * (CONFLICT "key_exists"). *out may be NULL when the caller only wants the file.
 */
enum pechat_err
hsm_key_generate(const char *key_ref, const char *algorithm, struct hsm_key **out,
    struct pechat_error *e)
{
	struct file_ref f;
	const char *path;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem = NULL, pass[PASS_MAX + 4], why[512];
	long pemlen = 0;
	struct stat st;
	int known;
	enum pechat_err rc;

	pass[0] = '\0';
	if (out != NULL)
		*out = NULL;
	hsm_global_init();
	if ((path = ref_path(key_ref, &f)) == NULL) {
		log_err("hsm: cannot generate keys at \"%s\"", key_ref != NULL ? key_ref : "");
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key reference not supported");
		goto out;
	}
	if (stat(path, &st) == 0) {
		log_err("hsm: %s exists; keys are never overwritten", path);
		rc = pechat_fail(e, PECHAT_E_CONFLICT, "key_exists", "key file exists");
		goto out;
	}
	if (f.has_pass && pass_read(&f, pass, sizeof(pass), why, sizeof(why)) != 0) {
		log_err("hsm: key %s: %s", path, why);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "%s", why);
		goto out;
	}
	if ((pkey = keygen(algorithm != NULL ? algorithm : "", &known)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: key generation");
		log_err("hsm: cannot generate a \"%s\" key", algorithm != NULL ? algorithm : "");
		rc = known ? pechat_fail(e, PECHAT_E_UNAVAILABLE, "algorithm_unavailable",
		    "algorithm %s is not available", algorithm) :
		    pechat_fail(e, PECHAT_E_INVALID, "algorithm_unknown", "unknown key algorithm");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(bio, pkey, f.has_pass ? EVP_aes_256_cbc() : NULL,
	    f.has_pass ? pass : NULL, f.has_pass ? (int)strlen(pass) : 0, NULL, NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: PKCS#8 encoding");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "key_write_failed", "key cannot be encoded");
		goto out;
	}
	if (mkdir_parent(path) != 0 || pechat_file_write(path, pem, (size_t)pemlen, 0600, PECHAT_FILE_EXCLUSIVE) != 0) {
		int saved = errno;

		log_err("hsm: %s: %s", path, strerror(saved));
		rc = saved == EEXIST ?
		    pechat_fail(e, PECHAT_E_CONFLICT, "key_exists", "key file exists") :
		    pechat_fail(e, PECHAT_E_INTERNAL, "key_write_failed", "key cannot be written");
		goto out;
	}
	log_info("hsm: generated %s key %s%s", algorithm, path, f.has_pass ? " (encrypted)" : "");
	rc = PECHAT_OK;
	if (out != NULL) {
		rc = hsm_key_wrap(key_ref, pkey, out, e);
		pkey = NULL;
	}
out:
	if (pem != NULL && pemlen > 0)
		OPENSSL_cleanse(pem, (size_t)pemlen);   /* mem BIO data is not NUL-terminated */
	OPENSSL_cleanse(pass, sizeof(pass));
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

EVP_PKEY *
hsm_key_public(const struct hsm_key *key)
{
	return key != NULL ? key->pub : NULL;
}

const char *
hsm_key_ref(const struct hsm_key *key)
{
	return key != NULL ? key->ref : NULL;
}

/*
 * See hsm_int.h: UNAVAILABLE "key_unavailable" naming the reader while the key's token is
 * absent (hsm/presence.c); the trusted good status is forgotten so that
 * the first status after the return makes a real test signature.
 */
enum pechat_err
hsm_key_present_check(struct hsm_key *key, struct pechat_error *e)
{
	char reader[P11_READER_MAX + 1];

	if (hsm_key_presence(key, reader, sizeof(reader)) != HSM_PRESENCE_ABSENT)
		return PECHAT_OK;
	atomic_store(&key->good_until, 0);
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "token absent%s%s%s",
	    reader[0] != '\0' ? " (reader \"" : "", reader, reader[0] != '\0' ? "\")" : "");
}

/*
 * A real test signature with the private key (hsm_sign_data: verified with the public copy);
 * a good one is trusted for STATUS_TRUST_S seconds, so frequent readiness
 * queries (readyz, the issuers list) cost no signatures. Failures are not.
 */
enum pechat_err
hsm_key_status(struct hsm_key *key, struct pechat_error *e)
{
	static const unsigned char probe[] = "pechat hsm status probe";
	unsigned char sig[HSM_SIG_MAX];
	size_t siglen = sizeof(sig);
	enum pechat_err rc;

	if (key == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "no key");
	if ((rc = hsm_key_present_check(key, e)) != PECHAT_OK)
		return rc;
	if (atomic_load(&key->good_until) > mono_s())
		return PECHAT_OK;
	if ((rc = hsm_sign_data(key, probe, sizeof(probe), sig, &siglen, e)) != PECHAT_OK)
		return rc;
	atomic_store(&key->good_until, mono_s() + STATUS_TRUST_S);
	return PECHAT_OK;
}

/* See hsm/key_int.h: for the PKCS#12 export of file keys (hsm/pkcs12.c) only. */
EVP_PKEY *
hsm_key_file_priv_int(const struct hsm_key *key)
{
	if (key == NULL || strncmp(key->ref, "file:", 5) != 0)
		return NULL;
	return key->priv;
}

enum hsm_presence
hsm_key_presence(const struct hsm_key *key, char *reader, size_t readersz)
{
	if (readersz > 0)
		reader[0] = '\0';
	if (key == NULL)
		return HSM_PRESENCE_NONE;
	if (readersz > 0)
		pechat_strlcpy(reader, key->reader, readersz);
	return presence_of(key->ref, key->token, key->reader);
}

const char *
hsm_key_kind(const struct hsm_key *key)
{
	if (key == NULL)
		return "none";
	if (strncmp(key->ref, "pkcs11:", 7) == 0)
		return "pkcs11";
	if (strncmp(key->ref, "engine:", 7) == 0)
		return "engine";
	return "file";
}

time_t
hsm_key_last_signature(const struct hsm_key *key)
{
	return key != NULL ? (time_t)atomic_load(&key->last_sign) : 0;
}

/* Appends s[0..n) to buf at *used (bufsz bytes): what fits; 0, or -1 when cut. */
static int
redact_put(char *buf, size_t bufsz, size_t *used, const char *s, size_t n)
{
	size_t room = bufsz - 1 - *used;
	int cut = n > room;

	if (cut)
		n = room;
	memcpy(buf + *used, s, n);
	*used += n;
	buf[*used] = '\0';
	return cut ? -1 : 0;
}

/* See hsm.h: the reference with each secret source's file path replaced, attribute by attribute. */
void
hsm_key_ref_redact(const char *key_ref, char *buf, size_t bufsz)
{
	static const char *const sources[] = { "pin-source=file:", "passphrase-source=file:" };
	const char *p = key_ref != NULL ? key_ref : "", *end;
	size_t used = 0, i, n;
	int fits = 1;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	while (*p != '\0' && fits) {
		end = p + strcspn(p + 1, "?&;") + 1;    /* one attribute, with its leading separator */
		n = (size_t)(end - p);
		for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
			size_t sl = strlen(sources[i]);
			if (n > sl && strncmp(p + 1, sources[i], sl) == 0) {
				fits = redact_put(buf, bufsz, &used, p, sl + 1) == 0 &&
				    redact_put(buf, bufsz, &used, "(redacted)", 10) == 0;
				break;
			}
		}
		if (i == sizeof(sources) / sizeof(sources[0]))
			fits = redact_put(buf, bufsz, &used, p, n) == 0;
		p = end;
	}
	if (!fits && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);      /* cut: buf is full */
}

/* See hsm.h. */
int
hsm_key_ref_check(const char *key_ref, char *why, size_t whysz)
{
	struct file_ref f;
	struct p11_uri u;
	int r;

	if (key_ref == NULL) {
		snprintf(why, whysz, "no key reference");
		return -1;
	}
	if (strncmp(key_ref, "pkcs11:", 7) == 0)
		return p11_uri_parse(key_ref, &u, why, whysz);
	if (strncmp(key_ref, "engine:", 7) == 0)
		return hsm_engine_ref_check(key_ref, why, whysz);
	if (hsm_key_ref_offline(key_ref))
		return 0;
	if ((r = file_ref_parse(key_ref, &f, why, whysz)) > 0)
		snprintf(why, whysz, "unsupported key reference (file:, pkcs11:, engine: or offline:)");
	return r == 0 ? 0 : -1;
}

void
hsm_key_free(struct hsm_key *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(atomic_load(&key->sign_tmpl));
	EVP_MD_CTX_free(atomic_load(&key->verify_tmpl));
	EVP_PKEY_free(key->priv);
	EVP_PKEY_free(key->pub);
	hsm_engine_release(key->engine);
	free(key->ref);
	free(key);
}
