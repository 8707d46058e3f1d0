"""Fleets as they are: folders the user already has on a node, folders of
other projects, nodes that share one home (NFS)."""

import os
import stat

import pytest

from cluster import Cluster
from conftest import make_project

MARKER = ".pytest-cloud-project"


def snapshot(top):
    """Every entry under top: its kind, mode, size, mtime and bytes (or
    link target): what 'left as it is' means."""
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                body = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    body = f.read()
            else:
                body = None
            found[os.path.relpath(path, top)] = (st.st_mode, st.st_size, st.st_mtime_ns, body)
    return found


def users_folder(node, name):
    """A folder of the user's own on node: a thesis in the making."""
    top = node.path(name)
    os.makedirs(os.path.join(top, "thesis", "figures"))
    with open(os.path.join(top, "thesis", "chapter1.tex"), "w") as f:
        f.write("\\chapter{Introduction}\n")
    with open(os.path.join(top, "thesis", "figures", "plot.dat"), "wb") as f:
        f.write(os.urandom(4096))
    os.symlink("thesis/chapter1.tex", os.path.join(top, "current"))
    return top


def second_project(tmp_path, cluster, venv_template, name="proj"):
    """Another project (another root) with the same folder name."""
    return make_project(str(tmp_path / "other" / name), cluster, venv_template)


def test_a_users_folder_is_never_emptied(project):
    """cloud_chdir names a folder the user has: that node is left out,
    saying why and what to do, and not a byte of its home changes; the
    tests run on the other node."""
    nodes = project.cluster
    node1 = nodes.nodes["node1"]
    users_folder(node1, "work")
    before = snapshot(node1.home)
    project.use_nodes("node1 node2", cloud_chdir="work")
    dry = project.helper("--dry-run")
    got = {n["node"]: n for n in dry.plan["nodes"]}
    want = ("'work' on the node is a folder that pytest-cloud did not make (not empty, no "
            ".pytest-cloud-project in it): choose another cloud_chdir, or empty that folder on "
            "the node (left as it is)")
    assert got["node1"]["reason"] == want
    assert got["node2"]["status"] == "ok"
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "node 'node1': excluded: " + want in r.stderr
    assert snapshot(node1.home) == before
    workers = {rec["worker"] for rec in project.records(nodes.nodes["node2"])}
    assert workers and all(w.startswith("node2_") for w in workers)
    assert os.path.isfile(nodes.nodes["node2"].path("work", MARKER))


def test_an_empty_folder_is_taken_and_marked(project):
    nodes = project.cluster
    os.makedirs(nodes.nodes["node1"].path("work"))
    project.use_nodes("node1", cloud_chdir="work")
    r = project.helper()
    assert r.returncode == 0, r.stderr
    with open(nodes.nodes["node1"].path("work", MARKER)) as f:
        marker = f.read().splitlines()
    import socket

    assert marker[1:] == ["root " + project.path, "host " + socket.gethostname()]
    # the next copy keeps the marker and does not send it anywhere
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert os.path.isfile(nodes.nodes["node1"].path("work", MARKER))
    assert not os.path.exists(os.path.join(project.path, MARKER))


def test_a_copy_of_another_checkout_is_made_again(project, tmp_path, venv_template):
    """Two checkouts of one project (a second clone, a worktree, a CI job's
    fresh path), one folder name: a folder with pytest-cloud's marker is
    a copy that can be made again, whichever checkout made it.  Each run
    replaces it under its lock, saying so, and its tests pass; then the
    first checkout again."""
    nodes = project.cluster
    import socket

    host = socket.gethostname()
    project.use_nodes("node1 node2", cloud_chdir="shared")
    assert project.helper().returncode == 0
    other = second_project(tmp_path, nodes, venv_template)
    other.use_nodes("node1 node2", cloud_chdir="shared")
    dry = other.helper("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert ("pytest-cloud: node 'node1': --dry-run: would replace the copy of project '%s' from host '%s'"
            % (project.path, host)) in dry.stderr.splitlines()
    r = other.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("node1", "node2"):
        assert ("pytest-cloud: node '%s': replacing the copy of project '%s' from host '%s'"
                % (name, project.path, host)) in r.stderr.splitlines(), r.stderr
        with open(nodes.nodes[name].path("shared", MARKER)) as f:
            assert f.read().splitlines()[1] == "root " + other.path
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "replacing the copy of project '%s'" % other.path in r.stderr


