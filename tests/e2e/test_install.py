"""make install, and how the conftest finds the helper: PYTEST_CLOUD_HELPER,
then the ini key cloud_helper, then pytest-cloud on PATH."""

import os
import shutil
import stat
import subprocess

from conftest import HELPER, ROOT, TEMPLATE


def test_install_layout(tmp_path):
    dest = str(tmp_path / "dest")
    subprocess.run(["make", "-s", "install", "PREFIX=/opt/pc", "DESTDIR=" + dest],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(dest, "opt", "pc", "bin", "pytest-cloud")
    assert stat.S_IMODE(os.stat(binary).st_mode) == 0o755
    with open(os.path.join(dest, "opt", "pc", "share", "pytest-cloud", "conftest.py")) as f, \
            open(TEMPLATE) as g:
        assert f.read() == g.read()
    out = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, text=True, check=True)
    assert out.stdout.startswith("pytest-cloud ")


def test_conftest_finds_the_helper(project, tmp_path):
    project.use_nodes("node2")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(HELPER, str(bindir / "pytest-cloud"))
    env = project.env(PATH="%s:%s" % (bindir, os.environ["PATH"]))
    del env["PYTEST_CLOUD_HELPER"]
    # on PATH
    r = project.pytest("-q", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 test processes on 1 of 1 nodes" in r.stderr
    # the ini key, relative to the ini file, before PATH
    with open(os.path.join(project.path, "pytest.ini"), "a") as f:
        f.write("cloud_helper = no/such/helper\n")
    r = project.pytest("-q", env=env)
    assert r.returncode == 4
    assert os.path.join(project.path, "no/such/helper") in r.stderr
    # the environment before the ini key
    env["PYTEST_CLOUD_HELPER"] = HELPER
    r = project.pytest("-q", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env["PYTEST_CLOUD_HELPER"] = "/no/such/env/helper"
    r = project.pytest("-q", env=env)
    assert r.returncode == 4
    assert "/no/such/env/helper" in r.stderr
