"""A project the nodes already see at the same path (an NFS home; here the
cluster's shared /tmp stands for it, the one folder every test node sees):
the tests run in the project itself, with no copy, no marker, no lock and
nothing made in the nodes' homes (issue 26)."""

import glob
import json
import os

import pytest

from conftest import make_project


@pytest.fixture
def seen_project(tmp_path_factory, nodes, venv_template):
    """A copy of example/ under /tmp, where every node sees it."""
    path = str(tmp_path_factory.mktemp("shared") / "proj")
    assert path.startswith("/tmp/")
    p = make_project(path, nodes, venv_template)
    p.use_nodes("node1 node2")
    return p


def ran(project):
    """What each test recorded (example/tests/conftest.py): in place, the
    records are in the project itself."""
    found = []
    for name in glob.glob(os.path.join(project.path, "ran", "*.json")):
        with open(name) as f:
            found.append(json.load(f))
    return found


def test_a_project_the_nodes_see_runs_in_place(seen_project):
    p = seen_project
    nodes = p.cluster
    dry = p.helper("--dry-run", "--cloud-virtualenv-path=.venv")
    assert dry.returncode == 0, dry.stderr
    assert [n.get("in_place") for n in dry.plan["nodes"]] == [True, True], dry.stderr
    assert "node 'node1': 1 CPU, " in dry.stderr and "; in place: it sees the project at the same path" in dry.stderr
    assert "(in place)" in dry.stderr  # the table
    # the gateways start in the project, with its virtualenv
    for spec in dry.plan["px"]:
        assert "//chdir=%s//python=%s/.venv/bin/python//" % (p.path, p.path) in spec, spec
    # test paths and node ids as given
    r = p.pytest("-q", "tests/test_part1.py", "tests/test_part2.py::test_part2_import_is_local")
    assert r.returncode == 0, r.stdout + r.stderr
    records = ran(p)
    assert records and {rec["cwd"] for rec in records} == {p.path}
    assert {rec["worker"].split("_")[0] for rec in records} <= {"node1", "node2"}
    assert all(rec["nodeid"].startswith(("tests/test_part1.py", "tests/test_part2.py::test_part2_import_is_local")) for rec in records)
    # nothing copied, marked or locked: the nodes' homes stay empty, and
    # the mark that told the nodes see the project is gone
    for name in ("node1", "node2"):
        assert os.listdir(nodes.nodes[name].home) == [], name
    # (with the folder it was in, which the run made)
    assert not os.path.exists(os.path.join(p.path, ".pytest_cache", "pytest-cloud"))
    assert "syncing" in r.stderr and "sync done: 2 nodes, 0 files and 0 bytes sent" in r.stderr


def test_in_place_can_be_turned_off(seen_project):
    p = seen_project
    p.use_nodes("node1", cloud_in_place="no")
    r = p.helper()
    assert r.returncode == 0, r.stderr
    assert "in_place" not in r.plan["nodes"][0]
    assert os.path.isfile(p.cluster.nodes["node1"].path("pytest_%s_proj" % p.cluster.user, "calc.py"))


def test_a_folder_of_the_same_path_elsewhere_is_not_the_project(project, nodes):
    """A node with a folder at the project's path that is not the project
    (here: the hidden project's path, which no node sees) gets a copy."""
    r = project.helper("--dry-run")
    assert r.returncode == 0, r.stderr
    assert [n.get("in_place") for n in r.plan["nodes"]] == [None, None]


def test_test_paths_of_a_copy_are_the_copys(seen_project):
    """Copied (cloud_in_place = no) though the nodes see the project: the
    workers get the test paths in their copy, not the controller's
    absolute ones (which exist on the node too, and would load the
    controller's conftest beside the copy's)."""
    p = seen_project
    p.use_nodes("node1 node2", cloud_in_place="no")
    os.makedirs(os.path.join(p.path, "tests", "nested"))
    with open(os.path.join(p.path, "tests", "nested", "test_n.py"), "w") as f:
        f.write("def test_n():\n    pass\n")
    r = p.pytest("-q", "tests/nested", "tests/test_part2.py::test_part2_import_is_local")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout
    records = [rec for name in ("node1", "node2") for rec in p.records(p.cluster.nodes[name])]
    assert sorted(rec["nodeid"] for rec in records) == [
        "tests/nested/test_n.py::test_n", "tests/test_part2.py::test_part2_import_is_local"]
    assert not ran(p)  # nothing ran in the controller's tree
