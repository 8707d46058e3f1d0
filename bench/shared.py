"""Benchmark: nodes that share one home (NFS-like) against nodes with their
own, whole pytest runs side by side in one run, interleaved.

Six real sshd nodes on loopback, one worker each: s1 s2 s3 bind-mount one
home (a shared home: one claim, one copy, one after-copy step through one
of them), o1 o2 o3 each their own.  The project (300 small files, a
virtualenv, 96 tests of 50 ms) lives under this machine's home, which no
node sees.  For each case: a first run (the nodes' homes emptied first:
the whole copy) and a warm run (nothing changed), medians of --runs.
Reports the whole run's seconds, the bytes rsync sent and the ratio to
own homes.  Needs root (sshd nodes) and Debian's pytest, xdist and
virtualenv.

    /usr/bin/python3 bench/shared.py [--runs 5]
"""

import argparse
import json
import os
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

TESTS = '''import time
import pytest


@pytest.mark.parametrize("n", range(96))
def test_quick(n):
    time.sleep(0.05)
'''


def make_project(base):
    proj = os.path.join(base, "proj")
    os.makedirs(os.path.join(proj, "tests"))
    os.makedirs(os.path.join(proj, "data"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), proj)
    with open(os.path.join(proj, "tests", "test_quick.py"), "w") as f:
        f.write(TESTS)
    for k in range(300):
        with open(os.path.join(proj, "data", "f%03d.txt" % k), "w") as f:
            f.write(("line %d\n" % k) * 200)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                    os.path.join(proj, ".venv")], check=True)
    return proj


def run(proj, nodes, cluster, report, extra=""):
    """One whole pytest run of proj on nodes (extra: more ini lines):
    its seconds, the bytes rsync sent and the number of copies made."""
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\ncloud_nodes = %s\ncloud_ssh_config = %s\n"
                "cloud_report = %s\ncloud_rsync_bandwidth_limit = 0\ncloud_max_processes = 1\n%s"
                % (" ".join(nodes), cluster.ssh_config, report, extra))
    env = dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(ROOT, "build", "pytest-cloud"))
    start = time.monotonic()
    proc = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest", "-q",
                           "-p", "no:cacheprovider"], cwd=proj, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0 or "96 passed" not in proc.stdout:
        sys.exit("run failed:\n" + proc.stdout[-3000:])
    with open(report) as f:
        plan = json.load(f)["plan"]
    sent = sum(n.get("sync", {}).get("bytes_sent", 0) for n in plan["nodes"])
    copies = sum(1 for n in plan["nodes"] if "sync" in n)
    return wall, sent, copies


def print_table(got, cases, ref_case, first_column, ratio_column, runs):
    """The medians of got[(case, phase)] (run's results) as a markdown
    table, each case's run against ref_case's."""
    print("| %s | run | whole run s | %s | bytes sent | copies |" % (first_column, ratio_column))
    print("|---|---|---|---|---|---|")
    for phase in ("first", "warm"):
        ref = statistics.median(w for w, _b, _c in got[(ref_case, phase)])
        for name in cases:
            rows = got[(name, phase)]
            wall = statistics.median(w for w, _b, _c in rows)
            print("| %s | %s | %.2f | %.2fx | %d | %d |" % (
                name, phase, wall, wall / ref, statistics.median(b for _w, b, _c in rows),
                statistics.median(c for _w, _b, c in rows)))
    print("\n(medians of %d runs, interleaved; %s)" % (runs, " ".join(shlex.quote(a) for a in sys.argv)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-shared-", dir=os.path.expanduser("~"))
    cluster = Cluster(os.path.join(base, "cluster"))
    for k in (1, 2, 3):
        cluster.add("s%d" % k, shared_home="nfs")
    for k in (1, 2, 3):
        cluster.add("o%d" % k)
    proj = make_project(hidden)
    report = os.path.join(hidden, "report.json")
    cases = {"shared home (s1 s2 s3)": ["s1", "s2", "s3"], "own homes (o1 o2 o3)": ["o1", "o2", "o3"]}
    got = {(name, phase): [] for name in cases for phase in ("first", "warm")}
    with cluster:
        for _ in range(args.runs):
            for name, nodes in cases.items():
                cluster.clear_homes()
                got[(name, "first")].append(run(proj, nodes, cluster, report))
                got[(name, "warm")].append(run(proj, nodes, cluster, report))
    print_table(got, cases, "own homes (o1 o2 o3)", "nodes", "vs own homes", args.runs)
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


if __name__ == "__main__":
    main()
