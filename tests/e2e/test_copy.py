"""What goes to the nodes (issue 21): version control history, other
tools' virtualenvs, caches and credentials stay behind unless asked for;
--dry-run lists what the copy would send, with sizes."""

import importlib.util
import os
import shutil
import subprocess

import pytest

from cluster import Cluster
from conftest import PYTHON, TEMPLATE, TIMEOUT, child_env, make_project, missing


def git(path, *args):
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-c",
                    "init.defaultBranch=main"] + list(args), cwd=path, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def fill(project):
    """A repository with history, a .env, tox's virtualenvs, caches."""
    git(project.path, "init", "-q")
    git(project.path, "add", "tests", "calc.py")
    git(project.path, "commit", "-qm", "first")
    write(os.path.join(project.path, ".env"), "API_TOKEN=secret\n")
    write(os.path.join(project.path, ".tox", "py39", "big"), "x" * 100000)
    write(os.path.join(project.path, ".mypy_cache", "3.11", "cache.json"), "{}")
    write(os.path.join(project.path, ".coverage"), "coverage data")


# credential files and folders at the root and deeper (copyset.h), and a
# .docker folder of Dockerfiles, which goes
SECRETS = (".envrc", ".netrc", ".pypirc", ".npmrc", ".git-credentials", ".aws", ".ssh")


def fill_secrets(project):
    for name in (".envrc", ".netrc", ".pypirc", ".npmrc", ".git-credentials"):
        write(os.path.join(project.path, name), "password=secret\n")
    write(os.path.join(project.path, ".aws", "credentials"), "[default]\naws_secret_access_key=x\n")
    write(os.path.join(project.path, ".ssh", "id_ed25519"), "PRIVATE KEY\n")
    write(os.path.join(project.path, "tests", "deploy", ".netrc"), "password=deeper\n")
    write(os.path.join(project.path, ".docker", "Dockerfile"), "FROM scratch\n")


def chdir_of(project):
    return "pytest_%s_proj" % project.cluster.user


def tree_bytes(path, skip=("__pycache__",)):
    files = total = 0
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names:
            if not name.endswith(".pyc"):
                files += 1
                total += os.lstat(os.path.join(folder, name)).st_size
    return files, total


def test_history_tox_caches_and_credentials_stay_behind(project):
    fill(project)
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("pytest-cloud: not copied: '.env' (may hold credentials; cloud_rsync_include = .env "
            "copies it)") in r.stderr
    for name in ("node1", "node2"):
        node = project.cluster.nodes[name]
        copied = set(os.listdir(node.path(chdir_of(project))))
        assert {"tests", "calc.py", ".venv", "conftest.py", "pytest.ini"} <= copied
        assert not copied & {".git", ".env", ".tox", ".mypy_cache", ".coverage"}, copied


def test_credential_files_stay_behind_saying_so(project):
    """.envrc, .netrc, .pypirc, .npmrc, .git-credentials, .aws/, .ssh/
    (and the rest of copyset.h's list) are not sent, at any level; each at
    the root is said, in name order; a .docker folder goes."""
    fill_secrets(project)
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("pytest-cloud: not copied: ")]
    assert said == ["pytest-cloud: not copied: '%s' (may hold credentials; cloud_rsync_include = %s "
                    "copies it)" % (name, name) for name in sorted(SECRETS)]
    for name in ("node1", "node2"):
        chdir = project.cluster.nodes[name].path(chdir_of(project))
        copied = set(os.listdir(chdir))
        assert not copied & set(SECRETS), copied
        assert os.path.isfile(os.path.join(chdir, ".docker", "Dockerfile"))
        assert os.path.isdir(os.path.join(chdir, "tests", "deploy"))
        assert not os.path.exists(os.path.join(chdir, "tests", "deploy", ".netrc"))
    dry = project.helper("--dry-run")
    left = {e["name"]: e["why"] for e in dry.plan["copy"]["left_out"]}
    assert left == {name: "may hold credentials" for name in SECRETS}


