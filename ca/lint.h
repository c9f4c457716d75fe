/*
 * ca/lint.h — the linter of named rules (docs/LINT.md): one table of rules
 * (name, source clause, severity, what it applies to, check function) run
 * on a certificate or a CRL. ca_cert_make lints every certificate signed
 * with a throw-away key of the issuer key's algorithm before the CA key is
 * used, ca_crl_sign every CRL the same way; `pechat lint FILE` (cmd/) runs
 * the same rules on any certificate or CRL.
 *
 * OpenSSL ownership: everything passed in is borrowed; nothing is kept.
 */
#ifndef PECHAT_CA_LINT_H
#define PECHAT_CA_LINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "common/profile.h"

enum ca_lint_severity {
	CA_LINT_ERROR = 0,      /* refuses: nothing is signed with the CA key */
	CA_LINT_WARNING,        /* logged, never refuses */
};

/* What a rule applies to. */
enum ca_lint_scope {
	CA_LINT_CERT = 1,       /* every certificate */
	CA_LINT_QUALIFIED = 2,  /* qualified certificates (ca_lint_cert's rule below) */
	CA_LINT_CRL = 4,        /* every CRL */
};

struct ca_lint_in;

struct ca_lint_rule {
	const char *name;       /* "e_serial_positive": e_ errors, w_ warnings */
	const char *source;     /* "RFC 5280 §4.1.2.2", "Order 795 §17", "RFC 9215 §3.2" */
	enum ca_lint_severity severity;
	unsigned applies;       /* OR of enum ca_lint_scope */
	const char *summary;    /* what a good object does, one line */
	/* 1 and a message when the object breaks the rule; 0 when it keeps it or it does not apply */
	int (*check)(const struct ca_lint_in *in, char *msg, size_t msgsz);
};

/* What the linter knows besides the object; every field may be 0/NULL. Borrowed. */
struct ca_lint_ctx {
	X509 *issuer;           /* the issuer's certificate; NULL: self-signed or unknown */
	/*
	 * The certificate's public key when the certificate was built from its
	 * SPKI bytes without decoding them (ca_build.subject_spki), or NULL:
	 * then the rules decode the certificate's own (X509_get0_pubkey).
	 */
	EVP_PKEY *subject_key;
	const struct pechat_profile_conf *profile; /* an end entity's profile, or NULL (any certificate) */
	int crl_kind;           /* CRLs: 0 unknown, CA_LINT_CRL_FULL, CA_LINT_CRL_DELTA */
	int has_prev_number;    /* CRLs: prev_number is the issuer's highest published cRLNumber */
	int64_t prev_number;
};
#define CA_LINT_CRL_FULL 1
#define CA_LINT_CRL_DELTA 2

#define CA_LINT_MAX_FINDINGS 96
#define CA_LINT_MSG_MAX 200

struct ca_lint_finding {
	const struct ca_lint_rule *rule;
	char message[CA_LINT_MSG_MAX];
};

struct ca_lint_report {
	struct ca_lint_finding f[CA_LINT_MAX_FINDINGS];
	int n;
	int errors;
	int warnings;
};

/* The rule table (static), *n rules. */
const struct ca_lint_rule *ca_lint_rules(size_t *n);
/* The rule named name, or NULL. */
const struct ca_lint_rule *ca_lint_rule_find(const char *name);

/*
 * Runs the CA_LINT_CERT rules and, when the certificate is qualified (the
 * profile says qualified, or with no profile the certificate carries
 * subjectSignTool, issuerSignTool, identificationKind or a
 * 1.2.643.100.113.x policy), the CA_LINT_QUALIFIED rules. *r is reset first.
 */
void ca_lint_cert(X509 *cert, const struct ca_lint_ctx *ctx, struct ca_lint_report *r);
/* Runs the CA_LINT_CRL rules. *r is reset first. */
void ca_lint_crl(X509_CRL *crl, const struct ca_lint_ctx *ctx, struct ca_lint_report *r);

/* 1 if the certificate carries one of the qualified markers above. */
int ca_lint_looks_qualified(X509 *cert);

/* The names of the error findings, ", "-separated, into buf (cut with "..." if too long). */
void ca_lint_error_names(const struct ca_lint_report *r, char *buf, size_t bufsz);

/* What ca_lint_read reads at most (a CRL of a large CA included). */
#define CA_LINT_INPUT_MAX (16 * 1024 * 1024)

/*
 * A certificate or a CRL from data: DER, or exactly one PEM block labelled
 * "CERTIFICATE" or "X509 CRL" with only whitespace around it; no trailing
 * bytes. 0 with *cert or *crl set (owned), or -1 (unreadable, too large).
 */
int ca_lint_read(const unsigned char *data, size_t len, X509 **cert, X509_CRL **crl);

/* Logs each finding (errors log_err, warnings log_warn) prefixed with what. */
void ca_lint_log(const struct ca_lint_report *r, const char *what);

#endif
