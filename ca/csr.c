/*
 * ca/csr.c — PKCS#10 (RFC 2986) requests from untrusted bytes.
 */
#include "ca_int.h"
#include "ca/csr_key.h"
#include "common/spki.h"

#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define CSR_MAX_BYTES (64 * 1024)

/*
 * RFC 2986 §4 as OpenSSL's X509_REQ template reads it (the attributes
 * optional, as there), but with the SubjectPublicKeyInfo read raw
 * (PECHAT_SPKI_RAW): d2i_X509_REQ decodes the key through OpenSSL 3.0's
 * decoders on every parse. The info keeps its encoding (ASN1_SEQUENCE_enc)
 * so that the signature is verified over the bytes that were signed.
 */
typedef struct {
	ASN1_ENCODING enc;
	ASN1_INTEGER *version;
	X509_NAME *subject;
	PECHAT_SPKI_RAW *spki;
	STACK_OF(X509_ATTRIBUTE) *attributes;
} PECHAT_CSR_INFO;

typedef struct {
	PECHAT_CSR_INFO *info;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
} PECHAT_CSR;

ASN1_SEQUENCE_enc(PECHAT_CSR_INFO, enc, 0) = {
	ASN1_SIMPLE(PECHAT_CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(PECHAT_CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(PECHAT_CSR_INFO, spki, PECHAT_SPKI_RAW),
	ASN1_IMP_SET_OF_OPT(PECHAT_CSR_INFO, attributes, X509_ATTRIBUTE, 0)
} static_ASN1_SEQUENCE_END_ref(PECHAT_CSR_INFO, PECHAT_CSR_INFO)

ASN1_SEQUENCE(PECHAT_CSR) = {
	ASN1_SIMPLE(PECHAT_CSR, info, PECHAT_CSR_INFO),
	ASN1_SIMPLE(PECHAT_CSR, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(PECHAT_CSR, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(PECHAT_CSR)

static void
raw_free(PECHAT_CSR *raw)
{
	ASN1_item_free((ASN1_VALUE *)raw, ASN1_ITEM_rptr(PECHAT_CSR));
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
all_space(const unsigned char *p, size_t n)
{
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	return n == 0;
}

/* Only base64 characters and whitespace, and at least 16 of them: PEM without its armour. */
static int
looks_like_base64(const unsigned char *p, size_t n)
{
	size_t i, chars = 0;

	for (i = 0; i < n; i++) {
		if (is_space(p[i]))
			continue;
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '+' || p[i] == '/' || p[i] == '='))
			return 0;
		chars++;
	}
	return chars >= 16;
}

/*
 * 1 if data opens with exactly a CSR's PEM boundary line (RFC 7468 §2, §7:
 * "CERTIFICATE REQUEST" or the legacy "NEW CERTIFICATE REQUEST") ended by
 * a line break (blanks allowed before it). PEM_read_bio would skip any line before a boundary (such as
 * "-----BEGINX"): nothing but whitespace may precede the block.
 */
static int
pem_begins(const unsigned char *data, size_t len)
{
	static const char *const lines[] = {
		"-----BEGIN CERTIFICATE REQUEST-----",
		"-----BEGIN NEW CERTIFICATE REQUEST-----",
	};
	size_t i, n;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		n = strlen(lines[i]);
		if (len <= n || memcmp(data, lines[i], n) != 0)
			continue;
		while (n < len && (data[n] == ' ' || data[n] == '\t'))
			n++;    /* RFC 7468 §2: trailing blanks on a line are ignored */
		return n < len && (data[n] == '\n' || data[n] == '\r');
	}
	return 0;
}

/* DER body -> request; every byte must be consumed. */
static enum pechat_err
csr_from_der(const unsigned char *der, size_t len, PECHAT_CSR **out, struct pechat_error *e)
{
	const unsigned char *p = der;
	PECHAT_CSR *req;

	if ((req = (PECHAT_CSR *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(PECHAT_CSR))) == NULL) {
		pechat_log_openssl_reject("csr: DER does not decode");
		if (looks_like_base64(der, len))
			return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed",
			    "the CSR looks like base64 without its PEM armour: send the PEM block, from "
			    "\"-----BEGIN CERTIFICATE REQUEST-----\" to \"-----END CERTIFICATE REQUEST-----\"");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed",
		    "the CSR is not a PKCS#10 request: expected one PEM block \"-----BEGIN CERTIFICATE "
		    "REQUEST-----\" ... \"-----END CERTIFICATE REQUEST-----\" (or its DER)");
	}
	if (p != der + len) {
		log_reject("csr: %zu bytes after the DER request", (size_t)(der + len - p));
		raw_free(req);
		return pechat_fail(e, PECHAT_E_INVALID, "csr_trailing_data", "data after the request");
	}
	*out = req;
	return PECHAT_OK;
}

/*
 * PEM (RFC 7468 §7): only whitespace before the one block (its boundary
 * line first, exactly), label
 * "CERTIFICATE REQUEST" (or the legacy "NEW CERTIFICATE REQUEST"), no
 * encapsulated headers, only whitespace after it.
 */
static enum pechat_err
csr_from_pem(const unsigned char *data, size_t len, PECHAT_CSR **out, struct pechat_error *e)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	char *rest = NULL;
	long restlen;
	enum pechat_err rc;

	if (!pem_begins(data, len)) {
		log_reject("csr: the first line is not a CERTIFICATE REQUEST PEM boundary");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed",
		    "expected exactly one PEM block starting with the line \"-----BEGIN CERTIFICATE REQUEST-----\", "
		    "with nothing but whitespace around it");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1) {
		pechat_log_openssl_reject("csr: PEM does not decode");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "request is not valid PEM");
		goto out;
	}
	if (strcmp(name, "CERTIFICATE REQUEST") != 0 && strcmp(name, "NEW CERTIFICATE REQUEST") != 0) {
		log_reject("csr: PEM block is \"%.40s\", not a certificate request", name);
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "PEM block is not a certificate request");
		goto out;
	}
	if (header[0] != '\0') {
		log_reject("csr: PEM block has encapsulated headers");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "PEM headers are not allowed");
		goto out;
	}
	restlen = BIO_get_mem_data(bio, &rest);
	if (restlen > 0 && !all_space((const unsigned char *)rest, (size_t)restlen)) {
		log_reject("csr: %ld bytes after the PEM block", restlen);
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_trailing_data", "data after the request");
		goto out;
	}
	rc = csr_from_der(der, (size_t)derlen, out, e);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

