/*
 * tests/unit/lint_cases.h — the linter's test cases (tests/unit/lint_cases.c)
 * for test_ca_lint_rules: one case per rule of ca/lint.c's table, each a
 * mutation of a good qualified certificate or a good CRL (and/or of the
 * lint context) that breaks that rule. Functions assert with cmocka.
 */
#ifndef PECHAT_TESTS_LINT_CASES_H
#define PECHAT_TESTS_LINT_CASES_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "ca/lint.h"

/* What a certificate case may change besides the certificate: the context and its profile. */
struct lc_ctxs {
	struct ca_lint_ctx ctx;
	struct pechat_profile_conf prof;
};

typedef void (*cert_mut)(X509 **x, struct lc_ctxs *c);
typedef void (*crl_mut)(X509_CRL **crl, struct ca_lint_ctx *ctx);

struct lc_rule_case {
	const char *rule;
	cert_mut cm;    /* certificate case, or NULL */
	crl_mut crm;    /* CRL case, or NULL */
};

struct lc_crl_opts {
	int no_next;    /* no nextUpdate */
};

extern const struct lc_rule_case lc_cases[];
extern const size_t lc_n_cases;

/* Made by lc_setup (gost-engine needed): GOST 2012-256 CA keys and certificates, EC keys, the
 * profile of the good certificate (qualified individual). */
extern char lc_tmpdir[128];
extern EVP_PKEY *lc_ca_key, *lc_other_key, *lc_leaf_key, *lc_ec_key, *lc_crl_ca_key;
extern X509 *lc_ca_cert, *lc_other_cert, *lc_crl_ca_cert;
extern time_t lc_now;
extern struct pechat_profile_conf lc_prof;

/* hsm_global_init, OIDs, a temp dir, keys, CA certificates. 0 or -1. */
int lc_setup(void);
int lc_teardown(void);

/* A good qualified individual's certificate from lc_ca_cert; owned. */
X509 *lc_qual_cert(void);
/* A good full CRL of lc_crl_ca_cert (number 10, two entries); o may be NULL; owned. */
X509_CRL *lc_good_crl(const struct lc_crl_opts *o);
/* The contexts the good certificate / CRL pass with. */
void lc_base_ctxs(struct lc_ctxs *c);
void lc_base_crl_ctx(struct ca_lint_ctx *ctx);

/* Builders shared with the ca_cert_make test. */
EVP_PKEY *lc_gost_key(const char *paramset);
X509 *lc_ca_make(EVP_PKEY *key, const char *cn);
void lc_set_serial_hex(X509 *x, const char *hex);
void lc_set_validity(X509 *x, time_t nb, time_t na);
void lc_add_bc(X509 *x, int ca, int crit);
void lc_add_ku(X509 *x, unsigned bits, int crit);
void lc_add_ski(X509 *x);

#endif
