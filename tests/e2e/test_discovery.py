"""The helper finds the same rootdir and config file as pytest itself, on
generated project trees (pytest's header says `rootdir: X, configfile: Y`)."""

import json
import os
import re
import subprocess

import pytest

from conftest import HELPER, PYTHON

PYPROJECT = '[tool.pytest.ini_options]\ncloud_nodes = ["node1", "node2"]\n'

# (files to write, folder to run from): every file is relative to the tree
TREES = {
    "pytest.ini from a subfolder": ({"pytest.ini": "[pytest]\n", "a/b/x.txt": ""}, "a/b"),
    "empty pytest.ini counts": ({"pytest.ini": "", "a/x.txt": ""}, "a"),
    "tox.ini without [pytest] is skipped": (
        {"tox.ini": "[tox]\n", "setup.cfg": "[tool:pytest]\n", "s/x.txt": ""},
        "s",
    ),
    "setup.cfg without [tool:pytest] is skipped": (
        {"setup.cfg": "[metadata]\n", "up/pytest.ini": "[pytest]\n", "up/in/x.txt": ""},
        "up/in",
    ),
    "nearest folder wins": ({"pytest.ini": "[pytest]\n", "c/pyproject.toml": PYPROJECT}, "c"),
    "pyproject without the table is skipped": (
        {"c/pyproject.toml": "[tool.black]\n", "c/tox.ini": "[pytest]\n"},
        "c",
    ),
    "pytest.ini before pyproject.toml": (
        {"pyproject.toml": PYPROJECT, "pytest.ini": "[pytest]\n"},
        ".",
    ),
    ".pytest.ini": ({".pytest.ini": "[pytest]\n", "tox.ini": "[pytest]\n"}, "."),
    "setup.py marks the rootdir": ({"setup.py": "", "d/e/x.txt": ""}, "d/e"),
    "nothing at all": ({"f/x.txt": ""}, "f"),
}


def write_tree(base, files):
    for rel, text in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def pytest_header(cwd):
    proc = subprocess.run(
        [PYTHON, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    m = re.search(r"^rootdir: ([^,\n]+)(?:, configfile: ([^,\n]+))?", proc.stdout, re.M)
    assert m, proc.stdout
    rootdir = m.group(1)
    inifile = os.path.join(rootdir, m.group(2)) if m.group(2) else None
    return rootdir, inifile


@pytest.mark.parametrize("name", sorted(TREES))
def test_discovery_matches_pytest(tmp_path, nodes, name):
    files, start = TREES[name]
    base = str(tmp_path / "tree")
    write_tree(base, files)
    cwd = os.path.normpath(os.path.join(base, start))
    want = pytest_header(cwd)
    r = subprocess.run(
        [HELPER, "--dry-run", "--json", "--cloud-node=node2",
         "--cloud-ssh-config=" + nodes.ssh_config],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert r.returncode == 0, r.stderr

    plan = json.loads(r.stdout)
    assert (plan["rootdir"], plan["inifile"]) == want


def test_pyproject_project_configures_the_helper(tmp_path, nodes):
    base = str(tmp_path / "pp")
    write_tree(base, {
        "pyproject.toml": '[project]\nname = "pp"\n\n[tool.pytest.ini_options]\n'
                          'cloud_nodes = ["node1", "node2"]\ncloud_max_processes = 1\n'
                          'cloud_ssh_config = "%s"\n' % nodes.ssh_config,
    })
    r = subprocess.run([HELPER, "--dry-run", "--json"], cwd=base,
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
    r = subprocess.run([HELPER, "--dry-run"], cwd=base,
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
                       cwd=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2
    assert "--inifile: '%s/pytest.ini': No such file or directory" % base in r.stderr
