"""The helper alone: probing real nodes and planning (dry runs)."""

import json
import os
import subprocess

from cluster import Cluster
from conftest import HELPER, TIMEOUT


def by_node(plan):
    return {n["node"]: n for n in plan["nodes"]}


def test_dry_run_plans_by_cpu_and_leaves_out_dead_nodes(project):
    nodes = project.cluster
    # as by hand with the project's virtualenv activated
    r = project.helper(
        "--dry-run",
        "--cloud-nodes=node1 node2 refused silent1 silent2",
        env=project.env(VIRTUAL_ENV=os.path.join(project.path, ".venv")),
    )
    assert r.returncode == 0, r.stderr
    chdir = "pytest_%s_proj" % nodes.user
    python = chdir + "/.venv/bin/python"
    # one proxy gateway (one SSH connection) per node, from CHDIR ...
    tail = "//chdir=%s//python=%s//execmodel=thread//ssh_config=%s" % (chdir, python, nodes.ssh_config)
    ssh = ("ssh=-o BatchMode=yes -o ConnectTimeout=%d -o ServerAliveInterval=3 -o ServerAliveCountMax=3 "
           "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no " % TIMEOUT)
    # where ssh -G said each node is, pinned (One SSH truth)
    pin = "-o HostName=%s -o Port=2222 -o User=" + nodes.user + " "
    assert r.plan["px"] == [ssh + pin % nodes.nodes["node1"].addr + "node1//id=node1" + tail,
                            ssh + pin % nodes.nodes["node2"].addr + "node2//id=node2" + tail]
    # ... and each test process a worker it starts there
    assert r.plan["tx"] == [
        "popen//id=node1_0//via=node1//python=.venv/bin/python",
        "popen//id=node2_0//via=node2//python=.venv/bin/python",
        "popen//id=node2_1//via=node2//python=.venv/bin/python",
    ]
    got = by_node(r.plan)
    assert [n["node"] for n in r.plan["nodes"]] == ["node1", "node2", "refused", "silent1", "silent2"]
    assert (got["node1"]["status"], got["node1"]["cpus"], got["node1"]["processes"]) == ("ok", 1, 1)
    assert (got["node2"]["status"], got["node2"]["cpus"], got["node2"]["processes"]) == ("ok", 2, 2)
    assert got["node1"]["mem_available_mb"] > 0
    assert got["refused"]["status"] == "excluded"
    assert "Connection refused" in got["refused"]["reason"]
    for name in ("silent1", "silent2"):
        assert got[name]["status"] == "excluded"
        assert "timed out after %ds waiting for the server's SSH banner" % TIMEOUT in got[name]["reason"]
        assert got[name]["cpus"] is None and got[name]["mem_available_mb"] is None
        assert "node '%s': excluded: ssh connect: timed out" % name in r.stderr
    # two silent nodes cost one timeout, not two: side by side, the run
    # is shorter than their two probes one after the other (each probe's
    # own time, so a busy machine stretches both sides alike)
    both = got["silent1"]["probe_seconds"] + got["silent2"]["probe_seconds"]
    assert TIMEOUT <= r.seconds < both, (r.seconds, both)
    # a dry run writes nothing to any node
    for node in (nodes.nodes["node1"], nodes.nodes["node2"]):
        assert os.listdir(node.home) == []


def test_timeout_names_its_step(project):
    r = project.helper("--dry-run", "--cloud-nodes=banner silent1 node1")
    got = by_node(r.plan)
    assert got["banner"]["reason"].startswith("ssh connect: timed out after %ds in the key exchange" % TIMEOUT)
    assert got["silent1"]["reason"].startswith(
        "ssh connect: timed out after %ds waiting for the server's SSH banner" % TIMEOUT)
    assert got["node1"]["status"] == "ok"


def test_limits_and_no_usable_node(project):
    r = project.helper("--dry-run", "--cloud-max-processes=1")
    assert r.returncode == 0, r.stderr
    assert [n["processes"] for n in r.plan["nodes"]] == [1, 1]
    assert len(r.plan["tx"]) == 2

    r = project.helper("--dry-run", "--cloud-mem-per-process=1000000000")
    assert r.returncode == 1
    assert r.plan["tx"] == []
    for n in r.plan["nodes"]:
        assert n["status"] == "excluded"
        assert n["reason"].startswith("0 processes: ")
        assert "MiB per process" in n["reason"]
    assert "error: no node can run tests" in r.stderr
    assert "error: node 'node1': 0 processes" in r.stderr
    assert "error: node 'node2': 0 processes" in r.stderr


def test_helper_reads_ini_env_and_command_line_by_hand(project):
    sub = os.path.join(project.path, "tests")
    # run by hand from a subfolder: the ini of the project is found
    r = project.helper("--dry-run", "--json", cwd=sub, env=project.env())
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert [n["node"] for n in r.plan["nodes"]] == ["node1", "node2"]
    assert r.plan["rootdir"] == project.path
    # environment replaces the ini, the command line the environment
    env = project.env(PYTEST_CLOUD_NODES="node2", PYTEST_CLOUD_CHDIR="from_env")
    r = project.helper("--dry-run", cwd=sub, env=env)
    assert [n["node"] for n in r.plan["nodes"]] == ["node2"]
    assert r.plan["chdir"] == "from_env"
    r = project.helper("--dry-run", "--cloud-chdir=from_cli", "--cloud-node=node1", cwd=sub, env=env)
    assert [n["node"] for n in r.plan["nodes"]] == ["node1"]
    assert r.plan["chdir"] == "from_cli"


