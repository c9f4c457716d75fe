/*
 * ca/crl.c — RFC 5280 §5 CRLs, full and delta, built with OpenSSL's X509_CRL
 * API and signed through hsm/. Pure: the caller (the publisher) chooses the
 * number, the times and the entries; nothing here reads the store or a clock.
 * docs/REVOCATION.md describes every field.
 */
#include "ca_int.h"
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ------------------------------------------------------------ reason names */

/* RFC 5280 §5.3.1 CRLReason; index = code. 7 is unused, 8 (removeFromCRL) is delta-only. */
static const char *const reason_names[] = {
	"unspecified",          /* 0 */
	"keyCompromise",        /* 1 */
	"cACompromise",         /* 2 */
	"affiliationChanged",   /* 3 */
	"superseded",           /* 4 */
	"cessationOfOperation", /* 5 */
	"certificateHold",      /* 6 */
	NULL,                   /* 7: not used */
	NULL,                   /* 8: removeFromCRL, not an API name */
	"privilegeWithdrawn",   /* 9 */
	"aACompromise",         /* 10 */
};

#define N_REASONS ((int)(sizeof(reason_names) / sizeof(reason_names[0])))

/* See ca_status.h. */
int
ca_crl_reason_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < N_REASONS; i++)
		if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}

/* See ca_status.h. */
const char *
ca_crl_reason_name(int code)
{
	if (code < 0 || code >= N_REASONS)
		return NULL;
	return reason_names[code];
}

/* ------------------------------------------------------------------- URLs */

/* See ca_int.h. */
int
ca_base_url(const struct ca *ca, char *buf, size_t bufsz)
{
	size_t n;

	if (ca == NULL || ca->conf == NULL ||
	    pechat_strlcpy(buf, ca->conf->public_base_url, bufsz) >= bufsz)
		return -1;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return 0;
}

/*
 * See ca_status.h. The full URL is the one ca_issue / `pechat init` (ceremony/) put in
 * the cRLDistributionPoints of the certificates this issuer signs.
 */
int
ca_crl_urls(const struct ca *ca, const char *issuer, char *full, size_t fullsz, char *delta,
    size_t deltasz)
{
	char base[256];
	int n;

	if (issuer == NULL || ca_base_url(ca, base, sizeof(base)) != 0)
		return -1;
	n = snprintf(full, fullsz, "%s/crl/%s.crl", base, issuer);
	if (n < 0 || (size_t)n >= fullsz)
		return -1;
	n = snprintf(delta, deltasz, "%s/crl/%s-delta.crl", base, issuer);
	if (n < 0 || (size_t)n >= deltasz)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ entry parts */

/* A positive INTEGER from upper/lower-case hex; owned, NULL if not 1..64 hex digits or zero. */
static ASN1_INTEGER *
serial_from_hex(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	if (!pechat_is_hex(hex, 64) || BN_hex2bn(&bn, hex) != (int)strlen(hex) || BN_is_zero(bn))
		goto out;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
out:
	BN_free(bn);
	return ai;
}

/*
 * See ca_int.h. One revokedCertificates entry (RFC 5280 §5.1.2.6):
 * userCertificate, revocationDate (UTCTime until 2049, §5.1.2.6 → §4.1.2.5),
 * and the entry extensions reasonCode (§5.3.1, omitted for unspecified) and
 * invalidityDate (§5.3.2, always GeneralizedTime). Owned, NULL on failure
 * (logged).
 */
X509_REVOKED *
ca_crl_entry_build(const struct ca_crl_entry *en)
{
	X509_REVOKED *rev = NULL, *ret = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = NULL;
	ASN1_ENUMERATED *reason = NULL;
	ASN1_GENERALIZEDTIME *inv = NULL;
	int code = en->remove_from_crl ? CRL_REASON_REMOVE_FROM_CRL : en->reason;

	if ((serial = serial_from_hex(en->serial)) == NULL) {
		log_err("ca: crl: entry serial \"%.64s\" is not positive hex", en->serial);
		goto out;
	}
	if ((rev = X509_REVOKED_new()) == NULL || (when = ASN1_TIME_set(NULL, en->revoked_at)) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: entry");
		goto out;
	}
	if (code != CRL_REASON_NONE && code != CRL_REASON_UNSPECIFIED) {
		if ((reason = ASN1_ENUMERATED_new()) == NULL || ASN1_ENUMERATED_set(reason, code) != 1 ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, X509V3_ADD_DEFAULT) != 1) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: reasonCode");
			goto out;
		}
	}
	if (en->invalidity_date != 0) {
		if ((inv = ASN1_GENERALIZEDTIME_set(NULL, en->invalidity_date)) == NULL ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_invalidity_date, inv, 0, X509V3_ADD_DEFAULT) != 1) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: invalidityDate");
			goto out;
		}
	}
	ret = rev;
	rev = NULL;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(reason);
	ASN1_GENERALIZEDTIME_free(inv);
	return ret;
}

