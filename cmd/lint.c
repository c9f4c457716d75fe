/*
 * cmd/lint.c — `pechat lint [--issuer CERT] FILE`: runs the linter's rules
 * (docs/LINT.md) on a certificate or a CRL, DER or PEM, from any CA, and
 * prints each finding as "error|warning <rule> (<source>): <message>".
 * No configuration or store is read. Exit codes: 0 no error finding, 1 at
 * least one error, 2 usage or an unreadable file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ca/lint.h"
#include "cmd/lint.h"
#include "common/common.h"
#include "hsm/hsm.h"

static void
lint_usage(FILE *f)
{
	fprintf(f, "usage: pechat lint [--issuer CERT] FILE\n"
	    "  FILE: a certificate or a CRL, DER or PEM (at most %d MiB)\n"
	    "  --issuer CERT: the issuer's certificate (AKI, issuer name, validity, GOST key size)\n",
	    CA_LINT_INPUT_MAX / (1024 * 1024));
}

/* Reads and decodes path; a message on stderr and -1 when unreadable. */
static int
lint_load(const char *path, X509 **cert, X509_CRL **crl)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	if (pechat_file_read(path, CA_LINT_INPUT_MAX, &buf, &len) != 0) {
		fprintf(stderr, "pechat lint: %s: cannot be read (missing, unreadable or over %d MiB)\n", path,
		    CA_LINT_INPUT_MAX / (1024 * 1024));
		return -1;
	}
	if ((rc = ca_lint_read(buf, len, cert, crl)) != 0)
		fprintf(stderr, "pechat lint: %s: not a certificate or CRL (DER, or one PEM block)\n", path);
	free(buf);
	return rc;
}

/* Prints the report's findings and a summary line; the exit code. */
static int
lint_print(const char *path, const struct ca_lint_report *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		printf("%s %s (%s): %s\n", r->f[i].rule->severity == CA_LINT_ERROR ? "error" : "warning",
		    r->f[i].rule->name, r->f[i].rule->source, r->f[i].message);
	printf("%s: %d error(s), %d warning(s)\n", path, r->errors, r->warnings);
	return r->errors > 0 ? 1 : 0;
}

int
pechat_lint_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "issuer", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ca_lint_ctx ctx = { 0 };
	struct ca_lint_report *r = NULL;
	X509 *cert = NULL, *issuer = NULL;
	X509_CRL *crl = NULL, *icrl = NULL;
	const char *issuer_path = NULL;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': issuer_path = optarg; break;
		case 'h': lint_usage(stdout); return 0;
		default: lint_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		lint_usage(stderr);
		return 2;
	}
	hsm_global_init();      /* gost-engine: GOST keys decode */
	if ((r = malloc(sizeof(*r))) == NULL)
		goto out;
	if (issuer_path != NULL && (lint_load(issuer_path, &issuer, &icrl) != 0 || issuer == NULL)) {
		if (icrl != NULL)
			fprintf(stderr, "pechat lint: %s: a CRL, not an issuer certificate\n", issuer_path);
		goto out;
	}
	if (lint_load(argv[optind], &cert, &crl) != 0)
		goto out;
	ctx.issuer = issuer;
	if (cert != NULL)
		ca_lint_cert(cert, &ctx, r);
	else
		ca_lint_crl(crl, &ctx, r);
	rc = lint_print(argv[optind], r);
out:
	free(r);
	X509_free(cert);
	X509_free(issuer);
	X509_CRL_free(crl);
	X509_CRL_free(icrl);
	return rc;
}
