/*
 * ca/subject.c — request subject data: format checks, the DN we build from
 * it (docs/SUBJECTS.md's attribute table), and the way back from a certificate.
 */
#include "ca_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

enum charset {
	CS_TEXT,        /* valid UTF-8, no control or format characters (Cc, Cf, Zl, Zp) */
	CS_COUNTRY,     /* ISO 3166 alpha-2, upper case */
	CS_EMAIL,       /* IA5 addr-spec with exactly one '@' */
	CS_DIGITS,      /* NumericString digits only, exact length */
	CS_KPP,         /* 4 digits, 2 of [0-9A-Z], 3 digits */
};

#define NID_DYN_INNLE (-1)     /* registered at run time */
#define NID_NONE 0             /* no DN attribute (KPP; patronymic goes into GN) */

struct field_rule {
	enum pechat_subject_field f;
	int nid;
	int asn1_type;
	enum charset cs;
	int len;                /* CS_DIGITS/CS_KPP/CS_COUNTRY: exact length; else max characters (0: none) */
};

/*
 * In DN order. Upper bounds are RFC 5280 Appendix A's (ub-common-name 64,
 * ub-organization-name 64, ub-organizational-unit-name 64, ub-title 64,
 * ub-locality-name / ub-state-name 128, ub-emailaddress-length 255).
 */
static const struct field_rule rules[] = {
	{ PSF_COUNTRY, NID_countryName, V_ASN1_PRINTABLESTRING, CS_COUNTRY, 2 },
	{ PSF_REGION, NID_stateOrProvinceName, V_ASN1_UTF8STRING, CS_TEXT, 128 },
	{ PSF_LOCALITY, NID_localityName, V_ASN1_UTF8STRING, CS_TEXT, 128 },
	{ PSF_STREET, NID_streetAddress, V_ASN1_UTF8STRING, CS_TEXT, 128 },
	{ PSF_ORGANIZATION, NID_organizationName, V_ASN1_UTF8STRING, CS_TEXT, 64 },
	{ PSF_ORGANIZATIONAL_UNIT, NID_organizationalUnitName, V_ASN1_UTF8STRING, CS_TEXT, 64 },
	{ PSF_TITLE, NID_title, V_ASN1_UTF8STRING, CS_TEXT, 64 },
	{ PSF_SURNAME, NID_surname, V_ASN1_UTF8STRING, CS_TEXT, 0 },
	{ PSF_GIVEN_NAME, NID_givenName, V_ASN1_UTF8STRING, CS_TEXT, 0 },
	{ PSF_PATRONYMIC, NID_NONE, V_ASN1_UTF8STRING, CS_TEXT, 0 },
	{ PSF_COMMON_NAME, NID_commonName, V_ASN1_UTF8STRING, CS_TEXT, 64 },
	{ PSF_EMAIL, NID_pkcs9_emailAddress, V_ASN1_IA5STRING, CS_EMAIL, 255 },
	{ PSF_INN, NID_INN, V_ASN1_NUMERICSTRING, CS_DIGITS, 12 },
	{ PSF_SNILS, NID_SNILS, V_ASN1_NUMERICSTRING, CS_DIGITS, 11 },
	{ PSF_INNLE, NID_DYN_INNLE, V_ASN1_NUMERICSTRING, CS_DIGITS, 10 },
	{ PSF_OGRN, NID_OGRN, V_ASN1_NUMERICSTRING, CS_DIGITS, 13 },
	{ PSF_OGRNIP, NID_OGRNIP, V_ASN1_NUMERICSTRING, CS_DIGITS, 15 },
	{ PSF_KPP, NID_NONE, 0, CS_KPP, 9 },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static int
rule_nid(const struct field_rule *r)
{
	return r->nid == NID_DYN_INNLE ? ca_nid_innle() : r->nid;
}

/*
 * The first code point of valid UTF-8 s that no name may carry, or 0:
 * controls (C0, DEL, C1), format characters (Cf: bidi overrides such as
 * U+202E, zero widths, tags) and U+2028/U+2029 (common/text.c's table).
 * They hide or reorder what a relying party reads.
 */
static uint32_t
hidden_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), k;
	uint32_t cp;

	while (len > 0 && (k = pechat_utf8_decode(p, len, &cp)) > 0) {
		if (pechat_unicode_is_hidden(cp))
			return cp;
		p += k;
		len -= k;
	}
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* RFC 5322 addr-spec, loosely: printable ASCII, no spaces, one '@', both sides non-empty. */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
kpp_ok(const char *s)
{
	int i;

	for (i = 0; i < 9; i++) {
		char c = s[i];
		int digit = c >= '0' && c <= '9';

		if (i >= 4 && i < 6 ? !(digit || (c >= 'A' && c <= 'Z')) : !digit)
			return 0;
	}
	return 1;
}