/* ------------------------------------------------------- CRL extensions */

/* One URI as GENERAL_NAMES (owned), NULL on failure. */
static GENERAL_NAMES *
uri_names(const char *url)
{
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;

	if ((names = GENERAL_NAMES_new()) == NULL || (gn = GENERAL_NAME_new()) == NULL ||
	    (ia5 = ASN1_IA5STRING_new()) == NULL || ASN1_STRING_set(ia5, url, (int)strlen(url)) != 1)
		goto fail;
	GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
	ia5 = NULL;
	if (sk_GENERAL_NAME_push(names, gn) <= 0)
		goto fail;
	return names;
fail:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	return NULL;
}

/* A DistributionPointName with fullName = url (owned), NULL on failure. */
static DIST_POINT_NAME *
dp_name(const char *url)
{
	DIST_POINT_NAME *dpn = NULL;

	if ((dpn = DIST_POINT_NAME_new()) == NULL)
		return NULL;
	dpn->type = 0;  /* fullName */
	if ((dpn->name.fullname = uri_names(url)) == NULL) {
		DIST_POINT_NAME_free(dpn);
		return NULL;
	}
	return dpn;
}

/* An INTEGER from a non-negative int64 (owned). */
static ASN1_INTEGER *
int64_integer(int64_t v)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();

	if (ai != NULL && ASN1_INTEGER_set_int64(ai, v) != 1) {
		ASN1_INTEGER_free(ai);
		ai = NULL;
	}
	return ai;
}

/* authorityKeyIdentifier (§5.2.1): keyIdentifier = the issuer certificate's SKI. */
static int
crl_ext_aki(X509_CRL *crl, X509 *issuer)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
	AUTHORITY_KEYID *akid = NULL;
	int rc = -1;

	if (ski == NULL) {
		log_err("ca: crl: issuer certificate has no subjectKeyIdentifier");
		return -1;
	}
	if ((akid = AUTHORITY_KEYID_new()) != NULL && (akid->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) == 1)
		rc = 0;
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* cRLNumber (§5.2.3, non-critical) or, with nid NID_delta_crl, deltaCRLIndicator (§5.2.4, critical). */
static int
crl_ext_number(X509_CRL *crl, int nid, int64_t v, int critical)
{
	ASN1_INTEGER *ai = int64_integer(v);
	int rc = -1;

	if (ai != NULL && X509_CRL_add1_ext_i2d(crl, nid, ai, critical, X509V3_ADD_DEFAULT) == 1)
		rc = 0;
	ASN1_INTEGER_free(ai);
	return rc;
}

/*
 * issuingDistributionPoint (§5.2.5, critical): distributionPoint fullName =
 * the CDP URI of the certificates; no onlyContainsUserCerts,
 * onlyContainsCACerts, onlySomeReasons or indirectCRL (one CRL covers
 * every certificate of the issuer). Identical on full and delta CRLs
 * (OpenSSL's check_delta_base compares the two extensions).
 */
static int
crl_ext_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT *idp = NULL;
	int rc = -1;

	if ((idp = ISSUING_DIST_POINT_new()) != NULL && (idp->distpoint = dp_name(url)) != NULL &&
	    X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, X509V3_ADD_DEFAULT) == 1)
		rc = 0;
	ISSUING_DIST_POINT_free(idp);
	return rc;
}

