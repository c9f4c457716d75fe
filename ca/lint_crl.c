/*
 * ca/lint_crl.c — the linter's CRL checks (RFC 5280 §5; ca/lint.c's
 * table): version, numbers, times, AKI, issuer, reasons, serials and the
 * full/delta indicators. Each check returns 1 with a message when its rule
 * is broken, 0 when kept or not applicable.
 */
#include "ca_int.h"
#include "lint_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ------------------------------------------------------------- helpers */

static X509_EXTENSION *
crl_ext(X509_CRL *crl, int nid)
{
	int i = X509_CRL_get_ext_by_NID(crl, nid, -1);

	return i >= 0 ? X509_CRL_get_ext(crl, i) : NULL;
}

/* An INTEGER extension's value (cRLNumber, deltaCRLIndicator): 1 and *v, 0 absent, -1 undecodable. */
static int
crl_int_ext(X509_CRL *crl, int nid, int64_t *v, int *crit)
{
	ASN1_INTEGER *ai;
	int ok;

	*crit = 0;
	if (crl_ext(crl, nid) == NULL)
		return 0;
	if ((ai = X509_CRL_get_ext_d2i(crl, nid, crit, NULL)) == NULL)
		return -1;
	ok = ASN1_INTEGER_get_int64(v, ai) == 1 && *v >= 0;
	ASN1_INTEGER_free(ai);
	return ok ? 1 : -1;
}

/* The reasonCode of an entry: the code, -1 when absent, -2 when it does not decode. */
static int
entry_reason(X509_REVOKED *rev)
{
	ASN1_ENUMERATED *en;
	int crit = 0;
	long v;

	if (X509_REVOKED_get_ext_by_NID(rev, NID_crl_reason, -1) < 0)
		return -1;
	if ((en = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL)) == NULL)
		return -2;
	v = ASN1_ENUMERATED_get(en);
	ASN1_ENUMERATED_free(en);
	return v >= 0 && v <= 255 ? (int)v : -2;
}

static int
is_delta(X509_CRL *crl)
{
	return crl_ext(crl, NID_delta_crl) != NULL;
}

/* Serial of an entry as hex for messages. */
static void
serial_text(X509_REVOKED *rev, char *buf, size_t bufsz)
{
	if (ca_serial_hex(X509_REVOKED_get0_serialNumber(rev), buf, bufsz) != 0)
		pechat_strlcpy(buf, "?", bufsz);
}

X509_ALGOR *
ca_lint_crl_tbs_sigalg(X509_CRL *crl)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	ASN1_SEQUENCE_ANY *items = NULL;
	ASN1_TYPE *t;
	X509_ALGOR *alg = NULL;
	int len, i;

	if ((len = i2d_re_X509_CRL_tbs(crl, &der)) <= 0)
		goto out;
	p = der;
	if ((items = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len)) == NULL)
		goto out;
	/* [version INTEGER] signature AlgorithmIdentifier ... */
	i = sk_ASN1_TYPE_num(items) > 0 && sk_ASN1_TYPE_value(items, 0)->type == V_ASN1_INTEGER ? 1 : 0;
	if (i < sk_ASN1_TYPE_num(items) && (t = sk_ASN1_TYPE_value(items, i))->type == V_ASN1_SEQUENCE) {
		p = ASN1_STRING_get0_data(t->value.sequence);
		alg = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(t->value.sequence));
	}
out:
	sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
	OPENSSL_free(der);
	return alg;
}

/* -------------------------------------------------------------- checks */

LINT_CHECK(lint_crl_version)
{
	long v = X509_CRL_get_version(in->crl);

	return v != X509_CRL_VERSION_2 && ca_lint_msg(msg, msgsz, "version is v%ld", v + 1);
}

LINT_CHECK(lint_crl_number_present)
{
	int64_t v;
	int crit, rc = crl_int_ext(in->crl, NID_crl_number, &v, &crit);

	if (rc == 0)
		return ca_lint_msg(msg, msgsz, "cRLNumber is missing");
	if (rc < 0)
		return ca_lint_msg(msg, msgsz, "cRLNumber does not decode to a non-negative INTEGER");
	return crit && ca_lint_msg(msg, msgsz, "cRLNumber is critical");
}

