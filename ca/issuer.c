/*
 * ca/issuer.c — the struct ca: issuers loaded from the store with their
 * keys, profiles, chains, key readiness.
 */
#include "ca_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

void
ca_issuer_clear(struct ca_issuer *is)
{
	if (is == NULL)
		return;
	X509_free(is->cert);
	hsm_key_free(is->key);
	memset(is, 0, sizeof(*is));
}

struct ca_issuer *
ca_issuer_find(const struct ca *ca, const char *name)
{
	int i;

	if (ca == NULL || name == NULL)
		return NULL;
	for (i = 0; i < ca->n_issuers; i++)
		if (strcmp(ca->issuers[i].name, name) == 0)
			return &ca->issuers[i];
	return NULL;
}

/* 1 if the last status event of the certificate `serial` is a revocation (ceremony). */
static int
cert_revoked(struct db *db, const char *serial)
{
	enum ca_cert_state st;

	return ca_serial_status(db, serial, -1, 0, 0, &st, NULL, NULL) == PECHAT_OK && st == CA_STATE_REVOKED;
}

/* 1 if the daemon may run without this issuer's key (every issuer but the operators CA). */
static int
key_optional(const struct db_issuer *row)
{
	return strcmp(row->kind, "operators") != 0;
}

/* Writes "key REF does not match certificate SUBJECT serial HEX" into buf. */
static void
key_mismatch(const struct db_issuer *row, X509 *cert, const char *serial, char *buf, size_t bufsz)
{
	char subject[256] = "?";
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	if (bio != NULL && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, subject, (int)sizeof(subject) - 1)) > 0)
		subject[n] = '\0';
	BIO_free(bio);
	ERR_clear_error();
	snprintf(buf, bufsz, "key %s does not match certificate %s serial %s", row->key_ref, subject, serial);
}

/* The state GET /api/v1/keys shows for a key that could not be opened: a refused login, or unavailable. */
static void
key_state_set(struct ca_issuer *out, const struct pechat_error *e)
{
	int login = e != NULL && (strstr(e->detail, "wrong PIN") != NULL || strstr(e->detail, "login failed") != NULL ||
	    strstr(e->detail, "factory default") != NULL);

	pechat_strlcpy(out->key_state, login ? "login_failed" : "unavailable", sizeof(out->key_state));
}

/*
 * See ca_int.h. The certificate comes from the store (DER, no trailing
 * bytes); the key from hsm/ by key_ref; RFC 5280 needs nothing here, but a
 * key that does not match its certificate would sign garbage: refused.
 */
