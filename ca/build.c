/*
 * ca/build.c — the certificate builder shared by ca_issue() and
 * `pechat init` (ceremony/init.c): steps 2..7 of ARCHITECTURE.md (step 1, choosing issuer,
 * profile and validity, is the caller's). docs/ISSUANCE.md walks through it.
 */
#include "ca_int.h"
#include "lint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define SERIAL_ATTEMPTS 4

/* ------------------------------------------------------ extension helpers */

/* One extension, DER-encoded from `value` (borrowed; X509_add1_ext_i2d copies). */
static int
add_ext(X509 *cert, int nid, void *value, int critical)
{
	if (X509_add1_ext_i2d(cert, nid, value, critical, X509V3_ADD_DEFAULT) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: build: add extension");
		log_err("ca: build: cannot add extension %s", OBJ_nid2sn(nid));
		return -1;
	}
	return 0;
}

/* A GENERAL_NAME of IA5 `type` (GEN_URI, GEN_DNS, GEN_EMAIL); owned, NULL on failure. */
static GENERAL_NAME *
ia5_name(int type, const char *s)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;

	if ((gn = GENERAL_NAME_new()) == NULL || (ia5 = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(ia5, s, (int)strlen(s)) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(ia5);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, type, ia5);
	return gn;
}

/* Pushes gn onto names, taking ownership of gn either way. 0 or -1. */
static int
push_name(GENERAL_NAMES *names, GENERAL_NAME *gn)
{
	if (gn == NULL)
		return -1;
	if (sk_GENERAL_NAME_push(names, gn) <= 0) {
		GENERAL_NAME_free(gn);
		return -1;
	}
	return 0;
}

/* basicConstraints, critical (RFC 5280 §4.2.1.9). */
static int
ext_basic_constraints(X509 *cert, const struct ca_build *b)
{
	BASIC_CONSTRAINTS *bc = NULL;
	int rc = -1;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		goto out;
	bc->ca = b->is_ca ? 0xff : 0;
	if (b->is_ca && b->pathlen >= 0) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    ASN1_INTEGER_set(bc->pathlen, b->pathlen) != 1)
			goto out;
	}
	rc = add_ext(cert, NID_basic_constraints, bc, 1);
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* keyUsage, critical (§4.2.1.3): pechat_key_usage bit 0x80>>n is named bit n. */
static int
ext_key_usage(X509 *cert, unsigned usage)
{
	ASN1_BIT_STRING *ku = NULL;
	int n, rc = -1;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		goto out;
	for (n = 0; n < 8; n++)
		if ((usage & (0x80u >> n)) && ASN1_BIT_STRING_set_bit(ku, n, 1) != 1)
			goto out;
	rc = add_ext(cert, NID_key_usage, ku, 1);
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

/* Stack of OBJECT IDENTIFIERs from names/dotted OIDs; NULL if one is unknown. */
static STACK_OF(ASN1_OBJECT) *
oid_list(const char (*names)[64], int n, int dotted_only)
{
	STACK_OF(ASN1_OBJECT) *sk;
	int i;

	if ((sk = sk_ASN1_OBJECT_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(names[i], dotted_only);

		if (obj == NULL || sk_ASN1_OBJECT_push(sk, obj) <= 0) {
			log_err("ca: build: unknown OID or name \"%s\"", names[i]);
			ASN1_OBJECT_free(obj);
			sk_ASN1_OBJECT_pop_free(sk, ASN1_OBJECT_free);
			return NULL;
		}
	}
	return sk;
}

/* extKeyUsage (§4.2.1.12), not critical. */
static int
ext_eku(X509 *cert, const struct ca_build *b)
{
	EXTENDED_KEY_USAGE *eku;
	int rc;

	if (b->n_eku == 0)
		return 0;
	if ((eku = oid_list(b->eku, b->n_eku, 0)) == NULL)
		return -1;
	rc = add_ext(cert, NID_ext_key_usage, eku, 0);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

/* certificatePolicies (§4.2.1.4), policy OIDs without qualifiers, not critical. */
static int
ext_policies(X509 *cert, const struct ca_build *b)
{
	CERTIFICATEPOLICIES *cp = NULL;
	POLICYINFO *pi = NULL;
	int i, rc = -1;

	if (b->n_policies == 0)
		return 0;
	if ((cp = sk_POLICYINFO_new_null()) == NULL)
		goto out;
	for (i = 0; i < b->n_policies; i++) {
		if ((pi = POLICYINFO_new()) == NULL)
			goto out;
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_txt2obj(b->policies[i], 1)) == NULL) {
			log_err("ca: build: policy \"%s\" is not a dotted OID", b->policies[i]);
			goto out;
		}
		if (sk_POLICYINFO_push(cp, pi) <= 0)
			goto out;
		pi = NULL;
	}
	rc = add_ext(cert, NID_certificate_policies, cp, 0);
out:
	POLICYINFO_free(pi);
	sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
	return rc;
}

/* subjectKeyIdentifier (§4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING). */
static int
ext_ski(X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *ski = NULL;
	int rc = -1;

	if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1 ||
	    (ski = ASN1_OCTET_STRING_new()) == NULL || ASN1_OCTET_STRING_set(ski, md, (int)len) != 1)
		goto out;
	rc = add_ext(cert, NID_subject_key_identifier, ski, 0);
out:
	ASN1_OCTET_STRING_free(ski);
	return rc;
}

