"""The static helper (make static): no shared library at all, and it works
in an empty root that holds only the binary, /etc/passwd, /etc/hosts,
/dev/null and the ssh files of the run.  Collected by make test-static
only (PYTEST_CLOUD_TEST_STATIC=1), which runs the whole suite with it."""

import json
import os
import shutil
import subprocess

import pytest

from cluster import PORT
from conftest import HELPER


def test_no_shared_library_at_all():
    out = subprocess.run(["file", HELPER], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert "statically linked" in out, out
    dyn = subprocess.run(["readelf", "-d", HELPER], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert "NEEDED" not in dyn, dyn
    ldd = subprocess.run(["ldd", HELPER], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "not a dynamic executable" in ldd.stdout, ldd.stdout


@pytest.fixture
def empty_root(tmp_path, nodes):
    """A root with only the helper, passwd (user 'static', home
    /home/static), hosts (an alias of node2's address), /dev/null and, at
    its own path, the cluster's folder (ssh config, key, known_hosts); a
    project in /proj."""
    root = tmp_path / "root"
    for d in ("bin", "etc", "dev", "proj", "home/static", "tmp", nodes.dir.lstrip("/")):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(HELPER, str(root / "bin" / "pytest-cloud"))
    (root / "etc" / "passwd").write_text("static:x:%d:%d::/home/static:/bin/sh\n" % (os.geteuid(), os.getegid()))
    (root / "etc" / "hosts").write_text("127.0.0.1 localhost\n%s statichost\n" % nodes.nodes["node2"].addr)
    (root / "dev" / "null").touch()
    (root / "proj" / "pytest.ini").write_text("[pytest]\n")
    mounts = [("/dev/null", str(root / "dev" / "null")), (nodes.dir, str(root / nodes.dir.lstrip("/")))]
    for src, dst in mounts:
        subprocess.run(["mount", "--bind", src, dst], check=True)
    try:
        yield str(root)
    finally:
        for _src, dst in reversed(mounts):
            subprocess.run(["umount", dst], check=True)


def in_root(root, *args):
    return subprocess.run(["/usr/sbin/chroot", root, "/bin/pytest-cloud"] + list(args), env={"PATH": "/bin"},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)


def test_runs_in_an_empty_root(empty_root, nodes):
    r = in_root(empty_root, "--version")
    assert r.returncode == 0 and r.stdout.startswith("pytest-cloud "), r.stderr
    r = in_root(empty_root, "--dry-run", "--json", "--rootdir=/proj", "--cloud-connect-timeout=5",
                "--cloud-ssh-config=" + nodes.ssh_config, "--cloud-nodes=node2 statichost:%d" % PORT)
    plan = json.loads(r.stdout)
    got = {n["node"]: n for n in plan["nodes"]}
    # a node of the ssh config: probed over SSH, its host key checked
    assert got["node2"]["status"] == "ok", got
    assert got["node2"]["cpus"] == 2
    # a name only /etc/hosts knows: resolved (its key is not in
    # known_hosts under that name, so it is refused for that)
    far = got["statichost:%d" % PORT]
    assert "resolve" not in far["reason"] and "host key" in far["reason"], far
    # no OpenSSH client in this root: libssh read the config, and said so
    assert got["node2"]["ssh"]["from"] == "libssh" and got["node2"]["ssh"]["hostname"] == nodes.nodes["node2"].addr
    # the user name comes from the root's /etc/passwd
    assert plan["chdir"] == "pytest_static_proj"
    # and so does '~': the default ssh config, ~/.ssh/config, is found
    os.makedirs(os.path.join(empty_root, "home", "static", ".ssh"))
    shutil.copy(nodes.ssh_config, os.path.join(empty_root, "home", "static", ".ssh", "config"))
    r = in_root(empty_root, "--dry-run", "--rootdir=/proj", "--cloud-connect-timeout=5",
                "--cloud-nodes=node2")
    assert [n["status"] for n in json.loads(r.stdout)["nodes"]] == ["ok"], r.stderr
    assert ("pytest-cloud: warning: ssh: OpenSSH's client is not on PATH: libssh reads the ssh config "
            "instead, which may differ from OpenSSH's reading (fine for --dry-run; a run that copies "
            "needs ssh)") in r.stderr.splitlines()
    # a run that copies needs ssh: one line, nothing contacted
    r = in_root(empty_root, "--rootdir=/proj", "--cloud-nodes=node2")
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "pytest-cloud: error: ssh: OpenSSH's client is not on PATH: rsync copies over it and the run reads "
        "the ssh config through 'ssh -G' (install the openssh-client package)"]


def test_install_and_release_tarball(tmp_path):
    from conftest import ROOT

    dest = tmp_path / "dest"
    subprocess.run(["make", "-s", "install", "STATIC=1", "PREFIX=/opt/pc", "DESTDIR=" + str(dest)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with open(str(dest / "opt" / "pc" / "bin" / "pytest-cloud"), "rb") as f, open(HELPER, "rb") as g:
        assert f.read() == g.read()
    # the mux client beside it, static too (libc linked in)
    mux = str(dest / "opt" / "pc" / "bin" / "pytest-cloud-mux")
    dyn = subprocess.run(["readelf", "-d", mux], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert "NEEDED" not in dyn and "INTERP" not in subprocess.run(
        ["readelf", "-l", mux], stdout=subprocess.PIPE, text=True, check=True).stdout
    out = subprocess.run(["make", "-s", "dist"], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    tarball = out.split()[-1]
    names = subprocess.run(["tar", "tzf", os.path.join(ROOT, tarball)], stdout=subprocess.PIPE, text=True,
                           check=True).stdout.split()
    top = names[0].rstrip("/")
    assert sorted(n[len(top) + 1:] for n in names[1:]) == [
        "LICENSE", "README.md", "conftest.py", "pytest-cloud", "pytest-cloud-mux", "pytest-cloud.1",
        "pytest-cloud.bash"]
