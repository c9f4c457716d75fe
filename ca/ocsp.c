/*
 * ca/ocsp.c — RFC 6960 OCSP building blocks with OpenSSL's OCSP API:
 * untrusted request parsing, CertID -> issuer matching over precomputed
 * hashes, CertIDs for pre-signing, signed and error responses. No cache,
 * no clock, no HTTP: the publisher and web/ sit on top.
 * docs/REVOCATION.md describes every field.
 */
#include "ca_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

/* ------------------------------------------------------------ requests */

/*
 * RFC 8954 §2.1: the nonce extension's extnValue holds an OCTET STRING of
 * 1..32 octets. A value that is not a DER OCTET STRING (some pre-RFC 8954
 * clients put raw bytes) or is out of range is refused. 0 or -1.
 */
static int
nonce_check(X509_EXTENSION *ext)
{
	const ASN1_OCTET_STRING *val = X509_EXTENSION_get_data(ext);
	const unsigned char *p = ASN1_STRING_get0_data(val);
	ASN1_OCTET_STRING *inner = NULL;
	long vlen = ASN1_STRING_length(val);
	int n, rc = -1;

	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, vlen)) == NULL ||
	    p != ASN1_STRING_get0_data(val) + vlen) {
		log_reject("ca: ocsp: nonce is not a DER OCTET STRING");
		goto out;
	}
	n = ASN1_STRING_length(inner);
	if (n < 1 || n > CA_OCSP_NONCE_MAX) {
		log_reject("ca: ocsp: nonce of %d octets (RFC 8954: 1..32)", n);
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(inner);
	return rc;
}

/*
 * Walks one extension list (RFC 6960 §4.4): the nonce at most once and
 * well-formed (only in requestExtensions: allow_nonce), other extensions
 * ignored unless critical. Returns 0 or -1 (logged as a rejection).
 */
static int
exts_check(int count, X509_EXTENSION *(*get)(void *, int), void *obj, int allow_nonce)
{
	X509_EXTENSION *ext;
	char oid[80];
	int i, nid, nonces = 0;

	for (i = 0; i < count; i++) {
		if ((ext = get(obj, i)) == NULL)
			return -1;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (allow_nonce && nid == NID_id_pkix_OCSP_Nonce) {
			if (++nonces > 1) {
				log_reject("ca: ocsp: nonce extension twice");
				return -1;
			}
			if (nonce_check(ext) != 0)
				return -1;
			continue;
		}
		if (X509_EXTENSION_get_critical(ext)) {
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
			log_reject("ca: ocsp: unknown critical extension %s", oid);
			return -1;
		}
	}
	return 0;
}

static X509_EXTENSION *
req_ext(void *obj, int i)
{
	return OCSP_REQUEST_get_ext(obj, i);
}

static X509_EXTENSION *
onereq_ext(void *obj, int i)
{
	return OCSP_ONEREQ_get_ext(obj, i);
}

/*
 * DER only (RFC 6960 §4.1 is DER): the request re-encodes (i2d) to exactly
 * the input. This refuses BER (indefinite lengths, long-form lengths, ...)
 * and anything OpenSSL decodes but would encode otherwise, so every
 * CertID we echo in an answer is the client's own bytes and parses again.
 */
static int
is_der(OCSP_REQUEST *req, const unsigned char *der, size_t len)
{
	unsigned char *buf = NULL;
	int n = i2d_OCSP_REQUEST(req, &buf), same;

	same = n > 0 && (size_t)n == len && memcmp(buf, der, len) == 0;
	OPENSSL_free(buf);
	return same;
}

/*
 * TBSRequest.version (RFC 6960 §4.1.1: [0] EXPLICIT Version DEFAULT v1).
 * OpenSSL keeps it opaque, so the DER is walked with ASN1_get_object: the
 * OCSPRequest and TBSRequest headers, then the first element's tag.
 * In DER a DEFAULT value is never encoded, so any version field present
 * (even v1) is refused. Returns 0 when absent, -1 otherwise (logged).
 */