def test_ini_examples_are_valid(project):
    """Every file in ini/ configures a run the helper accepts."""
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "ini")
    names = sorted(os.listdir(examples))
    assert {"pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"} <= set(names)
    for name in names:
        for old in ("pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"):
            if os.path.exists(os.path.join(project.path, old)):
                os.unlink(os.path.join(project.path, old))
        with open(os.path.join(examples, name)) as f:
            text = f.read()
        with open(os.path.join(project.path, name), "w") as f:
            f.write(text)
        # the example's nodes are placeholders: point the run at ours
        r = project.helper(
            "--dry-run",
            "--cloud-nodes=node2",
            "--cloud-ssh-config=" + project.cluster.ssh_config,
        )
        assert r.returncode == 0, (name, r.stderr)
        assert r.plan["chdir"] == "pytest_cloud_example", name
        assert r.plan["inifile"] == os.path.join(project.path, name)
        assert r.plan["nodes"][0]["processes"] == 1, name
        assert "warning" not in r.stderr, (name, r.stderr)


def test_node_in_a_memory_cgroup_reports_the_limit(project):
    small = project.cluster.nodes["small"]
    if small.cgroup is None:
        import pytest

        pytest.skip("this machine does not allow making a memory cgroup "
                    "(the recorded-output unit tests cover the parser)")
    r = project.helper("--dry-run", "--cloud-nodes=small node2", "--cloud-mem-per-process=200")
    assert r.returncode == 0, r.stderr
    got = by_node(r.plan)
    # the cgroup's 512 MiB, not the machine's memory
    assert 400 <= got["small"]["mem_available_mb"] <= 512
    assert got["small"]["processes"] == 2
    assert "memory limited by the cgroup" in got["small"]["note"]
    assert got["node2"]["mem_available_mb"] > 1024
    r = project.helper("--dry-run", "--cloud-nodes=small", "--cloud-mem-per-process=600")
    assert r.returncode == 1
    assert by_node(r.plan)["small"]["reason"].startswith("0 processes: ")


def test_chdir_that_is_a_file_excludes_the_node(project):
    nodes = project.cluster
    chdir = "pytest_%s_proj" % nodes.user
    with open(nodes.nodes["node1"].path(chdir), "w") as f:
        f.write("a file, not ours\n")
    r = project.helper()
    assert r.returncode == 0, r.stderr
    got = by_node(r.plan)
    assert got["node1"]["status"] == "excluded"
    assert got["node1"]["reason"] == "'%s' exists on the node and is not a folder (left as it is)" % chdir
    assert got["node2"]["status"] == "ok"
    with open(nodes.nodes["node1"].path(chdir)) as f:
        assert f.read() == "a file, not ours\n"
    assert all("node1" not in spec for spec in r.plan["tx"])


def test_relative_ssh_config_in_the_ini_is_taken_from_its_folder(project):
    import shutil

    shutil.copy(project.cluster.ssh_config, os.path.join(project.path, "nodes.ssh_config"))
    project.write_ini(cloud_nodes="node1", cloud_ssh_config="nodes.ssh_config")
    r = project.helper("--dry-run", cwd=os.path.join(project.path, "tests"))
    assert r.returncode == 0, r.stderr
    assert r.plan["px"][0].endswith("//ssh_config=" + os.path.join(project.path, "nodes.ssh_config"))


def test_every_ssh_G_starts_before_any_connect(tmp_path_factory, tmp_path):
    """The nodes' ssh -G (two per CPU at once) start before any node's
    connect: a node that never answers starts its connect timeout once
    every ssh -G has its turn, not behind the other nodes' handshakes.
    Here every ssh -G takes two seconds (an ssh that sleeps first), and
    every node is a silent listener that notes when it was connected
    to: three turns of ssh -G, then the connects (the connect timeout,
    which bounds each ssh -G too, leaves 3 s for the rest of one; every
    node's probe in flight at once)."""
    slots = 2 * os.cpu_count()
    count = 2 * slots + 1
    c = Cluster(str(tmp_path_factory.mktemp("quiet")))
    for i in range(count):
        c.add("quiet%03d" % i, kind="silent")
    log = str(tmp_path / "ssh.log")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "ssh").write_text(
        '#!/bin/sh\ncase " $* " in *" -G "*) date +%%s.%%N >> %s; sleep 2;; esac\n'
        'exec /usr/bin/ssh "$@"\n' % log)
    (folder / "ssh").chmod(0o755)
    with c:
        r = subprocess.run(
            [HELPER, "--dry-run", "--json", "--cloud-nodes=" + " ".join(sorted(c.nodes)),
             "--cloud-ssh-config=" + c.ssh_config, "--cloud-connect-timeout=5",
             "--cloud-max-connections=%d" % count],
            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PATH="%s:%s" % (folder, os.environ["PATH"])))
        accepted = {}
        for name, node in c.nodes.items():
            path = os.path.join(node.dir, "accepted")
            with open(path) if os.path.exists(path) else open(os.devnull) as f:
                accepted[name] = [float(t) for t in f.read().split()]
    assert r.stdout.strip(), r.stderr
    got = {n["node"]: n for n in json.loads(r.stdout)["nodes"]}
    assert all(n["reason"].startswith("ssh connect: timed out") for n in got.values()), (got, r.stderr)
    assert all(len(times) == 1 for times in accepted.values()), accepted
    with open(log) as f:
        started = [float(t) for t in f.read().split()]
    assert len(started) == count, started
    first = min(t for times in accepted.values() for t in times)
    # before, the first turn's nodes connected a turn (2 s) before the
    # last turn's ssh -G began; the 1.5 s are for starting the sh that
    # notes its start, on a busy machine
    assert first > max(started) - 1.5, (sorted(started), first)
