"""Propagation: rsyncdirs/rsyncignore, develop eggs installed on the nodes
in development mode, the bandwidth limit."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import HELPER, PYTHON, TEMPLATE, TIMEOUT, child_env, masters_dir


def test_rsyncdirs_and_rsyncignore_are_respected(project):
    nodes = project.cluster
    project.use_nodes("node2", rsyncdirs="tests", rsyncignore="tests/test_part3.py")
    os.makedirs(os.path.join(project.path, "docs"))
    with open(os.path.join(project.path, "docs", "big.txt"), "w") as f:
        f.write("not needed on the nodes\n")
    r = project.helper(env=project.env(VIRTUAL_ENV=os.path.join(project.path, ".venv")))
    assert r.returncode == 0, r.stderr
    node = nodes.nodes["node2"]
    chdir = "pytest_%s_proj" % nodes.user
    assert os.path.isfile(node.path(chdir, "tests", "test_part1.py"))
    assert not os.path.exists(node.path(chdir, "tests", "test_part3.py"))
    assert not os.path.exists(node.path(chdir, "docs"))
    assert not os.path.exists(node.path(chdir, "calc.py"))
    # what the workers need besides the rsyncdirs
    assert os.path.isfile(node.path(chdir, "pytest.ini"))
    assert os.path.isfile(node.path(chdir, "conftest.py"))
    assert os.path.islink(node.path(chdir, ".venv", "bin", "python"))


SETUP_PY = """from setuptools import setup
setup(name="setuppkg", version="1.0", packages=["setuppkg"])
"""
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tomlpkg"
version = "1.0"

[tool.setuptools]
package-dir = {"" = "src"}
packages = ["tomlpkg"]
"""
EGG_TEST = '''import os
import setuppkg
import tomlpkg


def test_eggs_come_from_the_node_copy():
    here = os.path.realpath(os.getcwd())
    for mod in (setuppkg, tomlpkg):
        assert os.path.realpath(mod.__file__).startswith(here + os.sep), mod.__file__
    assert setuppkg.VALUE + tomlpkg.VALUE == 3
    with open(os.path.join(here, "eggs_seen.txt"), "w") as f:
        f.write("%s\\n%s\\n" % (setuppkg.__file__, tomlpkg.__file__))
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


@pytest.mark.stack
def test_develop_eggs_import_from_the_node_copy(tmp_path, nodes):
    """A setup.py package and a pyproject.toml package, installed on the
    nodes in development mode into the synced virtualenv, without any
    package index; the workers import them from the node's CHDIR."""
    proj = str(tmp_path / "eggs")
    write(os.path.join(proj, "libs", "setuppkg", "setup.py"), SETUP_PY)
    write(os.path.join(proj, "libs", "setuppkg", "setuppkg", "__init__.py"), "VALUE = 1\n")
    write(os.path.join(proj, "libs", "tomlpkg", "pyproject.toml"), PYPROJECT)
    write(os.path.join(proj, "libs", "tomlpkg", "src", "tomlpkg", "__init__.py"), "VALUE = 2\n")
    write(os.path.join(proj, "tests", "test_eggs.py"), EGG_TEST)
    shutil.copy(TEMPLATE, proj)
    write(os.path.join(proj, "pytest.ini"),
          "[pytest]\ntestpaths = tests\ncloud_nodes = node1 node2\n"
          "cloud_develop_eggs =\n    libs/setuppkg\n    libs/tomlpkg\n"
          "cloud_ssh_config = %s\ncloud_connect_timeout = %d\n" % (nodes.ssh_config, TIMEOUT))
    # a seeded virtualenv (pip and setuptools from Debian's wheels)
    subprocess.run([PYTHON, "-m", "virtualenv", "-q", "--system-site-packages",
                    os.path.join(proj, ".venv")], check=True)
    env = child_env()
    r = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest",
                        "-p", "no:cacheprovider"], cwd=proj, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
    chdir = "pytest_%s_eggs" % nodes.user
    seen = [n for n in ("node1", "node2")
            if os.path.exists(nodes.nodes[n].path(chdir, "eggs_seen.txt"))]
    assert len(seen) == 1
    with open(nodes.nodes[seen[0]].path(chdir, "eggs_seen.txt")) as f:
        files = f.read().split()
    login_chdir = os.path.join(nodes.login_home, chdir)
    assert files[0] == os.path.join(login_chdir, "libs", "setuppkg", "setuppkg", "__init__.py")
    assert files[1] == os.path.join(login_chdir, "libs", "tomlpkg", "src", "tomlpkg", "__init__.py")
    # the controller's own virtualenv was not touched by the install
    r = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-c", "import setuppkg"],
                       cwd="/", stderr=subprocess.PIPE)
    assert r.returncode != 0


def test_develop_eggs_without_virtualenv_is_refused(project):
    os.makedirs(os.path.join(project.path, "libs", "p"))
    # the message names the source that set the eggs: here the variable
    r = project.helper("--dry-run", env=project.env(PYTEST_CLOUD_DEVELOP_EGGS="libs/p"))
    assert r.returncode == 2
    assert ("PYTEST_CLOUD_DEVELOP_EGGS: installing develop eggs needs a virtualenv inside the project root"
            in r.stderr), r.stderr
    # and here the ini key
    with open(os.path.join(project.path, "pytest.ini"), "a") as f:
        f.write("cloud_develop_eggs = libs/p\n")
    r = project.helper("--dry-run")
    assert r.returncode == 2
    assert "cloud_develop_eggs: installing develop eggs needs a virtualenv" in r.stderr, r.stderr


def test_bandwidth_limit_slows_a_large_file(project):
    nodes = project.cluster
    with open(os.path.join(project.path, "big.bin"), "wb") as f:
        f.write(os.urandom(1024 * 1024))
    seconds = {}
    for limit in ("0", "256"):
        nodes.clear_homes()
        r = project.helper("--cloud-nodes=node2", "--cloud-rsync-bandwidth-limit=" + limit)
        assert r.returncode == 0, r.stderr
        seconds[limit] = r.plan["nodes"][0]["sync"]["seconds"]
        assert r.plan["nodes"][0]["sync"]["bytes_sent"] > 1024 * 1024
    # 1 MiB at 256 KB/s takes seconds; unlimited, a fraction of one
    assert seconds["256"] > 2.0, seconds
    assert seconds["256"] > 5 * seconds["0"], seconds


def test_rsync_gets_an_argument_vector_not_a_shell_line(project, tmp_path):
    """A fake rsync first on PATH records its arguments, then runs the
    real one: every value arrives as one argument, as built."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "argv.json"
    fake = bindir / "rsync"
    fake.write_text(
        "#!/usr/bin/python3\n"
        "import json, os, sys\n"
        "with open(%r, 'a') as f:\n"
        "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "os.execv('/usr/bin/rsync', ['rsync'] + sys.argv[1:])\n" % str(log))
    fake.chmod(0o755)
    nodes = project.cluster
    env = project.env(PATH="%s:%s" % (bindir, os.environ["PATH"]))
    r = project.helper("--cloud-nodes=node1", "--cloud-chdir=odd@name%,+:x", env=env)
    assert r.returncode == 0, r.stderr
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    # the copy's (a listing of the project may come first: test_copy.py)
    argv = [a for a in runs if "--delete" in a][0]
    assert all("--list-only" in a for a in runs if a is not argv), runs
    assert argv[-3:] == ["--", project.path + "/", "node1:odd@name%,+:x/"]
    rsh = [a for a in argv if a.startswith("--rsh=")]
    # through the node's master connection (its path is in the plan)
    master = r.plan["nodes"][0]["ssh"]["control_path"]
    assert master.startswith(masters_dir() + "/")
    # with the mux client beside the helper, rsync's shell is that client
    # on the master's socket, given the same ssh command line to fall back on
    mux = os.path.join(os.path.dirname(HELPER), "pytest-cloud-mux")
    lead = "'%s' '%s' " % (mux, master) if os.access(mux, os.X_OK) else ""
    assert rsh == ["--rsh=" + lead + "ssh -o BatchMode=yes -o ConnectTimeout=3 -o ServerAliveInterval=3 "
                   "-o ServerAliveCountMax=3 -o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
                   "-o HostName=%s -o Port=2222 -o User=%s "
                   "-o Compression=no -c aes128-gcm@openssh.com "
                   "-o ControlMaster=no -o ControlPath=%s -F '%s'"
                   % (nodes.nodes["node1"].addr, nodes.user, master, nodes.ssh_config)]
    assert "--delete" in argv and "--bwlimit=10000" in argv
    assert os.path.isdir(nodes.nodes["node1"].path("odd@name%,+:x", "tests"))


def test_no_change_resync_sends_no_files(project):
    env = project.env(VIRTUAL_ENV=os.path.join(project.path, ".venv"))
    first = project.helper("--cloud-nodes=node1 node2", env=env)
    assert first.returncode == 0, first.stderr
    again = project.helper("--cloud-nodes=node1 node2", env=env)
    assert again.returncode == 0, again.stderr
    for a, b in zip(first.plan["nodes"], again.plan["nodes"]):
        assert a["sync"]["files_sent"] > 10
        assert b["sync"]["files_sent"] == 0
        assert b["sync"]["bytes_sent"] < a["sync"]["bytes_sent"] / 4
    assert "sync done: 2 nodes, 0 files and" in again.stderr


def test_live_display_on_a_terminal(project):
    """On a terminal the sync shows one line per node, redrawn in place;
    elsewhere (as above) plain lines."""
    import pty
    import select

    with open(os.path.join(project.path, "big.bin"), "wb") as f:
        f.write(os.urandom(512 * 1024))
    env = project.env(TERM="xterm", VIRTUAL_ENV=os.path.join(project.path, ".venv"))
    master, slave = pty.openpty()
    proc = subprocess.Popen([HELPER, "--cloud-nodes=node1 node2", "--cloud-rsync-bandwidth-limit=400"],
                            cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    proc.stdout.read()
    assert proc.wait() == 0
    os.close(master)
    text = screen.decode("utf-8", "replace")
    assert "\x1b[2A" in text  # two lines redrawn in place
    assert "syncing" in text and "synced" in text
    for name in ("node1", "node2"):
        assert "  %s  synced" % name in text
