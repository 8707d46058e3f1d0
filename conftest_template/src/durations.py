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


class DurationsBook:
    """A run's durations: those of earlier runs (earlier; None: pytest's
    cache is off), what each test took in this run (its last attempt:
    setup + call + teardown), the estimate said before the first tests
    went out, and when they went out and the last one ended.  Pure: the
    times are passed in (the controller's monotonic clock)."""

    def __init__(self, earlier, longest_first_wanted):
        self.earlier = None if earlier is None else merge_durations(earlier, {})
        self.longest_first = bool(longest_first_wanted and self.earlier)
        self.ran = {}  # test id -> seconds this run
        self.timed = set()  # tests whose teardown report came
        self.expected = None  # the estimate said before the run
        self.expected_tests = 0
        self.started = None  # when the first tests went out
        self.ended = None  # when the last teardown report came

    def report(self, test, when, duration, at):
        """A test's report came (when: setup, call, teardown)."""
        if when not in ("setup", "call", "teardown"):
            return
        # a test run again starts its time afresh
        self.ran[test] = (0.0 if when == "setup" else self.ran.get(test, 0.0)) + duration
        if when == "teardown":
            self.timed.add(test)
            self.ended = at

    def first_tests(self, tests, workers, scheduler, dist, at):
        """The first tests are about to go out (tests: the collection, None
        when the scheduler's is not known; scheduler: its class name; dist:
        --dist): the line that says which
        scheduler hands them out, what is known of their durations and the
        run's expected time."""
        self.started = at
        if tests is None:
            return ("pytest-cloud: %d workers, scheduling via %s (not one of xdist's: its tests are not "
                    "counted here)" % (workers, scheduler))
        self.expected_tests = len(tests)
        if self.earlier is None:
            return "pytest-cloud: %d tests on %d workers, scheduling via %s" % (len(tests), workers, scheduler)
        order = longest_first(tests, self.earlier) if self.longest_first else None
        seconds, known, longest = estimate(tests, self.earlier, workers, order)
        how = "longest first" if self.longest_first and known else (
            "in collection order" if dist == "load" else "--dist " + dist)
        if not known:
            return ("pytest-cloud: %d tests, none with a recorded duration yet (%s), scheduling via %s"
                    % (len(tests), how, scheduler))
        self.expected = seconds
        return ("pytest-cloud: %d tests, %d with a recorded duration, %s: about %.1f s on %d workers "
                "(longest test %.1f s), scheduling via %s"
                % (len(tests), known, how, seconds, workers, longest, scheduler))

    def to_store(self, old, keep):
        """The durations to store in the cache after the run (old: what it
        holds; keep(test): whether a test that did not run is still
        there), or None when no test ran to its end."""
        if not self.timed:
            return None
        return merge_durations(old, {t: self.ran[t] for t in self.timed}, keep=keep)

    def tests_phase(self):
        """Seconds from the first tests out to the last one's end, or None."""
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    def took(self):
        """(estimate, seconds taken) once every test of the estimate ran to
        its end, else None."""
        if self.expected is None or self.tests_phase() is None or len(self.timed) < self.expected_tests:
            return None
        return self.expected, self.tests_phase()
