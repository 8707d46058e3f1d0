"""Benchmark: what asking OpenSSH (ssh -G) for every node's settings costs
the helper, at hundreds of nodes.

N nodes that refuse connections (aliases in an ssh config whose 127.x.y.z
addresses nothing listens on: each node costs its ssh -G and a refused
TCP connect, and nothing else), a dry run of this helper against another
build (--previous, e.g. 0.3.0's, which read the ssh config itself),
side by side, interleaved: the wall time and the CPU time of the helper
and the processes it started (ssh -G among them), medians of --runs.

    /usr/bin/python3 bench/sshg.py --previous OLD_HELPER [--sizes 48 500] [--runs 5]
"""

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")


def run(helper, names, cluster, cwd):
    start = time.monotonic()
    proc = subprocess.Popen([helper, "--dry-run", "--json", "--cloud-nodes=" + " ".join(names),
                             "--cloud-ssh-config=" + cluster.ssh_config, "--cloud-connect-timeout=10",
                             "--cloud-max-connections=500"],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 1:  # every node refused: exit 1
        sys.exit("%s exited %d" % (helper, os.waitstatus_to_exitcode(status)))
    return wall, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--previous", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[48, 500])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    cluster = Cluster(base)
    for i in range(max(args.sizes)):
        cluster.add("r%03d" % i, kind="refused")
    cluster.write_ssh_config()
    with open(os.path.join(base, "pytest.ini"), "w") as f:
        f.write("[pytest]\n")
    names = sorted(cluster.nodes)
    print("| nodes | helper wall s | helper CPU s | previous wall s | previous CPU s | CPU per node, more | wall ratio |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        got = {"helper": [], "previous": []}
        for _ in range(args.runs):
            got["helper"].append(run(HELPER, names[:size], cluster, base))
            got["previous"].append(run(args.previous, names[:size], cluster, base))
        med = {k: (statistics.median(w for w, _c in v), statistics.median(c for _w, c in v)) for k, v in got.items()}
        print("| %d | %.2f | %.2f | %.2f | %.2f | %.1f ms | %.2fx |" % (
            size, med["helper"][0], med["helper"][1], med["previous"][0], med["previous"][1],
            1000 * (med["helper"][1] - med["previous"][1]) / size, med["helper"][0] / med["previous"][0]))
    print("\n(medians of %d runs, interleaved; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))


if __name__ == "__main__":
    main()
