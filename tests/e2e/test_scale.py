"""64 real sshd nodes probed in one run, in parallel."""

import json
import os
import subprocess
import time

import pytest

from cluster import Cluster
from conftest import HELPER

COUNT = 64


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("many")))
    for i in range(COUNT):
        c.add("n%02d" % i, cpus="0" if i % 2 else None)
    with c:
        yield c


def test_64_nodes_probed_in_parallel(many, tmp_path):
    names = sorted(many.nodes)
    start = time.monotonic()
    r = subprocess.run(
        [HELPER, "--dry-run", "--json", "--cloud-nodes=" + " ".join(names),
         "--cloud-ssh-config=" + many.ssh_config, "--cloud-connect-timeout=20"],
        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wall = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert [n["node"] for n in plan["nodes"]] == names
    assert all(n["status"] == "ok" for n in plan["nodes"]), plan["nodes"]
    # pinned nodes (odd) have one CPU; the others every CPU of this machine
    for i, n in enumerate(plan["nodes"]):
        assert n["cpus"] == (1 if i % 2 else os.cpu_count()), n
    assert len(plan["tx"]) == sum(n["processes"] for n in plan["nodes"])
    # in parallel: the probes' own times add up to several times the run's
    busy = sum(n["probe_seconds"] for n in plan["nodes"])
    assert busy > 4 * wall, (busy, wall)
    for node in many.nodes.values():
        assert os.listdir(node.home) == []


def limited_files(n):
    import resource

    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


@pytest.fixture(scope="module")
def crowd(many, tmp_path_factory):
    """many's 64 nodes and 236 blackholes: 300 names."""
    c = Cluster(str(tmp_path_factory.mktemp("crowd")))
    for i in range(236):
        c.add("hole%03d" % i, kind="blackhole")
    with c:
        yield c


def small_project(tmp_path):
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "pytest.ini").write_text("[pytest]\n")
    (proj / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    return str(proj)


def test_300_nodes_within_1024_open_files(many, crowd, tmp_path):
    """64 nodes to copy to and 236 that never answer, all in flight at
    once, under ulimit -n 1024: every real node is used."""
    holes = sorted(n for n in crowd.nodes)
    config = str(tmp_path / "ssh_config")
    with open(config, "w") as out:
        for path in (many.ssh_config, crowd.ssh_config):
            with open(path) as f:
                out.write(f.read() + "\n")
    r = subprocess.run(
        [HELPER, "--json", "--cloud-nodes=" + " ".join(sorted(many.nodes) + holes),
         "--cloud-ssh-config=" + config, "--cloud-connect-timeout=30", "--cloud-max-connections=300",
         "--cloud-chdir=scale"],
        cwd=small_project(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=limited_files(1024), timeout=300)
    assert r.returncode == 0, r.stderr
    got = {n["node"]: n for n in json.loads(r.stdout)["nodes"]}
    assert all(got[name]["status"] == "ok" for name in many.nodes), [
        got[name]["reason"] for name in many.nodes if got[name]["status"] != "ok"]
    assert all(got[name]["reason"].startswith("ssh connect: timed out after 30s waiting for the server's SSH banner")
               for name in holes)
    assert "Too many open files" not in r.stderr
    for node in many.nodes.values():
        assert os.path.isfile(node.path("scale", "tests", "test_x.py"))


def test_40_nodes_within_70_open_files(many, tmp_path):
    """The budget, not the limit, decides how many are in flight."""
    names = sorted(many.nodes)[:40]
    r = subprocess.run(
        [HELPER, "--json", "--cloud-nodes=" + " ".join(names), "--cloud-ssh-config=" + many.ssh_config,
         "--cloud-connect-timeout=10", "--cloud-chdir=tight"],
        cwd=small_project(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=limited_files(70), timeout=300)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert [n["status"] for n in plan["nodes"]] == ["ok"] * 40, [n.get("reason") for n in plan["nodes"]]
    # and more nodes than the limit can hold sessions for is said at once
    r = subprocess.run(
        [HELPER, "--json", "--cloud-nodes=" + " ".join(names), "--cloud-ssh-config=" + many.ssh_config],
        cwd=small_project(tmp_path / "again"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=limited_files(50), timeout=60)
    assert r.returncode == 3
    assert "40 nodes need more open files than the limit of 50 allows" in r.stderr
