/*
 * ca/lint_qualified.c — the linter's qualified certificate checks (FSB
 * Order 795 as amended by Order 31; RFC 9215; docs/PROFILES.md and
 * docs/LINT.md): subject attributes by owner kind with their exact string
 * types and lengths, identifier check digits (common/ids.c), and the
 * Russian extensions' presence, criticality and encodings. Each check
 * returns 1 with a message when its rule is broken.
 */
#include "ca_int.h"
#include "lint_int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/ids.h"

#define OID_SUBJECT_SIGN_TOOL "1.2.643.100.111"
#define OID_ISSUER_SIGN_TOOL "1.2.643.100.112"
#define OID_IDENTIFICATION_KIND "1.2.643.100.114"

/* ------------------------------------------------------------- helpers */

/* The value of the only (first) attribute nid of the subject, or NULL. */
static const ASN1_STRING *
attr(X509 *cert, int nid)
{
	const X509_NAME *n = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);

	return i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;
}

/* The value as a NUL-terminated string into buf ("" if it does not fit or has a NUL). */
static const char *
attr_text(const ASN1_STRING *s, char *buf, size_t bufsz)
{
	int len = ASN1_STRING_length(s);

	buf[0] = '\0';
	if (len > 0 && (size_t)len < bufsz && memchr(ASN1_STRING_get0_data(s), 0, (size_t)len) == NULL) {
		memcpy(buf, ASN1_STRING_get0_data(s), (size_t)len);
		buf[len] = '\0';
	}
	return buf;
}

/* Identifier attribute: NumericString of exactly `digits` ASCII digits. 1 + message if not. */
static int
numeric_bad(X509 *cert, int nid, const char *name, int digits, char *msg, size_t msgsz)
{
	const ASN1_STRING *s = attr(cert, nid);
	char buf[32];

	if (s == NULL)
		return 0;
	attr_text(s, buf, sizeof(buf));
	if (ASN1_STRING_type(s) != V_ASN1_NUMERICSTRING)
		return ca_lint_msg(msg, msgsz, "%s is not a NumericString", name);
	if ((int)strlen(buf) != digits || (int)strspn(buf, "0123456789") != digits)
		return ca_lint_msg(msg, msgsz, "%s is not %d digits", name, digits);
	return 0;
}

/* Identifier attribute of the right form whose check digits fail `ok`. */
static int
check_bad(X509 *cert, int nid, const char *name, int digits, int (*ok)(const char *), char *msg, size_t msgsz)
{
	const ASN1_STRING *s = attr(cert, nid);
	char buf[32];

	if (s == NULL)
		return 0;
	attr_text(s, buf, sizeof(buf));
	if ((int)strlen(buf) != digits || (int)strspn(buf, "0123456789") != digits)
		return 0;       /* the _numeric rule says so */
	return !ok(buf) && ca_lint_msg(msg, msgsz, "%s %s has a wrong check digit", name, buf);
}

/* The extension with dotted oid, or NULL. */
static X509_EXTENSION *
ext_by_oid(X509 *cert, const char *dotted)
{
	ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
	int i = o != NULL ? X509_get_ext_by_OBJ(cert, o, -1) : -1;

	ASN1_OBJECT_free(o);
	return i >= 0 ? X509_get_ext(cert, i) : NULL;
}

/* 1 if s is a UTF8String of min..max characters. */
static int
utf8_ok(const ASN1_TYPE *t, int max)
{
	long n;

	if (t == NULL || t->type != V_ASN1_UTF8STRING)
		return 0;
	/* RFC 3629, the rules the subject's values are checked with (no surrogates, shortest form) */
	n = pechat_utf8_chars(ASN1_STRING_get0_data(t->value.utf8string),
	    (size_t)ASN1_STRING_length(t->value.utf8string));
	return n >= 1 && n <= max;
}