/* freshestCRL (§5.2.6, MUST be non-critical): one DistributionPoint, fullName = the delta URL. */
static int
crl_ext_freshest(X509_CRL *crl, const char *url)
{
	CRL_DIST_POINTS *cdp = NULL;
	DIST_POINT *dp = NULL;
	int rc = -1;

	if ((cdp = sk_DIST_POINT_new_null()) == NULL || (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = dp_name(url)) == NULL || sk_DIST_POINT_push(cdp, dp) <= 0)
		goto out;
	dp = NULL;
	if (X509_CRL_add1_ext_i2d(crl, NID_freshest_crl, cdp, 0, X509V3_ADD_DEFAULT) == 1)
		rc = 0;
out:
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(cdp);
	return rc;
}

/* ------------------------------------------------------------------ build */

/* Our caller's parameters; a failure is its bug (logged), never client input. Entries: ca_crl_writer_add. */
static enum pechat_err
params_check(const struct ca_crl_params *p, struct pechat_error *e)
{
	if (p->number < 0 || (p->base_number >= 0 && p->base_number >= p->number) || p->base_number < -1) {
		log_err("ca: crl: bad numbers %lld (base %lld)", (long long)p->number, (long long)p->base_number);
		goto bad;
	}
	if (p->next_update <= p->this_update) {
		log_err("ca: crl: nextUpdate is not after thisUpdate");
		goto bad;
	}
	if (p->n_entries > 0 && p->entries == NULL)
		goto bad;
	return PECHAT_OK;
bad:
	return pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL parameters");
}

/*
 * The unsigned CRL (TBSCertList, §5.1.2) of issuer_cert; *out owned. idp_url:
 * the critical issuingDistributionPoint's fullName, or NULL for none (a
 * root's CRL); freshest_url: a full CRL's freshestCRL, or NULL for none.
 */
static enum pechat_err
crl_build(X509 *issuer_cert, const struct ca_crl_params *p, const char *idp_url, const char *freshest_url,
    X509_CRL **out, struct pechat_error *e)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	size_t i;
	enum pechat_err rc;

	*out = NULL;
	/* version v2 (§5.1.2.1: extensions present), issuer, thisUpdate, nextUpdate (§5.1.2.4-5) */
	if ((crl = X509_CRL_new()) == NULL || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer_cert)) != 1 ||
	    (t1 = ASN1_TIME_set(NULL, p->this_update)) == NULL ||
	    (t2 = ASN1_TIME_set(NULL, p->next_update)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t1) != 1 || X509_CRL_set1_nextUpdate(crl, t2) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: TBS fields");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
		goto out;
	}
	for (i = 0; i < p->n_entries; i++) {
		if ((rev = ca_crl_entry_build(&p->entries[i])) == NULL) {
			rc = pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL entry");
			goto out;
		}
		if (X509_CRL_add0_revoked(crl, rev) != 1) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: add entry");
			rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
			goto out;
		}
		rev = NULL;
	}
	/* entries in ascending serial order (deterministic output, binary search by readers) */
	if (X509_CRL_sort(crl) != 1 || crl_ext_aki(crl, issuer_cert) != 0 ||
	    crl_ext_number(crl, NID_crl_number, p->number, 0) != 0 ||
	    (idp_url != NULL && crl_ext_idp(crl, idp_url) != 0) ||
	    (p->base_number < 0 && freshest_url != NULL && crl_ext_freshest(crl, freshest_url) != 0) ||
	    (p->base_number >= 0 && crl_ext_number(crl, NID_delta_crl, p->base_number, 1) != 0)) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: extensions");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
		goto out;
	}
	*out = crl;
	crl = NULL;
	rc = PECHAT_OK;
out:
	X509_REVOKED_free(rev);
	X509_CRL_free(crl);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	return rc;
}

/*
 * The CRL signed with a throw-away key of the issuer key's algorithm
 * (hsm_key_scratch, through hsm_sign_crl like the real key) and linted
 * (ca/lint.h: number present and above p's previous one, times, reasons,
 * serials, full/delta indicators). Any error rule: INTERNAL "lint_failed"
 * naming the rules, logged loudly; the CA key is not used, nothing is
 * published and the previous CRL keeps being served.
 */
