/*
 * tests/fuzz/fuzz_csr.c — ca_csr_parse (ca/csr.c) on untrusted bytes, then
 * ca_key_policy_check on what parses (the next step of POST /api/v1/requests).
 * Invariants: a request that parses is version 1, has a public key and a
 * verifying self-signature made with neither MD5 nor SHA-1 (RSA-PSS
 * included), re-encodes and re-parses, and ca_csr_read gives the same key
 * and DER (its EC keys are made without a decoder); a refusal leaves
 * *out NULL with a code, TOO_LARGE exactly above 64 KiB.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "hsm/hsm.h"

static const struct pechat_profile_conf profile = {
	.name = "fuzz",
	.issuer = "fuzz",
	.validity_days = 365,
	.key_algorithms = PECHAT_KEYALG_EC_P256 | PECHAT_KEYALG_EC_P384 | PECHAT_KEYALG_EC_P521 |
	    PECHAT_KEYALG_RSA | PECHAT_KEYALG_ED25519 | PECHAT_KEYALG_GOST2012_256 |
	    PECHAT_KEYALG_GOST2012_512,
	.rsa_min_bits = 2048,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct pechat_error e;
	X509_REQ *req = (X509_REQ *)1, *again = NULL;
	struct ca_csr *parts = NULL;
	EVP_PKEY *pub;
	unsigned char *der = NULL;
	const unsigned char *p;
	enum pechat_err rc;
	int n, sig_nid, md_nid = NID_undef, pk_nid = NID_undef;

	if (!init) {
		/* as pechatd: gost-engine loaded when installed, rejects not logged */
		hsm_global_init();
		pechat_log_set_level(PECHAT_LOG_ERROR);
		init = 1;
	}
	pechat_error_clear(&e);
	rc = ca_csr_parse(data, size, &req, &e);
	if (rc != PECHAT_OK) {
		FUZZ_CHECK(req == NULL);
		FUZZ_CHECK(e.code[0] != '\0');
		FUZZ_CHECK((rc == PECHAT_E_TOO_LARGE) == (size > 64 * 1024));
		FUZZ_CHECK(rc == PECHAT_E_TOO_LARGE || rc == PECHAT_E_INVALID || rc == PECHAT_E_NOMEM);
		FUZZ_CHECK(ERR_peek_error() == 0);
		return 0;
	}
	FUZZ_CHECK(req != NULL && size <= 64 * 1024);
	FUZZ_CHECK(X509_REQ_get_version(req) == X509_REQ_VERSION_1);
	FUZZ_CHECK((pub = X509_REQ_get0_pubkey(req)) != NULL);
	FUZZ_CHECK(X509_REQ_verify(req, pub) == 1);
	sig_nid = X509_REQ_get_signature_nid(req);
	if (sig_nid != NID_rsassaPss) {
		FUZZ_CHECK(OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) == 1);
		FUZZ_CHECK(md_nid != NID_md5 && md_nid != NID_sha1 && md_nid != NID_md4 && md_nid != NID_md2);
	}
	/* what we keep re-encodes and parses back (it is stored and re-read later) */
	FUZZ_CHECK((n = i2d_X509_REQ(req, &der)) > 0);
	p = der;
	FUZZ_CHECK((again = d2i_X509_REQ(NULL, &p, n)) != NULL && p == der + n);
	FUZZ_CHECK(X509_REQ_verify(again, X509_REQ_get0_pubkey(again)) == 1);
	/* the parts ca_issue gets: the same key and DER as the X509_REQ */
	pechat_error_clear(&e);
	FUZZ_CHECK(ca_csr_read(data, size, &parts, &e) == PECHAT_OK);
	FUZZ_CHECK(EVP_PKEY_eq(parts->key, pub) == 1);
	FUZZ_CHECK(parts->der_len == (size_t)n && memcmp(parts->der, der, (size_t)n) == 0);
	ca_csr_free(parts);
	/* the policy check must decide on any key that parsed, never fail internally */
	pechat_error_clear(&e);
	rc = ca_key_policy_check(&profile, pub, &e);
	FUZZ_CHECK(rc == PECHAT_OK || rc == PECHAT_E_POLICY);
	OPENSSL_free(der);
	X509_REQ_free(again);
	X509_REQ_free(req);
	ERR_clear_error();
	return 0;
}
