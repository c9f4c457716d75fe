/*
 * ceremony/import.c — `pechat ceremony import` on the online machine: the
 * issuing CA certificate signed by the offline root is checked against the
 * root, the CA rules and the key it will sign with, then stored with the
 * root (whose key stays offline: key_ref "offline:<root>") in one
 * transaction (with --succeeds, the succession too). Rule: an issuing CA signs end-entity certificates only, so
 * its pathLenConstraint must be 0 (docs/OPERATIONS.md "Key ceremony").
 */
#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca_make.h"
#include "db/db.h"

/* See cer_int.h. */
void
cer_cert_describe(X509 *cert, char *buf, size_t bufsz)
{
	char dn[512], serial[65] = "?";

	ca_name_rfc2253(X509_get_subject_name(cert), dn, sizeof(dn));
	if (ca_cert_serial_hex(cert, serial, sizeof(serial)) != 0)
		pechat_strlcpy(serial, "?", sizeof(serial));
	snprintf(buf, bufsz, "subject %s serial %s", dn, serial);
}

/* Whether data[from..len) is only whitespace. */
static int
only_space(const unsigned char *data, size_t from, size_t len)
{
	for (; from < len; from++)
		if (strchr(" \t\r\n", data[from]) == NULL || data[from] == '\0')
			return 0;
	return 1;
}

/* See cer_int.h. */
enum pechat_err
cer_der_input(const unsigned char *data, size_t len, const char *label, const char *what, const char *code,
    unsigned char **pem_der, const unsigned char **der, size_t *der_len, struct pechat_error *e)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	long dlen = 0;
	size_t start = 0;
	enum pechat_err rc = PECHAT_OK;

	*pem_der = NULL;
	*der = data;
	*der_len = len;
	if (len == 0 || len > CER_INPUT_MAX)
		return pechat_fail(e, PECHAT_E_INVALID, code, "%s: empty or larger than %d bytes", what, CER_INPUT_MAX);
	while (start < len && strchr(" \t\r\n", data[start]) != NULL && data[start] != '\0')
		start++;
	if (start == len || data[start] != '-')
		return PECHAT_OK;
	if ((bio = BIO_new_mem_buf(data + start, (int)(len - start))) == NULL ||
	    PEM_read_bio(bio, &name, &header, pem_der, &dlen) != 1 || strcmp(name, label) != 0 ||
	    header[0] != '\0') {
		rc = pechat_fail(e, PECHAT_E_INVALID, code, "%s: not exactly one PEM %s block", what, label);
		goto out;
	}
	if (!only_space(data, len - (size_t)BIO_pending(bio), len)) {
		rc = pechat_fail(e, PECHAT_E_INVALID, code, "%s: data after the PEM block", what);
		goto out;
	}
	*der = *pem_der;
	*der_len = (size_t)dlen;
out:
	if (rc != PECHAT_OK) {
		OPENSSL_free(*pem_der);
		*pem_der = NULL;
	}
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	return rc;
}

/* See cer_int.h. */
enum pechat_err
cer_cert_parse(const unsigned char *data, size_t len, const char *what, const char *code, X509 **out,
    struct pechat_error *e)
{
	const unsigned char *der, *q;
	unsigned char *pem_der = NULL;
	size_t der_len;
	enum pechat_err rc;

	*out = NULL;
	if ((rc = cer_der_input(data, len, PEM_STRING_X509, what, code, &pem_der, &der, &der_len, e)) != PECHAT_OK)
		return rc;
	q = der;
	if ((*out = d2i_X509(NULL, &q, (long)der_len)) == NULL || q != der + der_len) {
		X509_free(*out);
		*out = NULL;
		ERR_clear_error();
		rc = pechat_fail(e, PECHAT_E_INVALID, code, "%s: not one DER certificate", what);
	}
	OPENSSL_free(pem_der);
	return rc;
}

/* ROOT: self-signed (names and signature) and a CA allowed to sign certificates. */
static enum pechat_err
root_check(X509 *root, const char *desc, struct pechat_error *e)
{
	uint32_t flags = X509_get_extension_flags(root);

	if (X509_check_issued(root, root) != X509_V_OK || X509_verify(root, X509_get0_pubkey(root)) != 1) {
		ERR_clear_error();
		return pechat_fail(e, PECHAT_E_INVALID, "root_cert_invalid", "root certificate %s is not self-signed",
		    desc);
	}
	if (!(flags & EXFLAG_CA) || !(X509_get_key_usage(root) & KU_KEY_CERT_SIGN))
		return pechat_fail(e, PECHAT_E_INVALID, "root_cert_invalid", "root certificate %s is not a CA "
		    "(basicConstraints cA and keyUsage keyCertSign required)", desc);
	return PECHAT_OK;
}

