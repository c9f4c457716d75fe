/*
 * ca/responder.c — delegated OCSP responders (RFC 6960 §4.2.2.2): one
 * short-lived certificate + EC P-256 key per issuer, issued by that issuer
 * through the shared builder (ca_cert_make) and recorded in the store.
 * The key is made through hsm/ where the issuer's is: on the issuer's
 * PKCS#11 token (same module, PIN source and reader; a new object
 * "ocsp-<issuer>-<time>-<hex>", not extractable) when the issuer key is
 * pkcs11:, else a file under <var>/keys/ocsp/ (file: and engine: issuers,
 * GOST included). A rotated-out token key is destroyed at the first renewal
 * after its certificate expired; key files stay (docs/OPERATIONS.md §9).
 * The loaded object is read-only and shared by the signing threads.
 */
#include "ca_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#define RESPONDER_KEY_ALG "ec-p256"
#define RESPONDER_CN_SUFFIX " OCSP Responder"
#define CN_MAX_CHARS 64         /* RFC 5280 Appendix A ub-common-name */
#define KEY_ATTEMPTS 3

struct ca_responder {
	char issuer[64];
	char serial[65];
	X509 *cert;             /* owned */
	struct hsm_key *key;    /* owned */
	time_t not_before;
	time_t not_after;
};

void
ca_responder_free(struct ca_responder *r)
{
	if (r == NULL)
		return;
	X509_free(r->cert);
	hsm_key_free(r->key);
	free(r);
}

time_t
ca_responder_not_before(const struct ca_responder *r)
{
	return r != NULL ? r->not_before : 0;
}

time_t
ca_responder_not_after(const struct ca_responder *r)
{
	return r != NULL ? r->not_after : 0;
}

X509 *
ca_responder_get0_cert(const struct ca_responder *r)
{
	return r != NULL ? r->cert : NULL;
}

const char *
ca_responder_issuer(const struct ca_responder *r)
{
	return r != NULL ? r->issuer : NULL;
}

const char *
ca_responder_serial(const struct ca_responder *r)
{
	return r != NULL ? r->serial : NULL;
}

/* ocsp.c signs with it (ca_int.h). */
struct hsm_key *
ca_responder_key(const struct ca_responder *r)
{
	return r != NULL ? r->key : NULL;
}

/* A responder object from a certificate and key (both stolen on success). */
static enum pechat_err
responder_wrap(const char *issuer, X509 **cert, struct hsm_key **key, struct ca_responder **out,
    struct pechat_error *e)
{
	struct ca_responder *r = NULL;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	if (ca_cert_serial_hex(*cert, r->serial, sizeof(r->serial)) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notBefore(*cert), &r->not_before) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notAfter(*cert), &r->not_after) != 0) {
		log_err("ca: responder of %s: certificate fields do not decode", issuer);
		free(r);
		return pechat_fail(e, PECHAT_E_INTERNAL, "responder_corrupt", "responder is corrupt");
	}
	pechat_strlcpy(r->issuer, issuer, sizeof(r->issuer));
	r->cert = *cert;
	r->key = *key;
	*cert = NULL;
	*key = NULL;
	*out = r;
	return PECHAT_OK;
}

/*
 * The stored responder `row`: certificate from its row (DER, no trailing
 * bytes, signed by the issuer), key through hsm/ and equal to the
 * certificate's. Anything else is our fault (INTERNAL/UNAVAILABLE).
 */
static enum pechat_err
responder_load(struct db *db, const struct ca_issuer *is, const struct db_responder *row,
    struct ca_responder **out, struct pechat_error *e)
{
	struct db_cert cr;
	const unsigned char *p;
	X509 *cert = NULL;
	struct hsm_key *key = NULL;
	enum pechat_err rc;

