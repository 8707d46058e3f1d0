"""The helper finds the same rootdir and config file as pytest itself, on
generated project trees.  It follows the newest pytest (9.1); where pytest 7
would choose otherwise, the helper says which rule it followed.  Each
pytest reports its choice through a plugin (no header parsing)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import HELPER, PYTHON, ROOT, child_env, missing

PYPROJECT = '[tool.pytest.ini_options]\ncloud_nodes = ["node1", "node2"]\n'

# name: (files to write, folder to run from, rule): every file relative to
# the tree; rule is None where pytest 7, 8 and 9 agree, else the version
# whose rule the helper follows ("9", "8.1")
TREES = {
    "pytest.ini from a subfolder": ({"pytest.ini": "[pytest]\n", "a/b/x.txt": ""}, "a/b", None),
    "empty pytest.ini counts": ({"pytest.ini": "", "a/x.txt": ""}, "a", None),
    "tox.ini without [pytest] is skipped": (
        {"tox.ini": "[tox]\n", "setup.cfg": "[tool:pytest]\n", "s/x.txt": ""}, "s", None),
    "setup.cfg without [tool:pytest] is skipped": (
        {"setup.cfg": "[metadata]\n", "up/pytest.ini": "[pytest]\n", "up/in/x.txt": ""}, "up/in", None),
    "nearest folder wins": ({"pytest.ini": "[pytest]\n", "c/pyproject.toml": PYPROJECT}, "c", None),
    "pyproject without the table is skipped": (
        {"c/pyproject.toml": "[tool.black]\n", "c/tox.ini": "[pytest]\n"}, "c", None),
    "pytest.ini before pyproject.toml": ({"pyproject.toml": PYPROJECT, "pytest.ini": "[pytest]\n"}, ".", None),
    ".pytest.ini": ({".pytest.ini": "[pytest]\n", "tox.ini": "[pytest]\n"}, ".", None),
    "setup.py marks the rootdir": ({"setup.py": "", "d/e/x.txt": ""}, "d/e", None),
    "nothing at all": ({"f/x.txt": ""}, "f", None),
    "a bare pyproject.toml below a pytest.ini": (
        {"pytest.ini": "", "c/pyproject.toml": "[tool.black]\n"}, "c", None),
    # pytest 9
    "pytest.toml before pytest.ini": ({"pytest.toml": "[pytest]\n", "pytest.ini": "[pytest]\n"}, ".", "9"),
    ".pytest.toml": ({".pytest.toml": "", "tox.ini": "[pytest]\n"}, ".", "9"),
    "[tool.pytest] with native types": (
        {"pyproject.toml": '[tool.pytest]\nminversion = "7.0"\n', "x/y.txt": ""}, "x", "9"),
    ".pytest.ini without [pytest]": ({".pytest.ini": "", "tox.ini": "[pytest]\n"}, ".", "9"),
    # pytest 8.1
    "a bare pyproject.toml makes the rootdir": (
        {"pyproject.toml": "[project]\nname = 'x'\n", "a/b/x.txt": ""}, "a/b", "8.1"),
    "a bare pyproject.toml before a setup.py": (
        {"pyproject.toml": "[tool.black]\n", "setup.py": "", "a/x.txt": ""}, "a", "8.1"),
}

PATHS_PLUGIN = """import json, os


def pytest_configure(config):
    with open(os.environ["CLOUD_PATHS_OUT"], "w") as f:
        json.dump([str(config.rootpath), str(config.inipath) if config.inipath else None], f)
"""


@pytest.fixture(scope="session")
def newest_python():
    """The newest pytest's python (a stack built from the wheels), or None
    where there are no wheels."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import stacks

    if stacks.missing_wheels("pytest9"):
        return None
    return stacks.build("pytest9", os.path.join(ROOT, "build", "stacks", "pytest9"))


def write_tree(base, files):
    for rel, text in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def pytest_paths(python, cwd, tmp_path):
    """(rootdir, config file or None) as that python's pytest chooses."""
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "cloud_paths.py").write_text(PATHS_PLUGIN)
    out = tmp_path / "paths.json"
    env = child_env(PYTHONPATH=str(plugin_dir), CLOUD_PATHS_OUT=str(out))
    proc = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-p", "cloud_paths"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert out.exists(), proc.stdout
    return tuple(json.loads(out.read_text()))


@pytest.mark.parametrize("name", sorted(TREES))
def test_discovery_matches_pytest(tmp_path, nodes, newest_python, name):
    files, start, rule = TREES[name]
    base = str(tmp_path / "tree")
    write_tree(base, files)
    cwd = os.path.normpath(os.path.join(base, start))
    r = subprocess.run(
        [HELPER, "--dry-run", "--json", "--cloud-node=node2", "--cloud-ssh-config=" + nodes.ssh_config],
        cwd=cwd, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    got = (plan["rootdir"], plan["inifile"])
    oldest = pytest_paths(PYTHON, cwd, tmp_path)  # Debian's pytest 7.2
    if rule is None:
        assert got == oldest
        assert "found by a rule" not in r.stderr
    else:
        assert got != oldest, "pytest 7 agrees here: not a rule of pytest %s" % rule
        assert "found by a rule of pytest %s" % rule in r.stderr, r.stderr
    if newest_python is None:
        missing("no wheels of pytest 9 here (../shared/wheels): compared with pytest 7 only")
    assert got == pytest_paths(newest_python, cwd, tmp_path)


def test_pyproject_project_configures_the_helper(tmp_path, nodes):
    base = str(tmp_path / "pp")
    write_tree(base, {
        "pyproject.toml": '[project]\nname = "pp"\n\n[tool.pytest.ini_options]\n'
                          'cloud_nodes = ["node1", "node2"]\ncloud_max_processes = 1\n'
                          'cloud_ssh_config = "%s"\n' % nodes.ssh_config,
    })
    r = subprocess.run([HELPER, "--dry-run", "--json"], cwd=base, env=child_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr

    plan = json.loads(r.stdout)
    assert [n["processes"] for n in plan["nodes"]] == [1, 1]
    assert plan["inifile"] == os.path.join(base, "pyproject.toml")


BAD_FILES = [
    ("pyproject.toml", "[tool.pytest.ini_options]\ncloud_nodes = [\n", "pyproject.toml:2:17: not valid TOML"),
    ("pyproject.toml", '[tool.pytest.ini_options]\ncloud_max_processes = ["1", "2"]\n',
     "pyproject.toml:2: cloud_max_processes: expected one value, got an array"),
    ("pytest.ini", "[pytest]\ncloud_nodes = node1\nthis line is no key\n", "pytest.ini:3: not valid ini syntax"),
    ("setup.cfg", "[pytest]\ncloud_nodes = node1\n", "[pytest] section in setup.cfg files is no longer supported"),
]


@pytest.mark.parametrize("name,text,message", BAD_FILES)
def test_malformed_config_file(tmp_path, nodes, name, text, message):
    base = str(tmp_path / "bad")
    write_tree(base, {name: text})
    r = subprocess.run([HELPER, "--dry-run"], cwd=base, env=child_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr
    for node in nodes.nodes.values():
        assert os.listdir(node.home) == []


def test_unreadable_config_file(tmp_path, nodes):
    base = str(tmp_path / "unreadable")
    write_tree(base, {"sub/x.txt": ""})
    os.symlink("/nonexistent/pytest.ini", os.path.join(base, "pytest.ini"))
    r = subprocess.run([HELPER, "--dry-run", "--inifile=" + os.path.join(base, "pytest.ini")],
                       cwd=base, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2
    assert "--inifile: '%s/pytest.ini': No such file or directory" % base in r.stderr
