/*
 * tests/fuzz/fuzz_dn.c — cer_dn_parse (ceremony/keygen.c), the subjects
 * an operator types for `pechat ceremony root` and `csr`. Invariants:
 *   - a refusal is INVALID "subject_invalid" and leaves *out NULL;
 *   - an accepted DN has 1..8 entries (each attribute once, only OU repeats), each with a non-empty value and no
 *     backslash, quote or '+' in it, and its DER re-parses to an equal name.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include <openssl/x509.h>

#include "ceremony/ceremony.h"

#define DN_MAX 4096

/* The accepted name's entries and its DER round trip. */
static void
check_name(X509_NAME *name)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_NAME *again;
	int i, n = X509_NAME_entry_count(name), len;

	FUZZ_CHECK(n >= 1 && n <= 8);
	for (i = 0; i < n; i++) {
		ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
		const unsigned char *d = ASN1_STRING_get0_data(v);
		int vl = ASN1_STRING_length(v);

		FUZZ_CHECK(vl > 0);
		FUZZ_CHECK(memchr(d, '\\', (size_t)vl) == NULL && memchr(d, '"', (size_t)vl) == NULL &&
		    memchr(d, '+', (size_t)vl) == NULL);
	}
	FUZZ_CHECK((len = i2d_X509_NAME(name, &der)) > 0);
	p = der;
	FUZZ_CHECK((again = d2i_X509_NAME(NULL, &p, len)) != NULL && p == der + len);
	FUZZ_CHECK(X509_NAME_cmp(name, again) == 0);
	X509_NAME_free(again);
	OPENSSL_free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dn[DN_MAX + 1];
	struct pechat_error e;
	X509_NAME *name = NULL;
	size_t n = size < DN_MAX ? size : DN_MAX;

	memcpy(dn, data, n);
	dn[n] = '\0';
	pechat_error_clear(&e);
	if (cer_dn_parse(dn, &name, &e) != PECHAT_OK) {
		FUZZ_CHECK(name == NULL);
		FUZZ_CHECK(strcmp(e.code, "subject_invalid") == 0);
		return 0;
	}
	FUZZ_CHECK(name != NULL);
	check_name(name);
	X509_NAME_free(name);
	return 0;
}
