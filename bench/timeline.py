"""Benchmark: the timeline page of a big suite in a real browser, and the
error of placing tests by their reports' arrival.

  render   20,000 test attempts on 64 workers of 8 nodes (durations drawn
           from a log-normal, one node lost half way, its tests run again),
           made by the conftest's own TimelineBook and timeline_html; the
           file's size, and the time from navigation start to the end of
           the page's drawing (performance.now(), which the page leaves in
           the DOM) in headless Chromium, median of --runs.
  clock    a real run on 2 sshd nodes (pytest 9.1.1 and xdist 3.8.0 from
           ../shared/wheels: pytest 8 and later put the worker's own clock
           in each report): how much later than the test's end on the
           worker its teardown report reaches the controller.  The nodes
           share this machine's clock, so the difference is the placement
           error itself.  Needs root (sshd nodes).

    /usr/bin/python3 bench/timeline.py [--runs 5] [--skip clock]
"""

import argparse
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from cloudplugin import load  # noqa: E402 (tests/: the plugin's one loader)

cloud = load()


def big_timeline(tests=20000, nodes=8, per_node=8, seed=1):
    rnd = random.Random(seed)
    book = cloud.TimelineBook(origin=0.0)
    workers = [("n%d" % n, "n%d_%d" % (n, w)) for n in range(nodes) for w in range(per_node)]
    free = {w: 2.0 + rnd.random() for _n, w in workers}
    for node, w in workers:
        book.worker_ready(w, node, free[w] - 0.5)
    lost_node, lost_at = "n3", None
    k = 0
    queue = ["tests/test_mod%03d.py::test_case[%d]" % (i % 400, i) for i in range(tests)]
    while queue:
        node, w = min(((n, w) for n, w in workers if n != lost_node or lost_at is None), key=lambda x: free[x[1]])
        test = queue.pop(0)
        d = min(30.0, rnd.lognormvariate(-2.5, 1.2))
        start = free[w]
        book.report(test, node, w, "setup", "passed", 0.001, False, start + 0.001)
        if node == lost_node and lost_at is None and k > tests // 2:
            lost_at = start + d / 2
            book.node_lost(node, lost_at, "connection lost (bench)")
            for n2, w2 in workers:
                if n2 == node:
                    book.worker_down(w2, lost_at, True)
            queue.insert(0, test)
            continue
        outcome = "failed" if rnd.random() < 0.01 else "skipped" if rnd.random() < 0.03 else "passed"
        book.report(test, node, w, "call", outcome, d, False, start + d)
        book.report(test, node, w, "teardown", "passed", 0.001, False, start + d + 0.001)
        free[w] = start + d + 0.002
        k += 1
    book.finish(max(free.values()) + 0.5)
    return cloud.timeline_data(book, {"nodes": []}, expected=None)


def render(path, runs):
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed")
    times = []
    for _ in range(runs):
        out = subprocess.run(["unshare", "--net", chromium, "--headless", "--no-sandbox", "--disable-gpu",
                              "--window-size=1400,1000", "--dump-dom", "file://" + path],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
        body = dict(re.findall(r'data-([\w-]+)="([^"]*)"', re.search(r"<body[^>]*>", out).group(0)))
        if "errors" in body:
            sys.exit("the page failed: " + body["errors"])
        times.append(float(body["render-ms"]))
    return body, times


RECORDER = '''import json, os, time

pytest_plugins = ["pytest_cloud_plugin"]
_late = []


def pytest_runtest_logreport(report):
    if report.when == "teardown" and getattr(report, "stop", 0):
        _late.append(time.time() - report.stop)


def pytest_sessionfinish(session):
    if _late and not hasattr(session.config, "workerinput"):
        with open(os.environ["BENCH_LATE"], "w") as f:
            json.dump(_late, f)
'''
QUICK = '''import time
import pytest


@pytest.mark.parametrize("n", range(200))
def test_quick(n):
    time.sleep(0.02)
'''


def clock(runs):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import stacks
    from cluster import Cluster

    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-timeline-", dir=os.path.expanduser("~"))
    proj = os.path.join(hidden, "proj")
    os.makedirs(os.path.join(proj, "tests"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), os.path.join(proj, "pytest_cloud_plugin.py"))
    with open(os.path.join(proj, "conftest.py"), "w") as f:
        f.write(RECORDER)
    with open(os.path.join(proj, "tests", "test_quick.py"), "w") as f:
        f.write(QUICK)
    python = stacks.build("pytest9", os.path.join(proj, ".venv"))
    cluster = Cluster(os.path.join(base, "cluster"))
    cluster.add("c1")
    cluster.add("c2")
    late = []
    with cluster:
        with open(os.path.join(proj, "pytest.ini"), "w") as f:
            f.write("[pytest]\ntestpaths = tests\ncloud_nodes = c1 c2\ncloud_ssh_config = %s\n" % cluster.ssh_config)
        for _ in range(runs):
            env = dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(ROOT, "build", "pytest-cloud"),
                       BENCH_LATE=os.path.join(hidden, "late.json"))
            r = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=proj, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                sys.exit("run failed:\n" + r.stdout[-3000:])
            with open(os.path.join(hidden, "late.json")) as f:
                late += json.load(f)
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)
    return late


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip", action="append", default=[])
    args = ap.parse_args()
    data = big_timeline()
    page = cloud.timeline_html(data, "bench: 20,000 tests on 64 workers")
    folder = tempfile.mkdtemp(prefix="bench-timeline-")
    path = os.path.join(folder, "timeline.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    body, times = render(path, args.runs)
    print("## The page of a big suite\n")
    print("| attempts | workers | file | bars drawn | rows | render ms (median of %d) | min | max |" % args.runs)
    print("|---|---|---|---|---|---|---|---|")
    print("| %d | %d | %.2f MB | %s | %s | %.0f | %.0f | %.0f |" % (
        len(data["tests"]), len(data["workers"]), os.path.getsize(path) / 1e6, body["bars"], body["rows"],
        statistics.median(times), min(times), max(times)))
    shutil.rmtree(folder, ignore_errors=True)
    if "clock" not in args.skip:
        late = sorted(clock(max(1, args.runs // 2)))
        print("\n## Placement by arrival: a teardown report's delay on its way to the controller\n")
        print("%d reports: median %.1f ms, 90th percentile %.1f ms, max %.1f ms" % (
            len(late), 1000 * statistics.median(late), 1000 * late[int(0.9 * (len(late) - 1))], 1000 * late[-1]))
    print("\n(%s)" % " ".join(shlex.quote(a) for a in sys.argv))


if __name__ == "__main__":
    main()