enum pechat_err
ca_issuer_load(struct db *db, const char *name, struct ca_issuer *out, struct pechat_error *e)
{
	struct db_issuer row;
	const unsigned char *p;
	X509 *cert = NULL;
	struct hsm_key *key = NULL;
	enum pechat_err rc;

	memset(&row, 0, sizeof(row));
	memset(out, 0, sizeof(*out));
	if ((rc = db_issuer_get(db, name, &row, e)) != PECHAT_OK) {
		log_err("ca: issuer %s: not in the store (%s)", name, pechat_err_name(rc));
		if (rc == PECHAT_E_NOT_FOUND)
			rc = pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_missing",
			    "issuer %s is not initialised", name);
		goto out;
	}
	p = row.cert_der;
	if (row.cert_der == NULL || (cert = d2i_X509(NULL, &p, (long)row.cert_len)) == NULL ||
	    p != row.cert_der + row.cert_len) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: issuer certificate");
		log_err("ca: issuer %s: stored certificate does not parse", name);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "issuer_corrupt", "issuer %s is corrupt", name);
		goto out;
	}
	if (ca_cert_serial_hex(cert, out->serial, sizeof(out->serial)) != 0) {
		log_err("ca: issuer %s: serial does not convert", name);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "issuer_corrupt", "issuer %s is corrupt", name);
		goto out;
	}
	pechat_strlcpy(out->key_ref, row.key_ref, sizeof(out->key_ref));
	if (hsm_key_ref_offline(row.key_ref)) {
		log_info("ca: issuer %s: key %s is kept offline; it signs nothing here", name, row.key_ref);
		pechat_strlcpy(out->key_state, "offline", sizeof(out->key_state));
	} else if ((rc = hsm_key_open(row.key_ref, &key, e)) != PECHAT_OK) {
		key_state_set(out, e);
		if (!cert_revoked(db, out->serial)) {
			log_err("ca: issuer %s: key %s cannot be opened: %s", name, row.key_ref, e != NULL ? e->detail : "");
			if (!key_optional(&row))
				goto out;
			snprintf(out->key_problem, sizeof(out->key_problem), "key %s unavailable: %s", row.key_ref,
			    e != NULL && e->detail[0] != '\0' ? e->detail : "cannot be opened");
			log_err("ca: issuer %s: loaded without its key: it signs nothing until the key is fixed and "
			    "pechatd restarted", name);
		} else {
			/* a revoked issuer signs nothing: its key may be gone (that may be why it was revoked) */
			log_warn("ca: issuer %s: key %s cannot be opened; its certificate is revoked: loaded without a key",
			    name, row.key_ref);
		}
		pechat_error_clear(e);
	}
	if (key != NULL && EVP_PKEY_eq(X509_get0_pubkey(cert), hsm_key_public(key)) != 1) {
		ERR_clear_error();
		key_mismatch(&row, cert, out->serial, out->key_problem, sizeof(out->key_problem));
		pechat_strlcpy(out->key_state, "mismatch", sizeof(out->key_state));
		log_err("ca: issuer %s: %s", name, out->key_problem);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "issuer_key_mismatch", "issuer %s: %s", name, out->key_problem);
		if (!key_optional(&row))
			goto out;
		log_err("ca: issuer %s: loaded without its key: it signs nothing until the key is fixed and "
		    "pechatd restarted", name);
		pechat_error_clear(e);
		hsm_key_free(key);
		key = NULL;
	}
	if (ca_asn1_time_to_time(X509_get0_notBefore(cert), &out->not_before) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notAfter(cert), &out->not_after) != 0) {
		log_err("ca: issuer %s: validity does not parse", name);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "issuer_corrupt", "issuer %s is corrupt", name);
		goto out;
	}
	atomic_init(&out->standing, CA_STANDING_OK);
	atomic_init(&out->standing_from, -1);
	pechat_strlcpy(out->name, row.name, sizeof(out->name));
	pechat_strlcpy(out->kind, row.kind, sizeof(out->kind));
	pechat_strlcpy(out->parent, row.parent, sizeof(out->parent));
	out->offline = hsm_key_ref_offline(row.key_ref);
	out->cert = cert;
	out->key = key;
	cert = NULL;
	key = NULL;
	rc = PECHAT_OK;
out:
	X509_free(cert);
	hsm_key_free(key);
	db_issuer_free_fields(&row);
	return rc;
}

/* The command that completes the store for this config: "pechat init [--config FILE]". */
static void
init_command(const struct ca_conf *conf, char *buf, size_t bufsz)
{
	if (strcmp(conf->source, "(defaults)") == 0)
		snprintf(buf, bufsz, "pechat init");
	else
		snprintf(buf, bufsz, "pechat init --config %s", conf->source);
}

/* Loads `name` into the next free slot; a missing one names the command that adds it. */
static enum pechat_err
ca_load_one(struct ca *ca, struct db *db, const char *name, struct pechat_error *e)
{
	char cmd[PECHAT_PATH_MAX + 32];
	enum pechat_err rc;

	if (ca_issuer_find(ca, name) != NULL)
		return PECHAT_OK;
	if ((rc = ca_issuer_load(db, name, &ca->issuers[ca->n_issuers], e)) != PECHAT_OK) {
		if (rc == PECHAT_E_NOT_FOUND) {
			init_command(ca->conf, cmd, sizeof(cmd));
			pechat_fail(e, rc, "issuer_missing", "issuer %s is not initialised: run `%s` (it adds "
			    "what the config names and keeps what exists)", name, cmd);
		}
		return rc;
	}
	ca->n_issuers++;
	return PECHAT_OK;
}

/*
 * Loads every successor of the configured issuer `name` (already loaded)
 * with its parent, and links the generations (predecessor / successor).
 */
