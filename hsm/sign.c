/*
 * hsm/sign.c — the signing API (hsm.h hsm_sign_*): sign what the caller
 * hands over with the key and verify the new signature with the key's
 * public half before it leaves hsm/ (sign-then-verify), so that a token,
 * engine or memory fault never produces an object that does not verify.
 * The digest follows the key (hsm_digest_for_key, looked up once at open).
 *
 * GOST R 34.10-2012 keys: gost-engine's ASN.1 method carries
 * ASN1_PKEY_SIGPARAM_NULL, so OpenSSL would write the signature
 * AlgorithmIdentifier as {id-tc26-signwithdigest-gost3410-12-256, NULL};
 * RFC 9215 §3.2 wants the parameters absent. hsm_gost_item_sign below is the
 * method's item_sign hook (installed by hsm/key.c at engine load): it sets
 * both identifiers (TBS and outer) without parameters and lets OpenSSL
 * encode and sign the TBS once with our context. A hook, not a second pass
 * here, because OpenSSL 3.0 has no public accessor for a CRL's TBS
 * signature field nor for an OCSP response's ResponderID: fixing the objects
 * after X509_CRL_sign_ctx / OCSP_basic_sign_ctx would need a second
 * signature and private structures. Every key whose type is GOST 2012 —
 * file:, pkcs11: through an engine, engine: — goes through the same method.
 *
 * OpenSSL ownership: every object handed in is borrowed; each signature's
 * EVP_MD_CTX is a copy of the key's template (hsm_key.sign_tmpl, owned by the
 * key), made and freed here, never handed out. The hook's X509_ALGORs belong to
 * the object being signed (X509_ALGOR_set0 replaces their contents: the
 * OID is a static object from OBJ_nid2obj, no parameter is allocated).
 */
#include "hsm_int.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

static atomic_int corrupt_next;         /* test fault seam (hsm_test_corrupt_next_signature) */

/* See hsm_int.h. */
void
hsm_test_corrupt_next_signature(void)
{
	atomic_store(&corrupt_next, 1);
}

/*
 * 1 for a throw-away lint key (hsm_key_scratch): its signatures are linted
 * and discarded, never handed out, so they are not verified.
 */
static int
is_scratch(const struct hsm_key *key)
{
	return strcmp(key->ref, HSM_SCRATCH_REF) == 0;
}

/*
 * 1 once after hsm_test_corrupt_next_signature: key's signature is to be
 * damaged. A throw-away lint key (HSM_SCRATCH_REF) neither takes nor spends
 * the fault: the seam is for the signatures of real keys.
 */
static int
corrupt_now(const struct hsm_key *key)
{
	if (is_scratch(key))
		return 0;
	return atomic_exchange(&corrupt_next, 0);
}

/* Flips one bit in the middle of a signature (the fault seam). */
static void
corrupt(unsigned char *sig, size_t len)
{
	if (len > 0)
		sig[len / 2] ^= 0x01;
}

/* See hsm.h. The EC curve must be named (RFC 5480 §2.1.1); explicit parameters get no digest. */
const EVP_MD *
hsm_digest_for_key(EVP_PKEY *pub)
{
	char curve[64] = "", enc[32] = "";
	const char *name = NULL;

	if (pub == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		name = "SHA256";
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc), NULL) == 1 &&
		    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
			break;
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL) != 1)
			break;
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
			name = "SHA256";
		else if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			name = "SHA384";
		else if (strcmp(curve, "secp521r1") == 0 || strcmp(curve, "P-521") == 0)
			name = "SHA512";
		break;
	case NID_id_GostR3410_2012_256:
		name = SN_id_GostR3411_2012_256;        /* "md_gost12_256" */
		break;
	case NID_id_GostR3410_2012_512:
		name = SN_id_GostR3411_2012_512;        /* "md_gost12_512" */
		break;
	default:
		break;
	}
	ERR_clear_error();
	return name != NULL ? EVP_get_digestbyname(name) : NULL;
}

/* See hsm_int.h. The signature OID is the one OpenSSL would have chosen for the digest and key. */
int
hsm_gost_item_sign(EVP_MD_CTX *ctx, const ASN1_ITEM *it, const void *data, X509_ALGOR *alg1,
    X509_ALGOR *alg2, ASN1_BIT_STRING *sig)
{
	EVP_PKEY_CTX *pctx = EVP_MD_CTX_get_pkey_ctx(ctx);
	EVP_PKEY *pkey = pctx != NULL ? EVP_PKEY_CTX_get0_pkey(pctx) : NULL;
	const EVP_MD *md = EVP_MD_CTX_get0_md(ctx);
	int signid = NID_undef;

	(void)it;
	(void)data;
	(void)sig;
	if (pkey == NULL || md == NULL ||
	    OBJ_find_sigid_by_algs(&signid, EVP_MD_get_type(md), EVP_PKEY_get_base_id(pkey)) != 1)
		return 0;
	if (alg1 != NULL && X509_ALGOR_set0(alg1, OBJ_nid2obj(signid), V_ASN1_UNDEF, NULL) != 1)
		return 0;
	if (alg2 != NULL && X509_ALGOR_set0(alg2, OBJ_nid2obj(signid), V_ASN1_UNDEF, NULL) != 1)
		return 0;
	return 3;
}