	*out = NULL;
	memset(&cr, 0, sizeof(cr));
	if ((rc = db_cert_get(db, row->cert_serial, &cr, e)) != PECHAT_OK) {
		log_err("ca: responder %s of %s: certificate row missing (%s)", row->cert_serial, is->name,
		    pechat_err_name(rc));
		if (rc == PECHAT_E_NOT_FOUND)
			rc = pechat_fail(e, PECHAT_E_INTERNAL, "responder_corrupt", "responder is corrupt");
		goto out;
	}
	p = cr.der;
	if (cr.der == NULL || (cert = d2i_X509(NULL, &p, (long)cr.der_len)) == NULL ||
	    p != cr.der + cr.der_len || X509_verify(cert, X509_get0_pubkey(is->cert)) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: responder certificate");
		log_err("ca: responder %s of %s: stored certificate is not one of the issuer's",
		    row->cert_serial, is->name);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "responder_corrupt", "responder is corrupt");
		goto out;
	}
	if ((rc = hsm_key_open(row->key_ref, &key, e)) != PECHAT_OK) {
		log_err("ca: responder %s of %s: key %s cannot be opened", row->cert_serial, is->name,
		    row->key_ref);
		goto out;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), hsm_key_public(key)) != 1) {
		ERR_clear_error();
		log_err("ca: responder %s of %s: key %s does not match", row->cert_serial, is->name, row->key_ref);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "responder_corrupt", "responder key mismatch");
		goto out;
	}
	rc = responder_wrap(is->name, &cert, &key, out, e);
out:
	X509_free(cert);
	hsm_key_free(key);
	db_cert_free_fields(&cr);
	return rc;
}

/* Copies at most max UTF-8 characters of s into buf (whole characters only). */
static void
utf8_prefix(const char *s, size_t max, char *buf, size_t bufsz)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && i + 1 < bufsz) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		i++;
	}
	/* never end inside a character */
	while (i > 0 && s[i] != '\0' && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	memcpy(buf, s, i);
	buf[i] = '\0';
}

/*
 * Responder subject: CN "<issuer CN> OCSP Responder" (the issuer CN cut so
 * that the whole CN stays within ub-common-name, 64 characters), plus the
 * issuer's O and C. *out owned.
 */
static enum pechat_err
responder_subject(const struct ca_issuer *is, X509_NAME **out, struct pechat_error *e)
{
	struct pechat_subject isub, sub;
	char cn[CN_MAX_CHARS * 4 + 1], full[sizeof(cn) + sizeof(RESPONDER_CN_SUFFIX)];
	enum pechat_err rc;

	*out = NULL;
	memset(&isub, 0, sizeof(isub));
	memset(&sub, 0, sizeof(sub));
	if ((rc = ca_cert_subject(is->cert, &isub, e)) != PECHAT_OK)
		goto out;
	utf8_prefix(isub.v[PSF_COMMON_NAME] != NULL ? isub.v[PSF_COMMON_NAME] : is->name,
	    CN_MAX_CHARS - (sizeof(RESPONDER_CN_SUFFIX) - 1), cn, sizeof(cn));
	snprintf(full, sizeof(full), "%s%s", cn, RESPONDER_CN_SUFFIX);
	if (pechat_subject_set(&sub, PSF_COMMON_NAME, full) != 0 ||
	    (isub.v[PSF_ORGANIZATION] != NULL &&
	    pechat_subject_set(&sub, PSF_ORGANIZATION, isub.v[PSF_ORGANIZATION]) != 0) ||
	    (isub.v[PSF_COUNTRY] != NULL && pechat_subject_set(&sub, PSF_COUNTRY, isub.v[PSF_COUNTRY]) != 0)) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	rc = ca_subject_name(&sub, out, e);
out:
	pechat_subject_clear(&isub);
	pechat_subject_clear(&sub);
	return rc;
}

/*
 * The hsm_key_generate algorithm of a new responder key for `is`: GOST of
 * the issuer's size for a GOST issuer (a GOST-only relying party must be
 * able to verify the answers, RFC 9215), else RESPONDER_KEY_ALG.
 */
static const char *
responder_key_alg(const struct ca_issuer *is)
{
	switch (EVP_PKEY_get_base_id(X509_get0_pubkey(is->cert))) {
	case NID_id_GostR3410_2012_256:
		return "gost2012-256";
	case NID_id_GostR3410_2012_512:
		return "gost2012-512";
	default:
		return RESPONDER_KEY_ALG;
	}
}

