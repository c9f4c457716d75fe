/*
 * Unit tests for ca_crl_sign (RFC 5280 full and delta CRLs) against a real
 * store (":memory:") after ceremony_bootstrap into a temp dir, with a fake clock:
 * the DER is parsed back field by field, and OpenSSL's own path validation
 * (X509_V_FLAG_CRL_CHECK[_ALL] + USE_DELTAS) must accept the CRLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"

static struct ca_fixture F;     /* issuers ecdsa, rsa (+ gost); profile "qualified" */
static X509 *ee;                /* an end-entity certificate of "ecdsa" (ca_issue) */

static int
group_setup(void **state)
{
	struct pechat_subject s;

	(void)state;
	if (ca_fixture_setup(&F, "crl") != 0)
		return -1;
	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, "Иванов Иван Иванович");
	pechat_subject_set(&s, PSF_COUNTRY, "RU");
	ee = ca_fixture_issue_subject(&F, "qualified", "ec-p256.pem", &s);
	pechat_subject_clear(&s);
	return ee == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	X509_free(ee);
	return ca_fixture_teardown(&F);
}

/* ------------------------------------------------------------ helpers */

/* A full CRL's parameters for issuer: cRLNumber number, valid one hour from F.now, no entries. */
static void
full_params(struct ca_crl_params *p, const char *issuer, int64_t number)
{
	memset(p, 0, sizeof(*p));
	p->issuer = issuer;
	p->number = number;
	p->base_number = -1;
	p->this_update = F.now;
	p->next_update = F.now + 3600;
}

static void
entry_set(struct ca_crl_entry *en, const char *serial, int reason, time_t at, time_t inv, int remove)
{
	memset(en, 0, sizeof(*en));
	pechat_strlcpy(en->serial, serial, sizeof(en->serial));
	en->reason = reason;
	en->revoked_at = at;
	en->invalidity_date = inv;
	en->remove_from_crl = remove;
}

/* Signs and parses back a CRL (every byte consumed). */
static X509_CRL *
crl_make(const char *issuer, int64_t number, int64_t base, const struct ca_crl_entry *en, size_t n)
{
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *der = NULL;
	const unsigned char *q;
	size_t len = 0;
	X509_CRL *crl;

	memset(&p, 0, sizeof(p));
	p.issuer = issuer;
	p.number = number;
	p.base_number = base;
	p.this_update = F.now;
	p.next_update = F.now + 12 * 3600;
	p.entries = en;
	p.n_entries = n;
	if (ca_crl_sign(F.ca, &p, &der, &len, &e) != PECHAT_OK)
		fprintf(stderr, "crl: %s %s\n", e.code, e.detail);
	assert_non_null(der);
	assert_true(len > 0);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(q, der + len);
	OPENSSL_free(der);
	return crl;
}

static void
uri_is(GENERAL_NAMES *names, const char *want)
{
	GENERAL_NAME *gn;

	assert_int_equal(sk_GENERAL_NAME_num(names), 1);
	gn = sk_GENERAL_NAME_value(names, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), want);
}

/* The CDP URI of a certificate. */
static void
cert_cdp(X509 *cert, char *buf, size_t bufsz)
{
	CRL_DIST_POINTS *cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	GENERAL_NAME *gn;

	assert_non_null(cdp);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(cdp, 0)->distpoint->name.fullname, 0);
	pechat_strlcpy(buf, (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), bufsz);
	CRL_DIST_POINTS_free(cdp);
}

static int64_t
crl_int_ext(X509_CRL *crl, int nid, int *crit)
{
	ASN1_INTEGER *ai = X509_CRL_get_ext_d2i(crl, nid, crit, NULL);
	int64_t v = -1;

	if (ai != NULL)
		assert_int_equal(ASN1_INTEGER_get_int64(&v, ai), 1);
	ASN1_INTEGER_free(ai);
	return v;
}

