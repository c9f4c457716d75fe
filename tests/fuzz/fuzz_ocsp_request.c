/*
 * tests/fuzz/fuzz_ocsp_request.c — ca_ocsp_request_parse (ca/ocsp.c) on
 * untrusted DER (POST /ocsp bodies, GET /ocsp/ after base64), then
 * ca_ocsp_certid_match of every CertID against two issuers (EC P-256 and
 * RSA-2048: the certificates of fuzz_issuers.pem, for which gen_corpus.sh
 * makes requests, so matching CertIDs are in the corpus) and an
 * "operators" CA that must never match. An input that is not a request is
 * also tried as a bare CertID, so the matcher sees arbitrary CertIDs too.
 * Invariants: a request that parses has 1..16 CertIDs, each with its
 * fields, at most one nonce of 1..32 octets, re-encodes to exactly the
 * input (DER) and re-parses (answers echo its CertIDs and nonce); a
 * refusal leaves *out NULL with a code and no OpenSSL error queued;
 * matching a parsed CertID names "ecdsa", "rsa" or nothing.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "ca/ca_int.h"
#include "hsm/hsm.h"

/* tests/fuzz/fuzz_issuers.pem (keys thrown away) */
static const char issuers_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB0jCCAXegAwIBAgIUZRllCiijZ7XJgT+Qd7xCf8ZDSmgwCgYIKoZIzj0EAwIw\n"
	"PTELMAkGA1UEBhMCUlUxFDASBgNVBAoMC1BlY2hhdCBGdXp6MRgwFgYDVQQDDA9G\n"
	"dXp6IElzc3VpbmcgQ0EwIBcNMjYxMTI1MTIxMDUyWhgPMjEyNjExMDExMjEwNTJa\n"
	"MD0xCzAJBgNVBAYTAlJVMRQwEgYDVQQKDAtQZWNoYXQgRnV6ejEYMBYGA1UEAwwP\n"
	"RnV6eiBJc3N1aW5nIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+qh8F0Vc\n"
	"mgHzjnZ9Pg5QRpryfzh/w87wfI03RRrvoQ+YG6klkOD8n/rDgOhGwImLRiaVx8h6\n"
	"bjpszYT9sRQZjKNTMFEwHQYDVR0OBBYEFIs1IMqt6m/JKmMDGeaZHG/PtqIZMB8G\n"
	"A1UdIwQYMBaAFIs1IMqt6m/JKmMDGeaZHG/PtqIZMA8GA1UdEwEB/wQFMAMBAf8w\n"
	"CgYIKoZIzj0EAwIDSQAwRgIhAN04tGN/JYfSiD6eybEJKEXT6Vl9xOXtoEAa2Ydm\n"
	"UhB4AiEAmGBvmgrn5RIhU7EAJYybyPRE4K0pogmE02bSL9G8Jt0=\n"
	"-----END CERTIFICATE-----\n"
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDETCCAfmgAwIBAgIUClEUtLzdPvdT1YYtwQozVGp8ugYwDQYJKoZIhvcNAQEL\n"
	"BQAwFzEVMBMGA1UEAwwMRnV6eiBSb290IENBMCAXDTI2MTEyNTEyMTA1MloYDzIx\n"
	"MjYxMTAxMTIxMDUyWjAXMRUwEwYDVQQDDAxGdXp6IFJvb3QgQ0EwggEiMA0GCSqG\n"
	"SIb3DQEBAQUAA4IBDwAwggEKAoIBAQCt70uDRnYSn4BH1NdXjtnxT9dvm3NV+bfN\n"
	"+Nohpzur0ir3l5+ASG6c2LAQ5yBh+vmge9JDXvDEmao3l0QIE8snh/fT2cgFrJ15\n"
	"BOSsoNk668jzsEPCf4kcOmaGBMbLPw6Cm2dEreQGisY9dMd+B+W2bLr5yI7xAVz8\n"
	"Q3nY6xaoikL/heHkroqKT0bX8luvZxwKju1T1qOY6Da4oHHd4xEV5JgkZgjnFn0y\n"
	"z/bLNITudPk6FCJ6/YkZuRwwccSlRv+uPLFlthTUqnJQRNngTOzZldmScZIcb86h\n"
	"4zpLYoH/mHjXqArHk6vcnrgUMldA98wnkJjY2qASVDDMOaA8f0U9AgMBAAGjUzBR\n"
	"MB0GA1UdDgQWBBRWkrfffQ2COPC8VIGkWJ/er3mBqDAfBgNVHSMEGDAWgBRWkrff\n"
	"fQ2COPC8VIGkWJ/er3mBqDAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUA\n"
	"A4IBAQAL658IZdrGlAvpd+27dNZ62vKUg3KGBw8z9hS4Q431pfIX/IAII6PV5csp\n"
	"dm2YRJPoJdzAKYuUt9YfKIufN6agc8QLrg6MEkcvS3pYzj3qv4gAZkkLtiC5Kc4a\n"
	"gAch46m4egbVUrO/77o8RJ4Wf/UkMX6DrTFvgMFo1cpw40gqMn9VthNzGiJKLwRf\n"
	"1UMHsoTGabzZjrkI08y5C00SlTO/h82KbMgcdXYivpwor+KMb8jEdvlu7h0kRO+A\n"
	"Fa1tkw1NLn5SoFj7Y37Io137Xo3IaKTsTTSdULqFqCws998oSmyj+p8YgkP7c6DR\n"
	"oXE8AqguWtivbkw5aCUXNWaIuyNr\n"
	"-----END CERTIFICATE-----\n";

