/*
 * tests/fuzz/fuzz_lint.c — the linter (ca/lint*.c) on untrusted bytes, as
 * `pechat lint` reads them: ca_lint_read (DER or one PEM block), then every
 * rule of the table on the certificate (without context, then with a
 * qualified profile and the certificate as its own issuer) or the CRL
 * (without context, then as a delta with a previous number).
 * Invariants: exactly one of certificate/CRL on success, none on refusal;
 * every finding names a rule of the table with a NUL-terminated message;
 * the counts add up.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/lint.h"
#include "hsm/hsm.h"

static const struct pechat_profile_conf profile = {
	.name = "fuzz",
	.qualified = 1,
	.key_usage = PECHAT_KU_DIGITAL_SIGNATURE | PECHAT_KU_NON_REPUDIATION,
	.subject_kind = "legal_entity",
};

/* The report's invariants. */
static void
report_check(const struct ca_lint_report *r)
{
	int i, errors = 0, warnings = 0;

	FUZZ_CHECK(r->n >= 0 && r->n <= CA_LINT_MAX_FINDINGS);
	for (i = 0; i < r->n; i++) {
		FUZZ_CHECK(r->f[i].rule != NULL && ca_lint_rule_find(r->f[i].rule->name) == r->f[i].rule);
		FUZZ_CHECK(memchr(r->f[i].message, '\0', sizeof(r->f[i].message)) != NULL);
		if (r->f[i].rule->severity == CA_LINT_ERROR)
			errors++;
		else
			warnings++;
	}
	FUZZ_CHECK(errors <= r->errors && warnings <= r->warnings);
	FUZZ_CHECK(r->n < CA_LINT_MAX_FINDINGS || r->errors + r->warnings >= r->n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct ca_lint_report r;
	struct ca_lint_ctx ctx;
	X509 *cert = NULL;
	X509_CRL *crl = NULL;

	if (!init) {
		hsm_global_init();
		init = 1;
	}
	if (ca_lint_read(data, size, &cert, &crl) != 0) {
		FUZZ_CHECK(cert == NULL && crl == NULL);
		ERR_clear_error();
		return 0;
	}
	FUZZ_CHECK((cert != NULL) != (crl != NULL));
	memset(&ctx, 0, sizeof(ctx));
	if (cert != NULL) {
		ca_lint_cert(cert, NULL, &r);
		report_check(&r);
		ctx.issuer = cert;
		ctx.profile = &profile;
		ca_lint_cert(cert, &ctx, &r);
		report_check(&r);
	} else {
		ca_lint_crl(crl, NULL, &r);
		report_check(&r);
		ctx.crl_kind = CA_LINT_CRL_DELTA;
		ctx.has_prev_number = 1;
		ctx.prev_number = 1;
		ca_lint_crl(crl, &ctx, &r);
		report_check(&r);
	}
	X509_free(cert);
	X509_CRL_free(crl);
	ERR_clear_error();
	return 0;
}
