"""The fork server's accept and receive (forkserver.py, as the plugin
ships it) run here, for real: the server started as forkstart.py starts
it on a node, its collection of a small project, real clients
(forkclient.py) and clients that misbehave on its socket.  A client that
connects and says nothing must hold up no other client, and is dropped
after RECEIVE_BOUND seconds; a child holds no other client's connection;
what a bad request passed is closed.  The waits here are liveness bounds
(a minute, for a loaded machine), never the expected time."""

import array
import os
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from cloudplugin import load

cloud = load()

LIVENESS = 60  # seconds: something that should happen at once has not

# a child's report: the process that forked it and the sockets it holds
REPORT = ("import os, sys\n"
          "fds = os.listdir('/proc/self/fd')\n"
          "sockets = sum(os.readlink('/proc/self/fd/' + f).startswith('socket:') for f in fds\n"
          "              if os.path.exists('/proc/self/fd/' + f))\n"
          "sys.stdout.write('%d %d\\n' % (os.getppid(), sockets))\n"
          "sys.stdout.flush()\n")


class Server:
    """forkserver.py (text: its source) started on a project of one test,
    in a private folder, as forkstart.py starts it."""

    def __init__(self, tmp_path, text=None):
        self.d = str(tmp_path / "fork")
        os.mkdir(self.d, 0o700)
        project = tmp_path / "proj"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_one.py").write_text("def test_one():\n    pass\n")
        for name, source in (("server.py", text or cloud.FORK_SERVER), ("client.py", cloud.FORK_CLIENT)):
            with open(os.path.join(self.d, name), "w") as f:
                f.write(source)
        self.log = open(os.path.join(self.d, "log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-u", os.path.join(self.d, "server.py"), self.d, str(project), "-p", "no:randomly"],
            cwd=str(project), stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            env=dict(os.environ, PYTEST_CLOUD_FORK_SERVER=self.d))
        deadline = time.monotonic() + 4 * LIVENESS
        while not os.path.exists(os.path.join(self.d, "ready")):
            assert not os.path.exists(os.path.join(self.d, "fallback")), self.said("fallback")
            assert self.proc.poll() is None and time.monotonic() < deadline, self.said("log")
            time.sleep(0.05)
        self.socket = os.path.join(self.d, "s")

    def said(self, name):
        with open(os.path.join(self.d, name), errors="replace") as f:
            return f.read()

    def connect(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.socket)
        return s

    def client(self, code, **kw):
        """A real client (a worker's python) running code in a child."""
        return subprocess.Popen([sys.executable, "-I", "-S", os.path.join(self.d, "client.py"), "-c", code],
                                stdout=subprocess.PIPE, text=True, **kw)

    def report(self, client):
        """(the forking process, the sockets the child held) of a client
        running REPORT; the forking process must be this server."""
        ready = select.select([client.stdout], [], [], LIVENESS)[0]
        assert ready, "no child ran the client's code within %d s" % LIVENESS
        ppid, sockets = (int(n) for n in client.stdout.readline().split())
        assert ppid == self.proc.pid, "not a child of the server: the client ran python itself"
        return sockets

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()


@pytest.fixture
def server(tmp_path):
    started = []

    def start(text=None):
        started.append(Server(tmp_path, text))
        return started[-1]
    yield start
    for s in started:
        s.stop()


def eof_within(sock, seconds):
    """True when the server closed sock (end of file) within seconds."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False


def test_a_silent_client_holds_up_no_other(server):
    s = server()
    first = s.client(REPORT + "sys.stdin.read()\n", stdin=subprocess.PIPE)
    assert s.report(first) == 1  # its own connection only
    silent = s.connect()  # says nothing, and stays
    second = s.client(REPORT + "sys.exit(7)\n")
    try:
        # served while the silent one waits: before, the server sat in its
        # receive from the silent client, and this never came
        assert s.report(second) == 1  # neither the silent one's nor first's
        assert second.wait(LIVENESS) == 7  # the child's status, through the client
    finally:
        second.kill()
    # the silent client is still connected: served beside it, not after it
    # was dropped
    silent.setblocking(False)
    with pytest.raises(BlockingIOError):
        silent.recv(1)
    first.stdin.close()
    assert first.wait(LIVENESS) == 0
    assert s.proc.poll() is None
    silent.close()


def test_a_silent_client_is_dropped_after_the_bound(server):
    line = "RECEIVE_BOUND = 30\n"
    assert cloud.FORK_SERVER.count(line) == 1  # the bound this test shortens
    s = server(cloud.FORK_SERVER.replace(line, "RECEIVE_BOUND = 1\n"))
    silent = s.connect()
    started = time.monotonic()
    assert eof_within(silent, LIVENESS)
    assert time.monotonic() - started >= 1.0 - 0.05  # not before its bound
    client = s.client(REPORT)
    assert s.report(client) == 1 and client.wait(LIVENESS) == 0


def test_bad_requests_are_dropped_and_what_they_passed_closed(server):
    s = server()
    gone = s.connect()
    gone.close()
    dropped = []
    for request in (b"1", b"{'argv'", b"\xff\xfe", b"[]", b"{'other': 1}", b"__import__('os')"):
        c = s.connect()
        c.sendall(request)
        dropped.append(c)
    # a bad request that passes a descriptor: the server closes its copy
    r, w = os.pipe()
    passing = s.connect()
    passing.sendmsg([b"nonsense"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))])
    os.close(w)
    dropped.append(passing)
    for c in dropped:
        assert eof_within(c, LIVENESS)
        c.close()
    assert select.select([r], [], [], LIVENESS)[0] == [r] and os.read(r, 1) == b""
    os.close(r)
    # and the server serves on
    client = s.client(REPORT)
    assert s.report(client) == 1 and client.wait(LIVENESS) == 0
    assert s.proc.poll() is None
