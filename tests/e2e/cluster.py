"""Real SSH test nodes on loopback for the end-to-end tests.

Each node is one OpenSSH ``sshd`` listening on its own 127.x.y.z address,
started under ``unshare --mount --uts`` with a per-node folder bind-mounted
over the login user's home (so nodes share no files) and a host name of
its own (``pc-NAME``, as real nodes never share the controller's), optionally under
``taskset -c`` so nodes differ in CPUs.  Host keys and the client key are
generated; ``ssh_config`` has one ``Host`` alias per node and
``known_hosts`` lists every node (strict host key checking on).

Besides sshd nodes a cluster can hold a *refusing* alias (nothing listens
on its address) and a *silent* alias (a listener that accepts, sends one
byte and then says nothing; it notes when each connection came, in its
folder's ``accepted``).  Every process started here is stopped by its
pid in ``Cluster.stop``.
"""

import os
import pwd
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

SSHD = "/usr/sbin/sshd"
PORT = 2222

SILENT_LISTENER = r"""
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
print("ready", flush=True)
held = []
while True:
    c, _ = s.accept()
    with open(sys.argv[4], "a") as log:  # when each connection came
        log.write("%.6f\n" % time.time())
    c.send(sys.argv[3].encode())
    held.append(c)
"""
# what each kind of stalling listener sends before it says nothing more
GREETINGS = {"silent": "S", "banner": "SSH-2.0-stalls_after_banner\r\n"}

# A TCP proxy in front of a node's sshd that stops forwarding, both ways,
# once the client sends its message number STALL_AT (1: its banner, 2:
# KEXINIT, 3: ECDH init, 4: NEWKEYS, 5: service request, 6: auth "none",
# 7: publickey query, 8: signed publickey, 9: channel open, 10: exec, 11:
# what follows).  The sshd behind it speaks only aes128-gcm, whose packet
# lengths are in clear text, so messages can be counted unread.
STALL_PROXY = r"""
import socket, struct, sys, threading, time
host, port, inner, stall_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def messages(buf, st):
    # yields the sizes of the whole client messages at the start of buf
    used = 0
    if not st["banner"]:
        i = buf.find(b"\n")
        if i < 0:
            return
        st["banner"] = True
        used = i + 1
        yield used
    while len(buf) - used >= 4:
        length = struct.unpack(">I", buf[used:used + 4])[0]
        total = 4 + length + (16 if st["enc"] else 0)
        if len(buf) - used < total:
            return
        if not st["enc"] and buf[used + 5] == 21:  # NEWKEYS
            st["enc"] = True
        used += total
        yield total

def serve(c):
    u = socket.create_connection((host, inner))
    st = {"banner": False, "enc": False, "n": 0, "stalled": False}

    def up():
        pending = b""
        while not st["stalled"]:
            data = c.recv(65536)
            if not data:
                break
            pending += data
            for size in list(messages(pending, st)):
                st["n"] += 1
                if st["n"] >= stall_at:
                    st["stalled"] = True
                    return
                u.sendall(pending[:size])
                pending = pending[size:]
        u.shutdown(socket.SHUT_WR)

    def down():
        while True:
            data = u.recv(65536)
            if not data or st["stalled"]:
                break
            c.sendall(data)
        if not st["stalled"]:
            c.shutdown(socket.SHUT_WR)

    threading.Thread(target=up, daemon=True).start()
    threading.Thread(target=down, daemon=True).start()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, port))
srv.listen(64)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    serve(conn)
"""
INNER_PORT = 2223

