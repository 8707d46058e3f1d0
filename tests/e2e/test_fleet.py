"""The run on a fleet: one SSH connection per node on stock sshd, nodes that
die or hang mid-run, Ctrl-C and SIGTERM at every phase, concurrent runs,
and pytest as the user asked.

Each fault test checks every test's outcome (junit), where the tests ran
(the nodes' records) and that nothing is left running, on this machine or
on any node."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from cluster import Cluster
from conftest import HELPER, STACK, junit_outcomes, session_processes, wait_until

SLOW_IDS = ["tests/test_slow.py::test_slow[%d]" % n for n in range(48)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Stock sshd nodes: f1 on CPU 0, f2 on CPU 1, f3 on both (2 workers);
    big says it has 24 CPUs; a refusing and a silent alias."""
    c = Cluster(str(tmp_path_factory.mktemp("fleet")))
    c.add("f1", cpus="0")
    c.add("f2", cpus="1")
    c.add("f3", cpus="0,1")
    c.add("big", env={"OMP_NUM_THREADS": "24"})
    # its gateway takes 3 s to start (execnet's bootstrap line is slow)
    c.add("slowgw", cpus="0", force_command='case "$SSH_ORIGINAL_COMMAND" in *"exec(eval("*) sleep 3;; esac\n'
          'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n')
    c.add("refused", kind="refused")
    c.add("silent", kind="silent")
    with c:
        yield c


@pytest.fixture
def fleet_up(fleet):
    """The fleet with every node up, running, and its home emptied."""
    for name, node in fleet.nodes.items():
        if node.kind == "sshd":
            fleet.thaw(name)
            fleet.restart(name)
    fleet.clear_homes()
    return fleet


class Run:
    """pytest (or the helper) running in a session of its own, its output
    read as it comes, each line with the time it came."""

    def __init__(self, argv, cwd, env):
        self.started = time.monotonic()
        # Ctrl-C as on a terminal, however this test was started (a shell
        # starts a background job with SIGINT ignored, and the ignoring is
        # inherited)
        self.proc = subprocess.Popen(["env", "--default-signal=INT"] + argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))

    @property
    def output(self):
        return "\n".join(line for _t, line in self.lines)

    def when(self, pattern, count=1, timeout=60):
        """Waits until pattern has shown count times; returns the time."""
        def seen():
            hits = [t for t, line in list(self.lines) if re.search(pattern, line)]
            return hits[count - 1] if len(hits) >= count else None
        return wait_until("%r x%d in the output:\n%s" % (pattern, count, self.output), seen, timeout)

    def signal(self, sig, group=True):
        if group:
            os.killpg(self.proc.pid, sig)  # as a terminal's Ctrl-C does
        else:
            self.proc.send_signal(sig)

    def finish(self, timeout=120):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("did not end within %ss:\n%s" % (timeout, self.output))
        self.reader.join(10)
        self.proc.stdout.close()
        self.ended = time.monotonic()
        return self.proc.returncode


def start(project, *args, env=None, cache=False):
    return Run(project.pytest_argv(*args, cache=cache), project.path, env or project.env())


def python_on(cluster, name):
    return [p for p in cluster.processes(name, sessions_only=True) if "python" in p[1]]


def nothing_left(run, cluster, names, timeout=5):
    """Within timeout after the run ended: no process of its session on
    this machine and no python on any node."""
    wait_until("processes of the run", lambda: not session_processes(run.proc.pid), timeout)
    for name in names:
        wait_until("python left on %s: %s" % (name, python_on(cluster, name)),
                   lambda: not python_on(cluster, name), timeout)


def ran_on(project, cluster, names):
    """{test id: [worker, ...]} from the records the tests wrote."""
    found = {}
    for name in names:
        for rec in project.records(cluster.nodes[name]):
            found.setdefault(rec["nodeid"], []).append(rec["worker"])
    return found


def accepted(cluster, name):
    """Logins sshd of node name has logged so far."""
    with open(os.path.join(cluster.nodes[name].dir, "sshd.log")) as f:
        return f.read().count("Accepted publickey")


@pytest.mark.conftest_only
@pytest.mark.stack
def test_big_node_on_stock_sshd_gets_one_connection(fleet_up, slow_project, tmp_path):
    """24 workers on one node whose sshd has the stock MaxStartups and
    MaxSessions: one SSH connection carries them all."""
    p = slow_project(fleet_up)
    p.use_nodes("big")
    before = accepted(fleet_up, "big")
    junit = str(tmp_path / "junit.xml")
    r = p.pytest("--junitxml=" + junit)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "24 test processes on 1 of 1 nodes" in r.stderr
    assert junit_outcomes(junit) == {t: ["passed"] for t in SLOW_IDS}
    workers = {w for ws in ran_on(p, fleet_up, ["big"]).values() for w in ws}
    assert len(workers) > 10 and all(w.startswith("big_") for w in workers), workers
    # the probe's and its master's (none when an earlier run's master is
    # still up): rsync and the one gateway of the 24 workers go through it
    assert accepted(fleet_up, "big") - before in (1, 2)


