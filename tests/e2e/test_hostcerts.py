"""Host keys judged as OpenSSH judges them (issue 18): host certificates
from an SSH CA (good, expired, for another name, from another CA, none),
every known_hosts file, HostKeyAlias, hashed names, keys added hashed and
said, a dry run that adds nothing; and the later ssh (rsync's, the
gateways') accepting exactly what the probe judged.  Real sshd nodes with
HostCertificate."""

import os
import subprocess

import pytest

from cluster import Cluster, keygen


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """good: a certificate of the cluster's CA for its address; expired;
    wrongname: for another name; otherca: signed by another CA; plain: no
    certificate at all."""
    c = Cluster(str(tmp_path_factory.mktemp("certs")))
    c.add("good", host_cert={})
    c.add("expired", host_cert={"validity": "-2d:-1d"})
    c.add("wrongname", host_cert={"principals": ["somebody-else.example"]})
    c.add("otherca", host_cert={"ca": "other"})
    c.add("plain")
    with c:
        yield c


@pytest.fixture
def cert_nodes(certs):
    certs.clear_homes()
    return certs


def config(cluster, tmp_path, known, extra_top="", name="ssh_config", **kw):
    """An ssh config of the cluster whose known_hosts is the file(s)
    known (a str: one; a list: all, in order), with extra_top first."""
    files = known if isinstance(known, list) else [known]
    for f in files:
        if not os.path.exists(f):
            open(f, "w").close()
    path = str(tmp_path / name)
    cluster.write_ssh_config(path=path, known_hosts=" ".join(files), **kw)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(extra_top + text)
    return path


def helper_run(project, cfg, nodes, *args):
    return project.helper("--cloud-ssh-config=" + cfg, "--cloud-nodes=" + nodes, *args)


def statuses(r):
    return {n["node"]: (n["status"], n.get("reason", "")) for n in r.plan["nodes"]}


def known_name(cluster, node):
    return "[%s]:2222" % cluster.nodes[node].addr


def test_a_host_ca_is_trusted_for_good_certificates_and_the_run_goes(project, cert_nodes, tmp_path):
    known = str(tmp_path / "known_hosts")
    with open(known, "w") as f:
        f.write(cert_nodes.ca_line())
    cfg = config(cert_nodes, tmp_path, known)
    before = open(known).read()
    # the whole run: the probe judges the certificate, rsync's ssh and
    # the gateway (OpenSSH, strict, the same files) verify it themselves
    project.use_nodes("good", cloud_ssh_config=cfg)
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert open(known).read() == before  # nothing added: the CA vouches


@pytest.mark.parametrize("policy", ["yes", "accept-new"])
def test_bad_certificates_leave_their_nodes_out_each_saying_why(project, cert_nodes, tmp_path, policy):
    known = str(tmp_path / "known_hosts")
    with open(known, "w") as f:
        f.write(cert_nodes.ca_line())
    cfg = config(cert_nodes, tmp_path, known, "Host *\n  StrictHostKeyChecking %s\n\n" % policy)
    r = helper_run(project, cfg, "good expired wrongname otherca plain", "--dry-run")
    got = statuses(r)
    addr = {n: cert_nodes.nodes[n].addr for n in cert_nodes.nodes}
    assert got["good"] == ("ok", "")
    assert got["expired"][0] == "excluded" and got["expired"][1].startswith(
        "host certificate expired on "), got["expired"]
    assert got["wrongname"][1] == "host certificate is for 'somebody-else.example', not '%s'" % addr["wrongname"]
    assert got["otherca"][1].startswith("host certificate (id 'otherca') is signed by a CA that known_hosts "
                                        "does not trust for this host"), got["otherca"]
    # a host a CA line names is never trusted on first use
    assert got["plain"][1] == ("host certificate: known_hosts trusts a CA for '%s' (and so no key on first "
                               "use), and the node showed no certificate" % known_name(cert_nodes, "plain"))
    assert open(known).read() == cert_nodes.ca_line()
    assert "would add" not in r.stderr


def plain_key(cluster, node, other=None):
    path = other + ".pub" if other else cluster.nodes[node].host_key + ".pub"
    with open(path) as f:
        return " ".join(f.read().split()[:2])


def test_every_known_hosts_file_is_read(project, cert_nodes, tmp_path):
    """A key pinned in the second file is seen: a different one there is
    a changed key, even under accept-new, and nothing is added to the
    first; the right one there is trusted."""
    other = str(tmp_path / "other")
    keygen(other)
    first, second = str(tmp_path / "known_hosts"), str(tmp_path / "known_hosts2")
    with open(second, "w") as f:
        f.write("%s %s\n" % (known_name(cert_nodes, "plain"), plain_key(cert_nodes, "plain", other)))
    cfg = config(cert_nodes, tmp_path, [first, second], "Host *\n  StrictHostKeyChecking accept-new\n\n")
    r = helper_run(project, cfg, "plain")
    assert r.returncode == 1
    assert statuses(r)["plain"] == ("excluded", "host key changed: the node's ED25519 key is not the one "
                                    "%s:1 lists for '%s' (not connecting through it)"
                                    % (second, known_name(cert_nodes, "plain")))
    assert os.path.getsize(first) == 0
    with open(second, "w") as f:
        f.write("%s %s\n" % (known_name(cert_nodes, "plain"), plain_key(cert_nodes, "plain")))
    r = helper_run(project, cfg, "plain")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(first) == 0


