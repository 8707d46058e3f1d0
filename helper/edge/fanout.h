/*
 * fanout: run a job for each of n items on a fixed pool of threads.
 *
 * Model: min(n, max_workers) threads each take the next unstarted index
 * until none is left, so at most max_workers jobs run at once and a
 * finished job frees its slot at once.  fanout_run returns when every job
 * has returned.  Jobs must not share mutable state except through arg
 * with their own locking; each index is run exactly once.
 */
#ifndef PYTEST_CLOUD_FANOUT_H
#define PYTEST_CLOUD_FANOUT_H

#include <stddef.h>

typedef void (*fanout_fn)(size_t index, void *arg);

/* Runs fn(i, arg) for i in [0, n).  max_workers 0 means n.  Falls back to
 * fewer threads (down to the calling thread alone) when threads cannot be
 * created.  Returns the number of threads used. */
size_t fanout_run(size_t n, size_t max_workers, fanout_fn fn, void *arg);

#endif