static void
idp_is(X509_CRL *crl, const char *want)
{
	ISSUING_DIST_POINT *idp;
	int crit = -1;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	assert_non_null(idp);
	assert_int_equal(crit, 1);
	assert_non_null(idp->distpoint);
	assert_int_equal(idp->distpoint->type, 0);
	uri_is(idp->distpoint->name.fullname, want);
	assert_int_equal(idp->onlyuser, 0);
	assert_int_equal(idp->onlyCA, 0);
	assert_null(idp->onlysomereasons);
	assert_int_equal(idp->indirectCRL, 0);
	ISSUING_DIST_POINT_free(idp);
}

static int
entry_reason(X509_REVOKED *rev, int *crit)
{
	ASN1_ENUMERATED *r = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, crit, NULL);
	int v = -1;

	if (r != NULL)
		v = (int)ASN1_ENUMERATED_get(r);
	ASN1_ENUMERATED_free(r);
	return v;
}

static const char *
entry_serial(X509_REVOKED *rev, char buf[65])
{
	assert_int_equal(ca_serial_hex(X509_REVOKED_get0_serialNumber(rev), buf, 65), 0);
	return buf;
}

/* ------------------------------------------------------------ tests */

static void
test_crl_full(void **state)
{
	struct ca_crl_entry en[3];
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *revs;
	X509_REVOKED *rev;
	X509 *issuer = ca_issuer_get0_cert(F.ca, "ecdsa");
	AUTHORITY_KEYID *akid;
	CRL_DIST_POINTS *fresh;
	ASN1_GENERALIZEDTIME *inv;
	char buf[65], cdp[512];
	int crit;

	(void)state;
	/* given out of order: the CRL sorts them (1-, 2-, 4-octet serials) */
	entry_set(&en[0], "3C4D5E6F", CRL_REASON_KEY_COMPROMISE, F.now - 3600, F.now - 86400, 0);
	entry_set(&en[1], "1234", CRL_REASON_UNSPECIFIED, F.now - 600, 0, 0);
	entry_set(&en[2], "7A", CRL_REASON_CERTIFICATE_HOLD, F.now - 60, 0, 0);
	crl = crl_make("ecdsa", 7, -1, en, 3);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), F.now), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), F.now + 12 * 3600), 0);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuer)), 1);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "ecdsa-root"))), 0);
	ERR_clear_error();
	/* cRLNumber, not critical */
	crit = -2;
	assert_int_equal(crl_int_ext(crl, NID_crl_number, &crit), 7);
	assert_int_equal(crit, 0);
	/* AKI keyIdentifier = issuer SKI */
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(issuer)), 0);
	AUTHORITY_KEYID_free(akid);
	/* IDP = exactly the CDP of the certificates the issuer signs */
	cert_cdp(ee, cdp, sizeof(cdp));
	assert_string_equal(cdp, "http://ca.test/crl/ecdsa.crl");
	idp_is(crl, cdp);
	/* freshestCRL on the full CRL, non-critical; no deltaCRLIndicator */
	fresh = X509_CRL_get_ext_d2i(crl, NID_freshest_crl, &crit, NULL);
	assert_non_null(fresh);
	assert_int_equal(crit, 0);
	uri_is(sk_DIST_POINT_value(fresh, 0)->distpoint->name.fullname, "http://ca.test/crl/ecdsa-delta.crl");
	CRL_DIST_POINTS_free(fresh);
	assert_int_equal(X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1), -1);
	/* entries: sorted; reasons; dates */
	revs = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revs), 3);
	rev = sk_X509_REVOKED_value(revs, 0);
	assert_string_equal(entry_serial(rev, buf), "7A");
	assert_int_equal(entry_reason(rev, &crit), CRL_REASON_CERTIFICATE_HOLD);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(rev), F.now - 60), 0);
	assert_int_equal(X509_REVOKED_get_ext_count(rev), 1);
	rev = sk_X509_REVOKED_value(revs, 1);
	assert_string_equal(entry_serial(rev, buf), "1234");
	assert_int_equal(entry_reason(rev, &crit), -1);     /* unspecified: no reasonCode */
	assert_int_equal(crit, -1);
	assert_int_equal(X509_REVOKED_get_ext_count(rev), 0);
	rev = sk_X509_REVOKED_value(revs, 2);
	assert_string_equal(entry_serial(rev, buf), "3C4D5E6F");
	assert_int_equal(entry_reason(rev, &crit), CRL_REASON_KEY_COMPROMISE);
	inv = X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, &crit, NULL);
	assert_non_null(inv);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_STRING_type(inv), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(ASN1_TIME_cmp_time_t(inv, F.now - 86400), 0);
	ASN1_GENERALIZEDTIME_free(inv);
	/* no critical extension OpenSSL does not handle */
	assert_int_equal(X509_CRL_get_ext_count(crl), 4);
	X509_CRL_free(crl);
}

