"""The run's timeline (issue 22): --cloud-timeline writes one
self-contained HTML file, opened here in a real headless Chromium with no
network (its own network namespace), and cloud_report carries the same
facts.  The screenshots stay in build/e2e-artifacts."""

import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import ROOT, junit_outcomes  # noqa: F401
from test_fleet import fleet, fleet_up, start  # noqa: F401 (fixtures)

CHROMIUM = shutil.which("chromium")
ARTIFACTS = os.path.join(ROOT, "build", "e2e-artifacts")


def browse(page, screenshot=None):
    """(the DOM after the page's code ran, the console's lines) of page
    opened from disk by headless Chromium in a network namespace of its
    own (nothing but loopback, and that down)."""
    assert CHROMIUM, "Debian's chromium is needed (tests/deps.sh installs it)"
    base = ["unshare", "--net", CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + os.path.join(os.path.dirname(page), "chromium-profile"),
            "--enable-logging=stderr", "--v=0", "--window-size=1400,1000"]
    dom = subprocess.run(base + ["--dump-dom", "file://" + page], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    if screenshot:
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = subprocess.run(base + ["--screenshot=" + os.path.join(ARTIFACTS, screenshot), "file://" + page],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        assert shot.returncode == 0, shot.stderr[-2000:]
    return dom.stdout, console


def body(dom):
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', re.search(r"<body[^>]*>", dom).group(0)))


LONG = '''import time


def test_long():
    time.sleep(3)
'''


@pytest.mark.conftest_only
def test_a_run_that_lost_a_node_drawn_and_opened_in_a_browser(fleet_up, slow_project, tmp_path):
    p = slow_project(fleet_up)
    with open(os.path.join(p.path, "tests", "test_long.py"), "w") as f:
        f.write(LONG)
    p.use_nodes("f1 f2 f3", cloud_keepalive=4)
    page = str(tmp_path / "timeline.html")
    report = str(tmp_path / "report.json")
    run = start(p, "-v", "--cloud-timeline=" + page, "--cloud-report=" + report)
    run.when(r"PASSED", 12)
    fleet_up.kill("f3")
    assert run.finish() == 0, run.output
    assert "timeline written: %s" % page in run.output
    with open(report) as f:
        data = json.load(f)
    tests = data["tests"]
    # every test passed once, a lost attempt ended where f3 was lost, and
    # its re-run says where it was lost
    passed = sorted(t["test"] for t in tests if t["outcome"] == "passed")
    assert len(passed) == 49 and len(set(passed)) == 49
    lost = [t for t in tests if t["outcome"] == "lost"]
    assert lost and all(t["node"] == "f3" for t in lost)
    reruns = [t for t in tests if t["rerun"]]
    assert sorted(t["test"] for t in reruns) == sorted(t["test"] for t in lost)
    assert all(t["lost_on"] == "f3" and t["node"] != "f3" for t in reruns)
    at = data["timeline"]["lost"][0]["at"]
    assert all(abs(t["start"] + t["duration"] - at) < 1.0 for t in lost)
    longest = data["timeline"]["figures"]["longest"]
    assert longest["test"] == "tests/test_long.py::test_long" and 3.0 <= longest["duration"] < 4.5
    for t in tests:  # each on the run's clock, after the workers' bring-up
        assert t["start"] >= 0 and t["duration"] >= 0
    # the page: no console line, one bar per attempt, one row per worker,
    # the lost node's mark, f3's row in the nodes' table
    dom, console = browse(page, "timeline-lost-node.png")
    assert console == []
    drawn = body(dom)
    assert "errors" not in drawn
    assert int(drawn["bars"]) == len(tests)
    assert int(drawn["rows"]) == len(data["timeline"]["workers"]) == 4
    assert re.search(r'<div class="lost" data-node="f3"', dom)
    bars = {w: int(n) for w, n in re.findall(r'data-worker="([^"]+)" data-node="[^"]+" data-bars="(\d+)"', dom)}
    assert sum(bars.values()) == len(tests) and bars["f1_0"] > 0
    assert os.path.getsize(os.path.join(ARTIFACTS, "timeline-lost-node.png")) > 10000


HOSTILE = '''import pytest


@pytest.mark.parametrize("x", ["</script><script>document.body.dataset.pwned='yes'</script><b>",
                               "@DATA@ @CODE@ @STYLE@ @TITLE@ @CODE_HASH@ @STYLE_HASH@ </script>@DATA@"])
def test_ids_are_text(x):
    pass
'''

# what an attacker's text would be, had it reached the page as markup
INJECTED = ("<script>document.body.dataset.injected='yes'</script>"
            "<style>body { display: none }</style>")


def test_a_test_id_with_markup_stays_text(project, tmp_path):
    with open(os.path.join(project.path, "tests", "test_hostile.py"), "w") as f:
        f.write(HOSTILE)
    page = str(tmp_path / "timeline.html")
    r = project.pytest("--cloud-timeline=" + page, "tests/test_hostile.py")
    assert r.returncode == 0, r.stdout + r.stderr
    dom, console = browse(page)
    assert console == []
    drawn = body(dom)
    assert "pwned" not in drawn and "errors" not in drawn and drawn["bars"] == "2"
    # the ids are in the tests' table, as text, the placeholders as written
    assert "test_ids_are_text[&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned" in dom
    assert "test_ids_are_text[@DATA@ @CODE@ @STYLE@ @TITLE@ @CODE_HASH@ @STYLE_HASH@ &lt;/script&gt;@DATA@]" in dom
    # a second line of defence: an inline script or style put into the
    # page is refused by its policy, and the page's own still run
    with open(page) as f:
        text = f.read()
    injected = str(tmp_path / "injected.html")
    with open(injected, "w") as f:
        f.write(text.replace("</body>", INJECTED + "</body>"))
    dom, console = browse(injected)
    drawn = body(dom)
    assert "injected" not in drawn and "errors" not in drawn and drawn["bars"] == "2"
    refused = sorted(re.search(r'"(\w+ inline \w+) violates the following Content Security Policy', line).group(1)
                     for line in console)
    assert refused == ["Applying inline style", "Executing inline script"], console


@pytest.mark.parametrize("where", ["no folder", "a symbolic link"])
def test_an_unwritable_timeline_is_one_line_and_the_status_stays(project, tmp_path, where):
    with open(os.path.join(project.path, "tests", "test_fails.py"), "w") as f:
        f.write("def test_fails():\n    assert False\n")
    if where == "no folder":
        page, why = "/nonexistent/folder/t.html", "No such file or directory"
    else:  # a link planted where the page goes: never followed
        page, why = str(tmp_path / "t.html"), "is a symbolic link"
        (tmp_path / "victim").write_text("keep me")
        os.symlink(tmp_path / "victim", page)
    r = project.pytest("--cloud-timeline=" + page, "tests/test_fails.py")
    assert r.returncode == 1, r.stdout + r.stderr
    said = [line for line in (r.stdout + r.stderr).splitlines() if "cloud_timeline" in line]
    assert said == ["pytest-cloud: cloud_timeline: cannot write '%s': %s" % (page, why)]
    assert "Traceback" not in r.stdout + r.stderr
    if where != "no folder":
        assert (tmp_path / "victim").read_text() == "keep me" and os.path.islink(page)


@pytest.mark.conftest_only
@pytest.mark.parametrize("how", ["ctrl-c", "every node lost"])
def test_a_run_cut_short_still_writes_what_finished(fleet_up, slow_project, tmp_path, how):
    p = slow_project(fleet_up)
    p.use_nodes("f1 f3", cloud_keepalive=4)
    page = str(tmp_path / "timeline.html")
    report = str(tmp_path / "report.json")
    run = start(p, "-v", "--cloud-timeline=" + page, "--cloud-report=" + report)
    run.when(r"PASSED", 6)
    if how == "ctrl-c":
        run.signal(signal.SIGINT)
    else:
        fleet_up.kill("f1")
        fleet_up.kill("f3")
    assert run.finish() == 2, run.output
    with open(report) as f:
        data = json.load(f)
    assert sum(t["outcome"] == "passed" for t in data["tests"]) >= 6
    dom, console = browse(page)
    assert console == [] and int(body(dom)["bars"]) == len(data["tests"])