/* A fresh key file "<var>/keys/ocsp/<issuer>-<16 hex>.key"; a name clash draws another. */
static enum pechat_err
responder_key_new(const struct ca *ca, const struct ca_issuer *is, struct hsm_key **out, struct pechat_error *e)
{
	const char *issuer = is->name;
	unsigned char rnd[8];
	char hex[17], ref[PECHAT_PATH_MAX + 128];
	int i, n;
	enum pechat_err rc = PECHAT_E_CONFLICT;

	*out = NULL;
	for (i = 0; i < KEY_ATTEMPTS && rc == PECHAT_E_CONFLICT; i++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1 || pechat_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex)) != 0) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: responder: RAND_bytes");
			return pechat_fail(e, PECHAT_E_INTERNAL, "rng_failed", "no random key name");
		}
		n = snprintf(ref, sizeof(ref), "file:%s/keys/ocsp/%s-%s.key", ca->conf->var_dir, issuer, hex);
		if (n < 0 || (size_t)n >= sizeof(ref)) {
			log_err("ca: responder: var_dir too long for a key path");
			return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "key path too long");
		}
		if ((rc = hsm_key_generate(ref, responder_key_alg(is), out, e)) == PECHAT_E_CONFLICT)
			log_warn("ca: responder: key %s exists; drawing another name", ref);
	}
	return rc;
}

/* See ca_int.h. */
int
ca_responder_token_ref(const char *issuer_ref, const char *issuer, time_t now,
    const unsigned char id[CA_RESPONDER_ID_LEN], char *out, size_t outsz)
{
	char label[128], stamp[32], hex[9];
	struct tm tm;
	int n;

	if (outsz > 0)
		out[0] = '\0';
	if (issuer_ref == NULL || strncmp(issuer_ref, "pkcs11:", 7) != 0 || gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0 || pechat_hex_encode(id, 4, hex, sizeof(hex)) != 0)
		return -1;
	n = snprintf(label, sizeof(label), "ocsp-%s-%s-%s", issuer, stamp, hex);
	if (n < 0 || (size_t)n >= sizeof(label))
		return -1;
	return hsm_key_ref_sibling(issuer_ref, label, id, CA_RESPONDER_ID_LEN, out, outsz);
}

/* See ca_int.h. */
int
ca_responder_key_disposable(const struct db_responder *row, const char *issuer, const char *current_ref,
    time_t now)
{
	return row != NULL && issuer != NULL && strcmp(row->issuer, issuer) == 0 &&
	    strncmp(row->key_ref, "pkcs11:", 7) == 0 && (current_ref == NULL || strcmp(row->key_ref, current_ref) != 0) &&
	    row->not_after <= now;
}

#define PRUNE_MAX 16    /* expired responders looked at per renewal (newest first) */

/* Destroys the token key ref that pechatd made for `issuer` and no row names (a failed issuance). */
static void
responder_token_key_discard(const char *issuer, const char *ref)
{
	struct pechat_error e;
	char prefix[80];
	int destroyed;

	snprintf(prefix, sizeof(prefix), "ocsp-%s-", issuer);
	if (hsm_key_destroy(ref, prefix, &destroyed, &e) != PECHAT_OK)
		log_warn("ca: responder of %s: unused token key not destroyed (%s)", issuer, e.code);
}

/*
 * After a renewal: the token keys of is's expired responders destroyed
 * (ca_responder_key_disposable); failures are logged, never fatal. A key
 * already gone counts as done, so the newest PRUNE_MAX are enough.
 */
static void
responder_prune(struct db *db, const struct ca_issuer *is, const char *current_ref, time_t now)
{
	struct db_responder *rows;
	struct pechat_error e;
	char prefix[80];
	size_t n = 0, i;
	int destroyed;

	if (strncmp(is->key_ref, "pkcs11:", 7) != 0 || (rows = calloc(PRUNE_MAX, sizeof(*rows))) == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "ocsp-%s-", is->name);
	if (db_responder_expired(db, is->name, now, rows, PRUNE_MAX, &n, &e) != PECHAT_OK)
		log_warn("ca: responder keys of %s: expired responders not listed (%s)", is->name, e.code);
	for (i = 0; i < n; i++) {
		if (!ca_responder_key_disposable(&rows[i], is->name, current_ref, now))
			continue;
		if (hsm_key_destroy(rows[i].key_ref, prefix, &destroyed, &e) != PECHAT_OK)
			log_warn("ca: responder %s of %s: expired token key not destroyed (%s); tried again at the "
			    "next renewal", rows[i].cert_serial, is->name, e.code);
		else if (destroyed > 0)
			log_info("ca: responder %s of %s expired: its token key destroyed", rows[i].cert_serial, is->name);
	}
	free(rows);
}