def test_nested_folders_are_refused_either_way(project, tmp_path, venv_template):
    """A folder inside another project's copy, or one that holds
    another's copy, would be emptied by one of the two runs."""
    nodes = project.cluster
    other = second_project(tmp_path, nodes, venv_template)
    project.use_nodes("node1", cloud_chdir="outer")
    other.use_nodes("node1", cloud_chdir="outer/inner")
    assert project.helper().returncode == 0
    r = other.helper()
    assert r.returncode == 1
    assert r.plan["nodes"][0]["reason"].startswith(
        "'outer/inner' on the node is inside 'outer', the copy of project '%s'" % project.path)
    nodes.clear_homes()
    assert other.helper().returncode == 0
    before = snapshot(nodes.nodes["node1"].home)
    r = project.helper()
    assert r.returncode == 1
    assert r.plan["nodes"][0]["reason"].startswith(
        "'outer' on the node contains 'outer/inner', the copy of project '%s'" % other.path)
    assert snapshot(nodes.nodes["node1"].home) == before


def test_a_folder_of_an_earlier_release_is_taken_over(project):
    """Migration: a folder with the lock file of pytest-cloud 0.2 beside it
    was emptied by that release's --delete already; it becomes ours."""
    nodes = project.cluster
    node1 = nodes.nodes["node1"]
    chdir = "pytest_%s_proj" % nodes.user
    os.makedirs(node1.path(chdir, "tests"))
    with open(node1.path(chdir, "tests", "stale_test.py"), "w") as f:
        f.write("def test_gone(): pass\n")
    with open(node1.path("." + chdir + ".pytest-cloud-lock"), "w") as f:
        f.write("pytest-cloud pid 4242 by %s on ci since 2026-01-01T00:00:00Z\n" % nodes.user)
    project.use_nodes("node1")
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(node1.path(chdir, "tests", "stale_test.py"))
    assert os.path.isfile(node1.path(chdir, MARKER))
    with open(node1.path("." + chdir + ".pytest-cloud-lock")) as f:
        assert f.read().startswith("pytest-cloud run ")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """s1, s2 and s3 share one home (as over NFS); own has its own.  n1
    and n2 share another home and have a flock(1) that never excludes (an
    NFS mounted without locking)."""
    base = str(tmp_path_factory.mktemp("shared"))
    fake = os.path.join(base, "fakebin")
    os.makedirs(fake)
    with open(os.path.join(fake, "flock"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(fake, "flock"), 0o755)
    c = Cluster(base)
    for k in (1, 2, 3):
        c.add("s%d" % k, cpus="0", shared_home="nfs")
    c.add("own", cpus="0")
    path = "%s:/usr/local/bin:/usr/bin:/bin" % fake
    for k in (1, 2):
        c.add("n%d" % k, cpus="0", shared_home="nolock", env={"PATH": path})
    with c:
        yield c


@pytest.fixture
def on_shared(tmp_path, shared, venv_template):
    shared.clear_homes()
    return make_project(str(tmp_path / "proj"), shared, venv_template)


def copies(plan):
    return {n["node"]: n.get("shares_folder_with") for n in plan["nodes"]}


@pytest.mark.stack
def test_nodes_that_share_a_home_share_one_copy(on_shared):
    """One claim, one copy and one after-copy step for the three; workers
    on all of them; nobody waits for its own run."""
    nodes = on_shared.cluster
    on_shared.use_nodes("s1 s2 s3 own", cloud_lock_timeout=60)
    r = on_shared.pytest("-q", "-p", "no:randomly")
    assert r.returncode == 0, r.stdout + r.stderr
    # none waited for its own run's lock (it would say so, then give up
    # after the 60 s and be left out: all three have workers, below)
    assert "in use by another run" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if "one home on several nodes" in line]
    assert len(lines) == 1, r.stderr
    lead = lines[0].split("with node '")[1].split("'")[0]
    rest = sorted({"s1", "s2", "s3"} - {lead})
    assert lines[0] == ("pytest-cloud: nodes '%s', '%s' share 'pytest_%s_proj' with node '%s' (one home "
                        "on several nodes): one copy, through '%s'" % (rest[0], rest[1], nodes.user, lead, lead))
    workers = {rec["worker"].rsplit("_", 1)[0] for rec in on_shared.records(nodes.nodes["s1"])}
    assert workers == {"s1", "s2", "s3"}
    assert {rec["worker"].rsplit("_", 1)[0] for rec in on_shared.records(nodes.nodes["own"])} == {"own"}


