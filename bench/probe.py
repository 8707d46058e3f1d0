"""Benchmark: planning (probing every node) with real sshd nodes on loopback.

Side by side, in the same run, interleaved, for each size:
  helper    build/pytest-cloud --dry-run --json (libssh, all nodes at once)
  floor     OpenSSH's own client running the same probe command on every
            node at once, with the helper's key exchange (curve25519-sha256)
  original  the original pytest-cloud's way: one execnet Python gateway
            per node in turn, then psutil (only at the small sizes)
  previous  with --previous HELPER, another build of the helper (0.3.0,
            which read the ssh config itself, against this one, which asks
            ssh -G first for every node)
Reports medians of several runs and the ratios, and the helper's peak
memory (ru_maxrss).  Needs root (sshd nodes) and Debian's python3-execnet
and python3-psutil.

    /usr/bin/python3 bench/probe.py [--sizes 4 16 64 256] [--runs 5]
        [--previous PATH]
"""

import argparse
import json
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
# the default connect timeout for healthy nodes (at 256 nodes every
# handshake's server side shares this machine's 2 cores: 2s is too short
# for the last ones); 2s where silent nodes make the timeout the cost
TIMEOUT_HEALTHY = 10
TIMEOUT_SILENT = 2


def run_helper(cluster, names, cwd, timeout, helper=HELPER):
    start = time.monotonic()
    proc = subprocess.Popen(
        [helper, "--dry-run", "--json", "--cloud-nodes=" + " ".join(names),
         "--cloud-ssh-config=" + cluster.ssh_config,
         "--cloud-connect-timeout=%d" % timeout],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    plan = json.loads(out)
    ok = sum(1 for n in plan["nodes"] if n["status"] == "ok")
    return seconds, ok, usage.ru_maxrss


def run_floor(cluster, names, command, timeout):
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            ["ssh", "-F", cluster.ssh_config, "-o", "KexAlgorithms=curve25519-sha256",
             "-o", "ConnectTimeout=%d" % timeout, name, command],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        for name in names
    ]
    ok = 0
    for p in procs:
        out = p.stdout.read()
        if p.wait() == 0 and b"cpus " in out:
            ok += 1
    return time.monotonic() - start, ok, 0


ORIGINAL = r"""
import sys, execnet
cfg, names = sys.argv[1], sys.argv[2:]
ok = 0
for name in names:
    try:
        gw = execnet.makegateway("ssh=%s//python=python3//ssh_config=%s" % (name, cfg))
        ch = gw.remote_exec(
            "import psutil; channel.send((psutil.cpu_count(), psutil.virtual_memory().available))")
        cpus, mem = ch.receive(10)
        gw.exit()
        ok += 1
    except Exception:
        pass
print(ok)
"""


def run_original(cluster, names):
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/python3", "-c", ORIGINAL, cluster.ssh_config] + names,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return time.monotonic() - start, int(out.stdout.strip() or 0), 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 16, 64, 256])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--original-up-to", type=int, default=16)
    ap.add_argument("--previous", help="another helper binary, run side by side")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    if args.original_up_to > 0 and subprocess.run(
            ["/usr/bin/python3", "-c", "import execnet, psutil"], stderr=subprocess.DEVNULL).returncode:
        # the original's way would count 0 nodes, quietly
        sys.exit("the original's way needs Debian's python3-execnet and python3-psutil "
                 "(or --original-up-to 0)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    cluster = Cluster(base)
    biggest = max(args.sizes + [16])
    for i in range(biggest):
        cluster.add("n%03d" % i)
    for i in range(2):
        cluster.add("refused%d" % i, kind="refused")
        cluster.add("silent%d" % i, kind="silent")
    healthy = sorted(n for n in cluster.nodes if n.startswith("n"))
    cases = [("%d healthy" % s, healthy[:s]) for s in args.sizes]
    cases.append(("16 healthy + 2 refused + 2 silent",
                  healthy[:16] + ["refused0", "refused1", "silent0", "silent1"]))
    command = subprocess.run([HELPER, "--print-probe", "--cloud-node=x"], stdout=subprocess.PIPE,
                             text=True, check=True, cwd=base).stdout.strip()
    print("starting %d sshd nodes..." % biggest, flush=True)
    rows = []
    with cluster:
        for label, names in cases:
            times = {"helper": [], "floor": [], "original": [], "previous": []}
            oks = {}
            peak = 0
            with_original = len(names) <= args.original_up_to and "silent0" not in names
            timeout = TIMEOUT_SILENT if "silent0" in names else TIMEOUT_HEALTHY
            for _ in range(args.runs):
                t, ok, rss = run_helper(cluster, names, base, timeout)
                times["helper"].append(t)
                oks["helper"] = ok
                peak = max(peak, rss)
                if args.previous:
                    t, ok, _ = run_helper(cluster, names, base, timeout, helper=args.previous)
                    times["previous"].append(t)
                    oks["previous"] = ok
                t, ok, _ = run_floor(cluster, names, command, timeout)
                times["floor"].append(t)
                oks["floor"] = ok
                if with_original:
                    t, ok, _ = run_original(cluster, names)
                    times["original"].append(t)
                    oks["original"] = ok
            med = {k: statistics.median(v) for k, v in times.items() if v}
            row = "| %s | %.3f | %.3f | %.2fx | %s | %s | %s | %.1f MB | %s |" % (
                label, med["helper"], med["floor"], med["helper"] / med["floor"],
                "%.3f (%.2fx)" % (med["previous"], med["helper"] / med["previous"])
                if "previous" in med else "-",
                "%.2f" % med["original"] if "original" in med else "-",
                "%.1fx" % (med["original"] / med["helper"]) if "original" in med else "-",
                peak / 1024.0, " / ".join("%s %d" % kv for kv in sorted(oks.items())),
            )
            rows.append(row)
            print(row, flush=True)
    print()
    print("| nodes | helper s | OpenSSH floor s | helper/floor | previous s (helper/previous) "
          "| original s | original/helper | helper peak RSS | nodes ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print("\n(medians of %d runs; connect timeout %ds, %ds with silent nodes; %s)" % (
        args.runs, TIMEOUT_HEALTHY, TIMEOUT_SILENT, " ".join(shlex.quote(a) for a in sys.argv)))


if __name__ == "__main__":
    main()