static enum pechat_err
crl_lint(X509_CRL *crl, X509 *issuer_cert, const struct ca_crl_params *p, struct pechat_error *e)
{
	struct ca_lint_ctx ctx;
	struct ca_lint_report *r = NULL;
	struct hsm_key *scratch = NULL;
	char names[200];
	enum pechat_err rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.issuer = issuer_cert;
	ctx.crl_kind = p->base_number >= 0 ? CA_LINT_CRL_DELTA : CA_LINT_CRL_FULL;
	ctx.has_prev_number = p->has_prev_number;
	ctx.prev_number = p->prev_number;
	if ((rc = hsm_key_scratch(X509_get0_pubkey(issuer_cert), &scratch, e)) != PECHAT_OK ||
	    (rc = hsm_sign_crl(scratch, crl, e)) != PECHAT_OK)
		goto out;
	if ((r = malloc(sizeof(*r))) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	ca_lint_crl(crl, &ctx, r);
	ca_lint_log(r, "CRL");
	if (r->errors > 0) {
		ca_lint_error_names(r, names, sizeof(names));
		log_err("ca: crl: CRL %lld NOT signed, NOT published (the previous one is still served): "
		    "lint errors %s", (long long)p->number, names);
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "lint_failed", "the CRL breaks lint rules: %s", names);
		goto out;
	}
	rc = PECHAT_OK;
out:
	free(r);
	return rc;
}

/*
 * Checks p, builds the header (crl_build without entries), lints it
 * (crl_lint: signed with the throw-away key) and hands it to a writer
 * (ca/crl_der.c) signing with key; the caller adds the entries.
 */
static enum pechat_err
crl_begin(X509 *issuer_cert, struct hsm_key *key, const struct ca_crl_params *p, const char *idp_url,
    const char *freshest_url, struct ca_crl_writer **out, struct pechat_error *e)
{
	struct ca_crl_params head = *p;
	X509_CRL *hdr = NULL;
	enum pechat_err rc;

	*out = NULL;
	head.entries = NULL;
	head.n_entries = 0;
	if ((rc = params_check(p, e)) != PECHAT_OK ||
	    (rc = crl_build(issuer_cert, &head, idp_url, freshest_url, &hdr, e)) != PECHAT_OK ||
	    (rc = crl_lint(hdr, issuer_cert, p, e)) != PECHAT_OK) {
		X509_CRL_free(hdr);
		return rc;
	}
	/* the writer owns hdr from here, on failure too */
	return ca_crl_writer_new(hdr, key, p->number, p->base_number >= 0, out, e);
}

/* Adds p's entries (any order) to w and finishes it: the signed DER (*der OPENSSL_free). w stays the caller's. */
static enum pechat_err
crl_write_entries(struct ca_crl_writer *w, const struct ca_crl_params *p, unsigned char **der, size_t *len,
    struct pechat_error *e)
{
	size_t i;
	enum pechat_err rc;

	for (i = 0; i < p->n_entries; i++)
		if ((rc = ca_crl_writer_add(w, &p->entries[i], e)) != PECHAT_OK)
			return rc;
	return ca_crl_writer_finish(w, der, len, e);
}

/* Begins, adds p's entries (any order) and finishes: the signed DER (*der OPENSSL_free). */
static enum pechat_err
crl_make_der(X509 *issuer_cert, struct hsm_key *key, const struct ca_crl_params *p, const char *idp_url,
    const char *freshest_url, unsigned char **der, size_t *len, struct pechat_error *e)
{
	struct ca_crl_writer *w = NULL;
	enum pechat_err rc;

	if ((rc = crl_begin(issuer_cert, key, p, idp_url, freshest_url, &w, e)) == PECHAT_OK)
		rc = crl_write_entries(w, p, der, len, e);
	ca_crl_writer_free(w);
	return rc;
}

/*
 * See ca_make.h: the full CRL of a root kept offline, made at the ceremony.
 * Like a root's CRL of ca_crl_sign (no IDP: it also covers the root
 * itself), without freshestCRL (an offline root publishes no deltas).
 */
enum pechat_err
ca_crl_make_offline(X509 *root_cert, struct hsm_key *key, const struct ca_crl_params *p, unsigned char **der,
    size_t *len, struct pechat_error *e)
{
	*der = NULL;
	*len = 0;
	if (p->base_number >= 0) {
		log_err("ca: crl: an offline root's CRL is a full CRL");
		return pechat_fail(e, PECHAT_E_INVALID, "crl_params_invalid", "invalid CRL parameters");
	}
	return crl_make_der(root_cert, key, p, NULL, NULL, der, len, e);
}

