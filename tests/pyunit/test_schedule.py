"""The conftest's pure scheduling logic: merging durations, the expected
time of unknown tests, the longest-first order and the run's estimate."""


import pytest

from cloudplugin import load

cloud = load()


def test_merge_starts_from_nothing():
    assert cloud.merge_durations({}, {"t::a": 1.5}) == {"t::a": 1.5}
    assert cloud.merge_durations(None, {"t::a": 1.5}) == {"t::a": 1.5}


def test_merge_moves_half_way():
    assert cloud.merge_durations({"t::a": 4.0}, {"t::a": 2.0}) == {"t::a": 3.0}
    # three runs at 1 s after one at 9 s come close to 1 s
    d = {"t::a": 9.0}
    for _ in range(3):
        d = cloud.merge_durations(d, {"t::a": 1.0})
    assert d == {"t::a": 2.0}


def test_merge_keeps_or_drops_tests_that_did_not_run():
    old = {"gone.py::t": 1.0, "here.py::t": 2.0}
    kept = cloud.merge_durations(old, {}, keep=lambda test: test.startswith("here.py"))
    assert kept == {"here.py::t": 2.0}


@pytest.mark.parametrize("junk", [[1, 2], "text", 3, {"t::a": "1"}, {"t::a": -1}, {"t::a": True}])
def test_merge_drops_a_cache_written_by_something_else(junk):
    assert cloud.merge_durations(junk, {"t::b": 1.0}) == {"t::b": 1.0}


def test_unknown_tests_count_as_the_median():
    times, known = cloud.expected_times(["a", "b", "c", "new"], {"a": 1.0, "b": 5.0, "c": 2.0})
    assert times == [1.0, 5.0, 2.0, 2.0] and known == 3


def test_nothing_recorded():
    assert cloud.expected_times(["a", "b"], {}) == ([0.0, 0.0], 0)
    assert cloud.longest_first(["a", "b", "c"], {}) == [0, 1, 2]
    assert cloud.estimate(["a", "b"], {}, 4) == (0.0, 0, 0.0)
    assert cloud.estimate([], {"a": 1.0}, 4) == (0.0, 0, 0.0)


def test_longest_first_with_ties_in_collection_order():
    tests = ["a", "b", "c", "d", "e"]
    durations = {"a": 0.1, "b": 3.0, "c": 0.1, "d": 3.0, "e": 0.5}
    assert cloud.longest_first(tests, durations) == [1, 3, 4, 0, 2]


def test_longest_first_after_renames():
    """A cache from an older layout: renamed and removed tests.  The old
    names are ignored, the new ones count as the median."""
    durations = {"old/test_x.py::t1": 9.0, "tests/test_x.py::t2": 4.0, "tests/test_x.py::t3": 1.0,
                 "tests/test_y.py::t4": 2.0}
    tests = ["tests/test_x.py::t1", "tests/test_x.py::t2", "tests/test_x.py::t3", "tests/test_y.py::t4"]
    # t1 (renamed) counts as the median of 4, 1 and 2: 2, tied with t4
    assert cloud.longest_first(tests, durations) == [1, 0, 3, 2]


def tail_suite():
    tests = ["t%d" % i for i in range(81)]
    durations = {t: 0.1 for t in tests[:80]}
    durations["t80"] = 4.0  # collected last
    return tests, durations


def test_estimate_longest_first():
    tests, durations = tail_suite()
    order = cloud.longest_first(tests, durations)
    seconds, known, longest = cloud.estimate(tests, durations, 4, order)
    # the long test on one worker, 8 s of short ones on three: 4 s
    assert (round(seconds, 6), known, longest) == (4.0, 81, 4.0)
    seconds, _, _ = cloud.estimate(tests, durations, 2, order)
    assert round(seconds, 6) == 6.0  # (8 + 4) / 2: the best two can do


def test_estimate_in_collection_order_sees_the_tail():
    tests, durations = tail_suite()
    seconds, _, _ = cloud.estimate(tests, durations, 4)
    assert round(seconds, 6) == 6.0  # 8 s over 4 workers, then the 4 s test


