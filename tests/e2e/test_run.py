"""The main job: plain `pytest` in a project with the drop-in conftest
runs the tests on the nodes."""

import os
import re

import pytest


def workers_seen(records):
    return sorted({r["worker"] for r in records})


@pytest.mark.stack
def test_pytest_runs_tests_on_the_nodes(project):
    nodes = project.cluster
    project.use_nodes("node1 node2 refused silent1")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    # progress of the helper is shown
    assert "node 'refused': excluded: ssh connect: Connection refused" in r.stderr
    assert "node 'silent1': excluded: ssh connect: timed out" in r.stderr
    n1 = project.records(nodes.nodes["node1"])
    n2 = project.records(nodes.nodes["node2"])
    assert len(n1) + len(n2) == 27
    # one worker on the 1-CPU node, two on the 2-CPU node
    assert workers_seen(n1) == ["node1_0"]
    assert workers_seen(n2) == ["node2_0", "node2_1"]
    chdir = "pytest_%s_proj" % nodes.user
    for rec in n1 + n2:
        assert rec["cwd"] == os.path.join(nodes.login_home, chdir)
    # nothing ran locally
    assert not os.path.exists(os.path.join(project.path, "ran"))
    # the virtualenv travelled with the project
    assert os.path.islink(nodes.nodes["node1"].path(chdir, ".venv", "bin", "python"))


