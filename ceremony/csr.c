/*
 * ceremony/csr.c — `pechat ceremony csr`: the PKCS#10 request of an issuing
 * CA key (on the online machine, the key usually on a token), signed
 * through hsm/ and checked with the public key before it is handed out.
 */
#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"

#include <stdio.h>

#include <openssl/err.h>

#include "ca/ca_make.h"

/* See ceremony.h. */
enum pechat_err
cer_csr(const struct cer_env *env, const char *key_ref, const char *dn, X509_REQ **out, struct pechat_error *e)
{
	struct hsm_key *key = NULL;
	X509_NAME *subject = NULL;
	X509_REQ *req = NULL;
	char fpr[65], detail[1200], sdn[1024];
	enum pechat_err rc;

	*out = NULL;
	if ((rc = cer_dn_parse(dn, &subject, e)) != PECHAT_OK || (rc = hsm_key_open(key_ref, &key, e)) != PECHAT_OK)
		goto out;
	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, subject) != 1 || X509_REQ_set_pubkey(req, hsm_key_public(key)) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ceremony: CSR");
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if ((rc = hsm_sign_req(key, req, e)) != PECHAT_OK)
		goto out;
	if (cer_pub_fingerprint(hsm_key_public(key), fpr) != 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "the public key cannot be encoded");
		goto out;
	}
	ca_name_rfc2253(subject, sdn, sizeof(sdn));
	snprintf(detail, sizeof(detail), "subject=%s spki_sha256=%s", sdn, fpr);
	if ((rc = cer_audit(env, "ceremony.csr", key_ref, detail, e)) != PECHAT_OK)
		goto out;
	*out = req;
	req = NULL;
out:
	X509_REQ_free(req);
	X509_NAME_free(subject);
	hsm_key_free(key);
	return rc;
}
