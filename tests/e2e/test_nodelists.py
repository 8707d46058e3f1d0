"""Nodes as fleets name them, against the cluster's nodes: host ranges
(node[1-2]), host files (^PATH) and the Slurm job (@slurm, expanded by
Debian's real scontrol in a job's environment as Slurm sets it, each node
capped at its CPUs in the allocation), through the helper and through
pytest; pytest-cloud init writes them as typed.  Last, a real Slurm on
this machine (Debian's slurmctld and one slurmd per cluster node, each in
a UTS namespace of its own with the node's name): `salloc -N 2 pytest`."""

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import HELPER, child_env


def by_node(plan):
    return {n["node"]: n for n in plan["nodes"]}


def workers_seen(records):
    return sorted({r["worker"] for r in records})


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def slurm_env(project, tmp_path, **job):
    """The environment of a Slurm job (as salloc and sbatch set it) whose
    nodes are the cluster's: SLURM_CONF names a config scontrol can read
    (a job's nodes have one), the rest is the job's."""
    conf = str(tmp_path / "slurm.conf")
    write(conf, "ClusterName=pc\nSlurmctldHost=localhost\n")
    env = dict(SLURM_CONF=conf, SLURM_JOB_ID="4242", SLURM_JOB_NAME="interactive",
               SLURM_JOB_NODELIST="node[1-2]", SLURM_NNODES="2", SLURM_JOB_NUM_NODES="2")
    env.update(job)
    return project.env(**env)


def test_ranges_from_ini_environment_and_command_line(project):
    project.use_nodes("node[1-2]")
    r = project.helper("--dry-run")
    assert r.returncode == 0, r.stderr
    assert "pytest-cloud: --dry-run: 2 nodes: node1 node2\n" in r.stderr
    got = by_node(r.plan)
    assert [n["node"] for n in r.plan["nodes"]] == ["node1", "node2"]
    assert (got["node1"]["processes"], got["node2"]["processes"]) == (1, 2)
    assert len(r.plan["tx"]) == 3
    # the environment's, in the order written, each once
    r = project.helper("--dry-run", "--json", env=project.env(PYTEST_CLOUD_NODES="node[2,1] node1"))
    assert r.returncode == 0, r.stderr
    assert [n["node"] for n in r.plan["nodes"]] == ["node2", "node1"]
    assert r.stderr == ""
    # leading zeros stay: node[01-02] names hosts the cluster does not have
    r = project.helper("--dry-run", "--cloud-nodes=node[01-02] node[2]")
    assert [n["node"] for n in r.plan["nodes"]] == ["node01", "node02", "node2"]
    assert by_node(r.plan)["node01"]["status"] == "excluded"
    assert by_node(r.plan)["node2"]["status"] == "ok"


def test_host_files_from_each_source(project):
    """The ini's host file is relative to the ini's folder, the
    environment's to the project root, the command line's to the current
    folder; one run through pytest with the ini's."""
    write(os.path.join(project.path, "fleet", "hosts"),
          "# the build boxes\n\nnode[1-2]   # both\nnode1\n")
    write(os.path.join(project.path, "tests", "one"), "node2\n")
    project.use_nodes("^fleet/hosts")
    sub = os.path.join(project.path, "tests")
    r = project.helper("--dry-run", cwd=sub)
    assert r.returncode == 0, r.stderr
    assert [n["node"] for n in r.plan["nodes"]] == ["node1", "node2"]
    r = project.helper("--dry-run", "--json", cwd=sub, env=project.env(PYTEST_CLOUD_NODES="^tests/one"))
    assert r.returncode == 0, r.stderr
    assert [n["node"] for n in r.plan["nodes"]] == ["node2"]
    r = project.helper("--dry-run", "--json", "--cloud-nodes=^one", cwd=sub)
    assert r.returncode == 0, r.stderr
    assert [n["node"] for n in r.plan["nodes"]] == ["node2"]
    # a missing one is named with the path it was looked for at
    r = project.helper("--dry-run", "--cloud-nodes=^nope", cwd=sub)
    assert r.returncode == 2
    assert r.stderr == "pytest-cloud: error: --cloud-nodes: ^nope: nope: cannot read: No such file or directory\n"
    r = project.helper("--dry-run", cwd=sub, env=project.env(PYTEST_CLOUD_NODES="^nope"))
    assert r.returncode == 2
    assert r.stderr == ("pytest-cloud: error: PYTEST_CLOUD_NODES: ^nope: %s/nope: cannot read: "
                        "No such file or directory\n" % project.path)

    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    nodes = project.cluster.nodes
    assert workers_seen(project.records(nodes["node1"])) == ["node1_0"]
    assert workers_seen(project.records(nodes["node2"])) == ["node2_0", "node2_1"]