/*
 * The extensions an extensionRequest attribute (PKCS#9, or Microsoft's)
 * carries, read as X509_REQ_get_extensions reads them: the first of the two
 * attributes present, its first value a SEQUENCE of extensions (none when
 * it has no value). Owned; NULL when it does not decode.
 */
static STACK_OF(X509_EXTENSION) *
requested_extensions(const STACK_OF(X509_ATTRIBUTE) *attrs)
{
	static const int nids[] = { NID_ext_req, NID_ms_ext_req };
	const unsigned char *p;
	ASN1_TYPE *ext = NULL;
	size_t i;
	int idx;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]) && ext == NULL; i++) {
		if ((idx = X509at_get_attr_by_NID(attrs, nids[i], -1)) < 0)
			continue;
		if ((ext = X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, idx), 0)) == NULL)
			return sk_X509_EXTENSION_new_null();
	}
	if (ext == NULL)
		return sk_X509_EXTENSION_new_null();
	if (ext->type != V_ASN1_SEQUENCE)
		return NULL;
	p = ext->value.sequence->data;
	return (STACK_OF(X509_EXTENSION) *)ASN1_item_d2i(NULL, &p, ext->value.sequence->length,
	    ASN1_ITEM_rptr(X509_EXTENSIONS));
}

/*
 * Requested extensions are never copied into certificates, but a request
 * that marks one critical we do not understand, or repeats one, is refused
 * (RFC 5280 §4.2 spirit: do not silently ignore critical data).
 */
