/* Unit tests for serials: positive, DER-minimal, <= 20 octets, random, time-ordered, one hex format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

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

/* Milliseconds since the epoch, as ca_serial_new reads them. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The 16 content octets of a fresh serial (its DER is 02 10 <16 octets>: first octet 0x01..0x7F). */
static void
serial_octets(unsigned char out[16], char hex[65])
{
	ASN1_INTEGER *ai = NULL;
	struct pechat_error e;

	assert_int_equal(ca_serial_new(&ai, hex, &e), PECHAT_OK);
	assert_int_equal(ASN1_STRING_length(ai), 16);
	memcpy(out, ASN1_STRING_get0_data(ai), 16);
	ASN1_INTEGER_free(ai);
	assert_true(out[0] != 0 && !(out[0] & 0x80));
	assert_int_equal(strlen(hex), 32);
}

/*
 * The encoding: 6 octets of milliseconds since the epoch (read between the
 * calls before and after), then 10 random octets that differ from serial to
 * serial even within one millisecond; a serial of a later millisecond is
 * greater as a number and as hex text (the store's order).
 */
static void
test_serial_time_ordered(void **state)
{
	unsigned char a[16], b[16];
	char ha[65], hb[65];
	struct timespec pause = { 0, 3000000L };
	uint64_t t0, t1, ms;
	int i;

	(void)state;
	t0 = now_ms();
	serial_octets(a, ha);
	serial_octets(b, hb);
	t1 = now_ms();
	for (ms = 0, i = 0; i < 6; i++)
		ms = ms << 8 | a[i];
	assert_true(ms >= t0 && ms <= t1);
	assert_memory_not_equal(a + 6, b + 6, 10);
	for (i = 0; i < 50; i++) {
		nanosleep(&pause, NULL);
		memcpy(a, b, sizeof(a));
		memcpy(ha, hb, sizeof(ha));
		serial_octets(b, hb);
		assert_true(memcmp(a, b, 6) < 0);
		assert_true(memcmp(a, b, 16) < 0);
		assert_true(strcmp(ha, hb) < 0);
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
		cmocka_unit_test(test_serial_time_ordered),
		cmocka_unit_test(test_serial_hex_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