def lost_node_run(nodes, p, tmp_path, hurt, when, *args):
    """Runs the slow suite on f1 f2 f3 (pytest's args added) and hurts f3
    at the given moment; returns (run, junit outcomes, where each test
    ran)."""
    p.use_nodes("f1 f2 f3", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit, *args)
    run.when(*when)
    hurt("f3")
    hurt_at = time.monotonic()
    assert run.finish() == 0, run.output
    run.hurt_seconds = run.ended - hurt_at
    return run, junit_outcomes(junit), ran_on(p, nodes, ["f1", "f2", "f3"])


@pytest.mark.conftest_only
@pytest.mark.stack
@pytest.mark.parametrize("how", ["killed", "hung"])
def test_lost_node_mid_run_costs_one_rerun(fleet_up, slow_project, tmp_path, how):
    p = slow_project(fleet_up)
    hurt = fleet_up.kill if how == "killed" else fleet_up.freeze
    run, outcomes, where = lost_node_run(fleet_up, p, tmp_path, hurt, (r"PASSED", 12))
    # every test once in junit, passed, and once in the counts; none ran
    # twice to the end (a test whose call passed on f3 may have lost its
    # record, written in its teardown, with the node)
    assert outcomes == {t: ["passed"] for t in SLOW_IDS}, run.output
    assert re.search(r"^=+ 48 passed in ", run.output, re.M), run.output
    passed_on_f3 = re.findall(r"^\[f3_\d\] .*PASSED (\S+)", run.output, re.M)
    assert set(SLOW_IDS) - set(where) <= set(passed_on_f3), run.output
    # found by the gateway's connection or by the helper's lock on the
    # node, whichever notices first
    lock_why = "the connection to the node was lost" if how == "killed" else r"the node stopped answering for 4s"
    assert re.search(r"node 'f3' lost during the run: (connection lost|lock lost: its lock on '\w+' ended \(%s\))"
                     % lock_why, run.output), run.output
    rerun = re.findall(r"(tests/test_slow.py::test_slow\[\d+\]): running when 'f3' was lost: run again on another node",
                       run.output)
    assert rerun, run.output  # f3 was running tests when it went
    for test in rerun:
        assert all(not w.startswith("f3_") for w in where[test]), (test, where[test])
    # the run ends within the rest of the tests plus 20 s
    assert run.hurt_seconds < 20, run.hurt_seconds
    if how == "hung":
        fleet_up.thaw("f3")
    nothing_left(run, fleet_up, ["f1", "f2", "f3"])


ENDS_SLOWLY = '''
import time

import pytest


@pytest.fixture
def slow_teardown():
    yield
    time.sleep(8)


def test_ends_slowly(slow_teardown):
    pass
'''


@pytest.mark.conftest_only
def test_a_test_lost_in_its_teardown_counts_once(fleet_up, slow_project, tmp_path):
    """A node lost after a test's call reported, in its teardown: the
    call's outcome is the test's, it is not run again, and the counts a
    pipeline reads (the closing line, junit's) have every test once."""
    p = slow_project(fleet_up)
    with open(os.path.join(p.path, "tests", "test_a_teardown.py"), "w") as f:
        f.write(ENDS_SLOWLY)
    p.use_nodes("f1 f2", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit)
    passed = r"\[(f1|f2)_0\] .*PASSED tests/test_a_teardown.py::test_ends_slowly"
    run.when(passed)
    node = re.search(passed, run.output).group(1)
    fleet_up.kill(node)
    assert run.finish() == 0, run.output
    assert re.search(r"node '%s' lost during the run" % node, run.output), run.output
    assert len(re.findall(r"PASSED tests/test_a_teardown.py::test_ends_slowly", run.output)) == 1, run.output
    assert "test_ends_slowly: running when" not in run.output
    assert re.search(r"^=+ 49 passed in ", run.output, re.M), run.output
    import xml.etree.ElementTree as ET

    assert ET.parse(junit).getroot().find("testsuite").get("tests") == "49"
    outcomes = junit_outcomes(junit)
    assert outcomes == dict({t: ["passed"] for t in SLOW_IDS}, **{
        "tests/test_a_teardown.py::test_ends_slowly": ["passed"]}), outcomes
    nothing_left(run, fleet_up, ["f1", "f2"])


