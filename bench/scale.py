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
tiny project; connect timeout 60 s, keepalive 120 s and sync timeout 900 s,
since every node's sshd shares this machine's cores): the helper's peak threads, open files and memory while it
runs and while it holds; the masters (count, memory); then one session
per node through its master as a gateway opens it (the mux client beside
the helper, `pytest-cloud-mux --quote ... cat`; ssh where there is none):
those processes' memory, open files and CPU.

Breakdown (--breakdown: instead of the whole runs above; sizes 8 32 by
default): where the controller's CPU of a run goes, per component, from
cpuacct cgroups (nanoseconds, every process and thread counted, however
short-lived).  Each process the run starts is put in a group of its own
kind as it starts (a small wrapper, compiled here, found on PATH as ssh
and rsync and given as PYTEST_CLOUD_HELPER, joins its group and execs the
real program; its exec is charged to that group): the helper (and its own
threads: libssh's probe, the claims, the locks' heartbeat), its ssh -G,
its rsync and rsync's ssh, the masters (ssh ... ControlMaster=yes, and
the master it leaves running, however it detaches), any other ssh the
helper starts, and the gateways' ssh (execnet's, from pytest).  What is
left in the run's group is pytest's own process, split into phases by a
plugin loaded on the controller only (PYTEST_PLUGINS): the start
(imports, up to pytest_cmdline_main), the helper's time (the conftest
runs it and reads its lines), the session's start, the bring-up (the
conftest's gateways, worker checks and workers: pytest_xdist_setupnodes),
xdist's setup of each worker and their collections (up to the last
pytest_xdist_node_collection_finished), the tests, the session's end,
and the exit (after pytest_unconfigure); the bring-up's share of threads
other than the main one (execnet's IO threads, the parallel starts) is
said too.  Apart, the helper's probe alone (--dry-run: ssh -G and
libssh's probe, no master, no copy), and, with perf on PATH, where the
helper's own CPU goes by library (perf record of that dry run).  Each
figure per run, medians of --runs; per extra node, the slope through
the sizes.  --against REV runs REV's helper and plugin (built in a
scratch worktree) side by side, interleaved, to measure a cut.

