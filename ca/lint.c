/*
 * ca/lint.c — the linter's ONE rule table (docs/LINT.md lists it; a unit
 * test checks that every rule there has a case that breaks it) and the
 * runner. The checks live in lint_cert.c (RFC 5280 basics, profile and GOST
 * algorithm rules), lint_qualified.c (Order 795 / RFC 9215) and lint_crl.c.
 */
#include "ca_int.h"
#include "lint_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define E CA_LINT_ERROR
#define W CA_LINT_WARNING
#define CERT CA_LINT_CERT
#define QUAL CA_LINT_QUALIFIED
#define CRL CA_LINT_CRL

static const struct ca_lint_rule rules[] = {
	/* certificates: RFC 5280 basics */
	{ "e_cert_version_v3", "RFC 5280 §4.1.2.1", E, CERT, "version is v3 (extensions present)", lint_cert_version },
	{ "e_serial_positive", "RFC 5280 §4.1.2.2", E, CERT, "serialNumber is a positive INTEGER", lint_serial_positive },
	{ "e_serial_max_20_octets", "RFC 5280 §4.1.2.2", E, CERT, "serialNumber is at most 20 octets", lint_serial_length },
	{ "e_validity_order", "RFC 5280 §4.1.2.5", E, CERT, "notBefore is before notAfter", lint_validity_order },
	{ "e_validity_inside_issuer", "RFC 5280 §6.1.3", E, CERT,
	  "validity lies inside the issuer certificate's (when the issuer is known)", lint_validity_inside_issuer },
	{ "e_subject_not_empty", "RFC 5280 §4.1.2.6", E, CERT, "the subject name is not empty", lint_subject_not_empty },
	{ "e_issuer_not_empty", "RFC 5280 §4.1.2.4", E, CERT, "the issuer name is not empty", lint_issuer_not_empty },
	{ "e_public_key_decodes", "RFC 5280 §4.1.2.7", E, CERT, "subjectPublicKeyInfo decodes to a known key",
	  lint_public_key },
	{ "e_signature_alg_match", "RFC 5280 §4.1.1.2", E, CERT,
	  "signatureAlgorithm equals the TBSCertificate's signature field", lint_sigalg_match },
	{ "e_ext_decodes", "RFC 5280 §4.2", E, CERT, "every extension OpenSSL knows decodes", lint_ext_decode },
	{ "e_ext_duplicate", "RFC 5280 §4.2", E, CERT, "no extension appears twice", lint_ext_duplicate },
	{ "e_ext_unknown_critical", "RFC 5280 §4.2", E, CERT, "no critical extension the CA cannot process",
	  lint_ext_unknown_critical },
	{ "w_basic_constraints_missing", "RFC 5280 §4.2.1.9", W, CERT,
	  "basicConstraints is present (a CA without it breaks e_key_cert_sign_needs_ca)", lint_bc_present },
	{ "e_basic_constraints_critical_ca", "RFC 5280 §4.2.1.9", E, CERT,
	  "a CA certificate's basicConstraints is critical", lint_bc_critical_ca },
	{ "e_key_usage_present", "RFC 5280 §4.2.1.3", E, CERT, "keyUsage is present with at least one bit",
	  lint_ku_present },
	{ "w_key_usage_not_critical", "RFC 5280 §4.2.1.3", W, CERT, "keyUsage is critical (SHOULD)", lint_ku_critical },
	{ "e_key_cert_sign_needs_ca", "RFC 5280 §4.2.1.9", E, CERT, "keyCertSign only with cA TRUE",
	  lint_ku_cert_sign_needs_ca },
	{ "e_ca_needs_key_cert_sign", "RFC 5280 §4.2.1.3", E, CERT, "cA TRUE only with keyCertSign",
	  lint_ca_needs_cert_sign },
	{ "e_ski_present_ca", "RFC 5280 §4.2.1.2", E, CERT, "a CA certificate has a subjectKeyIdentifier",
	  lint_ski_present_ca },
	{ "w_ski_missing", "RFC 5280 §4.2.1.2", W, CERT, "an end-entity certificate has a subjectKeyIdentifier (SHOULD)",
	  lint_ski_present },
	{ "e_aki_present", "RFC 5280 §4.2.1.1", E, CERT,
	  "authorityKeyIdentifier with a keyIdentifier unless self-issued", lint_aki_present },
	{ "e_aki_matches_issuer", "RFC 5280 §4.2.1.1", E, CERT,
	  "authorityKeyIdentifier equals the issuer's subjectKeyIdentifier (when the issuer is known)",
	  lint_aki_matches_issuer },
	{ "e_issuer_name_matches", "RFC 5280 §4.1.2.4", E, CERT,
	  "the issuer name equals the issuer certificate's subject (when the issuer is known)",
	  lint_issuer_name_matches },
	/* certificates: the profile (issuance) */
	{ "e_profile_ext_allowed", "Pechat profile (docs/PROFILES.md)", E, CERT,
	  "only extensions the profile produces (nothing copied from a CSR)", lint_profile_ext_allowed },
	{ "e_profile_policy_allowed", "Pechat profile (docs/PROFILES.md)", E, CERT,
	  "every certificate policy is one the profile lists (qualified: or a tool class)",
	  lint_profile_policy_allowed },
	{ "e_profile_key_usage", "Pechat profile (docs/PROFILES.md)", E, CERT,
	  "keyUsage is exactly the profile's", lint_profile_key_usage },
	/* GOST R 34.10-2012 signatures (certificates and CRLs) */
	{ "e_gost_sigalg_params_absent", "RFC 9215, signature algorithms", E, CERT | CRL,
	  "a GOST R 34.10-2012 signature AlgorithmIdentifier has no parameters", lint_gost_params_absent },
	{ "e_gost_digest_matches_key", "RFC 9215, signature algorithms", E, CERT | CRL,
	  "the signature's Streebog size is the signing GOST key's size", lint_gost_digest_key },
	/* qualified certificates: FSB Order 795 (as amended by Order 31) and RFC 9215 */
	{ "e_qual_country_ru", "Order 795, subject; RFC 9215", E, QUAL, "C is present once, PrintableString \"RU\"",
	  lint_qual_country },
	{ "e_qual_text_utf8", "Order 795, subject; RFC 9215", E, QUAL,
	  "CN, SN, GN, O, OU, title, ST, L, street are UTF8String", lint_qual_text_utf8 },
	{ "e_qual_email_ia5", "RFC 5280 App. A; RFC 9215", E, QUAL, "emailAddress is IA5String",
	  lint_qual_email_ia5 },
	{ "e_qual_ogrn_numeric", "Order 795, subject; RFC 9215", E, QUAL, "OGRN is a NumericString of 13 digits",
	  lint_qual_ogrn_numeric },
	{ "e_qual_snils_numeric", "Order 795, subject; RFC 9215", E, QUAL, "SNILS is a NumericString of 11 digits",
	  lint_qual_snils_numeric },
	{ "e_qual_innle_numeric", "Order 795, subject; RFC 9215", E, QUAL, "INNLE is a NumericString of 10 digits",
	  lint_qual_innle_numeric },
	{ "e_qual_ogrnip_numeric", "Order 795, subject; RFC 9215", E, QUAL, "OGRNIP is a NumericString of 15 digits",
	  lint_qual_ogrnip_numeric },
	{ "e_qual_inn_numeric", "Order 795, subject; RFC 9215", E, QUAL, "INN is a NumericString of 12 digits",
	  lint_qual_inn_numeric },
	{ "e_qual_ogrn_check", "Order 795, subject (check digits)", E, QUAL, "OGRN's check digit is right",
	  lint_qual_ogrn_check },
	{ "e_qual_snils_check", "Order 795, subject (check digits)", E, QUAL, "SNILS's check digits are right",
	  lint_qual_snils_check },
	{ "e_qual_innle_check", "Order 795, subject (check digits)", E, QUAL, "INNLE's check digit is right",
	  lint_qual_innle_check },
	{ "e_qual_ogrnip_check", "Order 795, subject (check digits)", E, QUAL, "OGRNIP's check digit is right",
	  lint_qual_ogrnip_check },
	{ "e_qual_inn_check", "Order 795, subject (check digits)", E, QUAL,
	  "INN's check digits are right (the legacy \"00\"+INNLE form only in certificates not issued here)",
	  lint_qual_inn_check },
	{ "e_qual_subject_individual", "Order 795, subject of an individual", E, QUAL,
	  "an individual's subject has CN, SN, GN, SNILS, INN, C", lint_qual_subject_individual },
	{ "e_qual_subject_sole_proprietor", "Order 795, subject of an individual", E, QUAL,
	  "a sole proprietor's subject has an individual's attributes and OGRNIP", lint_qual_subject_sole_proprietor },
	{ "e_qual_subject_legal_entity", "Order 795, subject of a legal entity", E, QUAL,
	  "a legal entity's subject has CN, O, INNLE, OGRN, C, ST, L, street and the head's SN, GN, SNILS",
	  lint_qual_subject_legal_entity },
	{ "e_qual_subject_sign_tool", "Order 795, subjectSignTool; RFC 9215", E, QUAL,
	  "subjectSignTool is present, not critical, a UTF8String of 1..200 characters", lint_qual_subject_sign_tool },
	{ "e_qual_issuer_sign_tool", "Order 795, issuerSignTool; RFC 9215", E, QUAL,
	  "issuerSignTool is present, not critical, a SEQUENCE of 4 UTF8String (1..200, 1..200, 1..100, 1..100)",
	  lint_qual_issuer_sign_tool },
	{ "e_qual_identification_kind", "Order 795 as amended by Order 31, identificationKind", E, QUAL,
	  "an end entity's identificationKind is present, not critical, an INTEGER 0..3",
	  lint_qual_identification_kind },
	{ "e_qual_policies_tool_class", "Order 795, certificatePolicies; RFC 9215", E, QUAL,
	  "certificatePolicies is not critical and names a tool class 1.2.643.100.113.1..6", lint_qual_policies },
	{ "e_qual_key_usage", "Order 795, keyUsage", E, QUAL,
	  "keyUsage is critical with digitalSignature and nonRepudiation (a CA: keyCertSign and cRLSign)",
	  lint_qual_key_usage },
	{ "w_qual_not_gost", "Order 795, algorithms; RFC 9215", W, QUAL,
	  "the subject key and the signature are GOST R 34.10-2012", lint_qual_gost },
	/* CRLs: RFC 5280 §5 */
	{ "e_crl_version_v2", "RFC 5280 §5.1.2.1", E, CRL, "version is v2", lint_crl_version },
	{ "e_crl_number_present", "RFC 5280 §5.2.3", E, CRL, "cRLNumber is present, not critical, non-negative",
	  lint_crl_number_present },
	{ "e_crl_number_increasing", "RFC 5280 §5.2.3", E, CRL,
	  "cRLNumber is above the issuer's last published one (when known)", lint_crl_number_increasing },
	{ "e_crl_next_update_present", "RFC 5280 §5.1.2.5", E, CRL, "nextUpdate is present",
	  lint_crl_next_update_present },
	{ "e_crl_next_after_this", "RFC 5280 §5.1.2.5", E, CRL, "nextUpdate is after thisUpdate",
	  lint_crl_next_after_this },
	{ "e_crl_aki_present", "RFC 5280 §5.2.1", E, CRL, "authorityKeyIdentifier with a keyIdentifier is present",
	  lint_crl_aki_present },
	{ "e_crl_aki_matches_issuer", "RFC 5280 §5.2.1", E, CRL,
	  "authorityKeyIdentifier equals the issuer's subjectKeyIdentifier (when the issuer is known)",
	  lint_crl_aki_matches_issuer },
	{ "e_crl_issuer_name_matches", "RFC 5280 §5.1.2.3", E, CRL,
	  "the issuer name equals the issuer certificate's subject (when the issuer is known)",
	  lint_crl_issuer_name_matches },
	{ "e_crl_signature_alg_match", "RFC 5280 §5.1.1.2", E, CRL,
	  "signatureAlgorithm equals the TBSCertList's signature field", lint_crl_sigalg_match },
	{ "e_crl_ext_duplicate", "RFC 5280 §5.2", E, CRL, "no CRL or entry extension appears twice",
	  lint_crl_ext_duplicate },
	{ "e_crl_reason_not_unspecified", "RFC 5280 §5.3.1", E, CRL,
	  "no reasonCode unspecified(0): the extension is left out instead", lint_crl_reason_not_unspecified },
	{ "e_crl_reason_valid", "RFC 5280 §5.3.1", E, CRL, "every reasonCode decodes to a CRLReason (not 7)",
	  lint_crl_reason_valid },
	{ "e_crl_remove_from_crl_delta_only", "RFC 5280 §5.3.1", E, CRL, "removeFromCRL(8) only in a delta CRL",
	  lint_crl_remove_delta_only },
	{ "e_crl_serials_unique", "RFC 5280 §5.1.2.6", E, CRL, "each serial is listed once", lint_crl_serials_unique },
	{ "e_crl_delta_indicator_critical", "RFC 5280 §5.2.4", E, CRL, "a deltaCRLIndicator is critical",
	  lint_crl_delta_critical },
	{ "e_crl_delta_base_below_number", "RFC 5280 §5.2.4", E, CRL,
	  "a delta CRL's BaseCRLNumber is below its own cRLNumber", lint_crl_delta_base_below },
	{ "e_crl_kind_matches", "RFC 5280 §5.2.4", E, CRL,
	  "a full CRL has no deltaCRLIndicator, a delta CRL has one (when the kind is known)", lint_crl_kind_matches },
	{ "e_crl_delta_no_freshest", "RFC 5280 §5.2.6", E, CRL, "a delta CRL has no freshestCRL",
	  lint_crl_delta_no_freshest },
	{ "e_crl_idp_critical", "RFC 5280 §5.2.5", E, CRL, "issuingDistributionPoint is critical",
	  lint_crl_idp_critical },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const struct ca_lint_rule *
ca_lint_rules(size_t *n)
{
	*n = N_RULES;
	return rules;
}

const struct ca_lint_rule *
ca_lint_rule_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < N_RULES; i++)
		if (strcmp(rules[i].name, name) == 0)
			return &rules[i];
	return NULL;
}