/* Format of one present value; adds a field error and returns 0 if bad. */
static int
value_check(const struct field_rule *r, const char *v, struct pechat_error *e)
{
	char field[64];
	size_t blen = strlen(v);
	long chars;
	uint32_t hidden;

	snprintf(field, sizeof(field), "subject.%s", pechat_subject_field_name(r->f));
	if (blen == 0) {
		pechat_error_add_field(e, field, "required", "must not be empty");
		return 0;
	}
	if (blen > PECHAT_SUBJECT_VALUE_MAX) {
		pechat_error_add_field(e, field, "too_long", "at most %d bytes", PECHAT_SUBJECT_VALUE_MAX);
		return 0;
	}
	if ((chars = pechat_utf8_chars((const unsigned char *)v, blen)) < 0) {
		pechat_error_add_field(e, field, "charset", "must be valid UTF-8 text");
		return 0;
	}
	if ((hidden = hidden_char(v)) != 0) {
		pechat_error_add_field(e, field, "charset",
		    "U+%04X is a control or format character (bidi override, zero width...): not allowed in names",
		    (unsigned)hidden);
		return 0;
	}
	switch (r->cs) {
	case CS_TEXT:
		if (r->len > 0 && chars > r->len) {
			pechat_error_add_field(e, field, "too_long", "at most %d characters", r->len);
			return 0;
		}
		return 1;
	case CS_COUNTRY:
		if (blen != 2) {
			pechat_error_add_field(e, field, "length", "exactly 2 letters");
			return 0;
		}
		if (v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z') {
			pechat_error_add_field(e, field, "charset", "ISO 3166 code in upper-case letters");
			return 0;
		}
		return 1;
	case CS_EMAIL:
		if ((long)blen > r->len) {
			pechat_error_add_field(e, field, "too_long", "at most %d characters", r->len);
			return 0;
		}
		if (!email_ok(v)) {
			pechat_error_add_field(e, field, "charset", "an ASCII address with one '@'");
			return 0;
		}
		return 1;
	case CS_DIGITS:
		if (!all_digits(v, blen)) {
			pechat_error_add_field(e, field, "charset", "digits only");
			return 0;
		}
		if ((int)blen != r->len) {
			pechat_error_add_field(e, field, "length", "exactly %d digits", r->len);
			return 0;
		}
		return 1;
	case CS_KPP:
		if ((int)blen != r->len) {
			pechat_error_add_field(e, field, "length", "exactly 9 characters");
			return 0;
		}
		if (!kpp_ok(v)) {
			pechat_error_add_field(e, field, "charset", "4 digits, 2 digits or capital letters, 3 digits");
			return 0;
		}
		return 1;
	}
	return 1;
}

/*
 * See ca.h. Format only: check digits of SNILS/INN/OGRN... are ra/'s job
 * (docs/SUBJECTS.md). Every bad field is reported, not only the first.
 */
