"""The end of a run: the plan's output paths (cloud_report and
cloud_timeline, as the helper resolved them), and Outputs, which writes
each file whole or says in one line why it cannot."""

import json
import os

import pytest

from cloudplugin import load
from needs import missing

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


def victim(tmp_path):
    """A file elsewhere that a planted link points to: never written."""
    path = tmp_path / "elsewhere" / "victim"
    path.parent.mkdir()
    path.write_text("keep me")
    return path


def write_both(tmp_path, report="r.json", timeline="t.html"):
    said = []
    out = cloud.Outputs(str(tmp_path / report), str(tmp_path / timeline), said.append)
    timeline, report = facts()
    out.write(timeline, "t", **report)
    return out, said


def test_a_link_at_the_target_is_refused_in_one_line_and_never_followed(tmp_path):
    kept = victim(tmp_path)
    os.symlink(kept, tmp_path / "t.html")
    out, said = write_both(tmp_path)
    assert said == ["pytest-cloud: cloud_timeline: cannot write '%s': is a symbolic link" % (tmp_path / "t.html")]
    assert os.readlink(tmp_path / "t.html") == str(kept) and kept.read_text() == "keep me"
    # the other file still goes, and no temporary stays
    assert out.lines() == ["report written: %s" % (tmp_path / "r.json")]
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "r.json", "t.html"]


def test_a_link_planted_at_the_old_temporary_name_is_never_followed(tmp_path):
    # before, each file went through PATH.PID.tmp, opened without O_EXCL
    # or O_NOFOLLOW: a link there was followed, a file there reused
    kept = victim(tmp_path)
    os.symlink(kept, "%s.%d.tmp" % (tmp_path / "t.html", os.getpid()))
    (tmp_path / ("r.json.%d.tmp" % os.getpid())).write_text("planted")
    out, said = write_both(tmp_path)
    assert said == [] and len(out.lines()) == 2
    assert kept.read_text() == "keep me"
    assert os.readlink("%s.%d.tmp" % (tmp_path / "t.html", os.getpid())) == str(kept)
    assert (tmp_path / ("r.json.%d.tmp" % os.getpid())).read_text() == "planted"
    assert not os.path.islink(tmp_path / "t.html") and "<!DOCTYPE html>" in (tmp_path / "t.html").read_text()
    assert json.loads((tmp_path / "r.json").read_text())["exitstatus"] == 0


def test_what_is_not_a_regular_file_is_refused(tmp_path):
    (tmp_path / "r.json").mkdir()
    out, said = write_both(tmp_path)
    assert said == ["pytest-cloud: cloud_report: cannot write '%s': is not a regular file" % (tmp_path / "r.json")]
    assert os.listdir(tmp_path / "r.json") == [] and out.lines() == ["timeline written: %s" % (tmp_path / "t.html")]


def test_the_old_files_mode_is_kept_and_a_new_one_follows_the_umask(tmp_path):
    (tmp_path / "r.json").write_text("old")
    os.chmod(tmp_path / "r.json", 0o640)
    mask = os.umask(0o077)
    try:
        write_both(tmp_path)
    finally:
        os.umask(mask)
    assert oct(os.stat(tmp_path / "r.json").st_mode & 0o7777) == oct(0o640)
    assert oct(os.stat(tmp_path / "t.html").st_mode & 0o7777) == oct(0o600)
    mask = os.umask(0o022)
    try:
        os.unlink(tmp_path / "t.html")
        write_both(tmp_path)
    finally:
        os.umask(mask)
    assert oct(os.stat(tmp_path / "t.html").st_mode & 0o7777) == oct(0o644)


def test_the_old_files_owner_is_kept(tmp_path):
    if os.geteuid() != 0:
        missing("root: giving a file another owner needs it")
    (tmp_path / "r.json").write_text("old")
    os.chown(tmp_path / "r.json", 4321, 4322)
    _out, said = write_both(tmp_path)
    assert said == []
    got = os.stat(tmp_path / "r.json")
    assert (got.st_uid, got.st_gid) == (4321, 4322)


def test_a_failed_write_leaves_no_temporary_and_the_old_file_whole(tmp_path, monkeypatch):
    (tmp_path / "r.json").write_text("old")
    temporaries = []
    real_open = os.open

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    def recording_open(path, flags, mode=0o777, **kw):
        temporaries.append((path, flags))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    monkeypatch.setattr(os, "open", recording_open)
    out, said = write_both(tmp_path)
    monkeypatch.undo()
    assert said == ["pytest-cloud: cloud_report: cannot write '%s': Input/output error" % (tmp_path / "r.json"),
                    "pytest-cloud: cloud_timeline: cannot write '%s': Input/output error" % (tmp_path / "t.html")]
    assert sorted(os.listdir(tmp_path)) == ["r.json"] and (tmp_path / "r.json").read_text() == "old"
    # each temporary: beside its file, a random name, never followed or reused
    names = [os.path.basename(p) for p, _flags in temporaries]
    assert [os.path.dirname(p) for p, _flags in temporaries] == [str(tmp_path)] * 2
    assert [n.split(".pytest-cloud-")[0] for n in names] == [".r.json", ".t.html"]
    assert all(len(n.split(".pytest-cloud-")[1]) == 12 for n in names)
    need = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    assert all(flags & need == need for _p, flags in temporaries)