/* The issuing CA: signed by root, CA:TRUE, keyCertSign + cRLSign, pathLenConstraint 0. */
static enum pechat_err
issuing_check(X509 *cert, X509 *root, const char *desc, const char *rdesc, struct pechat_error *e)
{
	uint32_t flags = X509_get_extension_flags(cert);

	if (X509_check_issued(root, cert) != X509_V_OK || X509_verify(cert, X509_get0_pubkey(root)) != 1) {
		ERR_clear_error();
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_not_from_root", "certificate %s is not signed by "
		    "the root %s", desc, rdesc);
	}
	if (!(flags & EXFLAG_CA))
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_invalid", "certificate %s is not a CA (basicConstraints "
		    "cA is false or absent)", desc);
	if ((X509_get_key_usage(cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != (KU_KEY_CERT_SIGN | KU_CRL_SIGN) ||
	    !(flags & EXFLAG_KUSAGE))
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_invalid", "certificate %s lacks keyUsage keyCertSign "
		    "and cRLSign", desc);
	if (X509_get_pathlen(cert) != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_invalid", "certificate %s has pathLenConstraint %ld: "
		    "an issuing CA signs end-entity certificates only (pathLenConstraint 0)", desc, X509_get_pathlen(cert));
	return PECHAT_OK;
}

/* ca_cert_not_valid_now unless notBefore <= now < notAfter. */
static enum pechat_err
validity_check(X509 *cert, time_t now, const char *what, const char *desc, struct pechat_error *e)
{
	time_t nb, na;

	if (ca_asn1_time_to_time(X509_get0_notBefore(cert), &nb) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notAfter(cert), &na) != 0)
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_invalid", "%s %s: validity does not parse", what, desc);
	if (now < nb)
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_not_valid_now", "%s %s is not valid yet", what, desc);
	if (now >= na)
		return pechat_fail(e, PECHAT_E_INVALID, "ca_cert_not_valid_now", "%s %s has expired", what, desc);
	return PECHAT_OK;
}

/* The key at key_ref is the certificate's; issuer_key_mismatch names both otherwise. */
static enum pechat_err
key_check(const char *key_ref, X509 *cert, const char *desc, struct pechat_error *e)
{
	struct hsm_key *key = NULL;
	enum pechat_err rc;

	if ((rc = hsm_key_open(key_ref, &key, e)) != PECHAT_OK)
		return rc;
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), hsm_key_public(key)) != 1) {
		ERR_clear_error();
		rc = pechat_fail(e, PECHAT_E_INVALID, "issuer_key_mismatch", "key %s does not match certificate %s",
		    key_ref, desc);
	}
	hsm_key_free(key);
	return rc;
}

/* One certificate to store: its row, key hash and, with it, an issuers row. */
struct imp_cert {
	struct db_cert row;
	struct db_issuer issuer;
	char spki[65];
	const char *action;
	int store;              /* 0: already in the store (the root) */
};

struct imp_arg {
	const struct cer_env *env;
	struct imp_cert c[2];   /* root, issuing */
	const char *succeeds;   /* NULL, or the issuing CA the imported one succeeds */
};

