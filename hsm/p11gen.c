/*
 * hsm/p11gen.c — a key pair generated ON a PKCS#11 token (the key ceremony's
 * `pechat ceremony keygen`). libp11 0.4.12 cannot generate EC keys, so this
 * talks to the module's own function list (C_GetFunctionList, p11-kit's
 * pkcs11.h): one session, one C_Login (never retried; factory PINs refused
 * outside development, as hsm/p11.c; none when the process is already logged
 * in through libp11, as pechatd is when it makes an OCSP responder key next
 * to its issuer's; a token whose libp11 login failed is refused without a
 * login), an existing object with the same
 * label or id refused, C_GenerateKeyPair with the private key
 * CKA_TOKEN/CKA_PRIVATE/CKA_SENSITIVE TRUE and CKA_EXTRACTABLE FALSE, then
 * the public key read back from the public object. A failure after the
 * generation destroys both objects (nothing half-made stays on the token).
 *
 * OpenSSL ownership: *pub (p11_key_generate) is owned by the caller.
 */
#include "p11.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <p11-kit/pkcs11.h>

#define P11_PIN_MAX     256
#define ATTR_MAX        1024    /* a public attribute longer than this is refused */

/* What one generation holds; released by gen_close. */
struct gen {
	void *dl;
	CK_FUNCTION_LIST *f;
	int initialised;        /* we called C_Initialize (and so C_Finalize) */
	CK_SESSION_HANDLE s;
	int open, logged_in;
	CK_OBJECT_HANDLE pub, priv;
	int made;
};

/* The algorithm names hsm_key_generate knows that a token can make here. */
struct gen_alg {
	const char *name;
	int nid;                /* EC curve, or 0 for RSA */
	CK_ULONG bits;          /* RSA modulus */
};

static const struct gen_alg gen_algs[] = {
	{ "ec-p256", NID_X9_62_prime256v1, 0 },
	{ "ec-p384", NID_secp384r1, 0 },
	{ "ec-p521", NID_secp521r1, 0 },
	{ "rsa-2048", 0, 2048 },
	{ "rsa-3072", 0, 3072 },
	{ "rsa-4096", 0, 4096 },
};

/* The token algorithm named `name`, or NULL. */
static const struct gen_alg *
gen_alg_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(gen_algs) / sizeof(gen_algs[0]); i++)
		if (strcmp(gen_algs[i].name, name) == 0)
			return &gen_algs[i];
	return NULL;
}

/* Loads the module and initialises it. 0 or -1 with why. */
static int
gen_load(struct gen *g, const char *module, char *why, size_t whysz)
{
	CK_RV (*get)(CK_FUNCTION_LIST **);
	CK_RV rv;

	if ((g->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (*(void **)&get = dlsym(g->dl, "C_GetFunctionList")) == NULL || get(&g->f) != CKR_OK || g->f == NULL) {
		snprintf(why, whysz, "PKCS#11 module %.256s cannot be loaded", module);
		return -1;
	}
	rv = g->f->C_Initialize(NULL);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		snprintf(why, whysz, "PKCS#11 module %.256s: C_Initialize failed (0x%lx)", module, (unsigned long)rv);
		return -1;
	}
	g->initialised = rv == CKR_OK;
	return 0;
}

/* 1 if the blank-padded CK_TOKEN_INFO label equals `label`. */
static int
label_equals(const CK_UTF8CHAR padded[32], const char *label)
{
	size_t n = 32, l = strlen(label);

	while (n > 0 && padded[n - 1] == ' ')
		n--;
	return n == l && memcmp(padded, label, l) == 0;
}

/* Opens a read-write session on the token labelled u->token. 0 or -1 with why. */
static int
gen_session(struct gen *g, const struct p11_uri *u, char *why, size_t whysz)
{
	CK_SLOT_ID *slots = NULL;
	CK_TOKEN_INFO ti;
	CK_ULONG n = 0, i;
	int rc = -1;

	if (g->f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n == 0 || n > 1024 ||
	    (slots = calloc(n, sizeof(*slots))) == NULL || g->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		snprintf(why, whysz, "token \"%s\" not present (module %.256s)", u->token, u->module);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (g->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    !label_equals(ti.label, u->token))
			continue;
		if (g->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &g->s) != CKR_OK) {
			snprintf(why, whysz, "token \"%s\": no read-write session", u->token);
			goto out;
		}
		g->open = 1;
		rc = 0;
		goto out;
	}
	snprintf(why, whysz, "token \"%s\" not present (module %.256s)", u->token, u->module);