enum pechat_err
ca_subject_check(const struct pechat_profile_conf *profile, const struct pechat_subject *subject,
    struct pechat_error *e)
{
	struct pechat_error local;
	struct pechat_error *err = e != NULL ? e : &local;
	size_t i;
	int bad = 0, any = 0;

	if (profile == NULL || subject == NULL) {
		log_err("ca: subject check without profile or subject");
		return pechat_fail(e, PECHAT_E_INTERNAL, "internal", "internal error");
	}
	pechat_error_clear(err);
	for (i = 0; i < NRULES; i++) {
		const struct field_rule *r = &rules[i];
		const char *v = subject->v[r->f];
		unsigned bit = 1u << r->f;
		char field[64];

		snprintf(field, sizeof(field), "subject.%s", pechat_subject_field_name(r->f));
		if (v == NULL) {
			if (profile->subject_required & bit) {
				pechat_error_add_field(err, field, "required", "required by profile %s", profile->name);
				bad++;
			}
			continue;
		}
		any++;
		if (!(profile->subject_allowed & bit) && !(profile->subject_required & bit)) {
			pechat_error_add_field(err, field, "not_allowed", "not allowed by profile %s", profile->name);
			bad++;
			continue;
		}
		if (!value_check(r, v, err))
			bad++;
	}
	if (subject->v[PSF_PATRONYMIC] != NULL && subject->v[PSF_GIVEN_NAME] == NULL) {
		pechat_error_add_field(err, "subject.given_name", "required", "required with a patronymic");
		bad++;
	}
	if (!any && !bad) {
		pechat_error_add_field(err, "subject", "required", "the subject is empty");
		bad++;
	}
	if (bad) {
		log_reject("ca: subject has %d bad field(s) for profile %s", bad, profile->name);
		return pechat_fail(err, PECHAT_E_INVALID, "subject_invalid", "the subject has invalid fields");
	}
	return PECHAT_OK;
}

static int
add_entry(X509_NAME *name, int nid, int type, const char *v)
{
	if (X509_NAME_add_entry_by_NID(name, nid, type, (const unsigned char *)v, (int)strlen(v), -1, 0) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: X509_NAME_add_entry");
		return -1;
	}
	return 0;
}

/*
 * See ca_int.h. The ASN.1 string type is passed explicitly (not MBSTRING_*)
 * so that OpenSSL's string table cannot pick another one (it would encode
 * OGRNIP and INNLE as UTF8String).
 */
enum pechat_err
ca_subject_name(const struct pechat_subject *s, X509_NAME **out, struct pechat_error *e)
{
	X509_NAME *name = NULL;
	char *gn = NULL;
	size_t i;
	enum pechat_err rc;

	*out = NULL;
	if (ca_oids_init() != 0 || (name = X509_NAME_new()) == NULL) {
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot build the subject");
		goto out;
	}
	for (i = 0; i < NRULES; i++) {
		const struct field_rule *r = &rules[i];
		const char *v = s->v[r->f];

		if (v == NULL || r->nid == NID_NONE)
			continue;
		if (r->f == PSF_GIVEN_NAME && s->v[PSF_PATRONYMIC] != NULL) {
			size_t n = strlen(v) + strlen(s->v[PSF_PATRONYMIC]) + 2;

			if ((gn = malloc(n)) == NULL) {
				rc = pechat_fail(e, PECHAT_E_NOMEM, "nomem", "out of memory");
				goto out;
			}
			snprintf(gn, n, "%s %s", v, s->v[PSF_PATRONYMIC]);
			v = gn;
		}
		if (add_entry(name, rule_nid(r), r->asn1_type, v) != 0) {
			rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "cannot build the subject");
			goto out;
		}
	}
	*out = name;
	name = NULL;
	rc = PECHAT_OK;
out:
	free(gn);
	X509_NAME_free(name);
	return rc;
}

