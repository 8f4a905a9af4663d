#ifndef MONO_H
#define MONO_H

#include <time.h>

/* Milliseconds of the monotonic clock: for timeouts and deadlines, which
 * a step of the wall clock must neither stretch nor cut short. */
static inline long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