static void
test_crl_delta(void **state)
{
	struct ca_crl_entry en[2];
	X509_CRL *full, *delta;
	STACK_OF(X509_REVOKED) *revs;
	X509_EXTENSION *a, *b;
	char buf[65];
	int crit = -2;

	(void)state;
	entry_set(&en[0], "0F00", CRL_REASON_NONE, F.now - 60, 0, 1);
	entry_set(&en[1], "0E00", CRL_REASON_SUPERSEDED, F.now - 30, 0, 0);
	delta = crl_make("ecdsa", 9, 8, en, 2);
	full = crl_make("ecdsa", 8, -1, NULL, 0);
	assert_int_equal(X509_CRL_get_version(delta), X509_CRL_VERSION_2);
	assert_int_equal(crl_int_ext(delta, NID_crl_number, &crit), 9);
	/* deltaCRLIndicator: critical, BaseCRLNumber */
	assert_int_equal(crl_int_ext(delta, NID_delta_crl, &crit), 8);
	assert_int_equal(crit, 1);
	assert_int_equal(X509_CRL_get_ext_by_NID(delta, NID_freshest_crl, -1), -1);
	idp_is(delta, "http://ca.test/crl/ecdsa.crl");
	/* the IDP extension is byte-identical on base and delta (OpenSSL's check_delta_base) */
	a = X509_CRL_get_ext(full, X509_CRL_get_ext_by_NID(full, NID_issuing_distribution_point, -1));
	b = X509_CRL_get_ext(delta, X509_CRL_get_ext_by_NID(delta, NID_issuing_distribution_point, -1));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_EXTENSION_get_data(a), X509_EXTENSION_get_data(b)), 0);
	revs = X509_CRL_get_REVOKED(delta);
	assert_int_equal(sk_X509_REVOKED_num(revs), 2);
	assert_string_equal(entry_serial(sk_X509_REVOKED_value(revs, 0), buf), "0E00");
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(revs, 0), &crit), CRL_REASON_SUPERSEDED);
	assert_string_equal(entry_serial(sk_X509_REVOKED_value(revs, 1), buf), "0F00");
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(revs, 1), &crit), CRL_REASON_REMOVE_FROM_CRL);
	/* an empty full CRL has no revokedCertificates at all */
	assert_null(X509_CRL_get_REVOKED(full));
	assert_int_equal(X509_CRL_verify(delta, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "ecdsa"))), 1);
	X509_CRL_free(full);
	X509_CRL_free(delta);
}

/*
 * OpenSSL's path validation of ee (issued by "ecdsa" under "ecdsa-root")
 * at F.now + 60 with CRL_CHECK + CRL_CHECK_ALL (+ USE_DELTAS when
 * deltas != 0); the root's CRL covers the issuing CA. Returns the error.
 */