static enum pechat_err
csr_check_extensions(const STACK_OF(X509_ATTRIBUTE) *attrs, struct pechat_error *e)
{
	STACK_OF(X509_EXTENSION) *exts;
	enum pechat_err rc = PECHAT_OK;
	int i, j, n;

	if (X509at_get_attr_by_NID(attrs, NID_ext_req, -1) < 0 && X509at_get_attr_by_NID(attrs, NID_ms_ext_req, -1) < 0)
		return PECHAT_OK;
	if ((exts = requested_extensions(attrs)) == NULL) {
		pechat_log_openssl_reject("csr: extension request does not decode");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "extension request is malformed");
	}
	n = sk_X509_EXTENSION_num(exts);
	for (i = 0; i < n && rc == PECHAT_OK; i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(x);

		for (j = 0; j < i; j++) {
			if (OBJ_cmp(obj, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0) {
				log_reject("csr: extension requested twice");
				rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "extension requested twice");
				break;
			}
		}
		if (rc == PECHAT_OK && X509_EXTENSION_get_critical(x) && !X509_supported_extension(x)) {
			log_reject("csr: unknown critical extension requested");
			rc = pechat_fail(e, PECHAT_E_INVALID, "csr_critical_extension",
			    "unsupported critical extension requested");
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

#define CSR_DIGESTS_ACCEPTED "SHA-224, SHA-256, SHA-384, SHA-512 (also as RSA-PSS hash and MGF1), " \
	"GOST R 34.11-2012 (Streebog) 256 and 512, or Ed25519/Ed448"

/* 1 for the digests a self-signature may use: SHA-2 and Streebog (GOST R 34.11-2012). */
static int
digest_ok(int md_nid)
{
	return md_nid == NID_sha224 || md_nid == NID_sha256 || md_nid == NID_sha384 || md_nid == NID_sha512 ||
	    md_nid == NID_sha512_224 || md_nid == NID_sha512_256 || md_nid == NID_id_GostR3411_2012_256 ||
	    md_nid == NID_id_GostR3411_2012_512;
}

/*
 * RSASSA-PSS parameters (RFC 4055 §3.1): the hash and the MGF1 hash, both
 * SHA-1 when absent. Sets *md_nid to the first one that is not accepted
 * (or to the hash). 1 if both are accepted.
 */
static int
pss_ok(const X509_ALGOR *alg, int *md_nid)
{
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	int ok = 0;

	*md_nid = NID_sha1;
	if (alg->parameter == NULL || alg->parameter->type != V_ASN1_SEQUENCE ||
	    (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter)) == NULL)
		goto out;
	if (pss->hashAlgorithm != NULL)
		*md_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (!digest_ok(*md_nid))
		goto out;
	if (pss->maskGenAlgorithm == NULL || OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
	    pss->maskGenAlgorithm->parameter == NULL ||
	    (mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), pss->maskGenAlgorithm->parameter)) == NULL) {
		*md_nid = NID_sha1;
		goto out;
	}
	if (!digest_ok(OBJ_obj2nid(mgf_md->algorithm))) {
		*md_nid = OBJ_obj2nid(mgf_md->algorithm);
		goto out;
	}
	ok = 1;
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	ERR_clear_error();
	return ok;
}

/*
 * The self-signature's digest (proof of possession must not rest on MD5 or
 * SHA-1, RFC 6151 / RFC 9155 spirit): SHA-2 or Streebog through the
 * signature OID, SHA-2 in RSA-PSS parameters, or a signature scheme with
 * its own hash (Ed25519, Ed448). INVALID "csr_digest_not_allowed".
 */
static enum pechat_err
csr_check_digest(const X509_ALGOR *alg, struct pechat_error *e)
{
	int sig_nid = OBJ_obj2nid(alg->algorithm), md_nid = NID_undef, pk_nid = NID_undef;
	const char *name;

	if (sig_nid == NID_rsassaPss) {
		if (pss_ok(alg, &md_nid))
			return PECHAT_OK;
	} else if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) == 1) {
		if (md_nid == NID_undef && (pk_nid == NID_ED25519 || pk_nid == NID_ED448))
			return PECHAT_OK;
		if (digest_ok(md_nid))
			return PECHAT_OK;
	}
	name = md_nid != NID_undef ? OBJ_nid2sn(md_nid) : OBJ_nid2sn(sig_nid);
	if (name == NULL)
		name = "an unknown algorithm";
	log_reject("csr: self-signature with %s", name);
	return pechat_fail(e, PECHAT_E_INVALID, "csr_digest_not_allowed",
	    "the CSR is self-signed with %s; accepted: " CSR_DIGESTS_ACCEPTED, name);
}

/*
 * A GOST R 34.10-2012 key signs with the Streebog digest of its own size
 * (RFC 9215 §3.2): the signature must be id-tc26-signwithdigest-gost3410-12-256
 * for a 256-bit key and -512 for a 512-bit one. INVALID
 * "csr_digest_key_mismatch" naming both; other keys pass.
 */
static enum pechat_err
csr_check_gost_digest(const X509_ALGOR *alg, EVP_PKEY *pub, struct pechat_error *e)
{
	int id = EVP_PKEY_get_base_id(pub), sig_nid = OBJ_obj2nid(alg->algorithm), want;
	const char *found;

	if (id == NID_id_GostR3410_2012_256)
		want = NID_id_tc26_signwithdigest_gost3410_2012_256;
	else if (id == NID_id_GostR3410_2012_512)
		want = NID_id_tc26_signwithdigest_gost3410_2012_512;
	else
		return PECHAT_OK;
	if (sig_nid == want)
		return PECHAT_OK;
	found = OBJ_nid2sn(sig_nid) != NULL ? OBJ_nid2sn(sig_nid) : "an unknown algorithm";
	log_reject("csr: GOST %s key self-signed with %s", id == NID_id_GostR3410_2012_256 ? "256" : "512", found);
	return pechat_fail(e, PECHAT_E_INVALID, "csr_digest_key_mismatch", "the CSR's GOST R 34.10-2012 %s-bit key is "
	    "self-signed with %s; its signature must be %s (Streebog-%s)",
	    id == NID_id_GostR3410_2012_256 ? "256" : "512", found, OBJ_nid2sn(want),
	    id == NID_id_GostR3410_2012_256 ? "256" : "512");
}

