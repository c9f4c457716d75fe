/*
 * tests/unit/hsm_test.h — the signature checks shared by the hsm/ unit tests
 * (header only; include after <cmocka.h>: it asserts with it): every
 * hsm_sign_* function signs, and the result verifies with the key's public
 * half outside hsm/ (with the expected digest); with the fault seam, each
 * call fails and returns nothing usable.
 */
#ifndef PECHAT_TESTS_HSM_TEST_H
#define PECHAT_TESTS_HSM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "hsm/hsm.h"
#include "hsm/hsm_int.h"

/*
 * SoftHSM2 tokens with EC P-256 and RSA-3072 keys made in dir by
 * tests/tools/softhsm-token.sh (PECHAT_TEST_DATA/../tools), SOFTHSM2_CONF
 * set for this process, the module's path in module[modulesz]. 0, 77 when
 * SoftHSM2 or p11tool is not installed (the caller skips), or -1.
 */
static inline int
hsm_test_softhsm_tokens(const char *dir, char *module, size_t modulesz)
{
	const char *data = getenv("PECHAT_TEST_DATA");
	char cmd[1024], path[512];
	FILE *f;
	int st;

	if (data == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/../tools/softhsm-token.sh '%s'", data, dir);
	st = system(cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 77;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/module", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(module, (int)modulesz, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	module[strcspn(module, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
	return setenv("SOFTHSM2_CONF", path, 1) == 0 ? 0 : -1;
}

/* hsm_sign_data, verified here with digest md; a flipped bit fails. */
static inline void
hsm_test_sign_verify(struct hsm_key *k, const EVP_MD *md)
{
	static const unsigned char msg[] = "tbs";
	EVP_MD_CTX *v = EVP_MD_CTX_new();
	unsigned char sig[HSM_SIG_MAX];
	size_t siglen = sizeof(sig);
	struct pechat_error e;

	assert_non_null(v);
	assert_int_equal(hsm_sign_data(k, msg, sizeof(msg), sig, &siglen, &e), PECHAT_OK);
	assert_true(siglen > 0);
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, hsm_key_public(k)), 1);
	assert_int_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	sig[siglen / 2] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(v, NULL, md, NULL, hsm_key_public(k)), 1);
	assert_int_not_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(v);
}

/* A name CN=cn (owned). */
static inline X509_NAME *
hsm_test_name(const char *cn)
{
	X509_NAME *name = X509_NAME_new();

	assert_non_null(name);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
	    -1, 0), 1);
	return name;
}

/* An unsigned self-issued certificate for k's public key (owned). */
static inline X509 *
hsm_test_tbs_cert(struct hsm_key *k)
{
	X509 *cert = X509_new();
	X509_NAME *name = hsm_test_name("hsm test CA");

	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1), 1);
	assert_int_equal(X509_set_subject_name(cert, name), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 3600));
	assert_int_equal(X509_set_pubkey(cert, hsm_key_public(k)), 1);
	X509_NAME_free(name);
	return cert;
}

/* An unsigned CRL (owned). */
static inline X509_CRL *
hsm_test_tbs_crl(void)
{
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *name = hsm_test_name("hsm test CA");
	ASN1_TIME *t;

	assert_non_null(crl);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, name), 1);
	assert_non_null(t = X509_gmtime_adj(NULL, 0));
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	X509_NAME_free(name);
	return crl;
}

/* An unsigned CSR for k's public key (owned). */
static inline X509_REQ *
hsm_test_tbs_req(struct hsm_key *k)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = hsm_test_name("hsm test issuing CA");

	assert_non_null(req);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, hsm_key_public(k)), 1);
	X509_NAME_free(name);
	return req;
}

/* A BasicOCSPResponse with no SingleResponse (owned): enough for a signature. */
static inline OCSP_BASICRESP *
hsm_test_tbs_ocsp(void)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();

	assert_non_null(bs);
	return bs;
}

