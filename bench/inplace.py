"""Benchmark: a project the nodes see at the same path (in place) against
the same project copied (cloud_in_place = no), whole pytest runs side by
side in one run, interleaved.

Three real sshd nodes on loopback with homes of their own, one worker
each; the project (bench/shared.py's: 300 small files, a virtualenv, 96
tests of 50 ms) lives under /tmp, which every test node sees (it stands
for an NFS home).  For each case a first run (the nodes' homes emptied
first) and a warm run (nothing changed), medians of --runs: the whole
run's seconds, the bytes rsync sent and the copies made.  Needs root
(sshd nodes) and Debian's pytest, xdist and virtualenv.

    /usr/bin/python3 bench/inplace.py [--runs 5]
"""

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))

from cluster import Cluster  # noqa: E402
from shared import make_project, print_table, run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.", dir="/tmp")
    cluster = Cluster(os.path.join(base, "cluster"))
    nodes = ["n1", "n2", "n3"]
    for name in nodes:
        cluster.add(name)
    proj = make_project(base)  # under /tmp: every node sees it
    report = os.path.join(base, "report.json")
    cases = {"in place": "cloud_in_place = yes\n", "copied": "cloud_in_place = no\n"}
    got = {(name, phase): [] for name in cases for phase in ("first", "warm")}
    with cluster:
        for _ in range(args.runs):
            for name, extra in cases.items():
                cluster.clear_homes()
                got[(name, "first")].append(run(proj, nodes, cluster, report, extra))
                got[(name, "warm")].append(run(proj, nodes, cluster, report, extra))
    print_table(got, cases, "copied", "project", "vs copied", args.runs)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
