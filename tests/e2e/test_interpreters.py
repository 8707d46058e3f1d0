"""A virtualenv made on a Python the nodes do not have at that path (pyenv,
uv): the node's own python of that version, the interpreter copied to the
node (to its same path, or into the cache when it runs from anywhere),
or, with copying forbidden, a clear refusal before anything is copied.

The nodes have Debian's /usr/bin/python3.11 and their own home; this
machine's pyenv interpreters (~/.pyenv/versions) are under its home,
which no node sees.  The virtualenvs get pytest 9.1 and xdist from
../shared/wheels (a clone without them skips, saying so)."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HIDDEN, ROOT, make_project

sys.path.insert(0, os.path.join(ROOT, "tests"))
import stacks  # noqa: E402
from needs import missing  # noqa: E402

PYENV = os.path.expanduser("~/.pyenv/versions")

RECORD = '''import json, os, sys, time

import pytest


@pytest.mark.parametrize("n", range(12))
def test_where_it_runs(n):
    time.sleep(0.1)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "local")
    with open(os.path.join(os.getcwd(), "python-%s.json" % worker), "w") as f:
        json.dump({"executable": sys.executable, "version": sys.version.split()[0],
                   "real": os.path.realpath(sys.executable), "cwd": os.getcwd()}, f)
'''


def pyenv_python(minor):
    found = sorted(glob.glob(os.path.join(PYENV, minor + ".*", "bin", "python" + minor)))
    if not found:
        missing("no pyenv Python %s under %s: this case needs an interpreter the nodes do not have"
                % (minor, PYENV))
    return found[-1]


def relocatable_copy(minor, where):
    """A copy of pyenv's Python minor whose libpython is found from its own
    folder ($ORIGIN/../lib), as uv's standalone builds are."""
    base = pyenv_python(minor)
    prefix = os.path.dirname(os.path.dirname(base))
    dest = os.path.join(where, "cpython-%s-linux-x86_64-gnu" % os.path.basename(prefix))
    exe = os.path.join(dest, "bin", "python" + minor)
    if not os.path.exists(exe):
        if shutil.which("patchelf") is None:
            missing("patchelf (Debian's patchelf) is needed to make a relocatable interpreter")
        shutil.copytree(prefix, dest + ".tmp", symlinks=True,
                        ignore=shutil.ignore_patterns("test", "__pycache__", "idlelib", "tkinter"))
        subprocess.run(["patchelf", "--set-rpath", "$ORIGIN/../lib",
                        os.path.join(dest + ".tmp", "bin", "python" + minor)], check=True)
        os.rename(dest + ".tmp", dest)
    return exe


@pytest.fixture(scope="session")
def interp_venv():
    """venv(kind): a virtualenv on that interpreter with pytest 9.1 and
    xdist (made once, kept under the hidden folder)."""
    if stacks.wheels_dir() is None:
        missing("no wheels at ../shared/wheels: these cases install pytest into a pyenv "
                "virtualenv offline (see tests/stacks.py)")
    where = os.path.join(HIDDEN, "interpreters")
    os.makedirs(where, exist_ok=True)

    def venv(kind):
        if kind == "uv3.13":
            base = relocatable_copy("3.13", os.path.join(where, "uv"))
        else:
            base = pyenv_python(kind[len("pyenv"):])
        dest = os.path.join(where, "venv-" + kind)
        stacks.build("pytest9", dest, base=base)
        return dest, base
    return venv


@pytest.fixture
def interp_project(tmp_path, nodes, interp_venv):
    def make(kind, **keys):
        venv, base = interp_venv(kind)
        path = str(tmp_path / "proj")
        p = make_project(path, nodes, venv)
        with open(os.path.join(path, "tests", "test_python.py"), "w") as f:
            f.write(RECORD)
        p.use_nodes("node1 node2", cloud_rsync_bandwidth_limit=0, **keys)
        p.base = base
        # the helper alone finds the virtualenv as an activated one
        p.helper_env = p.env(VIRTUAL_ENV=os.path.join(path, ".venv"))
        return p
    return make


def helper(p, *args):
    return p.helper(*args, env=p.helper_env)