/* authorityKeyIdentifier (§4.2.1.1): keyIdentifier = the issuer's SKI. */
static int
ext_aki(X509 *cert, X509 *issuer)
{
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuer);
	AUTHORITY_KEYID *akid = NULL;
	int rc = -1;

	if (iski == NULL) {
		log_err("ca: build: issuer certificate has no subjectKeyIdentifier");
		return -1;
	}
	if ((akid = AUTHORITY_KEYID_new()) == NULL || (akid->keyid = ASN1_OCTET_STRING_dup(iski)) == NULL)
		goto out;
	rc = add_ext(cert, NID_authority_key_identifier, akid, 0);
out:
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* subjectAltName (§4.2.1.6): rfc822Name, dNSName, iPAddress; not critical (subject non-empty). */
static int
ext_san(X509 *cert, const struct ca_build *b)
{
	GENERAL_NAMES *names = NULL;
	GENERAL_NAME *gn;
	ASN1_OCTET_STRING *ip;
	int i, rc = -1;

	if (b->san_email == NULL && b->n_san_dns == 0 && b->n_san_ip == 0)
		return 0;
	if ((names = GENERAL_NAMES_new()) == NULL)
		goto out;
	if (b->san_email != NULL && push_name(names, ia5_name(GEN_EMAIL, b->san_email)) != 0)
		goto out;
	for (i = 0; i < b->n_san_dns; i++)
		if (push_name(names, ia5_name(GEN_DNS, b->san_dns[i])) != 0)
			goto out;
	for (i = 0; i < b->n_san_ip; i++) {
		if ((ip = a2i_IPADDRESS(b->san_ip[i])) == NULL) {
			log_err("ca: build: \"%s\" is not an IP address", b->san_ip[i]);
			goto out;
		}
		if ((gn = GENERAL_NAME_new()) == NULL) {
			ASN1_OCTET_STRING_free(ip);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		if (push_name(names, gn) != 0)
			goto out;
	}
	rc = add_ext(cert, NID_subject_alt_name, names, 0);
out:
	GENERAL_NAMES_free(names);
	return rc;
}

/*
 * cRLDistributionPoints (§4.2.1.13) or, with nid NID_freshest_crl,
 * freshestCRL (§4.2.1.15, same syntax, MUST be non-critical): one
 * DistributionPoint with a fullName URI.
 */
static int
ext_cdp(X509 *cert, int nid, const char *url)
{
	CRL_DIST_POINTS *cdp = NULL;
	DIST_POINT *dp = NULL;
	int rc = -1;

	if (url == NULL)
		return 0;
	if ((cdp = sk_DIST_POINT_new_null()) == NULL || (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL)
		goto out;
	dp->distpoint->type = 0;
	if ((dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    push_name(dp->distpoint->name.fullname, ia5_name(GEN_URI, url)) != 0 ||
	    sk_DIST_POINT_push(cdp, dp) <= 0)
		goto out;
	dp = NULL;
	rc = add_ext(cert, nid, cdp, 0);
out:
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(cdp);
	return rc;
}

/* Pushes one AccessDescription (method nid, URI). 0 or -1. */
static int
push_access(AUTHORITY_INFO_ACCESS *aia, int nid, const char *url)
{
	ACCESS_DESCRIPTION *ad;

	if ((ad = ACCESS_DESCRIPTION_new()) == NULL)
		return -1;
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(nid);
	GENERAL_NAME_free(ad->location);
	if ((ad->location = ia5_name(GEN_URI, url)) == NULL ||
	    sk_ACCESS_DESCRIPTION_push(aia, ad) <= 0) {
		ACCESS_DESCRIPTION_free(ad);
		return -1;
	}
	return 0;
}

/* authorityInfoAccess (§4.2.2.1): id-ad-ocsp and id-ad-caIssuers URIs. */
static int
ext_aia(X509 *cert, const struct ca_build *b)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	int rc = -1;

	if (b->ocsp_url == NULL && b->ca_issuers_url == NULL)
		return 0;
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		goto out;
	if (b->ocsp_url != NULL && push_access(aia, NID_ad_OCSP, b->ocsp_url) != 0)
		goto out;
	if (b->ca_issuers_url != NULL && push_access(aia, NID_ad_ca_issuers, b->ca_issuers_url) != 0)
		goto out;
	rc = add_ext(cert, NID_info_access, aia, 0);
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return rc;
}

/* id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): extnValue is an ASN.1 NULL, not critical. */
static int
ext_ocsp_nocheck(X509 *cert)
{
	ASN1_NULL *null = ASN1_NULL_new();
	int rc = -1;

	if (null != NULL)
		rc = add_ext(cert, NID_id_pkix_OCSP_noCheck, null, 0);
	ASN1_NULL_free(null);
	return rc;
}

static int
set_validity(X509 *cert, time_t nb, time_t na)
{
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	int rc = -1;

	/* ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after (RFC 5280 §4.1.2.5) */
	if ((t1 = ASN1_TIME_set(NULL, nb)) != NULL && (t2 = ASN1_TIME_set(NULL, na)) != NULL &&
	    X509_set1_notBefore(cert, t1) == 1 && X509_set1_notAfter(cert, t2) == 1)
		rc = 0;
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	return rc;
}

/*
 * The certified key into cert: b->subject_spki's AlgorithmIdentifier and key
 * bits copied as they are (no key encoded nor decoded: OpenSSL 3.0's
 * X509_set_pubkey runs an encoder and a decoder), else X509_set_pubkey of
 * b->subject_key. 0 or -1.
 */
static int
set_subject_key(X509 *cert, const struct ca_build *b)
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);
	X509_ALGOR *to = NULL;

	if (b->subject_spki == NULL)
		return X509_set_pubkey(cert, b->subject_key) == 1 ? 0 : -1;
	if (bits == NULL || X509_PUBKEY_get0_param(NULL, NULL, NULL, &to, X509_get_X509_PUBKEY(cert)) != 1 ||
	    X509_ALGOR_copy(to, b->subject_spki->algor) != 1 ||
	    ASN1_BIT_STRING_set(bits, b->subject_spki->key->data, b->subject_spki->key->length) != 1)
		return -1;
	/* a key's BIT STRING has no unused bits (as X509_PUBKEY_set0_param records it) */
	bits->flags &= ~0x07;
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 0;
}