# Blackholes: addresses that accept a connection and never say a word,
# all of them served by one process (so that hundreds are cheap).
BLACKHOLES = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for addr in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(sys.argv[1])))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
held = []
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        held.append(conn)
"""


def _run(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def keygen(path):
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path])


def sign_host_key(ca, key, principals, validity="-1m:+1d", ident="host"):
    """A host certificate for key (its .pub) signed by ca, for principals
    (a list), valid in validity (ssh-keygen -V); returns its path."""
    _run(["ssh-keygen", "-q", "-s", ca, "-I", ident, "-h", "-n", ",".join(principals), "-V", validity,
          key + ".pub"])
    return key + "-cert.pub"


CGROUP_ROOTS = (
    # (folder under which to make the group, limit file) for cgroup v1, v2
    ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
    ("/sys/fs/cgroup", "memory.max"),
)


def limit_memory(pid, name, limit):
    """Puts pid (and so the sessions it forks) into a new memory cgroup
    with limit bytes; returns its folder, or None when this machine does
    not allow making one."""
    for root, limit_file in CGROUP_ROOTS:
        path = os.path.join(root, name)
        try:
            os.mkdir(path)
        except OSError:
            continue
        try:
            with open(os.path.join(path, limit_file), "w") as f:
                f.write(str(limit))
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(pid))
            return path
        except OSError:
            remove_cgroup(path)
    return None


def remove_cgroup(path):
    for _ in range(100):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.05)


class Node:
    def __init__(self, cluster, name, addr, kind, cpus=None, env=None, memory_limit=None, sshd_extra=(),
                 stall_at=None, home=None):
        self.cluster = cluster
        self.name = name
        self.addr = addr
        self.kind = kind  # "sshd", "refused", "silent", "banner"
        self.cpus = cpus  # taskset CPU list, e.g. "0"
        self.env = env or {}  # environment of the node's sessions
        self.memory_limit = memory_limit  # bytes, through a cgroup
        self.sshd_extra = list(sshd_extra)  # more sshd_config lines
        self.stall_at = stall_at  # a stalling proxy in front (STALL_PROXY)
        self.proxy = None
        self.cgroup = None  # the cgroup folder made for memory_limit
        self.dir = os.path.join(cluster.dir, "nodes", name)
        self.home = home or os.path.join(self.dir, "home")  # home: shared
        self.proc = None
        self.namespace = None  # its mount namespace, once started
        self.hostname = "pc-" + name  # its own (UTS namespace)

    @property
    def host_key(self):
        return os.path.join(self.dir, "host_key")

    def path(self, *parts):
        """A path inside this node's home, as seen from outside."""
        return os.path.join(self.home, *parts)