static int
crl_verify_root(X509_CRL *base, X509_CRL *delta, int deltas, const struct ca_crl_entry *root_en, size_t n_root)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	X509_CRL *root_crl = crl_make("ecdsa-root", 1, -1, root_en, n_root);
	unsigned long flags = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	int ok, err;

	assert_int_equal(X509_STORE_add_cert(store, ca_issuer_get0_cert(F.ca, "ecdsa-root")), 1);
	sk_X509_push(untrusted, ca_issuer_get0_cert(F.ca, "ecdsa"));
	sk_X509_CRL_push(crls, root_crl);
	sk_X509_CRL_push(crls, base);
	if (delta != NULL)
		sk_X509_CRL_push(crls, delta);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, ee, untrusted), 1);
	X509_STORE_CTX_set0_crls(ctx, crls);
	if (deltas)
		flags |= X509_V_FLAG_USE_DELTAS;
	X509_STORE_CTX_set_flags(ctx, flags);
	X509_STORE_CTX_set_time(ctx, 0, F.now + 60);
	ok = X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	assert_int_equal(ok == 1, err == X509_V_OK);
	X509_STORE_CTX_free(ctx);
	sk_X509_CRL_free(crls);
	X509_CRL_free(root_crl);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	ERR_clear_error();
	return err;
}

static int
crl_verify(X509_CRL *base, X509_CRL *delta, int deltas)
{
	return crl_verify_root(base, delta, deltas, NULL, 0);
}

static void
test_crl_openssl_accepts(void **state)
{
	struct ca_crl_entry en[2];
	X509_CRL *base, *delta;
	struct ca_crl_entry root_en;
	CRL_DIST_POINTS *fresh;
	char serial[65], ca_serial[65];

	(void)state;
	assert_int_equal(ca_cert_serial_hex(ee, serial, sizeof(serial)), 0);
	/* end-entity certificates point at the delta CRL too (freshestCRL, non-critical) */
	fresh = X509_get_ext_d2i(ee, NID_freshest_crl, NULL, NULL);
	assert_non_null(fresh);
	uri_is(sk_DIST_POINT_value(fresh, 0)->distpoint->name.fullname, "http://ca.test/crl/ecdsa-delta.crl");
	CRL_DIST_POINTS_free(fresh);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(ee,
	    X509_get_ext_by_NID(ee, NID_freshest_crl, -1))), 0);

	/* a base CRL without the certificate: valid */
	entry_set(&en[0], "7A", CRL_REASON_KEY_COMPROMISE, F.now - 60, 0, 0);
	base = crl_make("ecdsa", 20, -1, en, 1);
	assert_int_equal(crl_verify(base, NULL, 1), X509_V_OK);
	X509_CRL_free(base);

	/* revoked in the base CRL */
	entry_set(&en[1], serial, CRL_REASON_KEY_COMPROMISE, F.now - 10, F.now - 3600, 0);
	base = crl_make("ecdsa", 21, -1, en, 2);
	assert_int_equal(crl_verify(base, NULL, 0), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(crl_verify(base, NULL, 1), X509_V_ERR_CERT_REVOKED);
	X509_CRL_free(base);

	/* revoked only in a delta relative to an older base */
	base = crl_make("ecdsa", 22, -1, en, 1);
	entry_set(&en[1], serial, CRL_REASON_SUPERSEDED, F.now - 10, 0, 0);
	delta = crl_make("ecdsa", 23, 22, &en[1], 1);
	assert_int_equal(crl_verify(base, delta, 0), X509_V_OK);    /* deltas not used */
	assert_int_equal(crl_verify(base, delta, 1), X509_V_ERR_CERT_REVOKED);
	X509_CRL_free(base);
	X509_CRL_free(delta);

	/* the issuing CA revoked in the root's CRL (CRL_CHECK_ALL) */
	base = crl_make("ecdsa", 26, -1, en, 1);
	assert_int_equal(ca_cert_serial_hex(ca_issuer_get0_cert(F.ca, "ecdsa"), ca_serial, sizeof(ca_serial)), 0);
	entry_set(&root_en, ca_serial, CRL_REASON_CA_COMPROMISE, F.now - 10, 0, 0);
	assert_int_equal(crl_verify_root(base, NULL, 1, &root_en, 1), X509_V_ERR_CERT_REVOKED);
	X509_CRL_free(base);

	/* on hold in the base, removeFromCRL in the delta: valid again */
	entry_set(&en[1], serial, CRL_REASON_CERTIFICATE_HOLD, F.now - 10, 0, 0);
	base = crl_make("ecdsa", 24, -1, en, 2);
	assert_int_equal(crl_verify(base, NULL, 1), X509_V_ERR_CERT_REVOKED);
	entry_set(&en[1], serial, CRL_REASON_NONE, F.now - 5, 0, 1);
	delta = crl_make("ecdsa", 25, 24, &en[1], 1);
	assert_int_equal(crl_verify(base, delta, 1), X509_V_OK);
	X509_CRL_free(base);
	X509_CRL_free(delta);
}

