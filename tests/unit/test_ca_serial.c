/* Unit tests for serials: positive, DER-minimal, <= 20 octets, random, one hex format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/bn.h>

#include "ca/ca.h"
#include "ca/ca_int.h"

static void
test_serial_properties(void **state)
{
	char seen[64][65];
	int i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		ASN1_INTEGER *ai = NULL;
		unsigned char *der = NULL;
		struct pechat_error e;
		BIGNUM *bn;
		int len;

		assert_int_equal(ca_serial_new(&ai, seen[i], &e), PECHAT_OK);
		assert_int_equal(ASN1_STRING_type(ai), V_ASN1_INTEGER);   /* positive */
		bn = ASN1_INTEGER_to_BN(ai, NULL);
		assert_non_null(bn);
		assert_false(BN_is_zero(bn));
		assert_false(BN_is_negative(bn));
		assert_true(BN_num_bits(bn) <= 127);
		assert_true(BN_num_bits(bn) >= 113);                      /* >= 64 bits of entropy */
		/* DER: 02 len content, content <= 16 octets, minimal */
		len = i2d_ASN1_INTEGER(ai, &der);
		assert_true(len >= 2 && len <= 18);
		assert_int_equal(der[1], len - 2);
		assert_true(der[2] != 0x00 || (der[3] & 0x80));
		assert_false(der[2] & 0x80);
		/* hex: upper case, matches BN_bn2hex */
		{
			char *hex = BN_bn2hex(bn);

			assert_string_equal(seen[i], hex);
			OPENSSL_free(hex);
		}
		for (j = 0; seen[i][j] != '\0'; j++)
			assert_true((seen[i][j] >= '0' && seen[i][j] <= '9') ||
			    (seen[i][j] >= 'A' && seen[i][j] <= 'F'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
		OPENSSL_free(der);
		BN_free(bn);
		ASN1_INTEGER_free(ai);
	}
}

static void
test_serial_hex_format(void **state)
{
	X509 *cert = X509_new();
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	BIGNUM *bn = NULL;
	char buf[65];

	(void)state;
	/* a leading zero nibble stays: whole octets, as BN_bn2hex prints them */
	assert_true(BN_hex2bn(&bn, "0F2A") > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, ai));
	assert_int_equal(X509_set_serialNumber(cert, ai), 1);
	assert_int_equal(ca_cert_serial_hex(cert, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0F2A");
	/* the top bit set: no "00" sign pad in the hex */
	BN_free(bn);
	bn = NULL;
	assert_true(BN_hex2bn(&bn, "80FF") > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, ai));
	assert_int_equal(X509_set_serialNumber(cert, ai), 1);
	assert_int_equal(ca_cert_serial_hex(cert, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "80FF");
	assert_int_equal(ca_cert_serial_hex(cert, buf, 4), -1);
	/* negative serials are not ours */
	assert_int_equal(ASN1_INTEGER_set(ai, -5), 1);
	assert_int_equal(X509_set_serialNumber(cert, ai), 1);
	assert_int_equal(ca_cert_serial_hex(cert, buf, sizeof(buf)), -1);
	assert_int_equal(ca_cert_serial_hex(NULL, buf, sizeof(buf)), -1);
	BN_free(bn);
	ASN1_INTEGER_free(ai);
	X509_free(cert);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_properties),
		cmocka_unit_test(test_serial_hex_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