def test_cloud_rsync_include_brings_a_credential_file(project):
    fill_secrets(project)
    project.use_nodes("node1 node2", cloud_rsync_include=".netrc .aws tests/deploy/.netrc")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not copied: '.netrc'" not in r.stderr
    assert "not copied: '.aws'" not in r.stderr
    assert "not copied: '.envrc'" in r.stderr
    chdir = project.cluster.nodes["node1"].path(chdir_of(project))
    with open(os.path.join(chdir, ".netrc")) as f:
        assert f.read() == "password=secret\n"
    assert os.path.isfile(os.path.join(chdir, ".aws", "credentials"))
    assert os.path.isfile(os.path.join(chdir, "tests", "deploy", ".netrc"))
    assert not os.path.exists(os.path.join(chdir, ".envrc"))


def test_dry_run_lists_what_the_copy_would_send(project):
    fill(project)
    r = project.helper("--dry-run")
    assert r.returncode == 0, r.stderr
    copy = r.plan["copy"]
    entries = {e["name"]: e for e in copy["entries"]}
    assert set(entries) == {"tests", "calc.py", ".venv", "conftest.py", "pytest.ini"}
    files, total = tree_bytes(os.path.join(project.path, "tests"))
    assert (entries["tests"]["files"], entries["tests"]["bytes"]) == (files, total)
    assert entries["calc.py"]["bytes"] == os.path.getsize(os.path.join(project.path, "calc.py"))
    assert copy["bytes"] == sum(e["bytes"] for e in copy["entries"])
    left = {e["name"]: e for e in copy["left_out"]}
    assert set(left) == {".git", ".env", ".tox", ".mypy_cache", ".coverage"}
    assert left[".git"]["why"] == "version control history"
    assert left[".git"]["bytes"] == tree_bytes(os.path.join(project.path, ".git"), skip=())[1]
    assert left[".tox"]["bytes"] == 100000
    # said on stderr too, largest first
    lines = [line for line in r.stderr.splitlines() if line.startswith("pytest-cloud:   ")]
    assert [line.split()[1] for line in lines[:len(entries)]] == [e["name"] for e in copy["entries"]]
    assert any(line.split()[1] == ".git" and "left out: version control history" in line for line in lines)
    # nothing reached a node
    for name in ("node1", "node2"):
        assert not os.path.exists(project.cluster.nodes[name].path(chdir_of(project)))


RUNS_GIT = '''import os
import subprocess


def test_the_history_and_the_env_are_here():
    subject = subprocess.run(["git", "log", "-1", "--format=%s"], stdout=subprocess.PIPE, text=True,
                             check=True).stdout.strip()
    assert subject == "first"
    with open(".env") as f:
        assert f.read() == "API_TOKEN=secret\\n"
'''


