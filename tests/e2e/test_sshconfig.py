"""The OpenSSH client config is honoured on every connection of the run:
a node behind a jump host (ProxyJump), keys from ssh-agent."""

import os
import signal
import subprocess

from conftest import TIMEOUT, ssh_settings, wait_until


def test_node_behind_a_jump_host(project, tmp_path):
    nodes = project.cluster
    target = nodes.nodes["node2"]
    cfg = str(tmp_path / "jump.ssh_config")
    nodes.write_ssh_config(path=cfg, extra=(
        "\nHost behind\n  HostName %s\n  Port 2222\n  ProxyJump node1\n  User %s\n"
        "  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n" % (target.addr, nodes.user, nodes.client_key, nodes.known_hosts)))
    project.write_ini(cloud_nodes="behind", cloud_ssh_config=cfg, cloud_connect_timeout=TIMEOUT)
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    # probe, rsync and the workers all reached node2 through node1
    assert len(project.records(target)) == 27
    assert project.records(nodes.nodes["node1"]) == []


def test_keys_from_ssh_agent(project, tmp_path):
    nodes = project.cluster
    sock = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until("ssh-agent's socket " + sock, lambda: os.path.exists(sock), 5)
        env = project.env(SSH_AUTH_SOCK=sock)
        subprocess.run(["ssh-add", "-q", nodes.client_key], env=env, check=True)
        cfg = str(tmp_path / "agent.ssh_config")
        nodes.write_ssh_config(path=cfg, identity="")
        r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg, env=env)
        assert r.returncode == 0, r.stderr
        assert [n["status"] for n in r.plan["nodes"]] == ["ok", "ok"]
        # without the agent the same config cannot log in
        r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg, env=project.env(SSH_AUTH_SOCK=""))
        assert r.returncode == 1
        assert all(n["reason"].startswith("authentication failed") for n in r.plan["nodes"])
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=5)


def test_an_alias_with_an_underscore_is_used(project, tmp_path):
    """OpenSSH takes 'my_node' as a Host alias, and libssh 0.10 takes no
    '_' in a host name: the helper connects libssh to the HostName that
    ssh -G gives, so the alias works as it does with ssh."""
    nodes = project.cluster
    target = nodes.nodes["node2"]
    cfg = str(tmp_path / "underscore.ssh_config")
    nodes.write_ssh_config(path=cfg, extra=(
        "\nHost my_node\n  HostName %s\n  Port 2222\n  User %s\n  IdentityFile %s\n"
        "  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
        % (target.addr, nodes.user, nodes.client_key, nodes.known_hosts)))
    assert subprocess.run(["ssh", "-F", cfg, "my_node", "true"], timeout=TIMEOUT).returncode == 0
    r = project.helper("--dry-run", "--cloud-ssh-config=" + cfg, "--cloud-nodes=my_node node1")
    assert r.returncode == 0, r.stderr
    got = {n["node"]: n for n in r.plan["nodes"]}
    assert [got[n]["status"] for n in ("my_node", "node1")] == ["ok", "ok"], got
    assert ssh_settings(got["my_node"]) == {"hostname": target.addr, "port": 2222, "user": nodes.user,
                                     "from": "ssh -G"}
