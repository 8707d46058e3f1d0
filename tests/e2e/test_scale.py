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
