"""One SSH truth (issue 27): OpenSSH decides, once per node (ssh -G), where
the node is and how it is reached; libssh's probe goes there, and rsync's
ssh and the gateways get the same hostname, port and user pinned.  Each
test is a config that libssh (or the helper's own reader, before) read
otherwise than OpenSSH does; in each, the node that is checked is the
node that receives the copy, and a user's folder is never touched."""

import os
import shutil
import subprocess

from conftest import ssh_settings
from test_shapes import snapshot, users_folder

CHDIR_OF = "pytest_%s_proj"


def common(cluster, known=None):
    """The cluster's login settings, as ssh config lines."""
    return ("  Port 2222\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n"
            "  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n"
            % (cluster.user, cluster.client_key, known or cluster.known_hosts))


def in_namespace(binds, argv):
    """argv in a mount namespace of its own where each (file or folder,
    over) of binds is mounted over the machine's: a hosts file or ssh
    folder of the test's, seen by the helper and every ssh it starts and
    by nothing else on the machine."""
    mounts = " && ".join('mount --bind "$%d" "$%d"' % (2 * i + 1, 2 * i + 2) for i in range(len(binds)))
    words = [w for pair in binds for w in pair]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            '%s && shift %d && exec "$@"' % (mounts, len(words)), "sh"] + words + list(argv)


