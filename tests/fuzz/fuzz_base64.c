/*
 * tests/fuzz/fuzz_base64.c — pechat_base64_decode / _encode (common/codec.c).
 * The decoder reads GET /ocsp/{base64} (web/h_ocsp.c) straight from the URL.
 * Invariants:
 *   - encode(data) is 4*ceil(n/3) characters and decodes back to data;
 *   - decode is strict RFC 4648 §4 ("Strict RFC 4648 base64 with padding;
 *     no whitespace", codec.c): whatever it accepts is canonical, so
 *     encode(decode(data)) == data, and the output is never longer than
 *     3/4 of the input.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "common/common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *dec = NULL, *back = NULL;
	char *enc = NULL, *in = NULL;
	size_t declen = 0, backlen = 0;

	/* round trip of arbitrary bytes */
	FUZZ_CHECK(pechat_base64_encode(data, size, &enc) == 0 && enc != NULL);
	FUZZ_CHECK(strlen(enc) == 4 * ((size + 2) / 3));
	if (size > 0) {
		FUZZ_CHECK(pechat_base64_decode(enc, strlen(enc), &back, &backlen) == 0);
		FUZZ_CHECK(backlen == size && memcmp(back, data, size) == 0);
	}
	free(back);
	free(enc);
	enc = NULL;

	/* the input as base64 text (an exact-size copy: ASan sees any over-read) */
	if ((in = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(in, data, size);
	if (pechat_base64_decode(in, size, &dec, &declen) == 0) {
		FUZZ_CHECK(dec != NULL && declen <= size / 4 * 3);
		FUZZ_CHECK(pechat_base64_encode(dec, declen, &enc) == 0);
		FUZZ_CHECK(strlen(enc) == size && memcmp(enc, in, size) == 0);
	} else
		FUZZ_CHECK(dec == NULL && declen == 0);
	free(enc);
	free(dec);
	free(in);
	return 0;
}
