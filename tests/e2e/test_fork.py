"""One start per node: a node's workers are forks of one process that has
imported and collected the suite (the default), each a worker of its own;
suites that are not fork-safe fall back to fresh workers, saying so;
cloud_fork = no turns it off."""

import glob
import json
import os
import re

import pytest

RECORD = '''import json, os, random, sys, threading, time

import pytest


@pytest.mark.parametrize("n", range(12))
def test_where(n, tmp_path):
    time.sleep(0.1)
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
        parent = f.read().replace(b"\\\\0", b" ").decode()
    with open(os.path.join(os.getcwd(), "w-%s-%d.json" % (worker, n)), "w") as f:
        json.dump({"worker": worker, "pid": os.getpid(), "parent": parent, "random": random.random(),
                   "tmp": str(tmp_path), "modules": len(sys.modules)}, f)
'''


def records(project):
    found = []
    for name in ("node1", "node2"):
        node = project.cluster.nodes[name]
        chdir = node.path("pytest_%s_proj" % project.cluster.user)
        for path in glob.glob(os.path.join(chdir, "w-*.json")):
            with open(path) as f:
                found.append(json.load(f))
    return found


def assert_forked_on_node2(got):
    """node2's workers are forks of its fork server, node1's one worker a
    fresh python, and each of the three ran tests."""
    for rec in got:
        forked = "server.py" in rec["parent"] and "pytest-cloud-fork-" in rec["parent"]
        assert forked == rec["worker"].startswith("node2_"), rec
    assert {rec["worker"] for rec in got} == {"node1_0", "node2_0", "node2_1"}


@pytest.fixture
def recording(project):
    with open(os.path.join(project.path, "tests", "test_where.py"), "w") as f:
        f.write(RECORD)
    return project


