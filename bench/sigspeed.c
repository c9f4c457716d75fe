/*
 * bench/sigspeed.c — pechat-sigspeed, the signature floor of bench/issue.
 *
 *   pechat-sigspeed --key KEY.pem [--seconds S]
 *
 * Signs, then verifies, a 512-byte message with KEY (the `openssl ca` peer's CA
 * key, of the algorithm being benchmarked; GOST keys need gost-engine through
 * OPENSSL_CONF) for S seconds each (default 1) on one thread, each operation on a
 * fresh copy of a context set up once (as pechatd's hsm/sign.c does), with the
 * digest that follows the key: SHA-256 for EC and RSA, Streebog-256/512 for GOST
 * 2012-256/512. Prints "sign_per_s X" and "verify_per_s Y". bench/issue turns
 * them into the most certificates per second the cores could issue if they did
 * nothing but the signatures and verifications each certificate needs.
 *
 * A benchmark tool (built with -DPECHAT_BENCH=ON, never part of ctest or the daemon).
 */
#include "bench_clock.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define MSG_LEN 512
#define SIG_MAX 1024

/* The digest pechatd signs with for key's type: SHA-256 for EC and RSA, else (GOST) Streebog of the key's size. */
static const EVP_MD *
digest_for(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "EC") || EVP_PKEY_is_a(key, "RSA"))
		return EVP_sha256();
	return EVP_get_digestbyname(EVP_PKEY_get_bits(key) == 512 ? "md_gost12_512" : "md_gost12_256");
}

/*
 * Operations per second of sign (verify == 0) or verify over msg for about
 * secs seconds, each on a copy of tmpl; -1 on failure. sig and *siglen: the
 * signature made (sign) or checked (verify).
 */
static double
rate(const EVP_MD_CTX *tmpl, int verify, const unsigned char *msg, unsigned char *sig, size_t *siglen,
    double secs)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	double t0 = now_s();
	long n = 0;
	size_t len;
	int ok = 0;

	if (ctx == NULL)
		return -1;
	do {
		if (EVP_MD_CTX_copy_ex(ctx, tmpl) != 1)
			break;
		len = SIG_MAX;
		ok = verify ? EVP_DigestVerify(ctx, sig, *siglen, msg, MSG_LEN) == 1
			    : EVP_DigestSign(ctx, sig, &len, msg, MSG_LEN) == 1;
		if (!ok)
			break;
		if (!verify)
			*siglen = len;
		n++;
	} while (now_s() - t0 < secs);
	EVP_MD_CTX_free(ctx);
	return ok && n > 0 ? (double)n / (now_s() - t0) : -1;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "key", 1, NULL, 'k' }, { "seconds", 1, NULL, 's' }, { NULL, 0, NULL, 0 } };
	unsigned char msg[MSG_LEN], sig[SIG_MAX];
	EVP_MD_CTX *stmpl = EVP_MD_CTX_new(), *vtmpl = EVP_MD_CTX_new();
	const char *keyfile = NULL;
	double secs = 1, sps, vps;
	size_t siglen = 0;
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'k')
			keyfile = optarg;
		else if (ch == 's')
			secs = strtod(optarg, NULL);
		else
			secs = -1;
	}
	if (keyfile == NULL || !(secs > 0 && secs <= 60)) {
		fprintf(stderr, "usage: pechat-sigspeed --key KEY.pem [--seconds S (0..60]]\n");
		return 2;
	}
	if ((f = fopen(keyfile, "r")) == NULL || (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "pechat-sigspeed: cannot read the private key %s\n", keyfile);
		goto out;
	}
	if (stmpl == NULL || vtmpl == NULL || RAND_bytes(msg, sizeof(msg)) != 1 ||
	    EVP_DigestSignInit(stmpl, NULL, digest_for(key), NULL, key) != 1 ||
	    EVP_DigestVerifyInit(vtmpl, NULL, digest_for(key), NULL, key) != 1 ||
	    (sps = rate(stmpl, 0, msg, sig, &siglen, secs)) < 0 || (vps = rate(vtmpl, 1, msg, sig, &siglen, secs)) < 0) {
		fprintf(stderr, "pechat-sigspeed: signing or verifying with %s failed\n", keyfile);
		goto out;
	}
	printf("sign_per_s %.0f\nverify_per_s %.0f\n", sps, vps);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	EVP_PKEY_free(key);
	EVP_MD_CTX_free(stmpl);
	EVP_MD_CTX_free(vtmpl);
	return rc;
}
