"""Fixtures of the end-to-end tests: real sshd nodes, a real project.

These tests need root (sshd per node, unshare, bind mounts) and the helper
built at build/pytest-cloud; ``make test`` does both.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(ROOT, "tests"))

from cluster import Cluster, master_pid  # noqa: E402
import needs  # noqa: E402

missing = needs.missing  # for the tests: skipped, or failed where CI=true

# make e2e-asan runs the suite with a sanitizer build of the helper
HELPER = os.environ.get("PYTEST_CLOUD_TEST_HELPER") or os.path.join(ROOT, "build", "pytest-cloud")
TEMPLATE = os.path.join(ROOT, "conftest_template", "conftest.py")
EXAMPLE = os.path.join(ROOT, "example")
PYTHON = "/usr/bin/python3"
TIMEOUT = 3  # connect timeout the tests give the helper, seconds


STACK = os.environ.get("PYTEST_CLOUD_TEST_STACK")  # tests/stacks.py

# test_static.py is the static helper's (make test-static)
collect_ignore = [] if os.environ.get("PYTEST_CLOUD_TEST_STATIC") else ["test_static.py"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "stack: also run against the newer pytest stacks (tests/stacks.py run)")
    config.addinivalue_line(
        "markers", "conftest_only: its subject is the conftest's side of a run (the helper does "
        "only its usual probe, copy and plan there); make e2e-asan leaves it out")
    if os.geteuid() != 0:
        raise pytest.UsageError("the end-to-end tests need root (sshd nodes, unshare)")
    if not os.access(HELPER, os.X_OK):
        raise pytest.UsageError("build the helper first: make")


# The tests' projects live under the controller's home, which no node can
# see (each node's own home is mounted over it): a node that leaned on a
# controller's path would fail here.  /tmp, where the clusters live, is
# seen by every node.
HIDDEN = os.path.join(os.path.expanduser("~"), ".cache", "pytest-cloud-e2e")


@pytest.fixture(scope="session")
def hidden_root():
    """This session's folder under HIDDEN (runs older than a day are
    removed; this one too when the session passes)."""
    os.makedirs(HIDDEN, exist_ok=True)
    for name in os.listdir(HIDDEN):
        old = os.path.join(HIDDEN, name)
        if time.time() - os.path.getmtime(old) > 86400:
            shutil.rmtree(old, ignore_errors=True)
    import tempfile

    root = tempfile.mkdtemp(prefix="run-", dir=HIDDEN)
    yield root
    if not getattr(hidden_root, "failed", False):
        shutil.rmtree(root, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if outcome.get_result().failed:
        hidden_root.failed = True  # its projects are kept to look at


@pytest.fixture
def tmp_path(request, hidden_root):
    """Each test's own folder, where the nodes cannot see it (HIDDEN)."""
    import re
    import tempfile

    name = re.sub(r"[^\w]", "_", request.node.name)[:40]
    return pathlib.Path(tempfile.mkdtemp(prefix=name + "-", dir=hidden_root))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """node1 pinned to CPU 0, node2 to CPUs 0 and 1 (so that the tests
    hold on any machine of 2 CPUs or more), a refusing alias, two silent
    listeners and one that stalls after its SSH banner; broken, whose
    python imports a broken xdist first; slowpy, whose every python takes
    5 s to start (a loaded machine); small, in a cgroup of 512 MiB (when
    this machine allows making one)."""
    base = str(tmp_path_factory.mktemp("cluster"))
    fake = os.path.join(base, "broken-site", "xdist")
    os.makedirs(fake)
    with open(os.path.join(fake, "__init__.py"), "w") as f:
        f.write('raise ImportError("xdist is broken on this node")\n')
    c = Cluster(base)
    c.add("node1", cpus="0")
    c.add("node2", cpus="0,1")
    c.add("broken", env={"PYTHONPATH": os.path.dirname(fake)})
    # a loaded machine: every python it starts takes 5 s to begin
    slow = os.path.join(base, "slow-site")
    os.makedirs(slow)
    with open(os.path.join(slow, "sitecustomize.py"), "w") as f:
        f.write("import time\ntime.sleep(5)\n")
    c.add("slowpy", env={"PYTHONPATH": slow})
    c.add("small", memory_limit=512 * 1024 * 1024)
    c.add("oldcipher", sshd_extra=["Ciphers chacha20-poly1305@openssh.com"])
    c.add("refused", kind="refused")
    c.add("silent1", kind="silent")
    c.add("silent2", kind="silent")
    c.add("banner", kind="banner")
    with c:
        yield c