/*
 * Step 3 (see ca_int.h): a v3 TBSCertificate (RFC 5280 §4.1) — serial,
 * issuer = the issuer certificate's subject (or the subject when
 * self-signed), validity, subject, the given public key, and the
 * extensions of §4.2 that the build asks for. Nothing from a CSR but its
 * public key ever gets here.
 */
enum pechat_err
ca_cert_build(const struct ca_build *b, const ASN1_INTEGER *serial, X509 **out,
    struct pechat_error *e)
{
	X509 *cert = NULL;
	const X509_NAME *iname;
	enum pechat_err rc;

	*out = NULL;
	iname = b->issuer_cert != NULL ? X509_get_subject_name(b->issuer_cert) : b->subject;
	if ((cert = X509_new()) == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, (ASN1_INTEGER *)serial) != 1 ||
	    X509_set_issuer_name(cert, iname) != 1 ||
	    X509_set_subject_name(cert, b->subject) != 1 ||
	    set_validity(cert, b->not_before, b->not_after) != 0 ||
	    set_subject_key(cert, b) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: build: TBS fields");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "certificate cannot be built");
		goto out;
	}
	if (ext_basic_constraints(cert, b) != 0 || ext_key_usage(cert, b->key_usage) != 0 ||
	    ext_eku(cert, b) != 0 || ext_ski(cert) != 0 ||
	    (b->issuer_cert != NULL && ext_aki(cert, b->issuer_cert) != 0) ||
	    ext_san(cert, b) != 0 || ext_policies(cert, b) != 0 ||
	    ext_cdp(cert, NID_crl_distribution_points, b->crl_url) != 0 ||
	    ext_cdp(cert, NID_freshest_crl, b->freshest_crl_url) != 0 || ext_aia(cert, b) != 0 ||
	    (b->ocsp_nocheck && ext_ocsp_nocheck(cert) != 0) ||
	    ca_qualified_extensions(cert, b) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: build: extensions");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "build_failed", "certificate cannot be built");
		goto out;
	}
	*out = cert;
	cert = NULL;
	rc = PECHAT_OK;