/* See ca.h. */
void
ca_csr_free(struct ca_csr *csr)
{
	if (csr == NULL)
		return;
	EVP_PKEY_free(csr->key);
	ASN1_item_free((ASN1_VALUE *)csr->spki, ASN1_ITEM_rptr(PECHAT_SPKI_RAW));
	OPENSSL_free(csr->der);
	OPENSSL_free(csr->spki_der);
	free(csr);
}

/*
 * The parts of a checked request (ca.h struct ca_csr) into *out (owned):
 * *key, *spki_der (its SPKI's DER, spki_len bytes) and raw's SPKI move into it.
 */
static enum pechat_err
csr_parts(PECHAT_CSR *raw, EVP_PKEY **key, unsigned char **spki_der, size_t spki_len, struct ca_csr **out,
    struct pechat_error *e)
{
	struct ca_csr *c;
	int n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	c->key = *key;
	*key = NULL;
	c->spki_der = *spki_der;
	*spki_der = NULL;
	c->spki_len = spki_len;
	if ((n = ASN1_item_i2d((ASN1_VALUE *)raw, &c->der, ASN1_ITEM_rptr(PECHAT_CSR))) <= 0) {
		ca_csr_free(c);
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	}
	c->der_len = (size_t)n;
	c->spki = raw->info->spki;
	raw->info->spki = NULL;
	*out = c;
	return PECHAT_OK;
}

/* See ca.h. Proof of possession: RFC 2986 §3 self-signature over CertificationRequestInfo. */
enum pechat_err
ca_csr_read(const unsigned char *data, size_t len, struct ca_csr **out, struct pechat_error *e)
{
	PECHAT_CSR *req = NULL;
	EVP_PKEY *pub = NULL;
	unsigned char *spki = NULL;
	size_t off = 0;
	int n;
	enum pechat_err rc;

	*out = NULL;
	if (len > CSR_MAX_BYTES) {
		log_reject("csr: %zu bytes (max %d)", len, CSR_MAX_BYTES);
		return pechat_fail(e, PECHAT_E_TOO_LARGE, "csr_too_large", "request larger than 64 KiB");
	}
	if (data == NULL || len == 0) {
		log_reject("csr: empty");
		return pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "empty request");
	}
	while (off < len && is_space(data[off]))
		off++;
	if (len - off >= 10 && memcmp(data + off, "-----BEGIN", 10) == 0)
		rc = csr_from_pem(data + off, len - off, &req, e);
	else
		rc = csr_from_der(data, len, &req, e);
	if (rc != PECHAT_OK)
		goto out;
	if (ASN1_INTEGER_get(req->info->version) != X509_REQ_VERSION_1) {
		log_reject("csr: version %ld", ASN1_INTEGER_get(req->info->version));
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "unsupported request version");
		goto out;
	}
	if ((n = ASN1_item_i2d((ASN1_VALUE *)req->info->spki, &spki, ASN1_ITEM_rptr(PECHAT_SPKI_RAW))) <= 0 ||
	    (pub = ca_csr_key(req->info->spki, spki, (size_t)n)) == NULL) {
		pechat_log_openssl_reject("csr: public key does not decode");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_malformed", "public key is malformed or unsupported");
		goto out;
	}
	if ((rc = csr_check_digest(req->sig_alg, e)) != PECHAT_OK ||
	    (rc = csr_check_gost_digest(req->sig_alg, pub, e)) != PECHAT_OK)
		goto out;
	if (ASN1_item_verify(ASN1_ITEM_rptr(PECHAT_CSR_INFO), req->sig_alg, req->signature, req->info, pub) != 1) {
		pechat_log_openssl_reject("csr: self-signature does not verify");
		rc = pechat_fail(e, PECHAT_E_INVALID, "csr_signature_invalid",
		    "the request's signature does not verify");
		goto out;
	}
	if ((rc = csr_check_extensions(req->info->attributes, e)) != PECHAT_OK)
		goto out;
	rc = csr_parts(req, &pub, &spki, (size_t)n, out, e);
out:
	OPENSSL_free(spki);
	EVP_PKEY_free(pub);
	raw_free(req);
	ERR_clear_error();
	return rc;
}

/* See ca.h. */
enum pechat_err
ca_csr_parse(const unsigned char *data, size_t len, X509_REQ **out, struct pechat_error *e)
{
	struct ca_csr *csr = NULL;
	const unsigned char *p;
	enum pechat_err rc;

	*out = NULL;
	if ((rc = ca_csr_read(data, len, &csr, e)) != PECHAT_OK)
		return rc;
	p = csr->der;
	if ((*out = d2i_X509_REQ(NULL, &p, (long)csr->der_len)) == NULL) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "csr: checked request does not decode again");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	ca_csr_free(csr);
	ERR_clear_error();
	return rc;
}