static void
test_crl_rsa(void **state)
{
	struct ca_crl_entry en[1];
	X509_CRL *crl;
	int crit;

	(void)state;
	entry_set(&en[0], "01", CRL_REASON_CESSATION_OF_OPERATION, F.now - 1, 0, 0);
	crl = crl_make("rsa", 1, -1, en, 1);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "rsa"))), 1);
	idp_is(crl, "http://ca.test/crl/rsa.crl");
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0), &crit),
	    CRL_REASON_CESSATION_OF_OPERATION);
	X509_CRL_free(crl);
	/* roots sign theirs with their own key; full scope: no IDP (the root itself has no CDP) */
	crl = crl_make("rsa-root", 1, -1, NULL, 0);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "rsa-root"))), 1);
	assert_int_equal(X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1), -1);
	assert_int_equal(X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) >= 0, 1);
	X509_CRL_free(crl);
}

static void
test_crl_gost(void **state)
{
	struct ca_crl_entry en[1];
	X509_CRL *crl;

	(void)state;
	if (!F.have_gost)
		skip();
	entry_set(&en[0], "5A5A", CRL_REASON_AFFILIATION_CHANGED, F.now - 1, 0, 0);
	crl = crl_make("gost", 3, -1, en, 1);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_id_tc26_signwithdigest_gost3410_2012_256);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "gost"))), 1);
	X509_CRL_free(crl);
	crl = crl_make("gost", 4, 3, en, 1);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "gost"))), 1);
	X509_CRL_free(crl);
}

static void
test_crl_refused(void **state)
{
	struct ca_crl_entry en[1];
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 1;

	(void)state;
	entry_set(&en[0], "0A", CRL_REASON_KEY_COMPROMISE, F.now, 0, 0);
	full_params(&p, CA_OPERATORS_ISSUER, 1);
	p.entries = en;
	p.n_entries = 1;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_NOT_FOUND);
	assert_string_equal(e.code, "issuer_unknown");
	assert_null(der);
	assert_int_equal(len, 0);
	p.issuer = "nope";
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_NOT_FOUND);
	p.issuer = "ecdsa";
	p.next_update = F.now;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "crl_params_invalid");
	p.next_update = F.now + 3600;
	p.number = -1;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	p.number = 5;
	p.base_number = 5;              /* a delta's base must be older */
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	p.base_number = -1;
	en[0].remove_from_crl = 1;      /* removeFromCRL only in deltas */
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	en[0].remove_from_crl = 0;
	en[0].reason = 7;               /* not a CRLReason */
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	en[0].reason = CRL_REASON_REMOVE_FROM_CRL;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	en[0].reason = CRL_REASON_KEY_COMPROMISE;
	pechat_strlcpy(en[0].serial, "XYZ", sizeof(en[0].serial));
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	pechat_strlcpy(en[0].serial, "00", sizeof(en[0].serial));
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INVALID);
	assert_null(der);
	/* and the happy path still works with the same parameters */
	pechat_strlcpy(en[0].serial, "0A", sizeof(en[0].serial));
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_OK);
	OPENSSL_free(der);
}