out:
	X509_free(cert);
	return rc;
}

/* -------------------------------------------------------------------- lint */

/*
 * Step 4 (see ca_int.h): the TBS certificate signed with a throw-away key
 * of the issuer key's algorithm and parameters (hsm_key_scratch, through
 * hsm_sign_x509 like the real key, so the encoding is the one the CA key
 * would make), then linted (ca/lint.c's rules with the issuer and the
 * profile). Any error rule stops issuance before the CA key is used
 * (INTERNAL "lint_failed" naming the rules); warnings are only logged.
 * cert keeps the throw-away signature: step 5 signs it again.
 */
enum pechat_err
ca_cert_lint(X509 *cert, const struct ca_build *b, EVP_PKEY *signer_pub, struct pechat_error *e)
{
	struct ca_lint_ctx ctx;
	struct ca_lint_report *r = NULL;
	struct hsm_key *scratch = NULL;
	char names[200];
	enum pechat_err rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.issuer = b->issuer_cert;
	ctx.profile = b->profile_conf;
	ctx.subject_key = b->subject_key;
	if ((rc = hsm_key_scratch(signer_pub, &scratch, e)) != PECHAT_OK ||
	    (rc = hsm_sign_x509(scratch, cert, e)) != PECHAT_OK)
		goto out;
	if ((r = malloc(sizeof(*r))) == NULL) {
		rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
		goto out;
	}
	ca_lint_cert(cert, &ctx, r);
	ca_lint_log(r, b->profile != NULL ? b->profile : "certificate");
	if (r->errors > 0) {
		ca_lint_error_names(r, names, sizeof(names));
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "lint_failed", "the certificate breaks lint rules: %s", names);
		goto out;
	}
	rc = PECHAT_OK;
out:
	free(r);
	return rc;
}

/* ---------------------------------------------------------- sign + verify */

/*
 * Steps 5 and 6: a key that is not verify_key's (the issuer certificate's
 * public key) is refused before signing; hsm_sign_x509 signs with the digest
 * that follows the key and verifies the signature with that public key
 * (HSM/engine faults); then the DER that will be stored must parse as one
 * certificate and encode back to the same bytes (ca_cert_der_check: no key
 * decoder, unlike d2i_X509). *cert is not replaced (see ca_int.h).
 */
enum pechat_err
ca_cert_sign(X509 **cert, struct hsm_key *key, EVP_PKEY *verify_key, struct pechat_error *e)
{
	unsigned char *der = NULL;
	int len;
	enum pechat_err rc;

	if (key != NULL && EVP_PKEY_eq(verify_key, hsm_key_public(key)) != 1) {
		ERR_clear_error();
		log_err("ca: sign: %s is not the key of the issuer certificate", hsm_key_ref(key));
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "signature_check_failed", "signature check failed");
		goto out;
	}
	if ((rc = hsm_sign_x509(key, *cert, e)) != PECHAT_OK)
		goto out;
	if ((len = i2d_X509(*cert, &der)) <= 0 || ca_cert_der_check(der, (size_t)len) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: sign: DER check");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "signature_check_failed", "signed certificate does not parse");
		goto out;
	}
	rc = PECHAT_OK;
out:
	OPENSSL_free(der);
	return rc;
}

/*
 * 0 when linted and signed have the same TBSCertificate, byte for byte
 * (signature AlgorithmIdentifier included: the throw-away key is of the CA
 * key's algorithm and parameters); -1 otherwise (logged).
 */