static int
is_ca(X509 *cert)
{
	return (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
}

/*
 * The owner kind: the profile's registry kind, else what the subject shows
 * (INNLE or OGRN: legal entity; OGRNIP: sole proprietor; else individual).
 */
static const char *
owner_kind(const struct ca_lint_in *in)
{
	const struct pechat_profile_conf *p = in->ctx->profile;

	if (p != NULL && p->subject_kind[0] != '\0')
		return p->subject_kind;
	if (attr(in->cert, ca_nid_innle()) != NULL || attr(in->cert, NID_OGRN) != NULL)
		return "legal_entity";
	if (attr(in->cert, NID_OGRNIP) != NULL)
		return "sole_proprietor";
	return "individual";
}

/* The first of nids[n] missing from the subject, or NID_undef. */
static int
first_missing(X509 *cert, const int *nids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (attr(cert, nids[i]) == NULL)
			return nids[i];
	return NID_undef;
}

static int
missing_msg(int nid, const char *kind, char *msg, size_t msgsz)
{
	return nid != NID_undef && ca_lint_msg(msg, msgsz, "the subject of a %s has no %s", kind, OBJ_nid2sn(nid));
}

/* ----------------------------------------------------- subject strings */

LINT_CHECK(lint_qual_country)
{
	const X509_NAME *n = X509_get_subject_name(in->cert);
	const ASN1_STRING *s = attr(in->cert, NID_countryName);
	char buf[8];

	if (s == NULL)
		return ca_lint_msg(msg, msgsz, "C is missing");
	if (X509_NAME_get_index_by_NID(n, NID_countryName, X509_NAME_get_index_by_NID(n, NID_countryName, -1)) >= 0)
		return ca_lint_msg(msg, msgsz, "C appears twice");
	return (ASN1_STRING_type(s) != V_ASN1_PRINTABLESTRING || strcmp(attr_text(s, buf, sizeof(buf)), "RU") != 0) &&
	    ca_lint_msg(msg, msgsz, "C is not PrintableString \"RU\"");
}

LINT_CHECK(lint_qual_text_utf8)
{
	static const int nids[] = { NID_commonName, NID_surname, NID_givenName, NID_organizationName,
		NID_organizationalUnitName, NID_title, NID_stateOrProvinceName, NID_localityName,
		NID_streetAddress };
	const X509_NAME *n = X509_get_subject_name(in->cert);
	int i;

	for (i = 0; i < X509_NAME_entry_count(n); i++) {
		const X509_NAME_ENTRY *en = X509_NAME_get_entry(n, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(en));
		size_t k;

		for (k = 0; k < sizeof(nids) / sizeof(nids[0]); k++)
			if (nid == nids[k] && ASN1_STRING_type(X509_NAME_ENTRY_get_data(en)) != V_ASN1_UTF8STRING)
				return ca_lint_msg(msg, msgsz, "%s is not a UTF8String", OBJ_nid2sn(nid));
	}
	return 0;
}

LINT_CHECK(lint_qual_email_ia5)
{
	const ASN1_STRING *s = attr(in->cert, NID_pkcs9_emailAddress);

	return s != NULL && ASN1_STRING_type(s) != V_ASN1_IA5STRING &&
	    ca_lint_msg(msg, msgsz, "emailAddress is not an IA5String");
}

LINT_CHECK(lint_qual_ogrn_numeric)
{
	return numeric_bad(in->cert, NID_OGRN, "OGRN", 13, msg, msgsz);
}

LINT_CHECK(lint_qual_snils_numeric)
{
	return numeric_bad(in->cert, NID_SNILS, "SNILS", 11, msg, msgsz);
}

LINT_CHECK(lint_qual_innle_numeric)
{
	return numeric_bad(in->cert, ca_nid_innle(), "INNLE", 10, msg, msgsz);
}

LINT_CHECK(lint_qual_ogrnip_numeric)
{
	return numeric_bad(in->cert, NID_OGRNIP, "OGRNIP", 15, msg, msgsz);
}

LINT_CHECK(lint_qual_inn_numeric)
{
	return numeric_bad(in->cert, NID_INN, "INN", 12, msg, msgsz);
}

LINT_CHECK(lint_qual_ogrn_check)
{
	return check_bad(in->cert, NID_OGRN, "OGRN", 13, pechat_ogrn_check, msg, msgsz);
}

LINT_CHECK(lint_qual_snils_check)
{
	return check_bad(in->cert, NID_SNILS, "SNILS", 11, pechat_snils_check, msg, msgsz);
}

LINT_CHECK(lint_qual_innle_check)
{
	return check_bad(in->cert, ca_nid_innle(), "INNLE", 10, pechat_inn10_check, msg, msgsz);
}

LINT_CHECK(lint_qual_ogrnip_check)
{
	return check_bad(in->cert, NID_OGRNIP, "OGRNIP", 15, pechat_ogrnip_check, msg, msgsz);
}

LINT_CHECK(lint_qual_inn_check)
{
	const ASN1_STRING *s = attr(in->cert, NID_INN);
	char buf[32];

	/* the legacy "00" + INNLE form: read in others' certificates, never issued here (a profile) */
	if (s != NULL && in->ctx->profile == NULL && strlen(attr_text(s, buf, sizeof(buf))) == 12 &&
	    strncmp(buf, "00", 2) == 0 && pechat_inn10_check(buf + 2))
		return 0;
	return check_bad(in->cert, NID_INN, "INN", 12, pechat_inn12_check, msg, msgsz);
}

/* ------------------------------------------------------ owner subjects */

LINT_CHECK(lint_qual_subject_individual)
{
	static const int nids[] = { NID_commonName, NID_surname, NID_givenName, NID_SNILS, NID_INN, NID_countryName };

	if (is_ca(in->cert) || strcmp(owner_kind(in), "individual") != 0)
		return 0;
	return missing_msg(first_missing(in->cert, nids, sizeof(nids) / sizeof(nids[0])), "individual", msg, msgsz);
}

LINT_CHECK(lint_qual_subject_sole_proprietor)
{
	static const int nids[] = { NID_commonName, NID_surname, NID_givenName, NID_SNILS, NID_INN, NID_countryName,
		NID_OGRNIP };

	if (is_ca(in->cert) || strcmp(owner_kind(in), "sole_proprietor") != 0)
		return 0;
	return missing_msg(first_missing(in->cert, nids, sizeof(nids) / sizeof(nids[0])), "sole proprietor", msg,
	    msgsz);
}

LINT_CHECK(lint_qual_subject_legal_entity)
{
	int nids[] = { NID_commonName, NID_organizationName, NID_undef, NID_OGRN, NID_countryName,
		NID_stateOrProvinceName, NID_localityName, NID_streetAddress, NID_surname, NID_givenName, NID_SNILS };

	if (is_ca(in->cert) || strcmp(owner_kind(in), "legal_entity") != 0)
		return 0;
	nids[2] = ca_nid_innle();
	return missing_msg(first_missing(in->cert, nids, sizeof(nids) / sizeof(nids[0])), "legal entity", msg, msgsz);
}

/* ---------------------------------------------------------- extensions */

/* Missing or critical: 1 + message; *ext the extension. */
static int
ext_bad(X509 *cert, const char *oid, const char *name, X509_EXTENSION **ext, char *msg, size_t msgsz)
{
	if ((*ext = ext_by_oid(cert, oid)) == NULL)
		return ca_lint_msg(msg, msgsz, "%s is missing", name);
	if (X509_EXTENSION_get_critical(*ext))
		return ca_lint_msg(msg, msgsz, "%s is critical", name);
	return 0;
}

/* The extension's value as one ASN.1 TYPE (owned), no trailing bytes; NULL if it does not decode. */
static ASN1_TYPE *
ext_value(X509_EXTENSION *ext)
{
	const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(ext);
	const unsigned char *p = ASN1_STRING_get0_data(os);
	ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, ASN1_STRING_length(os));

	if (t != NULL && p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
		ASN1_TYPE_free(t);
		t = NULL;
	}
	return t;
}

