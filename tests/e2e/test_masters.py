"""One OpenSSH master connection per node (issue 31), on real sshd nodes:
logins counted in sshd's log (LogLevel INFO: one "Accepted publickey" per
SSH login), a master killed or hung between runs, a node whose host key
changes, Ctrl-C during the run, two runs at once, and a user's own
ControlPath."""

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from cluster import Cluster, keygen
from conftest import (EXAMPLE, HELPER, TEMPLATE, Project, master_pid, master_sockets, masters_dir,
                      session_processes, wait_until)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("mesh")))
    # (AcceptEnv: what the client's SendEnv names reaches the session)
    c.add("m1", cpus="0", sshd_extra=["AcceptEnv PCTEST_*"])
    c.add("m2", cpus="1", sshd_extra=["AcceptEnv PCTEST_*"])
    with c:
        yield c


def stop_masters():
    """Every master of this session's folder stopped (SIGKILL: what a
    crash leaves, a socket nobody answers, is the harder case)."""
    for path in master_sockets():
        pid = master_pid(path, timeout=2)
        if pid:
            os.kill(pid, signal.SIGKILL)
            wait_until("master %d gone" % pid, lambda: not os.path.exists("/proc/%d" % pid), 5)


@pytest.fixture
def fresh(mesh):
    """The nodes up with empty homes, and no master running."""
    for name in mesh.nodes:
        mesh.restart(name)
    stop_masters()
    mesh.clear_homes()
    return mesh


@pytest.fixture
def project(tmp_path, fresh, venv_template):
    """example/ with the plugin and a virtualenv, on this module's nodes."""
    import shutil

    path = str(tmp_path / "proj")
    shutil.copytree(EXAMPLE, path)
    shutil.copy(TEMPLATE, os.path.join(path, "conftest.py"))
    shutil.copytree(venv_template, os.path.join(path, ".venv"), symlinks=True)
    return Project(path, fresh)


def logins(cluster):
    """{node: SSH logins sshd has logged so far}."""
    found = {}
    for name, node in cluster.nodes.items():
        with open(os.path.join(node.dir, "sshd.log")) as f:
            found[name] = f.read().count("Accepted publickey")
    return found


def logins_since(cluster, before):
    now = logins(cluster)
    return {name: now[name] - before[name] for name in now}


def masters_of(plan):
    """{node: (master, control path)} from the plan's JSON."""
    return {n["node"]: (n["ssh"].get("master"), n["ssh"].get("control_path")) for n in plan["nodes"]}


def test_one_handshake_per_node_then_none(fresh, project):
    """A whole pytest run: the probe's login and one master's per node;
    rsync and the gateway go through the master.  The next run within
    cloud_ssh_persist: only the probe's login, and the masters are still
    there after it, one per node."""
    project.use_nodes("m1 m2")
    before = logins(fresh)
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert "ssh master connections: 2 started, 0 reused" in r.stderr, r.stderr
    assert logins_since(fresh, before) == {"m1": 2, "m2": 2}
    before = logins(fresh)
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ssh master connections: 0 started, 2 reused" in r.stderr, r.stderr
    assert logins_since(fresh, before) == {"m1": 1, "m2": 1}
    assert len([p for p in master_sockets() if master_pid(p)]) == 2


def test_a_master_killed_or_hung_between_runs_is_replaced(fresh, project):
    """A master killed (its socket left behind, nobody listening) or hung
    (SIGSTOP: it takes the connection and says nothing) is found out and
    replaced: the run passes with one new login, through a new master."""
    project.use_nodes("m1")
    first = project.helper("--cloud-nodes=m1")
    assert first.returncode == 0, first.stderr
    status, path = masters_of(first.plan)["m1"]
    assert status == "started"
    pid = master_pid(path)
    os.kill(pid, signal.SIGKILL)
    wait_until("master killed", lambda: not os.path.exists("/proc/%d" % pid), 5)
    assert os.path.exists(path)  # a crash leaves its socket
    before = logins(fresh)
    again = project.helper("--cloud-nodes=m1")
    assert again.returncode == 0, again.stderr
    assert masters_of(again.plan)["m1"] == ("started", path)
    assert logins_since(fresh, before)["m1"] == 2
    hung = master_pid(path)
    assert hung and hung != pid
    os.kill(hung, signal.SIGSTOP)
    try:
        before = logins(fresh)
        third = project.helper("--cloud-nodes=m1")
        assert third.returncode == 0, third.stderr
        assert masters_of(third.plan)["m1"] == ("started", path)
        assert logins_since(fresh, before)["m1"] == 2
        assert master_pid(path) not in (None, hung)
    finally:
        os.kill(hung, signal.SIGKILL)


