/*
 * ra/keycheck.c — the CSR key checks of every request (docs/REGISTRATION.md,
 * "Key checks"): the key is not certified for another subject, and no
 * certificate of it was ever revoked for key compromise. Each is one lookup
 * on the certificate_keys index (db/keys.c).
 */
#include "ra/ra_int.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* The key hash of the CSR's SubjectPublicKeyInfo (common/spki.c). */
static enum pechat_err
csr_key_hash(const struct ca_csr *csr, char hash[65], struct pechat_error *e)
{
	if (pechat_spki_sha256_hex(csr->spki_der, csr->spki_len, hash) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "CSR key hash");
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	return PECHAT_OK;
}

/* Who the request's certificate is for: its registry subject and representative, or its DN. */
static enum pechat_err
owner_of(const struct db_request *req, struct db_key_owner *o, struct pechat_error *e)
{
	memset(o, 0, sizeof(*o));
	pechat_strlcpy(o->subject_id, req->subject_id, sizeof(o->subject_id));
	pechat_strlcpy(o->representative_id, req->representative_id, sizeof(o->representative_id));
	if (req->subject_id[0] != '\0')
		return PECHAT_OK;
	return ca_subject_dn(&req->subject, o->subject_dn, sizeof(o->subject_dn), e);
}

enum pechat_err
ra_key_checks(struct db *db, struct db_request *req, const struct ca_csr *csr, int record, struct pechat_error *e)
{
	struct ca_csr *parsed = NULL;
	struct db_key_owner owner;
	char hash[65], serial[65];
	enum pechat_err err;

	if (csr == NULL) {
		if ((err = ra_stored_csr(req, &parsed, e)) != PECHAT_OK)
			return err;
		csr = parsed;
	}
	if ((err = csr_key_hash(csr, hash, e)) != PECHAT_OK || (err = owner_of(req, &owner, e)) != PECHAT_OK)
		goto out;
	if ((err = db_key_compromised(db, hash, serial, e)) == PECHAT_OK) {
		err = pechat_fail(e, PECHAT_E_POLICY, "key_compromised",
		    "this key was in certificate %s, revoked for key compromise: generate a new key", serial);
		goto out;
	}
	if (err != PECHAT_E_NOT_FOUND)
		goto out;
	if (record)
		ra_add_check(req, "key_not_compromised", 1, "no certificate of this key was revoked for key compromise");
	if ((err = db_key_other_subject(db, hash, &owner, serial, e)) == PECHAT_OK) {
		err = pechat_fail(e, PECHAT_E_POLICY, "key_certified_for_other_subject",
		    "this key is already certified for another subject (certificate %s): generate a new key", serial);
		goto out;
	}
	if (err != PECHAT_E_NOT_FOUND)
		goto out;
	err = PECHAT_OK;
	if (record)
		ra_add_check(req, "key_unique_to_subject", 1, "no certificate of this key names another subject");
out:
	if (err == PECHAT_E_POLICY)
		log_reject("request %s: key refused: %s", req->id, e != NULL ? e->code : "?");
	ca_csr_free(parsed);
	return err;
}