def test_global_files_host_key_alias_and_hashed_names(project, cert_nodes, tmp_path):
    glob = str(tmp_path / "global_known_hosts")
    with open(glob, "w") as f:
        f.write("plain-alias %s\n" % plain_key(cert_nodes, "plain"))
    known = str(tmp_path / "known_hosts")
    open(known, "w").close()
    cfg = config(cert_nodes, tmp_path, known)
    with open(cfg) as f:
        text = f.read().replace("GlobalKnownHostsFile /dev/null", "GlobalKnownHostsFile " + glob)
    with open(cfg, "w") as f:
        f.write("Host plain\n  HostKeyAlias plain-alias\n\n" + text)
    r = helper_run(project, cfg, "plain", "--dry-run")
    assert statuses(r)["plain"] == ("ok", ""), r.stderr
    # a hashed line (ssh-keygen -H) for the real name
    with open(known, "w") as f:
        f.write("%s %s\n" % (known_name(cert_nodes, "good"), plain_key(cert_nodes, "good")))
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", known], check=True, stdout=subprocess.DEVNULL)
    assert open(known).read().startswith("|1|")
    r = helper_run(project, cfg, "good", "--dry-run")
    assert statuses(r)["good"] == ("ok", ""), r.stderr


def test_accept_new_adds_hashed_lines_that_ssh_reads_and_says_so(project, cert_nodes, tmp_path):
    known = str(tmp_path / "known_hosts")
    cfg = config(cert_nodes, tmp_path, known,
                 "Host *\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes\n\n")
    r = helper_run(project, cfg, "plain", "--dry-run")
    assert statuses(r)["plain"] == ("ok", "")
    assert os.path.getsize(known) == 0
    name = known_name(cert_nodes, "plain")
    assert "pytest-cloud: --dry-run: would add '%s' (ED25519) to '%s'; nothing added" % (name, known) in r.stderr
    r = helper_run(project, cfg, "plain")
    assert r.returncode == 0, r.stderr
    assert ("pytest-cloud: Permanently added '%s' (ED25519) to the list of known hosts ('%s')"
            % (name, known)) in r.stderr
    lines = open(known).read().splitlines()
    assert len(lines) == 1 and lines[0].startswith("|1|") and lines[0].endswith(plain_key(cert_nodes, "plain"))
    # OpenSSH finds it under the node's name
    found = subprocess.run(["ssh-keygen", "-F", name, "-f", known], stdout=subprocess.PIPE, text=True)
    assert found.returncode == 0 and plain_key(cert_nodes, "plain") in found.stdout


def test_what_cannot_be_judged_is_refused(project, cert_nodes, tmp_path):
    known = str(tmp_path / "known_hosts")
    cfg = config(cert_nodes, tmp_path, known, "Host *\n  RevokedHostKeys %s\n\n" % known)
    r = helper_run(project, cfg, "plain", "--dry-run")
    assert statuses(r)["plain"][1].startswith("ssh config: RevokedHostKeys is set, and pytest-cloud cannot read "
                                              "a revocation list (KRL)")



def test_match_exec_decides_which_known_hosts_apply(project, cert_nodes, tmp_path):
    """A Match exec block is OpenSSH's to evaluate (ssh -G runs it): where
    it holds, its UserKnownHostsFile is the one that applies, and the key
    is unknown there; where it does not, the node's key is known."""
    known = str(tmp_path / "known_hosts")
    node = cert_nodes.nodes["plain"]
    with open(known, "w") as f:
        f.write("[%s]:2222 %s\n" % (node.addr, plain_key(cert_nodes, "plain")))
    flag = str(tmp_path / "flag")
    extra = "Match exec \"test -e %s\"\n  UserKnownHostsFile /dev/null\n\n" % flag
    cfg = config(cert_nodes, tmp_path, known, extra, name="c2")
    r = helper_run(project, cfg, "plain", "--dry-run")
    assert statuses(r)["plain"] == ("ok", ""), r.stderr
    open(flag, "w").close()
    r = helper_run(project, cfg, "plain", "--dry-run")
    assert statuses(r)["plain"] == ("excluded", "host key unknown: no known_hosts file lists '[%s]:2222' "
                                    "(StrictHostKeyChecking accept-new would add it)" % node.addr), r.stderr
