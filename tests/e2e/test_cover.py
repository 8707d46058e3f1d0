"""What a pipeline reads from a run equals a local run: pytest-cov's
report through the cloud, forked workers and fresh ones, against the same
tests run here without it; and a forked worker is a fresh python to the
test (multiprocessing's spawn and forkserver children, collection hooks
run once in each process)."""

import os
import re
import subprocess

import pytest

from conftest import STACK, make_project, missing

# lines that run at import (def, class, constants), a branch no test
# takes, a function no test calls
LIB = '''
CONST = 3


def used(x):
    return x + CONST


def unused(x):
    if x:
        return 1
    return 2


class K:
    def m(self):
        return 1
'''

LIB_TESTS = '''
import mylib
import pytest


@pytest.mark.parametrize("n", range(6))
def test_used(n):
    assert mylib.used(n) == n + 3
'''

FORK = pytest.mark.parametrize("fork", ["yes", "no"])


def coverage_table(out):
    """The report's lines of the table (Name Stmts Miss Cover Missing)."""
    return [line.split() for line in out.splitlines()
            if re.match(r"(mylib/|TOTAL)\S*(\s+\d+)+\s+\d+%", line)]


def needs_pytest_cov():
    """Debian's pytest-cov 4.0 (coverage 6.5), or the cov7 stack's 7.0
    (coverage 7.11); the other stacks have none."""
    if STACK and STACK != "cov7":
        pytest.skip("the %s stack has no pytest-cov: Debian's and the cov7 stack test it" % STACK)
    if not STACK:
        import importlib.util

        if importlib.util.find_spec("pytest_cov") is None:  # the projects' virtualenv sees Debian's
            missing("pytest-cov is not installed (Debian: python3-pytest-cov, tests/deps.sh)")


@pytest.fixture
def covered(tmp_path, nodes, venv_template):
    needs_pytest_cov()
    p = make_project(str(tmp_path / "proj"), nodes, venv_template, example=False)
    os.makedirs(os.path.join(p.path, "mylib"))
    with open(os.path.join(p.path, "mylib", "__init__.py"), "w") as f:
        f.write(LIB)
    with open(os.path.join(p.path, "tests", "test_lib.py"), "w") as f:
        f.write(LIB_TESTS)
    return p


def local_run(project, *args):
    r = subprocess.run(project.pytest_argv(*args, "--no-cloud"), cwd=project.path, env=project.env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.mark.stack
@FORK
@pytest.mark.parametrize("dist", [(), ("--dist", "load")], ids=["plain", "dist"])
def test_coverage_is_the_local_runs(covered, fork, dist):
    """Statements, misses, percentage and the missed lines as a local run
    has them, the import's lines included (a forked worker imports the
    measured package itself), and no path of a node in the report."""
    covered.use_nodes("node1 node2", cloud_fork=fork)
    args = ("--cov=mylib", "--cov-report=term-missing") + dist
    r = covered.pytest(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 passed" in r.stdout
    assert "cov-7.0.0" in r.stdout if STACK == "cov7" else "cov-4.0.0" in r.stdout
    assert "INTERNALERROR" not in r.stdout + r.stderr
    assert "CoverageWarning" not in r.stderr, r.stderr
    assert "pytest_%s_proj" % covered.cluster.user not in r.stdout
    local = coverage_table(local_run(covered, "--cov=mylib", "--cov-report=term-missing").stdout)
    assert local[0][:4] == ["mylib/__init__.py", "10", "4", "60%"]  # the import's lines are covered
    assert coverage_table(r.stdout) == local
    if fork == "yes":
        assert "fresh pythons" not in r.stderr, r.stderr


@pytest.mark.stack
@FORK
def test_coveragerc_branches_parallel_and_append_as_locally(covered, fork):
    """.coveragerc's [run] branch and parallel, and --cov-append over a
    first run's data: the same table (branches and partial ones too) as
    the same two runs here."""
    with open(os.path.join(covered.path, ".coveragerc"), "w") as f:
        f.write("[run]\nbranch = True\nparallel = True\n")
    with open(os.path.join(covered.path, "tests", "test_other.py"), "w") as f:
        f.write("import mylib\n\n\ndef test_unused():\n    assert mylib.unused(1) == 1\n")
    args = ("--cov=mylib", "--cov-report=term-missing")
    first, second = ("tests/test_other.py",), ("--cov-append", "tests/test_lib.py")
    local_run(covered, *(args + first))
    local = coverage_table(local_run(covered, *(args + second)).stdout)
    # the first run's lines are in (unused's if and return 1), as is its
    # partial branch
    assert local[0][:6] == ["mylib/__init__.py", "10", "2", "2", "1", "75%"], local
    covered.use_nodes("node1 node2", cloud_fork=fork)
    for name in os.listdir(covered.path):
        if name.startswith(".coverage."):
            os.unlink(os.path.join(covered.path, name))
    os.unlink(os.path.join(covered.path, ".coverage"))
    r = covered.pytest(*(args + first))
    assert r.returncode == 0, r.stdout + r.stderr
    r = covered.pytest(*(args + second))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 passed" in r.stdout
    assert coverage_table(r.stdout) == local


@pytest.mark.stack
def test_coverage_xml_names_the_projects_files(covered):
    covered.use_nodes("node1 node2")
    r = covered.pytest("--cov=mylib", "--cov-report=xml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 test processes on 2 of 2 nodes" in r.stderr
    with open(os.path.join(covered.path, "coverage.xml")) as f:
        xml = f.read()
    assert '<source>%s/mylib</source>' % os.path.realpath(covered.path) in xml
    assert 'filename="__init__.py"' in xml and 'line-rate="0.6"' in xml


POOLS = '''
import concurrent.futures
import multiprocessing

import pytest


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_pool(method):
    with multiprocessing.get_context(method).Pool(2) as pool:
        assert pool.map_async(abs, [-1, -2, -3]).get(timeout=120) == [1, 2, 3]


@pytest.mark.parametrize("method", [None, "spawn"])
def test_executor(method):
    context = multiprocessing.get_context(method) if method else None
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        assert list(pool.map(abs, [-4, -5], timeout=120)) == [4, 5]
'''

HOOK = '''
from pkg import seen


def pytest_collection_modifyitems(items):
    seen.COLLECTIONS.append(len(items))
'''

SEEN_TEST = '''
from pkg import seen


def test_collected_once_in_this_process():
    assert len(seen.COLLECTIONS) == 1, seen.COLLECTIONS
'''


@pytest.mark.stack
@FORK
def test_a_forked_worker_is_a_fresh_python_to_its_tests(tmp_path, nodes, venv_template, fork):
    """multiprocessing's spawn and forkserver pools and
    ProcessPoolExecutor start their children, and a package's conftest
    sees one collection in each process, as in fresh workers."""
    p = make_project(str(tmp_path / "proj"), nodes, venv_template, example=False)
    with open(os.path.join(p.path, "tests", "test_pools.py"), "w") as f:
        f.write(POOLS)
    os.makedirs(os.path.join(p.path, "tests", "pkg"))
    for name, text in (("__init__.py", ""), ("conftest.py", HOOK), ("seen.py", "COLLECTIONS = []\n"),
                       ("test_seen.py", SEEN_TEST)):
        with open(os.path.join(p.path, "tests", "pkg", name), "w") as f:
            f.write(text)
    p.use_nodes("node1 node2", cloud_fork=fork)
    r = p.pytest("-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5 passed" in r.stdout
    if fork == "yes":
        assert "fresh pythons" not in r.stderr, r.stderr