static enum pechat_err
ca_load_generations(struct ca *ca, struct db *db, const char *name, struct pechat_error *e)
{
	struct ca_issuer *prev, *next;
	char cur[64], succ[64];
	enum pechat_err rc;
	int depth;

	pechat_strlcpy(cur, name, sizeof(cur));
	for (depth = 0; depth < CA_MAX_GENERATIONS; depth++) {
		if ((rc = db_issuer_successor(db, cur, succ, sizeof(succ), e)) == PECHAT_E_NOT_FOUND) {
			pechat_error_clear(e);
			return PECHAT_OK;
		}
		if (rc != PECHAT_OK || (rc = ca_load_one(ca, db, succ, e)) != PECHAT_OK)
			return rc;
		/* slots never move (ca_new sizes the array for every stored issuer) */
		next = ca_issuer_find(ca, succ);
		prev = ca_issuer_find(ca, cur);
		if (next->parent[0] != '\0' && (rc = ca_load_one(ca, db, next->parent, e)) != PECHAT_OK)
			return rc;
		pechat_strlcpy(prev->successor, succ, sizeof(prev->successor));
		pechat_strlcpy(next->predecessor, cur, sizeof(next->predecessor));
		log_info("ca: issuer %s: generation %d is %s (new requests go to the newest)", name, depth + 2, succ);
		pechat_strlcpy(cur, succ, sizeof(cur));
	}
	return pechat_fail(e, PECHAT_E_INTERNAL, "issuer_corrupt", "issuer %s has more than %d generations", name,
	    CA_MAX_GENERATIONS);
}

/* See ca.h. */
enum pechat_err
ca_new(const struct ca_conf *conf, struct db *db, const struct pechat_clock *clock,
    struct ca **out, struct pechat_error *e)
{
	struct ca *ca = NULL;
	char root[80];
	int count = 0, i;
	enum pechat_err rc;

	*out = NULL;
	if (hsm_global_init() != 0 || ca_oids_init() != 0) {
		log_err("ca: OpenSSL initialisation failed");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
		goto out;
	}
	if ((rc = db_issuer_count(db, &count, e)) != PECHAT_OK)
		goto out;
	if (count == 0) {
		char cmd[PECHAT_PATH_MAX + 32];

		init_command(conf, cmd, sizeof(cmd));
		rc = pechat_fail(e, PECHAT_E_NOT_FOUND, "store_not_initialised",
		    "the store has no issuers: run `%s`", cmd);
		goto out;
	}
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->issuers = calloc((size_t)count + 1, sizeof(*ca->issuers))) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	ca->conf = conf;
	ca->clock = clock;
	pthread_mutex_init(&ca->standing_lock, NULL);
	ca->standing_lock_init = 1;
	atomic_init(&ca->standing_seen, -1);
	if ((rc = ca_load_one(ca, db, CA_OPERATORS_ISSUER, e)) != PECHAT_OK)
		goto out;
	for (i = 0; i < conf->n_issuers; i++) {
		snprintf(root, sizeof(root), "%s-root", conf->issuers[i].name);
		if ((rc = ca_load_one(ca, db, root, e)) != PECHAT_OK ||
		    (rc = ca_load_one(ca, db, conf->issuers[i].name, e)) != PECHAT_OK ||
		    (rc = ca_load_generations(ca, db, conf->issuers[i].name, e)) != PECHAT_OK)
			goto out;
	}
	/* an issuer whose certificate is revoked or on hold is loaded (it is still served) but signs nothing */
	if ((rc = ca_standing_refresh(ca, db, NULL, e)) != PECHAT_OK)
		goto out;
	*out = ca;
	ca = NULL;
out:
	ca_free(ca);
	return rc;
}

void
ca_free(struct ca *ca)
{
	int i;

	if (ca == NULL)
		return;
	for (i = 0; i < ca->n_issuers; i++)
		ca_issuer_clear(&ca->issuers[i]);
	if (ca->standing_lock_init)
		pthread_mutex_destroy(&ca->standing_lock);
	free(ca->issuers);
	free(ca);
}

const struct pechat_profile_conf *
ca_profile_find(const struct ca *ca, const char *name)
{
	int i;

	if (ca == NULL || name == NULL)
		return NULL;
	for (i = 0; i < ca->conf->n_profiles; i++)
		if (strcmp(ca->conf->profiles[i].name, name) == 0)
			return &ca->conf->profiles[i];
	return NULL;
}