/*
 * A new key pair on the token of is's pkcs11: key (one C_GenerateKeyPair, no
 * second login: pechatd is logged in for the issuer key), opened through
 * hsm/ and checked against the public key the generation returned.
 */
static enum pechat_err
responder_token_key_new(const struct ca_issuer *is, time_t now, struct hsm_key **out, struct pechat_error *e)
{
	unsigned char id[CA_RESPONDER_ID_LEN];
	char ref[sizeof(((struct db_responder *)0)->key_ref)];  /* always fits the store's row */
	EVP_PKEY *pub = NULL;
	enum pechat_err rc;

	*out = NULL;
	if (RAND_bytes(id, sizeof(id)) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: responder: RAND_bytes");
		return pechat_fail(e, PECHAT_E_INTERNAL, "rng_failed", "no random key id");
	}
	if (ca_responder_token_ref(is->key_ref, is->name, now, id, ref, sizeof(ref)) != 0) {
		log_err("ca: responder of %s: no token key reference next to the issuer's", is->name);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "no responder key reference");
	}
	if ((rc = hsm_key_create(ref, RESPONDER_KEY_ALG, &pub, e)) != PECHAT_OK)
		goto out;
	if ((rc = hsm_key_open(ref, out, e)) != PECHAT_OK) {
		log_err("ca: responder of %s: the new token key cannot be opened", is->name);
		responder_token_key_discard(is->name, ref);
		goto out;
	}
	if (EVP_PKEY_eq(pub, hsm_key_public(*out)) != 1) {
		ERR_clear_error();
		log_err("ca: responder of %s: the token key opened is not the one generated", is->name);
		hsm_key_free(*out);
		*out = NULL;
		responder_token_key_discard(is->name, ref);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "responder_corrupt", "responder key mismatch");
	}
out:
	EVP_PKEY_free(pub);
	return rc;
}

struct responder_row_arg {
	const char *issuer;
	const char *key_ref;
};

/* The ocsp_responders row, in step 7's transaction right after the certificate row. */
static enum pechat_err
responder_row_txn(struct db *db, void *arg, const struct db_cert *cert, struct pechat_error *e)
{
	const struct responder_row_arg *a = arg;
	struct db_responder row;

	memset(&row, 0, sizeof(row));
	pechat_strlcpy(row.issuer, a->issuer, sizeof(row.issuer));
	pechat_strlcpy(row.cert_serial, cert->serial, sizeof(row.cert_serial));
	pechat_strlcpy(row.key_ref, a->key_ref, sizeof(row.key_ref));
	row.not_before = cert->not_before;
	row.not_after = cert->not_after;
	row.created_at = cert->created_at;
	return db_responder_insert(db, &row, e);
}

/*
 * A new responder for `is` valid [nb, na] (RFC 6960 §4.2.2.2): key, then
 * certificate + responder row + audit through ca_cert_make. A key file left
 * behind by a failure is never referenced by any row, so never used; a token
 * key made for it is destroyed (token space is scarce).
 */
