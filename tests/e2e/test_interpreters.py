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
import stat
import subprocess
import sys
import tempfile

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
    """Each node's interpreter in the plan; a node left out has none, and
    its reason stands in for it, so that an assertion on it says why."""
    return {n["node"]: n.get("interpreter") or ({"how": "left out: %s" % n["reason"]}
                                                if n["status"] != "ok" else None)
            for n in plan["nodes"]}


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


# The interpreter's copy on the nodes (issue 32): used only whole, checked
# and of this source; placed atomically, nothing left behind; never
# writable by others there; and no python another user could have written
# is run by the probe.

def cache_of(nodes, name):
    return nodes.nodes[name].path(".cache", "pytest-cloud", "python")


def copy_dir(plan, name):
    """The folder (from the node's home) of the copy plan names for node."""
    return os.path.dirname(os.path.dirname(interpreters(plan)[name]["path"]))


def on_node(nodes, name, path):
    """An absolute path of the nodes' home, as seen from outside."""
    return nodes.nodes[name].path(os.path.relpath(path, nodes.login_home))


def writable_by_others(path):
    """Entries under path (itself too) that group or others may write."""
    found = []
    for folder, dirs, files in os.walk(path):
        for entry in [folder] + [os.path.join(folder, n) for n in files]:
            st = os.lstat(entry)
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o022:
                found.append("%s %o" % (entry, st.st_mode & 0o777))
    return found


@pytest.fixture(scope="session")
def uv_variant(interp_venv):
    """variant(name, change): a copy of the relocatable Python 3.13 (kept
    under the hidden folder) that change(prefix) made different."""
    where = os.path.join(HIDDEN, "interpreters", "variants")

    def variant(name, change):
        interp_venv("uv3.13")
        base = relocatable_copy("3.13", os.path.join(HIDDEN, "interpreters", "uv"))
        prefix = os.path.join(where, name)
        if not os.path.exists(prefix):
            tmp = prefix + ".tmp-%d" % os.getpid()
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(os.path.dirname(os.path.dirname(base)), tmp, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
            change(tmp)
            os.makedirs(where, exist_ok=True)
            os.rename(tmp, prefix)
        return os.path.join(prefix, "bin", "python3.13")
    return variant


def on_base(p, base):
    """Points the project's virtualenv at another Python 3.13."""
    venv = os.path.join(p.path, ".venv")
    with open(os.path.join(venv, "pyvenv.cfg")) as f:
        lines = f.read().splitlines()
    with open(os.path.join(venv, "pyvenv.cfg"), "w") as f:
        for line in lines:
            key = line.split("=")[0].strip()
            if key == "home":
                line = "home = %s" % os.path.dirname(base)
            elif key == "executable":
                line = "executable = %s" % base
            f.write(line + "\n")
    os.remove(os.path.join(venv, "bin", "python3.13"))
    os.symlink(base, os.path.join(venv, "bin", "python3.13"))
    p.base = base


@pytest.mark.parametrize("kind", ["uv3.13", "pyenv3.12"])
def test_a_copy_whose_stdlib_was_removed_is_copied_again(interp_project, nodes, kind):
    """python -V runs without a standard library: the probe counts the
    copy's files against its marker, so a copy with its stdlib gone is
    copied again (into the cache, or over the earlier one at its own
    path) instead of failing every worker."""
    p = interp_project(kind)
    first = helper(p)
    assert first.returncode == 0, first.stderr
    assert "copied to" in first.stderr
    where = copy_dir(first.plan, "node1")
    minor = kind[-4:]
    stdlib = os.path.join(on_node(nodes, "node1", where), "lib", "python" + minor)
    assert os.path.isfile(os.path.join(stdlib, "os.py"))
    shutil.rmtree(stdlib)
    again = helper(p)
    assert again.returncode == 0, again.stderr
    got = interpreters(again.plan)
    assert got["node1"]["how"] == "copied", again.stderr
    assert got["node2"]["how"] == ("cached" if kind == "uv3.13" else "same")
    assert "node 'node1': Python %s" % minor in again.stderr, again.stderr
    assert "node 'node2': Python" not in again.stderr
    assert os.path.isfile(os.path.join(stdlib, "os.py"))
    with open(os.path.join(on_node(nodes, "node1", where), ".pytest-cloud-python")) as f:
        assert f.read().splitlines()[-1] == "checked"
    # nothing put aside or half copied is left
    folder = os.path.dirname(on_node(nodes, "node1", where))
    assert [e for e in os.listdir(folder) if ".partial-" in e] == []
    third = helper(p)
    assert interpreters(third.plan)["node1"]["how"] == interpreters(third.plan)["node2"]["how"]
    assert "copied to" not in third.stderr


def test_a_changed_stdlib_or_the_system_site_packages_make_another_copy(interp_project, nodes,
                                                                        uv_variant, tmp_path):
    """The cache's name is the copy's manifest: a stdlib file changed
    here, or a virtualenv that includes the system site-packages, is not
    served by the copy made before."""
    p = interp_project("uv3.13")
    base = uv_variant("plain", lambda prefix: None)
    prefix = str(tmp_path / "py")
    shutil.copytree(os.path.dirname(os.path.dirname(base)), prefix, symlinks=True)
    on_base(p, os.path.join(prefix, "bin", "python3.13"))
    first = helper(p)
    assert first.returncode == 0, first.stderr
    made = interpreters(first.plan)["node1"]["path"]
    assert interpreters(helper(p, "--dry-run").plan)["node1"] == {
        "how": "cached", "path": made, "version": "3.13.0"}
    with open(os.path.join(prefix, "lib", "python3.13", "json", "__init__.py"), "a") as f:
        f.write("\n# changed here\n")
    changed = interpreters(helper(p, "--dry-run").plan)["node1"]
    assert changed["how"] == "copied" and changed["path"] != made
    cfg = os.path.join(p.path, ".venv", "pyvenv.cfg")
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace("include-system-site-packages = false",
                             "include-system-site-packages = true"))
    site = interpreters(helper(p, "--dry-run").plan)["node1"]
    assert site["how"] == "copied" and site["path"] not in (made, changed["path"])