def debian_311():
    return subprocess.run(["/usr/bin/python3.11", "-V"], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.split()[1]


def interpreters(plan):
    return {n["node"]: n.get("interpreter") for n in plan["nodes"]}


def ran_with(project, nodes):
    """Every worker's python, from the records on each node; checks that
    every test ran there."""
    found = {}
    for name in ("node1", "node2"):
        node = nodes.nodes[name]
        chdir = node.path("pytest_%s_proj" % nodes.user)
        for entry in os.listdir(chdir):
            if entry.startswith("python-"):
                with open(os.path.join(chdir, entry)) as f:
                    found[entry] = json.load(f)
    assert found and not any("local" in k for k in found)
    assert {k.split("-")[1].split("_")[0] for k in found} == {"node1", "node2"}
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    assert len(ran) == 27 + 12 and all(rec["worker"] != "local" for rec in ran)
    return list(found.values())


def test_a_venv_on_pyenv_311_runs_on_the_nodes_own_311(interp_project, nodes):
    """Case 2: the nodes have Python 3.11 elsewhere (Debian's): the node's
    copy of the virtualenv is pointed at it, and the next copy keeps
    that."""
    p = interp_project("pyenv3.11")
    version = debian_311()
    dry = helper(p, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    want = {"how": "other", "path": "/usr/bin/python3.11", "version": version}
    assert interpreters(dry.plan) == {"node1": want, "node2": want}
    assert "python /usr/bin/python3.11 (%s, the node's own)" % version in dry.stderr
    assert os.listdir(nodes.nodes["node1"].home) == []
    r = p.pytest("-q", "-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    chdir = os.path.join(nodes.login_home, "pytest_%s_proj" % nodes.user)
    for rec in ran_with(p, nodes):
        assert rec["version"] == version
        assert rec["executable"] == os.path.join(chdir, ".venv", "bin", "python")
        assert rec["real"] == "/usr/bin/python3.11"
    with open(nodes.nodes["node1"].path("pytest_%s_proj" % nodes.user, ".venv", "pyvenv.cfg")) as f:
        assert "home = /usr/bin\n" in f.read()
    # the next copy neither undoes nor fights it: nothing is sent
    again = helper(p)
    assert again.returncode == 0, again.stderr
    assert [n["sync"]["files_sent"] for n in again.plan["nodes"]] == [0, 0]
    with open(nodes.nodes["node2"].path("pytest_%s_proj" % nodes.user, ".venv", "pyvenv.cfg")) as f:
        assert "home = /usr/bin\n" in f.read()


def test_a_venv_on_pyenv_312_takes_its_python_along(interp_project, nodes, tmp_path):
    """Case 3: no Python 3.12 on the nodes, and pyenv's finds its
    libpython by its own path: it goes to the same path in the node's
    home (which is the same path), once; the next run, and another
    project on the same Python, copy nothing."""
    p = interp_project("pyenv3.12")
    prefix = os.path.dirname(os.path.dirname(p.base))
    version = os.path.basename(prefix)
    dry = helper(p, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    want = {"how": "copied", "path": p.base, "version": version}
    assert interpreters(dry.plan) == {"node1": want, "node2": want}
    assert "python %s (%s, copied now)" % (p.base, version) in dry.stderr
    assert os.listdir(nodes.nodes["node1"].home) == []
    r = p.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Python %s copied to '%s'" % (version, prefix) in r.stderr
    for rec in ran_with(p, nodes):
        assert rec["version"] == version
        assert rec["real"] == os.path.realpath(p.base)
    rel = os.path.relpath(prefix, nodes.login_home)
    node = nodes.nodes["node1"]
    assert os.path.isfile(node.path(rel, ".pytest-cloud-python"))
    assert not os.path.exists(node.path(rel, "lib", "python3.12", "test"))
    again = helper(p)
    assert again.returncode == 0, again.stderr
    assert interpreters(again.plan)["node1"] == {"how": "same", "path": p.base, "version": version}
    assert "copied to" not in again.stderr


def test_a_relocatable_python_goes_to_the_cache(interp_project, nodes):
    """Case 3, an interpreter that runs from any path (as uv's do): into
    the node's cache, the virtualenv pointed at it; found there the next
    time."""
    p = interp_project("uv3.13")
    dry = helper(p, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    got = interpreters(dry.plan)["node1"]
    assert got["how"] == "copied"
    cache = os.path.join(nodes.login_home, ".cache", "pytest-cloud", "python")
    assert got["path"].startswith(cache + "/cpython-3.13.0-x86_64-")
    assert got["path"].endswith("/bin/python3.13")
    r = p.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    for rec in ran_with(p, nodes):
        assert rec["version"] == "3.13.0"
        assert rec["real"] == got["path"]
    with open(nodes.nodes["node1"].path("pytest_%s_proj" % nodes.user, ".venv", "pyvenv.cfg")) as f:
        assert "home = %s\n" % os.path.dirname(got["path"]) in f.read()
    again = helper(p)
    assert interpreters(again.plan)["node2"] == {"how": "cached", "path": got["path"], "version": "3.13.0"}
    assert "copied to" not in again.stderr


def test_copying_forbidden_leaves_the_nodes_out_before_any_copy(interp_project, nodes):
    """Case 4: the reason names the version needed, what the node has and
    what to do; nothing reaches the nodes."""
    p = interp_project("pyenv3.12", cloud_copy_python="no")
    reason = ("the virtualenv needs Python 3.12 (its base: '%s'); the node has Python %s "
              "('/usr/bin/python3'), and copying it is off (cloud_copy_python = no): install "
              "Python 3.12 there, or set cloud_python and run without a virtualenv"
              % (p.base, debian_311()))
    dry = helper(p, "--dry-run")
    assert dry.returncode == 1
    assert [n["reason"] for n in dry.plan["nodes"]] == [reason, reason]
    r = p.pytest("-q")
    assert r.returncode != 0
    assert "node 'node1': excluded: " + reason in r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    for name in ("node1", "node2"):
        assert os.listdir(nodes.nodes[name].home) == []