/*
 * A CRL whose signature does not verify (hsm/ fault seam) is refused and nothing is returned.
 * The seam skips the lint's throw-away signature: it is the issuer key's that fails.
 */
static void
test_crl_signature_fault(void **state)
{
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 1;

	(void)state;
	full_params(&p, "ecdsa", 1);
	hsm_test_corrupt_next_signature();
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_null(der);
	assert_int_equal(len, 0);
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_OK);      /* one signature only */
	assert_non_null(der);
	OPENSSL_free(der);
}

/*
 * The CRL lint (docs/LINT.md) before the issuer key signs: a number that is
 * not above the issuer's last published one is refused with lint_failed
 * naming e_crl_number_increasing, and nothing is returned; above it, signed.
 */
static void
test_crl_lint_refuses(void **state)
{
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 1;

	(void)state;
	full_params(&p, "ecdsa", 7);
	p.has_prev_number = 1;
	p.prev_number = 7;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "lint_failed");
	assert_non_null(strstr(e.detail, "e_crl_number_increasing"));
	assert_null(der);
	assert_int_equal(len, 0);
	p.prev_number = 6;
	assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_OK);
	assert_non_null(der);
	OPENSSL_free(der);
}

static void
test_crl_reason_names(void **state)
{
	static const char *const names[] = { "unspecified", "keyCompromise", "cACompromise",
	    "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
	    "privilegeWithdrawn", "aACompromise" };
	static const int codes[] = { CRL_REASON_UNSPECIFIED, CRL_REASON_KEY_COMPROMISE,
	    CRL_REASON_CA_COMPROMISE, CRL_REASON_AFFILIATION_CHANGED, CRL_REASON_SUPERSEDED,
	    CRL_REASON_CESSATION_OF_OPERATION, CRL_REASON_CERTIFICATE_HOLD,
	    CRL_REASON_PRIVILEGE_WITHDRAWN, CRL_REASON_AA_COMPROMISE };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(ca_crl_reason_from_name(names[i]), codes[i]);
		assert_string_equal(ca_crl_reason_name(codes[i]), names[i]);
	}
	assert_int_equal(ca_crl_reason_from_name("removeFromCRL"), -1);
	assert_int_equal(ca_crl_reason_from_name("keycompromise"), -1);
	assert_int_equal(ca_crl_reason_from_name(""), -1);
	assert_int_equal(ca_crl_reason_from_name(NULL), -1);
	assert_null(ca_crl_reason_name(7));
	assert_null(ca_crl_reason_name(CRL_REASON_REMOVE_FROM_CRL));
	assert_null(ca_crl_reason_name(-1));
	assert_null(ca_crl_reason_name(11));
}

static void
test_crl_urls(void **state)
{
	char full[512], delta[512];

	(void)state;
	assert_int_equal(ca_crl_urls(F.ca, "ecdsa", full, sizeof(full), delta, sizeof(delta)), 0);
	assert_string_equal(full, "http://ca.test/crl/ecdsa.crl");
	assert_string_equal(delta, "http://ca.test/crl/ecdsa-delta.crl");
	assert_int_equal(ca_crl_urls(F.ca, "ecdsa", full, 10, delta, sizeof(delta)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl_full),
		cmocka_unit_test(test_crl_delta),
		cmocka_unit_test(test_crl_openssl_accepts),
		cmocka_unit_test(test_crl_rsa),
		cmocka_unit_test(test_crl_gost),
		cmocka_unit_test(test_crl_refused),
		cmocka_unit_test(test_crl_signature_fault),
		cmocka_unit_test(test_crl_lint_refuses),
		cmocka_unit_test(test_crl_reason_names),
		cmocka_unit_test(test_crl_urls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