BAD = [
    ("--cloud-nodes=node[2-1]", "--cloud-nodes: node 'node[2-1]': range '2-1' is reversed"),
    ("--cloud-nodes=node[1-2", "--cloud-nodes: node 'node[1-2': '[' is never closed"),
    ("--cloud-nodes=node1-2]", "--cloud-nodes: node 'node1-2]': ']' without '['"),
    ("--cloud-nodes=node[1-010]", "range '1-010': the bounds are padded to different widths"),
    ("--cloud-nodes=node[1234567890]", "number '1234567890' is too wide (most 9 digits)"),
    ("--cloud-nodes=n[1-200000]", "--cloud-nodes: node 'n[1-200000]': expands to 200000 names (most 100000)"),
    ("--cloud-nodes=a[1-60000] b[1-60000]", "--cloud-nodes: more than 100000 nodes in all"),
    ("--cloud-nodes=n[1;2]", "';' in a group (only digits, ',' and '-')"),
    ("--cloud-nodes=@all", "--cloud-nodes: '@all': unknown node group (the one there is: @slurm)"),
    ("--cloud-nodes=^", "--cloud-nodes: '^' names no file"),
]


def test_bad_node_lists_are_one_line_and_touch_no_node(project):
    write(os.path.join(project.path, "hosts"), "node1\n# then\nnode1;rm\n")
    write(os.path.join(project.path, "empty"), "# nobody yet\n")
    cases = BAD + [
        ("--cloud-nodes=^hosts", "--cloud-nodes: ^hosts: hosts:3: node 'node1;rm': character ';' is not "
                                 "valid in a host name"),
        ("--cloud-nodes=^empty", "--cloud-nodes: ^empty: 'empty' names no node"),
    ]
    for arg, message in cases:
        r = project.helper(arg)
        assert r.returncode == 2, (arg, r.stderr)
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith("pytest-cloud: error: ")
        assert message in lines[0], (arg, lines[0])
    # the ini's line; through pytest the session stops with it
    project.use_nodes("node[3-1]")
    r = project.pytest()
    assert r.returncode == 4, r.stdout + r.stderr
    assert "/pytest.ini:3: cloud_nodes: node 'node[3-1]': range '3-1' is reversed" in r.stderr
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []


