"""Benchmark: one start per node (a node's workers forked from one process
that imported and collected the suite) against a fresh python per worker
(cloud_fork = no), side by side in one run, interleaved, medians.

Real sshd nodes on loopback, sharing this machine's cores.  The suite:
a module whose import costs about 0.4 s of CPU (like numpy or a big
application package), and 96 tests of 50 ms.  Each node says it has N
CPUs (sshd's SetEnv OMP_NUM_THREADS=N, which nproc reads).

  workers       2 nodes x 1, 4 and 12 workers: wall time, machine CPU
                (/proc/stat, every process), and the extra machine CPU
                per extra worker
  first result  2 nodes x 24 workers on stock sshd: seconds from pytest's
                start to the first test's result
  memory        the summed PSS of one node's 12 workers, taken mid-run
  wait          a suite whose import waits 1.5 s (on a disk or a network,
                not the CPU): seconds to the first result on 2 nodes x 4
                workers; the fork server's scout collects the suite (its
                own import) before the server imports what it names, so
                forking waits for two imports before the first worker
  cov           the same suite with --cov=heavy (pytest-cov) against
                without, 2 nodes x 4 workers, fork on and off: wall time
                and machine CPU (under coverage each forked worker imports
                the measured module itself)
  pyflakes      its own suite (Debian's python3-pyflakes), 2 x 4 workers

With --accounting (Debian's acct: accton, dump-acct), the forked 2 x 12
runs also say where the CPU went, process by process, from the kernel's
BSD process accounting: a forked worker, its client, the fork server and
its scout, the node's gateway, the controller's pytest.

Needs root (sshd nodes) and Debian's pytest, xdist and virtualenv.

    /usr/bin/python3 bench/fork.py [--runs 3] [--skip SECTION] [--accounting]
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

HEAVY = '''"""Stands for a package whose import costs about 0.4 s of CPU."""
import time

_end = time.process_time() + 0.4
_n = 0
while time.process_time() < _end:
    _n += 1
'''
TESTS = '''import time

import heavy
import pytest


@pytest.mark.parametrize("n", range(96))
def test_quick(n):
    time.sleep(0.05)
'''
WAITING = '''"""Stands for an import that waits on a disk or a network."""
import time

time.sleep(1.5)
'''
PYFLAKES = "/usr/lib/python3/dist-packages/pyflakes"


def busy_seconds():
    """CPU seconds every process of this machine has used (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def make_project(base, name, files):
    proj = os.path.join(base, name)
    os.makedirs(os.path.join(proj, "tests"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), proj)
    for rel, text in files.items():
        with open(os.path.join(proj, rel), "w") as f:
            f.write(text)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed",
                    os.path.join(proj, ".venv")], check=True)
    return proj


def write_ini(proj, cluster, nodes, fork, testpaths="tests", more=""):
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = %s\ncloud_nodes = %s\ncloud_ssh_config = %s\ncloud_fork = %s\n"
                "cloud_connect_timeout = 30\n%s" % (testpaths, nodes, cluster.ssh_config,
                                                    "yes" if fork else "no", more))


def run(proj, watch=None, extra=()):
    """One whole pytest run: (wall s, machine CPU s, first result s, what
    watch() returned mid-run, its output, CPU s of the controller's side:
    pytest, the helper, rsync and every ssh client)."""
    env = dict(os.environ, PYTEST_CLOUD_HELPER=os.path.join(ROOT, "build", "pytest-cloud"))
    import resource

    mine0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = busy_seconds()
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest", "-v",
                             "-p", "no:cacheprovider"] + list(extra), cwd=proj, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    first = None
    seen = []
    watched = []
    for line in proc.stdout:
        seen.append(line)
        if first is None and re.search(r"\b(PASSED|FAILED)\b", line):
            first = time.monotonic() - start
            if watch is not None:
                threading.Thread(target=lambda: watched.append(watch()), daemon=True).start()
    proc.wait()
    wall = time.monotonic() - start
    cpu = busy_seconds() - cpu0
    mine1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    controller = (mine1.ru_utime + mine1.ru_stime) - (mine0.ru_utime + mine0.ru_stime)
    text = "".join(seen)
    if proc.returncode not in (0, 1) or not re.search(r"\d+ passed", text):
        sys.exit("run failed:\n" + text[-3000:])
    return wall, cpu, first, (watched[0] if watched else None), text, controller