int
ca_lint_msg(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return 1;
}

/* Runs every rule of `scope` on in, appending findings to r. */
static void
run(const struct ca_lint_in *in, unsigned scope, struct ca_lint_report *r)
{
	char msg[CA_LINT_MSG_MAX];
	size_t i;

	for (i = 0; i < N_RULES; i++) {
		if (!(rules[i].applies & scope))
			continue;
		msg[0] = '\0';
		if (!rules[i].check(in, msg, sizeof(msg)))
			continue;
		if (rules[i].severity == CA_LINT_ERROR)
			r->errors++;
		else
			r->warnings++;
		if (r->n < CA_LINT_MAX_FINDINGS) {
			r->f[r->n].rule = &rules[i];
			pechat_strlcpy(r->f[r->n].message, msg, sizeof(r->f[r->n].message));
			r->n++;
		}
	}
	ERR_clear_error();
}

/* The OID text of an extension/policy starts with prefix (dotted). */
static int
oid_is(const ASN1_OBJECT *o, const char *dotted)
{
	char buf[80];

	return OBJ_obj2txt(buf, sizeof(buf), o, 1) > 0 && strcmp(buf, dotted) == 0;
}

int
ca_lint_looks_qualified(X509 *cert)
{
	CERTIFICATEPOLICIES *cp;
	char buf[80];
	int i, found = 0;

	for (i = 0; i < X509_get_ext_count(cert) && !found; i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(cert, i));

		found = oid_is(o, "1.2.643.100.111") || oid_is(o, "1.2.643.100.112") || oid_is(o, "1.2.643.100.114");
	}
	if (!found && (cp = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL)) != NULL) {
		for (i = 0; i < sk_POLICYINFO_num(cp) && !found; i++)
			found = OBJ_obj2txt(buf, sizeof(buf), sk_POLICYINFO_value(cp, i)->policyid, 1) > 0 &&
			    strncmp(buf, "1.2.643.100.113.", 16) == 0;
		CERTIFICATEPOLICIES_free(cp);
	}
	ERR_clear_error();
	return found;
}