static int
version_check(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *q;
	ASN1_INTEGER *v = NULL;
	long plen, ilen;
	int tag, xclass, rc = -1;

	if ((ASN1_get_object(&p, &plen, &tag, &xclass, (long)len) & 0x80) != 0 ||
	    (ASN1_get_object(&p, &plen, &tag, &xclass, plen) & 0x80) != 0) {
		log_reject("ca: ocsp: no TBSRequest header");
		goto out;
	}
	q = p;
	if (plen == 0 || (ASN1_get_object(&q, &ilen, &tag, &xclass, plen) & 0x80) != 0 ||
	    xclass != V_ASN1_CONTEXT_SPECIFIC || tag != 0) {
		rc = 0;         /* the first element is the requestorName or the requestList */
		goto out;
	}
	if ((v = d2i_ASN1_INTEGER(NULL, &q, ilen)) != NULL && ASN1_INTEGER_get(v) == 0)
		log_reject("ca: ocsp: version v1 encoded (DER omits the DEFAULT)");
	else
		log_reject("ca: ocsp: request version %ld (only v1)", v != NULL ? ASN1_INTEGER_get(v) : -1L);
out:
	ASN1_INTEGER_free(v);
	return rc;
}

/*
 * CertID.hashAlgorithm parameters (RFC 6960 §4.1.1, RFC 5754 §2): a hash
 * AlgorithmIdentifier has none or NULL. Anything else would be copied into
 * an answer that a cache could serve to other clients. The CertID is
 * opaque: its DER is read back as an AlgorithmIdentifier. 0 or -1 (logged).
 */
static int
certid_alg_check(OCSP_CERTID *cid)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	const ASN1_OBJECT *obj;
	const void *pval;
	X509_ALGOR *alg = NULL;
	long plen;
	int n, tag, xclass, ptype, rc = -1;
	char oid[80];

	if ((n = i2d_OCSP_CERTID(cid, &buf)) <= 0)
		goto out;
	p = buf;
	if ((ASN1_get_object(&p, &plen, &tag, &xclass, n) & 0x80) != 0 ||
	    (alg = d2i_X509_ALGOR(NULL, &p, plen)) == NULL)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
		OBJ_obj2txt(oid, sizeof(oid), obj, 1);
		log_reject("ca: ocsp: CertID hash algorithm %s with parameters (ASN.1 type %d)", oid, ptype);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && alg == NULL)
		log_reject("ca: ocsp: CertID hash algorithm does not decode");
	X509_ALGOR_free(alg);
	OPENSSL_free(buf);
	return rc;
}

/* The SingleRequests: each with a CertID of a plain hash algorithm, no unknown critical extension. */
static int
onereqs_check(OCSP_REQUEST *req, int n)
{
	OCSP_ONEREQ *one;
	OCSP_CERTID *cid;
	int i;

	for (i = 0; i < n; i++) {
		one = OCSP_request_onereq_get0(req, i);
		if (one == NULL || (cid = OCSP_onereq_get0_id(one)) == NULL || certid_alg_check(cid) != 0 ||
		    exts_check(OCSP_ONEREQ_get_ext_count(one), onereq_ext, one, 0) != 0)
			return -1;
	}
	return 0;
}

/*
 * See ca_status.h. RFC 6960 §4.1 (syntax, DER), §4.1.1 (version v1,
 * CertID), §4.4 (extensions), RFC 8954 (nonce). Each refusal is one
 * rejection record; OpenSSL's queue is drained, not logged.
 */
enum pechat_err
ca_ocsp_request_parse(const unsigned char *der, size_t len, OCSP_REQUEST **out,
    struct pechat_error *e)
{
	OCSP_REQUEST *req = NULL;
	const unsigned char *p = der;
	int n;
	enum pechat_err rc;

	*out = NULL;
	if (len > CA_OCSP_REQUEST_MAX) {
		log_reject("ca: ocsp: request of %zu bytes (max %d)", len, CA_OCSP_REQUEST_MAX);
		rc = pechat_fail(e, PECHAT_E_TOO_LARGE, "ocsp_too_large", "the OCSP request is too large");
		goto out;
	}
	if (der == NULL || len == 0) {
		log_reject("ca: ocsp: empty request");
		goto malformed;
	}
	if ((req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL) {
		pechat_log_openssl_reject("ca: ocsp: the request does not decode");
		goto malformed;
	}
	if (p != der + len) {
		log_reject("ca: ocsp: %zu bytes after the request", (size_t)(der + len - p));
		goto malformed;
	}
	if (!is_der(req, der, len)) {
		log_reject("ca: ocsp: the request is not DER (BER lengths or a non-canonical encoding)");
		goto malformed;
	}
	if (version_check(der, len) != 0)
		goto malformed;
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > CA_OCSP_MAX_CERTIDS) {
		log_reject("ca: ocsp: %d CertIDs (1..%d)", n, CA_OCSP_MAX_CERTIDS);
		goto malformed;
	}
	if (exts_check(OCSP_REQUEST_get_ext_count(req), req_ext, req, 1) != 0 || onereqs_check(req, n) != 0)
		goto malformed;
	*out = req;
	req = NULL;
	rc = PECHAT_OK;
	goto out;
malformed:
	rc = pechat_fail(e, PECHAT_E_INVALID, "ocsp_malformed", "the OCSP request is malformed");
out:
	ERR_clear_error();
	OCSP_REQUEST_free(req);
	return rc;
}

