/* Unit tests for the shared builder: step 3 (build), 4 (lint) and 5/6 (sign + verify). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "hsm/hsm_int.h"
#include "ca_fixture.h"

static char tmpdir[128];
static struct hsm_key *ca_key, *other_key, *leaf_key;
static X509 *ca_cert, *other_cert;
static X509_NAME *ca_name, *leaf_name;
static time_t now;

static struct hsm_key *
keygen(const char *name, const char *alg)
{
	char ref[256];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	snprintf(ref, sizeof(ref), "file:%s/%s.key", tmpdir, name);
	assert_int_equal(hsm_key_generate(ref, alg, &k, &e), PECHAT_OK);
	return k;
}

static X509_NAME *
cn(const char *v)
{
	struct pechat_subject s;
	struct pechat_error e;
	X509_NAME *n = NULL;

	memset(&s, 0, sizeof(s));
	pechat_subject_set(&s, PSF_COMMON_NAME, v);
	assert_int_equal(ca_subject_name(&s, &n, &e), PECHAT_OK);
	pechat_subject_clear(&s);
	return n;
}

/* Step 4 on x with issuer (NULL: self-signed) and no profile. */
static enum pechat_err
lint_cert(X509 *x, X509 *issuer, struct pechat_error *e)
{
	struct ca_build b;

	memset(&b, 0, sizeof(b));
	b.profile = "t";
	b.issuer_cert = issuer;
	return ca_cert_lint(x, &b, issuer != NULL ? X509_get0_pubkey(issuer) : X509_get0_pubkey(x), e);
}

/* A self-signed CA certificate through build + lint + sign. */
static X509 *
self_signed(struct hsm_key *k, const X509_NAME *name)
{
	struct ca_build b;
	struct pechat_error e;
	ASN1_INTEGER *serial = NULL;
	char hex[65];
	X509 *x = NULL;

	memset(&b, 0, sizeof(b));
	b.profile = CA_PROFILE_ROOT;
	b.issuer_name = "t";
	b.issuer_key = k;
	b.subject_key = hsm_key_public(k);
	b.subject = name;
	b.is_ca = 1;
	b.pathlen = -1;
	b.key_usage = PECHAT_KU_KEY_CERT_SIGN | PECHAT_KU_CRL_SIGN;
	b.not_before = now;
	b.not_after = now + 86400 * 30;
	assert_int_equal(ca_serial_new(&serial, hex, &e), PECHAT_OK);
	assert_int_equal(ca_cert_build(&b, serial, &x, &e), PECHAT_OK);
	assert_int_equal(lint_cert(x, NULL, &e), PECHAT_OK);
	assert_int_equal(ca_cert_sign(&x, k, hsm_key_public(k), &e), PECHAT_OK);
	ASN1_INTEGER_free(serial);
	return x;
}

static int
setup(void **state)
{
	(void)state;
	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "lint") != 0)
		return -1;
	now = time(NULL);
	ca_key = keygen("ca", "ec-p384");
	other_key = keygen("other", "ec-p256");
	leaf_key = keygen("leaf", "ec-p256");
	ca_name = cn("Lint CA");
	leaf_name = cn("Leaf");
	ca_cert = self_signed(ca_key, ca_name);
	other_cert = self_signed(other_key, ca_name);   /* same name, other key/SKI */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	X509_free(other_cert);
	X509_NAME_free(ca_name);
	X509_NAME_free(leaf_name);
	hsm_key_free(ca_key);
	hsm_key_free(other_key);
	hsm_key_free(leaf_key);
	return ca_fixture_rmtree(tmpdir);
}

static void
leaf_build(struct ca_build *b)
{
	memset(b, 0, sizeof(*b));
	b->profile = "p";
	b->issuer_name = "t";
	b->issuer_cert = ca_cert;
	b->issuer_key = ca_key;
	b->subject_key = hsm_key_public(leaf_key);
	b->subject = leaf_name;
	b->pathlen = -1;
	b->key_usage = PECHAT_KU_DIGITAL_SIGNATURE;
	b->not_before = now;
	b->not_after = now + 86400;
}

/* Builds b and returns lint's verdict. */
static enum pechat_err
lint(const struct ca_build *b, X509 *issuer, X509 **keep)
{
	struct pechat_error e;
	ASN1_INTEGER *serial = NULL;
	char hex[65];
	X509 *x = NULL;
	enum pechat_err rc;

	assert_int_equal(ca_serial_new(&serial, hex, &e), PECHAT_OK);
	assert_int_equal(ca_cert_build(b, serial, &x, &e), PECHAT_OK);
	rc = lint_cert(x, issuer, &e);
	if (rc != PECHAT_OK)
		assert_string_equal(e.code, "lint_failed");
	if (keep != NULL)
		*keep = x;
	else
		X509_free(x);
	ASN1_INTEGER_free(serial);
	return rc;
}

