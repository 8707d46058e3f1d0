"""Benchmark: whole `pytest` runs on real sshd nodes with stock limits.

Side by side in one run, interleaved, medians of several runs:
  one-connection   this tree: one SSH connection per node (an execnet proxy
                   gateway), the workers started through it
  per-worker       the design before (--baseline, a git revision): one SSH
                   connection per worker, all brought up at once
  per-worker-serial  the same, xdist's own one-after-another bring-up
                   (PYTEST_CLOUD_BRINGUP=serial)
Cases:
  16x2     16 nodes x 2 workers, 96 tests of 0.1 s
  2x24     2 nodes that report 24 CPUs (24 workers each), 96 tests of 0.1 s
  16x2-kill  as 16x2 with 160 tests of 0.3 s, one node killed 1 s after
           the first result
For each: seconds from pytest's start to the first test result and to the
end, SSH logins per node during the run (sshd's log), and the machine's
CPU seconds (all processes: controller, sshd, the nodes' pythons; from
/proc/stat).  Needs root (sshd nodes), git, and Debian's pytest, xdist and
virtualenv.

    /usr/bin/python3 bench/bringup.py [--runs 3] [--baseline 82b1002]
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
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

TESTS = '''
import time
import pytest

@pytest.mark.parametrize("n", range(%d))
def test_t(n):
    time.sleep(%s)
'''


def machine_cpu_seconds():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def logins(cluster, names):
    total = 0
    for name in names:
        with open(os.path.join(cluster.nodes[name].dir, "sshd.log")) as f:
            total += f.read().count("Accepted publickey")
    return total


def run_once(variant, project, cluster, names, tests, kill=None):
    """One pytest run; returns a dict of what it measured."""
    python = os.path.join(project, ".venv", "bin", "python")
    env = dict(os.environ, PYTEST_CLOUD_HELPER=variant["helper"])
    env.update(variant.get("env", {}))
    shutil.copy(variant["conftest"], os.path.join(project, "conftest.py"))
    before_logins = logins(cluster, names)
    cpu0 = machine_cpu_seconds()
    start = time.monotonic()
    proc = subprocess.Popen([python, "-m", "pytest", "-p", "no:cacheprovider", "-v"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = None
    lines = []
    killer = None
    for line in proc.stdout:
        lines.append(line)
        if first is None and " PASSED " in line:
            first = time.monotonic() - start
            if kill:
                killer = threading.Timer(1.0, cluster.kill, (kill,))
                killer.start()
    proc.wait()
    end = time.monotonic() - start
    cpu = machine_cpu_seconds() - cpu0
    if killer:
        killer.join()
    out = "".join(lines)
    passed = re.search(r"(\d+) passed", out)
    ok = proc.returncode == 0 and passed and int(passed.group(1)) == tests
    why = ""
    if not ok:
        errors = [line.strip() for line in lines if "Error" in line or "error" in line]
        why = "exit %s, %s passed: %s" % (proc.returncode, passed.group(1) if passed else 0,
                                          (errors[-1] if errors else out.strip().splitlines()[-1])[:90])
    return {"ok": ok, "why": why, "first": first, "end": end, "cpu": cpu,
            "logins": (logins(cluster, names) - before_logins) / len(names)}


def build_baseline(rev, base):
    tree = os.path.join(base, "baseline")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tree, rev], check=True)
    subprocess.run(["make", "-s", "-C", tree, "build/pytest-cloud"], check=True,
                   stdout=subprocess.DEVNULL)
    return tree


def make_project(base, name, tests, seconds):
    proj = os.path.join(base, name)
    os.makedirs(os.path.join(proj, "tests"))
    with open(os.path.join(proj, "tests", "test_t.py"), "w") as f:
        f.write(TESTS % (tests, seconds))
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                    "--no-seed", os.path.join(proj, ".venv")], check=True)
    return proj


def write_ini(proj, cluster, names, extra=""):
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\ncloud_nodes = %s\ncloud_ssh_config = %s\n"
                "cloud_connect_timeout = 10\n%s" % (" ".join(names), cluster.ssh_config, extra))


def summarise(results):
    ok = [r for r in results if r["ok"]]
    if len(ok) < len(results):
        failed = [r["why"] for r in results if not r["ok"]]
        return "failed %d of %d (%s)" % (len(failed), len(results), failed[-1]), None
    med = {k: statistics.median(r[k] for r in ok) for k in ("first", "end", "cpu", "logins")}
    return "%.2f | %.2f | %.1f | %.1f" % (med["first"], med["end"], med["cpu"], med["logins"]), med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", default="82b1002",
                    help="git revision of the per-worker design to compare with")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    tree = build_baseline(args.baseline, base)
    variants = {
        "one-connection": {"helper": os.path.join(ROOT, "build", "pytest-cloud"),
                           "conftest": os.path.join(ROOT, "conftest_template", "conftest.py")},
        "per-worker": {"helper": os.path.join(tree, "build", "pytest-cloud"),
                       "conftest": os.path.join(tree, "conftest_template", "conftest.py")},
    }
    variants["per-worker-serial"] = dict(variants["per-worker"], env={"PYTEST_CLOUD_BRINGUP": "serial"})
    cluster = Cluster(os.path.join(base, "cluster"))
    small = ["n%02d" % i for i in range(16)]
    for name in small:
        cluster.add(name)
    big = ["big0", "big1"]
    for name in big:
        cluster.add(name, env={"OMP_NUM_THREADS": "24"})
    short = make_project(base, "short", 96, "0.1")
    long = make_project(base, "long", 160, "0.3")
    cases = [
        ("16 nodes x 2 workers, 96 tests of 0.1 s", short, small, 96, "cloud_max_processes = 2\n", None),
        ("2 nodes x 24 workers (stock sshd), 96 tests of 0.1 s", short, big, 96, "", None),
        ("16 nodes x 2 workers, 160 tests of 0.3 s, one node killed", long, small, 160,
         "cloud_max_processes = 2\ncloud_keepalive = 6\n", "n15"),
    ]
    rows = []
    try:
        with cluster:
            for title, proj, names, tests, extra, kill in cases:
                write_ini(proj, cluster, names, extra)
                results = {v: [] for v in variants}
                for v in variants:  # first sync out of the way
                    run_once(variants[v], proj, cluster, names, tests)
                for _ in range(args.runs):
                    for v in variants:
                        if kill:
                            cluster.restart(kill)
                        results[v].append(run_once(variants[v], proj, cluster, names, tests, kill))
                if kill:
                    cluster.restart(kill)
                rows.append((title, {v: summarise(results[v]) for v in variants}))
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])
    print("| case | design | first result s | end s | machine CPU s | SSH logins per node |")
    print("|---|---|---|---|---|---|")
    for title, by_variant in rows:
        for v, (text, _med) in by_variant.items():
            print("| %s | %s | %s |" % (title, v, text))
    print("\n(medians of %d runs, interleaved; baseline %s; %s)" % (
        args.runs, args.baseline, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