def test_shared_home_plan_and_table(on_shared):
    on_shared.use_nodes("s1 s2 s3 own")
    r = on_shared.helper()
    assert r.returncode == 0, r.stderr
    shares = copies(r.plan)
    leads = [name for name in ("s1", "s2", "s3") if shares[name] is None]
    assert len(leads) == 1 and shares["own"] is None
    lead = leads[0]
    for name in {"s1", "s2", "s3"} - {lead}:
        assert shares[name] == lead
        node = next(n for n in r.plan["nodes"] if n["node"] == name)
        assert "sync" not in node and node["status"] == "ok"
        assert "(the folder of '%s')" % lead in r.stderr
    assert sorted(s.split("//")[1] for s in r.plan["px"]) == ["id=own", "id=s1", "id=s2", "id=s3"]
    # the lock file names the run and the node that holds it
    with open(os.path.join(on_shared.cluster.nodes["s1"].home, ".pytest_%s_proj.pytest-cloud-lock"
                           % on_shared.cluster.user)) as f:
        assert f.read().startswith("pytest-cloud run ")
    # a dry run writes nothing and cannot tell
    on_shared.cluster.clear_homes()
    r = on_shared.helper("--dry-run")
    assert [n["status"] for n in r.plan["nodes"]] == ["ok"] * 4
    assert os.listdir(on_shared.cluster.nodes["s1"].home) == []


def test_shared_home_without_working_locks(on_shared):
    """flock that does not exclude across the nodes (NFS without locking):
    both nodes claim the folder, and the lock file, read back through
    each, says it is one folder."""
    import subprocess

    where = subprocess.run(["ssh", "-F", on_shared.cluster.ssh_config, "n1", "command -v flock"],
                           stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    assert where.endswith("/fakebin/flock")
    on_shared.use_nodes("n1 n2")
    r = on_shared.helper()
    assert r.returncode == 0, r.stderr
    shares = copies(r.plan)
    assert sorted(shares.values(), key=str) in ([None, "n1"], [None, "n2"]), r.stderr
    assert "one home on several nodes" in r.stderr
    synced = [n["node"] for n in r.plan["nodes"] if "sync" in n]
    assert len(synced) == 1
    assert "in use by another run" not in r.stderr


def test_a_new_ci_runner_takes_the_copy_over(project):
    """Hosted CI: every job runs on a new host name, with the project at
    the same path.  The second job replaces the first job's copy (saying
    from which host) and its tests pass; the nodes have host names of
    their own, neither of them."""
    nodes = project.cluster
    project.use_nodes("node1 node2")

    def job(host):
        argv = ["unshare", "--uts", "sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh", host]
        argv += project.pytest_argv("-q")
        import subprocess

        return subprocess.run(argv, cwd=project.path, env=project.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=300)

    r = job("ci-runner-1")
    assert r.returncode == 0, r.stdout + r.stderr
    chdir = "pytest_%s_proj" % nodes.user
    with open(nodes.nodes["node1"].path(chdir, MARKER)) as f:
        assert f.read().splitlines()[2] == "host ci-runner-1"
    r = job("ci-runner-2")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("node1", "node2"):
        assert ("pytest-cloud: node '%s': replacing the copy of project '%s' from host 'ci-runner-1'"
                % (name, project.path)) in r.stderr.splitlines(), r.stderr
    assert {rec["worker"].split("_")[0] for n in ("node1", "node2") for rec in project.records(nodes.nodes[n])} \
        == {"node1", "node2"}


def test_two_checkouts_at_once(project, tmp_path, venv_template):
    """Two CI jobs of one project at once, two checkouts, one CHDIR: the
    second waits for the first one's lock, then takes the folder over;
    both suites pass."""
    import subprocess

    nodes = project.cluster
    other = second_project(tmp_path, nodes, venv_template)
    for p in (project, other):
        p.use_nodes("node1 node2", cloud_lock_timeout=120)
    runs = [subprocess.Popen(p.pytest_argv("-q"), cwd=p.path, env=p.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for p in (project, other)]
    outs = [r.communicate(timeout=300) for r in runs]
    for r, (out, err) in zip(runs, outs):
        assert r.returncode == 0, out + err
        assert "27 passed" in out, out
    waited = [err for _, err in outs if "is in use by another run" in err]
    assert len(waited) == 1, outs
    assert "replacing the copy of project" in waited[0]