static enum pechat_err
responder_issue(struct ca *ca, struct db *db, struct ca_issuer *is, time_t now, time_t na,
    struct ca_responder **out, struct pechat_error *e)
{
	static const char eku[1][64] = { "OCSPSigning" };  /* id-kp-OCSPSigning 1.3.6.1.5.5.7.3.9 */
	struct hsm_key *key = NULL;
	X509_NAME *name = NULL;
	X509 *cert = NULL;
	struct ca_build b;
	struct ca_store_job job;
	struct responder_row_arg ra;
	enum pechat_err rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	memset(&job, 0, sizeof(job));
	/* a revoked or held issuer certifies no new responder (ca/standing.c) */
	if ((rc = ca_issuer_check_standing(ca, is->name, e)) != PECHAT_OK ||
	    (rc = (strncmp(is->key_ref, "pkcs11:", 7) == 0 ? responder_token_key_new(is, now, &key, e) :
	    responder_key_new(ca, is, &key, e))) != PECHAT_OK ||
	    (rc = responder_subject(is, &name, e)) != PECHAT_OK)
		goto out;
	b.profile = CA_PROFILE_OCSP_RESPONDER;
	b.issuer_name = is->name;
	b.issuer_cert = is->cert;
	b.issuer_key = is->key;
	b.subject_key = hsm_key_public(key);
	b.subject = name;
	b.is_ca = 0;
	b.pathlen = -1;
	b.key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	b.eku = eku;
	b.n_eku = 1;
	b.ocsp_nocheck = 1;
	b.not_before = now;
	b.not_after = na;
	ra.issuer = is->name;
	ra.key_ref = hsm_key_ref(key);
	job.actor = "system";
	job.action = "ocsp_responder.issue";
	job.extra_fn = responder_row_txn;
	job.extra_arg = &ra;
	if ((rc = ca_cert_make(db, &b, &job, now, &cert, e)) != PECHAT_OK) {
		log_err("ca: responder of %s not issued: %s", is->name, e != NULL ? e->code : "");
		/* nothing stored: a token key made for it is destroyed (a key file stays, unnamed) */
		if (strcmp(hsm_key_kind(key), "pkcs11") == 0)
			responder_token_key_discard(is->name, hsm_key_ref(key));
		goto out;
	}
	rc = responder_wrap(is->name, &cert, &key, out, e);
	if (rc == PECHAT_OK) {
		log_info("ca: OCSP responder %s of %s issued", (*out)->serial, is->name);
		responder_prune(db, is, hsm_key_ref((*out)->key), now);
	}
out:
	X509_free(cert);
	X509_NAME_free(name);
	hsm_key_free(key);
	return rc;
}

/* See ca_status.h. RFC 6960 §4.2.2.2 (delegation), §4.2.2.2.1 (nocheck: keep it short-lived). */
enum pechat_err
ca_responder_ensure(struct ca *ca, struct db *db, const char *issuer, time_t now, int validity_days,
    int renew_before_days, struct ca_responder **out, struct pechat_error *e)
{
	struct ca_issuer *is;
	struct ca_responder *cur = NULL;
	struct db_responder row;
	time_t na;
	enum pechat_err rc;

	*out = NULL;
	memset(&row, 0, sizeof(row));
	if (issuer == NULL || (is = ca_issuer_find(ca, issuer)) == NULL || strcmp(is->kind, "operators") == 0) {
		log_err("ca: responder: no public issuer \"%s\"", issuer != NULL ? issuer : "");
		rc = pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "unknown issuer");
		goto out;
	}
	if (validity_days < 1 || validity_days > 366 || renew_before_days < 0 ||
	    renew_before_days >= validity_days) {
		log_err("ca: responder: bad validity %d / renew %d days", validity_days, renew_before_days);
		rc = pechat_fail(e, PECHAT_E_INVALID, "responder_params_invalid", "bad responder validity");
		goto out;
	}
	if (now < is->not_before || now >= is->not_after) {
		log_err("ca: responder: issuer %s is not valid now", is->name);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_expired", "the issuer is not valid now");
		goto out;
	}
	/* what a new one would get: [now, now + days], clipped to the issuer (§4.1.2.5 nesting) */
	na = now + (time_t)validity_days * 86400;
	if (na > is->not_after)
		na = is->not_after;
	rc = db_responder_latest(db, is->name, &row, e);
	if (rc == PECHAT_OK) {
		if ((rc = responder_load(db, is, &row, &cur, e)) != PECHAT_OK)
			goto out;
		/* keep it unless it is in its renewal window and a new one would outlive it */
		if (now >= cur->not_before && now < cur->not_after &&
		    (cur->not_after - (time_t)renew_before_days * 86400 > now || na <= cur->not_after)) {
			*out = cur;
			cur = NULL;
			goto out;
		}
		log_info("ca: responder %s of %s due for renewal", cur->serial, is->name);
	} else if (rc != PECHAT_E_NOT_FOUND)
		goto out;
	pechat_error_clear(e);
	rc = responder_issue(ca, db, is, now, na, out, e);
out:
	ca_responder_free(cur);
	return rc;
}
