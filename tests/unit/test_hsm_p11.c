/*
 * Unit tests for hsm/ pkcs11: keys on real SoftHSM2 tokens made in a temporary
 * directory by tests/tools/softhsm-token.sh: open by URI, sign + verify (EC
 * P-256, RSA-3072), status, wrong PIN (one login, never retried), factory
 * default PINs, PIN file permissions, the URI parser's refusals, and a key
 * generated next to an open one in the same process (pechatd's OCSP responder
 * keys: hsm_key_ref_sibling, no second login, the new key opens at once).
 * Skipped (with a message) only when SoftHSM2 or p11tool is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hsm/hsm.h"
#include "hsm/p11.h"
#include "ca_fixture.h"
#include "hsm_test.h"

static char tmpdir[256];
static char module[1024];
static int have_softhsm;

/* Writes a PIN file with the given mode. */
static void
pin_file(const char *name, const char *pin, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", pin);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	int rc;

	(void)state;
	if (ca_fixture_tmpdir(tmpdir, sizeof(tmpdir), "hsm-p11") != 0)
		return -1;
	if ((rc = hsm_test_softhsm_tokens(tmpdir, module, sizeof(module))) == 77) {
		fprintf(stderr, "test_hsm_p11: SoftHSM2 or p11tool not installed; pkcs11 tests skipped\n");
		return 0;
	}
	if (rc != 0)
		return -1;
	have_softhsm = 1;
	return hsm_global_init();
}

static int
teardown(void **state)
{
	(void)state;
	return ca_fixture_rmtree(tmpdir);
}

/* A key reference on token `token` with id, PIN file `pin` and extra query text. */
static void
uri(char *buf, size_t sz, const char *token, const char *id, const char *pin, const char *extra)
{
	snprintf(buf, sz, "pkcs11:token=%s;id=%s;type=private?module-path=%s&pin-source=file:%s/%s%s",
	    token, id, module, tmpdir, pin, extra);
}

/* EC P-256 and RSA-3072 on the token: open by URI (id, then object label), sign, verify, status. */
static void
test_open_sign_ec_rsa(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("pin", "4711-4711", 0600);
	uri(ref, sizeof(ref), "pechat-test", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_get_base_id(hsm_key_public(k)), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(hsm_key_public(k)), 256);
	hsm_test_sign_verify(k, EVP_sha256());
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
	assert_string_equal(hsm_key_ref(k), ref);
	hsm_key_free(k);

	snprintf(ref, sizeof(ref), "pkcs11:token=pechat-test;object=rsa?module-path=%s&pin-source=file:%s/pin",
	    module, tmpdir);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_get_base_id(hsm_key_public(k)), EVP_PKEY_RSA);
	assert_int_equal(EVP_PKEY_get_bits(hsm_key_public(k)), 3072);
	hsm_test_sign_verify(k, EVP_sha256());       /* RSA: SHA-256 at every size */
	assert_int_equal(hsm_key_status(k, &e), PECHAT_OK);
	hsm_key_free(k);
}