/* See ca_status.h. OCSP_REQUEST_get_ext_by_NID only reads, its prototype is not const. */
int
ca_ocsp_request_has_nonce(const OCSP_REQUEST *req)
{
	if (req == NULL)
		return 0;
	return OCSP_REQUEST_get_ext_by_NID((OCSP_REQUEST *)req, NID_id_pkix_OCSP_Nonce, -1) >= 0;
}

/* ------------------------------------------------------------- CertIDs */

/* CertID hash algorithms we answer for; unavailable ones (no gost-engine) are skipped. */
static const char *const certid_mds[] = {
	"SHA1", "SHA224", "SHA256", "SHA384", "SHA512",
	SN_id_GostR3411_2012_256,       /* "md_gost12_256" (gost-engine) */
	SN_id_GostR3411_2012_512,       /* "md_gost12_512" */
};

#define N_CERTID_MDS (sizeof(certid_mds) / sizeof(certid_mds[0]))

struct ocsp_id {
	char issuer[64];
	int md_nid;
	unsigned int hash_len;
	unsigned char name_hash[EVP_MAX_MD_SIZE];
	unsigned char key_hash[EVP_MAX_MD_SIZE];
};

struct ca_ocsp_ids {
	struct ocsp_id *ids;
	size_t n;
};

void
ca_ocsp_ids_free(struct ca_ocsp_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->ids);
	free(ids);
}

/*
 * See ca_status.h. RFC 6960 §4.1.1: issuerNameHash is the hash of the
 * issuer's DER-encoded subject (X509_NAME_digest); issuerKeyHash the hash
 * of the value of the issuer's subjectPublicKey BIT STRING, without tag,
 * length and unused-bits octet (X509_pubkey_digest).
 */
struct ca_ocsp_ids *
ca_ocsp_ids_new(const struct ca *ca)
{
	struct ca_ocsp_ids *ids = NULL, *ret = NULL;
	struct ocsp_id *id;
	const struct ca_issuer *is;
	const EVP_MD *md;
	unsigned int klen;
	size_t j;
	int i;

	if (ca == NULL)
		return NULL;
	if ((ids = calloc(1, sizeof(*ids))) == NULL ||
	    (ids->ids = calloc((size_t)ca->n_issuers * N_CERTID_MDS + 1, sizeof(*ids->ids))) == NULL) {
		log_err("ca: ocsp: out of memory");
		goto out;
	}
	for (j = 0; j < N_CERTID_MDS; j++) {
		if ((md = EVP_get_digestbyname(certid_mds[j])) == NULL) {
			ERR_clear_error();
			log_debug("ca: ocsp: CertID digest %s not available", certid_mds[j]);
			continue;
		}
		for (i = 0; i < ca->n_issuers; i++) {
			is = &ca->issuers[i];
			if (strcmp(is->kind, "operators") == 0)
				continue;
			id = &ids->ids[ids->n];
			pechat_strlcpy(id->issuer, is->name, sizeof(id->issuer));
			id->md_nid = EVP_MD_get_type(md);
			if (X509_NAME_digest(X509_get_subject_name(is->cert), md, id->name_hash, &id->hash_len) != 1 ||
			    X509_pubkey_digest(is->cert, md, id->key_hash, &klen) != 1 || klen != id->hash_len) {
				pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: CertID hashes");
				log_err("ca: ocsp: cannot hash issuer %s with %s", is->name, certid_mds[j]);
				goto out;
			}
			ids->n++;
		}
	}
	ret = ids;
	ids = NULL;
out:
	ca_ocsp_ids_free(ids);
	return ret;
}