def helper_in(project, binds, *args):
    from conftest import HELPER

    proc = subprocess.run(in_namespace(binds, [HELPER] + list(args)), cwd=project.path, env=project.env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    import json

    proc.plan = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc


def copied_to(cluster, chdir):
    """The nodes whose home holds CHDIR (with the project's files)."""
    return sorted(name for name, node in cluster.nodes.items()
                  if node.kind == "sshd" and os.path.isfile(node.path(chdir, "calc.py")))


def test_a_comma_in_a_host_pattern_sends_both_to_the_same_node(project, tmp_path):
    """'Host alias,other' is one pattern to OpenSSH, which 'alias' does not
    match: ssh goes to node1, where the user keeps a folder of the
    CHDIR's name.  libssh split the line at the comma and probed node2,
    found nothing there, said ok, and rsync --delete emptied node1's
    folder.  Now the probe is where ssh goes: node1 is left out for its
    folder, and not a byte changes on either node."""
    nodes = project.cluster
    node1, node2 = nodes.nodes["node1"], nodes.nodes["node2"]
    cfg = str(tmp_path / "comma.ssh_config")
    with open(cfg, "w") as f:
        f.write("Host alias,other\n  HostName %s\n%s\nHost alias\n  HostName %s\n%s"
                % (node2.addr, common(nodes), node1.addr, common(nodes)))
    out = subprocess.run(["ssh", "-G", "-F", cfg, "alias"], stdout=subprocess.PIPE, text=True, check=True)
    assert "hostname %s\n" % node1.addr in out.stdout  # OpenSSH's own reading
    chdir = CHDIR_OF % nodes.user
    users_folder(node1, chdir)
    before = snapshot(node1.home)
    project.write_ini(cloud_nodes="alias", cloud_ssh_config=cfg, cloud_connect_timeout=3)
    r = project.helper()
    assert r.returncode == 1, r.stderr
    node = r.plan["nodes"][0]
    assert ssh_settings(node) == {"hostname": node1.addr, "port": 2222, "user": nodes.user, "from": "ssh -G"}
    assert node["reason"].startswith("'%s' on the node is a folder that pytest-cloud did not make" % chdir)
    assert snapshot(node1.home) == before
    assert os.listdir(node2.home) == []
    # without the user's folder the copy goes to node1 too, and the
    # tests run there
    shutil.rmtree(node1.path(chdir))
    os.unlink(node1.path("current")) if os.path.lexists(node1.path("current")) else None
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert copied_to(nodes, chdir) == ["node1"]
    assert project.records(node1) and not project.records(node2)


def test_match_exec_is_evaluated_by_openssh(project, tmp_path):
    """A Match exec block sends the node to node1 while a flag file
    exists, else to node2: the probe and the copy follow it together."""
    nodes = project.cluster
    flag = str(tmp_path / "use-node1")
    cfg = str(tmp_path / "exec.ssh_config")
    with open(cfg, "w") as f:
        f.write('Match originalhost flip exec "test -e %s"\n  HostName %s\n\nHost flip\n  HostName %s\n%s'
                % (flag, nodes.nodes["node1"].addr, nodes.nodes["node2"].addr, common(nodes)))
    chdir = CHDIR_OF % nodes.user
    project.write_ini(cloud_nodes="flip", cloud_ssh_config=cfg, cloud_connect_timeout=3)
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert r.plan["nodes"][0]["ssh"]["hostname"] == nodes.nodes["node2"].addr
    assert copied_to(nodes, chdir) == ["node2"]
    nodes.clear_homes()
    open(flag, "w").close()
    r = project.helper()
    assert r.returncode == 0, r.stderr
    assert r.plan["nodes"][0]["ssh"]["hostname"] == nodes.nodes["node1"].addr
    assert copied_to(nodes, chdir) == ["node1"]
    # the gateway's ssh lands there too: its spec pins what ssh -G said
    # (and through the node's master when one was had: its options
    # follow the pin; with the mux client, they are its ssh command line,
    # the worker python after the destination)
    spec = r.plan["px"][0]
    ssh = spec.split("//")[0] if spec.startswith("ssh=") else spec.split("//python=")[1]
    assert "-o HostName=%s -o Port=2222 -o User=%s " % (nodes.nodes["node1"].addr, nodes.user) in ssh
    assert ssh.endswith(" flip") or " flip " in ssh, ssh


def test_canonical_host_names(project, tmp_path):
    """CanonicalizeHostname: OpenSSH turns 'nodea' into 'nodea.pctest.test'
    (a name this test's hosts file gives node1's address) and reads the
    config again, where a Match canonical block sets the host key alias;
    libssh does neither.  The probe goes to the canonical name, judges
    the key under the alias, and the copy lands on the same node."""
    nodes = project.cluster
    node1 = nodes.nodes["node1"]
    hosts = str(tmp_path / "hosts")
    with open(hosts, "w") as f:
        # ssh looks the candidate up with a trailing dot
        f.write("127.0.0.1 localhost\n%s nodea.pctest.test nodea.pctest.test.\n" % node1.addr)
    known = str(tmp_path / "known_hosts")
    with open(node1.host_key + ".pub") as pub, open(known, "w") as f:
        f.write("canonical-a %s\n" % " ".join(pub.read().split()[:2]))
    cfg = str(tmp_path / "canon.ssh_config")
    with open(cfg, "w") as f:
        f.write("CanonicalizeHostname yes\nCanonicalDomains pctest.test\n\n"
                "Match canonical host nodea.pctest.test\n  HostKeyAlias canonical-a\n\n"
                "Host *\n%s" % common(nodes, known))
    project.write_ini(cloud_nodes="nodea", cloud_ssh_config=cfg, cloud_connect_timeout=3)
    r = helper_in(project, [(hosts, "/etc/hosts")])
    assert r.returncode == 0, r.stderr
    assert ssh_settings(r.plan["nodes"][0]) == {"hostname": "nodea.pctest.test", "port": 2222, "user": nodes.user,
                                         "host_key_alias": "canonical-a", "from": "ssh -G"}
    assert copied_to(nodes, CHDIR_OF % nodes.user) == ["node1"]


def test_environment_variables_in_known_hosts_files(project, tmp_path):
    """UserKnownHostsFile ${KH}/known_hosts: ssh expands the variable, so
    the @revoked line in that file applies.  The helper's own reader took
    the name as it stood, found no such file, and used the node."""
    nodes = project.cluster
    node1 = nodes.nodes["node1"]
    folder = tmp_path / "kh"
    folder.mkdir()
    with open(node1.host_key + ".pub") as pub:
        key = " ".join(pub.read().split()[:2])
    with open(str(folder / "known_hosts"), "w") as f:
        f.write("[%s]:2222 %s\n@revoked * %s\n" % (node1.addr, key, key))
    cfg = str(tmp_path / "env.ssh_config")
    with open(cfg, "w") as f:
        f.write("Host n1\n  HostName %s\n%s" % (node1.addr, common(nodes, "${KH}/known_hosts")))
    project.write_ini(cloud_nodes="n1", cloud_ssh_config=cfg, cloud_connect_timeout=3)
    r = project.helper(env=project.env(KH=str(folder)))
    assert r.returncode == 1, r.stderr
    assert r.plan["nodes"][0]["reason"].startswith(
        "host key revoked: %s:2 marks the node's key @revoked" % (folder / "known_hosts"))
    assert os.listdir(node1.home) == []


def test_a_relative_include_of_the_system_config(project, tmp_path):
    """With no config given, ssh reads ~/.ssh/config and then
    /etc/ssh/ssh_config, whose relative Include is under /etc/ssh.  This
    test's own /etc/ssh (and an empty ~/.ssh) in a mount namespace: the
    node its included file names is where the probe and the copy go."""
    nodes = project.cluster
    node2 = nodes.nodes["node2"]
    etc = tmp_path / "etc-ssh"
    etc.mkdir()
    (etc / "ssh_config").write_text("Include pctest/*.conf\n")
    (etc / "pctest").mkdir()
    (etc / "pctest" / "nodes.conf").write_text("Host incl\n  HostName %s\n%s" % (node2.addr, common(nodes)))
    dot_ssh = tmp_path / "dot-ssh"
    dot_ssh.mkdir()
    home_ssh = os.path.join(os.path.expanduser("~"), ".ssh")
    os.makedirs(home_ssh, exist_ok=True)
    project.write_ini(cloud_nodes="incl", cloud_connect_timeout=3)
    r = helper_in(project, [(str(etc), "/etc/ssh"), (str(dot_ssh), home_ssh)])
    assert r.returncode == 0, r.stderr
    assert r.plan["nodes"][0]["ssh"]["hostname"] == node2.addr
    assert copied_to(nodes, CHDIR_OF % nodes.user) == ["node2"]


def test_a_config_ssh_refuses_is_one_line_per_node(project, tmp_path):
    """A config OpenSSH cannot read: each node is left out with ssh's own
    line, and nothing is contacted."""
    nodes = project.cluster
    cfg = str(tmp_path / "bad.ssh_config")
    with open(cfg, "w") as f:
        f.write("Host node1\n  NoSuchKeyword yes\n")
    project.write_ini(cloud_nodes="node1", cloud_ssh_config=cfg, cloud_connect_timeout=3)
    r = project.helper()
    assert r.returncode == 1
    reason = r.plan["nodes"][0]["reason"]
    assert reason.startswith("ssh config: 'ssh -G' exited 255: ") and "NoSuchKeyword" in reason \
        or "terminating" in reason, reason
    assert os.listdir(nodes.nodes["node1"].home) == []


def test_a_match_exec_that_hangs_is_bounded(project, tmp_path):
    nodes = project.cluster
    cfg = str(tmp_path / "hang.ssh_config")
    with open(cfg, "w") as f:
        f.write('Match exec "sleep 60"\n  User nobody\n\nHost node1\n  HostName %s\n%s'
                % (nodes.nodes["node1"].addr, common(nodes)))
    project.write_ini(cloud_nodes="node1", cloud_ssh_config=cfg, cloud_connect_timeout=2)
    r = project.helper("--dry-run")
    assert r.returncode == 1
    assert r.plan["nodes"][0]["reason"] == ("ssh config: 'ssh -G' did not end within 2s (a Match exec "
                                            "command that hangs?)")
    assert r.seconds < 2 + 2 + 5, r.seconds