static void
test_lint_good_and_sign(void **state)
{
	struct ca_build b;
	struct pechat_error e;
	X509 *x = NULL;

	(void)state;
	leaf_build(&b);
	assert_int_equal(lint(&b, ca_cert, &x), PECHAT_OK);
	assert_int_equal(ca_cert_sign(&x, ca_key, X509_get0_pubkey(ca_cert), &e), PECHAT_OK);
	/* P-384 issuer key: ECDSA with SHA-384 */
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(ca_cert)), 1);
	X509_free(x);
}

static void
test_lint_findings(void **state)
{
	struct ca_build b;

	(void)state;
	leaf_build(&b);
	b.key_usage = 0;
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);
	b.key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_KEY_CERT_SIGN;  /* CA:FALSE */
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);
	b.not_after = now + 86400 * 31;                 /* past the issuer */
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);
	b.not_before = now - 1;                         /* before the issuer */
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);
	b.not_after = b.not_before;                     /* empty validity */
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);                                 /* AKI from ca_cert, checked against other */
	assert_int_equal(lint(&b, other_cert, NULL), PECHAT_E_INTERNAL);
	leaf_build(&b);
	b.is_ca = 1;                                    /* CA:TRUE without keyCertSign */
	assert_int_equal(lint(&b, ca_cert, NULL), PECHAT_E_INTERNAL);
}

static void
test_lint_duplicate_and_serial(void **state)
{
	struct ca_build b;
	struct pechat_error e;
	X509 *x = NULL;
	ASN1_INTEGER *neg = ASN1_INTEGER_new();
	BIGNUM *big = NULL;

	(void)state;
	leaf_build(&b);
	assert_int_equal(lint(&b, ca_cert, &x), PECHAT_OK);
	/* a second basicConstraints */
	{
		X509_EXTENSION *dup = X509_EXTENSION_dup(X509_get_ext(x, 0));

		assert_int_equal(X509_add_ext(x, dup, -1), 1);
		X509_EXTENSION_free(dup);
	}
	assert_int_equal(lint_cert(x, ca_cert, &e), PECHAT_E_INTERNAL);
	X509_free(x);
	x = NULL;
	/* a negative serial and a 21-octet serial */
	assert_int_equal(lint(&b, ca_cert, &x), PECHAT_OK);
	assert_int_equal(ASN1_INTEGER_set(neg, -7), 1);
	assert_int_equal(X509_set_serialNumber(x, neg), 1);
	assert_int_equal(lint_cert(x, ca_cert, &e), PECHAT_E_INTERNAL);
	assert_true(BN_hex2bn(&big, "7F0102030405060708090A0B0C0D0E0F1011121314") > 0);
	assert_non_null(BN_to_ASN1_INTEGER(big, neg));
	assert_int_equal(X509_set_serialNumber(x, neg), 1);
	assert_int_equal(lint_cert(x, ca_cert, &e), PECHAT_E_INTERNAL);
	BN_free(big);
	ASN1_INTEGER_free(neg);
	X509_free(x);
}

/* A signature that does not verify with the issuer's key is caught (step 6). */
static void
test_sign_wrong_key(void **state)
{
	struct ca_build b;
	struct pechat_error e;
	X509 *x = NULL;

	(void)state;
	leaf_build(&b);
	assert_int_equal(lint(&b, ca_cert, &x), PECHAT_OK);
	assert_int_equal(ca_cert_sign(&x, other_key, X509_get0_pubkey(ca_cert), &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	X509_free(x);
}

/* A signature that does not verify (hsm/ fault seam) is refused: the certificate is not used. */
static void
test_sign_fault(void **state)
{
	struct ca_build b;
	struct pechat_error e;
	X509 *x = NULL;

	(void)state;
	leaf_build(&b);
	assert_int_equal(lint(&b, ca_cert, &x), PECHAT_OK);
	hsm_test_corrupt_next_signature();
	assert_int_equal(ca_cert_sign(&x, ca_key, X509_get0_pubkey(ca_cert), &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_good_and_sign),
		cmocka_unit_test(test_lint_findings),
		cmocka_unit_test(test_lint_duplicate_and_serial),
		cmocka_unit_test(test_sign_wrong_key),
		cmocka_unit_test(test_sign_fault),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
