"""The CHDIR lock where it is weakest (issue 26): a node without flock(1),
a node whose flock does not keep runs apart (NFS mounted without locks),
a shared home whose lead node's lock ends, and a controller stopped while
it copies.  The helper alone, holding the locks (--hold) as under the
conftest."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from cluster import Cluster
from conftest import HELPER, make_project, session_processes, wait_until


def tool_folder(base, name, without=(), extra=None):
    """A folder of every program of /usr/bin and /bin but those in without
    (links), plus extra {name: shell script}: a node's PATH."""
    path = os.path.join(base, name)
    os.makedirs(path)
    for top in ("/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        for prog in os.listdir(top):
            if prog in without or os.path.exists(os.path.join(path, prog)):
                continue
            os.symlink(os.path.join(top, prog), os.path.join(path, prog))
    for prog, body in (extra or {}).items():
        with open(os.path.join(path, prog), "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(os.path.join(path, prog), 0o755)
    return path


@pytest.fixture(scope="module")
def lockers(tmp_path_factory):
    """noflock: no flock(1) on its PATH; nolocks: a flock(1) that locks
    nothing (as on NFS without locking); a and b: one home."""
    base = str(tmp_path_factory.mktemp("lockers"))
    c = Cluster(base)
    c.add("noflock", env={"PATH": tool_folder(base, "noflock-bin", without=("flock",))})
    c.add("nolocks", env={"PATH": tool_folder(base, "nolocks-bin", without=("flock",),
                                                extra={"flock": "exit 0\n"})})
    c.add("a", shared_home="h")
    c.add("b", shared_home="h")
    with c:
        yield c


@pytest.fixture
def lock_nodes(lockers):
    lockers.clear_homes()
    return lockers


class Held:
    """The helper with --hold: its plan, and its stderr as it comes
    (wait=False: the plan is read by plan_out())."""

    def __init__(self, project, *args, wait=True):
        self.proc = subprocess.Popen([HELPER, "--hold"] + list(args), cwd=project.path, env=project.env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()
        self.plan = self.plan_out() if wait else None

    def plan_out(self):
        self.plan = json.loads(self.proc.stdout.read())
        return self.plan

    def said(self, text):
        return [x.rstrip("\n") for x in self.lines if text in x]

    def end(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


def holders(cluster, name):
    return [pid for pid, cmd in cluster.processes(name, sessions_only=True)
            if ".pytest-cloud.lock" in cmd and "sshd" not in cmd]


def test_a_node_without_flock_keeps_its_claim(lock_nodes, tmp_path, venv_template):
    """Without flock(1) the folder is used unlocked, with a warning, and
    the claim is held and beaten all the same: a whole run passes there
    (the claim used to end at once, and the first heartbeat lost the
    node)."""
    p = make_project(str(tmp_path / "proj"), lock_nodes, venv_template)
    p.use_nodes("noflock", cloud_keepalive=3)
    r = p.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "pytest-cloud: warning: node 'noflock': no flock(1) there: '%s' is not locked against other runs" \
        % ("pytest_%s_proj" % lock_nodes.user) in r.stderr
    assert "lost" not in r.stderr, r.stderr
    held = Held(p)
    try:
        time.sleep(3 * 3)  # three keepalives: the claim is still held
        assert holders(lock_nodes, "noflock")
        assert not held.said("lost"), held.lines
    finally:
        assert held.end() == 0


def test_another_run_in_a_folder_flock_does_not_guard(lock_nodes, tmp_path, venv_template):
    """flock(1) there locks nothing, so a second run gets the folder while
    the first holds it: the first run's heartbeat finds the other run's
    text in the lock file and leaves the node at once, saying why."""
    first = make_project(str(tmp_path / "one" / "proj"), lock_nodes, venv_template)
    second = make_project(str(tmp_path / "two" / "proj"), lock_nodes, venv_template)
    for p in (first, second):
        p.use_nodes("nolocks", cloud_keepalive=3, cloud_chdir="shared")
    a = Held(first)
    try:
        assert a.plan["nodes"][0]["status"] == "ok", a.lines
        b = Held(second)
        try:
            assert b.plan["nodes"][0]["status"] == "ok", b.plan["nodes"][0].get("reason")
            wait_until("the first run to leave the node",
                       lambda: a.said("node 'nolocks' lost: its lock on 'shared' ended (another run wrote its "
                                      "lock file (pytest-cloud pid "), 3 + 5)
            assert "flock(1) does not keep runs apart there (NFS without locks?))" in a.said("lost")[0]
            time.sleep(2)
            assert not b.said("lost"), b.lines
        finally:
            assert b.end() == 0
    finally:
        a.end()


def test_a_shared_folder_whose_lock_ends_loses_every_node_on_it(lock_nodes, tmp_path, venv_template):
    """a and b share one home: one claim, through whichever got the lock
    first (the lead).  When the lead's lock ends, the folder may be
    another run's now: the other node, which uses it too, is lost with
    it."""
    p = make_project(str(tmp_path / "proj"), lock_nodes, venv_template)
    p.use_nodes("a b", cloud_keepalive=3)
    h = Held(p)
    try:
        got = {n["node"]: n for n in h.plan["nodes"]}
        follower = [n for n in ("a", "b") if got[n].get("shares_folder_with")]
        assert len(follower) == 1, h.plan
        follower = follower[0]
        lead = got[follower]["shares_folder_with"]
        pids = holders(lock_nodes, lead)
        assert pids, lock_nodes.processes(lead)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        chdir = "pytest_%s_proj" % lock_nodes.user
        wait_until("both nodes to be said lost", lambda: len(h.said(" lost: ")) == 2, 3 + 5)
        assert h.said(" lost: ") == [
            "pytest-cloud: node '%s' lost: its lock on '%s' ended (the lock's command ended)" % (lead, chdir),
            "pytest-cloud: node '%s' lost: it shares '%s' with node '%s', whose lock on it ended (the lock's "
            "command ended)" % (follower, chdir, lead)]
    finally:
        h.end()


def test_a_controller_stopped_while_it_copies_holds_nothing_for_long(lock_nodes, tmp_path, venv_template):
    """The lock is beaten from the claim on, not only once the tests run:
    a controller stopped in the middle of its copy (a suspended laptop, a
    frozen CI runner) leaves the node's folder free within twice the
    keepalive."""
    p = make_project(str(tmp_path / "proj"), lock_nodes, venv_template)
    with open(os.path.join(p.path, "big.bin"), "wb") as f:
        f.write(os.urandom(4 << 20))
    p.use_nodes("noflock", cloud_keepalive=3, cloud_rsync_bandwidth_limit=100)
    proc = subprocess.Popen([HELPER], cwd=p.path, env=p.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        # (the probe, ssh -G, the master and the claim come first: on a
        # busy machine they take a while; a helper that ended says why)
        wait_until("the copy to run", lambda: proc.poll() is not None or any(
            " rsync " in " %s " % cmd or cmd.startswith("rsync ") for _, cmd in session_processes(proc.pid)), 90)
        assert proc.poll() is None, proc.stderr.read().decode("utf-8", "replace")
        assert holders(lock_nodes, "noflock")
        for pid, _ in session_processes(proc.pid):
            os.kill(pid, signal.SIGSTOP)
        wait_until("the node to let the claim go", lambda: not holders(lock_nodes, "noflock"), 2 * 3 + 5)
    finally:
        for pid, _ in session_processes(proc.pid):
            os.kill(pid, signal.SIGCONT)
        proc.kill()
        proc.wait()
        for pid, _ in session_processes(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_a_run_that_waits_holds_no_lock_meanwhile(nodes, tmp_path, venv_template):
    """A run that must wait for one node's folder lets go of the others'
    locks and takes them in one order (by HostName, then port), so it
    never waits holding a lock another run could be waiting for: two CI
    jobs that each got a part no longer wait for each other until
    cloud_lock_timeout.  Here a run (X) holds the node that comes first;
    a second (Y) wants both and waits for it; meanwhile a third (Z), which
    does not wait at all, gets the other node, which Y does not hold.
    Then X ends, and Y gets both."""
    first, second = sorted(["node1", "node2"], key=lambda n: nodes.nodes[n].addr.encode())
    projects = [make_project(str(tmp_path / name / "proj"), nodes, venv_template) for name in "xyz"]
    for p, which in zip(projects, (first, "node1 node2", second)):
        p.use_nodes(which, cloud_chdir="shared", cloud_lock_timeout=120 if which != second else 0)
    x = Held(projects[0])
    y = None
    try:
        assert x.plan["nodes"][0]["status"] == "ok", x.lines
        y = Held(projects[1], wait=False)
        try:
            wait_until("the second run waits", lambda: y.said("is in use by another run"), 60)
            assert y.said("node '%s': 'shared' is in use by another run" % first), y.lines
            z = projects[2].helper()
            assert z.returncode == 0, z.stderr
            assert [n["status"] for n in z.plan["nodes"]] == ["ok"], z.stderr
        finally:
            x.end()
            x = None
        plan = y.plan_out()
        assert [n["status"] for n in plan["nodes"]] == ["ok", "ok"], y.lines
        assert y.end() == 0
    finally:
        if x is not None:
            x.end()
        if y is not None and y.proc.poll() is None:
            y.proc.kill()