def test_slurm_job_nodes_capped_at_their_allocation(project, tmp_path):
    assert shutil.which("scontrol"), "scontrol is missing: make deps installs slurm-client"
    project.use_nodes("@slurm")
    # node1 has 1 CPU, node2 2: an allocation above the probe's figure
    # changes nothing, one below it caps the node
    r = project.helper("--dry-run", env=slurm_env(project, tmp_path, SLURM_JOB_CPUS_PER_NODE="16(x2)"))
    assert r.returncode == 0, r.stderr
    assert "pytest-cloud: --dry-run: 2 nodes: node1 node2\n" in r.stderr
    assert ("pytest-cloud: --dry-run: @slurm: job 4242, CPUs per node in the allocation from "
            "SLURM_JOB_CPUS_PER_NODE\n") in r.stderr
    got = by_node(r.plan)
    assert (got["node1"]["processes"], got["node2"]["processes"]) == (1, 2)
    assert got["node2"]["allocation"] == {"cpus": 16, "from": "SLURM_JOB_CPUS_PER_NODE",
                                          "limit": "2 CPUs, 16 in the allocation"}

    env = slurm_env(project, tmp_path, SLURM_JOB_CPUS_PER_NODE="2,1", SLURM_TASKS_PER_NODE="2,1")
    r = project.helper("--dry-run", env=env)
    assert r.returncode == 0, r.stderr
    got = by_node(r.plan)
    assert (got["node1"]["cpus"], got["node1"]["processes"]) == (1, 1)
    assert (got["node2"]["cpus"], got["node2"]["processes"]) == (2, 1)
    assert got["node1"]["allocation"]["limit"] == "1 CPU, 2 in the allocation"
    assert got["node2"]["allocation"]["limit"] == "2 CPUs, 1 in the allocation"
    table = {line.split()[0]: line for line in r.stderr.splitlines() if line.startswith("node")}
    assert table["node2"].endswith("ok, 2 CPUs, 1 in the allocation"), table
    assert len(r.plan["tx"]) == 2

    # the job's run: one worker on each node
    r = project.pytest(env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    nodes = project.cluster.nodes
    assert workers_seen(project.records(nodes["node1"])) == ["node1_0"]
    assert workers_seen(project.records(nodes["node2"])) == ["node2_0"]

    # tasks times CPUs per task, where the job gives those
    env = slurm_env(project, tmp_path, SLURM_TASKS_PER_NODE="1(x2)", SLURM_CPUS_PER_TASK="1")
    r = project.helper("--dry-run", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert [n["processes"] for n in r.plan["nodes"]] == [1, 1]
    assert by_node(r.plan)["node2"]["allocation"]["from"] == "SLURM_TASKS_PER_NODE"


def test_slurm_outside_a_job_without_scontrol_and_bad_lists(project, tmp_path):
    project.use_nodes("@slurm")
    ini = os.path.join(project.path, "pytest.ini")
    r = project.helper("--dry-run")
    assert r.returncode == 2
    assert r.stderr == ("pytest-cloud: error: %s:3: cloud_nodes: @slurm: not inside a Slurm job: "
                        "SLURM_JOB_NODELIST is not set (run pytest under salloc, sbatch or srun)\n" % ini)
    env = slurm_env(project, tmp_path, PATH="/nonexistent")
    r = project.helper("--dry-run", env=env)
    assert r.returncode == 2
    assert r.stderr == ("pytest-cloud: error: %s:3: cloud_nodes: @slurm: scontrol is not on PATH "
                        "(it expands the job's node list): install Slurm's client commands (Debian, "
                        "Ubuntu: apt-get install slurm-client)\n" % ini)
    # scontrol's own word on a list it cannot read (it exits 0 then)
    r = project.helper("--dry-run", env=slurm_env(project, tmp_path, SLURM_JOB_NODELIST="node[2-1]"))
    assert r.returncode == 2
    assert ("@slurm: scontrol show hostnames 'node[2-1]' (SLURM_JOB_NODELIST): scontrol: error: "
            "_parse_single_range: Invalid range: `2-1'") in r.stderr
    r = project.helper("--dry-run", env=slurm_env(project, tmp_path, SLURM_JOB_CPUS_PER_NODE="16(x3)"))
    assert r.returncode == 2
    assert "@slurm: SLURM_JOB_CPUS_PER_NODE: '16(x3)': counts for more than 2 nodes" in r.stderr
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []


def test_init_writes_the_forms_as_typed(tmp_path):
    path = str(tmp_path / "fresh")
    write(os.path.join(path, "tests", "test_x.py"), "def test_x():\n    pass\n")

    def init(*args):
        return subprocess.run([HELPER, "init"] + list(args), cwd=path, env=child_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)

    r = init("--nodes", "node[2-1]")
    assert r.returncode == 2
    assert r.stderr == "pytest-cloud: error: init: --nodes: node 'node[2-1]': range '2-1' is reversed\n"
    assert os.listdir(path) == ["tests"]
    r = init("--nodes", "ci@node[01-16,20]:2222 ^fleet/hosts @slurm")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(path, "pytest.ini")) as f:
        assert "cloud_nodes = ci@node[01-16,20]:2222 ^fleet/hosts @slurm\n" in f.read()


SLURM_CONF = """ClusterName=pc
SlurmctldHost=ctl(127.0.0.1)
SlurmctldPort={ctld_port}
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool/%n
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd-%n.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=node1 NodeAddr=127.0.0.1 Port={node1_port} CPUs=1 State=UNKNOWN
NodeName=node2 NodeAddr=127.0.0.1 Port={node2_port} CPUs=2 State=UNKNOWN
PartitionName=all Nodes=node[1-2] Default=YES MaxTime=INFINITE State=UP
"""


def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class Slurm:
    """slurmctld and a slurmd for node1 and node2 (the cluster's 1- and
    2-CPU nodes), each daemon under its own host name (unshare --uts);
    auth/none, so no munge.  Stopped by pid."""

    def __init__(self, base):
        self.dir = base
        self.conf = os.path.join(base, "slurm.conf")
        self.procs = []
        for sub in ("state", "spool/node1", "spool/node2"):
            os.makedirs(os.path.join(base, sub))
        write(self.conf, SLURM_CONF.format(dir=base, ctld_port=free_port(), node1_port=free_port(),
                                           node2_port=free_port()))

    def start(self, host, *argv):
        log = open(os.path.join(self.dir, host + ".out"), "wb")
        self.procs.append(subprocess.Popen(
            ["unshare", "--uts", "sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh", host] + list(argv)
            + ["-D", "-f", self.conf], stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        log.close()

    def env(self, **extra):
        return child_env(SLURM_CONF=self.conf, **extra)

    def wait_idle(self):
        """Until both nodes are idle, while every daemon lives."""
        while True:
            for p in self.procs:
                if p.poll() is not None:
                    raise AssertionError("a Slurm daemon exited (%d): %s" % (p.returncode, self.logs()))
            out = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %t"], env=self.env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=30).stdout
            if out.split() == ["node1", "idle", "node2", "idle"]:
                return
            time.sleep(0.2)

    def logs(self):
        text = ""
        for name in sorted(os.listdir(self.dir)):
            if name.endswith((".out", ".log")):
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += "\n== %s\n%s" % (name, f.read()[-2000:])
        return text

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_salloc_runs_the_suite_on_the_allocated_nodes(project, tmp_path):
    if not (shutil.which("slurmctld") and shutil.which("slurmd") and shutil.which("salloc")):
        pytest.skip("no Slurm daemons here (Debian's slurmctld and slurmd): the run under salloc is not tested")
    slurm = Slurm(str(tmp_path / "slurm"))
    try:
        slurm.start("ctl", "slurmctld", "-i")
        slurm.start("node1", "slurmd")
        slurm.start("node2", "slurmd")
        slurm.wait_idle()
        project.use_nodes("@slurm", cloud_report="report.json")
        # salloc runs pytest here, in the job: one CPU on each node
        r = subprocess.run(["salloc", "-N", "2"] + project.pytest_argv(), cwd=project.path, env=slurm.env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr + slurm.logs()
        assert "salloc: Granted job allocation" in r.stderr
        assert "27 passed" in r.stdout
        nodes = project.cluster.nodes
        assert workers_seen(project.records(nodes["node1"])) == ["node1_0"]
        # node2 has 2 CPUs, the job 1 of them
        assert workers_seen(project.records(nodes["node2"])) == ["node2_0"]
        assert "2 CPUs, 1 in the allocation" in r.stderr
        # --exclusive: the whole of each node
        r = subprocess.run(["salloc", "-N", "2", "--exclusive", HELPER, "--dry-run", "--json"], cwd=project.path,
                           env=slurm.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        got = by_node(json.loads(r.stdout))
        assert got["node2"]["allocation"] == {"cpus": 2, "from": "SLURM_JOB_CPUS_PER_NODE",
                                              "limit": "2 CPUs, 2 in the allocation"}
        assert (got["node1"]["processes"], got["node2"]["processes"]) == (1, 2)
    finally:
        slurm.stop()