def test_a_node_whose_host_key_changed(fresh, project, tmp_path):
    """The node gets a new host key while its master (connected with the
    old one) stays up: the probe refuses the node, as it always did, and
    nothing goes through the old master.  Once the user lists the new key,
    the node gets a new master: the old one, though up and answering, is
    not taken, since it was started to accept the old key only."""
    project.use_nodes("m1")
    first = project.helper("--cloud-nodes=m1")
    assert first.returncode == 0, first.stderr
    old_path = masters_of(first.plan)["m1"][1]
    old_pid = master_pid(old_path)
    node = fresh.nodes["m1"]
    # a new key on the listener only: the master's session lives on
    node.proc.send_signal(signal.SIGTERM)
    node.proc.wait()
    for ext in ("", ".pub"):
        os.unlink(node.host_key + ext)
    keygen(node.host_key)
    fresh.restart("m1")
    copy = node.path("pytest_%s_proj" % fresh.user, "tests")
    mtime = os.path.getmtime(copy)
    refused = project.helper("--cloud-nodes=m1")
    assert refused.returncode == 1, refused.stderr
    assert "host key changed" in refused.plan["nodes"][0]["reason"]
    assert master_pid(old_path) == old_pid  # up, and not used
    assert os.path.getmtime(copy) == mtime
    fresh.write_known_hosts()
    before = logins(fresh)
    again = project.helper("--cloud-nodes=m1")
    assert again.returncode == 0, again.stderr
    status, path = masters_of(again.plan)["m1"]
    assert status == "started" and path != old_path
    assert logins_since(fresh, before)["m1"] == 2
    # the master accepts that one key: its known_hosts holds nothing else
    with open(path + ".key") as f:
        with open(node.host_key + ".pub") as pub:
            assert f.read() == "[%s]:2222 %s\n" % (node.addr, " ".join(pub.read().split()[:2]))


