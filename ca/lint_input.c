/*
 * ca/lint_input.c — the linter's input for `pechat lint` and fuzz_lint: a
 * certificate or a CRL, DER or one PEM block ("CERTIFICATE" or "X509 CRL",
 * only whitespace around it), bounded; decoded by OpenSSL and linted with
 * ca/lint.c's rules.
 */
#include "ca_int.h"
#include "lint.h"

#include <ctype.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

/* 1 if buf[len] holds only ASCII whitespace. */
static int
all_space(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace(buf[i]))
			return 0;
	return 1;
}

/* The PEM block of data as DER (*der owned, OPENSSL_free) and its label (*name owned). 0 or -1. */
static int
pem_block(const unsigned char *data, size_t len, char **name, unsigned char **der, long *derlen)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *header = NULL;
	unsigned char rest[64];
	int n, rc = -1;

	*name = NULL;
	*der = NULL;
	if (bio == NULL || PEM_read_bio(bio, name, &header, der, derlen) != 1 || header[0] != '\0')
		goto out;
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0)
		if (!all_space(rest, (size_t)n))
			goto out;
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*name);
		OPENSSL_free(*der);
		*name = NULL;
		*der = NULL;
	}
	OPENSSL_free(header);
	BIO_free(bio);
	return rc;
}

/* See lint.h. */
int
ca_lint_read(const unsigned char *data, size_t len, X509 **cert, X509_CRL **crl)
{
	unsigned char *pemder = NULL;
	const unsigned char *der = data, *p;
	char *name = NULL;
	long derlen = (long)len;
	size_t skip = 0;
	int rc = -1;

	*cert = NULL;
	*crl = NULL;
	if (data == NULL || len == 0 || len > CA_LINT_INPUT_MAX)
		return -1;
	while (skip < len && isspace(data[skip]))
		skip++;
	if (len - skip >= 11 && memcmp(data + skip, "-----BEGIN ", 11) == 0) {
		if (pem_block(data, len, &name, &pemder, &derlen) != 0)
			goto out;
		der = pemder;
	}
	p = der;
	if ((name == NULL || strcmp(name, "CERTIFICATE") == 0) &&
	    (*cert = d2i_X509(NULL, &p, derlen)) != NULL && p == der + derlen) {
		rc = 0;
		goto out;
	}
	X509_free(*cert);
	*cert = NULL;
	p = der;
	if ((name == NULL || strcmp(name, "X509 CRL") == 0) &&
	    (*crl = d2i_X509_CRL(NULL, &p, derlen)) != NULL && p == der + derlen) {
		rc = 0;
		goto out;
	}
	X509_CRL_free(*crl);
	*crl = NULL;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(pemder);
	return rc;
}
