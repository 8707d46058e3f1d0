"""Durations of earlier runs: longest first (pure).

The durations of earlier runs live in pytest's cache (key cloud/durations:
{test id: seconds}).  A test's value is setup + call + teardown; each run
moves it half way to what was measured (a smoothed value: one slow or fast
run does not swing it).
"""

import heapq
import statistics


DURATIONS_KEY = "cloud/durations"


def merge_durations(old, ran, keep=lambda test: True):
    """The durations to store after a run: each test that ran gets the mean
    of its earlier value and this run's; the others keep theirs when
    keep(test) says so (their file is still there).  Values that are not
    numbers (a cache written by something else) are dropped."""
    merged = {}
    for test, seconds in (old or {}).items() if isinstance(old, dict) else ():
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds >= 0 and keep(test):
            merged[test] = float(seconds)
    for test, seconds in ran.items():
        merged[test] = round(seconds if test not in merged else (merged[test] + seconds) / 2, 6)
    return merged


def expected_times(tests, durations):
    """Each test's expected time: its recorded duration, or the median of
    the recorded ones when it has none (0 when nothing is recorded); and
    how many had one."""
    known = [durations[t] for t in tests if t in durations]
    median = statistics.median(known) if known else 0.0
    return [durations.get(t, median) for t in tests], len(known)


def longest_first(tests, durations):
    """The indices of tests, longest expected first; ties keep their
    collection order."""
    times, _ = expected_times(tests, durations)
    return sorted(range(len(tests)), key=lambda i: -times[i])


def estimate(tests, durations, workers, order=None):
    """(seconds, tests with a recorded duration, longest test): the run's
    expected time on workers when the tests go out in order (indices;
    collection order by default), each to the worker that is free first.
    Never under sum / workers nor under the longest test."""
    times, known = expected_times(tests, durations)
    if not times or workers < 1:
        return 0.0, known, 0.0
    free = [0.0] * min(workers, len(times))
    for i in order if order is not None else range(len(times)):
        heapq.heapreplace(free, free[0] + times[i])
    return max(free), known, max(times)