def test_what_is_asked_for_goes(project):
    fill(project)
    write(os.path.join(project.path, "tests", "test_git.py"), RUNS_GIT)
    project.use_nodes("node1 node2", cloud_rsync_include=".git .env")
    r = project.pytest("tests/test_git.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout
    assert "not copied: '.env'" not in r.stderr


def test_a_virtualenv_tox_made_goes_and_toxs_others_stay(project):
    fill(project)
    tox_venv = os.path.join(project.path, ".tox", "py311")
    shutil.move(os.path.join(project.path, ".venv"), tox_venv)
    subprocess.run([PYTHON, "-m", "virtualenv", "-q", "--system-site-packages", "--no-seed", tox_venv],
                   check=True, stdout=subprocess.DEVNULL)
    r = subprocess.run([os.path.join(tox_venv, "bin", "python"), "-m", "pytest", "-p", "no:cacheprovider"],
                       cwd=project.path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    node = project.cluster.nodes["node1"]
    assert os.path.islink(node.path(chdir_of(project), ".tox", "py311", "bin", "python"))
    assert os.listdir(node.path(chdir_of(project), ".tox")) == ["py311"]


SCM_PYPROJECT = """[build-system]
requires = ["setuptools>=61", "setuptools_scm"]
build-backend = "setuptools.build_meta"

[project]
name = "scmpkg"
dynamic = ["version"]

[tool.setuptools_scm]
root = "../.."
"""
SCM_TEST = '''import importlib.metadata
import os


def test_the_version_comes_from_the_nodes_git():
    import scmpkg

    assert os.path.realpath(scmpkg.__file__).startswith(os.path.realpath(os.getcwd()))
    assert importlib.metadata.version("scmpkg") == "2.5.0"
'''


def test_a_develop_egg_versioned_by_git_takes_the_history_along(tmp_path, nodes):
    if importlib.util.find_spec("setuptools_scm") is None:
        missing("setuptools_scm is not installed (Debian: python3-setuptools-scm, tests/deps.sh)")
    proj = str(tmp_path / "proj")
    write(os.path.join(proj, "libs", "scmpkg", "pyproject.toml"), SCM_PYPROJECT)
    write(os.path.join(proj, "libs", "scmpkg", "scmpkg", "__init__.py"), "")
    write(os.path.join(proj, "tests", "test_scm.py"), SCM_TEST)
    shutil.copy(TEMPLATE, proj)
    write(os.path.join(proj, "pytest.ini"),
          "[pytest]\ntestpaths = tests\ncloud_nodes = node1\ncloud_develop_eggs = libs/scmpkg\n"
          "cloud_ssh_config = %s\ncloud_connect_timeout = %d\n" % (nodes.ssh_config, TIMEOUT))
    write(os.path.join(proj, ".gitignore"), ".venv/\n")
    git(proj, "init", "-q")
    git(proj, "add", ".")
    git(proj, "commit", "-qm", "release")
    git(proj, "tag", "v2.5.0")
    subprocess.run([PYTHON, "-m", "virtualenv", "-q", "--system-site-packages", os.path.join(proj, ".venv")],
                   check=True)
    r = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m", "pytest", "-p", "no:cacheprovider"],
                       cwd=proj, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("'.git' is copied: develop egg 'libs/scmpkg' takes its version from git (setuptools-scm)"
            in r.stderr)
    assert os.path.isdir(nodes.nodes["node1"].path("pytest_%s_proj" % nodes.user, ".git"))


# --- the unchanged check: a copy that lists as the project is not sent ------

def logging_rsync(folder, log):
    """A folder for PATH's front whose rsync logs its words, one run a
    line, then runs the real one."""
    os.makedirs(folder)
    real = shutil.which("rsync")
    wrapper = os.path.join(folder, "rsync")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' % (log, real))
    os.chmod(wrapper, 0o755)
    return folder


def sync_of(run):
    return {n["node"]: n["sync"] for n in run.plan["nodes"]}


def test_an_unchanged_copy_is_not_sent_again(project, tmp_path):
    """The second run lists each node's copy there and the project here,
    alike: no rsync copies (only the one listing here), nothing sent.  A
    copy changed on its node (a file of the same size with another time,
    a file added, a file removed) is copied again and made whole; the
    other node is not; a change here goes to both.  A folder that grew
    on the node (its size is the file system's), or whose time changed
    (a file a test made and removed), does not count."""
    log = str(tmp_path / "rsync.log")
    env = child_env(PATH=logging_rsync(str(tmp_path / "bin"), log) + os.pathsep + os.environ["PATH"])
    first = project.helper(env=env)
    assert first.returncode == 0, first.stderr
    assert [s["unchanged"] for s in sync_of(first).values()] == [False, False]
    os.unlink(log)
    again = project.helper(env=env)
    assert again.returncode == 0, again.stderr
    for name, s in sync_of(again).items():
        assert s["unchanged"] and s["files_sent"] == 0 and s["bytes_sent"] == 0, (name, s)
        assert ("node '%s': its copy lists as the project does: nothing to send" % name) in again.stderr
    with open(log) as f:
        runs = f.read().splitlines()
    assert len(runs) == 1 and "--list-only" in runs[0] and "--delete" not in runs[0], runs

    copy = {name: project.cluster.nodes[name].path(chdir_of(project)) for name in ("node1", "node2")}
    calc = os.path.join(copy["node1"], "calc.py")
    with open(os.path.join(project.path, "calc.py")) as f:
        mine = f.read()
    with open(calc, "w") as f:
        f.write("x" * len(mine))  # same size, another time
    os.utime(calc, (1000000000, 1000000000))
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert not sync_of(r)["node1"]["unchanged"] and sync_of(r)["node2"]["unchanged"], sync_of(r)
    with open(calc) as f:
        assert f.read() == mine

    extra = os.path.join(copy["node2"], "tests", "left_by_a_test.txt")
    write(extra, "x")
    os.unlink(os.path.join(copy["node1"], "pytest.ini"))
    r = project.helper()
    assert not any(s["unchanged"] for s in sync_of(r).values()), sync_of(r)
    assert not os.path.exists(extra)
    assert os.path.exists(os.path.join(copy["node1"], "pytest.ini"))

    for i in range(400):
        write(os.path.join(copy["node1"], "tests", "a-name-long-enough-to-grow-the-folder-%03d" % i), "x")
    r = project.helper()
    assert not sync_of(r)["node1"]["unchanged"]
    r = project.helper()
    assert sync_of(r)["node1"]["unchanged"], sync_of(r)
    # a file a test made and removed: its folder's time changed, no more
    scratch = os.path.join(copy["node2"], "tests", "scratch.txt")
    write(scratch, "x")
    os.unlink(scratch)
    r = project.helper()
    assert all(s["unchanged"] for s in sync_of(r).values()), sync_of(r)

    with open(os.path.join(project.path, "calc.py"), "a") as f:
        f.write("# changed here\n")
    r = project.helper()
    assert not any(s["unchanged"] for s in sync_of(r).values()), sync_of(r)
    assert all(s["files_sent"] == 1 for s in sync_of(r).values()), sync_of(r)
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr


def test_an_rsync_in_a_folder_with_an_equals_sign_lists_the_project(project, tmp_path):
    """The project is listed for the unchanged check with the rsync found
    on PATH, whatever its folder's name (a name with '=' once made the
    listing fail, and so every node copy again)."""
    folder = tmp_path / "tools=1"
    folder.mkdir()
    os.symlink(shutil.which("rsync", path="/usr/bin:/bin"), str(folder / "rsync"))
    env = child_env(PATH=str(folder) + os.pathsep + os.environ["PATH"])
    first = project.helper(env=env)
    assert first.returncode == 0, first.stderr
    again = project.helper(env=env)
    assert again.returncode == 0, again.stderr
    assert all(s["unchanged"] for s in sync_of(again).values()), (sync_of(again), again.stderr)
    assert "could not be told" not in again.stderr


@pytest.fixture(scope="module")
def no_digest(tmp_path_factory):
    """A node whose sessions' PATH has every program of this machine's
    but sha256sum and shasum: the unchanged check cannot be answered
    there."""
    base = str(tmp_path_factory.mktemp("nodigest"))
    folder = os.path.join(base, "bin")
    os.makedirs(folder)
    for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else ():
            if name not in ("sha256sum", "shasum") and not os.path.lexists(os.path.join(folder, name)):
                os.symlink(os.path.join(d, name), os.path.join(folder, name))
    c = Cluster(base)
    c.add("nodigest", env={"PATH": folder})
    with c:
        yield c


def test_a_check_that_cannot_tell_copies_and_says_why(no_digest, tmp_path, venv_template):
    """Where the node cannot give its copy's digest, the copy runs as
    before (its changes put back), the run says so for that node, and
    the tests pass there."""
    no_digest.clear_homes()
    project = make_project(str(tmp_path / "proj"), no_digest, venv_template)
    project.use_nodes("nodigest")
    first = project.helper()
    assert first.returncode == 0, first.stderr
    assert "could not be told" not in first.stderr  # a first copy: nothing to check
    copy = no_digest.nodes["nodigest"].path(chdir_of(project))
    os.unlink(os.path.join(copy, "pytest.ini"))
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert not sync_of(r)["nodigest"]["unchanged"], sync_of(r)
    assert os.path.exists(os.path.join(copy, "pytest.ini"))
    lines = [line for line in r.stderr.splitlines() if "could not be told" in line]
    assert len(lines) == 1, r.stderr
    assert ("node 'nodigest': copying: whether its copy changed could not be told (no digest from the node "
            "(rsync, awk and sha256sum or shasum are needed in its PATH))") in lines[0], lines
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
