"""Longest tests first, from the durations of earlier runs (pytest's cache,
key cloud/durations), on real nodes."""

import json
import os
import shutil

import pytest

from conftest import junit_outcomes

RECORDS = '''import json, os, time
import pytest


@pytest.fixture(autouse=True)
def record_where(request):
    start = time.time()
    yield
    out = os.path.join(os.getcwd(), "ran")
    os.makedirs(out, exist_ok=True)
    name = request.node.nodeid.replace("/", "_").replace(":", "_")
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump({"nodeid": request.node.nodeid, "start": start,
                   "worker": os.environ.get("PYTEST_XDIST_WORKER")}, f)
'''
SHORT = '''import time
import pytest

pytestmark = pytest.mark.conftest_only


@pytest.mark.parametrize("n", range(16))
def test_short(n):
    time.sleep(0.05)
'''
LONG = '''import time


def test_long():
    time.sleep(1.5)
'''
LONG_ID = "tests/test_z.py::test_long"


@pytest.fixture
def skewed(project):
    """16 short tests, then one long one collected last."""
    tests = os.path.join(project.path, "tests")
    shutil.rmtree(tests)
    os.makedirs(tests)
    for name, text in (("conftest.py", RECORDS), ("test_a.py", SHORT), ("test_z.py", LONG)):
        with open(os.path.join(tests, name), "w") as f:
            f.write(text)
    return project


def starts(project):
    """{test id: [start times]} from every node's records; clears them."""
    found = {}
    for node in (project.cluster.nodes["node1"], project.cluster.nodes["node2"]):
        for rec in project.records(node):
            found.setdefault(rec["nodeid"], []).append(rec["start"])
        shutil.rmtree(node.path("pytest_%s_proj" % project.cluster.user, "ran"), ignore_errors=True)
    return found


def rank(starts_of, test):
    """How many tests started before test's first start (ties count as
    before): an order, without a threshold in seconds."""
    first = min(starts_of[test])
    return sum(1 for other, times in starts_of.items() if other != test and min(times) <= first)


def junit_times(path):
    """{test id: seconds} as junit has them (setup + call + teardown,
    three decimals)."""
    import xml.etree.ElementTree as ET

    found = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test = "%s::%s" % (case.get("classname").replace(".", "/") + ".py", case.get("name"))
        found[test] = float(case.get("time"))
    return found


def durations_file(project):
    return os.path.join(project.path, ".pytest_cache", "v", "cloud", "durations")


@pytest.mark.stack
def test_the_second_run_takes_the_longest_first(skewed, tmp_path):
    junit = str(tmp_path / "junit.xml")
    r = skewed.pytest("--junitxml=" + junit, cache=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "17 tests, none with a recorded duration yet (in collection order)" in r.stdout
    first = starts(skewed)
    with open(durations_file(skewed)) as f:
        recorded = json.load(f)
    assert len(recorded) == 17 and recorded[LONG_ID] >= 1.5
    # in collection order the long test starts after most short ones
    assert rank(first, LONG_ID) >= 8, first

    r = skewed.pytest("--junitxml=" + junit, cache=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "17 tests, 17 with a recorded duration, longest first: about " in r.stdout
    assert "estimated " in r.stdout and " s for the tests, took " in r.stdout
    second = starts(skewed)
    # among the first, one a worker (3 workers)
    assert rank(second, LONG_ID) < 3, second
    # every test exactly once, in junit and on the nodes
    assert junit_outcomes(junit) == {t: ["passed"] for t in second}
    assert sorted(len(v) for v in second.values()) == [1] * 17
    # each stored value moved half way to this run's (junit has three
    # decimals of this run's)
    with open(durations_file(skewed)) as f:
        again = json.load(f)
    took = junit_times(junit)
    assert set(again) == set(recorded) == set(took)
    for test in again:
        assert abs(again[test] - (recorded[test] + took[test]) / 2) < 0.002, test


@pytest.mark.stack
def test_an_explicit_dist_mode_is_kept(skewed):
    assert skewed.pytest(cache=True).returncode == 0
    r = skewed.pytest("-v", "--dist", "loadfile", cache=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scheduling via LoadFileScheduling" in r.stdout
    assert "17 tests, 17 with a recorded duration, --dist loadfile: about" in r.stdout
    r = skewed.pytest("-v", "--dist", "load", cache=True)
    assert "scheduling via LoadScheduling" in r.stdout
    assert "in collection order" in r.stdout


def test_collection_order_on_request(skewed):
    assert skewed.pytest(cache=True).returncode == 0
    starts(skewed)
    r = skewed.pytest("--cloud-schedule=collection", cache=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "in collection order" in r.stdout
    got = starts(skewed)
    assert rank(got, LONG_ID) >= 8, got


def test_without_the_cache_nothing_is_recorded(skewed):
    r = skewed.pytest()  # -p no:cacheprovider
    assert r.returncode == 0, r.stdout + r.stderr
    assert "recorded duration" not in r.stdout
    assert not os.path.exists(os.path.join(skewed.path, ".pytest_cache"))


@pytest.mark.stack
def test_exitfirst_still_stops_early(skewed):
    assert skewed.pytest(cache=True).returncode == 0
    starts(skewed)
    with open(os.path.join(skewed.path, "tests", "test_b.py"), "w") as f:
        f.write("def test_fails():\n    assert False\n")
    r = skewed.pytest("-x", cache=True)
    # xdist ends a -x run as interrupted (2; 1 on some versions), as with
    # local workers
    assert r.returncode in (1, 2), r.stdout + r.stderr
    assert "1 failed" in r.stdout and "stopping after 1 failures" in r.stdout
    assert "estimated " not in r.stdout  # no estimate against a cut run
    ran = starts(skewed)
    assert len(ran) < 17, sorted(ran)
