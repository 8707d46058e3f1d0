"""Benchmark: what a node costs the controller (issue 31).

Whole runs (--sizes, default 8 16 32 48): N sshd nodes on loopback, one
worker each (cloud_max_processes = 1), 4 tests of 0.2 s per node; whole
pytest runs, side by side and interleaved, medians of --runs:
  masters    this tree (cloud_ssh_persist at its default): one OpenSSH
             master connection per node, which rsync's ssh and the
             gateway's go through, and the next run too
  persist-0  this tree with cloud_ssh_persist = 0: the master ends with
             its run, so every run starts one per node
  0.3        the 0.3.0 helper and plugin (--previous-rev, built in a
             scratch worktree): rsync and the gateway connect on their own
each cold (no master running: this tree's earlier masters stopped first)
and warm (right after a run of the same variant).  The copy is warm in
both (a no-change re-sync): what differs is SSH.  Each variant has a
project, a CHDIR and a runtime folder (its masters) of its own.
Figures per run: the controller's CPU (pytest and every process it
started, the masters included: a cpuacct cgroup), the machine's CPU
(that, and every sshd of the nodes with all their sessions: a second
cgroup; other work on this machine is not counted), the wall time, and
SSH logins per node (sshd's "Accepted publickey" at LogLevel INFO: the
probe's libssh login is one).

At scale (--at-scale N, 500 by default when given without a number): N
sshd nodes, the helper alone as under pytest (--hold --gateway-check, a
tiny project): the helper's peak threads, open files and memory while it
runs and while it holds; the masters (count, memory); then one session
per node through its master as a gateway's ssh opens it (`ssh ... cat`):
those ssh processes' memory, open files and CPU.

Needs root (sshd nodes, cgroups), git, and Debian's pytest, xdist and
virtualenv.

    /usr/bin/python3 bench/scale.py [--sizes 8 16 32 48] [--runs 3]
        [--previous-rev 841c8af] [--at-scale [N]] [--skip-runs] [--helper PATH]
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster, master_pid  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")
CONFTEST = os.path.join(ROOT, "conftest_template", "conftest.py")

TESTS = '''
import time
import pytest

@pytest.mark.parametrize("n", range(%d))
def test_t(n):
    time.sleep(0.2)
'''


# -- cgroups: the CPU of a process and all it starts, daemons included -----

class CpuGroup:
    """A cpuacct cgroup (v1), or a cgroup v2 folder: every process put in
    it and all their descendants, however they detach, are counted."""

    def __init__(self, name):
        v1 = "/sys/fs/cgroup/cpuacct"
        if os.path.isdir(v1):
            self.path = os.path.join(v1, name)
            self.v2 = False
        else:
            self.path = os.path.join("/sys/fs/cgroup", name)
            self.v2 = True
        os.makedirs(self.path, exist_ok=True)

    def add(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def seconds(self):
        if self.v2:
            with open(os.path.join(self.path, "cpu.stat")) as f:
                return int(f.read().split("usage_usec")[1].split()[0]) / 1e6
        with open(os.path.join(self.path, "cpuacct.usage")) as f:
            return int(f.read()) / 1e9

    def wrap(self, argv):
        """argv run inside the group (it puts itself in, then execs)."""
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.path] + argv

    def remove(self):
        root = os.path.dirname(self.path)
        for _ in range(50):
            try:
                with open(os.path.join(self.path, "cgroup.procs")) as f:
                    left = f.read().split()
                for pid in left:
                    try:
                        with open(os.path.join(root, "cgroup.procs"), "w") as f:
                            f.write(pid)
                    except OSError:
                        pass
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


# -- the masters of a runtime folder ----------------------------------------

def master_pids(runtime):
    folder = os.path.join(runtime, "pytest-cloud")
    if not os.path.isdir(folder):
        return []
    pids = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                continue
        except OSError:
            continue  # a master that just ended
        pid = master_pid(path)
        if pid:
            pids.append(pid)
    return pids


def stop_masters(runtime):
    pids = master_pids(runtime)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists("/proc/%d" % p) for p in pids):
        time.sleep(0.05)


# -- whole runs ---------------------------------------------------------------

def logins(cluster, names):
    total = 0
    for name in names:
        with open(os.path.join(cluster.nodes[name].dir, "sshd.log")) as f:
            total += f.read().count("Accepted publickey")
    return total


class Variant:
    def __init__(self, name, base, helper, conftest, extra_ini="", keeps_masters=False):
        self.name = name
        self.helper = helper
        self.conftest = conftest
        self.extra_ini = extra_ini
        self.keeps_masters = keeps_masters
        self.project = os.path.join(base, "p-" + name)
        self.runtime = tempfile.mkdtemp(prefix="pcb-", dir="/tmp")
        self.group = CpuGroup("pytest-cloud-bench-%d-%s" % (os.getpid(), name.replace(".", "")))


def make_project(variant, venv):
    proj = variant.project
    os.makedirs(os.path.join(proj, "tests"))
    shutil.copy(variant.conftest, os.path.join(proj, "conftest.py"))
    shutil.copytree(venv, os.path.join(proj, ".venv"), symlinks=True)


def configure(variant, cluster, names):
    with open(os.path.join(variant.project, "tests", "test_t.py"), "w") as f:
        f.write(TESTS % (4 * len(names)))
    with open(os.path.join(variant.project, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\ncloud_nodes = %s\ncloud_ssh_config = %s\n"
                "cloud_connect_timeout = 30\ncloud_max_processes = 1\n%s"
                % (" ".join(names), cluster.ssh_config, variant.extra_ini))


def run_once(variant, cluster, names, nodes_group):
    env = dict(os.environ, PYTEST_CLOUD_HELPER=variant.helper, XDG_RUNTIME_DIR=variant.runtime)
    python = os.path.join(variant.project, ".venv", "bin", "python")
    before = logins(cluster, names)
    ctl0, nodes0 = variant.group.seconds(), nodes_group.seconds()
    start = time.monotonic()
    proc = subprocess.run(variant.group.wrap([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
                          cwd=variant.project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    wall = time.monotonic() - start
    ctl = variant.group.seconds() - ctl0
    machine = ctl + nodes_group.seconds() - nodes0
    passed = re.search(r"(\d+) passed", proc.stdout)
    ok = proc.returncode == 0 and passed and int(passed.group(1)) == 4 * len(names)
    return {"ok": ok, "why": "" if ok else proc.stdout.strip().splitlines()[-1][:120],
            "wall": wall, "ctl": ctl, "machine": machine,
            "logins": (logins(cluster, names) - before) / float(len(names))}


def build_previous(rev, base):
    tree = os.path.join(base, "previous")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tree, rev], check=True)
    subprocess.run(["make", "-s", "-C", tree, "build/pytest-cloud"], check=True, stdout=subprocess.DEVNULL)
    return tree


def summarise(results):
    bad = [r for r in results if not r["ok"]]
    if bad:
        return None, "failed %d of %d (%s)" % (len(bad), len(results), bad[-1]["why"])
    return {k: statistics.median(r[k] for r in results) for k in ("wall", "ctl", "machine", "logins")}, ""


def whole_runs(args, base):
    tree = build_previous(args.previous_rev, base)
    venv = os.path.join(base, "venv")
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed", venv],
                   check=True)
    variants = [
        Variant("masters", base, args.helper, CONFTEST, keeps_masters=True),
        Variant("persist-0", base, args.helper, CONFTEST, extra_ini="cloud_ssh_persist = 0\n"),
        Variant("0.3", base, os.path.join(tree, "build", "pytest-cloud"),
                os.path.join(tree, "conftest_template", "conftest.py")),
    ]
    for v in variants:
        make_project(v, venv)
    nodes_group = CpuGroup("pytest-cloud-bench-%d-nodes" % os.getpid())
    cluster = Cluster(tempfile.mkdtemp(prefix="pytest-cloud-bench.cluster."))
    names_all = ["n%02d" % i for i in range(max(args.sizes))]
    for name in names_all:
        cluster.add(name)
    rows = []
    try:
        with cluster:
            for node in cluster.nodes.values():
                nodes_group.add(node.proc.pid)  # the listener: its sessions follow
            for size in args.sizes:
                names = names_all[:size]
                results = {(v.name, s): [] for v in variants for s in ("cold", "warm")}
                for v in variants:  # the first copy out of the way
                    configure(v, cluster, names)
                    first = run_once(v, cluster, names, nodes_group)
                    if not first["ok"]:
                        sys.exit("%s at %d nodes: %s" % (v.name, size, first["why"]))
                for _ in range(args.runs):
                    for v in variants:
                        stop_masters(v.runtime)
                        time.sleep(1.5)  # a persist-0 master ends 1 s after its run
                        results[(v.name, "cold")].append(run_once(v, cluster, names, nodes_group))
                        results[(v.name, "warm")].append(run_once(v, cluster, names, nodes_group))
                for v in variants:
                    for state in ("cold", "warm"):
                        med, why = summarise(results[(v.name, state)])
                        rows.append((size, v.name, state, med, why))
                        print(format_row(rows[-1]), flush=True)
    finally:
        shutil.rmtree(cluster.dir, ignore_errors=True)
        for v in variants:
            stop_masters(v.runtime)
            v.group.remove()
            shutil.rmtree(v.runtime, ignore_errors=True)
        nodes_group.remove()
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])
    print()
    print("| nodes | variant | run | wall s | controller CPU s | per node s | machine CPU s "
          "| SSH logins per node |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(format_row(row))
    print()
    print("Per extra node (the slope of a least-squares line through the sizes' medians):")
    print()
    print("| variant | run | controller CPU s per node | machine CPU s per node | wall s per node |")
    print("|---|---|---|---|---|")
    for v in variants:
        for state in ("cold", "warm"):
            points = [(size, med) for size, name, st, med, _why in rows if name == v.name and st == state and med]
            if len(points) < 2:
                continue
            print("| %s | %s | %.3f | %.3f | %.3f |" % (
                v.name, state, slope(points, "ctl"), slope(points, "machine"), slope(points, "wall")))
    print("\n(medians of %d runs, interleaved; 4 tests of 0.2 s per node, one worker each; "
          "previous %s; %s)" % (args.runs, args.previous_rev, " ".join(shlex.quote(a) for a in sys.argv)))


def slope(points, key):
    """The least-squares slope of med[key] over the sizes."""
    xs = [x for x, _m in points]
    ys = [m[key] for _x, m in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def format_row(row):
    size, name, state, med, why = row
    if med is None:
        return "| %d | %s | %s | %s |" % (size, name, state, why)
    return "| %d | %s | %s | %.2f | %.2f | %.3f | %.2f | %.1f |" % (
        size, name, state, med["wall"], med["ctl"], med["ctl"] / size, med["machine"], med["logins"])


# -- at scale ---------------------------------------------------------------

def proc_status(pid):
    found = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                found[key] = value.strip()
        found["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None
    return found


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid):
    st = proc_status(pid)
    return int(st["VmRSS"].split()[0]) if st and "VmRSS" in st else 0


class Sampler:
    """The helper's peak threads and open files, sampled every 20 ms."""

    def __init__(self, pid):
        self.pid = pid
        self.threads = 0
        self.fds = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            st = proc_status(self.pid)
            if st is None:
                return
            self.threads = max(self.threads, int(st.get("Threads", 0)))
            self.fds = max(self.fds, st["fds"])
            time.sleep(0.02)


