/*
 * ca/issue.c — ca_issue(): ARCHITECTURE.md's numbered sequence for an
 * end-entity certificate. Step 1 lives here; steps 2..7 are the shared
 * builder in build.c (ca_cert_make), which `pechat init` (ceremony/) uses too.
 */
#include "ca_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Step 1's validity (RFC 5280 §4.1.2.5): notBefore = now (no backdating:
 * it keeps every certificate inside its issuer's validity and "issued at"
 * exact); notAfter = now + validity_days, clipped to the issuer's notAfter.
 */
static enum pechat_err
issue_validity(const struct ca_issuer *is, const struct pechat_profile_conf *profile,
    time_t now, time_t *nb, time_t *na, struct pechat_error *e)
{
	if (now < is->not_before || now >= is->not_after) {
		log_err("ca: issuer %s is not valid now", is->name);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_expired", "the issuer is not valid now");
	}
	*nb = now;
	*na = now + (time_t)profile->validity_days * 86400;
	if (*na > is->not_after) {
		log_info("ca: validity clipped to issuer %s's notAfter", is->name);
		*na = is->not_after;
	}
	return PECHAT_OK;
}

/*
 * Step 1 for a qualified profile (docs/PROFILES.md): issuerSignTool from the
 * issuer's configuration, subjectSignTool from the request or else the
 * profile, identificationKind recorded by the RA; "sign_tool_missing" /
 * "identification_kind_missing" (POLICY) when there is none.
 */
static enum pechat_err
issue_qualified(struct ca *ca, const struct pechat_profile_conf *profile, const struct ca_issue_params *params,
    struct ca_build *b, struct pechat_error *e)
{
	static const struct pechat_sign_tools none;     /* not configured: the builder refuses empty strings */
	int i;

	if (!profile->qualified)
		return PECHAT_OK;
	b->issuer_tools = &none;
	for (i = 0; i < ca->conf->n_issuers; i++)
		if (strcmp(ca->conf->issuers[i].name, profile->issuer) == 0)
			b->issuer_tools = &ca->conf->issuers[i].tools;
	b->subject_sign_tool = params->sign_tool != NULL && params->sign_tool[0] != '\0' ? params->sign_tool :
	    profile->sign_tool[0] != '\0' ? profile->sign_tool : NULL;
	if (b->subject_sign_tool == NULL)
		return pechat_fail(e, PECHAT_E_POLICY, "sign_tool_missing", "profile %s issues qualified certificates: "
		    "the request must name the owner's crypto tool (sign_tool), the profile has none", profile->name);
	if (!params->has_identification_kind)
		return pechat_fail(e, PECHAT_E_POLICY, "identification_kind_missing", "profile %s issues qualified "
		    "certificates: the owner's identity document must be verified first", profile->name);
	b->has_identification_kind = 1;
	b->identification_kind = params->identification_kind;
	return PECHAT_OK;
}

/*
 * *out: the report of a certificate just stored (step 8, publishing, is the
 * caller's: it tells the publisher from it), its serial as stored, its DER
 * and validity (for the caller's reply; left out without memory). A serial
 * that cannot be read (never, for a certificate ca/ made) leaves *out
 * zeroed, which names no issuer and publishes nothing: the issuance stands
 * (the slow OCSP path and the publisher's refresh cover it), it is logged.
 */
static void
report_issued(X509 *cert, const char *issuer, const struct ca_build *b, time_t at, struct ca_change *out)
{
	unsigned char *der = NULL;
	int len;

	memset(out, 0, sizeof(*out));
	out->at = at;
	if (ca_cert_serial_hex(cert, out->serial, sizeof(out->serial)) != 0) {
		log_err("ca: issued a certificate of %s whose serial cannot be read: its OCSP answers are not "
		    "pre-signed now", issuer);
		out->serial[0] = '\0';
		return;
	}
	pechat_strlcpy(out->issuer, issuer, sizeof(out->issuer));
	/* the DER is a convenience for the reply: without it (no memory) the caller reads the store */
	if ((len = i2d_X509(cert, &der)) > 0 && (out->der = malloc((size_t)len)) != NULL) {
		memcpy(out->der, der, (size_t)len);
		out->der_len = (size_t)len;
		out->not_before = b->not_before;
		out->not_after = b->not_after;
	}
	OPENSSL_free(der);
}

/* See ca.h. */
void
ca_change_clear(struct ca_change *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}

/*
 * *out: cert (stored, its key copied from the CSR, not decoded: see
 * ca_build.subject_spki) parsed again from its DER, a complete object for
 * callers that want one. Owned.
 */
