/*
 * What the benchmarks share: a monotonic clock in nanoseconds and the
 * ordering qsort() needs to take medians of samples.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdlib.h>
#include <time.h>

/** now_ns() - CLOCK_MONOTONIC, in nanoseconds. */
static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/** cmp_double() - qsort() order of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/** median() - the median of @n samples (@n > 0), sorting them in place. */
static inline double median(double *v, int n)
{
	/* Every caller fills v[0..n) in its timing loop, which cppcheck does
	 * not follow. */
	/* cppcheck-suppress uninitvar */
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

#endif