void
ca_lint_cert(X509 *cert, const struct ca_lint_ctx *ctx, struct ca_lint_report *r)
{
	static const struct ca_lint_ctx none;
	struct ca_lint_in in = { cert, NULL, ctx != NULL ? ctx : &none };
	unsigned scope = CA_LINT_CERT;

	memset(r, 0, sizeof(*r));
	ca_oids_init();
	if (in.ctx->profile != NULL ? in.ctx->profile->qualified : ca_lint_looks_qualified(cert))
		scope |= CA_LINT_QUALIFIED;
	run(&in, scope, r);
}

void
ca_lint_crl(X509_CRL *crl, const struct ca_lint_ctx *ctx, struct ca_lint_report *r)
{
	static const struct ca_lint_ctx none;
	struct ca_lint_in in = { NULL, crl, ctx != NULL ? ctx : &none };

	memset(r, 0, sizeof(*r));
	run(&in, CA_LINT_CRL, r);
}

void
ca_lint_error_names(const struct ca_lint_report *r, char *buf, size_t bufsz)
{
	size_t used = 0, len;
	int i;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < r->n; i++) {
		if (r->f[i].rule->severity != CA_LINT_ERROR)
			continue;
		len = strlen(r->f[i].rule->name) + (used > 0 ? 2 : 0);
		if (used + len + 4 >= bufsz) {
			pechat_strlcpy(buf + used, used > 0 ? ", ..." : "...", bufsz - used);
			return;
		}
		snprintf(buf + used, bufsz - used, "%s%s", used > 0 ? ", " : "", r->f[i].rule->name);
		used += len;
	}
}

void
ca_lint_log(const struct ca_lint_report *r, const char *what)
{
	int i;

	for (i = 0; i < r->n; i++) {
		if (r->f[i].rule->severity == CA_LINT_ERROR)
			log_err("ca: lint: %s: error %s (%s): %s", what, r->f[i].rule->name, r->f[i].rule->source,
			    r->f[i].message);
		else
			log_warn("ca: lint: %s: warning %s (%s): %s", what, r->f[i].rule->name, r->f[i].rule->source,
			    r->f[i].message);
	}
}