/* The store rows of cert, issued by `signer`, kept as issuer `name`. 0 or -1. */
static int
imp_fill(struct imp_cert *ic, X509 *cert, const char *signer, const char *name, const char *kind,
    const char *parent, const char *key_ref, const char *profile, time_t now)
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d_X509(cert, &der)) <= 0)
		return -1;
	ic->row.der = der;
	ic->row.der_len = (size_t)len;
	if (pechat_sha256_hex(der, (size_t)len, ic->row.fingerprint) != 0 ||
	    pechat_cert_spki_sha256_hex(der, (size_t)len, ic->spki) != 0 ||
	    ca_cert_serial_hex(cert, ic->row.serial, sizeof(ic->row.serial)) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notBefore(cert), &ic->row.not_before) != 0 ||
	    ca_asn1_time_to_time(X509_get0_notAfter(cert), &ic->row.not_after) != 0)
		return -1;
	pechat_strlcpy(ic->row.issuer, signer, sizeof(ic->row.issuer));
	pechat_strlcpy(ic->row.profile, profile, sizeof(ic->row.profile));
	ca_name_rfc2253(X509_get_subject_name(cert), ic->row.subject_dn, sizeof(ic->row.subject_dn));
	ic->row.created_at = now;
	pechat_strlcpy(ic->issuer.name, name, sizeof(ic->issuer.name));
	pechat_strlcpy(ic->issuer.kind, kind, sizeof(ic->issuer.kind));
	pechat_strlcpy(ic->issuer.parent, parent, sizeof(ic->issuer.parent));
	pechat_strlcpy(ic->issuer.key_ref, key_ref, sizeof(ic->issuer.key_ref));
	ic->issuer.cert_der = der;
	ic->issuer.cert_len = (size_t)len;
	ic->issuer.created_at = now;
	return 0;
}

/* Both certificates (root only if new): serial, row, key hash, issuer row, audit. Re-runnable. */
static enum pechat_err
imp_txn(struct db *db, void *arg, struct pechat_error *e)
{
	const struct imp_arg *a = arg;
	char detail[320];
	enum pechat_err rc;
	int i;

	for (i = 0; i < 2; i++) {
		const struct imp_cert *ic = &a->c[i];

		if (!ic->store)
			continue;
		snprintf(detail, sizeof(detail), "issuer=%s kind=%s parent=%s key_ref=%.120s", ic->issuer.name,
		    ic->issuer.kind, ic->issuer.parent[0] != '\0' ? ic->issuer.parent : "-", ic->issuer.key_ref);
		if ((rc = db_serial_reserve(db, ic->row.issuer, ic->row.serial, a->env->now, e)) != PECHAT_OK) {
			if (rc == PECHAT_E_CONFLICT)
				pechat_fail(e, rc, "serial_taken", "serial %s is already in this store", ic->row.serial);
			return rc;
		}
		if ((rc = db_cert_insert(db, &ic->row, e)) != PECHAT_OK ||
		    (rc = db_cert_key_insert(db, ic->row.serial, ic->spki, e)) != PECHAT_OK ||
		    (rc = db_issuer_insert(db, &ic->issuer, e)) != PECHAT_OK ||
		    (rc = db_audit_append(db, a->env->now, a->env->actor, ic->action, ic->row.serial, detail, e)) !=
		    PECHAT_OK)
			return rc;
	}
	if (a->succeeds != NULL)
		return ca_succession_record(db, a->succeeds, a->c[1].issuer.name, a->env->actor, a->env->now, e);
	return PECHAT_OK;
}

/* Whether the store has root_name: 0 new, 1 the same certificate, else CONFLICT "issuer_exists". */
static enum pechat_err
root_known(struct db *db, const char *root_name, X509 *root, int *known, struct pechat_error *e)
{
	struct db_issuer row;
	unsigned char *der = NULL;
	int len;
	enum pechat_err rc;

	*known = 0;
	memset(&row, 0, sizeof(row));
	rc = db_issuer_get(db, root_name, &row, e);
	if (rc == PECHAT_E_NOT_FOUND) {
		pechat_error_clear(e);
		rc = PECHAT_OK;
		goto out;
	}
	if (rc != PECHAT_OK)
		goto out;
	if ((len = i2d_X509(root, &der)) <= 0 || (size_t)len != row.cert_len || memcmp(der, row.cert_der, row.cert_len)
	    != 0 || strcmp(row.kind, "root") != 0) {
		rc = pechat_fail(e, PECHAT_E_CONFLICT, "issuer_exists", "the store has another issuer %s than this root "
		    "certificate", root_name);
		goto out;
	}
	*known = 1;
out:
	OPENSSL_free(der);
	db_issuer_free_fields(&row);
	return rc;
}

