/* Unit tests for ca_csr_parse: fixtures in tests/data/csr/ named by their defect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca/ca.h"
#include "hsm/hsm.h"
#include "ca_fixture.h"

static unsigned char *
fixture(const char *name, size_t *len)
{
	char rel[256];
	unsigned char *buf = NULL;

	assert_non_null(getenv("PECHAT_TEST_DATA"));
	snprintf(rel, sizeof(rel), "csr/%s", name);
	assert_int_equal(ca_fixture_read(rel, &buf, len), 0);
	return buf;
}

/* Parses a fixture; returns the error kind, checks the code on failure. */
static enum pechat_err
parse(const char *name, const char *code, int want_type)
{
	struct pechat_error e;
	X509_REQ *req = NULL;
	size_t len;
	unsigned char *buf = fixture(name, &len);
	enum pechat_err rc;

	pechat_error_clear(&e);
	rc = ca_csr_parse(buf, len, &req, &e);
	if (rc == PECHAT_OK) {
		assert_non_null(req);
		assert_int_equal(EVP_PKEY_get_base_id(X509_REQ_get0_pubkey(req)), want_type);
	} else {
		assert_null(req);
		assert_string_equal(e.code, code);
	}
	X509_REQ_free(req);
	free(buf);
	return rc;
}

static void
test_good(void **state)
{
	(void)state;
	assert_int_equal(parse("ec-p256.pem", NULL, EVP_PKEY_EC), PECHAT_OK);
	assert_int_equal(parse("rsa2048.pem", NULL, EVP_PKEY_RSA), PECHAT_OK);
	assert_int_equal(parse("rsa3072.der", NULL, EVP_PKEY_RSA), PECHAT_OK);
	assert_int_equal(parse("ed25519.pem", NULL, EVP_PKEY_ED25519), PECHAT_OK);
	/* weak keys and explicit curves parse: refusing them is the key policy's job */
	assert_int_equal(parse("rsa1024.pem", NULL, EVP_PKEY_RSA), PECHAT_OK);
	assert_int_equal(parse("explicit-curve.pem", NULL, EVP_PKEY_EC), PECHAT_OK);
}

static void
test_gost(void **state)
{
	(void)state;
	if (EVP_get_digestbyname("md_gost12_256") == NULL)
		skip();
	assert_int_equal(parse("gost2012-256.pem", NULL, NID_id_GostR3410_2012_256), PECHAT_OK);
	assert_int_equal(parse("gost2012-512.pem", NULL, NID_id_GostR3410_2012_512), PECHAT_OK);
}

static void
test_bad(void **state)
{
	(void)state;
	assert_int_equal(parse("bad-signature.pem", "csr_signature_invalid", 0), PECHAT_E_INVALID);
	assert_int_equal(parse("trailing-garbage.der", "csr_trailing_data", 0), PECHAT_E_INVALID);
	assert_int_equal(parse("two-blocks.pem", "csr_trailing_data", 0), PECHAT_E_INVALID);
	assert_int_equal(parse("truncated.der", "csr_malformed", 0), PECHAT_E_INVALID);
	assert_int_equal(parse("not-a-csr.pem", "csr_malformed", 0), PECHAT_E_INVALID);
}

/* Parses a fixture expecting a refusal; returns the detail. */
static void
refused(const char *name, const char *code, const char *detail_part)
{
	struct pechat_error e;
	X509_REQ *req = NULL;
	size_t len;
	unsigned char *buf = fixture(name, &len);

	pechat_error_clear(&e);
	if (ca_csr_parse(buf, len, &req, &e) == PECHAT_OK)
		fail_msg("%s: accepted", name);
	assert_null(req);
	assert_string_equal(e.code, code);
	if (strstr(e.detail, detail_part) == NULL)
		fail_msg("%s: detail \"%s\" lacks \"%s\"", name, e.detail, detail_part);
	free(buf);
}

