/*
 * ca/util.c — process-wide OID registration (INNLE, identificationKind), ASN1_TIME conversion, serials.
 */
#include "ca_int.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

static CRYPTO_ONCE oid_once = CRYPTO_ONCE_STATIC_INIT;
static int nid_innle = NID_undef;
static int nid_identification_kind = NID_undef;

/*
 * OIDs of docs/SUBJECTS.md that OpenSSL 3.0 does not know. OBJ_create is not
 * thread-safe against concurrent lookups, hence the run-once.
 */
static void
oids_register(void)
{
	static const struct { const char *oid, *sn, *ln; } oids[] = {
		{ "1.2.643.100.4", "INNLE", "INN of legal entity" },
		{ "1.2.643.100.114", "identificationKind", "identification kind" },
	};
	size_t i;
	int nid;

	for (i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		if ((nid = OBJ_txt2nid(oids[i].oid)) == NID_undef)
			nid = OBJ_create(oids[i].oid, oids[i].sn, oids[i].ln);
		if (nid == NID_undef)
			pechat_log_openssl(PECHAT_LOG_ERROR, "ca: OBJ_create");
		if (strcmp(oids[i].sn, "INNLE") == 0)
			nid_innle = nid;
		else
			nid_identification_kind = nid;
	}
	ERR_clear_error();
}

int
ca_oids_init(void)
{
	if (CRYPTO_THREAD_run_once(&oid_once, oids_register) != 1 || nid_innle == NID_undef ||
	    nid_identification_kind == NID_undef)
		return -1;
	return 0;
}

int
ca_nid_identification_kind(void)
{
	ca_oids_init();
	return nid_identification_kind;
}

int
ca_nid_innle(void)
{
	ca_oids_init();
	return nid_innle;
}

int
ca_asn1_time_to_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
ca_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t bufsz)
{
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int rc = -1;

	if (serial == NULL || buf == NULL || ASN1_STRING_type(serial) != V_ASN1_INTEGER)
		goto out;
	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL || BN_is_zero(bn) || BN_is_negative(bn) ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;       /* zero and negative serials are never ours (RFC 5280 §4.1.2.2) */
	/* BN_bn2hex: upper-case, whole octets, no sign pad ("0F2A..." keeps its 0) */
	if (pechat_strlcpy(buf, hex, bufsz) >= bufsz)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ERR_clear_error();
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* See ca.h: the one serial format the store, the API and the logs use. */
int
ca_cert_serial_hex(const X509 *cert, char *buf, size_t bufsz)
{
	if (cert == NULL)
		return -1;
	return ca_serial_hex(X509_get0_serialNumber(cert), buf, bufsz);
}

/* The milliseconds since the epoch of the real-time clock (0 if it reads before the epoch). */
static uint64_t
serial_clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * See ca_int.h. RFC 5280 §4.1.2.2: positive, <= 20 octets, unpredictable.
 * 16 octets: 6 of milliseconds since the epoch (big-endian), then
 * SERIAL_RANDOM_OCTETS (80 bits) of CSPRNG output. The time prefix makes
 * serials issued later sort after earlier ones (as numbers, and as hex text:
 * the first octet is 0x01..0x7F from 2004 to 6429, so the hex has 32 digits), so a
 * batch's rows land at the right edge of every serial-keyed b-tree instead
 * of on random leaves; the random part keeps them unpredictable (>= 64 bits).
 */
#define SERIAL_TIME_OCTETS 6
#define SERIAL_RANDOM_OCTETS 10
enum pechat_err
ca_serial_new(ASN1_INTEGER **out, char hex[65], struct pechat_error *e)
{
	unsigned char b[SERIAL_TIME_OCTETS + SERIAL_RANDOM_OCTETS];
	uint64_t ms = serial_clock_ms();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	enum pechat_err rc;
	int i;

	*out = NULL;
	for (i = SERIAL_TIME_OCTETS - 1; i >= 0; i--, ms >>= 8)
		b[i] = (unsigned char)(ms & 0xff);
	b[0] &= 0x7f;   /* positive without a pad octet (a no-op before the year 6429) */
	if (RAND_bytes(b + SERIAL_TIME_OCTETS, SERIAL_RANDOM_OCTETS) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: serial: RAND_bytes");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "rng_failed", "no random serial");
		goto out;
	}
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL || BN_is_zero(bn) ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || ca_serial_hex(ai, hex, 65) != 0) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "ca: serial encoding");
		rc = pechat_fail(e, PECHAT_E_INTERNAL, "internal", "serial encoding");
		goto out;
	}
	*out = ai;
	ai = NULL;
	rc = PECHAT_OK;
out:
	OPENSSL_cleanse(b, sizeof(b));
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}