/* Sets field f from an entry's value (first occurrence wins). 0 or -1. */
static int
take_value(struct pechat_subject *out, const struct field_rule *r, const ASN1_STRING *val)
{
	unsigned char *utf8 = NULL;
	char *sp;
	int n, rc = -1;

	if (out->v[r->f] != NULL)
		return 0;
	if ((n = ASN1_STRING_to_UTF8(&utf8, val)) < 0)
		return -1;
	if ((size_t)n != strlen((char *)utf8))
		goto out;       /* embedded NUL */
	if (r->f == PSF_GIVEN_NAME && (sp = strchr((char *)utf8, ' ')) != NULL) {
		*sp = '\0';
		if (out->v[PSF_PATRONYMIC] == NULL && pechat_subject_set(out, PSF_PATRONYMIC, sp + 1) != 0)
			goto out;
	}
	rc = pechat_subject_set(out, r->f, (char *)utf8);
out:
	OPENSSL_free(utf8);
	return rc;
}

/* Subject fields from a Name (see ca_cert_subject). */
static enum pechat_err
name_subject(const X509_NAME *name, struct pechat_subject *out, struct pechat_error *e)
{
	int i, n;
	size_t j;

	ca_oids_init();
	n = X509_NAME_entry_count(name);
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ent));

		for (j = 0; j < NRULES; j++) {
			if (rules[j].nid == NID_NONE || rule_nid(&rules[j]) != nid)
				continue;
			if (take_value(out, &rules[j], X509_NAME_ENTRY_get_data(ent)) != 0) {
				pechat_log_openssl(PECHAT_LOG_WARN, "ca: certificate subject value");
				pechat_subject_clear(out);
				return pechat_fail(e, PECHAT_E_INVALID, "certificate_malformed",
				    "subject attribute cannot be decoded");
			}
			break;
		}
	}
	return PECHAT_OK;
}

/* See ca.h. Attributes we do not map (and KPP, which has none) are skipped. */
enum pechat_err
ca_cert_subject(const X509 *cert, struct pechat_subject *out, struct pechat_error *e)
{
	const X509_NAME *name;

	if (cert == NULL || (name = X509_get_subject_name(cert)) == NULL)
		return pechat_fail(e, PECHAT_E_INVALID, "certificate_malformed", "no subject");
	return name_subject(name, out, e);
}

/* See ca.h: the subject read with ca/cert_der.c's templates (the key never decoded). */
enum pechat_err
ca_cert_der_subject(const unsigned char *der, size_t len, struct pechat_subject *out, struct pechat_error *e)
{
	X509_NAME *name = NULL;         /* owned here */
	enum pechat_err err;

	if (ca_cert_der_subject_name(der, len, &name) != 0) {
		ERR_clear_error();
		return pechat_fail(e, PECHAT_E_INVALID, "certificate_malformed",
		    "stored certificate is not one DER certificate");
	}
	err = name_subject(name, out, e);
	X509_NAME_free(name);
	return err;
}

/* See ca_int.h. */
void
ca_name_rfc2253(const X509_NAME *name, char *buf, size_t bufsz)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;
	size_t len;

	buf[0] = '\0';
	if (bio == NULL || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	len = (size_t)n < bufsz - 1 ? (size_t)n : bufsz - 1;
	while (len > 0 && (size_t)n > len && ((unsigned char)data[len] & 0xc0) == 0x80)
		len--;
	memcpy(buf, data, len);
	buf[len] = '\0';
out:
	BIO_free(bio);
}

enum pechat_err
ca_subject_dn(const struct pechat_subject *s, char *buf, size_t bufsz, struct pechat_error *e)
{
	X509_NAME *name = NULL;
	enum pechat_err rc;

	buf[0] = '\0';
	if ((rc = ca_subject_name(s, &name, e)) == PECHAT_OK)
		ca_name_rfc2253(name, buf, bufsz);
	X509_NAME_free(name);
	return rc;
}