def test_serial_bring_up_still_works(project):
    nodes = project.cluster
    r = project.pytest(env=project.env(PYTEST_CLOUD_BRINGUP="serial"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert workers_seen(project.records(nodes.nodes["node2"])) == ["node2_0", "node2_1"]


@pytest.mark.stack
def test_test_ids_on_the_command_line(project):
    nodes = project.cluster
    r = project.pytest("tests/test_part1.py::test_part1_import_is_local", "tests/test_part2.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "10 passed" in r.stdout
    ran = project.records(nodes.nodes["node1"]) + project.records(nodes.nodes["node2"])
    ids = sorted(rec["nodeid"] for rec in ran)
    assert ids[0] == "tests/test_part1.py::test_part1_import_is_local"
    assert all(i.startswith("tests/test_part2.py::") for i in ids[1:])
    # from a subfolder, paths are relative to it, as in any pytest run
    r = project.pytest("test_part3.py", "-k", "import", cwd=os.path.join(project.path, "tests"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


@pytest.mark.stack
def test_config_file_and_rootdir_options_reach_the_workers(project):
    """-c FILE and --rootdir name local paths: the workers get what fits
    their copy of the project."""
    tests_dir = os.path.join(project.path, "tests")
    r = project.pytest("-c", "../pytest.ini", "--rootdir=..", "test_part1.py", cwd=tests_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "9 passed" in r.stdout
    ran = project.records(project.cluster.nodes["node1"]) + project.records(project.cluster.nodes["node2"])
    assert sorted({rec["nodeid"].split("::")[0] for rec in ran}) == ["tests/test_part1.py"]


def test_deleted_files_disappear_and_outside_chdir_survives(project):
    nodes = project.cluster
    node = nodes.nodes["node2"]
    chdir = "pytest_%s_proj" % nodes.user
    with open(node.path("keep.txt"), "w") as f:
        f.write("not ours\n")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.exists(node.path(chdir, "tests", "test_part3.py"))
    os.unlink(os.path.join(project.path, "tests", "test_part3.py"))
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "18 passed" in r.stdout
    assert not os.path.exists(node.path(chdir, "tests", "test_part3.py"))
    assert os.path.exists(node.path(chdir, "tests", "test_part2.py"))
    with open(node.path("keep.txt")) as f:
        assert f.read() == "not ours\n"


def test_no_usable_node_stops_the_session(project):
    project.use_nodes("refused")
    r = project.pytest()
    assert r.returncode == 4, r.stdout + r.stderr
    assert "no node can run tests" in r.stderr
    assert "node 'refused': ssh connect: Connection refused" in r.stderr
    assert "passed" not in r.stdout


@pytest.mark.stack
def test_local_runs_on_purpose(project):
    """-n asks xdist for local workers; --no-cloud runs here: the nodes are
    neither used nor written to."""
    r = project.pytest("-q", "-n", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "-n/--numprocesses asks for local workers" in r.stderr
    assert "probing" not in r.stderr
    r = project.pytest("-q", "--no-cloud")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "pytest-cloud" not in r.stderr
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []
    assert os.path.isdir(os.path.join(project.path, "ran"))


def test_without_nodes_the_conftest_stays_out_of_the_way(project):
    project.write_ini()
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "pytest-cloud" not in r.stderr
    assert os.path.isdir(os.path.join(project.path, "ran"))


def test_nodes_named_by_address_and_port(project):
    """user@host:port reaches every connection: probe, rsync, workers."""
    nodes = project.cluster
    n1, n2 = nodes.nodes["node1"], nodes.nodes["node2"]
    project.use_nodes("%s@%s:2222 %s:2222" % (nodes.user, n2.addr, n1.addr))
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert workers_seen(project.records(n2)) == ["%s_0" % n2.addr, "%s_1" % n2.addr]
    assert workers_seen(project.records(n1)) == ["%s_0" % n1.addr]
    r = project.helper("--dry-run", env=project.env(VIRTUAL_ENV=os.path.join(project.path, ".venv")))
    assert r.plan["px"][0].startswith("ssh=-o BatchMode=yes ")
    assert " %s@%s -p 2222//id=%s//" % (nodes.user, n2.addr, n2.addr) in r.plan["px"][0]


@pytest.mark.stack
def test_node_whose_python_cannot_import_xdist_is_left_out(project):
    """Under pytest the check runs in the node's gateway (no python of its
    own); the helper run alone runs it itself."""
    nodes = project.cluster
    project.use_nodes("broken node2")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "node 'broken': left out: worker python 'pytest_%s_proj/.venv/bin/python' cannot import " \
        "pytest, xdist: ImportError: xdist is broken on this node" % nodes.user in r.stderr
    assert "node 'broken' left out at bring-up: worker python" in r.stdout
    assert project.records(nodes.nodes["broken"]) == []
    assert len(project.records(nodes.nodes["node2"])) == 27
    r = project.helper(env=project.env(VIRTUAL_ENV=os.path.join(project.path, ".venv")))
    assert r.returncode == 0, r.stderr
    [broken] = [n for n in r.plan["nodes"] if n["node"] == "broken"]
    assert broken["reason"] == "worker python 'pytest_%s_proj/.venv/bin/python' cannot import pytest, xdist " \
        "(exit 1): ImportError: xdist is broken on this node" % nodes.user
    assert r.plan["worker_check"]["by"] == "helper"


def test_rsync_failure_excludes_the_node(project):
    """rsync fails on one node (its sshd refuses rsync's cipher; the probe's
    libssh negotiates another): that node gets no spec, the others run the
    tests."""
    nodes = project.cluster
    project.use_nodes("oldcipher node2")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    # rsync exits 12 or 255 here, depending on when it sees ssh go
    assert re.search(r"node 'oldcipher': excluded: rsync to 'pytest_%s_proj' exited (12|255): rsync: "
                     r"connection unexpectedly closed" % nodes.user, r.stderr), r.stderr
    assert len(project.records(nodes.nodes["node2"])) == 27
    assert project.records(nodes.nodes["oldcipher"]) == []


@pytest.mark.stack
def test_workers_that_cannot_start_are_not_restarted_for_ever(project):
    """A plugin the workers cannot import (it is not on the nodes): xdist
    replaces crashed workers, at most 4 per worker, as for -n, and the run
    ends."""
    with open(os.path.join(project.path, "only_here.py"), "w") as f:
        f.write("")
    project.use_nodes("node1 node2", cloud_rsync_dirs="tests")
    r = project.pytest("-p", "only_here")
    assert r.returncode == 5, r.stdout  # nothing collected: no worker started
    assert 'Error importing plugin "only_here"' in r.stdout + r.stderr
    # the count is the bound (a run that restarted them for ever would
    # meet the 300 s the project's pytest is given and fail there; a time
    # here would be this machine's load)
    assert "maximum crashed workers reached: 12" in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_users_own_ssh_worker_with_xdists_rsync_works_beside_ours(project):
    """The user adds an ssh worker of their own, with xdist's rsync: xdist
    copies for it as it always did, and the run uses it beside ours."""
    nodes = project.cluster
    user_tx = "ssh=-F %s node1//python=/usr/bin/python3//chdir=usercopy" % nodes.ssh_config
    # as xdist wants it: the --rsyncdir=DIR form (a relative path of its
    # own is refused by xdist's rsync), a test path relative to here
    r = project.pytest("-p", "no:randomly", "--tx", user_tx, "--rsyncdir=tests", "--rsyncdir=calc.py", "tests")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    node1 = nodes.nodes["node1"]
    assert os.path.isfile(node1.path("usercopy", "tests", "test_part1.py"))  # xdist's rsync
    assert os.path.isfile(node1.path("usercopy", "calc.py"))
    ours = project.records(node1) + project.records(nodes.nodes["node2"])
    theirs = [rec for rec in ours if rec["worker"] == "gw0"]
    assert theirs and all(rec["cwd"] == os.path.join(nodes.login_home, "usercopy") for rec in theirs)
    assert len({rec["nodeid"] for rec in ours}) == 27


def test_a_node_slow_to_start_python_is_slow_not_dead(project):
    """slowpy answers at once but takes 5 s to start each python (a
    loaded machine), over the connect timeout of 3 s: its gateway is
    bounded by liveness (the keepalive), not by the connect timeout, and
    it runs tests (it was left out: 'gateway: TimeoutError: not up within
    4s')."""
    project.use_nodes("slowpy node1")
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "left out" not in r.stderr, r.stderr
    workers = {rec["worker"] for rec in project.records(project.cluster.nodes["slowpy"])}
    assert workers and all(w.startswith("slowpy_") for w in workers), workers
