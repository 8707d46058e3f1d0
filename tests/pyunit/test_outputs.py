"""The end of a run: the plan's output paths (cloud_report and
cloud_timeline, as the helper resolved them), and Outputs, which writes
each file whole or says in one line why it cannot."""

import json
import os

import pytest

from cloudplugin import load

cloud = load()

TX = ["popen//id=n1_0//via=n1//python=p", "popen//id=n1_1//via=n1//python=p", "popen//id=n2_0//via=n2//python=p"]


@pytest.mark.parametrize("given, path", [
    (None, None),
    ("", None),
    ("r.json", "/run/here/r.json"),
    ("out/r.json", "/run/here/out/r.json"),
    ("/abs/r.json", "/abs/r.json"),
])
def test_the_plan_names_the_output_files_from_where_pytest_started(given, path):
    plan = cloud.Plan({"tx": TX, "report": given, "timeline": given}, "/run/here")
    assert plan.report == path and plan.timeline == path


def test_the_plan_carries_the_run_settings():
    plan = cloud.Plan({"tx": TX, "px": ["ssh=n1//id=n1", "ssh=n2//id=n2"], "schedule": "collection",
                       "fork": True, "sync_timeout": 30, "connect_timeout": 4, "helper_version": "9.9.9",
                       "nodes": [{"node": "u@n1", "gateway": "n1"}, {"node": "u@n3", "status": "excluded"}]})
    assert (plan.schedule, plan.fork, plan.sync_timeout, plan.connect_timeout) == ("collection", True, 30, 4)
    assert plan.capacity == {"n1": 2, "n2": 1} and plan.helper_version == "9.9.9"
    assert plan.node_of("n1_1") == "n1" and plan.node_of("elsewhere_0") is None
    assert plan.gateway_of("u@n1") == "n1" and plan.gateway_of("u@n3") is None


def facts():
    book = cloud.TimelineBook(0.0)
    for when, at in (("setup", 1.0), ("call", 1.5), ("teardown", 1.6)):
        book.report("t.py::a", "n1", "n1_0", when, "passed", 0.1, False, at)
    book.finish(2.0)
    timeline = cloud.timeline_data(book, {"nodes": []})
    report = {"plan": {"tx": TX}, "left_out": {}, "book": cloud.LossBook(), "unfinished": [], "exitstatus": 0,
              "seconds": 2.0, "versions": {"plugin": "x"}}
    return timeline, report


def test_both_files_are_written_and_said(tmp_path):
    said = []
    out = cloud.Outputs(str(tmp_path / "r.json"), str(tmp_path / "t.html"), said.append)
    timeline, report = facts()
    out.write(timeline, "the <title>", **report)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["exitstatus"] == 0 and [t["test"] for t in data["tests"]] == ["t.py::a"]
    assert set(data["timeline"]) == {"workers", "nodes", "lost", "figures"}
    assert "the &lt;title&gt;" in (tmp_path / "t.html").read_text()
    assert said == [] and sorted(os.listdir(tmp_path)) == ["r.json", "t.html"]  # no temporary left
    assert out.lines() == ["report written: %s" % (tmp_path / "r.json"),
                           "timeline written: %s" % (tmp_path / "t.html")]


def test_an_unwritable_path_is_one_line_and_the_other_file_still_goes(tmp_path):
    said = []
    out = cloud.Outputs(str(tmp_path / "no" / "r.json"), str(tmp_path / "t.html"), said.append)
    timeline, report = facts()
    out.write(timeline, "t", **report)
    assert said == ["pytest-cloud: cloud_report: cannot write '%s': No such file or directory"
                    % (tmp_path / "no" / "r.json")]
    assert out.lines() == ["timeline written: %s" % (tmp_path / "t.html")]


def test_nothing_asked_for_nothing_written(tmp_path):
    out = cloud.Outputs(None, None, lambda line: pytest.fail(line))
    out.write(*facts()[:1], "t", **facts()[1])
    assert out.lines() == [] and os.listdir(tmp_path) == []
