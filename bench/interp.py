"""Benchmark: a virtualenv on a Python the nodes do not have (a pyenv 3.12
under this machine's home), whose interpreter travels with the first run,
against nodes that have that interpreter already.

Two real sshd nodes on loopback; the project (its virtualenv with pytest
9.1 and xdist from ../shared/wheels, 48 tests of 50 ms) lives under this
machine's home, which no node sees.  Side by side, interleaved, medians
of --runs, whole pytest runs:
  travels, first   the nodes' homes emptied: the interpreter and the
                   project are copied
  travels, warm    nothing changed: the interpreter is found, nothing is
                   copied
  already, first   the nodes' homes emptied, then the interpreter put
                   there by hand: only the project is copied
  already, warm
Reports the whole run's seconds and the bytes rsync sent (the
interpreter's and the project's).  Needs root (sshd nodes), a pyenv
Python 3.12 and the wheels.

    /usr/bin/python3 bench/interp.py [--runs 3]
"""

import argparse
import glob
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
sys.path.insert(0, os.path.join(ROOT, "tests"))

from cluster import Cluster  # noqa: E402
import stacks  # noqa: E402

TESTS = '''import time
import pytest


@pytest.mark.parametrize("n", range(48))
def test_quick(n):
    time.sleep(0.05)
'''


def run(proj, cluster, report):
    env = dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(ROOT, "build", "pytest-cloud"))
    start = time.monotonic()
    proc = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest", "-q",
                           "-p", "no:cacheprovider"], cwd=proj, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0 or "48 passed" not in proc.stdout:
        sys.exit("run failed:\n" + proc.stdout[-3000:])
    with open(report) as f:
        plan = json.load(f)["plan"]
    project = sum(n.get("sync", {}).get("bytes_sent", 0) for n in plan["nodes"])
    interp = sum((n.get("interpreter") or {}).get("bytes_sent", 0) for n in plan["nodes"])
    return wall, interp, project


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python3.12")))
    if not found or stacks.wheels_dir() is None:
        sys.exit("needs a pyenv Python 3.12 (~/.pyenv/versions) and ../shared/wheels")
    base_python = found[-1]
    prefix = os.path.dirname(os.path.dirname(base_python))
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-interp-", dir=os.path.expanduser("~"))
    proj = os.path.join(hidden, "proj")
    os.makedirs(os.path.join(proj, "tests"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), proj)
    with open(os.path.join(proj, "tests", "test_quick.py"), "w") as f:
        f.write(TESTS)
    stacks.build("pytest9", os.path.join(proj, ".venv"), base=base_python)
    cluster = Cluster(os.path.join(base, "cluster"))
    cluster.add("n1")
    cluster.add("n2")
    report = os.path.join(hidden, "report.json")
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\ncloud_nodes = n1 n2\ncloud_ssh_config = %s\n"
                "cloud_report = %s\ncloud_max_processes = 2\n" % (cluster.ssh_config, report))
    rel = os.path.relpath(prefix, cluster.login_home)
    got = {k: [] for k in ("travels, first", "travels, warm", "already, first", "already, warm")}
    with cluster:
        for _ in range(args.runs):
            cluster.clear_homes()
            got["travels, first"].append(run(proj, cluster, report))
            got["travels, warm"].append(run(proj, cluster, report))
            cluster.clear_homes()
            for node in cluster.nodes.values():
                os.makedirs(os.path.dirname(node.path(rel)), exist_ok=True)
                subprocess.run(["cp", "-a", prefix, node.path(rel)], check=True)
            got["already, first"].append(run(proj, cluster, report))
            got["already, warm"].append(run(proj, cluster, report))
    print("| case | whole run s | interpreter bytes sent | project bytes sent |")
    print("|---|---|---|---|")
    for name, rows in got.items():
        print("| %s | %.2f | %d | %d |" % (name, statistics.median(r[0] for r in rows),
                                          statistics.median(r[1] for r in rows),
                                          statistics.median(r[2] for r in rows)))
    print("\n(%s; medians of %d runs, interleaved; %s)"
          % (base_python, args.runs, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


if __name__ == "__main__":
    main()
