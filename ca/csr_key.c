/*
 * ca/csr_key.c — a CSR's public key made without OpenSSL's key decoder: EC
 * keys on the NIST curves from the curve name and the point, rsaEncryption
 * keys from n and e, both by EVP_PKEY_fromdata through kept contexts; any
 * other key through d2i_PUBKEY. ca/csr.c verifies the request with it.
 */
#include "ca/csr_key.h"

#include <pthread.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

/*
 * EVP_PKEY_CTXs ready for EVP_PKEY_fromdata of one key type, kept between
 * requests: making one fetches the key manager (a provider look-up under
 * OpenSSL's locks). A context is used by one thread at a time: taken from
 * the pool, given back after use; a pool never frees what it keeps.
 */
#define KEY_CTX_POOL 16

struct key_pool {
	const char *type;               /* the key manager's name: "EC", "RSA" */
	pthread_mutex_t lock;
	EVP_PKEY_CTX *ctx[KEY_CTX_POOL];
	int n;
};

static struct key_pool ec_pool = { "EC", PTHREAD_MUTEX_INITIALIZER, { NULL }, 0 };
static struct key_pool rsa_pool = { "RSA", PTHREAD_MUTEX_INITIALIZER, { NULL }, 0 };

/* A fromdata context of pool's key type (owned until key_ctx_give), or NULL. */
static EVP_PKEY_CTX *
key_ctx_take(struct key_pool *pool)
{
	EVP_PKEY_CTX *ctx = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->n > 0)
		ctx = pool->ctx[--pool->n];
	pthread_mutex_unlock(&pool->lock);
	if (ctx != NULL)
		return ctx;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, pool->type, NULL)) != NULL && EVP_PKEY_fromdata_init(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* Gives ctx (from key_ctx_take) back to its pool, or frees it when the pool is full. */
static void
key_ctx_give(struct key_pool *pool, EVP_PKEY_CTX *ctx)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->n < KEY_CTX_POOL) {
		pool->ctx[pool->n++] = ctx;
		ctx = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	EVP_PKEY_CTX_free(ctx);
}

/* A public key of pool's type made from params by its key manager (no decoder), or NULL. */
static EVP_PKEY *
key_fromdata(struct key_pool *pool, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	if ((ctx = key_ctx_take(pool)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	key_ctx_give(pool, ctx);
	ERR_clear_error();
	return key;
}

/*
 * The key of an id-ecPublicKey SPKI on P-256, P-384 or P-521 (RFC 5480
 * §2.1.1: a named curve, the point as the key bits), made by the EC key
 * manager from the curve's name and the point (which it checks is on the
 * curve): no decoder. NULL for any other key, or when the point does not
 * load (the caller then tries OpenSSL's decoder).
 */
static EVP_PKEY *
ec_named_key(const PECHAT_SPKI_RAW *spki)
{
	const ASN1_OBJECT *alg;
	const void *param;
	OSSL_PARAM params[3];
	const char *curve;
	int ptype, nid;

	X509_ALGOR_get0(&alg, &ptype, &param, spki->algor);
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_OBJECT || spki->key->length < 1)
		return NULL;
	nid = OBJ_obj2nid((const ASN1_OBJECT *)param);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
		return NULL;
	curve = OBJ_nid2sn(nid);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, spki->key->data,
	    (size_t)spki->key->length);
	params[2] = OSSL_PARAM_construct_end();
	return key_fromdata(&ec_pool, params);
}

/*
 * RSAPublicKey (RFC 8017 §A.1.1) as OpenSSL's own template reads it (its
 * integers as BIGNUMs), to make an rsaEncryption key without a decoder.
 */
typedef struct {
	BIGNUM *n;
	BIGNUM *e;
} PECHAT_RSA_PUB;

ASN1_SEQUENCE(PECHAT_RSA_PUB) = {
	ASN1_SIMPLE(PECHAT_RSA_PUB, n, BIGNUM),
	ASN1_SIMPLE(PECHAT_RSA_PUB, e, BIGNUM)
} static_ASN1_SEQUENCE_END(PECHAT_RSA_PUB)

/*
 * The key of an rsaEncryption SPKI (RFC 3279 §2.3.1: the key bits an
 * RSAPublicKey), made by the RSA key manager from n and e: no decoder.
 * NULL for any other key or when it does not load (the caller then tries
 * OpenSSL's decoder).
 */
static EVP_PKEY *
rsa_key(const PECHAT_SPKI_RAW *spki)
{
	const ASN1_OBJECT *alg;
	const unsigned char *p = spki->key->data;
	PECHAT_RSA_PUB *rsa;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;

	X509_ALGOR_get0(&alg, NULL, NULL, spki->algor);
	if (OBJ_obj2nid(alg) != NID_rsaEncryption)
		return NULL;
	if ((rsa = (PECHAT_RSA_PUB *)ASN1_item_d2i(NULL, &p, spki->key->length, ASN1_ITEM_rptr(PECHAT_RSA_PUB))) ==
	    NULL)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, rsa->n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, rsa->e) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
		key = key_fromdata(&rsa_pool, params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	ASN1_item_free((ASN1_VALUE *)rsa, ASN1_ITEM_rptr(PECHAT_RSA_PUB));
	ERR_clear_error();
	return key;
}

/* See ca/csr_key.h. */
EVP_PKEY *
ca_csr_key(const PECHAT_SPKI_RAW *spki, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *key;

	if ((key = ec_named_key(spki)) != NULL || (key = rsa_key(spki)) != NULL)
		return key;
	if ((key = d2i_PUBKEY(NULL, &p, (long)len)) != NULL && p != der + len) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}