Node addresses come from PYTEST_CLOUD_TEST_NETS (lo-hi, as the e2e
suite's: tests/e2e/cluster.py), so that runs side by side keep apart.
Needs root (sshd nodes, cgroups), git, cc, and Debian's pytest, xdist
and virtualenv.

    /usr/bin/python3 bench/scale.py [--sizes 8 16 32 48] [--runs 3]
        [--previous-rev 841c8af] [--at-scale [N]] [--skip-runs] [--helper PATH]
    /usr/bin/python3 bench/scale.py --breakdown [--sizes 8 32] [--runs 3]
        [--against REV]
"""

import argparse
import collections
import json
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

    def __init__(self, name, parent=None):
        v1 = "/sys/fs/cgroup/cpuacct"
        self.subs = []
        if parent is not None:  # a group inside parent (counted in it too)
            self.path = os.path.join(parent.path, name)
            self.v2 = parent.v2
            self.root = parent.root
            parent.subs.append(self)
        elif os.path.isdir(v1):
            self.path = os.path.join(v1, name)
            self.v2 = False
            self.root = v1
        else:
            self.path = os.path.join("/sys/fs/cgroup", name)
            self.v2 = True
            self.root = "/sys/fs/cgroup"
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
        for sub in self.subs:
            sub.remove()
        root = self.root  # what is left in it goes to the hierarchy's root
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
    # its mux client beside it, where that revision has one (so that a cut
    # is measured against the tree as it runs installed)
    subprocess.run(["make", "-s", "-C", tree, "build/pytest-cloud-mux"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
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


# -- breakdown: the controller's CPU by component ---------------------------

# Found on PATH as ssh and rsync, and given as PYTEST_CLOUD_HELPER: joins
# the group of its kind (under $BENCH_CG), then execs the real program.
WRAPPER = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void join(const char *sub)
{
	const char *top = getenv("BENCH_CG");
	char path[4096], pid[32];
	int fd, n;

	if (top == NULL) {
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", top, sub);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (write(fd, pid, n) < 0) {
			perror(path);
		}
		close(fd);
	}
}

static int parent_is(const char *name)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)getppid());
	f = fopen(path, "r");
	if (f == NULL) {
		return 0;
	}
	if (fgets(comm, sizeof(comm), f) == NULL) {
		comm[0] = 0;
	}
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return strcmp(comm, name) == 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const char *real, *sub;
	int i;

	base = base ? base + 1 : argv[0];
	if (strcmp(base, "ssh") == 0) {
		real = "/usr/bin/ssh";
		sub = "gw-ssh";
		if (parent_is("rsync")) {
			sub = "rsync-ssh";
		} else if (parent_is("pytest-cloud")) {
			sub = "helper-ssh";
		}
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "-G") == 0) {
				sub = "ssh-G";
			} else if (strstr(argv[i], "ControlMaster=yes")) {
				sub = "masters";
			}
		}
	} else if (strcmp(base, "rsync") == 0) {
		real = "/usr/bin/rsync";
		sub = "rsync";
	} else {
		real = getenv("BENCH_HELPER");
		sub = "helper";
	}
	join(sub);
	execv(real, argv);
	perror(real);
	return 127;
}
"""

# Loaded on the controller only (PYTEST_PLUGINS): pytest's own CPU
# (process_time: every thread; thread_time: the main one) at each mark.
PHASES = r"""
import json, os, time

import pytest

MARKS = []
COLLECTED = []


def mark(name):
    MARKS.append((name, time.process_time(), time.thread_time()))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_cmdline_main(config):
    mark("start")
    yield


def pytest_configure(config):
    mark("helper")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_xdist_setupnodes(config, specs):
    mark("session start")
    yield
    mark("bring-up")


def pytest_xdist_node_collection_finished(node, ids):
    COLLECTED.append((time.process_time(), time.thread_time()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    yield
    if COLLECTED:
        MARKS.append(("xdist setup, collections",) + COLLECTED[-1])
    mark("tests")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    mark("session end")
    with open(os.environ["BENCH_PHASES"], "w") as f:
        json.dump(MARKS, f)
"""

# what each group holds, in the order reported
GROUPS = (("helper", "helper's own process (libssh probe, claims, heartbeat)"),
          ("ssh-G", "ssh -G (one per node)"),
          ("rsync", "rsync (local side)"),
          ("rsync-ssh", "rsync's ssh (through the master)"),
          ("masters", "masters (started, and serving sessions)"),
          ("helper-ssh", "other ssh the helper starts"),
          ("gw-ssh", "gateways' ssh (through the master)"))
PHASE_ORDER = ("start", "helper", "session start", "bring-up", "xdist setup, collections", "tests",
               "session end", "exit")


def build_wrapper(base):
    folder = os.path.join(base, "wrap")
    os.makedirs(folder)
    src = os.path.join(folder, "wrap.c")
    with open(src, "w") as f:
        f.write(WRAPPER)
    exe = os.path.join(folder, "pytest-cloud")
    subprocess.run(["cc", "-O2", "-o", exe, src], check=True)
    for name in ("ssh", "rsync"):
        os.link(exe, os.path.join(folder, name))
    with open(os.path.join(folder, "benchphases.py"), "w") as f:
        f.write(PHASES)
    return folder


class Split(Variant):
    def __init__(self, name, base, helper, conftest):
        Variant.__init__(self, name, base, helper, conftest, keeps_masters=True)
        self.subs = {g: CpuGroup(g, self.group) for g, _what in GROUPS}


def split_env(variant, wrap, **more):
    return dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(wrap, "pytest-cloud"),
                XDG_RUNTIME_DIR=variant.runtime, BENCH_CG=variant.group.path, BENCH_HELPER=variant.helper,
                PATH=wrap + ":" + os.environ["PATH"], **more)