LINT_CHECK(lint_qual_subject_sign_tool)
{
	X509_EXTENSION *ext;
	ASN1_TYPE *t;
	int bad;

	if (ext_bad(in->cert, OID_SUBJECT_SIGN_TOOL, "subjectSignTool", &ext, msg, msgsz))
		return 1;
	t = ext_value(ext);
	bad = !utf8_ok(t, PECHAT_SIGN_TOOL_CHARS);
	ASN1_TYPE_free(t);
	return bad && ca_lint_msg(msg, msgsz, "subjectSignTool is not a UTF8String of 1..%d characters",
	    PECHAT_SIGN_TOOL_CHARS);
}

LINT_CHECK(lint_qual_issuer_sign_tool)
{
	static const int max[4] = { PECHAT_SIGN_TOOL_CHARS, PECHAT_SIGN_TOOL_CHARS, PECHAT_SIGN_TOOL_CERT_CHARS,
		PECHAT_SIGN_TOOL_CERT_CHARS };
	X509_EXTENSION *ext;
	ASN1_SEQUENCE_ANY *seq = NULL;
	const ASN1_OCTET_STRING *os;
	const unsigned char *p;
	int i, bad = 0;

	if (ext_bad(in->cert, OID_ISSUER_SIGN_TOOL, "issuerSignTool", &ext, msg, msgsz))
		return 1;
	os = X509_EXTENSION_get_data(ext);
	p = ASN1_STRING_get0_data(os);
	if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(os))) == NULL ||
	    p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os) || sk_ASN1_TYPE_num(seq) != 4)
		bad = ca_lint_msg(msg, msgsz, "issuerSignTool is not a SEQUENCE of 4 UTF8String");
	for (i = 0; !bad && i < 4; i++)
		if (!utf8_ok(sk_ASN1_TYPE_value(seq, i), max[i]))
			bad = ca_lint_msg(msg, msgsz, "issuerSignTool item %d is not a UTF8String of 1..%d characters",
			    i + 1, max[i]);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return bad;
}