static int
same_tbs(X509 *linted, X509 *signed_cert)
{
	unsigned char *a = NULL, *b = NULL;
	int na, nb, rc = -1;

	if ((na = i2d_re_X509_tbs(linted, &a)) > 0 && (nb = i2d_re_X509_tbs(signed_cert, &b)) == na &&
	    memcmp(a, b, (size_t)na) == 0)
		rc = 0;
	else
		log_err("ca: sign: the certificate signed is not the one linted");
	OPENSSL_free(a);
	OPENSSL_free(b);
	return rc;
}

/* ------------------------------------------------------------ store steps */

struct store_arg {
	const struct db_cert *row;
	const struct ca_store_job *job;
	char detail[256];
	char spki_sha256[65];   /* the key hash the request key checks look up */
	time_t now;
	int serial_taken;       /* out: the serial was reserved before (CONFLICT): draw another */
};

/*
 * Step 7's transaction: the serial reserved (step 2's row, in the same
 * transaction as the certificate it names), then the certificate. Only store
 * calls (and *arg's serial_taken), so db_txn_run may re-run it.
 */
static enum pechat_err
store_txn(struct db *db, void *arg, struct pechat_error *e)
{
	struct store_arg *s = arg;
	const struct db_cert *row = s->row;
	enum pechat_err rc;

	s->serial_taken = 0;
	if ((rc = db_serial_reserve(db, row->issuer, row->serial, s->now, e)) == PECHAT_E_CONFLICT)
		s->serial_taken = 1;
	if (rc != PECHAT_OK)
		return rc;
	if ((rc = db_cert_insert(db, row, e)) != PECHAT_OK ||
	    (rc = db_cert_key_insert(db, row->serial, s->spki_sha256, e)) != PECHAT_OK)
		return rc;
	if (s->job->extra_fn != NULL && (rc = s->job->extra_fn(db, s->job->extra_arg, row, e)) != PECHAT_OK)
		return rc;
	if (s->job->request_id != NULL &&
	    (rc = db_request_set_state(db, s->job->request_id, "issued", row->serial, NULL, NULL,
	    row->created_at, e)) != PECHAT_OK)
		return rc;
	return db_audit_append(db, row->created_at, s->job->actor != NULL ? s->job->actor : "system",
	    s->job->action != NULL ? s->job->action : "certificate.issue", row->serial, s->detail, e);
}

/*
 * The key hash of cert (pechat_spki_sha256_hex of its SubjectPublicKeyInfo),
 * from the parsed object: no second parse of the certificate. 0 or -1.
 */
static int
cert_key_hash(X509 *cert, char out[65])
{
	unsigned char *spki = NULL;
	int n, rc = -1;

	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki)) > 0)
		rc = pechat_spki_sha256_hex(spki, (size_t)n, out);
	OPENSSL_free(spki);
	return rc;
}

/* Step 7: certificate row, its key hash, request state, audit entry in one transaction. */
static enum pechat_err
cert_store(struct db *db, X509 *cert, const struct ca_build *b, const struct ca_store_job *job,
    const char *hex, time_t now, int *serial_taken, struct pechat_error *e)
{
	struct db_cert row;
	struct store_arg s;
	unsigned char *der = NULL;
	int len;
	enum pechat_err rc;

	memset(&row, 0, sizeof(row));
	memset(&s, 0, sizeof(s));       /* serial_taken stays 0 when the transaction never runs (busy store) */
	*serial_taken = 0;
	s.now = now;
	if ((len = i2d_X509(cert, &der)) <= 0 ||
	    pechat_sha256_hex(der, (size_t)len, row.fingerprint) != 0 ||
	    cert_key_hash(cert, s.spki_sha256) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notBefore(cert), &row.not_before) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notAfter(cert), &row.not_after) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: store: encoding");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "certificate cannot be stored");
		goto out;
	}
	pechat_strlcpy(row.serial, hex, sizeof(row.serial));
	pechat_strlcpy(row.issuer, b->issuer_name, sizeof(row.issuer));
	pechat_strlcpy(row.profile, b->profile, sizeof(row.profile));
	pechat_strlcpy(row.request_id, job->request_id != NULL ? job->request_id : "", sizeof(row.request_id));
	pechat_strlcpy(row.email, job->email != NULL ? job->email : "", sizeof(row.email));
	ca_name_rfc2253(X509_get_subject_name(cert), row.subject_dn, sizeof(row.subject_dn));
	row.created_at = now;
	row.der = der;
	row.der_len = (size_t)len;
	s.row = &row;
	s.job = job;
	snprintf(s.detail, sizeof(s.detail), "issuer=%s profile=%s request=%s", b->issuer_name,
	    b->profile, job->request_id != NULL ? job->request_id : "-");
	if ((rc = db_txn_run(db, store_txn, &s, e)) != PECHAT_OK && !(*serial_taken = s.serial_taken))
		log_err("ca: store: certificate %s of %s not stored: %s (%s)", hex, b->issuer_name,
		    pechat_err_name(rc), e != NULL ? e->code : "");