@pytest.fixture
def nodes(cluster):
    """The cluster with every node's home emptied."""
    cluster.clear_homes()
    return cluster


@pytest.fixture(scope="session")
def venv_template(tmp_path_factory):
    """The projects' virtualenv: Debian's pytest and xdist, or those of the
    stack PYTEST_CLOUD_TEST_STACK names (built from the wheels)."""
    path = str(tmp_path_factory.mktemp("venv") / ".venv")
    if STACK:
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        import stacks

        stacks.build(STACK, path)
        return path
    subprocess.run(
        [PYTHON, "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed", path],
        check=True,
    )
    return path


# The helper keeps each node's OpenSSH master connection in a folder of
# the user's ($XDG_RUNTIME_DIR/pytest-cloud, else /tmp/pytest-cloud-UID):
# this session's programs get a runtime folder of its own (short: a
# socket's path has a length limit), so that its masters meet no other
# session's and the tests can find them.  A master ends with its node
# (the cluster stops every node's sessions); pytest_unconfigure stops
# what is left.
RUNTIME = None


def runtime_dir():
    global RUNTIME
    if RUNTIME is None:
        import tempfile

        RUNTIME = tempfile.mkdtemp(prefix="pc-e2e-", dir="/tmp")
    return RUNTIME


def masters_dir():
    """Where the helpers this session starts keep their masters."""
    return os.path.join(runtime_dir(), "pytest-cloud")


def master_sockets():
    """The control sockets of the masters there (path list)."""
    import stat

    folder = masters_dir()
    found = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        try:
            if stat.S_ISSOCK(os.lstat(os.path.join(folder, name)).st_mode):
                found.append(os.path.join(folder, name))
        except OSError:
            continue  # a master that just ended
    return sorted(found)


def pytest_unconfigure(config):
    if RUNTIME is None:
        return
    for path in master_sockets():
        pid = master_pid(path, timeout=1)
        if pid:
            try:
                os.kill(pid, 15)
            except OSError:
                pass
    shutil.rmtree(RUNTIME, ignore_errors=True)


