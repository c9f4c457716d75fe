/*
 * hsm/create.c — the key ceremony's key generation (hsm_key_create): a new
 * key in a file (hsm_key_generate) or on a PKCS#11 token (hsm/p11gen.c),
 * handing back only its public key; and the "offline:" reference test.
 *
 * OpenSSL ownership: *pub is the caller's.
 */
#include "hsm/hsm.h"
#include "p11.h"

#include <string.h>

/* See hsm.h. */
int
hsm_key_ref_offline(const char *key_ref)
{
	return key_ref != NULL && strncmp(key_ref, HSM_KEY_REF_OFFLINE, strlen(HSM_KEY_REF_OFFLINE)) == 0;
}

/* See hsm.h. */
enum pechat_err
hsm_key_create(const char *key_ref, const char *algorithm, EVP_PKEY **pub, struct pechat_error *e)
{
	struct hsm_key *key = NULL;
	struct p11_uri u;
	char why[320];
	enum pechat_err rc;

	*pub = NULL;
	hsm_global_init();
	if (hsm_key_ref_offline(key_ref))
		return pechat_fail(e, PECHAT_E_INVALID, "key_offline", "an offline: reference names no key to generate");
	if (key_ref != NULL && strncmp(key_ref, "pkcs11:", 7) == 0) {
		if (p11_uri_parse(key_ref, &u, why, sizeof(why)) != 0) {
			log_err("hsm: pkcs11 key reference refused: %s", why);
			return pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "key reference refused: %s", why);
		}
		return p11_key_generate(&u, algorithm, pub, e);
	}
	if ((rc = hsm_key_generate(key_ref, algorithm, &key, e)) != PECHAT_OK)
		return rc;
	if (EVP_PKEY_up_ref(hsm_key_public(key)) != 1) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	*pub = hsm_key_public(key);
	rc = PECHAT_OK;
out:
	hsm_key_free(key);
	return rc;
}