/* Issue item 8: only one exact PEM block; SHA-2/Streebog self-signatures; a base64 DER is told to use PEM. */
static void
test_strict_inputs(void **state)
{
	(void)state;
	/* a garbage "-----BEGINX" line before a good block */
	refused("begin-garbage.pem", "csr_malformed", "-----BEGIN CERTIFICATE REQUEST-----");
	/* proof of possession over MD5 or SHA-1: refused, naming what was found and what is accepted */
	refused("md5-rsa.pem", "csr_digest_not_allowed", "self-signed with MD5; accepted: SHA-224, SHA-256");
	refused("sha1-ec.pem", "csr_digest_not_allowed", "self-signed with SHA1; accepted:");
	refused("sha1-rsa.pem", "csr_digest_not_allowed", "Streebog");
	refused("pss-sha1.pem", "csr_digest_not_allowed", "self-signed with SHA1");
	assert_int_equal(parse("pss-sha256.pem", NULL, EVP_PKEY_RSA), PECHAT_OK);
	/* the DER in base64 without its armour (issue item 9: say what is expected) */
	refused("base64-der.txt", "csr_malformed", "without its PEM armour");
	refused("truncated.der", "csr_malformed", "expected one PEM block");
}

static void
test_pem_variants(void **state)
{
	struct pechat_error e;
	X509_REQ *req = NULL;
	size_t len;
	unsigned char *buf = fixture("ec-p256.pem", &len);
	unsigned char *big;
	char *s;

	(void)state;
	/* leading and trailing whitespace is fine */
	s = malloc(len + 8);
	assert_non_null(s);
	memcpy(s, "\r\n  ", 4);
	memcpy(s + 4, buf, len);
	memcpy(s + 4 + len, " \n\t\n", 4);
	assert_int_equal(ca_csr_parse((unsigned char *)s, len + 8, &req, &e), PECHAT_OK);
	X509_REQ_free(req);
	req = NULL;
	/* one non-space byte after the block is trailing data */
	s[4 + len + 1] = 'x';
	assert_int_equal(ca_csr_parse((unsigned char *)s, len + 8, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "csr_trailing_data");
	/* text before the block is not a request */
	memcpy(s, "junk", 4);
	assert_int_equal(ca_csr_parse((unsigned char *)s, len + 4, &req, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "csr_malformed");
	/* the legacy NEW CERTIFICATE REQUEST label */
	free(s);
	s = malloc(len + 16);
	assert_non_null(s);
	{
		char *body = strstr((char *)buf, "\n") + 1;
		char *end = strstr(body, "-----END");

		len = (size_t)snprintf(s, len + 16, "-----BEGIN NEW CERTIFICATE REQUEST-----\n%.*s"
		    "-----END NEW CERTIFICATE REQUEST-----\n", (int)(end - body), body);
	}
	assert_int_equal(ca_csr_parse((unsigned char *)s, len, &req, &e), PECHAT_OK);
	X509_REQ_free(req);
	req = NULL;
	free(s);
	/* size bound before anything is parsed */
	big = calloc(1, 64 * 1024 + 1);
	assert_non_null(big);
	assert_int_equal(ca_csr_parse(big, 64 * 1024 + 1, &req, &e), PECHAT_E_TOO_LARGE);
	assert_string_equal(e.code, "csr_too_large");
	assert_int_equal(ca_csr_parse(big, 0, &req, &e), PECHAT_E_INVALID);
	assert_int_equal(ca_csr_parse(big, 100, &req, &e), PECHAT_E_INVALID);
	assert_null(req);
	free(big);
	free(buf);
}

static void
test_critical_extension(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new(), *out = NULL;
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	struct pechat_error e;
	int len;

	(void)state;
	assert_non_null(pkey);
	assert_int_equal(ASN1_OCTET_STRING_set(val, (const unsigned char *)"\x05\x00", 2), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, val);
	assert_non_null(ext);
	sk_X509_EXTENSION_push(exts, ext);
	assert_int_equal(X509_REQ_set_pubkey(req, pkey), 1);
	assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
	assert_true(X509_REQ_sign(req, pkey, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	assert_int_equal(ca_csr_parse(der, (size_t)len, &out, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "csr_critical_extension");
	assert_null(out);
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(val);
	X509_REQ_free(req);
	EVP_PKEY_free(pkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_gost),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_pem_variants),
		cmocka_unit_test(test_critical_extension),
		cmocka_unit_test(test_strict_inputs),
	};

	pechat_log_set_level((enum pechat_log_level)(PECHAT_LOG_ERROR + 1));
	hsm_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