# each test of the slow suite calls a function of its own, on line 4n+2
COVERED_LIB = "".join("def f%d():\n    return %d\n\n\n" % (n, n) for n in range(48))
COVERED_TESTS = '''
import time

import pytest

import mylib


@pytest.mark.parametrize("n", range(48))
def test_slow(n):
    time.sleep(0.3)
    assert getattr(mylib, "f%d" % n)() == n
'''


def missed_lines(text):
    """Coverage's Missing column as line numbers ("2, 6-8" -> [2, 6, 7, 8])."""
    found = []
    for part in filter(None, (x.strip() for x in text.split(","))):
        first, _, last = part.partition("-")
        found += range(int(first), int(last or first) + 1)
    return found


@pytest.mark.conftest_only
def test_a_lost_nodes_coverage_is_what_the_summary_says(fleet_up, slow_project, tmp_path):
    """pytest --cov, f3 killed mid-run.  Its workers' data goes with it
    (a worker sends its data when it ends): the report misses exactly the
    lines of the tests that finished on f3 and nowhere else, as many as
    the summary line says; a test running there when it went is measured
    where it ran again (its lines are in), and its try on f3 adds nothing."""
    from test_cover import needs_pytest_cov

    needs_pytest_cov()
    p = slow_project(fleet_up)
    os.makedirs(os.path.join(p.path, "mylib"))
    with open(os.path.join(p.path, "mylib", "__init__.py"), "w") as f:
        f.write(COVERED_LIB)
    with open(os.path.join(p.path, "tests", "test_slow.py"), "w") as f:
        f.write(COVERED_TESTS)
    run, outcomes, where = lost_node_run(fleet_up, p, tmp_path, fleet_up.kill, (r"PASSED", 12),
                                         "--cov=mylib", "--cov-report=term-missing")
    assert outcomes == {t: ["passed"] for t in SLOW_IDS}, run.output
    assert "INTERNALERROR" not in run.output
    # a test finishes where its outcome came from, and runs nowhere else
    only_f3 = sorted(SLOW_IDS.index(t) for t in re.findall(r"^\[f3_\d\] .*PASSED (\S+)", run.output, re.M))
    rerun = sorted(re.findall(r"(tests/test_slow.py::test_slow\[\d+\]): running when 'f3' was lost: run again on "
                              r"another node", run.output))
    said = ("coverage: node 'f3' was lost with its workers' data: what only its %d finished test%s ran is not in "
            "the report" % (len(only_f3), "" if len(only_f3) == 1 else "s"))
    if rerun:
        said += "; %s, running there, is measured where it ran again" % ", ".join(rerun)
    assert said in run.output.splitlines(), run.output
    row = re.search(r"^mylib/__init__.py +96 +(\d+) +\d+% *(.*)$", run.output, re.M)
    assert row, run.output
    assert int(row.group(1)) == len(only_f3) and missed_lines(row.group(2)) == [4 * n + 2 for n in only_f3], \
        (only_f3, row.group(0))
    for test in rerun:
        assert 4 * SLOW_IDS.index(test) + 2 not in missed_lines(row.group(2)), (test, row.group(0))
        assert SLOW_IDS.index(test) not in only_f3 and any(not w.startswith("f3_") for w in where[test]), \
            (test, where[test])
    nothing_left(run, fleet_up, ["f1", "f2", "f3"])


def test_node_lost_during_bring_up(fleet_up, slow_project, tmp_path):
    """slowgw dies once the plan is out, while its gateway is coming up
    (it takes 3 s there): it is left out at bring-up, and the run goes on
    with the others."""
    p = slow_project(fleet_up)
    p.use_nodes("f1 f2 slowgw", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit)
    run.when(r"test processes on 3 of 3 nodes")
    fleet_up.kill("slowgw")
    assert run.finish() == 0, run.output
    assert junit_outcomes(junit) == {t: ["passed"] for t in SLOW_IDS}, run.output
    assert re.search(r"node 'slowgw' left out at bring-up: gateway: ", run.output), run.output
    assert "lost during the run" not in run.output
    where = ran_on(p, fleet_up, ["f1", "f2"])
    assert sorted(where) == sorted(SLOW_IDS)
    nothing_left(run, fleet_up, ["f1", "f2"])


@pytest.mark.conftest_only
def test_every_node_lost_ends_the_run_clearly(fleet_up, slow_project, tmp_path):
    p = slow_project(fleet_up)
    p.use_nodes("f1 f3", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit)
    run.when(r"PASSED", 6)
    fleet_up.kill("f1")
    fleet_up.kill("f3")
    status = run.finish()
    assert status == 2, run.output  # as README says: interrupted
    assert "INTERNALERROR" not in run.output
    assert "pytest-cloud: every node was lost" in run.output
    outcomes = junit_outcomes(junit)
    # what finished is reported once; the tests running when the last
    # node went are failed, saying so; the rest did not run
    assert all(len(v) == 1 for v in outcomes.values()), outcomes
    failed = sorted(t for t, v in outcomes.items() if v != ["passed"])
    assert 1 <= len(failed) <= 3, outcomes
    for test in failed:
        assert re.search(r"%s: running when '(f1|f3)' was lost, no node left to run it again" % re.escape(test),
                         run.output), run.output
    assert sum(v == ["passed"] for v in outcomes.values()) >= 6
    nothing_left(run, fleet_up, [])


