"""A project we did not write: pyflakes with its own test suite (Debian's
python3-pyflakes ships it), the drop-in conftest copied in and the nodes
set in its pytest.ini, runs across the nodes with plain `pytest` and gives
the same outcome as a local run."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import PYTHON, TEMPLATE, TIMEOUT, child_env

pytestmark = pytest.mark.conftest_only

PYFLAKES = "/usr/lib/python3/dist-packages/pyflakes"


def summary(text):
    """{'passed': N, 'failed': N, ...} of pytest's closing line."""
    last = [line for line in text.splitlines() if " in " in line and "==" in line or re.search(r"\d+ passed", line)]
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|error)", last[-1])}


def failed_ids(text):
    return sorted(re.findall(r"^FAILED (\S+)", text, re.M))


def test_pyflakes_suite_runs_on_the_nodes(tmp_path, nodes):
    proj = str(tmp_path / "flakes")
    shutil.copytree(PYFLAKES, os.path.join(proj, "pyflakes"), ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = pyflakes/test\n")
    env = child_env()
    argv = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-rf"]
    local = subprocess.run(argv, cwd=proj, env=env, stdout=subprocess.PIPE, text=True)

    shutil.copy(TEMPLATE, os.path.join(proj, "conftest.py"))
    with open(os.path.join(proj, "pytest.ini"), "a") as f:
        f.write("cloud_nodes = node1 node2\ncloud_ssh_config = %s\ncloud_connect_timeout = %d\n"
                % (nodes.ssh_config, TIMEOUT))
    remote = subprocess.run(argv, cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "3 test processes on 2 of 2 nodes" in remote.stderr, remote.stderr
    assert "node1_0 [" in remote.stdout and "node2_1 [" in remote.stdout
    want = summary(local.stdout)
    assert want["passed"] > 500
    assert summary(remote.stdout) == want, remote.stdout[-3000:]
    assert failed_ids(remote.stdout) == failed_ids(local.stdout)
    # the suite really was on the nodes
    chdir = "pytest_%s_flakes" % nodes.user
    assert os.path.isfile(nodes.nodes["node1"].path(chdir, "pyflakes", "test", "test_api.py"))
