/*
 * ca/keys.c — the keys the daemon uses as GET /api/v1/keys and /readyz show
 * them: issuers' keys and the delegated OCSP responders' keys, each with its
 * reference (secret sources redacted), algorithm, key hash, state, reader
 * and presence. Read-only: nothing here signs except hsm_key_status's test
 * signature.
 */
#include "ca/publish_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

/* The algorithm name of a public key as the config spells it ("ec-p256", "rsa-3072", ...). */
static void
algorithm_name(EVP_PKEY *pub, char *buf, size_t bufsz)
{
	char group[64] = "";
	size_t len = 0;
	int id = EVP_PKEY_get_base_id(pub);

	if (id == EVP_PKEY_EC && EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), &len) == 1)
		snprintf(buf, bufsz, "ec-%s", strcmp(group, "prime256v1") == 0 ? "p256" :
		    strcmp(group, "secp384r1") == 0 ? "p384" : strcmp(group, "secp521r1") == 0 ? "p521" : group);
	else if (id == EVP_PKEY_RSA)
		snprintf(buf, bufsz, "rsa-%d", EVP_PKEY_get_bits(pub));
	else if (id == EVP_PKEY_ED25519)
		snprintf(buf, bufsz, "ed25519");
	else
		snprintf(buf, bufsz, "%s", OBJ_nid2sn(id));
	ERR_clear_error();
}

/* The key hash of the certificate's public key ("" when it cannot be made). */
static void
cert_key_hash(X509 *cert, char out[65])
{
	unsigned char *der = NULL;
	int len;

	out[0] = '\0';
	if (cert == NULL || (len = i2d_X509(cert, &der)) <= 0)
		return;
	if (pechat_cert_spki_sha256_hex(der, (size_t)len, out) != 0)
		out[0] = '\0';
	OPENSSL_free(der);
}

/* State, reader and presence of a loaded key (a test signature when its token is not absent). */
static void
key_state(struct hsm_key *key, struct ca_key_view *v)
{
	struct pechat_error e;
	enum hsm_presence p = hsm_key_presence(key, v->reader, sizeof(v->reader));

	pechat_strlcpy(v->presence, hsm_presence_name(p), sizeof(v->presence));
	pechat_strlcpy(v->kind, hsm_key_kind(key), sizeof(v->kind));
	v->last_signature = hsm_key_last_signature(key);
	pechat_error_clear(&e);
	if (p == HSM_PRESENCE_ABSENT) {
		pechat_strlcpy(v->state, "absent", sizeof(v->state));
		pechat_strlcpy(v->detail, "token absent", sizeof(v->detail));
	} else if (hsm_key_status(key, &e) != PECHAT_OK) {
		pechat_strlcpy(v->state, "unavailable", sizeof(v->state));
		pechat_strlcpy(v->detail, e.detail, sizeof(v->detail));
	} else
		pechat_strlcpy(v->state, "ok", sizeof(v->state));
}

/* The view of issuer is. */
static void
issuer_view(const struct ca_issuer *is, struct ca_key_view *v)
{
	memset(v, 0, sizeof(*v));
	pechat_strlcpy(v->role, "issuer", sizeof(v->role));
	pechat_strlcpy(v->issuer, is->name, sizeof(v->issuer));
	pechat_strlcpy(v->issuer_kind, is->kind, sizeof(v->issuer_kind));
	hsm_key_ref_redact(is->key_ref, v->key_ref, sizeof(v->key_ref));
	pechat_strlcpy(v->cert_serial, is->serial, sizeof(v->cert_serial));
	algorithm_name(X509_get0_pubkey(is->cert), v->algorithm, sizeof(v->algorithm));
	cert_key_hash(is->cert, v->public_key_sha256);
	if (is->key != NULL) {
		key_state(is->key, v);
		return;
	}
	/* not loaded: why (ca_issuer_load); a reference's kind from its prefix */
	pechat_strlcpy(v->kind, strncmp(is->key_ref, "pkcs11:", 7) == 0 ? "pkcs11" :
	    strncmp(is->key_ref, "engine:", 7) == 0 ? "engine" : is->offline ? "offline" : "file", sizeof(v->kind));
	pechat_strlcpy(v->presence, "none", sizeof(v->presence));
	pechat_strlcpy(v->state, is->key_state[0] != '\0' ? is->key_state : "unavailable", sizeof(v->state));
	pechat_strlcpy(v->detail, is->key_problem[0] != '\0' ? is->key_problem : is->offline ?
	    "kept offline (a root whose key never comes to this machine): signs nothing here" :
	    "not opened: the issuer's certificate is revoked", sizeof(v->detail));
}

/* The view of the delegated responder of pi (0), or -1 when it has none. */
static int
responder_view(struct ca *ca, struct pub_issuer *pi, struct ca_key_view *v)
{
	const struct ca_issuer *is = ca_issuer_find(ca, pi->name);
	struct hsm_key *key;
	X509 *cert;
	int rc = -1;

	pthread_rwlock_rdlock(&pi->resp_lock);
	if (pi->responder != NULL && (key = ca_responder_key(pi->responder)) != NULL) {
		memset(v, 0, sizeof(*v));
		cert = ca_responder_get0_cert(pi->responder);
		pechat_strlcpy(v->role, "ocsp_responder", sizeof(v->role));
		pechat_strlcpy(v->issuer, pi->name, sizeof(v->issuer));
		pechat_strlcpy(v->issuer_kind, is != NULL ? is->kind : "", sizeof(v->issuer_kind));
		hsm_key_ref_redact(hsm_key_ref(key), v->key_ref, sizeof(v->key_ref));
		pechat_strlcpy(v->cert_serial, ca_responder_serial(pi->responder), sizeof(v->cert_serial));
		algorithm_name(X509_get0_pubkey(cert), v->algorithm, sizeof(v->algorithm));
		cert_key_hash(cert, v->public_key_sha256);
		key_state(key, v);
		rc = 0;
	}
	pthread_rwlock_unlock(&pi->resp_lock);
	return rc;
}

/* See ca.h. */
int
ca_keys_list(struct ca *ca, struct ca_publisher *pub, struct ca_key_view *out, int max)
{
	int i, n = 0;

	for (i = 0; ca != NULL && i < ca->n_issuers && n < max; i++)
		issuer_view(&ca->issuers[i], &out[n++]);
	for (i = 0; pub != NULL && i < pub->n_issuers && n < max; i++)
		if (responder_view(ca, &pub->issuers[i], &out[n]) == 0)
			n++;
	return n;
}

/* See ca.h. */
int
ca_keys_absent(const struct ca *ca, char *buf, size_t bufsz)
{
	const struct ca_issuer *is;
	char ref[256], reader[128];
	size_t used = 0;
	int i, n, count = 0;

	if (bufsz > 0)
		buf[0] = '\0';
	for (i = 0; ca != NULL && i < ca->n_issuers; i++) {
		is = &ca->issuers[i];
		if (is->key == NULL || hsm_key_presence(is->key, reader, sizeof(reader)) != HSM_PRESENCE_ABSENT)
			continue;
		hsm_key_ref_redact(is->key_ref, ref, sizeof(ref));
		n = snprintf(buf + used, bufsz - used, "%sissuer %s: key %s: token absent%s%s%s", count > 0 ? "; " : "",
		    is->name, ref, reader[0] != '\0' ? " (reader \"" : "", reader, reader[0] != '\0' ? "\")" : "");
		count++;
		if (n < 0 || (size_t)n >= bufsz - used)
			break;
		used += (size_t)n;
	}
	return count;
}
