/*
 * clock: the one monotonic clock of the helper, for durations and
 * deadlines (never for dates).
 */
#ifndef PYTEST_CLOUD_CLOCK_H
#define PYTEST_CLOUD_CLOCK_H

/* Seconds on CLOCK_MONOTONIC. */
double clock_seconds(void);

#endif