out:
	free(slots);
	return rc;
}

/*
 * One C_Login with the PIN the reference names; never retried. None when
 * this process is already logged in to the token (PKCS#11 login state is
 * per application: pechatd's libp11 login covers this session too), and
 * then no C_Logout at the end either. 0 or -1 with why.
 */
static int
gen_login(struct gen *g, const struct p11_uri *u, char *why, size_t whysz)
{
	char pin[P11_PIN_MAX];
	CK_SESSION_INFO si;
	CK_RV rv;

	if (g->f->C_GetSessionInfo(g->s, &si) == CKR_OK &&
	    (si.state == CKS_RW_USER_FUNCTIONS || si.state == CKS_RO_USER_FUNCTIONS))
		return 0;
	if (p11_pin_read(u, pin, sizeof(pin), why, whysz) != 0)
		return -1;
	p11_login_note();
	rv = g->f->C_Login(g->s, CKU_USER, (CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		snprintf(why, whysz, "token \"%s\": %s; not retried", u->token,
		    rv == CKR_PIN_INCORRECT ? "wrong PIN" : "login failed");
		return -1;
	}
	g->logged_in = 1;
	return 0;
}

/* Whether any object on the token has attribute `type` = value. 1, 0, or -1. */
static int
gen_exists(struct gen *g, CK_ATTRIBUTE_TYPE type, const void *value, size_t len)
{
	CK_ATTRIBUTE t = { type, (void *)value, (CK_ULONG)len };
	CK_OBJECT_HANDLE h;
	CK_ULONG found = 0;
	int rc = -1;

	if (g->f->C_FindObjectsInit(g->s, &t, 1) != CKR_OK)
		return -1;
	if (g->f->C_FindObjects(g->s, &h, 1, &found) == CKR_OK)
		rc = found > 0;
	g->f->C_FindObjectsFinal(g->s);
	return rc;
}

/* Refuses a label or id already on the token. 0 or -1 with why (*conflict set). */
static int
gen_free_name(struct gen *g, const struct p11_uri *u, int *conflict, char *why, size_t whysz)
{
	int r;

	if (u->object[0] != '\0' && (r = gen_exists(g, CKA_LABEL, u->object, strlen(u->object))) != 0) {
		*conflict = r > 0;
		snprintf(why, whysz, r > 0 ? "token \"%s\" already holds an object labelled \"%s\"; keys are never "
		    "replaced" : "token \"%s\": cannot search for \"%s\"", u->token, u->object);
		return -1;
	}
	if (u->id_len > 0 && (r = gen_exists(g, CKA_ID, u->id, u->id_len)) != 0) {
		*conflict = r > 0;
		snprintf(why, whysz, r > 0 ? "token \"%s\" already holds an object with that id; keys are never "
		    "replaced" : "token \"%s\": cannot search for the id", u->token);
		return -1;
	}
	return 0;
}

/* C_GenerateKeyPair for algorithm a with the reference's label and id. 0 or -1 with why. */
static int
gen_pair(struct gen *g, const struct p11_uri *u, const struct gen_alg *a, char *why, size_t whysz)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { a->nid != 0 ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = a->bits;
	CK_ATTRIBUTE pubt[8], privt[10];
	CK_ULONG npub = 0, npriv = 0;
	unsigned char *params = NULL;
	int len = 0, rc = -1;
	CK_RV rv;

	pubt[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pubt[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	if (a->nid != 0) {
		if ((len = i2d_ASN1_OBJECT(OBJ_nid2obj(a->nid), &params)) <= 0) {
			snprintf(why, whysz, "curve parameters cannot be encoded");
			goto out;
		}
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, params, (CK_ULONG)len };
	} else {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, f4, sizeof(f4) };
	}
	privt[npriv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	privt[npriv++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	privt[npriv++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	privt[npriv++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	privt[npriv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	if (u->object[0] != '\0') {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)u->object, (CK_ULONG)strlen(u->object) };
		privt[npriv++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)u->object, (CK_ULONG)strlen(u->object) };
	}
	if (u->id_len > 0) {
		pubt[npub++] = (CK_ATTRIBUTE){ CKA_ID, (void *)u->id, (CK_ULONG)u->id_len };
		privt[npriv++] = (CK_ATTRIBUTE){ CKA_ID, (void *)u->id, (CK_ULONG)u->id_len };
	}
	rv = g->f->C_GenerateKeyPair(g->s, &mech, pubt, npub, privt, npriv, &g->pub, &g->priv);
	if (rv != CKR_OK) {
		snprintf(why, whysz, "token \"%s\": key generation (%s) failed (0x%lx)", u->token, a->name,
		    (unsigned long)rv);
		goto out;
	}
	g->made = 1;
	rc = 0;
out:
	OPENSSL_free(params);
	return rc;
}

/* Reads attribute `type` of object h into buf[cap]; its length, or -1. */
static long
gen_attr(struct gen *g, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, unsigned char *buf, size_t cap)
{
	CK_ATTRIBUTE t = { type, buf, (CK_ULONG)cap };

	if (g->f->C_GetAttributeValue(g->s, h, &t, 1) != CKR_OK || t.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    t.ulValueLen > cap)
		return -1;
	return (long)t.ulValueLen;
}

/* The EVP_PKEY of an EC public object (CKA_EC_POINT: a DER OCTET STRING). *out owned. 0 or -1. */
static int
pub_ec(struct gen *g, const struct gen_alg *a, EVP_PKEY **out)
{
	unsigned char buf[ATTR_MAX];
	const unsigned char *p = buf;
	ASN1_OCTET_STRING *pt = NULL;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	long n;
	int rc = -1;

	if ((n = gen_attr(g, g->pub, CKA_EC_POINT, buf, sizeof(buf))) <= 0 ||
	    (pt = d2i_ASN1_OCTET_STRING(NULL, &p, n)) == NULL || p != buf + n)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)OBJ_nid2sn(a->nid), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt->data, (size_t)pt->length);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	ASN1_OCTET_STRING_free(pt);
	return rc;
}

/* The EVP_PKEY of an RSA public object (CKA_MODULUS, CKA_PUBLIC_EXPONENT). *out owned. 0 or -1. */
static int
pub_rsa(struct gen *g, EVP_PKEY **out)
{
	unsigned char nb[ATTR_MAX], eb[16];
	long nl, el;
	BIGNUM *n = NULL, *ex = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -1;

	if ((nl = gen_attr(g, g->pub, CKA_MODULUS, nb, sizeof(nb))) <= 0 ||
	    (el = gen_attr(g, g->pub, CKA_PUBLIC_EXPONENT, eb, sizeof(eb))) <= 0 ||
	    (n = BN_bin2bn(nb, (int)nl, NULL)) == NULL || (ex = BN_bin2bn(eb, (int)el, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ex) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(ex);
	return rc;
}

/* Destroys a half-made pair (keep = 0), logs out, closes, finalises, unloads. */
static void
gen_close(struct gen *g, int keep)
{
	if (g->made && !keep) {
		g->f->C_DestroyObject(g->s, g->priv);
		g->f->C_DestroyObject(g->s, g->pub);
	}
	if (g->logged_in)
		g->f->C_Logout(g->s);
	if (g->open)
		g->f->C_CloseSession(g->s);
	if (g->initialised)
		g->f->C_Finalize(NULL);
	if (g->dl != NULL)
		dlclose(g->dl);
}

/* Destroys the objects with u's label and id (up to 8: a pair, perhaps a certificate). 0 or -1 with why. */
static int
gen_destroy(struct gen *g, const struct p11_uri *u, int *destroyed, char *why, size_t whysz)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_LABEL, (void *)u->object, (CK_ULONG)strlen(u->object) },
		{ CKA_ID, (void *)u->id, (CK_ULONG)u->id_len },
	};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG found = 0, i;

	if (g->f->C_FindObjectsInit(g->s, t, 2) != CKR_OK) {
		snprintf(why, whysz, "token \"%s\": cannot search for \"%s\"", u->token, u->object);
		return -1;
	}
	if (g->f->C_FindObjects(g->s, h, 8, &found) != CKR_OK)
		found = 0;
	g->f->C_FindObjectsFinal(g->s);
	for (i = 0; i < found; i++) {
		if (g->f->C_DestroyObject(g->s, h[i]) != CKR_OK) {
			snprintf(why, whysz, "token \"%s\": \"%s\" cannot be destroyed", u->token, u->object);
			return -1;
		}
		(*destroyed)++;
	}
	return 0;
}