def at_scale(args, base):
    count = args.at_scale
    print("starting %d sshd nodes..." % count, flush=True)
    cluster = Cluster(tempfile.mkdtemp(prefix="pytest-cloud-bench.cluster."))
    names = ["s%03d" % i for i in range(count)]
    for name in names:
        cluster.add(name)
    proj = os.path.join(base, "tiny")
    os.makedirs(os.path.join(proj, "tests"))
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\n")
    with open(os.path.join(proj, "tests", "test_x.py"), "w") as f:
        f.write("def test_x():\n    pass\n")
    runtime = tempfile.mkdtemp(prefix="pcs-", dir="/tmp")
    group = CpuGroup("pytest-cloud-bench-%d-scale" % os.getpid())
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    out = []
    try:
        with cluster:
            before = logins(cluster, names)
            cpu0 = group.seconds()
            start = time.monotonic()
            helper = subprocess.Popen(
                group.wrap([args.helper, "--hold", "--gateway-check", "--json", "--cloud-nodes=" + " ".join(names),
                            "--cloud-ssh-config=" + cluster.ssh_config, "--cloud-connect-timeout=60",
                            "--cloud-chdir=scale"]),
                cwd=proj, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            sampler = Sampler(helper.pid)
            err = []
            threading.Thread(target=lambda: err.extend(helper.stderr), daemon=True).start()
            plan = helper.stdout.read()
            plan_at = time.monotonic() - start
            import json

            plan = json.loads(plan)
            ok = sum(1 for n in plan["nodes"] if n["status"] == "ok")
            time.sleep(1)
            held = proc_status(helper.pid)
            masters = master_pids(runtime)
            cpu = group.seconds() - cpu0
            out.append("helper at %d nodes: plan out after %.1f s, %d ok; %.1f s of CPU (helper and "
                       "masters); %.2f SSH logins per node" % (
                           count, plan_at, ok, cpu, (logins(cluster, names) - before) / float(count)))
            out.append("helper while it runs: at most %d threads, %d open files; peak RSS %s"
                       % (sampler.threads, sampler.fds, held["VmHWM"]))
            out.append("helper while it holds (the tests' time): %s threads, %d open files, RSS %s, PSS %d kB"
                       % (held["Threads"], held["fds"], held["VmRSS"], pss_kb(helper.pid)))
            out.append("masters: %d, RSS %d kB each (median), PSS %d kB in all (%d kB each)" % (
                len(masters), statistics.median(rss_kb(p) for p in masters) if masters else 0,
                sum(pss_kb(p) for p in masters), sum(pss_kb(p) for p in masters) / max(1, len(masters))))
            # one session per node through its master, as a gateway's ssh
            paths = {n["node"]: (n["ssh"]["control_path"], n["ssh"]["hostname"]) for n in plan["nodes"]
                     if n["status"] == "ok" and n["ssh"].get("control_path")}
            cpu0 = group.seconds()
            start = time.monotonic()
            sessions = [subprocess.Popen(
                group.wrap(["ssh", "-F", cluster.ssh_config, "-o", "BatchMode=yes", "-o", "ControlMaster=no",
                            "-o", "ControlPath=" + path, name, "echo up; exec cat"]),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                for name, (path, _h) in sorted(paths.items())]
            up = sum(1 for s in sessions if s.stdout.readline().strip() == b"up")
            opened = time.monotonic() - start
            cpu = group.seconds() - cpu0
            time.sleep(1)
            rss = [rss_kb(s.pid) for s in sessions]
            pss = sum(pss_kb(s.pid) for s in sessions)
            fds = statistics.median((proc_status(s.pid) or {"fds": 0})["fds"] for s in sessions)
            out.append("one session per node through its master (a gateway's ssh): %d up in %.1f s, %.1f s of "
                       "CPU (%.1f ms each); each ssh %d kB RSS (median), %d open files; PSS %d kB in all" % (
                           up, opened, cpu, 1000 * cpu / max(1, up), statistics.median(rss) if rss else 0,
                           fds, pss))
            for s in sessions:
                s.stdin.close()
            for s in sessions:
                s.wait()
                s.stdout.close()
            helper.stdin.close()
            helper.wait()
            sampler.stop = True
            helper.stdout.close()
    finally:
        shutil.rmtree(cluster.dir, ignore_errors=True)
        stop_masters(runtime)
        group.remove()
        shutil.rmtree(runtime, ignore_errors=True)
    print()
    for line in out:
        print(line)
    print("\n(%s)" % " ".join(shlex.quote(a) for a in sys.argv))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 48])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--previous-rev", default="841c8af", help="git revision of 0.3.0, run side by side")
    ap.add_argument("--at-scale", type=int, nargs="?", const=500, default=0,
                    help="also the helper alone at this many nodes (500)")
    ap.add_argument("--skip-runs", action="store_true", help="only --at-scale")
    ap.add_argument("--helper", default=HELPER, help="this tree's helper (default build/pytest-cloud)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (16384, 16384))
    # the projects where no node sees them (each node's home is mounted
    # over this one): a project a node sees would run in place, uncopied
    hidden = os.path.join(os.path.expanduser("~"), ".cache")
    os.makedirs(hidden, exist_ok=True)
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.", dir=hidden)
    try:
        if not args.skip_runs:
            whole_runs(args, base)
        if args.at_scale:
            at_scale(args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