/* EC and RSA token keys: every hsm_sign_* signs and verifies; a damaged signature fails (fault seam). */
static void
test_ca_signed_objects(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("pin", "4711-4711", 0600);
	uri(ref, sizeof(ref), "pechat-test", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_test_signed_objects(k, EVP_sha256());
	hsm_test_corrupted(k);
	hsm_key_free(k);
	uri(ref, sizeof(ref), "pechat-test", "%02", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_test_signed_objects(k, EVP_sha256());
	hsm_test_corrupted(k);
	hsm_key_free(k);
}

/* One login per token: a second open of the same token makes no C_Login. Never exported. */
static void
test_one_login_no_export(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned char *der = NULL;
	size_t len = 0;
	unsigned long before;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("pin", "4711-4711", 0600);
	uri(ref, sizeof(ref), "pechat-test", "%02", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_key_free(k);
	before = p11_login_attempts();
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	assert_int_equal(p11_login_attempts(), before);
	assert_int_equal(hsm_key_pkcs12(k, NULL, NULL, "x", "pw", &der, &len, &e), PECHAT_E_FORBIDDEN);
	assert_string_equal(e.code, "key_not_exportable");
	hsm_key_free(k);
}

/* No such key on the token: key_unavailable naming the token. */
static void
test_no_such_key(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("pin", "4711-4711", 0600);
	uri(ref, sizeof(ref), "pechat-test", "%7f", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_null(k);
	assert_string_equal(e.code, "key_unavailable");
	assert_non_null(strstr(e.detail, "pechat-test"));
	uri(ref, sizeof(ref), "no-such-token", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "not present"));
}

/*
 * Wrong PIN: exactly one C_Login; the token is disabled in this process, and
 * neither a second open nor an open with the right PIN logs in again.
 */
static void
test_wrong_pin_never_retried(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned long before;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("badpin", "9999-0000", 0600);
	pin_file("pin", "4711-4711", 0600);
	before = p11_login_attempts();
	uri(ref, sizeof(ref), "pechat-locked", "%01", "badpin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_null(k);
	assert_string_equal(e.code, "key_unavailable");
	assert_non_null(strstr(e.detail, "pechat-locked"));
	assert_non_null(strstr(e.detail, "wrong PIN; not retried"));
	assert_int_equal(p11_login_attempts(), before + 1);

	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "wrong PIN; not retried"));
	uri(ref, sizeof(ref), "pechat-locked", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "wrong PIN; not retried"));
	assert_int_equal(p11_login_attempts(), before + 1);
}

/* A factory-default PIN is refused before any login unless the reference says development=1. */
static void
test_default_pin(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned long before;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("defpin", "12345678", 0600);
	before = p11_login_attempts();
	uri(ref, sizeof(ref), "pechat-dev", "%01", "defpin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "factory default"));
	assert_int_equal(p11_login_attempts(), before);
	uri(ref, sizeof(ref), "pechat-dev", "%01", "defpin", "&development=1");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_test_sign_verify(k, EVP_sha256());
	hsm_key_free(k);
}

/* PIN files: group/other bits refused naming the file (no login); env: PIN source works. */
static void
test_pin_sources(void **state)
{
	char ref[2048];
	struct hsm_key *k = NULL;
	struct pechat_error e;
	unsigned long before;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("loosepin", "4711-4711", 0640);
	before = p11_login_attempts();
	uri(ref, sizeof(ref), "pechat-test", "%01", "loosepin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "loosepin"));
	assert_non_null(strstr(e.detail, "0600"));
	uri(ref, sizeof(ref), "pechat-test", "%01", "missingpin", "");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "missingpin"));
	assert_int_equal(p11_login_attempts(), before);

	setenv("PECHAT_PIN_TEST", "4711-4711", 1);
	snprintf(ref, sizeof(ref), "pkcs11:token=pechat-test;id=%%01?module-path=%s&pin-source=env:PECHAT_PIN_TEST",
	    module);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_key_free(k);
	unsetenv("PECHAT_PIN_TEST");
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "PECHAT_PIN_TEST"));
}