def run_split(variant, names, wrap, base):
    """One whole run of variant: {component: CPU seconds}."""
    phases = os.path.join(base, "phases.json")
    env = split_env(variant, wrap, BENCH_PHASES=phases, PYTHONPATH=wrap, PYTEST_PLUGINS="benchphases")
    python = os.path.join(variant.project, ".venv", "bin", "python")
    before = {g: grp.seconds() for g, grp in variant.subs.items()}
    total0 = variant.group.seconds()
    proc = subprocess.run(variant.group.wrap([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]),
                          cwd=variant.project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    passed = re.search(r"(\d+) passed", proc.stdout)
    if proc.returncode != 0 or not passed or int(passed.group(1)) != 4 * len(names):
        sys.exit("%s at %d nodes: %s" % (variant.name, len(names), proc.stdout.strip()[-2000:]))
    out = {g: grp.seconds() - before[g] for g, grp in variant.subs.items()}
    out["total"] = variant.group.seconds() - total0
    own = out["total"] - sum(out[g] for g, _w in GROUPS)
    with open(phases) as f:
        marks = json.load(f)
    last = 0.0
    for name, cpu, _main in marks:
        out["pytest: " + name] = cpu - last
        last = cpu
    out["pytest: exit"] = own - last
    at = {name: (cpu, main) for name, cpu, main in marks}
    if "session start" in at and "bring-up" in at:
        out["pytest: bring-up, threads but the main one"] = (
            at["bring-up"][0] - at["session start"][0] - (at["bring-up"][1] - at["session start"][1]))
    out["pytest (all)"] = own
    return out


def dry_probe(variant, wrap):
    """The helper's probe alone (--dry-run): its own CPU and its ssh -G's."""
    env = split_env(variant, wrap)
    before = {g: variant.subs[g].seconds() for g in ("helper", "ssh-G")}
    proc = subprocess.run([os.path.join(wrap, "pytest-cloud"), "--dry-run", "--json"], cwd=variant.project,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("dry run: %s" % proc.stderr[-1000:])
    return {"dry run: " + g: variant.subs[g].seconds() - before[g] for g in before}


def perf_probe(variant, base):
    """perf's split of a dry run's samples by command and library (lines),
    or [] without perf."""
    perf = shutil.which("perf")
    if perf is None:
        return []
    data = os.path.join(base, "perf.data")
    env = dict(os.environ, XDG_RUNTIME_DIR=variant.runtime)
    rec = subprocess.run([perf, "record", "-q", "-F", "4999", "-o", data, "--", variant.helper, "--dry-run",
                          "--json"], cwd=variant.project, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    if rec.returncode != 0:
        return ["(perf record failed: %s)" % rec.stderr.strip()[-200:]]
    rep = subprocess.run([perf, "report", "-i", data, "--stdio", "--sort", "comm,dso", "--percent-limit", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return [line for line in rep.stdout.splitlines() if line.strip() and not line.startswith("#")]


def print_breakdown(results, variants, sizes, runs):
    keys = []
    for found in results.values():
        for k in found[0]:
            if k not in keys:
                keys.append(k)
    order = (["total"] + [g for g, _w in GROUPS] + ["pytest (all)"] + ["pytest: " + p for p in PHASE_ORDER]
             + ["pytest: bring-up, threads but the main one", "dry run: helper", "dry run: ssh-G"])
    keys = [k for k in order if k in keys] + [k for k in keys if k not in order]
    labels = dict(GROUPS)
    for state in ("warm", "cold"):
        print()
        print("%s runs: the controller's CPU by component, s (medians of %d); per extra node, ms" % (state, runs))
        print()
        print("| component |" + "".join(" %s, %d nodes |" % (v.name, n) for v in variants for n in sizes)
              + "".join(" %s, per node ms |" % v.name for v in variants))
        print("|---|" + "---|" * (len(variants) * (len(sizes) + 1)))
        for k in keys:
            cells, per = [], []
            for v in variants:
                meds = [(n, {"v": statistics.median(r.get(k, 0.0) for r in results[(v.name, n, state)])})
                        for n in sizes]
                cells += ["%.3f" % m["v"] for _n, m in meds]
                per.append("%.1f" % (1000 * slope(meds, "v")))
            print("| %s |" % labels.get(k, k) + "".join(" %s |" % c for c in cells + per))


def breakdown(args, base):
    wrap = build_wrapper(base)
    venv = os.path.join(base, "venv")
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed", venv],
                   check=True)
    variants = [Split("this", base, args.helper, CONFTEST)]
    tree = None
    if args.against:
        tree = build_previous(args.against, base)
        variants.append(Split(args.against, base, os.path.join(tree, "build", "pytest-cloud"),
                              os.path.join(tree, "conftest_template", "conftest.py")))
    for v in variants:
        make_project(v, venv)
    cluster = Cluster(tempfile.mkdtemp(prefix="pytest-cloud-bench.cluster."))
    names_all = ["n%02d" % i for i in range(max(args.sizes))]
    for name in names_all:
        cluster.add(name)
    sizes = sorted(args.sizes)
    results = {}  # (variant, size, "cold"/"warm") -> [{component: s}]
    perf_lines = []
    try:
        with cluster:
            for size in sizes:
                names = names_all[:size]
                for v in variants:
                    configure(v, cluster, names)
                    run_split(v, names, wrap, base)  # the first copy out of the way
                for _ in range(args.runs):
                    for v in variants:
                        stop_masters(v.runtime)
                        time.sleep(1.5)  # a master ends 1 s after its run at persist 0
                        for state in ("cold", "warm"):
                            found = run_split(v, names, wrap, base)
                            found.update(dry_probe(v, wrap))
                            results.setdefault((v.name, size, state), []).append(found)
            perf_lines = perf_probe(variants[0], base)
    finally:
        shutil.rmtree(cluster.dir, ignore_errors=True)
        for v in variants:
            stop_masters(v.runtime)
            v.group.remove()
            shutil.rmtree(v.runtime, ignore_errors=True)
        if tree:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree])
    print_breakdown(results, variants, sizes, args.runs)
    if perf_lines:
        print()
        print("perf: a dry run of the helper at %d nodes, its samples by command and library:" % sizes[-1])
        print()
        for line in perf_lines:
            print("    " + line)
    print("\n(%s; previous-rev %s)" % (" ".join(shlex.quote(a) for a in sys.argv), args.against))

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
                            # every node's sshd shares this machine's cores:
                            # bounds a loaded controller would be given
                            "--cloud-keepalive=120", "--cloud-sync-timeout=900",
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
            # why the others were left out: the reasons, with the node's
            # name and any figure in them made into N, counted
            why = collections.Counter(
                re.sub(r"\d+(\.\d+)?", "N", (n.get("reason") or "?").replace(n["node"], "NODE"))
                for n in plan["nodes"] if n["status"] != "ok")
            for reason, k in why.most_common(8):
                out.append("left out: %d nodes: %s" % (k, reason))
            out.append("helper while it runs: at most %d threads, %d open files; peak RSS %s"
                       % (sampler.threads, sampler.fds, held["VmHWM"]))
            out.append("helper while it holds (the tests' time): %s threads, %d open files, RSS %s, PSS %d kB"
                       % (held["Threads"], held["fds"], held["VmRSS"], pss_kb(helper.pid)))
            out.append("masters: %d, RSS %d kB each (median), PSS %d kB in all (%d kB each)" % (
                len(masters), statistics.median(rss_kb(p) for p in masters) if masters else 0,
                sum(pss_kb(p) for p in masters), sum(pss_kb(p) for p in masters) / max(1, len(masters))))
            # one session per node through its master, as a gateway opens
            # it: the mux client beside the helper (a popen gateway's
            # python), or ssh where there is none
            paths = {n["node"]: (n["ssh"]["control_path"], n["ssh"]["hostname"]) for n in plan["nodes"]
                     if n["status"] == "ok" and n["ssh"].get("control_path")}
            mux = os.path.join(os.path.dirname(os.path.abspath(args.helper)), "pytest-cloud-mux")
            via = "pytest-cloud-mux" if os.access(mux, os.X_OK) else "ssh"

            def session(name, path):
                if via == "ssh":
                    return ["ssh", "-F", cluster.ssh_config, "-o", "BatchMode=yes", "-o", "ControlMaster=no",
                            "-o", "ControlPath=" + path, name, "echo up; exec cat"]
                return [mux, "--quote", path, "ssh", "-F", cluster.ssh_config, name,
                        "sh", "-c", "echo up; exec cat"]

            cpu0 = group.seconds()
            start = time.monotonic()
            sessions = [subprocess.Popen(
                group.wrap(session(name, path)),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                for name, (path, _h) in sorted(paths.items())]
            up = sum(1 for s in sessions if s.stdout.readline().strip() == b"up")
            opened = time.monotonic() - start
            cpu = group.seconds() - cpu0
            time.sleep(1)
            rss = [rss_kb(s.pid) for s in sessions]
            pss = sum(pss_kb(s.pid) for s in sessions)
            fds = statistics.median((proc_status(s.pid) or {"fds": 0})["fds"] for s in sessions)
            out.append("one session per node through its master (a gateway's, by %s): %d up in %.1f s, %.1f s "
                       "of CPU (%.1f ms each); each %d kB RSS (median), %d open files; PSS %d kB in all" % (
                           via, up, opened, cpu, 1000 * cpu / max(1, up), statistics.median(rss) if rss else 0,
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
    ap.add_argument("--breakdown", action="store_true",
                    help="the controller's CPU by component instead of the whole runs (sizes 8 32)")
    ap.add_argument("--against", default=None, help="with --breakdown: this revision side by side")
    ap.add_argument("--helper", default=HELPER, help="this tree's helper (default build/pytest-cloud)")
    args = ap.parse_args()
    if args.breakdown and "--sizes" not in sys.argv:
        args.sizes = [8, 32]
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
        if args.breakdown:
            breakdown(args, base)
        elif not args.skip_runs:
            whole_runs(args, base)
        if args.at_scale:
            at_scale(args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
