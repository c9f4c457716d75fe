/*
 * ca/lint_int.h — private to the linter's files: the input the check
 * functions see, their declarations (one per rule of ca/lint.c's table)
 * and small helpers.
 */
#ifndef PECHAT_CA_LINT_INT_H
#define PECHAT_CA_LINT_INT_H

#include "ca/lint.h"

struct ca_lint_in {
	X509 *cert;                     /* the certificate, or NULL */
	X509_CRL *crl;                  /* the CRL, or NULL */
	const struct ca_lint_ctx *ctx;  /* never NULL */
};

/* Formats msg and returns 1 (a broken rule). */
int ca_lint_msg(char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 for a GOST R 34.10-2012 signature algorithm OID (256 or 512): *bits = 256/512. */
int ca_lint_gost_sig_nid(int nid, int *bits);
/*
 * The TBSCertList's signature AlgorithmIdentifier (OpenSSL 3.0 has no
 * getter): the TBS re-encoded and decoded as a SEQUENCE; owned, or NULL.
 */
X509_ALGOR *ca_lint_crl_tbs_sigalg(X509_CRL *crl);
/* The certificate's public key: ctx->subject_key, else X509_get0_pubkey (NULL: does not decode). */
EVP_PKEY *ca_lint_cert_key(const struct ca_lint_in *in);
/* 256 or 512 for a GOST R 34.10-2012 key, else 0. */
int ca_lint_gost_key_bits(const EVP_PKEY *key);

#define LINT_CHECK(fn) int fn(const struct ca_lint_in *in, char *msg, size_t msgsz)

/* lint_cert.c: RFC 5280 basics, profile rules, GOST algorithm rules (certificates and CRLs) */
LINT_CHECK(lint_cert_version);
LINT_CHECK(lint_serial_positive);
LINT_CHECK(lint_serial_length);
LINT_CHECK(lint_validity_order);
LINT_CHECK(lint_validity_inside_issuer);
LINT_CHECK(lint_subject_not_empty);
LINT_CHECK(lint_issuer_not_empty);
LINT_CHECK(lint_public_key);
LINT_CHECK(lint_sigalg_match);
LINT_CHECK(lint_ext_decode);
LINT_CHECK(lint_ext_duplicate);
LINT_CHECK(lint_ext_unknown_critical);
LINT_CHECK(lint_bc_present);
LINT_CHECK(lint_bc_critical_ca);
LINT_CHECK(lint_ku_present);
LINT_CHECK(lint_ku_critical);
LINT_CHECK(lint_ku_cert_sign_needs_ca);
LINT_CHECK(lint_ca_needs_cert_sign);
LINT_CHECK(lint_ski_present);
LINT_CHECK(lint_ski_present_ca);
LINT_CHECK(lint_aki_present);
LINT_CHECK(lint_aki_matches_issuer);
LINT_CHECK(lint_issuer_name_matches);
LINT_CHECK(lint_profile_ext_allowed);
LINT_CHECK(lint_profile_policy_allowed);
LINT_CHECK(lint_profile_key_usage);
LINT_CHECK(lint_gost_params_absent);
LINT_CHECK(lint_gost_digest_key);

/* lint_qualified.c: Order 795 / RFC 9215 qualified certificate rules */
LINT_CHECK(lint_qual_country);
LINT_CHECK(lint_qual_text_utf8);
LINT_CHECK(lint_qual_email_ia5);
LINT_CHECK(lint_qual_ogrn_numeric);
LINT_CHECK(lint_qual_snils_numeric);
LINT_CHECK(lint_qual_innle_numeric);
LINT_CHECK(lint_qual_ogrnip_numeric);
LINT_CHECK(lint_qual_inn_numeric);
LINT_CHECK(lint_qual_ogrn_check);
LINT_CHECK(lint_qual_snils_check);
LINT_CHECK(lint_qual_innle_check);
LINT_CHECK(lint_qual_ogrnip_check);
LINT_CHECK(lint_qual_inn_check);
LINT_CHECK(lint_qual_subject_individual);
LINT_CHECK(lint_qual_subject_sole_proprietor);
LINT_CHECK(lint_qual_subject_legal_entity);
LINT_CHECK(lint_qual_subject_sign_tool);
LINT_CHECK(lint_qual_issuer_sign_tool);
LINT_CHECK(lint_qual_identification_kind);
LINT_CHECK(lint_qual_policies);
LINT_CHECK(lint_qual_key_usage);
LINT_CHECK(lint_qual_gost);

/* lint_crl.c: RFC 5280 §5 */
LINT_CHECK(lint_crl_version);
LINT_CHECK(lint_crl_number_present);
LINT_CHECK(lint_crl_number_increasing);
LINT_CHECK(lint_crl_next_update_present);
LINT_CHECK(lint_crl_next_after_this);
LINT_CHECK(lint_crl_aki_present);
LINT_CHECK(lint_crl_aki_matches_issuer);
LINT_CHECK(lint_crl_issuer_name_matches);
LINT_CHECK(lint_crl_sigalg_match);
LINT_CHECK(lint_crl_ext_duplicate);
LINT_CHECK(lint_crl_reason_not_unspecified);
LINT_CHECK(lint_crl_reason_valid);
LINT_CHECK(lint_crl_remove_delta_only);
LINT_CHECK(lint_crl_serials_unique);
LINT_CHECK(lint_crl_delta_critical);
LINT_CHECK(lint_crl_delta_base_below);
LINT_CHECK(lint_crl_kind_matches);
LINT_CHECK(lint_crl_delta_no_freshest);
LINT_CHECK(lint_crl_idp_critical);

#endif