/*
 * A fresh EVP_MD_CTX initialised to sign with key and its digest (RSA:
 * PKCS#1 v1.5, RFC 8017 §8.2); NULL on failure (logged). Owned by the
 * caller.
 */
static EVP_MD_CTX *
sign_ctx_init(struct hsm_key *key, const char *what)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, &pctx, key->md, NULL, key->priv) != 1 ||
	    (EVP_PKEY_get_base_id(key->pub) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: EVP_DigestSignInit");
		log_err("hsm: %s: %s cannot sign with %s", what, key->ref,
		    key->md != NULL ? EVP_MD_get0_name(key->md) : "(none)");
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * The template in *slot, made by make(key) for the first caller and kept:
 * EVP_Digest{Sign,Verify}Init fetch the provider's algorithms and set the
 * key up, which copying a ready context does not repeat. Two threads that
 * both find none both make one; the first stored is kept, the other freed.
 * NULL on failure (logged by make). Borrowed: lives as long as the key
 * (hsm/key.c frees both slots).
 */
static const EVP_MD_CTX *
cached_template(struct hsm_key *key, EVP_MD_CTX *_Atomic *slot, EVP_MD_CTX *(*make)(struct hsm_key *))
{
	EVP_MD_CTX *t = atomic_load(slot), *none = NULL;

	if (t != NULL)
		return t;
	if ((t = make(key)) == NULL)
		return NULL;
	if (!atomic_compare_exchange_strong(slot, &none, t)) {
		EVP_MD_CTX_free(t);
		t = none;
	}
	return t;
}

/* sign_ctx_init for cached_template (the log names no object: the template serves them all). */
static EVP_MD_CTX *
sign_ctx_make(struct hsm_key *key)
{
	return sign_ctx_init(key, "signing template");
}

/*
 * A fresh EVP_MD_CTX ready to sign with key and its digest: a copy of
 * hsm_key.sign_tmpl's (EVP_MD_CTX_copy_ex only reads the template, so several
 * threads copy it at once). *out owned by the caller of this static helper,
 * never by hsm/'s callers. Codes as in hsm.h.
 */
static enum pechat_err
sign_ctx_new(struct hsm_key *key, const char *what, EVP_MD_CTX **out, struct pechat_error *e)
{
	const EVP_MD_CTX *tmpl;
	EVP_MD_CTX *ctx = NULL;

	*out = NULL;
	if (key == NULL) {      /* e.g. a revoked issuer loaded without its key */
		log_err("hsm: %s: no key loaded", what);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "the signing key is not loaded");
	}
	if (!key->can_sign) {
		log_err("hsm: %s: no digest for the key type of %s", what, key->ref);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "algorithm_unavailable", "no digest for the signing key");
	}
	if (hsm_key_present_check(key, e) != PECHAT_OK)
		return PECHAT_E_UNAVAILABLE;
	if ((tmpl = cached_template(key, &key->sign_tmpl, sign_ctx_make)) == NULL)
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key cannot sign");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	if (EVP_MD_CTX_copy_ex(ctx, tmpl) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: EVP_MD_CTX_copy_ex");
		log_err("hsm: %s: %s: signing context cannot be copied", what, key->ref);
		EVP_MD_CTX_free(ctx);
		return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key cannot sign");
	}
	atomic_store(&key->last_sign, (long long)time(NULL));
	*out = ctx;
	return PECHAT_OK;
}

/* The refusal of a signature the key refused to make. */
static enum pechat_err
sign_failed(const struct hsm_key *key, const char *what, struct pechat_error *e)
{
	pechat_log_openssl(PECHAT_LOG_ERROR, what);
	log_err("hsm: %s: %s did not sign", what, key->ref);
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "signing_failed", "the key cannot sign");
}

/* The refusal of a signature that does not verify with the key's public half. */
static enum pechat_err
verify_failed(const struct hsm_key *key, const char *what, struct pechat_error *e)
{
	pechat_log_openssl(PECHAT_LOG_ERROR, what);
	log_err("hsm: %s: signature by %s does not verify; not used", what, key->ref);
	return pechat_fail(e, PECHAT_E_INTERNAL, "signature_check_failed", "signature check failed");
}

