/*
 * Unit tests for the CRL writer (ca/crl_der.c) behind ca_crl_sign and
 * ca_crl_begin: the same CRL made both ways — the writer, and the old path
 * of one X509_CRL with an X509_REVOKED per entry (ca_crl_sign_x509, the
 * oracle) — has the same TBSCertList byte for byte and the same signature
 * AlgorithmIdentifier, for ECDSA, RSA and GOST issuers and their roots, full
 * and delta, entries in any order; a serial listed twice is refused
 * (e_crl_serials_unique, in order and out of order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "ca_fixture.h"

static struct ca_fixture F;

static int
group_setup(void **state)
{
	(void)state;
	return ca_fixture_setup(&F, "crlw");
}

static int
group_teardown(void **state)
{
	(void)state;
	return ca_fixture_teardown(&F);
}

/* Entries exercising every encoding path: serial lengths, a top bit set, each reason, invalidityDate. */
static size_t
entries_make(struct ca_crl_entry *en, size_t max, int delta)
{
	static const char *const serials[] = {
		"7F", "80", "0A", "5EED0000000000000000000000000001", "00FF", "1234567890ABCDEF",
		"5EED0000000000000000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "01", "0100",
		"9C3D2E1F00112233445566778899AABB", "42",
	};
	static const int reasons[] = { CRL_REASON_NONE, CRL_REASON_UNSPECIFIED, CRL_REASON_KEY_COMPROMISE,
	    CRL_REASON_CA_COMPROMISE, CRL_REASON_AFFILIATION_CHANGED, CRL_REASON_SUPERSEDED,
	    CRL_REASON_CESSATION_OF_OPERATION, CRL_REASON_CERTIFICATE_HOLD, CRL_REASON_PRIVILEGE_WITHDRAWN,
	    CRL_REASON_AA_COMPROMISE, CRL_REASON_KEY_COMPROMISE, CRL_REASON_SUPERSEDED };
	size_t i, n = sizeof(serials) / sizeof(serials[0]);

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		memset(&en[i], 0, sizeof(en[i]));
		pechat_strlcpy(en[i].serial, serials[i], sizeof(en[i].serial));
		en[i].reason = reasons[i];
		/* times on both sides of 2050 (UTCTime / GeneralizedTime) and repeated ones */
		en[i].revoked_at = i == 3 ? (time_t)2556144000 : F.now - (time_t)(i % 4) * 3600;
		en[i].invalidity_date = i % 5 == 2 ? F.now - 86400 : 0;
		en[i].remove_from_crl = delta && i == 4;
	}
	return n;
}

/* The first two elements (TBSCertList, signatureAlgorithm) of a CRL's DER, decoded by OpenSSL. */
static ASN1_SEQUENCE_ANY *
crl_parts(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	ASN1_SEQUENCE_ANY *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);

	assert_non_null(seq);
	assert_ptr_equal(p, der + len);
	assert_int_equal(sk_ASN1_TYPE_num(seq), 3);
	return seq;
}

/* One CRL of issuer made both ways: same TBS and algorithm; the writer's parses, verifies, lists n. */
static void
same_both_ways(const char *issuer, int64_t base, const struct ca_crl_entry *en, size_t n)
{
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *a = NULL, *b = NULL;
	const unsigned char *q;
	size_t alen = 0, blen = 0;
	ASN1_SEQUENCE_ANY *sa, *sb;
	X509_CRL *crl;

	memset(&p, 0, sizeof(p));
	p.issuer = issuer;
	p.number = 1000;
	p.base_number = base;
	p.this_update = F.now;
	p.next_update = F.now + 7200;
	p.entries = en;
	p.n_entries = n;
	if (ca_crl_sign(F.ca, &p, &a, &alen, &e) != PECHAT_OK)
		fprintf(stderr, "%s: %s %s\n", issuer, e.code, e.detail);
	assert_non_null(a);
	assert_int_equal(ca_crl_sign_x509(F.ca, &p, &b, &blen, &e), PECHAT_OK);
	sa = crl_parts(a, alen);
	sb = crl_parts(b, blen);
	assert_int_equal(ASN1_TYPE_cmp(sk_ASN1_TYPE_value(sa, 0), sk_ASN1_TYPE_value(sb, 0)), 0);
	assert_int_equal(ASN1_TYPE_cmp(sk_ASN1_TYPE_value(sa, 1), sk_ASN1_TYPE_value(sb, 1)), 0);
	q = a;
	crl = d2i_X509_CRL(NULL, &q, (long)alen);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, issuer))), 1);
	if (n == 0)
		assert_null(X509_CRL_get_REVOKED(crl));         /* revokedCertificates omitted (§5.1.2.6) */
	else
		assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), (int)n);
	X509_CRL_free(crl);
	sk_ASN1_TYPE_pop_free(sa, ASN1_TYPE_free);
	sk_ASN1_TYPE_pop_free(sb, ASN1_TYPE_free);
	OPENSSL_free(a);
	OPENSSL_free(b);
}