out:
	OPENSSL_free(der);
	return rc;
}

/*
 * Steps 2..7 once, with a fresh random serial; *serial_taken when step 7
 * found that serial already reserved (then nothing was stored).
 */
static enum pechat_err
cert_make_once(struct db *db, const struct ca_build *b, const struct ca_store_job *job, time_t now,
    EVP_PKEY *verify_key, X509 **out, char hex[65], int *serial_taken, struct pechat_error *e)
{
	ASN1_INTEGER *serial = NULL;
	X509 *cert = NULL, *linted = NULL;
	enum pechat_err rc;

	*serial_taken = 0;
	/* (2) a random serial; reserved in step 7's transaction, with the certificate it names */
	if ((rc = ca_serial_new(&serial, hex, e)) != PECHAT_OK)
		goto out;
	/* (3) build the TBS certificate */
	if ((rc = ca_cert_build(b, serial, &linted, e)) != PECHAT_OK)
		goto out;
	/* (4) signed with a throw-away key and linted: an error stops here, the CA key unused */
	if ((rc = ca_cert_lint(linted, b, verify_key, e)) != PECHAT_OK)
		goto out;
	/*
	 * (5) sign through hsm/, (6) verify with the issuer's public key: a
	 * second build of the same TBS, so that nothing the lint cached on its
	 * object (extension flags, a SHA-1 over the throw-away signature) stays
	 * on the certificate handed out; same_tbs proves it is what was linted.
	 */
	if ((rc = ca_cert_build(b, serial, &cert, e)) != PECHAT_OK ||
	    (rc = ca_cert_sign(&cert, b->issuer_key, verify_key, e)) != PECHAT_OK)
		goto out;
	if (same_tbs(linted, cert) != 0) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "signature_check_failed", "signature check failed");
		goto out;
	}
	/* (7) serial reservation + certificate + request state + audit in one transaction */
	if ((rc = cert_store(db, cert, b, job, hex, now, serial_taken, e)) != PECHAT_OK)
		goto out;
	*out = cert;
	cert = NULL;
out:
	X509_free(cert);
	X509_free(linted);
	ASN1_INTEGER_free(serial);
	return rc;
}

/*
 * See ca_int.h: steps 2..7, numbered as in ARCHITECTURE.md. A serial found
 * already reserved at step 7 (80 random bits after the millisecond: practically never) is
 * discarded with the certificate that carried it, and steps 2..7 run again
 * with another, up to SERIAL_ATTEMPTS times.
 */
enum pechat_err
ca_cert_make(struct db *db, const struct ca_build *b, const struct ca_store_job *job,
    time_t now, X509 **out, struct pechat_error *e)
{
	EVP_PKEY *verify_key;
	char hex[65];
	enum pechat_err rc = PECHAT_E_CONFLICT;
	int i, taken = 1;

	*out = NULL;
	verify_key = b->issuer_cert != NULL ? X509_get0_pubkey(b->issuer_cert) : b->subject_key;
	for (i = 0; i < SERIAL_ATTEMPTS && taken; i++) {
		rc = cert_make_once(db, b, job, now, verify_key, out, hex, &taken, e);
		if (taken)
			log_warn("ca: serial %s of %s already reserved; drawing another", hex, b->issuer_name);
	}
	if (taken) {
		log_err("ca: %d serial collisions in a row: the RNG is broken", SERIAL_ATTEMPTS);
		return pechat_fail(e, PECHAT_E_INTERNAL, "serial_exhausted", "no free serial");
	}
	if (rc == PECHAT_OK)
		log_info("ca: issued %s by %s (profile %s)", hex, b->issuer_name, b->profile);
	return rc;
}