void
ca_profile_names(const struct ca *ca, char *buf, size_t bufsz)
{
	size_t n;
	int i;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (i = 0; ca != NULL && i < ca->conf->n_profiles; i++) {
		n = strlen(buf);
		if (n + strlen(ca->conf->profiles[i].name) + 3 >= bufsz) {
			pechat_strlcpy(buf + n, n > 0 ? ", ..." : "...", bufsz - n);
			return;
		}
		snprintf(buf + n, bufsz - n, "%s%s", n > 0 ? ", " : "", ca->conf->profiles[i].name);
	}
}

X509 *
ca_issuer_get0_cert(const struct ca *ca, const char *name)
{
	struct ca_issuer *is = ca_issuer_find(ca, name);

	return is != NULL ? is->cert : NULL;
}

/* See ca.h: issuer first, then each parent up to the self-signed root (RFC 8446 §4.4.2 order). */
enum pechat_err
ca_issuer_chain_pem(const struct ca *ca, const char *name, char **pem, size_t *len,
    struct pechat_error *e)
{
	struct ca_issuer *is = ca_issuer_find(ca, name);
	BIO *bio = NULL;
	char *data;
	long n;
	int depth;
	enum pechat_err rc;

	*pem = NULL;
	*len = 0;
	if (is == NULL)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "unknown issuer");
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	for (depth = 0; is != NULL && depth < 8; depth++) {
		if (PEM_write_bio_X509(bio, is->cert) != 1) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: chain PEM");
			rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "chain cannot be encoded");
			goto out;
		}
		is = is->parent[0] != '\0' ? ca_issuer_find(ca, is->parent) : NULL;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || (*pem = malloc((size_t)n + 1)) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	rc = PECHAT_OK;
out:
	BIO_free(bio);
	return rc;
}

/* See ca.h: a real test signature with every issuer key (hsm_key_status). */
enum pechat_err
ca_keys_ready(const struct ca *ca, struct pechat_error *e)
{
	struct pechat_error ke;
	char detail[1024], ref[256];
	size_t used = 0;
	enum pechat_err rc, first = PECHAT_OK;
	int i, n;

	if (ca == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "no CA");
	detail[0] = '\0';
	for (i = 0; i < ca->n_issuers; i++) {
		if (ca->issuers[i].key == NULL)
			continue;       /* loaded without its key: it signs nothing (ca_standing_ready names it) */
		pechat_error_clear(&ke);
		if ((rc = hsm_key_status(ca->issuers[i].key, &ke)) == PECHAT_OK)
			continue;
		log_err("ca: issuer %s: key not ready: %s", ca->issuers[i].name, ke.detail);
		if (first == PECHAT_OK)
			first = rc;
		/* each key named (secrets' locations redacted) with why: "token absent (reader ...)" */
		hsm_key_ref_redact(ca->issuers[i].key_ref, ref, sizeof(ref));
		n = snprintf(detail + used, sizeof(detail) - used, "%sissuer %s: key %s: %s", used > 0 ? "; " : "",
		    ca->issuers[i].name, ref, ke.detail);
		if (n > 0 && (size_t)n < sizeof(detail) - used)
			used += (size_t)n;
	}
	if (first != PECHAT_OK)
		return pechat_fail(e, first, "key_unavailable", "%s", detail);
	return PECHAT_OK;
}

int
ca_issuer_at(const struct ca *ca, int i, struct ca_issuer_view *out)
{
	const struct ca_issuer *is;

	if (ca == NULL || i < 0 || i >= ca->n_issuers)
		return -1;
	is = &ca->issuers[i];
	out->name = is->name;
	out->kind = is->kind;
	out->parent = is->parent;
	out->cert = is->cert;
	out->not_before = is->not_before;
	out->not_after = is->not_after;
	out->predecessor = is->predecessor;
	out->successor = is->successor;
	return 0;
}

enum pechat_err
ca_issuer_key_ready(const struct ca *ca, const char *name, struct pechat_error *e)
{
	struct ca_issuer *is = ca_issuer_find(ca, name);

	if (is == NULL)
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "unknown issuer");
	if (is->key == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "issuer %s: %s", is->name,
		    is->key_problem[0] != '\0' ? is->key_problem : "no key loaded");
	return hsm_key_status(is->key, e);
}

time_t
ca_now(const struct ca *ca)
{
	return pechat_clock_now(ca->clock);
}
