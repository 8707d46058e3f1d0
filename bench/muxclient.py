"""Benchmark: one session through a node's master, ssh against
pytest-cloud-mux (issue 31).

One sshd node on loopback (tests/e2e/cluster.py: its address from
PYTEST_CLOUD_TEST_NETS), one OpenSSH master to it; then `true` run on the
node through that master, as rsync's remote shell runs it: by `ssh -o
ControlMaster=no -o ControlPath=...` and by `pytest-cloud-mux SOCKET ssh
...` (build/pytest-cloud-mux), side by side, interleaved.  The CPU of
each (every process it starts; the master's share not counted, the same
for both) from `perf stat -r N -e task-clock`; medians of --rounds.

Needs root (the sshd node) and perf.

    /usr/bin/python3 bench/muxclient.py [--rounds 5] [--runs 40]
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

MUX = os.path.join(ROOT, "build", "pytest-cloud-mux")


def task_clock_ms(argv, runs):
    r = subprocess.run(["perf", "stat", "-r", str(runs), "-x,", "-e", "task-clock"] + argv,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       check=True)
    return float(r.stderr.strip().splitlines()[-1].split(",")[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=40, help="sessions per round and client (perf stat -r)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts an sshd node and needs root")
    cluster = Cluster(tempfile.mkdtemp(prefix="pytest-cloud-bench.cluster."))
    cluster.add("a")
    sock = os.path.join(tempfile.mkdtemp(prefix="pcm-", dir="/tmp"), "m")
    rows = []
    with cluster:
        subprocess.run(["ssh", "-F", cluster.ssh_config, "-o", "BatchMode=yes", "-o", "ControlMaster=yes",
                        "-o", "ControlPath=" + sock, "-o", "ControlPersist=120", "-N", "-f", "a"], check=True)
        try:
            ssh = ["ssh", "-F", cluster.ssh_config, "-o", "BatchMode=yes", "-o", "ControlMaster=no",
                   "-o", "ControlPath=" + sock, "a", "true"]
            for _ in range(args.rounds):
                rows.append((task_clock_ms(ssh, args.runs), task_clock_ms([MUX, sock] + ssh, args.runs)))
        finally:
            subprocess.run(["ssh", "-o", "ControlPath=" + sock, "-O", "exit", "a"], stderr=subprocess.DEVNULL)
            os.rmdir(os.path.dirname(sock))
    print("| round | ssh through the master, ms CPU | pytest-cloud-mux, ms CPU | ratio |")
    print("|---|---|---|---|")
    for k, (a, b) in enumerate(rows):
        print("| %d | %.2f | %.2f | %.3f |" % (k + 1, a, b, b / a))
    a = statistics.median(r[0] for r in rows)
    b = statistics.median(r[1] for r in rows)
    print("| median | %.2f | %.2f | %.3f |" % (a, b, statistics.median(r[1] / r[0] for r in rows)))
    print("\n(%s)" % " ".join(shlex.quote(x) for x in sys.argv))


if __name__ == "__main__":
    main()
