/*
 * tests/fuzz/fuzz.h — shared by the libFuzzer targets and replay.c.
 * FUZZ_CHECK aborts (a crash for libFuzzer, a failed ctest case for the
 * replay) with the broken invariant, also in release builds (no assert()).
 */
#ifndef PECHAT_FUZZ_H
#define PECHAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                        \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                \
		}                                                                               \
	} while (0)

#endif