/* See ca_status.h. RFC 6960 §4.1.1 CertID; the hash algorithm is the client's choice. */
enum pechat_err
ca_ocsp_certid_match(const struct ca_ocsp_ids *ids, OCSP_CERTID *cid, struct ca_ocsp_certid_info *out,
    struct pechat_error *e)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *mdo = NULL;
	ASN1_INTEGER *serial = NULL;
	const struct ocsp_id *id;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->md_nid = NID_undef;
	if (ids == NULL || cid == NULL || OCSP_id_get0_info(&nh, &mdo, &kh, &serial, cid) != 1 ||
	    nh == NULL || mdo == NULL || kh == NULL || serial == NULL) {
		log_reject("ca: ocsp: CertID without its fields");
		return pechat_fail(e, PECHAT_E_INVALID, "ocsp_malformed", "the OCSP request is malformed");
	}
	out->md_nid = OBJ_obj2nid(mdo);
	/* "" unless a positive serial of <= 32 octets: such serials are never ours (answer unknown) */
	if (ca_serial_hex(serial, out->serial, sizeof(out->serial)) != 0)
		out->serial[0] = '\0';
	if (out->md_nid == NID_undef)
		return PECHAT_OK;
	for (i = 0; i < ids->n; i++) {
		id = &ids->ids[i];
		if (id->md_nid != out->md_nid || (size_t)ASN1_STRING_length(nh) != id->hash_len ||
		    (size_t)ASN1_STRING_length(kh) != id->hash_len)
			continue;
		if (CRYPTO_memcmp(ASN1_STRING_get0_data(nh), id->name_hash, id->hash_len) == 0 &&
		    CRYPTO_memcmp(ASN1_STRING_get0_data(kh), id->key_hash, id->hash_len) == 0) {
			out->issuer_found = 1;
			pechat_strlcpy(out->issuer, id->issuer, sizeof(out->issuer));
			return PECHAT_OK;
		}
	}
	return PECHAT_OK;
}

