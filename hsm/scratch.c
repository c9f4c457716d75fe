/*
 * hsm/scratch.c — throw-away keys for linting (ca/build.c step 4, ca/crl.c):
 * a key of the same algorithm and parameters as a CA key (EC curve, RSA
 * size, GOST R 34.10-2012 size and parameter set, Ed25519/Ed448), made in
 * memory once per process and parameter choice, wrapped like any key so
 * that hsm_sign_* signs with it exactly as with the real key (same digest
 * rule, same AlgorithmIdentifier encoding). Never written anywhere, never
 * the CA key.
 */
#include "hsm_int.h"

#include "common/profile.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#define SCRATCH_MAX 16
#define SCRATCH_ID_MAX 256

struct scratch {
	unsigned char id[SCRATCH_ID_MAX];       /* scratch_id: the key kind's identity */
	size_t id_len;
	struct hsm_key *key;
};

static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct scratch scratch_keys[SCRATCH_MAX];
static int n_scratch;

/*
 * The cheap identity of the common key kinds (no encode/decode round trip,
 * which costs OpenSSL 3.0 an encoder and a decoder look-up per call):
 * "<base id>:<bits>:<EC curve name>" for EC on a named curve, RSA, Ed25519
 * and Ed448; 0, or -1 for the others (scratch_id's SPKI path).
 */
static int
scratch_id_fast(EVP_PKEY *like, unsigned char *id, size_t *len)
{
	char curve[64] = "";
	size_t clen = 0;
	int base = EVP_PKEY_get_base_id(like), n;

	if (base == EVP_PKEY_EC && EVP_PKEY_get_group_name(like, curve, sizeof(curve), &clen) != 1)
		return -1;
	if (base != EVP_PKEY_EC && base != EVP_PKEY_RSA && base != EVP_PKEY_ED25519 && base != EVP_PKEY_ED448)
		return -1;
	n = snprintf((char *)id, SCRATCH_ID_MAX, "%d:%d:%s", base, EVP_PKEY_get_bits(like), curve);
	if (n <= 0 || n >= SCRATCH_ID_MAX)
		return -1;
	*len = (size_t)n;
	return 0;
}

/*
 * What identifies like's parameters: scratch_id_fast's string, else its SPKI
 * AlgorithmIdentifier DER then its size in bits (a DER SEQUENCE never reads as
 * the fast form's digits). 0 or -1.
 */
static int
scratch_id(EVP_PKEY *like, unsigned char *id, size_t *len)
{
	X509_PUBKEY *xpk = NULL;
	X509_ALGOR *alg = NULL;
	unsigned char *der = NULL;
	int n, bits = EVP_PKEY_get_bits(like), rc = -1;

	if (scratch_id_fast(like, id, len) == 0)
		return 0;
	if (X509_PUBKEY_set(&xpk, like) != 1 || X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, xpk) != 1 ||
	    (n = i2d_X509_ALGOR(alg, &der)) <= 0 || (size_t)n + sizeof(bits) > SCRATCH_ID_MAX)
		goto out;
	memcpy(id, der, (size_t)n);
	memcpy(id + n, &bits, sizeof(bits));
	*len = (size_t)n + sizeof(bits);
	rc = 0;
out:
	OPENSSL_free(der);
	X509_PUBKEY_free(xpk);
	return rc;
}

/* A new private key of like's algorithm and parameters (owned), or NULL. */
static EVP_PKEY *
scratch_generate(EVP_PKEY *like)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	const struct pechat_gost_paramset_info *ps;
	char name[80];
	size_t namelen = 0;
	int id = EVP_PKEY_get_base_id(like);

	switch (id) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(like, name, sizeof(name), &namelen) == 1)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", name);
		return pkey;
	case EVP_PKEY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EVP_PKEY_get_bits(like));
	case EVP_PKEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case EVP_PKEY_ED448:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	case NID_id_GostR3410_2012_256:
	case NID_id_GostR3410_2012_512:
		/* gost-engine's "paramset" takes its own names (XA, TCB...), not every OID */
		if ((ps = pechat_gost_paramset_of_key(like)) == NULL || (ctx = EVP_PKEY_CTX_new_id(id, NULL)) == NULL ||
		    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_ctrl_str(ctx, "paramset", ps->engine) <= 0 ||
		    EVP_PKEY_keygen(ctx, &pkey) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(ctx);
		return pkey;
	default:
		return NULL;
	}
}

/* See hsm.h. */
enum pechat_err
hsm_key_scratch(EVP_PKEY *like, struct hsm_key **out, struct pechat_error *e)
{
	unsigned char id[SCRATCH_ID_MAX];
	size_t len = 0;
	EVP_PKEY *priv;
	struct hsm_key *k = NULL;
	enum pechat_err rc = PECHAT_OK;
	int i;

	*out = NULL;
	if (like == NULL || scratch_id(like, id, &len) != 0) {
		ERR_clear_error();
		return pechat_fail(e, PECHAT_E_INTERNAL, "algorithm_unavailable", "no throw-away key for this key type");
	}
	pthread_mutex_lock(&scratch_lock);
	for (i = 0; i < n_scratch; i++)
		if (scratch_keys[i].id_len == len && memcmp(scratch_keys[i].id, id, len) == 0) {
			*out = scratch_keys[i].key;
			goto unlock;
		}
	if (n_scratch == SCRATCH_MAX || (priv = scratch_generate(like)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: throw-away key");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "algorithm_unavailable", "no throw-away key for this key type");
		goto unlock;
	}
	if ((rc = hsm_key_wrap(HSM_SCRATCH_REF, priv, &k, e)) != PECHAT_OK)
		goto unlock;
	memcpy(scratch_keys[n_scratch].id, id, len);
	scratch_keys[n_scratch].id_len = len;
	scratch_keys[n_scratch].key = k;
	n_scratch++;
	*out = k;
unlock:
	pthread_mutex_unlock(&scratch_lock);
	return rc;
}
