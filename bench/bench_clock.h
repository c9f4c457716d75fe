/*
 * bench/bench_clock.h — the monotonic clock the bench programs time with
 * (pechat-loadgen, pechat-sigspeed): one definition for both.
 */
#ifndef PECHAT_BENCH_CLOCK_H
#define PECHAT_BENCH_CLOCK_H

#include <time.h>

/* Monotonic seconds. */
static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
