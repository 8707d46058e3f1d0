"""Benchmark: the static helper (make static) against the dynamic one.

Probes 16 and 64 real sshd nodes with each, side by side in one run,
interleaved, medians of several runs (bench/probe.py's way), and reports
the binaries' sizes.  Needs root (sshd nodes) and both binaries built.

    /usr/bin/python3 bench/static.py [--sizes 16 64] [--runs 5] [--timeout 30]
"""

import argparse
import os
import resource
import shlex
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402
from probe import run_helper  # noqa: E402

HELPERS = {"dynamic": os.path.join(ROOT, "build", "pytest-cloud"),
           "static": os.path.join(ROOT, "build", "pytest-cloud-static")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=30,
                    help="connect timeout: on a slow machine 64 handshakes at once take seconds")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    for name, path in HELPERS.items():
        if not os.access(path, os.X_OK):
            sys.exit("build the %s helper first (make%s)" % (name, " static" if name == "static" else ""))
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    cluster = Cluster(base)
    for i in range(max(args.sizes)):
        cluster.add("n%03d" % i)
    names = sorted(cluster.nodes)
    rows = []
    with cluster:
        for size in args.sizes:
            times = {k: [] for k in HELPERS}
            peak = {k: 0 for k in HELPERS}
            short = {k: 0 for k in HELPERS}  # runs where a node was not ok
            for _ in range(args.runs):
                for kind, path in HELPERS.items():
                    t, ok, rss = run_helper(cluster, names[:size], base, args.timeout, helper=path)
                    times[kind].append(t)
                    peak[kind] = max(peak[kind], rss)
                    short[kind] += ok != size
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append("| %d healthy | %.3f | %.3f | %.2fx | %.1f MB | %.1f MB | %d / %d |" % (
                size, med["dynamic"], med["static"], med["static"] / med["dynamic"],
                peak["dynamic"] / 1024.0, peak["static"] / 1024.0, short["dynamic"], short["static"]))
            print(rows[-1], flush=True)
    print()
    print("| nodes | dynamic s | static s | static/dynamic | dynamic peak RSS | static peak RSS "
          "| runs with a node timed out (dynamic / static) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print("\nbinaries: %s" % ", ".join("%s %.1f MB" % (k, os.path.getsize(p) / 1e6) for k, p in HELPERS.items()))
    print("(medians of %d runs, interleaved; connect timeout %ds; %s)" % (
        args.runs, args.timeout, " ".join(shlex.quote(a) for a in sys.argv)))


if __name__ == "__main__":
    main()