def test_ctrl_c_during_the_run(fresh, slow_project):
    """Ctrl-C while the tests run: within 5 s no process of the run is
    left here and no worker on the nodes, and the nodes' CHDIR locks are
    free; what stays is each node's master (an ssh here, a session of
    sshd there, no process of ours), for cloud_ssh_persist seconds: the
    next run logs in once per node, for its probe."""
    p = slow_project(fresh)
    p.use_nodes("m1 m2")
    proc = subprocess.Popen(["env", "--default-signal=INT"] + p.pytest_argv("-v"), cwd=p.path,
                            env=p.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    wait_until("tests running", lambda: any(b"PASSED" in x for x in lines), 60)
    stopped = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(10) == 2, b"".join(lines).decode()

    def left():
        ours = [q for q in session_processes(proc.pid)]
        python = [q for name in fresh.nodes for q in fresh.processes(name, sessions_only=True)
                  if "python" in q[1] or ".pytest-cloud.lock" in q[1]]
        return ours + python
    wait_until("nothing of the run left", lambda: not left(), 5 - (time.monotonic() - stopped))
    reader.join(5)
    proc.stdout.close()
    alive = [path for path in master_sockets() if master_pid(path)]
    assert len(alive) == 2
    before = logins(fresh)
    again = p.helper()
    assert again.returncode == 0, again.stderr
    assert logins_since(fresh, before) == {"m1": 1, "m2": 1}


def test_two_runs_at_once_share_the_masters(fresh, project, tmp_path):
    """Two runs of two projects start together: one master per node for
    both (each node: two probes, one master), each run holds it, so it
    stays while either runs; with cloud_ssh_persist 0 it ends with the
    second."""
    import shutil

    other = Project(str(tmp_path / "other"), fresh)
    shutil.copytree(project.path, other.path, symlinks=True)
    for p in (project, other):
        p.use_nodes("m1 m2", cloud_ssh_persist=0)
    before = logins(fresh)
    held = []
    for p in (project, other):
        held.append(subprocess.Popen([HELPER, "--hold"], cwd=p.path, env=p.env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    plans = [json.loads(h.stdout.read()) for h in held]
    for plan in plans:
        assert [n["status"] for n in plan["nodes"]] == ["ok", "ok"], plan["nodes"]
    assert logins_since(fresh, before) == {"m1": 3, "m2": 3}
    for name in ("m1", "m2"):
        pair = sorted(masters_of(plan)[name] for plan in plans)
        assert [s for s, _p in pair] == ["reused", "started"]
        assert pair[0][1] == pair[1][1]
    sockets = [masters_of(plans[0])[n][1] for n in ("m1", "m2")]
    held[0].stdin.close()
    assert held[0].wait(30) == 0
    time.sleep(2)  # past the master's 1 s: the other run holds it
    assert all(master_pid(s) for s in sockets)
    held[1].stdin.close()
    assert held[1].wait(30) == 0
    wait_until("both masters gone", lambda: not any(master_pid(s, 1) for s in sockets), 5)
    for h in held:
        h.stdout.close()
        h.stderr.close()


def connections(pid):
    """The process's open sockets: (addresses of its TCP peers, number
    of Unix sockets), from /proc (its sockets' inodes matched in
    /proc/PID/net/tcp)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    peers = []
    with open("/proc/%d/net/tcp" % pid) as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                inodes.discard(fields[9])
                addr = bytes.fromhex(fields[2].split(":")[0])[::-1]
                peers.append(".".join(str(b) for b in addr))
    unix = set()
    with open("/proc/%d/net/unix" % pid) as f:
        for line in f.readlines()[1:]:
            if line.split()[6] in inodes:
                unix.add(line.split()[6])
    return sorted(peers), len(unix)


def test_a_node_left_out_keeps_nothing_open(fresh, project, tmp_path):
    """A node left out after it was probed and its master came up (here:
    its folder is another run's, cloud_lock_timeout 0) costs the run
    nothing while it holds: no SSH session to it and no hold on its
    master, only the usable node's (at hundreds of nodes, both would be
    files and masters kept through the tests for nothing)."""
    import shutil

    other = Project(str(tmp_path / "other"), fresh)
    shutil.copytree(project.path, other.path, symlinks=True)
    other.use_nodes("m2", cloud_chdir="shared")
    project.use_nodes("m1 m2", cloud_chdir="shared", cloud_lock_timeout=0)
    first = subprocess.Popen([HELPER, "--hold"], cwd=other.path, env=other.env(), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = None
    try:
        assert [n["status"] for n in json.loads(first.stdout.read())["nodes"]] == ["ok"]
        second = subprocess.Popen([HELPER, "--hold"], cwd=project.path, env=project.env(), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        plan = json.loads(second.stdout.read())
        status = {n["node"]: (n["status"], n.get("reason") or "") for n in plan["nodes"]}
        assert status["m1"][0] == "ok" and status["m2"][0] == "excluded", status
        assert "another run" in status["m2"][1], status
        assert masters_of(plan)["m2"][0] in ("started", "reused"), plan["nodes"]
        peers, unix = connections(second.pid)
        assert peers == [fresh.nodes["m1"].addr], peers
        assert unix == 1  # m1's master, held
    finally:
        for h in (first, second):
            if h is not None:
                h.stdin.close()
                assert h.wait(30) == 0, h.stderr.read()
                h.stdout.close()
                h.stderr.close()


def test_a_user_config_with_its_own_controlpath(fresh, project, tmp_path):
    """A node whose ssh config has a ControlPath is the user's to
    multiplex: no master of ours, no control words on its ssh; with the
    user's ControlMaster auto and ControlPersist, rsync's ssh becomes
    their master and the gateway and the next run use it."""
    import tempfile

    mine = tempfile.mkdtemp(prefix="cm-", dir="/tmp")
    try:
        config = str(tmp_path / "ssh_config")
        fresh.write_ssh_config(path=config, extra="\nHost m1\n  ControlMaster auto\n  ControlPath %s/%%C\n"
                               "  ControlPersist 30\n" % mine)
        # (ssh takes the first value it reads: the node's block comes first
        # in the file, so this one is read after it but nothing else sets
        # those keywords)
        project.use_nodes("m1 m2", cloud_ssh_config=config)
        before = logins(fresh)
        r = project.pytest("-q")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "ssh master connections: 1 started, 0 reused, 1 of your own ssh config" in r.stderr, r.stderr
        assert logins_since(fresh, before) == {"m1": 2, "m2": 2}
        assert len(os.listdir(mine)) == 1  # the user's master, by rsync's ssh
        before = logins(fresh)
        again = project.helper()
        assert again.returncode == 0, again.stderr
        assert logins_since(fresh, before) == {"m1": 1, "m2": 1}
        assert masters_of(again.plan)["m1"] == ("yours", None)
        assert "ControlPath" not in again.plan["px"][0]
        assert "ControlPath=" + masters_dir() in again.plan["px"][1]
    finally:
        for name in os.listdir(mine):
            subprocess.run(["ssh", "-o", "ControlPath=" + os.path.join(mine, name), "-O", "exit", "m1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import shutil

        shutil.rmtree(mine, ignore_errors=True)


def logging_ssh(folder, log):
    """A folder for PATH's front whose ssh logs its words, one run a
    line, then runs OpenSSH's."""
    os.makedirs(folder)
    wrapper = os.path.join(folder, "ssh")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\necho "$*" >> %s\nexec /usr/bin/ssh "$@"\n' % log)
    os.chmod(wrapper, 0o755)
    return folder


def test_rsync_goes_through_the_master_without_ssh(fresh, project, tmp_path):
    """With a master of ours, rsync's remote shell is the mux client
    beside the helper (pytest-cloud-mux): the copy and the after-copy
    steps start no ssh process (a cold run: ssh -G and the master's ssh
    only; a warm run: ssh -G only), and the copy is whole.  Without the
    mux client the helper's rsync runs ssh as before."""
    mux = os.path.join(os.path.dirname(HELPER), "pytest-cloud-mux")
    assert os.access(mux, os.X_OK), "the build has no %s" % mux
    log = str(tmp_path / "ssh.log")
    env = project.env(PATH=logging_ssh(str(tmp_path / "bin"), log) + ":" + os.environ["PATH"])
    project.use_nodes("m1 m2")
    for run, started in ((1, 2), (2, 0)):
        # a change each time, so that the warm run copies too (an
        # unchanged copy is not sent: test_copy.py)
        with open(os.path.join(project.path, "tests", "changed.txt"), "w") as f:
            f.write("run %d\n" % run)
        r = project.helper(env=env)
        assert r.returncode == 0, r.stderr
        assert not any(n["sync"]["unchanged"] for n in r.plan["nodes"]), r.plan["nodes"]
        with open(log) as f:
            words = f.read().splitlines()
        os.unlink(log)
        assert len([w for w in words if w.startswith("-G ")]) == 2, (run, words)
        assert len([w for w in words if "ControlMaster=yes" in w]) == started, (run, words)
        assert not [w for w in words if "rsync" in w], (run, words)
        assert [n["status"] for n in r.plan["nodes"]] == ["ok", "ok"]
    copy = fresh.nodes["m1"].path("pytest_%s_proj" % fresh.user)
    assert sorted(os.listdir(os.path.join(copy, "tests"))) == sorted(
        os.listdir(os.path.join(project.path, "tests")))
    # the same helper elsewhere, with no mux client beside it: rsync's ssh
    import shutil

    alone = str(tmp_path / "alone")
    os.makedirs(alone)
    shutil.copy(HELPER, alone)
    with open(os.path.join(project.path, "tests", "changed.txt"), "w") as f:
        f.write("run 3\n")
    r = subprocess.run([os.path.join(alone, os.path.basename(HELPER))], cwd=project.path, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    with open(log) as f:
        assert len([w for w in f.read().splitlines() if "rsync --server" in w]) == 2


def test_a_warm_pytest_run_starts_no_ssh_but_ssh_G(fresh, project, tmp_path):
    """A whole pytest run with the mux client beside the helper: rsync's
    and the gateways' sessions go through the masters without ssh (the
    plan's proxies are the mux client's), so a cold run starts ssh for
    ssh -G and the masters alone, a warm one for ssh -G alone."""
    log = str(tmp_path / "ssh.log")
    env = project.env(PATH=logging_ssh(str(tmp_path / "bin"), log) + ":" + os.environ["PATH"])
    project.use_nodes("m1 m2")
    for run, started in ((1, 2), (2, 0)):
        r = project.pytest("-q", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "27 passed" in r.stdout
        with open(log) as f:
            words = f.read().splitlines()
        os.unlink(log)
        assert len([w for w in words if w.startswith("-G ")]) == 2, (run, words)
        assert len([w for w in words if "ControlMaster=yes" in w]) == started, (run, words)
        assert len(words) == 2 + started, (run, words)
    px = project.helper(env=env).plan["px"]
    assert [s.split("//")[0] for s in px] == ["popen", "popen"], px
    assert all("pytest-cloud-mux' --quote " in s for s in px), px


def test_the_gateway_gets_what_ssh_would_send(fresh, project, tmp_path):
    """Through the mux client, a node's gateway (and so its workers) gets
    what its ssh would have had through the master: the variables the
    config's SendEnv names (and no other), and the agent where
    ForwardAgent says so.  The master passes on what its config allows."""
    cfg = str(tmp_path / "ssh_config")
    fresh.write_ssh_config(path=cfg, extra="\nHost *\n  SendEnv PCTEST_SENT\n  ForwardAgent yes\n")
    with open(os.path.join(project.path, "tests", "test_env.py"), "w") as f:
        f.write("import os\n\n\n"
                "def test_env():\n"
                "    assert os.environ.get('PCTEST_SENT') == 'yes'\n"
                "    assert 'PCTEST_KEPT' not in os.environ\n"
                "    assert os.path.exists(os.environ.get('SSH_AUTH_SOCK', '/nowhere'))\n")
    agent_sock = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", agent_sock], stdout=subprocess.DEVNULL)
    try:
        wait_until("ssh-agent up", lambda: os.path.exists(agent_sock), 10)
        project.use_nodes("m1", cloud_ssh_config=cfg)
        env = project.env(PCTEST_SENT="yes", PCTEST_KEPT="no", SSH_AUTH_SOCK=agent_sock)
        r = project.pytest("-q", "tests/test_env.py", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 passed" in r.stdout
        px = project.helper(env=env).plan["px"]
        assert px[0].startswith("popen//") and "pytest-cloud-mux' --quote " in px[0], px
    finally:
        agent.kill()
        agent.wait()


def test_the_mux_client_on_a_real_master(fresh, project, tmp_path):
    """pytest-cloud-mux against a node's master: the command's output,
    stdin and exit status as ssh's, no ssh started; a socket nobody
    listens on, or words it cannot read: the ssh command line is run
    instead (and connects by itself)."""
    mux = os.path.join(os.path.dirname(HELPER), "pytest-cloud-mux")
    project.use_nodes("m1")
    first = project.helper("--cloud-nodes=m1")
    assert first.returncode == 0, first.stderr
    _status, path = masters_of(first.plan)["m1"]
    log = str(tmp_path / "ssh.log")
    env = dict(os.environ, PATH=logging_ssh(str(tmp_path / "bin"), log) + ":" + os.environ["PATH"])
    ssh = ["ssh", "-F", fresh.ssh_config, "-o", "BatchMode=yes", "m1"]
    r = subprocess.run([mux, path] + ssh + ["cat; echo err >&2;", "exit 7"], input="x\n" * 50000, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert (r.returncode, r.stdout, r.stderr) == (7, "x\n" * 50000, "err\n")
    assert not os.path.exists(log)  # no ssh
    before = logins(fresh)
    for sock, words in ((str(tmp_path / "nobody"), ssh), (path, ssh[:-1] + ["-Z", "m1"])):
        r = subprocess.run([mux, sock] + words + ["echo", "by ssh"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        with open(log) as f:
            ran = f.read()
        os.unlink(log)
        assert ran.startswith("-F "), ran
        if "-Z" in words:
            assert r.returncode == 255 and "unknown option -- Z" in r.stderr, r.stderr
        else:
            assert (r.returncode, r.stdout) == (0, "by ssh\n"), r.stderr
    assert logins_since(fresh, before)["m1"] == 1  # the fallback's own login
    # --quote (a gateway's): the words after the destination are the
    # command's argument vector, through the master and in ssh's fallback
    argv = ["printf", "<%s>", "it's", "a b", "$HOME", ""]
    for sock in (path, str(tmp_path / "nobody")):
        r = subprocess.run([mux, "--quote", sock] + ssh + argv, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        assert (r.returncode, r.stdout) == (0, "<it's><a b><$HOME><>"), (sock, r.stderr)
        assert os.path.exists(log) == (sock != path), sock  # ssh only for the fallback
    # --quote with words it cannot read: ssh would get the command's words
    # unquoted, so nothing runs, and it says why
    if os.path.exists(log):
        os.unlink(log)
    r = subprocess.run([mux, "--quote", path] + ssh[:-1] + ["-Z", "m1"] + argv, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 255 and r.stdout == "", r.stderr
    assert r.stderr == "pytest-cloud-mux: --quote: no destination and command in the ssh command line\n"
    assert not os.path.exists(log)
