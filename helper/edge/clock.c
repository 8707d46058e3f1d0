/* clock: the monotonic clock (see clock.h). */
#define _GNU_SOURCE
#include "clock.h"

#include <time.h>

double clock_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