/* expects p11_uri_parse(s) to refuse with a reason containing `why` */
static void
refused(const char *s, const char *why)
{
	struct p11_uri u;
	char reason[320];

	assert_int_equal(p11_uri_parse(s, &u, reason, sizeof(reason)), -1);
	if (strstr(reason, why) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", s, reason, why);
}

/* The parser: what it accepts (percent-decoding) and what it refuses. */
static void
test_uri_parser(void **state)
{
	struct p11_uri u;
	char why[320], big[P11_URI_MAX + 64];

	(void)state;
	assert_int_equal(p11_uri_parse("pkcs11:token=My%20CA;id=%01%ff;object=a%2fb;type=private"
	    "?module-path=/usr/lib/x.so&pin-source=file:/etc/pechat/pin&development=1", &u, why, sizeof(why)), 0);
	assert_string_equal(u.token, "My CA");
	assert_string_equal(u.object, "a/b");
	assert_int_equal(u.id_len, 2);
	assert_int_equal(u.id[0], 0x01);
	assert_int_equal(u.id[1], 0xff);
	assert_string_equal(u.module, "/usr/lib/x.so");
	assert_string_equal(u.pin_file, "/etc/pechat/pin");
	assert_int_equal(u.development, 1);

	refused("pkcs11:token=t;id=%01;serial=1?module-path=/m&pin-source=file:/p", "unknown attribute \"serial\"");
	refused("pkcs11:token=t;id=%01?module-path=/m&pin-source=file:/p&foo=1", "unknown attribute \"foo\"");
	refused("pkcs11:token=t;id=%01?module-path=/m&pin-value=1234", "never goes into the configuration");
	refused("pkcs11:token=t;id=%01;pin-value=1234?module-path=/m", "pin-value refused");
	refused("pkcs11:token=t;id=%0g?module-path=/m&pin-source=file:/p", "percent-encoding");
	refused("pkcs11:token=t;id=%0?module-path=/m&pin-source=file:/p", "percent-encoding");
	refused("pkcs11:token=t%;id=%01?module-path=/m&pin-source=file:/p", "percent-encoding");
	refused("pkcs11:token=t%00x;id=%01?module-path=/m&pin-source=file:/p", "percent-encoding");
	refused("pkcs11:token=t;token=u;id=%01?module-path=/m&pin-source=file:/p", "repeated");
	refused("pkcs11:token=t;id=%01;type=public?module-path=/m&pin-source=file:/p", "type");
	refused("pkcs11:token=t;id=%01?module-path=/m&pin-source=file:relative", "pin-source");
	refused("pkcs11:token=t;id=%01?module-path=/m&pin-source=env:HOME", "pin-source");
	refused("pkcs11:token=t;id=%01?module-path=/m&pin-source=file:/p&development=yes", "development");
	refused("pkcs11:token=t;id=%01?module-path=rel.so&pin-source=file:/p", "module-path");
	refused("pkcs11:token=t?module-path=/m&pin-source=file:/p", "id= or object=");
	refused("pkcs11:id=%01?module-path=/m&pin-source=file:/p", "token=");
	refused("pkcs11:token=t;id=%01?pin-source=file:/p", "module-path= and pin-source=");
	refused("pkcs11:token=t;id=%01?module-path=/m", "module-path= and pin-source=");
	refused("pkcs11:token=t;id;x?module-path=/m", "name=value");
	memset(big, 0, sizeof(big));
	snprintf(big, sizeof(big), "pkcs11:token=t;id=%%01?module-path=/m&pin-source=file:/");
	memset(big + strlen(big), 'a', P11_URI_MAX);
	big[sizeof(big) - 1] = '\0';
	refused(big, "longer than");
	memset(big, 0, sizeof(big));
	strcpy(big, "pkcs11:token=");
	memset(big + strlen(big), 'a', P11_LABEL_MAX + 1);
	strcat(big, ";id=%01?module-path=/m&pin-source=file:/p");
	refused(big, "token");
	memset(big, 0, sizeof(big));
	strcpy(big, "pkcs11:token=t;id=");
	for (int i = 0; i <= P11_ID_MAX; i++)
		strcat(big, "%aa");
	strcat(big, "?module-path=/m&pin-source=file:/p");
	refused(big, "id:");
}

/* hsm_key_ref_sibling: the same token and query, the new label and id percent-encoded; refusals. */
static void
test_sibling_ref(void **state)
{
	static const unsigned char id[3] = { 0x0a, 'Z', 0xff };
	const char *src = "pkcs11:token=My%20CA;object=ca;type=private?module-path=/usr/lib/x.so"
	    "&pin-source=file:/etc/pechat/pin&reader=R%201&development=1";
	char out[512], small[60];
	struct p11_uri u;
	char why[320];

	(void)state;
	assert_int_equal(hsm_key_ref_sibling(src, "ocsp-ecdsa-20261130T153700Z-0a5aff", id, sizeof(id), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "pkcs11:token=My%20CA;object=ocsp-ecdsa-20261130T153700Z-0a5aff;id=%0AZ%FF"
	    "?module-path=/usr/lib/x.so&pin-source=file:/etc/pechat/pin&reader=R%201&development=1");
	assert_int_equal(p11_uri_parse(out, &u, why, sizeof(why)), 0);
	assert_string_equal(u.token, "My CA");
	assert_string_equal(u.reader, "R 1");
	assert_int_equal(u.development, 1);
	assert_int_equal(u.id_len, 3);
	/* a label with reserved characters stays one attribute */
	assert_int_equal(hsm_key_ref_sibling(src, "a;b?c", id, 1, out, sizeof(out)), 0);
	assert_int_equal(p11_uri_parse(out, &u, why, sizeof(why)), 0);
	assert_string_equal(u.object, "a;b?c");
	/* refused: not pkcs11:, no label, no id, no room */
	assert_int_equal(hsm_key_ref_sibling("file:/x.key", "l", id, 1, out, sizeof(out)), -1);
	assert_int_equal(hsm_key_ref_sibling(src, "", id, 1, out, sizeof(out)), -1);
	assert_int_equal(hsm_key_ref_sibling(src, "l", id, 0, out, sizeof(out)), -1);
	assert_int_equal(hsm_key_ref_sibling(src, "l", id, 1, small, sizeof(small)), -1);
	assert_string_equal(small, "");
}

/*
 * pechatd's responder keys: with an issuer key open (libp11 logged in), a new
 * pair generated on the same token makes no second login, opens at once in
 * the same process (libp11's key list re-read) and signs, and is destroyed
 * (hsm_key_destroy: only under its label prefix); a token whose login
 * failed is refused without a login.
 */
static void
test_generate_next_to_open_key(void **state)
{
	static const unsigned char id[2] = { 0x0c, 0x5e };
	char ref[2048], sib[2048];
	struct hsm_key *issuer = NULL, *k = NULL;
	struct pechat_error e;
	EVP_PKEY *pub = NULL;
	unsigned long before;
	int n;

	(void)state;
	if (!have_softhsm)
		skip();
	pin_file("pin", "4711-4711", 0600);
	uri(ref, sizeof(ref), "pechat-test", "%01", "pin", "");
	assert_int_equal(hsm_key_open(ref, &issuer, &e), PECHAT_OK);
	assert_int_equal(hsm_key_ref_sibling(ref, "ocsp-test-1", id, sizeof(id), sib, sizeof(sib)), 0);
	before = p11_login_attempts();
	assert_int_equal(hsm_key_create(sib, "ec-p256", &pub, &e), PECHAT_OK);
	assert_int_equal(p11_login_attempts(), before);
	assert_int_equal(hsm_key_open(sib, &k, &e), PECHAT_OK);
	assert_int_equal(EVP_PKEY_eq(pub, hsm_key_public(k)), 1);
	hsm_test_sign_verify(k, EVP_sha256());
	/* the issuer's key still signs (the generation did not log the process out) */
	hsm_key_free(issuer);
	issuer = NULL;
	assert_int_equal(hsm_key_open(ref, &issuer, &e), PECHAT_OK);
	hsm_test_sign_verify(issuer, EVP_sha256());
	assert_int_equal(p11_login_attempts(), before);
	/* the same label again: refused, nothing replaced */
	EVP_PKEY_free(pub);
	pub = NULL;
	assert_int_equal(hsm_key_create(sib, "ec-p256", &pub, &e), PECHAT_E_CONFLICT);
	/* destruction: only under the label prefix; the pair goes, the issuer key stays; twice is fine */
	assert_int_equal(hsm_key_destroy(sib, "ocsp-other-", &n, &e), PECHAT_E_INVALID);
	assert_string_equal(e.code, "key_not_destroyable");
	assert_int_equal(hsm_key_destroy(ref, "ocsp-", &n, &e), PECHAT_E_INVALID);
	assert_int_equal(hsm_key_destroy("file:/x.key", "ocsp-", &n, &e), PECHAT_E_INVALID);
	hsm_key_free(k);
	k = NULL;
	assert_int_equal(hsm_key_destroy(sib, "ocsp-test-", &n, &e), PECHAT_OK);
	assert_int_equal(n, 2);
	/* gone from the token: a new search finds nothing (libp11 may still list it: never reopened) */
	assert_int_equal(hsm_key_destroy(sib, "ocsp-test-", &n, &e), PECHAT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(hsm_key_open(ref, &k, &e), PECHAT_OK);
	hsm_test_sign_verify(k, EVP_sha256());
	hsm_key_free(k);
	k = NULL;
	assert_int_equal(p11_login_attempts(), before);
	/* pechat-locked failed its login earlier (test_wrong_pin_never_retried): no second login */
	uri(ref, sizeof(ref), "pechat-locked", "%01", "pin", "");
	assert_int_equal(hsm_key_ref_sibling(ref, "ocsp-test-2", id, sizeof(id), sib, sizeof(sib)), 0);
	assert_int_equal(hsm_key_create(sib, "ec-p256", &pub, &e), PECHAT_E_UNAVAILABLE);
	assert_non_null(strstr(e.detail, "wrong PIN; not retried"));
	assert_int_equal(p11_login_attempts(), before);
	hsm_key_free(k);
	hsm_key_free(issuer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_parser),
		cmocka_unit_test(test_open_sign_ec_rsa),
		cmocka_unit_test(test_ca_signed_objects),
		cmocka_unit_test(test_one_login_no_export),
		cmocka_unit_test(test_no_such_key),
		cmocka_unit_test(test_wrong_pin_never_retried),
		cmocka_unit_test(test_default_pin),
		cmocka_unit_test(test_pin_sources),
		cmocka_unit_test(test_sibling_ref),
		cmocka_unit_test(test_generate_next_to_open_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