LINT_CHECK(lint_qual_identification_kind)
{
	X509_EXTENSION *ext;
	ASN1_TYPE *t;
	int64_t v = -1;

	if (is_ca(in->cert))
		return 0;
	if (ext_bad(in->cert, OID_IDENTIFICATION_KIND, "identificationKind", &ext, msg, msgsz))
		return 1;
	t = ext_value(ext);
	if (t != NULL && t->type == V_ASN1_INTEGER && ASN1_INTEGER_get_int64(&v, t->value.integer) != 1)
		v = -1;
	ASN1_TYPE_free(t);
	return (v < 0 || v > 3) && ca_lint_msg(msg, msgsz, "identificationKind is not an INTEGER 0..3");
}

LINT_CHECK(lint_qual_policies)
{
	CERTIFICATEPOLICIES *cp;
	char oid[80];
	int i, crit = 0, found = 0;

	if ((cp = X509_get_ext_d2i(in->cert, NID_certificate_policies, &crit, NULL)) == NULL)
		return ca_lint_msg(msg, msgsz, "certificatePolicies is missing");
	for (i = 0; i < sk_POLICYINFO_num(cp) && !found; i++)
		found = OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, i)->policyid, 1) > 0 &&
		    strncmp(oid, "1.2.643.100.113.", 16) == 0 && oid[16] >= '1' && oid[16] <= '6' && oid[17] == '\0';
	CERTIFICATEPOLICIES_free(cp);
	if (crit)
		return ca_lint_msg(msg, msgsz, "certificatePolicies is critical");
	return !found && ca_lint_msg(msg, msgsz, "certificatePolicies names no tool class 1.2.643.100.113.1..6");
}

LINT_CHECK(lint_qual_key_usage)
{
	int i = X509_get_ext_by_NID(in->cert, NID_key_usage, -1);
	uint32_t ku = X509_get_key_usage(in->cert);
	uint32_t need = is_ca(in->cert) ? (KU_KEY_CERT_SIGN | KU_CRL_SIGN) : (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);

	if (i < 0 || !X509_EXTENSION_get_critical(X509_get_ext(in->cert, i)))
		return ca_lint_msg(msg, msgsz, "keyUsage is missing or not critical");
	return (ku & need) != need && ca_lint_msg(msg, msgsz, "keyUsage lacks %s",
	    is_ca(in->cert) ? "keyCertSign and cRLSign" : "digitalSignature and nonRepudiation");
}

LINT_CHECK(lint_qual_gost)
{
	const X509_ALGOR *outer = NULL;
	const ASN1_OBJECT *o = NULL;
	int bits;

	X509_get0_signature(NULL, &outer, in->cert);
	if (outer != NULL)
		X509_ALGOR_get0(&o, NULL, NULL, outer);
	if (ca_lint_gost_key_bits(ca_lint_cert_key(in)) == 0)
		return ca_lint_msg(msg, msgsz, "the subject key is not GOST R 34.10-2012");
	return (o == NULL || !ca_lint_gost_sig_nid(OBJ_obj2nid(o), &bits)) &&
	    ca_lint_msg(msg, msgsz, "the signature is not GOST R 34.10-2012");
}