/* See ca_status.h. RFC 6960 §4.1.1 (CertID), RFC 5019 §2.1.1 (SHA-1 by default). */
enum pechat_err
ca_ocsp_certid_new(const struct ca *ca, const char *issuer, const char *serial_hex, const EVP_MD *md,
    OCSP_CERTID **out, struct pechat_error *e)
{
	const struct ca_issuer *is;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	enum pechat_err rc;

	*out = NULL;
	if (issuer == NULL || (is = ca_issuer_find(ca, issuer)) == NULL || strcmp(is->kind, "operators") == 0) {
		rc = pechat_fail(e, PECHAT_E_NOT_FOUND, "issuer_unknown", "unknown issuer");
		goto out;
	}
	if (serial_hex == NULL || !pechat_is_hex(serial_hex, 64) ||
	    BN_hex2bn(&bn, serial_hex) != (int)strlen(serial_hex) ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		ERR_clear_error();
		log_err("ca: ocsp: serial \"%.64s\" is not hex", serial_hex != NULL ? serial_hex : "");
		rc = pechat_fail(e, PECHAT_E_INVALID, "serial_invalid", "invalid serial");
		goto out;
	}
	if ((*out = OCSP_cert_id_new(md != NULL ? md : EVP_sha1(), X509_get_subject_name(is->cert),
	    X509_get0_pubkey_bitstr(is->cert), serial)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: OCSP_cert_id_new");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "CertID cannot be built");
		goto out;
	}
	rc = PECHAT_OK;
out:
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return rc;
}

/* ----------------------------------------------------------- responses */

/* Our caller's parameters; a failure is its bug (logged). */
static enum pechat_err
sign_params_check(const struct ca_ocsp_single *s, size_t n, time_t this_update, time_t next_update,
    struct pechat_error *e)
{
	size_t i;

	if (s == NULL || n < 1 || n > CA_OCSP_MAX_CERTIDS || next_update <= this_update) {
		log_err("ca: ocsp: bad response parameters (%zu answers)", n);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		if (s[i].id == NULL || (s[i].status != V_OCSP_CERTSTATUS_GOOD &&
		    s[i].status != V_OCSP_CERTSTATUS_REVOKED && s[i].status != V_OCSP_CERTSTATUS_UNKNOWN)) {
			log_err("ca: ocsp: answer %zu: bad CertID or status", i);
			goto bad;
		}
		if (s[i].status == V_OCSP_CERTSTATUS_REVOKED && s[i].reason != CRL_REASON_NONE &&
		    ca_crl_reason_name(s[i].reason) == NULL) {
			log_err("ca: ocsp: answer %zu: reason %d is not a CRLReason", i, s[i].reason);
			goto bad;
		}
	}
	return PECHAT_OK;
bad:
	return pechat_fail(e, PECHAT_E_INVALID, "ocsp_params_invalid", "invalid OCSP response parameters");
}

/* The SingleResponses (RFC 6960 §4.2.1) into bs. 0 or -1 (logged). */
static int
add_singles(OCSP_BASICRESP *bs, const struct ca_ocsp_single *s, size_t n, time_t this_update,
    time_t next_update)
{
	ASN1_TIME *tu = NULL, *nu = NULL, *rt = NULL;
	size_t i;
	int reason, rc = -1;

	if ((tu = ASN1_TIME_set(NULL, this_update)) == NULL || (nu = ASN1_TIME_set(NULL, next_update)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		ASN1_TIME_free(rt);
		rt = NULL;
		reason = OCSP_REVOKED_STATUS_NOSTATUS;
		if (s[i].status == V_OCSP_CERTSTATUS_REVOKED) {
			if ((rt = ASN1_TIME_set(NULL, s[i].revoked_at)) == NULL)
				goto out;
			/* unspecified is omitted, as in CRLs (RFC 5280 §5.3.1) */
			if (s[i].reason != CRL_REASON_NONE && s[i].reason != CRL_REASON_UNSPECIFIED)
				reason = s[i].reason;
		}
		/* copies the CertID and converts every time to GeneralizedTime (§4.2.1) */
		if (OCSP_basic_add1_status(bs, s[i].id, s[i].status, reason, rt, tu, nu) == NULL)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: OCSP_basic_add1_status");
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	return rc;
}

/*
 * See ca_status.h. RFC 6960 §4.2.1 (ResponseData), §4.2.2.2 (delegated
 * responder: its certificate goes in `certs`), §4.2.2.3 (ResponderID
 * byKey), RFC 8954 (nonce echo). producedAt is set to this_update before
 * signing (OCSP_NOTIME: OpenSSL would use the system clock); OpenSSL has
 * no setter for it, so the time object behind OCSP_resp_get0_produced_at
 * is set in place.
 */
enum pechat_err
ca_ocsp_response_sign(struct ca_responder *r, const struct ca_ocsp_single *s, size_t n,
    time_t this_update, time_t next_update, OCSP_REQUEST *nonce_req, unsigned char **der,
    size_t *len, struct pechat_error *e)
{
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	struct hsm_key *key = ca_responder_key(r);
	X509 *cert = ca_responder_get0_cert(r);
	unsigned char *buf = NULL;
	int n_der;
	enum pechat_err rc;

	*der = NULL;
	*len = 0;
	if (key == NULL || cert == NULL) {
		log_err("ca: ocsp: no responder");
		rc = pechat_fail(e, PECHAT_E_INVALID, "ocsp_params_invalid", "no responder");
		goto out;
	}
	if ((rc = sign_params_check(s, n, this_update, next_update, e)) != PECHAT_OK)
		goto out;
	if (this_update < ca_responder_not_before(r) || this_update >= ca_responder_not_after(r)) {
		log_err("ca: ocsp: responder %s of %s is not valid at thisUpdate", ca_responder_serial(r),
		    ca_responder_issuer(r));
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "responder_expired", "the OCSP responder expired");
		goto out;
	}
	if ((bs = OCSP_BASICRESP_new()) == NULL || add_singles(bs, s, n, this_update, next_update) != 0 ||
	    (nonce_req != NULL && OCSP_copy_nonce(bs, nonce_req) <= 0) ||
	    ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs), this_update) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: ResponseData");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "OCSP response cannot be built");
		goto out;
	}
	/* responderID byKey, the responder certificate in certs; hsm/ signs and verifies */
	if ((rc = hsm_sign_ocsp(key, bs, cert, NULL, OCSP_RESPID_KEY | OCSP_NOTIME, e)) != PECHAT_OK)
		goto out;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (n_der = i2d_OCSP_RESPONSE(resp, &buf)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: OCSPResponse");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "OCSP response cannot be built");
		goto out;
	}
	*der = buf;
	*len = (size_t)n_der;
	buf = NULL;
	rc = PECHAT_OK;
out:
	OPENSSL_free(buf);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return rc;
}

/* See ca_status.h. RFC 6960 §4.2.1: error statuses carry no responseBytes. */
int
ca_ocsp_response_error(int status, unsigned char **der, size_t *len)
{
	OCSP_RESPONSE *resp = NULL;
	unsigned char *buf = NULL;
	int n, rc = -1;

	*der = NULL;
	*len = 0;
	if (status != OCSP_RESPONSE_STATUS_MALFORMEDREQUEST && status != OCSP_RESPONSE_STATUS_INTERNALERROR &&
	    status != OCSP_RESPONSE_STATUS_TRYLATER && status != OCSP_RESPONSE_STATUS_SIGREQUIRED &&
	    status != OCSP_RESPONSE_STATUS_UNAUTHORIZED) {
		log_err("ca: ocsp: %d is not an error status", status);
		goto out;
	}
	if ((resp = OCSP_response_create(status, NULL)) == NULL || (n = i2d_OCSP_RESPONSE(resp, &buf)) <= 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: ocsp: error response");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = 0;
out:
	OPENSSL_free(buf);
	OCSP_RESPONSE_free(resp);
	return rc;
}