LINT_CHECK(lint_crl_number_increasing)
{
	int64_t v;
	int crit;

	if (!in->ctx->has_prev_number || crl_int_ext(in->crl, NID_crl_number, &v, &crit) != 1)
		return 0;
	return v <= in->ctx->prev_number &&
	    ca_lint_msg(msg, msgsz, "cRLNumber %lld is not above the last published %lld", (long long)v,
	    (long long)in->ctx->prev_number);
}

LINT_CHECK(lint_crl_next_update_present)
{
	return X509_CRL_get0_nextUpdate(in->crl) == NULL && ca_lint_msg(msg, msgsz, "nextUpdate is missing");
}

LINT_CHECK(lint_crl_next_after_this)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(in->crl);

	return next != NULL && ASN1_TIME_compare(X509_CRL_get0_lastUpdate(in->crl), next) >= 0 &&
	    ca_lint_msg(msg, msgsz, "nextUpdate is not after thisUpdate");
}

LINT_CHECK(lint_crl_aki_present)
{
	AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(in->crl, NID_authority_key_identifier, NULL, NULL);
	int bad = akid == NULL || akid->keyid == NULL;

	AUTHORITY_KEYID_free(akid);
	return bad && ca_lint_msg(msg, msgsz, "authorityKeyIdentifier (keyIdentifier) is missing");
}

LINT_CHECK(lint_crl_aki_matches_issuer)
{
	AUTHORITY_KEYID *akid;
	const ASN1_OCTET_STRING *iski;
	int bad;

	if (in->ctx->issuer == NULL)
		return 0;
	iski = X509_get0_subject_key_id(in->ctx->issuer);
	akid = X509_CRL_get_ext_d2i(in->crl, NID_authority_key_identifier, NULL, NULL);
	bad = akid == NULL || akid->keyid == NULL || iski == NULL || ASN1_OCTET_STRING_cmp(akid->keyid, iski) != 0;
	AUTHORITY_KEYID_free(akid);
	return bad && ca_lint_msg(msg, msgsz, "authorityKeyIdentifier differs from the issuer's subjectKeyIdentifier");
}

LINT_CHECK(lint_crl_issuer_name_matches)
{
	return in->ctx->issuer != NULL &&
	    X509_NAME_cmp(X509_CRL_get_issuer(in->crl), X509_get_subject_name(in->ctx->issuer)) != 0 &&
	    ca_lint_msg(msg, msgsz, "the issuer name differs from the issuer certificate's subject");
}

LINT_CHECK(lint_crl_sigalg_match)
{
	const X509_ALGOR *outer = NULL;
	X509_ALGOR *tbs = ca_lint_crl_tbs_sigalg(in->crl);
	int bad;

	X509_CRL_get0_signature(in->crl, NULL, &outer);
	bad = outer == NULL || tbs == NULL || X509_ALGOR_cmp(outer, tbs) != 0;
	X509_ALGOR_free(tbs);
	return bad && ca_lint_msg(msg, msgsz, "signatureAlgorithm differs from the TBSCertList's signature");
}

LINT_CHECK(lint_crl_ext_duplicate)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(in->crl);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(in->crl);
	int i, j, k;

	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		for (j = 0; j < i; j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i)),
			    X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0)
				return ca_lint_msg(msg, msgsz, "a CRL extension appears twice");
	for (k = 0; k < sk_X509_REVOKED_num(revs); k++) {
		X509_REVOKED *rev = sk_X509_REVOKED_value(revs, k);

		for (i = 0; i < X509_REVOKED_get_ext_count(rev); i++)
			for (j = 0; j < i; j++)
				if (OBJ_cmp(X509_EXTENSION_get_object(X509_REVOKED_get_ext(rev, i)),
				    X509_EXTENSION_get_object(X509_REVOKED_get_ext(rev, j))) == 0)
					return ca_lint_msg(msg, msgsz, "an entry extension appears twice");
	}
	return 0;
}

LINT_CHECK(lint_crl_reason_not_unspecified)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(in->crl);
	char serial[65];
	int k;

	for (k = 0; k < sk_X509_REVOKED_num(revs); k++)
		if (entry_reason(sk_X509_REVOKED_value(revs, k)) == CRL_REASON_UNSPECIFIED) {
			serial_text(sk_X509_REVOKED_value(revs, k), serial, sizeof(serial));
			return ca_lint_msg(msg, msgsz, "entry %s has reasonCode unspecified", serial);
		}
	return 0;
}

