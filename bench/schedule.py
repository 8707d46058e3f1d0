"""Benchmark: longest tests first, from the durations of earlier runs.

On 2 real sshd nodes x 2 workers, side by side in one run, interleaved,
medians of several runs:
  collection   the order xdist's load mode hands tests out in (a first
               run: --cloud-schedule=collection)
  durations    a second run: longest first, from the first run's durations
  local -n 4   `pytest -n 4` on this machine, no nodes (the reference)
for a suite with a long tail (80 tests of 0.1 s, then one of 4 s) and one
without (81 tests of 0.1 s: no regression).  Reports whole-run seconds,
pytest's own session seconds, and for the durations runs the estimate
printed before the run against the time the tests took.  Needs root (sshd
nodes) and Debian's pytest, xdist and virtualenv.

    /usr/bin/python3 bench/schedule.py [--runs 3]
"""

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

SHORT = '''import time
import pytest


@pytest.mark.parametrize("n", range(%d))
def test_short(n):
    time.sleep(0.1)
'''
LONG = '''import time


def test_long():
    time.sleep(4)
'''


def make_project(base, name, shorts, tail):
    proj = os.path.join(base, name)
    os.makedirs(os.path.join(proj, "tests"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), proj)
    with open(os.path.join(proj, "tests", "test_a.py"), "w") as f:
        f.write(SHORT % shorts)
    if tail:
        with open(os.path.join(proj, "tests", "test_z.py"), "w") as f:
            f.write(LONG)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed",
                    os.path.join(proj, ".venv")], check=True)
    return proj


def run(proj, args, env, count):
    start = time.monotonic()
    proc = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest", "-q"] + args,
                          cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0 or "%d passed" % count not in proc.stdout:
        sys.exit("run failed:\n" + proc.stdout[-3000:])
    session = float(re.search(r"passed in ([0-9.]+)s", proc.stdout).group(1))
    m = re.search(r"estimated ([0-9.]+) s for the tests, took ([0-9.]+) s", proc.stdout)
    return wall, session, (float(m.group(1)), float(m.group(2))) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    cluster = Cluster(os.path.join(base, "cluster"))
    cluster.add("n1")
    cluster.add("n2")
    suites = [("80 x 0.1 s, then 1 x 4 s", make_project(base, "tail", 80, True), 81),
              ("81 x 0.1 s (no tail)", make_project(base, "flat", 81, False), 81)]
    env = dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(ROOT, "build", "pytest-cloud"))
    rows = []
    with cluster:
        for title, proj, count in suites:
            with open(os.path.join(proj, "pytest.ini"), "w") as f:
                f.write("[pytest]\ntestpaths = tests\ncloud_nodes = n1 n2\ncloud_ssh_config = %s\n"
                        "cloud_max_processes = 2\n" % cluster.ssh_config)
            run(proj, [], env, count)  # the first sync and durations
            got = {"collection": [], "durations": [], "local -n 4": []}
            for _ in range(args.runs):
                got["collection"].append(run(proj, ["--cloud-schedule=collection"], env, count))
                got["durations"].append(run(proj, [], env, count))
                got["local -n 4"].append(run(proj, ["-n", "4"], env, count))
            rows.append((title, got))
    print("| suite | order | whole run s | pytest session s | vs collection (whole) | estimate vs tests' time |")
    print("|---|---|---|---|---|---|")
    for title, got in rows:
        base_wall = statistics.median(w for w, _s, _e in got["collection"])
        for name, results in got.items():
            wall = statistics.median(w for w, _s, _e in results)
            session = statistics.median(s for _w, s, _e in results)
            est = [e for _w, _s, e in results if e]
            est_text = ""
            if est:
                e, took = statistics.median(x[0] for x in est), statistics.median(x[1] for x in est)
                est_text = "%.1f s vs %.1f s (%+.0f%%)" % (e, took, 100 * (e - took) / took)
            print("| %s | %s | %.2f | %.2f | %.2fx | %s |" % (title, name, wall, session, wall / base_wall,
                                                            est_text))
    print("\n(medians of %d runs, interleaved; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
