"""Untrusted nodes are left out, each with its reason: a changed host key,
an unknown host, a client key the node does not accept."""

import json
import os
import subprocess

from cluster import keygen


def variant(project, tmp_path, name, **kw):
    """An ssh config of the cluster that differs in known_hosts or key."""
    path = str(tmp_path / (name + ".ssh_config"))
    project.cluster.write_ssh_config(path=path, **kw)
    return path


def test_changed_host_key_is_refused(project, tmp_path):
    other = str(tmp_path / "other_key")
    keygen(other)
    known = str(tmp_path / "known_hosts")
    project.cluster.write_known_hosts(path=known, keys={"node1": other + ".pub"})
    cfg = variant(project, tmp_path, "changed", known_hosts=known)
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    assert r.returncode == 0, r.stderr
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert got["node1"]["status"] == "excluded"
    assert got["node1"]["reason"].startswith("host key changed")
    assert got["node2"]["status"] == "ok"
    assert [s.split("//")[0].split()[-1] for s in r.plan["px"]] == ["node2"]
    assert [s.split("//")[2] for s in r.plan["tx"]] == ["via=node2", "via=node2"]


def test_unknown_host_is_refused(project, tmp_path):
    known = str(tmp_path / "known_hosts")
    project.cluster.write_known_hosts(path=known, skip={"node2"})
    cfg = variant(project, tmp_path, "unknown", known_hosts=known)
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert got["node2"]["status"] == "excluded"
    assert got["node2"]["reason"].startswith("host key unknown")
    assert got["node1"]["status"] == "ok"


def test_wrong_client_key_fails_authentication(project, tmp_path):
    key = str(tmp_path / "stranger")
    keygen(key)
    cfg = variant(project, tmp_path, "stranger", identity=key)
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    assert r.returncode == 1
    for n in r.plan["nodes"]:
        assert n["status"] == "excluded"
        assert n["reason"].startswith("authentication failed"), n["reason"]
        assert "publickey" in n["reason"]
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []


def test_accept_new_adds_unknown_hosts_but_never_changed_ones(project, tmp_path):
    nodes = project.cluster
    known = str(tmp_path / "known_hosts")
    open(known, "w").close()
    cfg = variant(project, tmp_path, "accept", known_hosts=known)
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write("Host node1 node2\n  StrictHostKeyChecking accept-new\n\n" + text)
    # a dry run adds nothing: it says what it would add
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    assert r.returncode == 0, r.stderr
    assert [n["status"] for n in r.plan["nodes"]] == ["ok", "ok"]
    assert os.path.getsize(known) == 0
    for name in ("node1", "node2"):
        assert ("pytest-cloud: --dry-run: would add '[%s]:2222' (ED25519) to '%s'; nothing added"
                % (nodes.nodes[name].addr, known)) in r.stderr
    r = project.helper("--cloud-ssh-config=" + cfg)
    assert r.returncode == 0, r.stderr
    with open(known) as f:
        added = f.read()
    for name in ("node1", "node2"):
        assert "[%s]:2222" % nodes.nodes[name].addr in added
        assert ("pytest-cloud: Permanently added '[%s]:2222' (ED25519) to the list of known hosts ('%s')"
                % (nodes.nodes[name].addr, known)) in r.stderr
    # the keys it added are checked next time; a changed one is refused
    other = str(tmp_path / "other_key")
    keygen(other)
    nodes.write_known_hosts(path=known, keys={"node2": other + ".pub"})
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert got["node1"]["status"] == "ok"
    assert got["node2"]["reason"].startswith("host key changed")