LINT_CHECK(lint_crl_reason_valid)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(in->crl);
	char serial[65];
	int k, r;

	for (k = 0; k < sk_X509_REVOKED_num(revs); k++) {
		r = entry_reason(sk_X509_REVOKED_value(revs, k));
		if (r == -2 || r == 7 || r > CRL_REASON_AA_COMPROMISE) {
			serial_text(sk_X509_REVOKED_value(revs, k), serial, sizeof(serial));
			return ca_lint_msg(msg, msgsz, "entry %s has no valid reasonCode", serial);
		}
	}
	return 0;
}

LINT_CHECK(lint_crl_remove_delta_only)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(in->crl);
	int k;

	if (is_delta(in->crl))
		return 0;
	for (k = 0; k < sk_X509_REVOKED_num(revs); k++)
		if (entry_reason(sk_X509_REVOKED_value(revs, k)) == CRL_REASON_REMOVE_FROM_CRL)
			return ca_lint_msg(msg, msgsz, "removeFromCRL in a full CRL");
	return 0;
}

/* qsort order of serials. */
static int
serial_cmp(const void *a, const void *b)
{
	return ASN1_INTEGER_cmp(*(const ASN1_INTEGER *const *)a, *(const ASN1_INTEGER *const *)b);
}

LINT_CHECK(lint_crl_serials_unique)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(in->crl);
	const ASN1_INTEGER **v;
	char serial[65];
	int i, n = sk_X509_REVOKED_num(revs), bad = 0;

	if (n < 2)
		return 0;
	/* sorted copy, neighbours compared: O(n log n) for a CRL of a million entries */
	if ((v = malloc(sizeof(*v) * (size_t)n)) == NULL)
		return ca_lint_msg(msg, msgsz, "out of memory checking serials");
	for (i = 0; i < n; i++)
		v[i] = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i));
	qsort(v, (size_t)n, sizeof(*v), serial_cmp);
	for (i = 1; i < n && !bad; i++)
		if (ASN1_INTEGER_cmp(v[i - 1], v[i]) == 0) {
			if (ca_serial_hex(v[i], serial, sizeof(serial)) != 0)
				pechat_strlcpy(serial, "?", sizeof(serial));
			bad = ca_lint_msg(msg, msgsz, "serial %s is listed twice", serial);
		}
	free(v);
	return bad;
}

LINT_CHECK(lint_crl_delta_critical)
{
	X509_EXTENSION *ext = crl_ext(in->crl, NID_delta_crl);

	return ext != NULL && !X509_EXTENSION_get_critical(ext) &&
	    ca_lint_msg(msg, msgsz, "deltaCRLIndicator is not critical");
}

LINT_CHECK(lint_crl_delta_base_below)
{
	int64_t base, number;
	int crit, rb = crl_int_ext(in->crl, NID_delta_crl, &base, &crit);

	if (rb == 0)
		return 0;
	if (rb < 0)
		return ca_lint_msg(msg, msgsz, "deltaCRLIndicator does not decode");
	if (crl_int_ext(in->crl, NID_crl_number, &number, &crit) != 1)
		return 0;       /* e_crl_number_present says so */
	return base >= number && ca_lint_msg(msg, msgsz, "BaseCRLNumber %lld is not below cRLNumber %lld",
	    (long long)base, (long long)number);
}

LINT_CHECK(lint_crl_kind_matches)
{
	if (in->ctx->crl_kind == CA_LINT_CRL_FULL && is_delta(in->crl))
		return ca_lint_msg(msg, msgsz, "a full CRL has a deltaCRLIndicator");
	return in->ctx->crl_kind == CA_LINT_CRL_DELTA && !is_delta(in->crl) &&
	    ca_lint_msg(msg, msgsz, "a delta CRL has no deltaCRLIndicator");
}

LINT_CHECK(lint_crl_delta_no_freshest)
{
	return is_delta(in->crl) && crl_ext(in->crl, NID_freshest_crl) != NULL &&
	    ca_lint_msg(msg, msgsz, "a delta CRL has a freshestCRL");
}

LINT_CHECK(lint_crl_idp_critical)
{
	X509_EXTENSION *ext = crl_ext(in->crl, NID_issuing_distribution_point);

	return ext != NULL && !X509_EXTENSION_get_critical(ext) &&
	    ca_lint_msg(msg, msgsz, "issuingDistributionPoint is not critical");
}
