"""The timeline's pure parts (the conftest's TimelineBook, critical_tail,
timeline_data, timeline_html): placement on the controller's clock,
outcomes, re-runs after a lost node, the figures, escaping."""

import json
import re

from cloudplugin import load

cloud = load()


def run(book, test, node, worker, setup_at, call_at, end_at, outcome="passed", setup=0.1, call=0.5, xfail=False):
    book.report(test, node, worker, "setup", "passed", setup, False, setup_at)
    book.report(test, node, worker, "call", outcome, call, xfail, call_at)
    book.report(test, node, worker, "teardown", "passed", 0.01, False, end_at)


def test_a_test_is_placed_from_its_reports_arrival():
    book = cloud.TimelineBook(origin=100.0)
    # setup took 0.25 s and its report arrived at 102.0: the test began at 1.75
    run(book, "t", "a", "a_0", 102.0, 102.5, 102.6, setup=0.25)
    (test, node, worker, start, end, outcome, rerun, lost_on), = book.attempts
    assert (test, node, worker, outcome, rerun, lost_on) == ("t", "a", "a_0", "passed", False, None)
    assert abs(start - 1.75) < 1e-9 and abs(end - 2.6) < 1e-9


def test_outcomes():
    phases = cloud.attempt_outcome
    assert phases([("setup", "passed", False), ("call", "passed", False), ("teardown", "passed", False)]) == "passed"
    assert phases([("setup", "failed", False), ("teardown", "passed", False)]) == "error"
    assert phases([("setup", "skipped", False), ("teardown", "passed", False)]) == "skipped"
    assert phases([("setup", "skipped", True), ("teardown", "passed", False)]) == "xfailed"
    assert phases([("setup", "passed", False), ("call", "skipped", True)]) == "xfailed"
    assert phases([("setup", "passed", False), ("call", "passed", True)]) == "xpassed"
    assert phases([("setup", "passed", False), ("call", "failed", False)]) == "failed"
    assert phases([("setup", "passed", False), ("call", "passed", False), ("teardown", "failed", False)]) == "error"
    assert phases([("setup", "passed", False)]) == "crashed"


def test_a_test_lost_with_its_node_is_run_again_and_says_where():
    book = cloud.TimelineBook(origin=0.0)
    book.report("t", "a", "a_0", "setup", "passed", 0.0, False, 1.0)
    book.node_lost("a", 3.0, "connection lost")
    book.worker_down("a_0", 3.0, lost=True)
    run(book, "t", "b", "b_0", 3.5, 4.0, 4.1)
    run(book, "u", "b", "b_0", 4.2, 4.3, 4.4)
    first, again, other = book.attempts
    assert first[5:] == ("lost", False, None) and first[4] == 3.0
    assert again[5:] == ("passed", True, "a")
    assert other[5:] == ("passed", False, None)
    data = cloud.timeline_data(book, {"nodes": []})
    assert data["lost"] == [{"node": "a", "at": 3.0, "why": "connection lost"}]
    assert [t["rerun"] for t in data["tests"]] == [False, True, False]
    assert data["tests"][1]["lost_on"] == "a"
    assert {n["node"]: n["lost"] for n in data["nodes"]} == {"a": 3.0, "b": None}


def test_each_runs_a_test_on_every_worker_without_calling_it_a_rerun():
    book = cloud.TimelineBook(origin=0.0)
    run(book, "t", "a", "a_0", 1.0, 1.5, 1.6)
    run(book, "t", "b", "b_0", 1.0, 1.5, 1.6)
    assert [a[6] for a in book.attempts] == [False, False]


def test_critical_tail():
    # two workers busy to 4 s, then one alone to 10 s: the tail is 4 to 10
    assert cloud.critical_tail([(0, 4), (0, 10)], 2) is None  # one of two is half: not fewer
    assert cloud.critical_tail([(0, 4), (0, 4), (0, 10)], 3) == (4, 10)
    # busy to the end: no tail
    assert cloud.critical_tail([(0, 5), (0, 5), (0, 5)], 3) is None
    # the last tests ending one after another is not a tail
    assert cloud.critical_tail([(0, 10), (0, 10), (0, 10.1)], 3) is None
    # a gap in the middle does not count, only the last stretch
    assert cloud.critical_tail([(0, 2), (0, 2), (3, 9), (3, 9), (3, 12)], 3) == (9, 12)
    assert cloud.critical_tail([], 3) is None


def test_figures():
    book = cloud.TimelineBook(origin=0.0)
    run(book, "long", "a", "a_0", 0.1, 3.9, 4.0, setup=0.1)  # 0 to 4
    run(book, "s1", "b", "b_0", 0.1, 0.9, 1.0, setup=0.1)  # 0 to 1
    run(book, "s2", "b", "b_0", 1.1, 1.9, 2.0, setup=0.1)  # 1 to 2
    run(book, "s3", "b", "b_1", 0.1, 0.9, 1.0, setup=0.1)  # 0 to 1
    for worker, node in (("a_0", "a"), ("b_0", "b"), ("b_1", "b")):
        book.worker_ready(worker, node, 0.0)
    book.finish(5.0)
    plan = {"nodes": [{"node": "a", "gateway": "a", "status": "ok", "cpus": 4}]}
    data = cloud.timeline_data(book, plan, expected=3.5)
    f = data["figures"]
    assert f["wall"] == 4.0 and f["test_time"] == 7.0 and f["session"] == 5.0
    assert f["utilisation"] == round(7 / 12, 4)  # 7 s of 3 workers x 4 s
    assert f["longest"] == {"test": "long", "duration": 4.0}
    assert f["tail"] == {"start": 2.0, "end": 4.0}  # 1 of 3 busy from 2 s
    assert f["expected"] == 3.5
    nodes = {n["node"]: n for n in data["nodes"]}
    assert nodes["a"]["cpus"] == 4 and nodes["a"]["busy"] == 1.0 and nodes["b"]["busy"] == 0.375
    assert nodes["b"]["tests"] == 3 and nodes["b"]["processes"] == 2


HOSTILE = 'tests/t.py::test[</script><script>alert(1)</script>&\u2028]'


def test_a_test_id_is_text_not_markup():
    book = cloud.TimelineBook(origin=0.0)
    run(book, HOSTILE, "a", "a_0", 1.0, 1.5, 1.6)
    page = cloud.timeline_html(cloud.timeline_data(book, {"nodes": []}), title="<b>run</b>")
    # the only script ends are the page's own two
    assert page.count("</script>") == 2
    assert "<script>alert" not in page and "\u2028" not in page
    assert "<title>&lt;b&gt;run&lt;/b&gt;</title>" in page
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["names"] == [HOSTILE]
    # nothing leaves the file: the page's policy allows no source
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
