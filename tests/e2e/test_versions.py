"""The conftest on the pytest releases users run: pytest 9's own config
files, -n 0 as the installed xdist reads it, warnings as errors, and a run
that needs nothing of xdist's rsync (which xdist 4.0 removes).  Marked
'stack': tests/stacks.py runs them against pytest 8.4 and 9.1 too."""

import os

import pytest

PYTEST_TOML = """[pytest]
testpaths = ["tests"]
cloud_nodes = ["node1", "node2"]
cloud_ssh_config = "{cfg}"
cloud_connect_timeout = 3
"""
PYPROJECT_NATIVE = """[tool.pytest]
testpaths = ["tests"]
cloud_nodes = ["node1", "node2"]
cloud_ssh_config = "{cfg}"
cloud_connect_timeout = 3
"""


@pytest.mark.stack
@pytest.mark.parametrize("name,text", [
    ("pytest.toml", PYTEST_TOML),
    (".pytest.toml", PYTEST_TOML),
    ("pyproject.toml", PYPROJECT_NATIVE),
])
def test_pytest9_config_files(project, name, text):
    """pytest 9 reads these with native TOML types; so does the helper.
    An older pytest does not read them at all: the run is local, and the
    helper run by hand says which rule it followed."""
    nodes = project.cluster
    os.unlink(os.path.join(project.path, "pytest.ini"))
    with open(os.path.join(project.path, name), "w") as f:
        f.write(text.format(cfg=nodes.ssh_config))
    r = project.helper("--dry-run")
    assert r.returncode == 0, r.stderr
    assert [n["node"] for n in r.plan["nodes"]] == ["node1", "node2"]
    assert r.plan["inifile"] == os.path.join(project.path, name)
    assert "found by a rule of pytest 9" in r.stderr
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    if project.pytest_version()[0] >= (9, 0):
        assert len(ran) == 27
    else:
        assert ran == [] and os.path.isdir(os.path.join(project.path, "ran"))


@pytest.mark.stack
def test_n_0_means_what_the_installed_xdist_says(project):
    nodes = project.cluster
    r = project.pytest("-n", "0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    if project.pytest_version()[1] >= (3, 6):
        # no distribution: the tests ran here, and the terminal says why
        assert "-n 0 turns distribution off (pytest-xdist 3." in r.stderr
        assert ran == [] and os.path.isdir(os.path.join(project.path, "ran"))
    else:
        # before 3.6 it only means no local workers: the cloud runs
        assert len(ran) == 27


ALL_KEYS = dict(cloud_mem_per_process=16, cloud_max_processes=4, cloud_rsync_bandwidth_limit=0,
                cloud_rsync_max_processes=4, cloud_rsync_cipher="aes128-gcm@openssh.com",
                cloud_max_connections=8, cloud_keepalive=15, cloud_sync_timeout=300,
                cloud_lock_timeout=60, cloud_rsync_dirs=".", cloud_rsync_ignore="docs",
                cloud_python="python3", filterwarnings="error")


@pytest.mark.stack
def test_every_warning_an_error(project):
    """python -W error (an unclosed pipe would be a ResourceWarning) and
    filterwarnings = error with every cloud key set (an unknown key would be
    a PytestConfigWarning; xdist's rsync keys a DeprecationWarning from 3.6)."""
    project.use_nodes("node1 node2", **ALL_KEYS)
    r = project.pytest("-W", "error", python_args=("-W", "error"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "Warning" not in r.stdout + r.stderr


NO_RSYNC = '''"""Loaded with -p: xdist's rsync raises, as if xdist 4.0 had removed it."""
import execnet
import xdist.workermanage as wm


def gone(*args, **kwargs):
    raise RuntimeError("xdist's rsync is gone")


wm.NodeManager.rsync = gone
wm.HostRSync.__init__ = gone
execnet.RSync.__init__ = gone
'''


@pytest.mark.stack
def test_the_run_needs_nothing_of_xdists_rsync(project):
    """xdist 4.0 removes its rsync: the run uses none of it (the helper
    copies the project), so a run with it made to raise passes."""
    with open(os.path.join(project.path, "no_rsync.py"), "w") as f:
        f.write(NO_RSYNC)
    r = project.pytest("-p", "no_rsync")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    ran = project.records(project.cluster.nodes["node1"]) + project.records(project.cluster.nodes["node2"])
    assert len(ran) == 27