/* Built once, kept until exit. */
static struct ca fake_ca;
static struct ca_issuer fake_issuers[3];
static struct ca_ocsp_ids *ids;

static void
init_ids(void)
{
	static const char *const names[] = { "ecdsa", "rsa", "operators" };
	BIO *bio;
	int i;

	hsm_global_init();
	pechat_log_set_level(PECHAT_LOG_ERROR);
	FUZZ_CHECK((bio = BIO_new_mem_buf(issuers_pem, -1)) != NULL);
	for (i = 0; i < 3; i++) {
		struct ca_issuer *is = &fake_issuers[i];

		pechat_strlcpy(is->name, names[i], sizeof(is->name));
		pechat_strlcpy(is->kind, i == 2 ? "operators" : "issuing", sizeof(is->kind));
		if (i < 2)
			FUZZ_CHECK((is->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL);
		else    /* never answered for, even with the same certificate as "ecdsa" */
			FUZZ_CHECK((is->cert = X509_dup(fake_issuers[0].cert)) != NULL);
	}
	BIO_free(bio);
	fake_ca.issuers = fake_issuers;
	fake_ca.n_issuers = 3;
	FUZZ_CHECK((ids = ca_ocsp_ids_new(&fake_ca)) != NULL);
}

static void
check_certid(OCSP_CERTID *cid)
{
	struct ca_ocsp_certid_info info;
	struct pechat_error e;
	enum pechat_err rc;
	size_t n;

	pechat_error_clear(&e);
	memset(&info, 0x5a, sizeof(info));
	rc = ca_ocsp_certid_match(ids, cid, &info, &e);
	FUZZ_CHECK(rc == PECHAT_OK || rc == PECHAT_E_INVALID);
	FUZZ_CHECK(memchr(info.serial, '\0', sizeof(info.serial)) != NULL);
	FUZZ_CHECK(memchr(info.issuer, '\0', sizeof(info.issuer)) != NULL);
	n = strlen(info.serial);
	FUZZ_CHECK(n == 0 || (pechat_is_hex(info.serial, 64) && n % 2 == 0));
	if (rc != PECHAT_OK) {
		FUZZ_CHECK(!info.issuer_found && strcmp(e.code, "ocsp_malformed") == 0);
		return;
	}
	if (info.issuer_found) {
		FUZZ_CHECK(strcmp(info.issuer, "ecdsa") == 0 || strcmp(info.issuer, "rsa") == 0);
		FUZZ_CHECK(info.md_nid != NID_undef);
	} else
		FUZZ_CHECK(info.issuer[0] == '\0');
}

static void
check_nonce(OCSP_REQUEST *req)
{
	int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	const ASN1_OCTET_STRING *val;
	ASN1_OCTET_STRING *inner;
	const unsigned char *p;

	FUZZ_CHECK(ca_ocsp_request_has_nonce(req) == (i >= 0));
	if (i < 0)
		return;
	FUZZ_CHECK(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, i) < 0);
	val = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, i));
	p = ASN1_STRING_get0_data(val);
	FUZZ_CHECK((inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(val))) != NULL);
	FUZZ_CHECK(ASN1_STRING_length(inner) >= 1 && ASN1_STRING_length(inner) <= CA_OCSP_NONCE_MAX);
	ASN1_OCTET_STRING_free(inner);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pechat_error e;
	OCSP_REQUEST *req = (OCSP_REQUEST *)1, *again = NULL;
	OCSP_CERTID *cid;
	unsigned char *der = NULL;
	const unsigned char *p;
	enum pechat_err rc;
	int i, n, len;

	if (ids == NULL)
		init_ids();
	pechat_error_clear(&e);
	rc = ca_ocsp_request_parse(data, size, &req, &e);
	if (rc != PECHAT_OK) {
		FUZZ_CHECK(req == NULL && e.code[0] != '\0');
		FUZZ_CHECK((rc == PECHAT_E_TOO_LARGE) == (size > CA_OCSP_REQUEST_MAX));
		FUZZ_CHECK(rc == PECHAT_E_TOO_LARGE || rc == PECHAT_E_INVALID);
		FUZZ_CHECK(ERR_peek_error() == 0);
		/* the matcher on a bare CertID */
		p = data;
		if (size <= CA_OCSP_REQUEST_MAX && (cid = d2i_OCSP_CERTID(NULL, &p, (long)size)) != NULL) {
			check_certid(cid);
			OCSP_CERTID_free(cid);
		}
		ERR_clear_error();
		return 0;
	}
	FUZZ_CHECK(req != NULL && size <= CA_OCSP_REQUEST_MAX);
	n = OCSP_request_onereq_count(req);
	FUZZ_CHECK(n >= 1 && n <= CA_OCSP_MAX_CERTIDS);
	check_nonce(req);
	for (i = 0; i < n; i++) {
		OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, i);

		FUZZ_CHECK(one != NULL && (cid = OCSP_onereq_get0_id(one)) != NULL);
		check_certid(cid);
	}
	/* CertIDs are copied into responses and the nonce echoed: the request re-encodes to its input */
	FUZZ_CHECK((len = i2d_OCSP_REQUEST(req, &der)) > 0);
	FUZZ_CHECK((size_t)len == size && memcmp(der, data, size) == 0);
	p = der;
	FUZZ_CHECK((again = d2i_OCSP_REQUEST(NULL, &p, len)) != NULL && p == der + len);
	FUZZ_CHECK(OCSP_request_onereq_count(again) == n);
	OCSP_REQUEST_free(again);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return 0;
}