def test_partial_copies_left_behind_are_removed(interp_project, nodes):
    """A run killed during the copy leaves DEST.partial-TOKEN, whose
    marker says until when its run may write it: the next copy removes
    those past that time and those put aside, keeps one that a run may
    still be writing, and leaves no partial copy of its own."""
    p = interp_project("uv3.13")
    dry = helper(p, "--dry-run")
    name = os.path.basename(copy_dir(dry.plan, "node1"))
    cache = cache_of(nodes, "node1")
    left = {name + ".partial-0123456789abcdef": "pytest-cloud partial copy\nuntil 1000\n",
            name + ".partial-fedcba9876543210": "pytest-cloud partial copy\nuntil 99999999999\n",
            "cpython-3.13.0-x86_64-0000000000000000.partial-0011223344556677.old":
                "pytest-cloud python copy\n",
            "someone-elses.partial-1": None}
    for entry, marker in left.items():
        os.makedirs(os.path.join(cache, entry, "lib"))
        if marker is not None:
            with open(os.path.join(cache, entry, ".pytest-cloud-python"), "w") as f:
                f.write(marker)
    r = helper(p)
    assert r.returncode == 0, r.stderr
    assert interpreters(r.plan)["node1"]["how"] == "copied"
    assert sorted(os.listdir(cache)) == sorted([name, name + ".partial-fedcba9876543210",
                                                "someone-elses.partial-1"])
    assert os.listdir(cache_of(nodes, "node2")) == [name]


def test_a_group_writable_python_is_not_writable_by_others_on_the_node(interp_project, nodes,
                                                                       uv_variant):
    """rsync keeps modes: a prefix that group and others may write here
    arrives without that (--chmod=go-w), and the folders made for it are
    the login's alone."""
    def open_up(prefix):
        subprocess.run(["chmod", "-R", "go+w", prefix], check=True)

    p = interp_project("uv3.13")
    on_base(p, uv_variant("group-writable", open_up))
    assert writable_by_others(os.path.dirname(os.path.dirname(p.base)))
    r = helper(p)
    assert r.returncode == 0, r.stderr
    got = interpreters(r.plan)
    assert got["node1"]["how"] == "copied"
    for name in ("node1", "node2"):
        where = on_node(nodes, name, copy_dir(r.plan, name))
        assert os.path.isfile(os.path.join(where, "lib", "python3.13", "os.py"))
        assert writable_by_others(where) == []
        for folder in (nodes.nodes[name].path(".cache"), cache_of(nodes, name)):
            assert os.stat(folder).st_mode & 0o077 == 0, folder