static enum pechat_err
reparse(X509 *cert, X509 **out, struct pechat_error *e)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	if ((len = i2d_X509(cert, &der)) <= 0 || (p = der, *out = d2i_X509(NULL, &p, len)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: issued certificate does not parse");
		OPENSSL_free(der);
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	OPENSSL_free(der);
	return PECHAT_OK;
}

enum pechat_err
ca_issue(struct ca *ca, struct db *db, const struct ca_issue_params *params, X509 **out,
    struct ca_change *changed, struct pechat_error *e)
{
	const struct pechat_profile_conf *profile;
	struct ca_issuer *is;
	X509_NAME *subject = NULL;
	X509 *made = NULL;
	EVP_PKEY *pub = NULL;
	struct ca_build b;
	struct ca_store_job job;
	char base[256], crl[512], delta[512], ocsp[512], aia[512];
	time_t now;
	enum pechat_err rc;

	if (out != NULL)
		*out = NULL;
	if (changed != NULL)
		memset(changed, 0, sizeof(*changed));
	memset(&b, 0, sizeof(b));
	memset(&job, 0, sizeof(job));
	/* (1) profile + issuer; the request is checked again here (defence in depth) */
	if ((profile = ca_profile_find(ca, params->profile)) == NULL) {
		ca_profile_names(ca, base, sizeof(base));
		log_reject("ca: unknown profile \"%.64s\" (configured: %s)", params->profile != NULL ? params->profile : "",
		    base);
		rc = pechat_fail(e, PECHAT_E_INVALID, "profile_unknown", "unknown profile: use one of %.160s", base);
		goto out;
	}
	/* the newest generation of the profile's issuer (key rollover): never an older one */
	if ((is = ca_issuer_find(ca, ca_issuer_current(ca, profile->issuer))) == NULL) {
		log_err("ca: profile %s names issuer %s, which is not loaded", profile->name, profile->issuer);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "issuer_unavailable", "the issuer is unavailable");
		goto out;
	}
	/* an issuer whose certificate (or an ancestor's) is revoked or on hold issues nothing: re-read now */
	if ((rc = ca_standing_refresh(ca, db, NULL, e)) != PECHAT_OK ||
	    (rc = ca_issuer_check_standing(ca, is->name, e)) != PECHAT_OK) {
		log_reject("ca: no issuance from %s: %s", is->name, e != NULL ? e->detail : "");
		goto out;
	}
	if (params->csr == NULL || (pub = params->csr->key) == NULL) {
		log_reject("ca: issue without a usable CSR public key");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "no public key");
		goto out;
	}
	if ((rc = ca_key_policy_check(profile, pub, e)) != PECHAT_OK ||
	    (rc = ca_subject_check(profile, params->subject, e)) != PECHAT_OK ||
	    (rc = ca_subject_name(params->subject, &subject, e)) != PECHAT_OK)
		goto out;
	now = pechat_clock_now(ca->clock);
	if ((rc = issue_validity(is, profile, now, &b.not_before, &b.not_after, e)) != PECHAT_OK)
		goto out;
	if (ca_base_url(ca, base, sizeof(base)) != 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "public_base_url too long");
		goto out;
	}
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base, is->name);
	snprintf(delta, sizeof(delta), "%s/crl/%s-delta.crl", base, is->name);
	snprintf(ocsp, sizeof(ocsp), "%s/ocsp", base);
	snprintf(aia, sizeof(aia), "%s/ca/%s.crt", base, is->name);
	b.profile = profile->name;
	b.issuer_name = is->name;
	b.issuer_cert = is->cert;
	b.issuer_key = is->key;
	b.subject_key = pub;
	b.subject_spki = params->csr->spki;     /* copied, not decoded again */
	b.subject = subject;
	b.is_ca = 0;
	b.pathlen = -1;
	b.key_usage = profile->key_usage;
	b.eku = profile->ext_key_usage;
	b.n_eku = profile->n_ext_key_usage;
	b.policies = profile->policies;
	b.n_policies = profile->n_policies;
	b.crl_url = crl;
	b.freshest_crl_url = delta;
	b.ocsp_url = ocsp;
	b.ca_issuers_url = aia;
	b.san_email = params->subject->v[PSF_EMAIL];
	b.profile_conf = profile;       /* the linter's profile rules (allow-lists; qualified) */
	if ((rc = issue_qualified(ca, profile, params, &b, e)) != PECHAT_OK)
		goto out;
	job.request_id = params->request_id;
	job.actor = params->actor;
	job.action = "certificate.issue";
	job.email = params->subject->v[PSF_EMAIL];
	job.extra_fn = params->in_txn;
	job.extra_arg = params->in_txn_arg;
	/* (2)..(7): serial, build, lint, sign, verify, store (build.c) */
	rc = ca_cert_make(db, &b, &job, now, &made, e);
	/* (8) publish is the caller's: it tells the publisher what this reports before it answers */
	if (rc == PECHAT_OK && changed != NULL)
		report_issued(made, is->name, &b, now, changed);
	if (rc == PECHAT_OK && out != NULL)
		rc = reparse(made, out, e);
out:
	X509_free(made);
	X509_NAME_free(subject);
	return rc;
}
