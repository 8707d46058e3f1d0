"""pytest-cloud init on real projects, and the version handshake: a project
without a conftest, one with its own root conftest (its fixtures still work
on the nodes), every config format, a second init, an older copy (a clear
stop with exit 2 that touches no node, then init updates it), and the
refusals (nothing written)."""

import ast
import hashlib
import os
import re
import shutil
import subprocess

import pytest

from conftest import HELPER, TEMPLATE, TIMEOUT, child_env, make_project

VERSION = re.search(r'^PYTEST_CLOUD_VERSION = "(.*)"$', open(TEMPLATE).read(), re.M).group(1)

OWN_CONFTEST = '''"""The project's own fixtures."""
import pytest


@pytest.fixture
def answer():
    return 42
'''

USES_FIXTURE = '''
def test_answer(answer):
    assert answer == 42
'''


def init(path, *args, user=None):
    argv = [HELPER, "init"] + list(args)
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", "--"] + argv
    env = child_env()
    return subprocess.run(argv, cwd=path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


def snapshot(path):
    """{relative path: sha256} of every file under path (not the venv)."""
    out = {}
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".venv"]
        for name in files:
            full = os.path.join(folder, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def logins(cluster, name):
    with open(os.path.join(cluster.nodes[name].dir, "sshd.log")) as f:
        return f.read().count("Accepted publickey")


@pytest.fixture
def bare(tmp_path, nodes, venv_template):
    """example/ without any pytest-cloud file; pytest.ini with the test
    cluster's settings but no cloud_nodes."""
    p = make_project(str(tmp_path / "proj"), nodes, venv_template, plugin=False)
    p.write_ini(cloud_ssh_config=nodes.ssh_config, cloud_connect_timeout=TIMEOUT)
    return p


def ran_on_nodes(project, nodes, run):
    """Every test that passed ran on the nodes, on both."""
    count = int(re.search(r"(\d+) passed", run.stdout).group(1))
    found = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    assert len(found) == count, found
    assert {r["worker"].split("_")[0] for r in found} == {"node1", "node2"}
    return found


def test_init_into_a_project_without_conftest(bare, nodes):
    r = init(bare.path, "--nodes", "node1 node2")
    assert r.returncode == 0, r.stderr
    assert "new file conftest.py: pytest-cloud %s's plugin" % VERSION in r.stdout
    assert "+cloud_nodes = node1 node2" in r.stdout
    with open(os.path.join(bare.path, "conftest.py")) as f, open(TEMPLATE) as t:
        assert f.read() == t.read()
    run = bare.pytest("-v")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    ran_on_nodes(bare, nodes, run)
    # a second init changes nothing
    before = snapshot(bare.path)
    again = init(bare.path, "--nodes", "node1 node2")
    assert again.returncode == 0 and again.stdout == ""
    assert "nothing to change" in again.stderr
    assert snapshot(bare.path) == before


@pytest.mark.stack
def test_init_beside_the_projects_own_conftest(bare, nodes):
    with open(os.path.join(bare.path, "conftest.py"), "w") as f:
        f.write(OWN_CONFTEST)
    with open(os.path.join(bare.path, "tests", "test_fixture.py"), "w") as f:
        f.write(USES_FIXTURE)
    dry = init(bare.path, "--nodes", "node1 node2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '+pytest_plugins = ["pytest_cloud_plugin"]' in dry.stdout
    assert not os.path.exists(os.path.join(bare.path, "pytest_cloud_plugin.py"))
    r = init(bare.path, "--nodes", "node1 node2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == dry.stdout
    assert "new file pytest_cloud_plugin.py" in r.stdout
    with open(os.path.join(bare.path, "conftest.py")) as f:
        conftest = f.read()
    # one line added after the docstring; the rest untouched
    assert conftest == OWN_CONFTEST.replace('"""\n', '"""\npytest_plugins = ["pytest_cloud_plugin"]\n', 1)
    # the project's fixture works on the nodes; a path given on the
    # command line reaches the workers through the plugin
    run = bare.pytest("-v", "tests/test_fixture.py", "tests/test_part1.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = ran_on_nodes(bare, nodes, run)
    ids = {f["nodeid"] for f in found}
    assert "tests/test_fixture.py::test_answer" in ids
    assert {i.split("::")[0] for i in ids} == {"tests/test_fixture.py", "tests/test_part1.py"}
    again = init(bare.path)
    assert again.returncode == 0 and again.stdout == "", again.stdout


def test_init_with_copied_folders_only(bare, nodes):
    """With cloud_rsync_dirs the plugin module is copied too."""
    with open(os.path.join(bare.path, "conftest.py"), "w") as f:
        f.write(OWN_CONFTEST)
    with open(os.path.join(bare.path, "pytest.ini"), "a") as f:
        f.write("cloud_rsync_dirs = tests\n")
    assert init(bare.path, "--nodes", "node1").returncode == 0
    run = bare.pytest("-k", "not import_is_local")  # calc.py stays here
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    chdir = "pytest_%s_proj" % nodes.user
    assert os.path.isfile(nodes.nodes["node1"].path(chdir, "pytest_cloud_plugin.py"))
    assert not os.path.exists(nodes.nodes["node1"].path(chdir, "calc.py"))


FORMATS = {
    "pytest.ini": ("[pytest]\ncloud_ssh_config = {cfg}\ncloud_connect_timeout = {t}\n",
                   "cloud_nodes = node1 node2\n"),
    "tox.ini": ("[tox]\nenvlist = py3\n\n[pytest]\ncloud_ssh_config = {cfg}\ncloud_connect_timeout = {t}\n"
                "\n[testenv]\ncommands = pytest\n", "cloud_nodes = node1 node2\n"),
    "setup.cfg": ("[metadata]\nname = calc\n\n[tool:pytest]\ncloud_ssh_config = {cfg}\n"
                  "cloud_connect_timeout = {t}\n", "cloud_nodes = node1 node2\n"),
    "pyproject.toml": ('[project]\nname = "calc"\n\n[tool.pytest.ini_options]\ncloud_ssh_config = "{cfg}"\n'
                       'cloud_connect_timeout = "{t}"\n', 'cloud_nodes = "node1 node2"\n'),
    "pyproject.toml (pytest 9)": ('[tool.pytest]\ncloud_ssh_config = "{cfg}"\ncloud_connect_timeout = {t}\n',
                                  'cloud_nodes = ["node1", "node2"]\n'),
    "pytest.toml": ('[pytest]\ncloud_ssh_config = "{cfg}"\ncloud_connect_timeout = {t}\n',
                    'cloud_nodes = ["node1", "node2"]\n'),
}


# pytest 9's own formats also on the stacks (a whole run there)
PYTEST9_FORMATS = ("pyproject.toml (pytest 9)", "pytest.toml")


@pytest.mark.parametrize("kind", [pytest.param(k, marks=pytest.mark.stack) if k in PYTEST9_FORMATS else k
                                  for k in sorted(FORMATS)])
def test_init_in_each_config_format(bare, nodes, kind):
    """The line in the file's own format; the helper then plans both
    nodes (it probes them) from that file, as pytest would find it.  On
    pytest 9 (tests/stacks.py) its own formats also get a whole run."""
    name = kind.split()[0]
    os.unlink(os.path.join(bare.path, "pytest.ini"))
    before, line = FORMATS[kind]
    text = before.format(cfg=nodes.ssh_config, t=TIMEOUT)
    with open(os.path.join(bare.path, name), "w") as f:
        f.write(text)
    r = init(bare.path, "--nodes", "node1 node2")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(bare.path, name)) as f:
        after = f.read()
    # one line added, at the end of the pytest section
    assert after.replace(line, "", 1) == text
    section_end = text.find("\n\n[testenv]") + 1 if kind == "tox.ini" else len(text)
    assert after.index(line) == section_end
    plan = bare.helper("--dry-run", "--json", cwd=os.path.join(bare.path, "tests"))
    assert plan.returncode == 0, plan.stderr
    assert sorted(n["node"] for n in plan.plan["nodes"] if n["status"] == "ok") == ["node1", "node2"]
    if kind in PYTEST9_FORMATS and bare.pytest_version()[0] >= (9, 0):
        with open(TEMPLATE) as t, open(os.path.join(bare.path, "conftest.py")) as f:
            assert f.read() == t.read()
        run = bare.pytest("-q")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        ran_on_nodes(bare, nodes, run)


def test_init_makes_a_config_file_when_there_is_none(tmp_path):
    proj = tmp_path / "p"
    (proj / "tests").mkdir(parents=True)
    r = init(str(proj))
    assert r.returncode == 0, r.stderr
    assert (proj / "pytest.ini").read_text() == "[pytest]\n# cloud_nodes = user@node1 user@node2\n"
    assert "set cloud_nodes in '%s'" % (proj / "pytest.ini") in r.stderr
    # a second init with nodes sets them after the example
    assert init(str(proj), "--nodes", "n1").returncode == 0
    assert (proj / "pytest.ini").read_text() == (
        "[pytest]\n# cloud_nodes = user@node1 user@node2\ncloud_nodes = n1\n")


def stale_copy(path, version):
    with open(TEMPLATE) as f:
        text = f.read()
    if version is None:  # from before the handshake: no version at all
        text = re.sub(r'^PYTEST_CLOUD_VERSION = ".*"\n', "", text, flags=re.M)
        text = re.sub(r'    argv.append\("--conftest[^\n]*\n', "", text)
    else:
        text = text.replace('PYTEST_CLOUD_VERSION = "%s"' % VERSION, 'PYTEST_CLOUD_VERSION = "%s"' % version)
    with open(path, "w") as f:
        f.write(text)


@pytest.mark.parametrize("version,shown", [("0.1.5", "0.1.5"), (None, "0.1.0")])
def test_a_stale_copy_stops_before_any_node(bare, nodes, version, shown):
    with open(os.path.join(bare.path, "pytest.ini"), "a") as f:
        f.write("cloud_nodes = node1 node2\n")
    stale_copy(os.path.join(bare.path, "conftest.py"), version)
    before = {n: logins(nodes, n) for n in ("node1", "node2")}
    run = bare.pytest()
    want = ("conftest.py is from pytest-cloud %s, this helper is %s: run 'pytest-cloud init' to update it"
            % (shown, VERSION))
    assert want in run.stderr, run.stderr
    assert run.returncode != 0
    assert {n: logins(nodes, n) for n in ("node1", "node2")} == before
    assert os.listdir(nodes.nodes["node1"].home) == [] or not any(
        e.startswith("pytest_") for e in os.listdir(nodes.nodes["node1"].home))
    # the helper alone says the same, with exit status 2
    if version is not None:
        alone = bare.helper("--conftest-version=" + version, "--conftest=" + os.path.join(bare.path, "conftest.py"))
    else:
        alone = bare.helper("--rootdir=" + bare.path)
    assert alone.returncode == 2 and want in alone.stderr, alone.stderr
    # init updates it, and the run goes
    r = init(bare.path)
    assert r.returncode == 0, r.stderr
    assert "conftest.py: updated from pytest-cloud %s to %s" % (shown, VERSION) in r.stdout
    run = bare.pytest()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def test_another_patch_level_only_warns(bare, nodes):
    major, minor, patch = VERSION.split(".")
    other = "%s.%s.%d" % (major, minor, int(patch) + 1)
    alone = bare.helper("--dry-run", "--cloud-nodes=node1", "--conftest-version=" + other)
    assert alone.returncode == 0, alone.stderr
    assert "warning: conftest.py is from pytest-cloud %s, this helper is %s" % (other, VERSION) in alone.stderr


def refused(path, *args, user=None):
    before = snapshot(path)
    r = init(path, *args, user=user)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert snapshot(path) == before
    return r.stderr


def test_init_refuses_what_it_cannot_do_safely(tmp_path):
    proj = tmp_path / "p"
    proj.mkdir()
    # a conftest with pytest-cloud's hooks pasted in
    (proj / "conftest.py").write_text(
        'def pytest_addoption(parser):\n    parser.addoption("--cloud-nodes")\n')
    assert "option names already added" in refused(str(proj), "--nodes", "n1")
    # a copy of the plugin with a fixture of the project's own
    (proj / "conftest.py").write_text(open(TEMPLATE).read() + "\n\n@pytest.fixture\ndef db():\n    return 1\n")
    assert "with code of the project's own in it" in refused(str(proj))
    # a pytest_plugins set in a way init does not edit
    (proj / "conftest.py").write_text("BASE = ['a']\npytest_plugins = BASE + ['b']\n")
    assert "line 2: pytest_plugins is not a list" in refused(str(proj))
    # a pytest_cloud_plugin.py of the project's own
    (proj / "conftest.py").write_text(OWN_CONFTEST)
    (proj / "pytest_cloud_plugin.py").write_text("X = 1\n")
    assert "is not pytest-cloud's plugin" in refused(str(proj))
    (proj / "pytest_cloud_plugin.py").unlink()
    # a config file it cannot parse
    (proj / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-q\n')
    assert "cannot read the config file" in refused(str(proj))
    (proj / "pyproject.toml").unlink()
    # a bad node name
    assert "node 'a;b'" in refused(str(proj), "--nodes", "a;b")


def test_init_refuses_without_write_permission():
    """As an unprivileged user (root writes anyway), in a folder it may
    read but not write: nothing is written."""
    import tempfile

    base = tempfile.mkdtemp(prefix="pytest-cloud-init.")
    try:
        os.chmod(base, 0o755)
        with open(os.path.join(base, "pytest.ini"), "w") as f:
            f.write("[pytest]\n")
        msg = refused(base, "--nodes", "n1", user=65534)
        assert "cannot write '%s/" % base in msg and "nothing was written" in msg
    finally:
        shutil.rmtree(base)


ODD_CONFTESTS = [
    "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n'''Doc.'''\nfrom __future__ import annotations\nimport os\n",
    "pytest_plugins = (\n    'a',\n    'b'\n)\n",
    "pytest_plugins = 'a'  # one\n",
    "import pytest\r\n\r\npytest_plugins = [\r\n\t\"a\",  # a\r\n]\r\n",
    "x = '''pytest_plugins = []'''\n",
    "r'''raw \\''' docstring'''\nX = 1",
]


@pytest.mark.parametrize("text", ODD_CONFTESTS)
def test_the_edited_conftest_is_python_that_loads_the_plugin(tmp_path, text):
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "pytest.ini").write_text("[pytest]\n")
    (proj / "conftest.py").write_bytes(text.encode())
    r = init(str(proj))
    assert r.returncode == 0, r.stderr
    tree = ast.parse((proj / "conftest.py").read_bytes())
    plugins = [ast.literal_eval(n.value) for n in tree.body
               if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "pytest_plugins"]
    assert len(plugins) == 1 and "pytest_cloud_plugin" in plugins[0]
    old = ast.parse(text.encode())
    old_plugins = [ast.literal_eval(n.value) for n in old.body
                   if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "pytest_plugins"]
    if old_plugins:
        want = [old_plugins[0]] if isinstance(old_plugins[0], str) else list(old_plugins[0])
        assert list(plugins[0]) == want + ["pytest_cloud_plugin"]
    # the docstring is still the module's docstring
    assert ast.get_docstring(tree) == ast.get_docstring(old)


def test_init_never_writes_through_a_link(tmp_path):
    """A hostile repository: its config file or conftest is a link out of
    it (refused, the target untouched); a link waits where earlier
    releases put their temporary file (never followed)."""
    victim = tmp_path / "bashrc"
    victim.write_text("export SAFE=1\n")
    proj = tmp_path / "repo" / "p"
    proj.mkdir(parents=True)
    (proj / "pytest.ini").symlink_to("../../bashrc")
    msg = refused(str(proj), "--nodes", "n1")
    assert "pytest.ini: is a symbolic link: init edits only regular files" in msg, msg
    (proj / "pytest.ini").unlink()
    (proj / "pytest.ini").write_text("[pytest]\n")
    (proj / "conftest.py").symlink_to("../../bashrc")
    msg = refused(str(proj), "--nodes", "n1")
    assert "conftest.py: is a symbolic link" in msg, msg
    (proj / "conftest.py").unlink()
    (proj / "pytest.ini.pytest-cloud-init").symlink_to("../../bashrc")
    (proj / "conftest.py.pytest-cloud-init").symlink_to("../../bashrc")
    r = init(str(proj), "--nodes", "n1")
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "export SAFE=1\n"
    assert (proj / "pytest.ini").read_text() == "[pytest]\ncloud_nodes = n1\n"
    assert not (proj / "pytest.ini").is_symlink()
    assert sorted(os.listdir(proj)) == ["conftest.py", "conftest.py.pytest-cloud-init", "pytest.ini",
                                        "pytest.ini.pytest-cloud-init"]


def test_init_keeps_owner_and_mode(tmp_path):
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "pytest.ini").write_text("[pytest]\n")
    os.chown(proj / "pytest.ini", 1234, 4321)
    os.chmod(proj / "pytest.ini", 0o640)
    r = init(str(proj), "--nodes", "n1")
    assert r.returncode == 0, r.stderr
    st = os.stat(proj / "pytest.ini")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 4321, 0o640)
    assert "cloud_nodes = n1" in (proj / "pytest.ini").read_text()


def under_debugger_env():
    """child_env for a helper run under gdb: LeakSanitizer cannot work under
    ptrace and would end the run with its own exit code, so a sanitizer
    build checks everything but leaks there."""
    env = child_env()
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    return env


def test_init_refuses_a_file_changed_while_it_works(tmp_path):
    """The config file changes between init's read and its rename (gdb
    stops init just before the write and edits the file): init refuses,
    and the change made meanwhile is kept."""
    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "pytest.ini").write_text("[pytest]\n")
    edit = "printf 'addopts = -x\\n' >> %s" % (proj / "pytest.ini")
    r = subprocess.run(["gdb", "-q", "-batch", "-ex", "set breakpoint pending on",
                        "-ex", "tbreak files_replace", "-ex", "run",
                        "-ex", "shell " + edit, "-ex", "continue",
                        "--args", HELPER, "init", "--nodes", "n1"],
                       cwd=str(proj), env=under_debugger_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    assert "pytest.ini: changed since it was read: nothing more was written" in r.stderr, r.stdout + r.stderr
    assert "exited with code 03" in r.stdout, r.stdout
    assert (proj / "pytest.ini").read_text() == "[pytest]\naddopts = -x\n"
    assert sorted(os.listdir(proj)) == ["conftest.py", "pytest.ini"]