def test_name_that_does_not_resolve(project, tmp_path):
    """Run in a network namespace of its own (loopback down, no route):
    the lookup fails here and no query leaves the machine."""
    from conftest import HELPER

    cfg = str(tmp_path / "none.ssh_config")
    with open(cfg, "w") as f:
        f.write("Host ghost\n  HostName ghost.invalid\n  BatchMode yes\n")
    r = subprocess.run(["unshare", "--net", HELPER, "--dry-run", "--cloud-node=ghost",
                        "--cloud-ssh-config=" + cfg],
                       cwd=project.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1, r.stderr
    reason = json.loads(r.stdout)["nodes"][0]["reason"]
    assert reason.startswith("ssh connect: Failed to resolve hostname ghost.invalid"), reason


def test_changed_key_is_refused_even_with_checking_off(project, tmp_path):
    """StrictHostKeyChecking no adds unknown keys; a changed key still
    leaves the node out (libssh alone would take it)."""
    other = str(tmp_path / "other_key")
    keygen(other)
    known = str(tmp_path / "known_hosts")
    project.cluster.write_known_hosts(path=known, keys={"node1": other + ".pub"})
    cfg = variant(project, tmp_path, "off", known_hosts=known)
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write("Host *\n  StrictHostKeyChecking no\n\n" + text)
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert got["node1"]["status"] == "excluded"
    assert got["node1"]["reason"].startswith("host key changed"), got["node1"]["reason"]
    assert got["node2"]["status"] == "ok"


def test_revoked_key_is_refused_whatever_the_policy(project, tmp_path):
    nodes = project.cluster
    known = str(tmp_path / "known_hosts")
    nodes.write_known_hosts(path=known)
    with open(nodes.nodes["node1"].host_key + ".pub") as f:
        key = " ".join(f.read().split()[:2])
    with open(known, "a") as f:
        f.write("@revoked * %s\n" % key)
    for policy in ("yes", "accept-new", "no"):
        cfg = variant(project, tmp_path, "revoked-" + policy, known_hosts=known)
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write("Host *\n  StrictHostKeyChecking %s\n\n" % policy + text)
        r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
        got = {n["node"]: n for n in r.plan["nodes"]}
        assert got["node1"]["status"] == "excluded"
        assert got["node1"]["reason"].startswith("host key revoked"), (policy, got["node1"]["reason"])
        assert got["node2"]["status"] == "ok"
    # nothing was added for it either
    with open(known) as f:
        assert f.read().count(key) == 2


def ssh_g(cfg, name):
    """What OpenSSH itself resolves for name under config cfg (ssh -G)."""
    out = subprocess.run(["ssh", "-G", "-F", cfg, name], stdout=subprocess.PIPE, text=True, check=True).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def test_match_blocks_are_evaluated_as_ssh_does(project, tmp_path):
    """OpenSSH takes the first value: for node1 the Match block's "yes"
    (an unknown key is refused), for node2, which the Match block does not
    match, the "no" of Host *: its unknown key is accepted."""
    known = str(tmp_path / "known_hosts")
    project.cluster.write_known_hosts(path=known, skip={"node1", "node2"})
    cfg = variant(project, tmp_path, "match", known_hosts=known)
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write("Match host node1\n  StrictHostKeyChecking yes\n\nHost *\n  StrictHostKeyChecking no\n\n" + text)
    assert ssh_g(cfg, "node1")["stricthostkeychecking"] == "true"
    assert ssh_g(cfg, "node2")["stricthostkeychecking"] == "false"
    before = open(known).read()
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert got["node1"]["status"] == "excluded"
    assert got["node1"]["reason"].startswith("host key unknown"), got["node1"]["reason"]
    assert got["node2"]["status"] == "ok", got["node2"]
    with open(known) as f:
        assert f.read() == before  # a dry run adds nothing


def test_a_key_pinned_in_a_match_block_is_seen(project, tmp_path):
    """A Match block (originalhost and localuser) points node1 at a file
    of pinned keys.  Pinned to another key under accept-new, node1 is
    refused, as ssh refuses it, and no file changes; pinned to its own key
    under strict checking, node1 is used, as ssh uses it."""
    import pwd

    nodes = project.cluster
    me = pwd.getpwuid(os.geteuid()).pw_name
    other = str(tmp_path / "other_key")
    keygen(other)
    known = str(tmp_path / "known_hosts")
    nodes.write_known_hosts(path=known, skip={"node1"})
    for name, keys, policy in (("wrong", {"node1": other + ".pub"}, "accept-new"), ("right", None, "yes")):
        pinned = str(tmp_path / ("pinned_" + name))
        nodes.write_known_hosts(path=pinned, skip={"node2"}, keys=keys)
        cfg = variant(project, tmp_path, "pinned_" + name, known_hosts=known)
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write("Match originalhost node1 localuser %s\n  UserKnownHostsFile %s\n"
                    "  StrictHostKeyChecking %s\n\n%s" % (me, pinned, policy, text))
        before = {path: open(path).read() for path in (known, pinned)}
        assert ssh_g(cfg, "node1")["userknownhostsfile"] == pinned
        ssh = subprocess.run(["ssh", "-F", cfg, "node1", "true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=30)
        r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg)
        got = {n["node"]: n for n in r.plan["nodes"]}
        if name == "wrong":
            assert ssh.returncode != 0 and "REMOTE HOST IDENTIFICATION HAS CHANGED" in ssh.stderr, ssh.stderr
            assert got["node1"]["status"] == "excluded"
            assert got["node1"]["reason"].startswith("host key changed"), got["node1"]["reason"]
            assert pinned in got["node1"]["reason"], got["node1"]["reason"]
        else:
            assert ssh.returncode == 0, ssh.stderr
            assert got["node1"]["status"] == "ok", got["node1"]
        assert got["node2"]["status"] == "ok", got["node2"]
        assert {path: open(path).read() for path in (known, pinned)} == before


def test_ssh_config_path_with_quotes_works_for_every_connection(project, tmp_path):
    """A path with ", ' and a space reaches rsync's ssh as one word."""
    import shutil

    odd = tmp_path / 'it\'s a "cfg"'
    odd.mkdir()
    path = str(odd / "ssh_config")
    shutil.copy(project.cluster.ssh_config, path)
    project.use_nodes("node1", cloud_ssh_config=path)
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