/*
 * Every hsm_sign_* with k: a certificate, a CRL, a CSR and an OCSP response
 * signed through hsm/, each verified here with the public key; the
 * signature algorithm's digest is md (NID_undef for none: Ed25519).
 */
static inline void
hsm_test_signed_objects(struct hsm_key *k, const EVP_MD *md)
{
	X509 *cert = hsm_test_tbs_cert(k);
	X509_CRL *crl = hsm_test_tbs_crl();
	X509_REQ *req = hsm_test_tbs_req(k);
	OCSP_BASICRESP *bs = hsm_test_tbs_ocsp();
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct pechat_error e;
	int mdnid = -1, pknid = -1;

	assert_non_null(certs);
	assert_int_equal(hsm_sign_x509(k, cert, &e), PECHAT_OK);
	assert_int_equal(X509_verify(cert, hsm_key_public(k)), 1);
	assert_int_equal(OBJ_find_sigid_algs(X509_get_signature_nid(cert), &mdnid, &pknid), 1);
	assert_int_equal(mdnid, md != NULL ? EVP_MD_get_type(md) : NID_undef);
	assert_int_equal(hsm_sign_crl(k, crl, &e), PECHAT_OK);
	assert_int_equal(X509_CRL_verify(crl, hsm_key_public(k)), 1);
	assert_int_equal(hsm_sign_req(k, req, &e), PECHAT_OK);
	assert_int_equal(X509_REQ_verify(req, hsm_key_public(k)), 1);
	assert_int_equal(hsm_sign_ocsp(k, bs, cert, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, &e), PECHAT_OK);
	assert_int_equal(sk_X509_push(certs, cert), 1);
	assert_int_equal(OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER), 1);
	hsm_test_sign_verify(k, md);
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
	X509_REQ_free(req);
	X509_CRL_free(crl);
	X509_free(cert);
}

/*
 * The fault seam: each hsm_sign_* call whose signature is damaged before
 * its check fails INTERNAL "signature_check_failed", and what it leaves does
 * not verify (hsm_sign_data: nothing, length 0).
 */
static inline void
hsm_test_corrupted(struct hsm_key *k)
{
	static const unsigned char msg[] = "tbs";
	X509 *cert = hsm_test_tbs_cert(k), *good = hsm_test_tbs_cert(k);
	X509_CRL *crl = hsm_test_tbs_crl();
	X509_REQ *req = hsm_test_tbs_req(k);
	OCSP_BASICRESP *bs = hsm_test_tbs_ocsp();
	unsigned char sig[HSM_SIG_MAX], zero[HSM_SIG_MAX];
	size_t siglen = sizeof(sig);
	struct pechat_error e;

	hsm_test_corrupt_next_signature();
	assert_int_equal(hsm_sign_x509(k, cert, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_int_not_equal(X509_verify(cert, hsm_key_public(k)), 1);
	hsm_test_corrupt_next_signature();
	assert_int_equal(hsm_sign_crl(k, crl, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_int_not_equal(X509_CRL_verify(crl, hsm_key_public(k)), 1);
	hsm_test_corrupt_next_signature();
	assert_int_equal(hsm_sign_req(k, req, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_int_not_equal(X509_REQ_verify(req, hsm_key_public(k)), 1);
	assert_int_equal(hsm_sign_x509(k, good, &e), PECHAT_OK);       /* the seam hits one signature only */
	hsm_test_corrupt_next_signature();
	assert_int_equal(hsm_sign_ocsp(k, bs, good, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	hsm_test_corrupt_next_signature();
	memset(zero, 0, sizeof(zero));
	assert_int_equal(hsm_sign_data(k, msg, sizeof(msg), sig, &siglen, &e), PECHAT_E_INTERNAL);
	assert_string_equal(e.code, "signature_check_failed");
	assert_int_equal(siglen, 0);
	assert_memory_equal(sig, zero, sizeof(sig));
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	X509_REQ_free(req);
	X509_CRL_free(crl);
	X509_free(cert);
	X509_free(good);
}

#endif