def accounted(fn):
    """Runs fn() under BSD process accounting; returns (what fn returned,
    [(command, CPU s, pid, ppid)] of every process that ended meanwhile)."""
    fd, path = tempfile.mkstemp(prefix="pytest-cloud-acct.")
    os.close(fd)
    subprocess.run(["accton", path], check=True, stdout=subprocess.DEVNULL)
    try:
        got = fn()
        time.sleep(1.5)  # the nodes' processes end after the run
    finally:
        subprocess.run(["accton", "off"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["dump-acct", path], stdout=subprocess.PIPE, text=True, check=True).stdout
    os.unlink(path)
    hz = 100.0  # dump-acct's ticks (AHZ)
    rows = []
    for line in out.splitlines():
        f = [x.strip() for x in line.split("|")]
        rows.append((f[0], (float(f[2]) + float(f[3])) / hz, int(f[9]), int(f[10])))
    return got, rows


def cpu_by_role(rows, me):
    """{role: [CPU s of each process]} for a forked run's processes:
    gateways are pythons started by sshd; the fork server is the python
    whose python children are not the gateway's (it may outlive its
    gateway, and so be the init's child when it ends); its first child is
    the collection afresh, the rest are the workers; clients are the
    gateway's other python children."""
    comm = {pid: c for c, _cpu, pid, _pp in rows}
    py = [(cpu, pid, pp) for c, cpu, pid, pp in rows if c.startswith("python")]
    gateways = {pid for _cpu, pid, pp in py if comm.get(pp) == "sshd"}
    children = {}
    for cpu, pid, pp in py:
        children.setdefault(pp, []).append((pid, cpu))
    servers = {pid for _cpu, pid, _pp in py if pid not in gateways and len(children.get(pid, ())) >= 3}
    roles = {"controller's pytest": [], "gateway": [], "fork server": [], "its scout": [],
             "forked worker": [], "worker's client": []}
    for cpu, pid, pp in py:
        if pp == me:
            roles["controller's pytest"].append(cpu)
        elif pid in gateways:
            roles["gateway"].append(cpu)
        elif pid in servers:
            roles["fork server"].append(cpu)
        elif pp in servers:
            first = min(p for p, _c in children[pp])
            roles["its scout" if pid == first else "forked worker"].append(cpu)
        elif pp in gateways:
            roles["worker's client"].append(cpu)
    return roles


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return int(stat[stat.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def workers_pss_kib(cluster, name):
    """The summed PSS of node name's workers, half a second into its
    tests: fresh ones are the gateway's python children, forked ones the
    fork server's children (a fork keeps its parent's command line)."""
    time.sleep(0.5)
    procs = dict(cluster.processes(name, sessions_only=True))
    total = 0
    for pid, cmd in procs.items():
        parent = procs.get(_ppid(pid), "")
        fresh = "exec(eval(" in cmd and "exec(eval(" in parent
        forked = "server.py" in cmd and "server.py" in parent
        if fresh or forked:
            total += _pss_kib(pid)
    return total


def median(rows, k):
    return statistics.median(r[k] for r in rows)


def workers_section(args, cluster, proj, rows, roles):
    for n in (1, 4, 12):
        for fork in (True, False):
            rows[(n, fork)] = []
    for _ in range(args.runs):
        for n in (1, 4, 12):
            for fork in (True, False):
                write_ini(proj, cluster, "n%d-1 n%d-2" % (n, n), fork)
                run(proj)  # the copy, and the nodes' caches warm
                watch = (lambda: workers_pss_kib(cluster, "n12-1")) if n == 12 else None
                if args.accounting and n == 12 and fork:
                    got, acct = accounted(lambda: run(proj, watch))
                    for role, cpus in cpu_by_role(acct, os.getpid()).items():
                        roles.setdefault(role, []).append(cpus)
                else:
                    got = run(proj, watch)
                rows[(n, fork)].append(got)
    print("## Worker cost: 2 nodes, 96 tests of 50 ms, an import of 0.4 s CPU\n")
    print("| workers | fork | wall s | machine CPU s | of which the controller's s | extra CPU per extra "
          "worker s | of which on the nodes s | PSS of a node's workers MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for fork in (True, False):
        base_cpu = median(rows[(1, fork)], 1)
        base_nodes = base_cpu - median(rows[(1, fork)], 5)
        for n in (1, 4, 12):
            r = rows[(n, fork)]
            extra = nodes_extra = ""
            if n > 1:
                extra = "%.3f" % ((median(r, 1) - base_cpu) / (2 * (n - 1)))
                nodes_extra = "%.3f" % ((median(r, 1) - median(r, 5) - base_nodes) / (2 * (n - 1)))
            pss = [x[3] for x in r if x[3]]
            print("| 2 x %d | %s | %.2f | %.2f | %.2f | %s | %s | %s |" % (
                n, "on" if fork else "off", median(r, 0), median(r, 1), median(r, 5), extra, nodes_extra,
                "%.1f" % (statistics.median(pss) / 1024) if pss else ""))
    for fork in (True, False):
        print("\nfork %s: each worker past 4 a node adds %.3f s of machine CPU (2 x 4 to 2 x 12: the "
              "fixed costs of one start per node left out)" % (
                  "on" if fork else "off", (median(rows[(12, fork)], 1) - median(rows[(4, fork)], 1)) / 16))
    if roles:
        print("\n## Where the CPU went: fork on, 2 x 12 (BSD process accounting)\n")
        print("| process | how many a run | CPU s each (median) | CPU s a run (median) |")
        print("|---|---|---|---|")
        for role, runs in roles.items():
            each = [c for cpus in runs for c in cpus]
            print("| %s | %d | %s | %.2f |" % (role, statistics.median(len(c) for c in runs),
                                              "%.3f" % statistics.median(each) if each else "-",
                                              statistics.median(sum(c) for c in runs)))
    tests_time = 96 * 0.05
    for fork in (True, False):
        one = median(rows[(1, fork)], 0)
        twelve = median(rows[(12, fork)], 0)
        print("\nfork %s: 2 x 12 took %.2f s, against 2 x 1 plus the tests' own time on 2 x 12 workers "
              "(%.2f + %.2f - %.2f = %.2f s): %.2fx" % (
                  "on" if fork else "off", twelve, one, tests_time / 24, tests_time / 2,
                  one - tests_time / 2 + tests_time / 24, twelve / (one - tests_time / 2 + tests_time / 24)))


def first_result(args, cluster, proj, nodes, title):
    """Prints the median seconds to the first result, fork on and off,
    each measured on a warm run (interleaved)."""
    first = {True: [], False: []}
    for _ in range(args.runs):
        for fork in (True, False):
            write_ini(proj, cluster, nodes, fork)
            run(proj)
            first[fork].append(run(proj)[2])
    print("\n## Time to first result: %s\n" % title)
    for fork in (True, False):
        print("fork %s: %.2f s" % ("on" if fork else "off", statistics.median(first[fork])))


def first_section(args, cluster, proj):
    first_result(args, cluster, proj, "n24-1 n24-2", "2 nodes x 24 workers, stock sshd")


def wait_section(args, cluster, hidden):
    proj = make_project(hidden, "waiting", {"waiting.py": WAITING,
                                            "tests/test_quick.py": TESTS.replace("import heavy", "import waiting")})
    first_result(args, cluster, proj, "n4-1 n4-2", "an import that waits 1.5 s, 2 nodes x 4 workers")


def cov_section(args, cluster, proj):
    got = {}
    for _ in range(args.runs):
        for fork in (True, False):
            for cov in (False, True):
                write_ini(proj, cluster, "n4-1 n4-2", fork)
                extra = ("--cov=heavy", "--cov-report=term") if cov else ()
                run(proj, extra=extra)
                wall, cpu, _first, _w, text, _c = run(proj, extra=extra)
                if cov and not re.search(r"^heavy\.py\s+\d+\s+0\s+100%", text, re.M):
                    sys.exit("--cov run without heavy.py at 100%:\n" + text[-3000:])
                got.setdefault((fork, cov), []).append((wall, cpu))
    print("\n## --cov (pytest-cov) against none, 2 nodes x 4 workers\n")
    print("| fork | --cov | wall s | machine CPU s | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for fork in (True, False):
        base = got[(fork, False)]
        for cov in (False, True):
            r = got[(fork, cov)]
            print("| %s | %s | %.2f | %.2f | %.2f | %.2f |" % (
                "on" if fork else "off", "yes" if cov else "no", median(r, 0), median(r, 1),
                median(r, 0) / median(base, 0), median(r, 1) / median(base, 1)))


def pyflakes_section(args, cluster, hidden):
    flakes = os.path.join(hidden, "flakes")
    os.makedirs(flakes)
    shutil.copytree(PYFLAKES, os.path.join(flakes, "pyflakes"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), flakes)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed",
                    os.path.join(flakes, ".venv")], check=True)
    got = {True: [], False: []}
    outcome = {}
    for _ in range(args.runs):
        for fork in (True, False):
            write_ini(flakes, cluster, "n4-1 n4-2", fork, testpaths="pyflakes/test")
            run(flakes)
            wall, cpu, _first, _w, text, _c = run(flakes)
            got[fork].append((wall, cpu))
            outcome[fork] = re.findall(r"\d+ (?:passed|failed|skipped|xfailed)", text.splitlines()[-1])
    print("\n## pyflakes' own suite, 2 nodes x 4 workers\n")
    for fork in (True, False):
        print("fork %s: %.2f s wall, %.2f s machine CPU; %s" % (
            "on" if fork else "off", statistics.median(w for w, _c in got[fork]),
            statistics.median(c for _w, c in got[fork]), ", ".join(outcome[fork])))
    print("same outcomes: %s" % (outcome[True] == outcome[False]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--accounting", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    if args.accounting and not (shutil.which("accton") and shutil.which("dump-acct")):
        sys.exit("--accounting needs accton and dump-acct (apt-get install acct)")
    roles = {}
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-fork-", dir=os.path.expanduser("~"))
    cluster = Cluster(os.path.join(base, "cluster"))
    for n in (1, 4, 12, 24):
        for k in (1, 2):
            cluster.add("n%d-%d" % (n, k), env={"OMP_NUM_THREADS": str(n)})
    proj = make_project(hidden, "heavy", {"heavy.py": HEAVY, "tests/test_quick.py": TESTS})
    rows = {}
    with cluster:
        if "workers" not in args.skip:
            workers_section(args, cluster, proj, rows, roles)
        if "first" not in args.skip:
            first_section(args, cluster, proj)
        if "wait" not in args.skip:
            wait_section(args, cluster, hidden)
        if "cov" not in args.skip:
            cov_section(args, cluster, proj)
        if "pyflakes" not in args.skip and os.path.isdir(PYFLAKES):
            pyflakes_section(args, cluster, hidden)
    print("\n(medians of %d runs, interleaved; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


if __name__ == "__main__":
    main()
