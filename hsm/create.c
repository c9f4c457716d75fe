/*
 * hsm/create.c — the key ceremony's key generation (hsm_key_create): a new
 * key in a file (hsm_key_generate) or on a PKCS#11 token (hsm/p11gen.c),
 * handing back only its public key; the "offline:" reference test; and the
 * reference of a new key on an existing key's token (hsm_key_ref_sibling).
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

/* Appends s[n] at out[*len] (outsz in all), percent-encoding every byte that is not RFC 3986
 * unreserved when enc. 0, or -1 when it does not fit. */
static int
ref_append(char *out, size_t outsz, size_t *len, const unsigned char *s, size_t n, int enc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;
	int plain;

	for (i = 0; i < n; i++) {
		c = s[i];
		plain = !enc || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~';
		if (*len + (plain ? 1 : 3) >= outsz)
			return -1;
		if (plain) {
			out[(*len)++] = (char)c;
		} else {
			out[(*len)++] = '%';
			out[(*len)++] = hex[c >> 4];
			out[(*len)++] = hex[c & 15];
		}
	}
	out[*len] = '\0';
	return 0;
}

/* See hsm.h. The query (module-path, pin-source, development, reader) is kept as written. */
int
hsm_key_ref_sibling(const char *key_ref, const char *label, const unsigned char *id, size_t id_len,
    char *out, size_t outsz)
{
	struct p11_uri u, made;
	const char *q;
	char why[320];
	size_t len = 0;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (label == NULL || label[0] == '\0' || id == NULL || id_len == 0 || id_len > P11_ID_MAX ||
	    p11_uri_parse(key_ref, &u, why, sizeof(why)) != 0 || (q = strchr(key_ref, '?')) == NULL)
		return -1;
	if (ref_append(out, outsz, &len, (const unsigned char *)"pkcs11:token=", 13, 0) != 0 ||
	    ref_append(out, outsz, &len, (const unsigned char *)u.token, strlen(u.token), 1) != 0 ||
	    ref_append(out, outsz, &len, (const unsigned char *)";object=", 8, 0) != 0 ||
	    ref_append(out, outsz, &len, (const unsigned char *)label, strlen(label), 1) != 0 ||
	    ref_append(out, outsz, &len, (const unsigned char *)";id=", 4, 0) != 0 ||
	    ref_append(out, outsz, &len, id, id_len, 1) != 0 ||
	    ref_append(out, outsz, &len, (const unsigned char *)q, strlen(q), 0) != 0)
		goto fail;
	/* the result names the same token through the same module, and exactly the new object */
	if (p11_uri_parse(out, &made, why, sizeof(why)) != 0 || strcmp(made.token, u.token) != 0 ||
	    strcmp(made.module, u.module) != 0 || strcmp(made.object, label) != 0 || made.id_len != id_len ||
	    memcmp(made.id, id, id_len) != 0)
		goto fail;
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

/* See hsm.h. */
enum pechat_err
hsm_key_destroy(const char *key_ref, const char *label_prefix, int *destroyed, struct pechat_error *e)
{
	struct p11_uri u;
	char why[320];

	*destroyed = 0;
	if (key_ref == NULL || strncmp(key_ref, "pkcs11:", 7) != 0 || p11_uri_parse(key_ref, &u, why, sizeof(why)) != 0 ||
	    u.object[0] == '\0' || u.id_len == 0 || label_prefix == NULL || label_prefix[0] == '\0' ||
	    strncmp(u.object, label_prefix, strlen(label_prefix)) != 0) {
		log_err("hsm: key destruction refused: not a token key labelled \"%s...\" with an id",
		    label_prefix != NULL ? label_prefix : "");
		return pechat_fail(e, PECHAT_E_INVALID, "key_not_destroyable", "only a labelled token key with an id "
		    "is destroyed");
	}
	return p11_key_destroy(&u, destroyed, e);
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