static void
test_writer_equals_x509_path(void **state)
{
	static const char *const issuers[] = { "ecdsa", "ecdsa-root", "rsa", "rsa-root", "gost", "gost-root" };
	struct ca_crl_entry en[16], sorted[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		if (ca_issuer_get0_cert(F.ca, issuers[i]) == NULL)
			continue;       /* no gost-engine */
		n = entries_make(en, 16, 0);
		same_both_ways(issuers[i], -1, en, n);          /* any order: sorted at the end */
		same_both_ways(issuers[i], -1, en, 0);          /* no entries: no revokedCertificates */
		same_both_ways(issuers[i], -1, en, 1);
		n = entries_make(en, 16, 1);
		same_both_ways(issuers[i], 999, en, n);         /* delta with removeFromCRL */
	}
	/* already in ascending order (the store's): the same bytes without the sort */
	n = entries_make(sorted, 16, 0);
	pechat_strlcpy(sorted[0].serial, "01", sizeof(sorted[0].serial));
	for (i = 1; i < n; i++)
		snprintf(sorted[i].serial, sizeof(sorted[i].serial), "%02zX", i * 16 + 1);
	same_both_ways("ecdsa", -1, sorted, n);
}

/* A serial twice: lint_failed naming e_crl_serials_unique, nothing returned; in order and out of order. */
static void
test_writer_duplicate_refused(void **state)
{
	struct ca_crl_entry en[3];
	struct ca_crl_params p;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 1, i;
	static const char *const orders[2][3] = { { "0A", "0B", "0B" }, { "0B", "0A", "0B" } };

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(en, 0, sizeof(en));
		pechat_strlcpy(en[0].serial, orders[i][0], sizeof(en[0].serial));
		pechat_strlcpy(en[1].serial, orders[i][1], sizeof(en[1].serial));
		pechat_strlcpy(en[2].serial, orders[i][2], sizeof(en[2].serial));
		en[0].revoked_at = en[1].revoked_at = en[2].revoked_at = F.now;
		en[0].reason = en[1].reason = en[2].reason = CRL_REASON_NONE;
		memset(&p, 0, sizeof(p));
		p.issuer = "ecdsa";
		p.number = 5;
		p.base_number = -1;
		p.this_update = F.now;
		p.next_update = F.now + 60;
		p.entries = en;
		p.n_entries = 3;
		assert_int_equal(ca_crl_sign(F.ca, &p, &der, &len, &e), PECHAT_E_INTERNAL);
		assert_string_equal(e.code, "lint_failed");
		assert_non_null(strstr(e.detail, "e_crl_serials_unique"));
		assert_null(der);
		assert_int_equal(len, 0);
	}
}

/* The streaming API: 20,000 entries added one by one in ascending order, the CRL lists them all in order. */
static void
test_writer_stream(void **state)
{
	struct ca_crl_writer *w = NULL;
	struct ca_crl_params p;
	struct ca_crl_entry en;
	struct pechat_error e;
	unsigned char *der = NULL;
	const unsigned char *q;
	size_t len = 0;
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *revs;
	char hex[65];
	int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.issuer = "ecdsa";
	p.number = 7;
	p.base_number = -1;
	p.this_update = F.now;
	p.next_update = F.now + 60;
	assert_int_equal(ca_crl_begin(F.ca, &p, &w, &e), PECHAT_OK);
	for (i = 0; i < 20000; i++) {
		memset(&en, 0, sizeof(en));
		snprintf(en.serial, sizeof(en.serial), "5EED%028X", i + 1);
		en.reason = i % 3 == 0 ? CRL_REASON_KEY_COMPROMISE : CRL_REASON_NONE;
		en.revoked_at = F.now - i;
		assert_int_equal(ca_crl_writer_add(w, &en, &e), PECHAT_OK);
	}
	assert_int_equal(ca_crl_writer_finish(w, &der, &len, &e), PECHAT_OK);
	ca_crl_writer_free(w);
	q = der;
	crl = d2i_X509_CRL(NULL, &q, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(q, der + len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca_issuer_get0_cert(F.ca, "ecdsa"))), 1);
	revs = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revs), 20000);
	assert_int_equal(ca_serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, 19999)), hex,
	    sizeof(hex)), 0);
	assert_string_equal(hex, "5EED0000000000000000000000004E20");
	X509_CRL_free(crl);
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_equals_x509_path),
		cmocka_unit_test(test_writer_duplicate_refused),
		cmocka_unit_test(test_writer_stream),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