def child_env(**extra):
    """The environment of every program a test starts: this one's, without
    what would change a run behind the test's back (PYTEST_CLOUD_*,
    PYTEST_XDIST_*, PYTEST_ADDOPTS), with the helper under test, this
    session's runtime folder (its masters), and extra on top."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_CLOUD_", "PYTEST_XDIST_")) and k != "PYTEST_ADDOPTS"}
    env["PYTEST_CLOUD_HELPER"] = HELPER
    env["XDG_RUNTIME_DIR"] = runtime_dir()
    env.update(extra)
    return env


class Project:
    """A copy of example/ with the drop-in conftest and a virtualenv."""

    def __init__(self, path, cluster):
        self.path = path
        self.cluster = cluster

    def write_ini(self, **keys):
        lines = ["[pytest]", "testpaths = tests"]
        lines += ["%s = %s" % (k, v) for k, v in keys.items()]
        with open(os.path.join(self.path, "pytest.ini"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def use_nodes(self, nodes, **keys):
        """pytest.ini listing nodes, with the cluster's ssh config and the
        tests' connect timeout, plus any other keys."""
        settings = {"cloud_ssh_config": self.cluster.ssh_config, "cloud_connect_timeout": TIMEOUT}
        settings.update(keys)
        self.write_ini(cloud_nodes=nodes, **settings)

    def env(self, **extra):
        return child_env(**extra)

    def pytest_argv(self, *args, cache=False):
        return [os.path.join(self.path, ".venv", "bin", "python"), "-m", "pytest"] + (
            [] if cache else ["-p", "no:cacheprovider"]) + list(args)

    def pytest(self, *args, env=None, cwd=None, cache=False, python_args=()):
        start = time.monotonic()
        argv = self.pytest_argv(*args, cache=cache)
        proc = subprocess.run(
            argv[:1] + list(python_args) + argv[1:],
            cwd=cwd or self.path,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        proc.seconds = time.monotonic() - start
        return proc

    def helper(self, *args, env=None, cwd=None):
        start = time.monotonic()
        proc = subprocess.run(
            [HELPER] + list(args),
            cwd=cwd or self.path,
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
        proc.seconds = time.monotonic() - start
        proc.plan = json.loads(proc.stdout) if proc.stdout.strip() else None
        return proc

    def pytest_version(self):
        """The version of the project's pytest, as a tuple."""
        out = subprocess.run([os.path.join(self.path, ".venv", "bin", "python"), "-c",
                              "import pytest, xdist; print(pytest.__version__, xdist.__version__)"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.split()
        return tuple(tuple(int(x) for x in v.split(".")[:2]) for v in out)

    def records(self, node):
        """What each test that ran on node recorded (see example/tests)."""
        found = []
        for folder, dirs, files in os.walk(node.home):
            if os.path.basename(folder) != "ran":
                continue
            for name in files:
                with open(os.path.join(folder, name)) as f:
                    found.append(json.load(f))
        return found


def ssh_settings(node):
    """A plan node's "ssh" object without its master's words (the
    settings ssh -G gave)."""
    return {k: v for k, v in node["ssh"].items() if k not in ("master", "control_path")}


def make_project(path, cluster, venv=None, example=True, plugin=True):
    """The one way the tests make a project: at path, a copy of example/
    (example=False: only its tests/conftest.py, which records where each
    test ran), the drop-in plugin as conftest.py (plugin=False: none), and
    a copy of the virtualenv venv (None: none)."""
    if example:
        shutil.copytree(EXAMPLE, path)
    else:
        os.makedirs(os.path.join(path, "tests"))
        shutil.copy(os.path.join(EXAMPLE, "tests", "conftest.py"), os.path.join(path, "tests", "conftest.py"))
    if plugin:
        shutil.copy(TEMPLATE, os.path.join(path, "conftest.py"))
    if venv is not None:
        shutil.copytree(venv, os.path.join(path, ".venv"), symlinks=True)
    return Project(path, cluster)


@pytest.fixture
def project(tmp_path, nodes, venv_template):
    p = make_project(str(tmp_path / "proj"), nodes, venv_template)
    p.use_nodes("node1 node2")
    return p


SLOW_TESTS = '''
import time

import pytest


@pytest.mark.parametrize("n", range(48))
def test_slow(n):
    time.sleep(%s)
'''


@pytest.fixture
def slow_project(tmp_path, venv_template):
    """A project whose 48 tests of 0.3 s (or seconds) each record where
    they ran."""
    def make(cluster, seconds=0.3):
        p = make_project(str(tmp_path / "slow"), cluster, venv_template, example=False)
        with open(os.path.join(p.path, "tests", "test_slow.py"), "w") as f:
            f.write(SLOW_TESTS % seconds)
        return p
    return make


def junit_outcomes(path):
    """{test id: [outcome, ...]} from a junit file, one entry per testcase."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    found = {}
    for case in root.iter("testcase"):
        test = "%s::%s" % (case.get("classname").replace(".", "/") + ".py", case.get("name"))
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = tag
        found.setdefault(test, []).append(outcome)
    return found


def session_processes(sid):
    """(pid, command line) of the processes in session sid (what a pytest
    started with start_new_session=True left running)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            if int(stat[stat.rindex(")") + 2:].split()[3]) != sid:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                found.append((int(entry), f.read().replace(b"\0", b" ").decode("utf-8", "replace")))
        except (OSError, ValueError, IndexError):
            continue
    return found


def wait_until(what, check, timeout):
    """Waits for check() to return a true value; fails naming what."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %ss" % (what, timeout))
        time.sleep(0.05)