def test_a_copy_that_does_not_run_is_removed_and_never_reused(interp_project, nodes, uv_variant):
    """A copy that fails its check (here: no json module) leaves the node
    out, and is removed: the next run does not take it as cached."""
    def no_json(prefix):
        shutil.rmtree(os.path.join(prefix, "lib", "python3.13", "json"))

    p = interp_project("uv3.13")
    on_base(p, uv_variant("no-json", no_json))
    for attempt in range(2):
        r = helper(p)
        assert r.returncode != 0
        reasons = [n.get("reason", "") for n in r.plan["nodes"]]
        assert all("does not run there" in why and "json" in why for why in reasons), reasons
        for name in ("node1", "node2"):
            assert os.listdir(cache_of(nodes, name)) == []


FAKE_BASE = '''#!/bin/sh
echo "$0" >> %s
echo "Python 3.11.2"
'''


@pytest.mark.parametrize("case", ["owned by nobody", "in a folder everyone may write", "root's"])
def test_a_base_path_another_user_could_write_is_never_run(tmp_path, nodes, case):
    """The probe runs the controller's base interpreter path on every
    node; there (here /tmp, shared with the nodes) it may be another
    user's: then it is not run, and said.  Root's own under /tmp (a
    sticky folder) is run."""
    top = tempfile.mkdtemp(prefix="pytest-cloud-e2e-base-", dir="/tmp")
    try:
        log = os.path.join(top, "ran.log")
        prefix = os.path.join(top, "py")
        exe = os.path.join(prefix, "bin", "python3.11")
        os.makedirs(os.path.join(prefix, "lib", "python3.11"))
        os.makedirs(os.path.dirname(exe))
        open(os.path.join(prefix, "lib", "python3.11", "os.py"), "w").close()
        with open(exe, "w") as f:
            f.write(FAKE_BASE % log)
        os.chmod(exe, 0o755)
        os.chmod(top, 0o755)
        if case == "owned by nobody":
            subprocess.run(["chown", "-R", "65534", prefix], check=True)
            why = "'%s' is owned by uid 65534" % prefix
        elif case == "in a folder everyone may write":
            os.chmod(prefix, 0o777)
            why = "'%s' is writable by everyone" % prefix
        path = str(tmp_path / "proj")
        p = make_project(path, nodes)
        venv = os.path.join(path, ".venv")
        os.makedirs(os.path.join(venv, "bin"))
        with open(os.path.join(venv, "pyvenv.cfg"), "w") as f:
            f.write("home = %s\ninclude-system-site-packages = false\nversion = 3.11.2\n"
                    % os.path.dirname(exe))
        os.symlink(exe, os.path.join(venv, "bin", "python3.11"))
        os.symlink("python3.11", os.path.join(venv, "bin", "python"))
        p.use_nodes("node1 node2")
        dry = p.helper("--dry-run", env=p.env(VIRTUAL_ENV=venv))
        assert dry.returncode == 0, dry.stderr
        got = interpreters(dry.plan)
        if case == "root's":
            assert got["node1"] == {"how": "same", "path": exe, "version": "3.11.2"}
            with open(log) as f:
                assert f.read().split() == [exe, exe]  # once on each node
            return
        assert not os.path.exists(log), "the probe ran it"
        version = debian_311()
        assert got == {n: {"how": "other", "path": "/usr/bin/python3.11", "version": version}
                       for n in ("node1", "node2")}
        note = ("python /usr/bin/python3.11 (%s, the node's own; not run: '%s', which another user "
                "could have written (%s))" % (version, exe, why))
        said = [line for line in dry.stderr.splitlines() if line.startswith("pytest-cloud: node '")]
        assert len(said) == 2 and all(line.endswith("; " + note) for line in said), dry.stderr
    finally:
        subprocess.run(["rm", "-rf", top], check=True)
