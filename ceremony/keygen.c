/*
 * ceremony/keygen.c — `pechat ceremony keygen` (a CA key in a file or on a
 * token, audited with its public key fingerprint) and the DN syntax of the
 * ceremony's --subject.
 */
#include "ceremony/ceremony.h"
#include "ceremony/cer_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "db/db.h"
#include "hsm/hsm.h"

#define DN_MAX 1024
#define DN_PARTS_MAX 8     /* CN, O, C, ST, L and up to three OU */

/* See cer_int.h. */
int
cer_pub_fingerprint(EVP_PKEY *pub, char fpr[65])
{
	unsigned char *der = NULL;
	int len, rc;

	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return -1;
	rc = pechat_spki_sha256_hex(der, (size_t)len, fpr);
	OPENSSL_free(der);
	return rc;
}

struct audit_arg {
	const struct cer_env *env;
	const char *action, *object, *detail;
};

static enum pechat_err
audit_txn(struct db *db, void *arg, struct pechat_error *e)
{
	const struct audit_arg *a = arg;

	return db_audit_append(db, a->env->now, a->env->actor, a->action, a->object, a->detail, e);
}

/* See cer_int.h. */
enum pechat_err
cer_audit(const struct cer_env *env, const char *action, const char *object, const char *detail,
    struct pechat_error *e)
{
	struct audit_arg a = { env, action, object, detail };

	return db_txn_run(env->db, audit_txn, &a, e);
}

/* See ceremony.h. */
enum pechat_err
cer_keygen(const struct cer_env *env, const char *key_ref, const char *algorithm, char fpr[65],
    struct pechat_error *e)
{
	EVP_PKEY *pub = NULL;
	char detail[160];
	enum pechat_err rc;

	fpr[0] = '\0';
	if ((rc = hsm_key_create(key_ref, algorithm, &pub, e)) != PECHAT_OK)
		goto out;
	if (cer_pub_fingerprint(pub, fpr) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ceremony: public key encoding");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "the new public key cannot be encoded");
		goto out;
	}
	snprintf(detail, sizeof(detail), "algorithm=%s spki_sha256=%s", algorithm, fpr);
	if ((rc = cer_audit(env, "ceremony.keygen", key_ref, detail, e)) != PECHAT_OK)
		log_err("ceremony: key %s generated but not audited: %s", key_ref, e != NULL ? e->detail : "");
out:
	EVP_PKEY_free(pub);
	return rc;
}

/* The attribute of one DN part: NID and ASN.1 string type (docs/SUBJECTS.md). */
static int
dn_attr(const char *name, int *nid, int *type)
{
	static const struct { const char *name; int nid, type; } attrs[] = {
		{ "CN", NID_commonName, V_ASN1_UTF8STRING },
		{ "O", NID_organizationName, V_ASN1_UTF8STRING },
		{ "OU", NID_organizationalUnitName, V_ASN1_UTF8STRING },
		{ "C", NID_countryName, V_ASN1_PRINTABLESTRING },
		{ "ST", NID_stateOrProvinceName, V_ASN1_UTF8STRING },
		{ "L", NID_localityName, V_ASN1_UTF8STRING },
	};
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcmp(attrs[i].name, name) == 0) {
			*nid = attrs[i].nid;
			*type = attrs[i].type;
			return 0;
		}
	return -1;
}

/*
 * Whether a value may go into a DN part: valid UTF-8 (RFC 3629), no
 * controls, Unicode format characters or escape characters, no space at
 * either end (the rules of ca_subject_check); C is [A-Z]{2}.
 */
static int
dn_value_ok(const char *v, int nid)
{
	size_t i, n, len = strlen(v);
	uint32_t cp;

	if (len == 0 || len > 64)
		return 0;
	if (nid == NID_countryName)
		return len == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z';
	for (i = 0; i < len; i += n) {
		if ((n = pechat_utf8_decode((const unsigned char *)v + i, len - i, &cp)) == 0 ||
		    cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || pechat_unicode_is_format(cp) ||
		    (cp < 0x80 && strchr("\\\"+=<>;#", (int)cp) != NULL))
			return 0;
	}
	return v[0] != ' ' && v[len - 1] != ' ';
}

/* See ceremony.h. */
enum pechat_err
cer_dn_parse(const char *dn, X509_NAME **out, struct pechat_error *e)
{
	char buf[DN_MAX + 1], *part, *save = NULL, *eq;
	X509_NAME *name = NULL;
	int nid, type, cn = 0;
	enum pechat_err rc;

	*out = NULL;
	if (dn == NULL || pechat_strlcpy(buf, dn, sizeof(buf)) >= sizeof(buf))
		return pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "the subject is longer than %d bytes", DN_MAX);
	if ((name = X509_NAME_new()) == NULL)
		return pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
	for (part = strtok_r(buf, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		while (*part == ' ')
			part++;
		if ((eq = strchr(part, '=')) == NULL) {
			rc = pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "subject part \"%.64s\" is not NAME=value",
			    part);
			goto fail;
		}
		*eq = '\0';
		if (dn_attr(part, &nid, &type) != 0) {
			rc = pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "subject attribute \"%.16s\" is not one of "
			    "CN, O, OU, C, ST, L", part);
			goto fail;
		}
		if (!dn_value_ok(eq + 1, nid)) {
			rc = pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "subject %s=\"%.64s\": empty, too long, "
			    "not UTF-8, or holds a control, format or escape character (C is two capital letters)", part, eq + 1);
			goto fail;
		}
		if (X509_NAME_entry_count(name) >= DN_PARTS_MAX ||
		    (nid != NID_organizationalUnitName && X509_NAME_get_index_by_NID(name, nid, -1) >= 0)) {
			rc = pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "subject %s= given twice or past %d parts "
			    "(only OU may repeat)", part, DN_PARTS_MAX);
			goto fail;
		}
		cn += nid == NID_commonName;
		if (X509_NAME_add_entry_by_NID(name, nid, type, (unsigned char *)eq + 1, -1, -1, 0) != 1) {
			pechat_log_openssl(PECHAT_LOG_ERROR, "ceremony: DN");
			rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
			goto fail;
		}
	}
	if (cn != 1) {
		rc = pechat_fail(e, PECHAT_E_INVALID, "subject_invalid", "the subject needs exactly one CN=");
		goto fail;
	}
	*out = name;
	return PECHAT_OK;
fail:
	X509_NAME_free(name);
	return rc;
}
