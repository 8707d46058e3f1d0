"""Benchmark: copying a project with its virtualenv to real sshd nodes.

A sample project of 300 Python files with a seeded virtualenv (~900
files) goes to 4 and 16 nodes.  Side by side, interleaved, medians of
several runs, for the first sync (empty nodes) and a no-change re-sync:
  helper    build/pytest-cloud (probe, rsync, worker check); its JSON
            gives the sync phase's own wall time
  floor     plain parallel rsync with the helper's options, one per node,
            all at once
  xdist     pytest-xdist's own copy (`--rsyncdir`): per node in turn, an
            execnet gateway then execnet's RSync of the project
Needs root (sshd nodes) and Debian's python3-execnet, python3-pytest-xdist
and python3-virtualenv.

    /usr/bin/python3 bench/sync.py [--sizes 4 16] [--runs 3] [--helper PATH]
        [--against OTHER_HELPER]
"""

import argparse
import json
import os
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
CHDIR = "pytest_bench_proj"


def make_project(base):
    proj = os.path.join(base, "proj")
    for i in range(300):
        sub = "pkg" if i < 200 else "tests"
        name = ("mod%03d.py" if sub == "pkg" else "test_%03d.py") % i
        os.makedirs(os.path.join(proj, sub), exist_ok=True)
        with open(os.path.join(proj, sub, name), "w") as f:
            f.write("".join("def f%d(x):\n    return x + %d\n\n" % (j, j) for j in range(60)))
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\n")
    # not a hidden folder: xdist's default ignores would skip ".venv"
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                    os.path.join(proj, "venv")], check=True)
    count = sum(len(files) + len(dirs) for _, dirs, files in os.walk(proj))
    return proj, count


def helper_sync(cluster, proj, names, helper=None):
    env = dict(os.environ, VIRTUAL_ENV=os.path.join(proj, "venv"))
    start = time.monotonic()
    out = subprocess.run(
        # (in place off: the nodes here see this machine's /tmp, where
        # the project is, and would run there without a copy)
        [helper or HELPER, "--json", "--cloud-nodes=" + " ".join(names), "--cloud-chdir=" + CHDIR,
         "--cloud-ssh-config=" + cluster.ssh_config, "--cloud-in-place=no"],
        cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall = time.monotonic() - start
    plan = json.loads(out.stdout)
    ok = sum(1 for n in plan["nodes"] if n["status"] == "ok")
    return plan["seconds"]["sync"], wall, ok


def floor_sync(cluster, proj, names):
    rsh = ("ssh -o BatchMode=yes -o ConnectTimeout=10 -o Compression=no "
           "-c aes128-gcm@openssh.com -F %s" % cluster.ssh_config)
    start = time.monotonic()
    procs = [subprocess.Popen(
        ["rsync", "--archive", "--hard-links", "--delete", "--stats", "--timeout=30",
         "--exclude=__pycache__", "--exclude=*.pyc", "--exclude=.pytest_cache",
         "--bwlimit=10000", "--rsh=" + rsh, "--", proj + "/", "%s:%s/" % (n, CHDIR)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in names]
    ok = sum(1 for p in procs if p.wait() == 0)
    return time.monotonic() - start, ok


XDIST = r"""
import sys, execnet
from xdist.workermanage import HostRSync, NodeManager
cfg, source, names = sys.argv[1], sys.argv[2], sys.argv[3:]
ok = 0
for name in names:
    gw = execnet.makegateway("ssh=%s//ssh_config=%s//chdir=xdist_copy//python=python3" % (name, cfg))
    rs = HostRSync(source, ignores=NodeManager.DEFAULT_IGNORES, verbose=False)
    done = []
    rs.add_target_host(gw, finished=lambda: done.append(1))
    rs.send()
    gw.exit()
    ok += 1
print(ok)
"""


def xdist_sync(cluster, proj, names):
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/python3", "-c", XDIST, cluster.ssh_config, proj] + names,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = out.stdout.strip().splitlines()  # execnet's RSync reports each file
    return time.monotonic() - start, int(lines[-1]) if lines else 0


def main():
    global HELPER
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--helper", default=HELPER, help="the helper to measure (default: this tree's build)")
    ap.add_argument("--against", help="another helper, measured side by side (interleaved)")
    args = ap.parse_args()
    HELPER = os.path.abspath(args.helper)
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    proj, count = make_project(base)
    cluster = Cluster(os.path.join(base, "cluster"))
    for i in range(max(args.sizes)):
        cluster.add("n%02d" % i)
    rows = []
    against = []
    with cluster:
        for size in args.sizes:
            names = sorted(cluster.nodes)[:size]
            t = {k: [] for k in ("h1", "hw1", "f1", "x1", "h2", "hw2", "f2", "x2", "a1", "aw1", "a2", "aw2")}
            oks = set()
            for _ in range(args.runs):
                cluster.clear_homes()
                s, w, ok = helper_sync(cluster, proj, names)
                t["h1"].append(s)
                t["hw1"].append(w)
                oks.add(ok)
                s, w, ok = helper_sync(cluster, proj, names)
                t["h2"].append(s)
                t["hw2"].append(w)
                oks.add(ok)
                cluster.clear_homes()
                s, ok = floor_sync(cluster, proj, names)
                t["f1"].append(s)
                oks.add(ok)
                s, ok = floor_sync(cluster, proj, names)
                t["f2"].append(s)
                oks.add(ok)
                if args.against:
                    cluster.clear_homes()
                    for k in ("1", "2"):
                        s, w, ok = helper_sync(cluster, proj, names, args.against)
                        t["a" + k].append(s)
                        t["aw" + k].append(w)
                        oks.add(ok)
                cluster.clear_homes()
                s, ok = xdist_sync(cluster, proj, names)
                t["x1"].append(s)
                oks.add(ok)
                s, ok = xdist_sync(cluster, proj, names)
                t["x2"].append(s)
                oks.add(ok)
            m = {k: statistics.median(v) for k, v in t.items()}
            for label, h, hw, f, x in (("first sync", m["h1"], m["hw1"], m["f1"], m["x1"]),
                                       ("no-change re-sync", m["h2"], m["hw2"], m["f2"], m["x2"])):
                rows.append("| %d nodes, %s | %.2f | %.2f | %.2f | %.2fx | %.2f | %.1fx |" % (
                    size, label, h, hw, f, h / f, x, x / hw))
                print(rows[-1], flush=True)
            if args.against:
                for label, k in (("first sync", "1"), ("no-change re-sync", "2")):
                    against.append("| %d nodes, %s | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2fx |" % (
                        size, label, m["h" + k], m["a" + k], m["h" + k] / m["a" + k],
                        m["hw" + k], m["aw" + k], m["hw" + k] / m["aw" + k]))
                    print(against[-1], flush=True)
            assert oks == {size}, oks
    print()
    print("sample project: %d files and folders, with its virtualenv" % count)
    print("| case | helper sync phase s | helper whole run s | plain rsync floor s "
          "| sync phase/floor | xdist --rsyncdir s | xdist/helper whole run |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    if against:
        print("\nside by side with %s" % args.against)
        print("| case | this sync phase s | that sync phase s | ratio | this whole run s "
              "| that whole run s | ratio |")
        print("|---|---|---|---|---|---|---|")
        for row in against:
            print(row)
    print("\n(medians of %d runs; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))


if __name__ == "__main__":
    main()
