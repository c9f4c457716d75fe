/*
 * hsm/p11.c — keys on PKCS#11 tokens through libp11: one module context per
 * module path, one login per token per process, and a failed login that
 * disables the token for the rest of the process (tokens lock after a few
 * wrong PINs, so Pechat never retries one).
 *
 * OpenSSL ownership: PKCS11_get_private_key() returns a reference the
 * caller owns; the libp11 contexts, slots and key lists live until exit.
 */
#include "p11.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#define P11_TOKENS_MAX  16      /* distinct module+token pairs per process */
#define P11_PIN_MAX     256

#ifndef CKR_PIN_INCORRECT
#define CKR_PIN_INCORRECT 0xa0
#endif

/* One module+token pair: its libp11 context and login state. */
struct p11_token {
	char module[P11_PATH_MAX + 1];
	char label[P11_LABEL_MAX + 1];
	PKCS11_CTX *ctx;                /* shared by the entries of one module */
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;              /* the slot holding the token; NULL until found */
	int logged_in;
	char failure[160];              /* non-empty: disabled for the life of the process */
};

static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_token p11_tokens[P11_TOKENS_MAX];
static size_t p11_ntokens;
static atomic_ulong p11_logins;

/* See p11.h. */
unsigned long
p11_login_attempts(void)
{
	return atomic_load(&p11_logins);
}

/* See p11.h. */
void
p11_login_note(void)
{
	atomic_fetch_add(&p11_logins, 1);
}

/* See p11.h. */
int
p11_token_hold(const struct p11_uri *u, char *why, size_t whysz)
{
	size_t k;

	pthread_mutex_lock(&p11_lock);
	for (k = 0; k < p11_ntokens; k++)
		if (strcmp(p11_tokens[k].module, u->module) == 0 && strcmp(p11_tokens[k].label, u->token) == 0 &&
		    p11_tokens[k].failure[0] != '\0') {
			snprintf(why, whysz, "%s", p11_tokens[k].failure);
			pthread_mutex_unlock(&p11_lock);
			return -1;
		}
	return 0;
}

/* See p11.h. */
void
p11_token_release(void)
{
	pthread_mutex_unlock(&p11_lock);
}

/* See p11.h: the PIN a reference names (file or environment), checked against the factory defaults. */
int
p11_pin_read(const struct p11_uri *u, char *pin, size_t pinsz, char *why, size_t whysz)
{
	if (secret_read(u->pin_file, u->pin_env, "PIN", pin, pinsz, why, whysz) != 0)
		return -1;
	if (secret_pin_is_default(pin) && !u->development) {
		snprintf(why, whysz, "the PIN for token \"%s\" is a factory default; refused "
		    "(change it, or mark a test key development=1)", u->token);
		OPENSSL_cleanse(pin, pinsz);
		return -1;
	}
	return 0;
}

/* The table entry for module+token, created (context loaded, slot found) on first use. Lock held. */
static struct p11_token *
token_get(const struct p11_uri *u, char *why, size_t whysz)
{
	struct p11_token *t, *same_module = NULL;
	unsigned int i;
	size_t k;

	for (k = 0; k < p11_ntokens; k++) {
		t = &p11_tokens[k];
		if (strcmp(t->module, u->module) == 0) {
			same_module = t;
			if (strcmp(t->label, u->token) == 0)
				return t;
		}
	}
	if (p11_ntokens >= P11_TOKENS_MAX) {
		snprintf(why, whysz, "more than %d tokens", P11_TOKENS_MAX);
		return NULL;
	}
	t = &p11_tokens[p11_ntokens];
	memset(t, 0, sizeof(*t));
	pechat_strlcpy(t->module, u->module, sizeof(t->module));
	pechat_strlcpy(t->label, u->token, sizeof(t->label));
	if (same_module != NULL) {
		t->ctx = same_module->ctx;
		t->slots = same_module->slots;
		t->nslots = same_module->nslots;
	} else {
		if ((t->ctx = PKCS11_CTX_new()) == NULL || PKCS11_CTX_load(t->ctx, u->module) != 0) {
			snprintf(why, whysz, "PKCS#11 module %.256s cannot be loaded", u->module);
			if (t->ctx != NULL)
				PKCS11_CTX_free(t->ctx);
			return NULL;
		}
		if (PKCS11_enumerate_slots(t->ctx, &t->slots, &t->nslots) != 0) {
			snprintf(why, whysz, "PKCS#11 module %.256s: no slot list", u->module);
			PKCS11_CTX_unload(t->ctx);
			PKCS11_CTX_free(t->ctx);
			return NULL;
		}
	}
	p11_ntokens++;
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].token != NULL && t->slots[i].token->initialized &&
		    strcmp(t->slots[i].token->label, u->token) == 0)
			t->slot = &t->slots[i];
	return t;
}