/* Every check of ceremony.h's cer_import, in the order an operator fixes them. */
static enum pechat_err
imp_checks(const struct cer_env *env, const char *key_ref, X509 *cert, X509 *root, struct pechat_error *e)
{
	char desc[700], rdesc[700];
	enum pechat_err rc;

	cer_cert_describe(cert, desc, sizeof(desc));
	cer_cert_describe(root, rdesc, sizeof(rdesc));
	if ((rc = root_check(root, rdesc, e)) != PECHAT_OK ||
	    (rc = validity_check(root, env->now, "root certificate", rdesc, e)) != PECHAT_OK ||
	    (rc = issuing_check(cert, root, desc, rdesc, e)) != PECHAT_OK ||
	    (rc = validity_check(cert, env->now, "certificate", desc, e)) != PECHAT_OK)
		return rc;
	return key_check(key_ref, cert, desc, e);
}

/* See ceremony.h. */
enum pechat_err
cer_import(const struct cer_env *env, const char *name, const char *key_ref, const unsigned char *cert_data,
    size_t cert_len, const unsigned char *root_data, size_t root_len, const char *root_name,
    struct cer_import_result *out, struct pechat_error *e)
{
	return cer_import_successor(env, name, key_ref, cert_data, cert_len, root_data, root_len, root_name, NULL, out,
	    e);
}

/* See ceremony.h. */
enum pechat_err
cer_import_successor(const struct cer_env *env, const char *name, const char *key_ref,
    const unsigned char *cert_data, size_t cert_len, const unsigned char *root_data, size_t root_len,
    const char *root_name, const char *succeeds, struct cer_import_result *out, struct pechat_error *e)
{
	struct imp_arg a;
	X509 *cert = NULL, *root = NULL;
	char offline[80], succ_root[64];
	int known = 0;
	enum pechat_err rc;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	a.env = env;
	a.succeeds = succeeds;
	if (!ca_issuer_name_ok(name, 1) || strlen(root_name) >= 64)
		return pechat_fail(e, PECHAT_E_INVALID, "issuer_name_invalid", "--name is [a-z0-9][a-z0-9-], at most 58 "
		    "bytes (its root is NAME-root), not \"operators\" and not ending in -root, -delta or -chain");
	/* a successor: checked before anything is made; it goes under its predecessor's root */
	if (succeeds != NULL) {
		if ((rc = ca_succession_precheck(env->db, succeeds, name, succ_root, sizeof(succ_root), e)) != PECHAT_OK)
			return rc;
		root_name = succ_root;
	}
	if (hsm_key_ref_offline(key_ref))
		return pechat_fail(e, PECHAT_E_INVALID, "key_offline", "an issuing CA's key cannot be offline");
	if (ca_oids_init() != 0)
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "crypto initialisation failed");
	if ((rc = cer_cert_parse(cert_data, cert_len, "--cert", "ca_cert_invalid", &cert, e)) != PECHAT_OK ||
	    (rc = cer_cert_parse(root_data, root_len, "--root-cert", "root_cert_invalid", &root, e)) != PECHAT_OK ||
	    (rc = cer_name_free(env->db, name, e)) != PECHAT_OK ||
	    (rc = root_known(env->db, root_name, root, &known, e)) != PECHAT_OK ||
	    (rc = imp_checks(env, key_ref, cert, root, e)) != PECHAT_OK)
		goto out;
	snprintf(offline, sizeof(offline), "%s%s", HSM_KEY_REF_OFFLINE, root_name);
	if (imp_fill(&a.c[0], root, root_name, root_name, "root", "", offline, CA_PROFILE_ROOT, env->now) != 0 ||
	    imp_fill(&a.c[1], cert, root_name, name, "issuing", root_name, key_ref, CA_PROFILE_ISSUING, env->now) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ceremony: import encoding");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "certificates cannot be encoded");
		goto out;
	}
	a.c[0].store = !known;
	a.c[0].action = "ceremony.import.root";
	a.c[1].store = 1;
	a.c[1].action = "ceremony.import";
	if ((rc = db_txn_run(env->db, imp_txn, &a, e)) != PECHAT_OK)
		goto out;
	pechat_strlcpy(out->root_name, root_name, sizeof(out->root_name));
	out->root_added = !known;
	pechat_strlcpy(out->serial, a.c[1].row.serial, sizeof(out->serial));
	pechat_strlcpy(out->root_serial, a.c[0].row.serial, sizeof(out->root_serial));
out:
	OPENSSL_free(a.c[0].row.der);
	OPENSSL_free(a.c[1].row.der);
	X509_free(cert);
	X509_free(root);
	return rc;
}