/* The signature bits of a signed object, for the fault seam (cast: they are the caller's object). */
static void
corrupt_bits(const ASN1_BIT_STRING *sig)
{
	if (sig != NULL)
		corrupt((unsigned char *)ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
}

/*
 * A context ready to verify with key's public half and digest (RSA: PKCS#1
 * v1.5): hsm_key.verify_tmpl's maker for cached_template. NULL on failure
 * (logged). Owned by the caller.
 */
static EVP_MD_CTX *
verify_ctx_make(struct hsm_key *key)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *t;

	if ((t = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestVerifyInit(t, &pctx, key->md, NULL, key->pub) != 1 ||
	    (EVP_PKEY_get_base_id(key->pub) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: EVP_DigestVerifyInit");
		EVP_MD_CTX_free(t);
		return NULL;
	}
	return t;
}

/*
 * 1 if sig, made with algorithm alg, verifies over tbs with key's public
 * half. The checks of ASN1_item_verify: the algorithm names key's type and
 * key's digest (none: Ed25519), the BIT STRING has no unused bits, the
 * signature verifies; but with a copy of hsm_key.verify_tmpl, marked final
 * (no context duplicated inside), instead of a context set up per call.
 */
static int
signature_verifies(struct hsm_key *key, const X509_ALGOR *alg, const ASN1_BIT_STRING *sig,
    const unsigned char *tbs, size_t tbslen)
{
	const ASN1_OBJECT *obj = NULL;
	const EVP_MD_CTX *tmpl;
	EVP_MD_CTX *ctx = NULL;
	int mdnid = NID_undef, pknid = NID_undef, ok = 0;

	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (sig == NULL || obj == NULL || ASN1_STRING_type(sig) != V_ASN1_BIT_STRING || (sig->flags & 0x7) != 0 ||
	    OBJ_find_sigid_algs(OBJ_obj2nid(obj), &mdnid, &pknid) != 1 ||
	    mdnid != (key->md != NULL ? EVP_MD_get_type(key->md) : NID_undef) ||
	    !EVP_PKEY_is_a(key->pub, OBJ_nid2sn(pknid)))
		goto out;
	if ((tmpl = cached_template(key, &key->verify_tmpl, verify_ctx_make)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_MD_CTX_copy_ex(ctx, tmpl) != 1)
		goto out;
	EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
	ok = EVP_DigestVerify(ctx, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), tbs, tbslen) == 1;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* 1 if bs's signature verifies over the DER of its ResponseData (what OCSP_basic_verify checks). */
static int
ocsp_verifies(struct hsm_key *key, OCSP_BASICRESP *bs)
{
	unsigned char *tbs = NULL;
	int tbslen, ok;

	if ((tbslen = ASN1_item_i2d((const ASN1_VALUE *)OCSP_resp_get0_respdata(bs), &tbs,
	    ASN1_ITEM_rptr(OCSP_RESPDATA))) <= 0)
		return 0;
	ok = signature_verifies(key, OCSP_resp_get0_tbs_sigalg(bs), OCSP_resp_get0_signature(bs), tbs, (size_t)tbslen);
	OPENSSL_free(tbs);
	return ok;
}

/*
 * 1 if cert's signature verifies over its TBSCertificate re-encoded, the
 * outer and the TBS signature algorithms being the same (X509_verify's
 * checks).
 */
static int
x509_verifies(struct hsm_key *key, X509 *cert)
{
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;
	unsigned char *tbs = NULL;
	int tbslen, ok;

	X509_get0_signature(&sig, &alg, cert);
	if (alg == NULL || X509_ALGOR_cmp(alg, X509_get0_tbs_sigalg(cert)) != 0 ||
	    (tbslen = i2d_re_X509_tbs(cert, &tbs)) <= 0)
		return 0;
	ok = signature_verifies(key, alg, sig, tbs, (size_t)tbslen);
	OPENSSL_free(tbs);
	return ok;
}

/*
 * See hsm.h. The check (x509_verifies) re-encodes the TBS: no parse. Not
 * for a throw-away lint key (is_scratch).
 */
enum pechat_err
hsm_sign_x509(struct hsm_key *key, X509 *cert, struct pechat_error *e)
{
	const ASN1_BIT_STRING *sig = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum pechat_err rc;

	if ((rc = sign_ctx_new(key, "certificate", &ctx, e)) != PECHAT_OK)
		return rc;
	if (X509_sign_ctx(cert, ctx) <= 0) {
		rc = sign_failed(key, "hsm: X509_sign_ctx", e);
		goto out;
	}
	if (corrupt_now(key)) {
		X509_get0_signature(&sig, NULL, cert);
		corrupt_bits(sig);
	}
	if (is_scratch(key))
		rc = PECHAT_OK;
	else
		rc = x509_verifies(key, cert) ? PECHAT_OK : verify_failed(key, "hsm: certificate signature check", e);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* See hsm.h. */
enum pechat_err
hsm_sign_crl(struct hsm_key *key, X509_CRL *crl, struct pechat_error *e)
{
	const ASN1_BIT_STRING *sig = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum pechat_err rc;

	if ((rc = sign_ctx_new(key, "crl", &ctx, e)) != PECHAT_OK)
		return rc;
	if (X509_CRL_sign_ctx(crl, ctx) <= 0) {
		rc = sign_failed(key, "hsm: X509_CRL_sign_ctx", e);
		goto out;
	}
	if (corrupt_now(key)) {
		X509_CRL_get0_signature(crl, &sig, NULL);
		corrupt_bits(sig);
	}
	rc = X509_CRL_verify(crl, key->pub) == 1 ? PECHAT_OK : verify_failed(key, "hsm: X509_CRL_verify", e);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* See hsm.h. */
enum pechat_err
hsm_sign_req(struct hsm_key *key, X509_REQ *req, struct pechat_error *e)
{
	const ASN1_BIT_STRING *sig = NULL;
	EVP_MD_CTX *ctx = NULL;
	enum pechat_err rc;

	if ((rc = sign_ctx_new(key, "csr", &ctx, e)) != PECHAT_OK)
		return rc;
	if (X509_REQ_sign_ctx(req, ctx) <= 0) {
		rc = sign_failed(key, "hsm: X509_REQ_sign_ctx", e);
		goto out;
	}
	if (corrupt_now(key)) {
		X509_REQ_get0_signature(req, &sig, NULL);
		corrupt_bits(sig);
	}
	rc = X509_REQ_verify(req, key->pub) == 1 ? PECHAT_OK : verify_failed(key, "hsm: X509_REQ_verify", e);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * See hsm.h. OpenSSL 3.0 has no OCSP_BASICRESP_verify: the signature is
 * checked over the ResponseData as OCSP_basic_verify does (ocsp_verifies),
 * but with the key's public half (no certificate lookup). The signing copy
 * is marked final: OpenSSL then signs in it instead of duplicating it.
 */
enum pechat_err
hsm_sign_ocsp(struct hsm_key *key, OCSP_BASICRESP *bs, X509 *signer, STACK_OF(X509) *certs,
    unsigned long flags, struct pechat_error *e)
{
	EVP_MD_CTX *ctx = NULL;
	enum pechat_err rc;

	if ((rc = sign_ctx_new(key, "ocsp", &ctx, e)) != PECHAT_OK)
		return rc;
	EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
	if (OCSP_basic_sign_ctx(bs, signer, ctx, certs, flags) != 1) {
		rc = sign_failed(key, "hsm: OCSP_basic_sign_ctx", e);
		goto out;
	}
	if (corrupt_now(key)) {
		const ASN1_OCTET_STRING *sig = OCSP_resp_get0_signature(bs);

		if (sig != NULL)
			corrupt((unsigned char *)ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
	}
	rc = ocsp_verifies(key, bs) ? PECHAT_OK : verify_failed(key, "hsm: OCSP signature check", e);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* See hsm.h. */
enum pechat_err
hsm_sign_data(struct hsm_key *key, const unsigned char *tbs, size_t tbslen, unsigned char *sig,
    size_t *siglen, struct pechat_error *e)
{
	EVP_MD_CTX *ctx = NULL, *vctx = NULL;
	size_t cap = *siglen, need = 0;
	enum pechat_err rc;

	*siglen = 0;
	if ((rc = sign_ctx_new(key, "data", &ctx, e)) != PECHAT_OK)
		return rc;
	if (EVP_DigestSign(ctx, NULL, &need, tbs, tbslen) != 1 || need > cap ||
	    EVP_DigestSign(ctx, sig, &need, tbs, tbslen) != 1) {
		rc = sign_failed(key, "hsm: EVP_DigestSign", e);
		goto out;
	}
	if (corrupt_now(key))
		corrupt(sig, need);
	if ((vctx = EVP_MD_CTX_new()) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(vctx, NULL, key->md, NULL, key->pub) != 1 ||
	    EVP_DigestVerify(vctx, sig, need, tbs, tbslen) != 1) {
		rc = verify_failed(key, "hsm: EVP_DigestVerify", e);
		goto out;
	}
	*siglen = need;
	rc = PECHAT_OK;
out:
	if (rc != PECHAT_OK)
		OPENSSL_cleanse(sig, cap);
	EVP_MD_CTX_free(ctx);
	EVP_MD_CTX_free(vctx);
	return rc;
}