class Cluster:
    """A set of nodes; use as a context manager, or call stop()."""

    def __init__(self, base_dir):
        self.dir = base_dir
        self.nodes = {}
        # 127.A.B.x (B counting up past 250 hosts): addresses of its own;
        # runs side by side get ranges apart (PYTEST_CLOUD_TEST_NETS=lo-hi)
        lo, hi = (int(x) for x in os.environ.get("PYTEST_CLOUD_TEST_NETS", "100-250").split("-"))
        self.net = "127.%d" % random.randint(lo, hi)
        self.subnet = random.randint(1, 200)
        self.next_host = 0
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.login_home = pwd.getpwuid(os.geteuid()).pw_dir
        self.blackholes = None  # the process serving every blackhole
        self.client_key = os.path.join(base_dir, "client_key")
        self.ssh_config = os.path.join(base_dir, "ssh_config")
        self.known_hosts = os.path.join(base_dir, "known_hosts")
        self.authorized_keys = os.path.join(base_dir, "authorized_keys")
        os.makedirs(os.path.join(base_dir, "nodes"), exist_ok=True)
        keygen(self.client_key)
        shutil.copy(self.client_key + ".pub", self.authorized_keys)
        os.makedirs("/run/sshd", exist_ok=True)

    def _address(self):
        i = self.next_host
        self.next_host += 1
        return "%s.%d.%d" % (self.net, self.subnet + i // 250, i % 250 + 1)

    def add(self, name, kind="sshd", cpus=None, env=None, memory_limit=None, sshd_extra=(),
            force_command=None, stall_at=None, shared_home=None, host_cert=None):
        """A node.  force_command: a shell script sshd runs for every
        session instead of the command asked for (which it finds in
        $SSH_ORIGINAL_COMMAND); stall_at: a proxy in front that stalls at
        that client message (STALL_PROXY); shared_home: a name, the same
        for nodes that share one home (as over NFS); host_cert: the node
        shows a host certificate, a dict of ssh-keygen's principals
        (default: its address), validity (-V) and ca ("main": the
        cluster's host CA, host_ca; "other": another one)."""
        home = os.path.join(self.dir, "shared", shared_home) if shared_home else None
        node = Node(self, name, self._address(), kind, cpus, env, memory_limit, sshd_extra, stall_at, home)
        os.makedirs(node.dir, exist_ok=True)
        os.makedirs(node.home, exist_ok=True)
        self.nodes[name] = node
        if kind == "sshd":
            keygen(node.host_key)
        if host_cert is not None:
            ca = self.ca_key(host_cert.get("ca", "main"))
            cert = sign_host_key(ca, node.host_key, host_cert.get("principals", [node.addr]),
                                 host_cert.get("validity", "-1m:+1d"), ident=name)
            node.sshd_extra.append("HostCertificate " + cert)
        if force_command is not None:
            script = os.path.join(node.dir, "force_command")
            with open(script, "w") as f:
                f.write("#!/bin/sh\n" + force_command)
            os.chmod(script, 0o755)
            node.sshd_extra.append("ForceCommand " + script)
        if stall_at is not None:
            node.sshd_extra.append("Ciphers aes128-gcm@openssh.com")
        return node

    def ca_key(self, which="main"):
        """The private key of a host CA of this cluster (made once)."""
        path = os.path.join(self.dir, "host_ca_" + which)
        if not os.path.exists(path):
            keygen(path)
        return path

    def ca_line(self, which="main", hosts="*"):
        """known_hosts' @cert-authority line trusting a CA for hosts."""
        with open(self.ca_key(which) + ".pub") as f:
            return "@cert-authority %s %s\n" % (hosts, " ".join(f.read().split()[:2]))

    # -- files -------------------------------------------------------------

    def write_ssh_config(self, path=None, known_hosts=None, identity=None, extra=""):
        """Writes the ssh config (by default the cluster's own); a variant
        can name another known_hosts or client key."""
        keys = [] if identity == "" else [  # "": no key file (ssh-agent)
            "  IdentityFile %s" % (identity or self.client_key),
            "  IdentitiesOnly yes",
        ]
        common = keys + [
            "  User %s" % self.user,
            "  UserKnownHostsFile %s" % (known_hosts or self.known_hosts),
            "  GlobalKnownHostsFile /dev/null",
            "  StrictHostKeyChecking yes",
            "  BatchMode yes",
            "  LogLevel ERROR",
            "",
        ]
        lines = []
        for node in self.nodes.values():
            lines += ["Host %s" % node.name, "  HostName %s" % node.addr, "  Port %d" % PORT]
            lines += common
        # nodes named by address ([user@]127.x.y.z:port) get the same keys
        lines += ["Host %s.*" % self.net] + common
        with open(path or self.ssh_config, "w") as f:
            f.write("\n".join(lines) + extra)

    def write_known_hosts(self, path=None, skip=(), keys=None):
        """Writes known_hosts for every sshd node but those in skip;
        keys maps a node name to another public key file to list."""
        keys = keys or {}
        with open(path or self.known_hosts, "w") as f:
            for node in self.nodes.values():
                if node.kind != "sshd" or node.name in skip:
                    continue
                with open(keys.get(node.name, node.host_key + ".pub")) as pub:
                    key = " ".join(pub.read().split()[:2])
                f.write("[%s]:%d %s\n" % (node.addr, PORT, key))

    def _sshd_config(self, node):
        path = os.path.join(node.dir, "sshd_config")
        with open(path, "w") as f:
            f.write(
                "\n".join(
                    [
                        "ListenAddress %s:%d" % (node.addr, INNER_PORT if node.stall_at else PORT),
                        "HostKey %s" % node.host_key,
                        "PidFile none",
                        "AuthorizedKeysFile %s" % self.authorized_keys,
                        "StrictModes no",
                        "UsePAM no",
                        "PermitRootLogin prohibit-password",
                        "PasswordAuthentication no",
                        "KbdInteractiveAuthentication no",
                        # sshd's stock MaxStartups and MaxSessions, as on
                        # a real fleet; LogLevel INFO logs each login
                        "LogLevel INFO",
                    ]
                    + ["SetEnv %s=%s" % kv for kv in sorted(node.env.items())]
                    + node.sshd_extra
                    + [""]
                )
            )
        return path

    # -- processes ---------------------------------------------------------

    def _start_sshd(self, node):
        cfg = self._sshd_config(node)
        argv = []
        if node.cpus is not None:
            argv += ["taskset", "-c", node.cpus]
        # a mount namespace with its own home, and a host name of its own
        # (real nodes never share the controller's: anything keyed on it,
        # a marker, a report, behaves otherwise when they do)
        argv += [
            "unshare",
            "--mount",
            "--uts",
            "--propagation",
            "private",
            "sh",
            "-c",
            'hostname "$5" && mount --bind "$1" "$2" && exec "$3" -D -e -f "$4"',
            "sh",
            node.home,
            self.login_home,
            SSHD,
            cfg,
            node.hostname,
        ]
        log = open(os.path.join(node.dir, "sshd.log"), "wb")
        node.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        if node.memory_limit:
            node.cgroup = limit_memory(node.proc.pid, "pytest-cloud-%d-%s" % (os.getpid(), node.name),
                                       node.memory_limit)

    def _start_silent(self, node):
        node.proc = subprocess.Popen(
            [sys.executable, "-c", SILENT_LISTENER, node.addr, str(PORT), GREETINGS[node.kind],
             os.path.join(node.dir, "accepted")],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        node.proc.stdout.readline()

    def _start_stall_proxy(self, node):
        node.proxy = subprocess.Popen(
            [sys.executable, "-c", STALL_PROXY, node.addr, str(PORT), str(INNER_PORT), str(node.stall_at)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        node.proxy.stdout.readline()

    def _wait_listening(self, node, deadline):
        while time.monotonic() < deadline:
            if node.proc.poll() is not None:
                log = open(os.path.join(node.dir, "sshd.log"), errors="replace").read()
                raise RuntimeError("sshd for %s exited (status %s): %s" % (node.name, node.proc.returncode, log))
            try:
                port = INNER_PORT if node.stall_at else PORT
                with socket.create_connection((node.addr, port), timeout=1) as s:
                    if s.recv(4) == b"SSH-":
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("sshd for %s did not start" % node.name)

    def _note_namespace(self, node):
        try:
            node.namespace = os.readlink("/proc/%d/ns/mnt" % node.proc.pid)
        except OSError:
            node.namespace = None
        if node.namespace == os.readlink("/proc/self/ns/mnt"):
            node.namespace = None  # not unshared yet

    def processes(self, name, sessions_only=False):
        """(pid, command line) of every process of node name (in its mount
        namespace); sessions_only leaves out its listening sshd."""
        node = self.nodes[name]
        if node.namespace is None:
            self._note_namespace(node)
        if node.namespace is None:
            return []
        listener = node.proc.pid if node.proc is not None else None
        found = []
        for pid in self._namespace_pids({node.namespace}):
            if sessions_only and pid == listener:
                continue
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    found.append((pid, f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()))
            except OSError:
                continue
        return found

    def _signal_node(self, name, sig):
        for pid, _cmd in self.processes(name):
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def kill(self, name):
        """The node dies: SIGKILL to every process of it, listener too."""
        self._signal_node(name, signal.SIGKILL)
        node = self.nodes[name]
        if node.proc is not None:
            node.proc.wait()

    def freeze(self, name):
        """The node hangs (as behind a network partition): SIGSTOP to
        every process of it."""
        self._signal_node(name, signal.SIGSTOP)

    def thaw(self, name):
        self._signal_node(name, signal.SIGCONT)

    def restart(self, name):
        """Starts a killed node's sshd again, same address and keys."""
        node = self.nodes[name]
        if node.proc is not None and node.proc.poll() is None:
            return
        self._start_sshd(node)
        try:
            self._wait_listening(node, time.monotonic() + 20)
        except RuntimeError as first:
            # once, on a loaded machine, a restarted sshd exited at once
            # without a word (CI, test_masters): start it once more, and
            # say both when that fails too
            if node.proc.poll() is None:
                raise
            self._start_sshd(node)
            try:
                self._wait_listening(node, time.monotonic() + 20)
            except RuntimeError as second:
                raise RuntimeError("%s; started again: %s" % (first, second))
        self._note_namespace(node)

    def start(self):
        self.write_ssh_config()
        self.write_known_hosts()
        for node in self.nodes.values():
            if node.kind == "sshd":
                self._start_sshd(node)
                if node.stall_at:
                    self._start_stall_proxy(node)
            elif node.kind in GREETINGS:
                self._start_silent(node)
        holes = [n.addr for n in self.nodes.values() if n.kind == "blackhole"]
        if holes:
            self.blackholes = subprocess.Popen([sys.executable, "-c", BLACKHOLES, str(PORT)] + holes,
                                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
            self.blackholes.stdout.readline()
        deadline = time.monotonic() + 20
        for node in self.nodes.values():
            if node.kind == "sshd":
                self._wait_listening(node, deadline)
                self._note_namespace(node)
        return self

    def _namespace_pids(self, namespaces):
        """Pids of every process in one of the given mount namespaces."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/ns/mnt" % entry) in namespaces:
                    found.append(int(entry))
            except OSError:
                continue
        return found

    def stop(self):
        """Stops every node: each sshd by its pid, then every process left
        in a node's own mount namespace (its sessions) by pid."""
        namespaces = {node.namespace for node in self.nodes.values() if node.namespace}
        namespaces.discard(os.readlink("/proc/self/ns/mnt"))
        for node in self.nodes.values():
            if node.namespace:
                self.thaw(node.name)  # a frozen node's processes must see SIGTERM
        for node in self.nodes.values():
            if node.proxy is not None:
                node.proxy.kill()
                node.proxy.wait()
                node.proxy.stdout.close()
                node.proxy = None
            proc, node.proc = node.proc, None
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
        if self.blackholes is not None:
            self.blackholes.kill()
            self.blackholes.wait()
            self.blackholes.stdout.close()
            self.blackholes = None
        deadline = time.monotonic() + 5
        while namespaces and time.monotonic() < deadline:
            left = self._namespace_pids(namespaces)
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL if time.monotonic() > deadline - 3 else signal.SIGTERM)
                except OSError:
                    pass
            time.sleep(0.05)
        for node in self.nodes.values():
            if node.cgroup:
                remove_cgroup(node.cgroup)
                node.cgroup = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()  # what did start is stopped, by pid
            raise

    def __exit__(self, *exc):
        self.stop()

    def clear_homes(self):
        """Empties every home; the folder itself stays, since each node's
        namespace has it bind-mounted."""
        for node in self.nodes.values():
            if not os.path.isdir(node.home):
                continue
            for name in os.listdir(node.home):
                path = os.path.join(node.home, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)


def master_pid(path, timeout=5):
    """The pid of the master listening at path (OpenSSH's control protocol:
    hello, then MUX_C_ALIVE_CHECK), or None when none answers."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(path)
            s.sendall(struct.pack(">IIIIII", 8, 1, 4, 8, 0x10000004, 1))
            data = b""
            while len(data) < 28:
                chunk = s.recv(64)
                if not chunk:
                    return None
                data += chunk
    except OSError:
        return None
    hello_len = struct.unpack(">I", data[:4])[0]
    reply = data[4 + hello_len:]
    if len(reply) < 16:
        return None
    _n, kind, _rid, pid = struct.unpack(">IIII", reply[:16])
    return pid if kind == 0x80000005 else None