def test_estimate_bounds():
    """Never under sum / workers, nor under the longest test."""
    tests = ["a", "b", "c", "new"]
    durations = {"a": 3.0, "b": 1.0, "c": 1.0}
    seconds, known, longest = cloud.estimate(tests, durations, 2, cloud.longest_first(tests, durations))
    assert known == 3 and longest == 3.0
    assert seconds >= max(sum([3.0, 1.0, 1.0, 1.0]) / 2, 3.0)
    assert seconds == 3.0  # a on one worker, b + c + new (the median, 1) on the other
    assert cloud.estimate(tests, durations, 10)[0] == 3.0  # more workers than tests


# The DurationsBook: a run's durations, its first line, what it stores.

@pytest.mark.parametrize("earlier, wanted, dist, line, expected", [
    (None, True, "load", "pytest-cloud: 3 tests on 2 workers, scheduling via S", None),
    ({}, True, "load", "pytest-cloud: 3 tests, none with a recorded duration yet (in collection order), "
     "scheduling via S", None),
    ({"a": 4.0, "b": 1.0}, True, "load", "pytest-cloud: 3 tests, 2 with a recorded duration, longest first: "
     "about 4.0 s on 2 workers (longest test 4.0 s), scheduling via S", 4.0),
    ({"a": 4.0, "b": 1.0}, False, "load", "pytest-cloud: 3 tests, 2 with a recorded duration, in collection "
     "order: about 5.0 s on 2 workers (longest test 4.0 s), scheduling via S", 5.0),
    ({"a": 4.0, "b": 1.0}, True, "loadfile", "pytest-cloud: 3 tests, 2 with a recorded duration, longest "
     "first: about 4.0 s on 2 workers (longest test 4.0 s), scheduling via S", 4.0),
    ({"a": 4.0}, False, "each", "pytest-cloud: 3 tests, 1 with a recorded duration, --dist each: about "
     "8.0 s on 2 workers (longest test 4.0 s), scheduling via S", 8.0),
])
def test_the_first_line_says_how_and_how_long(earlier, wanted, dist, line, expected):
    book = cloud.DurationsBook(earlier, wanted)
    assert book.first_tests(["b", "c", "a"], 2, "S", dist, 10.0) == line
    assert book.expected == expected
    assert book.longest_first == bool(wanted and earlier)


def test_a_scheduler_whose_tests_are_unknown_is_named():
    book = cloud.DurationsBook({"a": 1.0}, True)
    assert book.first_tests(None, 3, "Theirs", "load", 1.0) == (
        "pytest-cloud: 3 workers, scheduling via Theirs (not one of xdist's: its tests are not counted here)")
    assert book.took() is None


def test_a_run_again_test_counts_its_last_attempt_and_the_time_is_taken_once_all_ended():
    book = cloud.DurationsBook({"a": 2.0, "b": 2.0}, False)
    book.first_tests(["a", "b"], 1, "S", "load", 100.0)
    for when, seconds in (("setup", 0.5), ("call", 9.0)):  # lost with its node: no teardown
        book.report("a", when, seconds, 101.0)
    for test in ("b", "a"):
        for when, seconds in (("setup", 0.1), ("call", 1.0), ("teardown", 0.2)):
            book.report(test, when, seconds, 103.0 if test == "b" else 105.5)
    book.report("a", "???", 7.0, 106.0)  # xdist's crash report is not a phase
    assert book.ran == {"a": pytest.approx(1.3), "b": pytest.approx(1.3)}
    assert book.tests_phase() == 5.5 and book.took() == (4.0, 5.5)
    assert book.to_store({"a": 2.0, "gone": 1.0}, keep=lambda t: t != "gone") == {
        "a": pytest.approx(1.65), "b": pytest.approx(1.3)}


def test_the_time_taken_is_not_said_before_every_test_ended():
    book = cloud.DurationsBook({"a": 2.0}, False)
    assert book.took() is None and book.tests_phase() is None
    book.first_tests(["a", "b"], 1, "S", "load", 0.0)
    book.report("a", "teardown", 0.1, 1.0)
    assert book.tests_phase() == 1.0 and book.took() is None
    assert cloud.DurationsBook(None, False).to_store({}, keep=lambda t: True) is None