@pytest.mark.parametrize("phase,how", [
    ("probe", "ctrl-c"), ("probe", "sigterm"),
    pytest.param("sync", "ctrl-c"), pytest.param("sync", "sigterm", marks=pytest.mark.stack),
    pytest.param("run", "ctrl-c", marks=pytest.mark.stack), ("run", "sigterm"),
])
def test_interrupt_stops_everything(fleet_up, slow_project, phase, how):
    """Ctrl-C (SIGINT to the process group) or SIGTERM to pytest alone,
    during the probe, the sync or the run: within 5 s nothing the run
    started is left, here or on a node."""
    p = slow_project(fleet_up)
    names = "f1 f3"
    if phase == "probe":
        names += " silent"  # the probe waits for it
    if phase == "sync":
        with open(os.path.join(p.path, "big.bin"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))
    # a slow copy only where the copy is to be interrupted: a stack's
    # seeded virtualenv (17 MB) at 300 KB/s would take a minute
    p.use_nodes(names, **({"cloud_rsync_bandwidth_limit": 300} if phase == "sync" else {}))
    run = start(p, "-v")
    run.when({"probe": r"probing 3 nodes", "sync": r"syncing '", "run": r"PASSED"}[phase])
    # the phase is under way: its processes are there to be stopped
    busy = {"probe": lambda: [q for q in session_processes(run.proc.pid) if "pytest-cloud" in q[1]],
            "sync": lambda: [q for q in session_processes(run.proc.pid) if q[1].startswith("rsync")],
            "run": lambda: python_on(fleet_up, "f1") and python_on(fleet_up, "f3")}[phase]
    wait_until("the %s under way" % phase, busy, 10)
    stopped = time.monotonic()
    run.signal(signal.SIGINT if how == "ctrl-c" else signal.SIGTERM, group=how == "ctrl-c")
    status = run.finish(timeout=10)
    assert run.ended - stopped < 5, run.output
    assert status == 2, run.output
    assert "INTERNALERROR" not in run.output
    nothing_left(run, fleet_up, ["f1", "f3"], timeout=5 - (time.monotonic() - stopped))


