"""Nodes that are careless or hostile cannot hurt the user's data."""

import hashlib
import os

import pytest


def snapshot(top):
    """Every entry under top: type, mode, link target or content digest."""
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, top)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ("dir", st.st_mode)
            else:
                with open(path, "rb") as f:
                    found[rel] = ("file", st.st_mode, hashlib.sha256(f.read()).hexdigest())
    return found


def fill(folder):
    os.makedirs(os.path.join(folder, ".ssh"), exist_ok=True)
    with open(os.path.join(folder, ".ssh", "authorized_keys"), "w") as f:
        f.write("ssh-ed25519 AAAA precious\n")
    os.makedirs(os.path.join(folder, "data", "deep"), exist_ok=True)
    with open(os.path.join(folder, "data", "deep", "thesis.txt"), "w") as f:
        f.write("years of work\n")


@pytest.mark.parametrize("how", ["home itself", "folder outside the home", "parent outside the home"])
def test_linked_chdir_is_never_emptied(project, how):
    """CHDIR is a link to the home, a link to a folder outside it, or sits
    below a linked parent that leaves the home: the node is left out with
    that reason, and not one byte of the home or the link's target
    changes, whether the helper runs alone or under pytest."""
    nodes = project.cluster
    node = nodes.nodes["node2"]
    outside = os.path.join(node.dir, "outside")
    fill(node.home)
    fill(outside)
    if how == "home itself":
        os.symlink(".", node.path("victim"))
        chdir, reason = "victim", "'victim' on the node is a symbolic link"
    elif how == "folder outside the home":
        os.symlink(outside, node.path("victim"))
        chdir, reason = "victim", "'victim' on the node is a symbolic link"
    else:
        os.symlink(outside, node.path("work"))
        chdir, reason = "work/proj", "'work/proj' on the node resolves to '%s'" % outside
    before = (snapshot(node.home), snapshot(outside))
    project.use_nodes("node1 node2", cloud_chdir=chdir)

    r = project.helper()
    assert r.returncode == 0, r.stderr
    [report] = [n for n in r.plan["nodes"] if n["node"] == "node2"]
    assert report["status"] == "excluded"
    assert reason in report["reason"]
    assert all("node2" not in spec for spec in r.plan["tx"])
    assert (snapshot(node.home), snapshot(outside)) == before

    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "node 'node2': excluded: " + reason in r.stderr
    assert len(project.records(nodes.nodes["node1"])) == 27
    assert (snapshot(node.home), snapshot(outside)) == before


def test_chdir_with_parents_is_made_on_a_fresh_node(project):
    """rsync makes only the last part of CHDIR: the helper makes the rest,
    on a node that has none of it."""
    nodes = project.cluster
    project.use_nodes("node1 node2", cloud_chdir="work/ci/proj")
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    for name in ("node1", "node2"):
        assert os.path.isfile(nodes.nodes[name].path("work", "ci", "proj", "calc.py"))
        recs = project.records(nodes.nodes[name])
        assert recs and all(rec["cwd"] == os.path.join(nodes.login_home, "work/ci/proj") for rec in recs)


def test_chdir_spelled_oddly_is_one_folder(project):
    """./a//b/ and a/b are the same folder on the node and in the specs."""
    project.use_nodes("node1", cloud_chdir="./a//b/")
    r = project.helper("--dry-run")
    assert r.returncode == 0, r.stderr
    assert r.plan["chdir"] == "a/b"
    assert "//chdir=a/b//" in r.plan["px"][0]