/* The issuer's URLs and IDP choice for its CRLs; PECHAT_OK or the error of ca_crl_sign. */
static enum pechat_err
crl_issuer(struct ca *ca, const struct ca_crl_params *p, struct ca_issuer **out, char full[512], char delta[512],
    struct pechat_error *e)
{
	struct ca_issuer *is;
	enum pechat_err rc;

	if (p == NULL || p->issuer == NULL || (is = ca_issuer_find(ca, p->issuer)) == NULL ||
	    strcmp(is->kind, "operators") == 0) {
		log_err("ca: crl: no public issuer \"%s\"", p != NULL && p->issuer != NULL ? p->issuer : "");
		return pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "unknown issuer");
	}
	/* a revoked or held issuer signs nothing (ca/standing.c) */
	if ((rc = ca_issuer_check_standing(ca, is->name, e)) != PECHAT_OK)
		return rc;
	if (ca_crl_urls(ca, is->name, full, 512, delta, 512) != 0) {
		log_err("ca: crl: public_base_url too long for %s", is->name);
		return pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be built");
	}
	*out = is;
	return PECHAT_OK;
}

/*
 * See ca_status.h. RFC 5280 §5: the header built and linted (crl_begin),
 * the entries encoded as they come and the TBSCertList signed through hsm/
 * (ca/crl_der.c: hsm_sign_data, the digest following the issuer key as for
 * certificates, §5.1.1.2, verified with the key's public half, so that an
 * HSM/engine fault never leaves the CA; the key was checked against the
 * issuer certificate when the issuer was loaded).
 *
 * A root's CRL carries no IDP (a full-scope CRL, §5.2.5 absent): it also
 * covers the root itself, which has no CDP, so a relying party checking the
 * whole chain (OpenSSL's CRL_CHECK_ALL) would find an IDP-scoped CRL out of
 * scope for the root (X509_V_ERR_DIFFERENT_CRL_SCOPE); the issuing CAs below
 * it, whose CDP names it, match a CRL without IDP by issuer name. Not
 * logged here: the publisher logs each CRL once, when it is stored and served.
 */
enum pechat_err
ca_crl_begin(struct ca *ca, const struct ca_crl_params *p, struct ca_crl_writer **w, struct pechat_error *e)
{
	struct ca_issuer *is = NULL;
	char full[512], delta[512];
	enum pechat_err rc;

	*w = NULL;
	if ((rc = crl_issuer(ca, p, &is, full, delta, e)) != PECHAT_OK)
		return rc;
	return crl_begin(is->cert, is->key, p, strcmp(is->kind, "root") != 0 ? full : NULL, delta, w, e);
}

/* See ca_status.h: ca_crl_begin, every entry of p, ca_crl_writer_finish. */
enum pechat_err
ca_crl_sign(struct ca *ca, const struct ca_crl_params *p, unsigned char **der, size_t *len,
    struct pechat_error *e)
{
	struct ca_crl_writer *w = NULL;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	if ((rc = ca_crl_begin(ca, p, &w, e)) == PECHAT_OK)
		rc = crl_write_entries(w, p, der, len, e);
	ca_crl_writer_free(w);
	return rc;
}

/*
 * See ca_int.h: the CRL as one X509_CRL with an X509_REVOKED per entry,
 * sorted by X509_CRL_sort and signed by hsm_sign_crl — how every CRL was
 * made before the writer; kept as the tests' oracle of ca_crl_sign.
 */
enum pechat_err
ca_crl_sign_x509(struct ca *ca, const struct ca_crl_params *p, unsigned char **der, size_t *len,
    struct pechat_error *e)
{
	struct ca_issuer *is = NULL;
	X509_CRL *crl = NULL;
	char full[512], delta[512];
	unsigned char *buf = NULL;
	int n;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	if ((rc = crl_issuer(ca, p, &is, full, delta, e)) != PECHAT_OK || (rc = params_check(p, e)) != PECHAT_OK ||
	    (rc = crl_build(is->cert, p, strcmp(is->kind, "root") != 0 ? full : NULL, delta, &crl, e)) != PECHAT_OK ||
	    (rc = hsm_sign_crl(is->key, crl, e)) != PECHAT_OK)
		goto out;
	if ((n = i2d_X509_CRL(crl, &buf)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: crl: DER");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "CRL cannot be encoded");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
out:
	X509_CRL_free(crl);
	return rc;
}