/* Whether the last libp11 error is CKR_PIN_INCORRECT (the queue is cleared). */
static int
error_is_wrong_pin(void)
{
	unsigned long err;
	int wrong = 0;

	while ((err = ERR_get_error()) != 0)
		if (ERR_GET_LIB(err) == ERR_get_CKR_code() && ERR_GET_REASON(err) == CKR_PIN_INCORRECT)
			wrong = 1;
	return wrong;
}

/* Logs into t once; a failure disables t for good (never retried). 0 or -1 with why. Lock held. */
static int
token_login(struct p11_token *t, const char *pin, char *why, size_t whysz)
{
	if (t->logged_in)
		return 0;
	atomic_fetch_add(&p11_logins, 1);
	if (PKCS11_login(t->slot, 0, pin) == 0) {
		t->logged_in = 1;
		return 0;
	}
	if (error_is_wrong_pin())
		snprintf(t->failure, sizeof(t->failure), "token \"%s\": wrong PIN; not retried", t->label);
	else
		snprintf(t->failure, sizeof(t->failure), "token \"%s\": login failed; not retried", t->label);
	log_err("hsm: %s (module %.256s); its keys are disabled until restart", t->failure, t->module);
	snprintf(why, whysz, "%s", t->failure);
	return -1;
}

/* The private key on t matching id and/or label (both when both are given); NULL if none. Lock held. */
static PKCS11_KEY *
key_find(struct p11_token *t, const struct p11_uri *u)
{
	PKCS11_KEY *keys = NULL;
	unsigned int n = 0, i;

	if (PKCS11_enumerate_keys(t->slot->token, &keys, &n) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!keys[i].isPrivate)
			continue;
		if (u->id_len > 0 && (keys[i].id_len != u->id_len || memcmp(keys[i].id, u->id, u->id_len) != 0))
			continue;
		if (u->object[0] != '\0' && (keys[i].label == NULL || strcmp(keys[i].label, u->object) != 0))
			continue;
		return &keys[i];
	}
	return NULL;
}

/* See p11.h. */
enum pechat_err
p11_key_open(const struct p11_uri *u, EVP_PKEY **priv, struct pechat_error *e)
{
	char why[768] = "", pin[P11_PIN_MAX];
	struct p11_token *t;
	PKCS11_KEY *key;
	enum pechat_err rc = PECHAT_E_UNAVAILABLE;

	*priv = NULL;
	pin[0] = '\0';
	pthread_mutex_lock(&p11_lock);
	if ((t = token_get(u, why, sizeof(why))) == NULL)
		goto fail;
	if (t->failure[0] != '\0') {
		snprintf(why, sizeof(why), "%s", t->failure);
		goto fail;
	}
	if (t->slot == NULL) {
		snprintf(why, sizeof(why), "token \"%s\" not present (module %.256s)", u->token, u->module);
		goto fail;
	}
	if (p11_pin_read(u, pin, sizeof(pin), why, sizeof(why)) != 0 ||
	    token_login(t, pin, why, sizeof(why)) != 0)
		goto fail;
	if ((key = key_find(t, u)) == NULL) {
		snprintf(why, sizeof(why), "token \"%s\": no private key with that id/object", u->token);
		goto fail;
	}
	if ((*priv = PKCS11_get_private_key(key)) == NULL) {
		snprintf(why, sizeof(why), "token \"%s\": private key cannot be used", u->token);
		goto fail;
	}
	rc = PECHAT_OK;
fail:
	pthread_mutex_unlock(&p11_lock);
	OPENSSL_cleanse(pin, sizeof(pin));
	ERR_clear_error();
	if (rc != PECHAT_OK) {
		log_err("hsm: pkcs11 key: %s", why);
		return pechat_fail(e, rc, "key_unavailable", "%s", why);
	}
	return PECHAT_OK;
}