def test_sigterm_to_the_helper_stops_its_copies(fleet_up, slow_project):
    p = slow_project(fleet_up)
    with open(os.path.join(p.path, "big.bin"), "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024))
    p.use_nodes("f1 f3", cloud_rsync_bandwidth_limit=300)
    run = Run([HELPER], p.path, p.env())
    run.when(r"syncing '")
    wait_until("rsync running", lambda: [q for q in session_processes(run.proc.pid) if q[1].startswith("rsync")], 5)
    stopped = time.monotonic()
    run.signal(signal.SIGTERM, group=False)
    run.finish(timeout=10)
    assert run.proc.returncode == -signal.SIGTERM
    left = []

    def gone():
        left[:] = session_processes(run.proc.pid)
        return not left
    try:
        wait_until("rsync and ssh gone", gone, 5 - (time.monotonic() - stopped))
    except AssertionError:
        raise AssertionError("left after %.1fs: %s" % (time.monotonic() - stopped, [
            (pid, cmd, open("/proc/%d/stat" % pid).read().split(")")[1].split()[0]) for pid, cmd in left
            if os.path.exists("/proc/%d" % pid)]))


HELD = '''import os, time

import pytest


@pytest.mark.parametrize("n", range(12))
def test_quick(n):
    pass


def test_held():
    """Runs until the test says (a file in /tmp, which the nodes see)."""
    deadline = time.monotonic() + 300
    while not os.path.exists(%r) and time.monotonic() < deadline:
        time.sleep(0.05)
'''


@contextlib.contextmanager
def held(p):
    """p's tests hold a run until the block ends (however slow this
    machine, a run is still there when the next one claims); the block
    gets the file whose creation releases them."""
    release = os.path.join(tempfile.mkdtemp(prefix="pytest-cloud-e2e-hold-", dir="/tmp"), "release")
    with open(os.path.join(p.path, "tests", "test_slow.py"), "w") as f:
        f.write(HELD % release)
    try:
        yield release
    finally:
        if not os.path.exists(release):
            open(release, "w").close()
        os.unlink(release)
        os.rmdir(os.path.dirname(release))


def test_concurrent_runs_on_one_chdir_take_turns(fleet_up, slow_project):
    """The second run waits for the first one's lock, and copies only once
    the first one's tests have ended (the first holds its nodes until the
    second has said that it waits)."""
    p = slow_project(fleet_up)
    p.use_nodes("f1 f3")
    with held(p) as release:
        first = start(p, "-v")
        try:
            first.when(r"PASSED")
            second = start(p, "-v")
            second.when(r"is in use by another run")
        finally:
            open(release, "w").close()
        assert first.finish() == 0, first.output
        assert second.finish() == 0, second.output
    m = re.search(r"node 'f1': 'pytest_\w+' is in use by another run \(pytest-cloud pid (\d+) by", second.output)
    assert m, second.output
    # it copied only once the first run's tests had ended (the lock goes
    # with the first run's session; its process may take a while longer
    # to exit on a busy machine)
    synced = second.when(r"node 'f1': synced")
    assert synced >= first.when(r"PASSED", count=13)
    assert "13 passed" in second.output


def test_waiting_for_a_lock_is_bounded(fleet_up, slow_project):
    """The first run holds its nodes until the second has given up on
    them."""
    p = slow_project(fleet_up)
    p.use_nodes("f1 f3")
    with held(p) as release:
        first = start(p, "-v")
        try:
            first.when(r"PASSED")
            r = p.pytest(env=p.env(PYTEST_CLOUD_LOCK_TIMEOUT="1"))
        finally:
            open(release, "w").close()
        status = first.finish()
    assert r.returncode != 0, (r.stderr, first.output)
    assert re.search(r"node 'f1': 'pytest_\w+' on the node is in use by another run \(pytest-cloud pid \d+ .*\), "
                     r"still after 1s \(cloud_lock_timeout\)", r.stderr), r.stderr
    assert status == 0, first.output


def test_a_dead_runs_lock_is_free(fleet_up, slow_project):
    p = slow_project(fleet_up)
    p.use_nodes("f1 f3")
    first = start(p, "-v")
    first.when(r"PASSED")
    first.signal(signal.SIGKILL)  # the whole run dies at once
    first.finish()
    began = time.monotonic()
    r = p.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "48 passed" in r.stdout
    assert time.monotonic() - began < 30


def _xdist_modes():
    """The modes of the project's xdist: Debian's 3.1, or a stack's 3.8."""
    import xdist

    version = tuple(int(x) for x in xdist.__version__.split(".")[:2])
    modes = ["load", "loadscope", "loadfile", "loadgroup", "each"]
    return modes + (["worksteal"] if STACK or version >= (3, 2) else [])


@pytest.mark.conftest_only
@pytest.mark.stack
@pytest.mark.parametrize("mode", _xdist_modes())
def test_the_users_dist_mode_is_kept(project, mode):
    nodes = project.cluster
    r = project.pytest("-v", "--dist", mode)
    assert r.returncode == 0, r.stdout + r.stderr
    sched = {"load": "LoadScheduling", "loadscope": "LoadScopeScheduling", "loadfile": "LoadFileScheduling",
             "loadgroup": "LoadGroupScheduling", "each": "EachScheduling",
             "worksteal": "WorkStealingScheduling"}[mode]
    assert "scheduling via %s" % sched in r.stdout
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    if mode == "each":
        assert "81 passed" in r.stdout  # 27 tests on each of 3 workers
    else:
        assert "27 passed" in r.stdout
        assert len({rec["nodeid"] for rec in ran}) == 27


@pytest.mark.conftest_only
@pytest.mark.stack
def test_last_failed_selects_from_the_controllers_cache(project):
    nodes = project.cluster
    failing = os.path.join(project.path, "tests", "test_fails.py")
    with open(failing, "w") as f:
        f.write("def test_fails():\n    assert open('fail.txt').read() == 'no'\n")
    with open(os.path.join(project.path, "fail.txt"), "w") as f:
        f.write("yes")
    r = project.pytest(cache=True)
    assert r.returncode == 1
    assert "1 failed, 27 passed" in r.stdout
    nodes.clear_homes()
    r = project.pytest("--lf", cache=True)
    assert r.returncode == 1, r.stdout
    assert "1 failed" in r.stdout and "passed" not in r.stdout.splitlines()[-1]
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    assert [rec["nodeid"] for rec in ran] == ["tests/test_fails.py::test_fails"]
    with open(os.path.join(project.path, "fail.txt"), "w") as f:
        f.write("no")
    r = project.pytest("--lf", cache=True)
    assert r.returncode == 0, r.stdout
    assert "1 passed" in r.stdout
    r = project.pytest("--lf", cache=True)
    assert "28 passed" in r.stdout  # nothing failed last: all run


@pytest.mark.conftest_only
@pytest.mark.stack
def test_stepwise_and_new_first_use_the_controllers_cache(project):
    nodes = project.cluster
    failing = os.path.join(project.path, "tests", "test_fails.py")
    with open(failing, "w") as f:
        f.write("def test_a():\n    pass\n\n"
                "def test_b():\n    assert open('fail.txt').read() == 'no'\n\n"
                "def test_c():\n    pass\n")
    with open(os.path.join(project.path, "fail.txt"), "w") as f:
        f.write("yes")
    r = project.pytest("--sw", "tests/test_fails.py", cache=True)
    # stepwise stops the run at the failure: 1 on xdist 3.1, 2 (interrupted)
    # on 3.8, as with local workers
    assert r.returncode in (1, 2) and "1 failed" in r.stdout, r.stdout
    with open(os.path.join(project.path, "fail.txt"), "w") as f:
        f.write("no")
    nodes.clear_homes()
    # stepwise starts again from the test that failed
    r = project.pytest("--sw", "tests/test_fails.py", "-v", cache=True)
    assert r.returncode == 0, r.stdout
    ran = sorted(rec["nodeid"] for rec in project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"]))
    assert ran == ["tests/test_fails.py::test_b", "tests/test_fails.py::test_c"], ran
    # --nf: the ids this machine has seen come back from the run
    with open(os.path.join(project.path, "tests", "test_new.py"), "w") as f:
        f.write("def test_new():\n    pass\n")
    r = project.pytest("--nf", "-v", "-p", "no:randomly", cache=True)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(project.path, ".pytest_cache", "v", "cache", "nodeids")) as f:
        known = json.load(f)
    assert "tests/test_new.py::test_new" in known and "tests/test_fails.py::test_c" in known


@pytest.mark.stack
def test_config_file_given_from_the_root(project):
    r = project.pytest("-c", "pytest.ini")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout


@pytest.mark.conftest_only
def test_a_pytest_started_by_a_test_is_not_a_worker(project):
    """PYTEST_XDIST_WORKER in the environment (as in a pytest that a test
    starts) does not make this pytest a worker."""
    r = project.pytest(env=project.env(PYTEST_XDIST_WORKER="gw7"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(project.records(project.cluster.nodes["node2"])) > 0


FAKE_HELPER = r'''
import json, os, sys
n = 20000
for i in range(n):
    sys.stderr.write("pytest-cloud: node 'refused': progress line %d of a big plan\n" % i)
sys.stderr.flush()
px = ["ssh=refused//id=refused//chdir=c//python=python3//execmodel=thread//ssh_config=%s" % sys.argv[1]]
tx = ["popen//id=refused_%d//via=refused//python=python3" % i for i in range(n)]
sys.stdout.write(json.dumps({"tx": tx, "px": px, "nodes": [], "connect_timeout": 3, "keepalive": 15}))
sys.stdout.flush()
os.close(1)  # the plan ends; as the helper does, it holds until stdin ends
sys.stdin.read()
'''


@pytest.mark.stack
def test_a_plan_of_20000_specs(project, tmp_path):
    """The plan and the progress are read together: no size deadlocks."""
    fake = tmp_path / "fake-helper"
    fake.write_text("#!/bin/sh\nexec %s -c '%s' %s\n" % (sys.executable, FAKE_HELPER.replace("'", "'\\''"),
                                                          project.cluster.ssh_config))
    fake.chmod(0o755)
    r = project.pytest(env=project.env(PYTEST_CLOUD_HELPER=str(fake)))
    assert r.stderr.count("progress line") == 20000
    assert "pytest-cloud: no node could be brought up (refused: gateway: " in r.stderr
    assert r.returncode == 1
    assert r.seconds < 60


NODE_KILLER = '''
import os
import signal
import time

SEEN = @SEEN@


def gateway_pid():
    # the node's gateway: the python whose parent is the sshd session (a
    # fresh worker is its child, a forked one its fork server's)
    pid = os.getpid()
    while pid > 1:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        with open("/proc/%d/cmdline" % parent, "rb") as f:
            if f.read().startswith(b"sshd"):
                return pid
        pid = parent
    return None


def test_takes_its_node_down():
    # once its start has reached the controller (the conftest there says
    # so in SEEN), kills this worker's gateway: the node's connection ends
    # with it
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith(("f1_", "f2_", "f3_")):
        return
    deadline = time.monotonic() + 120
    while not os.path.exists(os.path.join(SEEN, worker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(gateway_pid(), signal.SIGKILL)
'''

# On the controller: the killer's setup report came, so the run knows what
# its worker is running; the killer, on its node, waits for this (SEEN is
# a folder that the controller and every node see).
KILLER_SEEN = '''

def pytest_runtest_logreport(report):
    if (report.when == "setup" and report.nodeid.endswith("::test_takes_its_node_down")
            and "PYTEST_XDIST_WORKER" not in os.environ):
        open(os.path.join(%r, report.node.gateway.id), "w").close()
'''


@pytest.mark.conftest_only
@pytest.mark.stack
def test_a_test_that_takes_two_nodes_down_fails_naming_both(fleet_up, slow_project, tmp_path):
    p = slow_project(fleet_up)
    seen = tempfile.mkdtemp(prefix="seen-", dir=fleet_up.dir)
    with open(os.path.join(p.path, "tests", "test_killer.py"), "w") as f:
        f.write(NODE_KILLER.replace("@SEEN@", repr(seen)))
    with open(os.path.join(p.path, "tests", "conftest.py"), "a") as f:
        f.write(KILLER_SEEN % seen)
    p.use_nodes("f1 f2 f3", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    report = str(tmp_path / "report.json")
    r = p.pytest("--junitxml=" + junit, "--cloud-report=" + report)
    assert r.returncode == 1, r.stdout + r.stderr
    outcomes = junit_outcomes(junit)
    killer = "tests/test_killer.py::test_takes_its_node_down"
    assert outcomes.pop(killer) == ["failure"]
    assert outcomes == {t: ["passed"] for t in SLOW_IDS}
    m = re.search(r"test_takes_its_node_down: running when '(f\d)' and '(f\d)' were lost: reported as failed",
                  r.stdout)
    assert m and m.group(1) != m.group(2), r.stdout
    with open(report) as f:
        data = json.load(f)
    assert sorted(n["node"] for n in data["lost"]) == sorted([m.group(1), m.group(2)])
    reruns = {x["test"]: x for x in data["reruns"]}
    assert reruns.pop(killer) == {"test": killer, "lost_on": [m.group(1), m.group(2)], "outcome": "failed"}
    # what the lost nodes' other workers were running went elsewhere, once
    # (f3 has two workers, f1 and f2 one: there may be none)
    lost = {m.group(1), m.group(2)}
    assert len(reruns) <= sum(2 if n == "f3" else 1 for n in lost) - 2, reruns
    for test, x in reruns.items():
        assert test in SLOW_IDS and x["outcome"] == "re-run" and len(x["lost_on"]) == 1, x
        assert x["lost_on"][0] in lost, x
    # its two attempts, each on a worker of its own, started on the controller
    assert len(os.listdir(seen)) == 2, os.listdir(seen)
    assert data["exitstatus"] == 1
    assert [n["node"] for n in data["plan"]["nodes"]] == ["f1", "f2", "f3"]


@pytest.mark.conftest_only
def test_report_names_the_lost_node_and_its_reruns(fleet_up, slow_project, tmp_path):
    p = slow_project(fleet_up)
    p.use_nodes("f1 f2 f3", cloud_keepalive=4)
    report = str(tmp_path / "report.json")
    run = start(p, "-v", "--cloud-report=" + report)
    run.when(r"PASSED", 12)
    fleet_up.kill("f3")
    assert run.finish() == 0, run.output
    with open(report) as f:
        data = json.load(f)
    assert [n["node"] for n in data["lost"]] == ["f3"]
    # whichever comes first: the gateway's connection, or the lock's
    assert re.match(r"connection lost|lock lost: its lock on '\w+' ended \(the connection to the node was lost\)",
                    data["lost"][0]["reason"]), data["lost"][0]
    shown = set(re.findall(r"(tests/test_slow.py::test_slow\[\d+\]): running when 'f3' was lost", run.output))
    assert {x["test"] for x in data["reruns"]} == shown and shown
    assert all(x["lost_on"] == ["f3"] and x["outcome"] == "re-run" for x in data["reruns"])
    assert data["exitstatus"] == 0


def lock_holders(cluster, name):
    """The processes on node name that hold this run's CHDIR lock (the
    claim's shell, reading the helper's heartbeat)."""
    return [pid for pid, cmd in cluster.processes(name, sessions_only=True) if ".pytest-cloud.lock" in cmd
            and "sshd" not in cmd]


@pytest.mark.conftest_only
def test_a_node_whose_lock_ends_is_lost_and_its_tests_go_elsewhere(fleet_up, slow_project, tmp_path):
    """Another run could take a folder whose lock ended: its node stops
    running tests, as a lost node does."""
    p = slow_project(fleet_up, seconds=1)
    p.use_nodes("f1 f2 f3", cloud_keepalive=4)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit)
    run.when(r"PASSED", 6)
    holders = lock_holders(fleet_up, "f3")
    assert holders, fleet_up.processes("f3")
    for pid in holders:
        os.kill(pid, signal.SIGKILL)
    assert run.finish() == 0, run.output
    assert re.search(r"node 'f3' lost: its lock on 'pytest_\w+_slow' ended \(the lock's command ended\)",
                     run.output), run.output
    assert "node 'f3' lost during the run: lock lost: its lock on" in run.output
    assert junit_outcomes(junit) == {t: ["passed"] for t in SLOW_IDS}, run.output
    nothing_left(run, fleet_up, ["f1", "f2", "f3"])


@pytest.mark.conftest_only
def test_a_helper_cut_off_lets_the_nodes_locks_go(fleet_up, slow_project):
    """The helper stops (as behind a partition): within twice the
    keepalive the nodes let its locks go, and when it comes back it finds
    them gone: the nodes are lost, and the run ends, saying so."""
    p = slow_project(fleet_up, seconds=1)
    p.use_nodes("f1 f2", cloud_keepalive=3)
    run = start(p, "-v")
    run.when(r"PASSED", 2)
    assert lock_holders(fleet_up, "f1") and lock_holders(fleet_up, "f2")
    helper = [pid for pid, cmd in session_processes(run.proc.pid) if cmd.split()[0] == HELPER]
    assert len(helper) == 1, session_processes(run.proc.pid)
    os.kill(helper[0], signal.SIGSTOP)
    try:
        wait_until("the nodes to let the locks go",
                   lambda: not lock_holders(fleet_up, "f1") and not lock_holders(fleet_up, "f2"), 2 * 3 + 5)
    finally:
        os.kill(helper[0], signal.SIGCONT)
    status = run.finish()
    assert "node 'f1' lost: its lock on" in run.output and "node 'f2' lost: its lock on" in run.output
    assert status == 2 and "pytest-cloud: every node was lost" in run.output, run.output
    nothing_left(run, fleet_up, ["f1", "f2"])


@pytest.mark.conftest_only
def test_two_nodes_hang_at_once_and_the_third_keeps_its_lock(fleet_up, slow_project, tmp_path):
    """f1 and f2 hang together (a rack behind one switch): each heartbeat
    waits its keepalive for them, and f3's lock, whose bound is twice the
    keepalive, must still get its line in time: f3 runs every test."""
    p = slow_project(fleet_up, seconds=0.6)
    p.use_nodes("f1 f2 f3", cloud_keepalive=3)
    junit = str(tmp_path / "junit.xml")
    run = start(p, "-v", "--junitxml=" + junit)
    run.when(r"PASSED", 6)
    fleet_up.freeze("f1")
    fleet_up.freeze("f2")
    try:
        status = run.finish()
    finally:
        fleet_up.thaw("f1")
        fleet_up.thaw("f2")
    assert status == 0, run.output
    assert "node 'f1' lost" in run.output and "node 'f2' lost" in run.output, run.output
    assert "node 'f3' lost" not in run.output, run.output
    assert junit_outcomes(junit) == {t: ["passed"] for t in SLOW_IDS}, run.output
    nothing_left(run, fleet_up, ["f1", "f2", "f3"])


class HeartbeatWatch:
    """The heartbeat lines that reach a node's lock from now on: its lock
    reads each with a `head -n 1` of its own (helper/core/claim.c)."""

    def __init__(self, cluster, name):
        self.cluster = cluster
        self.name = name
        self.before = self._heads()
        self.seen = set()

    def _heads(self):
        return {pid for pid, argv in self.cluster.processes(self.name, sessions_only=True) if argv == "head -n 1"}

    def new(self):
        """How many heads started since (each: a line read before it)."""
        self.seen |= self._heads() - self.before
        return len(self.seen)


def test_a_held_lock_whose_node_dies_says_the_connection_was_lost(fleet_up, slow_project):
    """The helper alone, holding the nodes' locks (--hold, as under the
    conftest): f2 dies, and within a keepalive the helper says that its
    lock ended because the connection to the node was lost; f1's holds."""
    p = slow_project(fleet_up)
    p.use_nodes("f1 f2", cloud_keepalive=3)
    proc = subprocess.Popen([HELPER, "--hold"], cwd=p.path, env=p.env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        plan = json.loads(proc.stdout.read())
        assert [n["status"] for n in plan["nodes"]] == ["ok", "ok"], plan
        fleet_up.kill("f2")
        wait_until("the helper to say f2 is lost", lambda: any("node 'f2' lost" in x for x in lines), 3 + 5)
        # two more heartbeats reach f1's lock (each line ends the head that
        # reads it, and the next starts): f1 answered them, and holds
        heads = HeartbeatWatch(fleet_up, "f1")
        wait_until("two heartbeats to reach f1", lambda: heads.new() >= 2, 30)
    finally:
        proc.stdin.close()
        status = proc.wait(timeout=30)
        reader.join(timeout=5)
    said = [x.rstrip("\n") for x in lines if " lost: " in x]
    assert said == ["pytest-cloud: node 'f2' lost: its lock on '%s' ended (the connection to the node was lost)"
                    % plan["chdir"]], "".join(lines)
    assert status == 0, "".join(lines)