@pytest.mark.stack
def test_workers_are_forks_of_one_process_a_node(recording):
    r = recording.pytest("-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "39 passed" in r.stdout
    assert "fresh pythons" not in r.stderr
    got = records(recording)
    assert len(got) == 12
    # node2's two workers are forks of its fork server; node1's one worker
    # is a fresh python (a server would only add its own collection)
    assert_forked_on_node2(got)
    by_worker = {}
    for rec in got:
        by_worker.setdefault(rec["worker"], set()).add(rec["pid"])
    # a process of its own each, and seeds of its own
    assert all(len(pids) == 1 for pids in by_worker.values())
    assert len({next(iter(p)) for p in by_worker.values()}) == len(by_worker)
    assert len({rec["random"] for rec in got}) == len(got)
    # tmp_path of its own worker, not the collecting process's
    assert len({os.path.dirname(rec["tmp"]) for rec in got}) == len(by_worker)


def test_fork_off_starts_fresh_workers(recording):
    recording.use_nodes("node1 node2", cloud_fork="no")
    r = recording.pytest("-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    got = records(recording)
    assert got and all("server.py" not in rec["parent"] for rec in got)


def test_a_thread_at_import_means_fresh_workers(recording):
    """A module the workers share (the server imports it) starts a thread
    when it is imported; a conftest or test module is each worker's own
    import, and would start it in each."""
    with open(os.path.join(recording.path, "tests", "poller.py"), "w") as f:
        f.write("import threading, time\n"
                "threading.Thread(target=time.sleep, args=(3600,), name='poller', daemon=True).start()\n")
    with open(os.path.join(recording.path, "tests", "conftest.py"), "a") as f:
        f.write("\nimport poller\n")
    r = recording.pytest("-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("pytest-cloud: node 'node2': workers start as fresh pythons: the suite started a thread while "
            "it was imported (poller): a fork would not have it") in r.stderr
    assert all("server.py" not in rec["parent"] for rec in records(recording))


def test_a_collection_that_differs_between_imports_is_still_caught(recording):
    """Random parameters at import: each forked worker imports the test
    modules itself, collects other tests, and xdist says so, as without
    forks."""
    with open(os.path.join(recording.path, "tests", "test_random.py"), "w") as f:
        f.write("import random\nimport pytest\n\n\n"
                "@pytest.mark.parametrize('x', [random.random()])\ndef test_it(x):\n    pass\n")
    r = recording.pytest("-p", "no:randomly")
    assert r.returncode != 0
    assert "fresh pythons" not in r.stderr
    assert "Different tests were collected between" in r.stdout + r.stderr


@pytest.mark.stack
def test_importlib_mode(recording):
    r = recording.pytest("-p", "no:randomly", "--import-mode=importlib")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "39 passed" in r.stdout
    assert "fresh pythons" not in r.stderr
    got = records(recording)
    assert len(got) == 12
    assert_forked_on_node2(got)


# Imported by a module the workers share: in node2's fork server (the only process that
# has PYTEST_CLOUD_FORK_SERVER: its children drop it), it starts a client
# that connects to the server's socket as soon as it is there, before any
# worker's, says nothing and stays until the server drops it or ends.
STALL = '''
import os as _os, subprocess as _subprocess, sys as _sys

_STALL = """
import os, socket, sys, time
d, where = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
while True:
    try:
        s.connect(os.path.join(d, "s"))
        break
    except OSError:
        if not os.path.isdir(d):
            sys.exit(1)
        time.sleep(0.002)
with open(os.path.join(where, "stalled"), "w") as f:
    f.write("connected")
while s.recv(1):
    pass
with open(os.path.join(where, "stalled"), "a") as f:
    f.write(", then dropped")
"""
_d = _os.environ.get("PYTEST_CLOUD_FORK_SERVER")
if _d:
    try:  # once: the server's second import (its check) finds it started
        _os.close(_os.open(_os.path.join(_d, "stalling"), _os.O_CREAT | _os.O_EXCL | _os.O_WRONLY))
        _subprocess.Popen([_sys.executable, "-c", _STALL, _d, _os.getcwd()], start_new_session=True,
                          stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
    except FileExistsError:
        pass
'''


def test_a_silent_client_of_the_fork_server_holds_up_no_worker(recording):
    """Before, the server sat in its receive from the first client it
    accepted: one that said nothing held up every later worker start on
    its node, and this run never ended."""
    with open(os.path.join(recording.path, "tests", "stall.py"), "w") as f:
        f.write(STALL)
    with open(os.path.join(recording.path, "tests", "conftest.py"), "a") as f:
        f.write("\nimport stall\n")
    r = recording.pytest("-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "39 passed" in r.stdout and "fresh pythons" not in r.stderr
    assert_forked_on_node2(records(recording))
    node2 = recording.cluster.nodes["node2"].path("pytest_%s_proj" % recording.cluster.user)
    with open(os.path.join(node2, "stalled")) as f:
        assert f.read().startswith("connected")


CRASH = '''import os

import pytest


def test_crash():
    open(os.path.join(os.getcwd(), "crashed-%d" % os.getpid()), "w").close()
    os._exit(3)


@pytest.mark.parametrize("n", range(4))
def test_fine(n):
    pass
'''


@pytest.mark.parametrize("fork", ["yes", "no"])
def test_a_worker_that_crashes_is_reported_as_xdist_reports_it(project, fork):
    """A test that ends its worker (os._exit) on a node that is alive:
    xdist's own report (the crash, the test failed), once; the node is not
    lost and its test does not run again elsewhere."""
    with open(os.path.join(project.path, "tests", "test_crash.py"), "w") as f:
        f.write(CRASH)
    project.use_nodes("node2", cloud_fork=fork)
    r = project.pytest("-p", "no:randomly", "tests/test_crash.py")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 4 passed" in r.stdout, r.stdout + r.stderr
    assert re.search(r"worker 'node2_\d' crashed while running 'tests/test_crash.py::test_crash'", r.stdout)
    assert "was lost" not in r.stdout + r.stderr
    chdir = project.cluster.nodes["node2"].path("pytest_%s_proj" % project.cluster.user)
    assert len(glob.glob(os.path.join(chdir, "crashed-*"))) == 1
    if fork == "yes":
        assert "fresh pythons" not in r.stderr, r.stderr


# What still tells a forked worker from a fresh one (README, "One start per
# node", Limits): the string-hash seed, and what a module the workers
# share made at import (its values, a temporary folder).
SHARED_STATE = '''import os, tempfile

PID = os.getpid()
FOLDER = tempfile.mkdtemp(prefix="shared-state-")
'''

STATE_TESTS = '''import json, os, time

import pytest

import shared_state


@pytest.mark.parametrize("n", range(12))
def test_state(n):
    time.sleep(0.1)
    worker = os.environ["PYTEST_XDIST_WORKER"]
    with open(os.path.join(os.getcwd(), "s-%s-%d.json" % (worker, n)), "w") as f:
        json.dump({"worker": worker, "hash": hash("pytest-cloud"), "pid": os.getpid(),
                   "imported_by": shared_state.PID, "folder": shared_state.FOLDER}, f)
'''


def test_what_still_tells_a_fork_from_a_fresh_worker(recording):
    """node2's forked workers share the server's hash seed and the state
    a shared module made at import (imported by the server, one temporary
    folder for both); node1's fresh worker has its own, as a local -n
    worker has."""
    with open(os.path.join(recording.path, "tests", "shared_state.py"), "w") as f:
        f.write(SHARED_STATE)
    with open(os.path.join(recording.path, "tests", "conftest.py"), "a") as f:
        f.write("\nimport shared_state\n")
    with open(os.path.join(recording.path, "tests", "test_state.py"), "w") as f:
        f.write(STATE_TESTS)
    r = recording.pytest("-p", "no:randomly", "tests/test_state.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "12 passed" in r.stdout and "fresh pythons" not in r.stderr, r.stdout + r.stderr
    got = {}
    for name in ("node1", "node2"):
        chdir = recording.cluster.nodes[name].path("pytest_%s_proj" % recording.cluster.user)
        for path in glob.glob(os.path.join(chdir, "s-*.json")):
            with open(path) as f:
                rec = json.load(f)
            got[rec["worker"]] = (rec["hash"], rec["imported_by"], rec["folder"], rec["pid"])
    assert sorted(got) == ["node1_0", "node2_0", "node2_1"], got
    fresh, fork0, fork1 = got["node1_0"], got["node2_0"], got["node2_1"]
    assert fresh[1] == fresh[3]  # a fresh worker imported it itself
    assert fork0[:3] == fork1[:3] and fork0[1] not in (fork0[3], fork1[3])  # the server did
    assert fresh[0] != fork0[0] and fresh[2] != fork0[2]