/* See p11.h. */
enum pechat_err
p11_key_destroy(const struct p11_uri *u, int *destroyed, struct pechat_error *e)
{
	struct gen g;
	char why[768] = "";
	int ok = 0;

	*destroyed = 0;
	memset(&g, 0, sizeof(g));
	if (p11_token_hold(u, why, sizeof(why)) != 0)
		goto out_unheld;
	if (gen_load(&g, u->module, why, sizeof(why)) == 0 && gen_session(&g, u, why, sizeof(why)) == 0 &&
	    gen_login(&g, u, why, sizeof(why)) == 0 && gen_destroy(&g, u, destroyed, why, sizeof(why)) == 0)
		ok = 1;
	gen_close(&g, 1);
	p11_token_release();
out_unheld:
	ERR_clear_error();
	if (ok) {
		if (*destroyed > 0)
			log_info("hsm: destroyed %d object(s) \"%s\" on token \"%s\"", *destroyed, u->object, u->token);
		return PECHAT_OK;
	}
	log_err("hsm: pkcs11 key destruction: %s", why);
	return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "%s", why);
}

/* See p11.h. */
enum pechat_err
p11_key_generate(const struct p11_uri *u, const char *algorithm, EVP_PKEY **pub, struct pechat_error *e)
{
	const struct gen_alg *a = gen_alg_find(algorithm);
	struct gen g;
	char why[768] = "";
	int conflict = 0, ok = 0;

	*pub = NULL;
	memset(&g, 0, sizeof(g));
	if (a == NULL) {
		log_err("hsm: no \"%s\" key generation on a token", algorithm != NULL ? algorithm : "");
		return pechat_fail(e, PECHAT_E_INVALID, "algorithm_unknown", "a token key is one of ec-p256, ec-p384, "
		    "ec-p521, rsa-2048, rsa-3072, rsa-4096");
	}
	if (p11_token_hold(u, why, sizeof(why)) != 0)
		goto out_unheld;
	if (gen_load(&g, u->module, why, sizeof(why)) != 0 || gen_session(&g, u, why, sizeof(why)) != 0 ||
	    gen_login(&g, u, why, sizeof(why)) != 0 || gen_free_name(&g, u, &conflict, why, sizeof(why)) != 0 ||
	    gen_pair(&g, u, a, why, sizeof(why)) != 0)
		goto out;
	if ((a->nid != 0 ? pub_ec(&g, a, pub) : pub_rsa(&g, pub)) != 0) {
		snprintf(why, sizeof(why), "token \"%s\": the new public key cannot be read; both objects destroyed",
		    u->token);
		goto out;
	}
	ok = 1;
	log_info("hsm: generated %s key on token \"%s\" (object \"%s\")", a->name, u->token, u->object);
out:
	gen_close(&g, ok);
	p11_token_release();
out_unheld:
	ERR_clear_error();
	if (ok)
		return PECHAT_OK;
	log_err("hsm: pkcs11 key generation: %s", why);
	return pechat_fail(e, conflict ? PECHAT_E_CONFLICT : PECHAT_E_UNAVAILABLE, conflict ? "key_exists" :
	    "key_unavailable", "%s", why);
}
