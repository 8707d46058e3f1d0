import ast, array, os, random, selectors, signal, socket, sys, threading

d, args = sys.argv[1], sys.argv[2:]
parent = os.getppid()


def say(name, text):
    with open(os.path.join(d, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name))


if sys.platform != "linux" or not hasattr(os, "fork"):
    say("fallback", "no fork without exec on this platform (%s)" % sys.platform)
    sys.exit(0)
import pytest


class Ids:
    ids = None

    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]


def collect(cache="cache"):
    found = Ids()
    pytest.main(args + ["--collect-only", "-q", "-o", "cache_dir=" + os.path.join(d, cache)],
                plugins=[found])
    sys.stdout.flush()
    sys.stderr.flush()
    return found.ids


def start_afresh():
    server = os.getpid()
    # what another fresh worker would collect: a child that imports the
    # project's modules itself, forked before this process imports them,
    # and so beside this process's own collection rather than after it
    # (on a node with a core to spare, the check costs no time)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:  # it ends with this process (killed at its bound, say)
            import ctypes
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != server:
            os._exit(1)
        os.write(w, repr(collect("cache-afresh")).encode("utf-8"))
        os._exit(0)
    os.close(w)
    return pid, r


def afresh_ids(pid, r):
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    try:
        return ast.literal_eval(b"".join(chunks).decode("utf-8"))
    except (ValueError, SyntaxError):
        return None


# the suite imported and collected once, as a worker would (its cache in
# this folder: nothing of the node's copy is written)
afresh = start_afresh()
first = collect()
threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
if threads:
    os.kill(afresh[0], signal.SIGKILL)
    say("fallback", "the suite started a thread while it was imported (%s): a fork would not have it"
        % ", ".join(sorted(threads)[:3]))
    sys.exit(0)
# forks share one import: a collection that differs from one import to the
# next (random parameters at import) would no longer differ between the
# workers, and xdist would not see it; such a suite starts fresh workers
if afresh_ids(*afresh) != first:
    say("fallback", "the suite collects other tests when it is imported again (random or changing "
        "parameters?): fresh workers, so that xdist compares their collections")
    sys.exit(0)
# what is imported stays out of the children's garbage collections: a
# collection would touch every object, and so copy every page of it
import gc
gc.collect()
gc.freeze()
listener = socket.socket(socket.AF_UNIX)
listener.bind(os.path.join(d, "s"))
listener.listen(256)
say("ready", "%d modules" % len(sys.modules))


def child(conn, fds, argv):
    listener.close()
    for k, fd in enumerate(fds[:3]):
        os.dup2(fd, k)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.environ.pop("PYTEST_CLOUD_FORK_SERVER", None)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    random.seed()  # seeds of its own, as a fresh python's

    def client_gone():
        try:
            conn.recv(1)
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=client_gone, name="pytest-cloud-client", daemon=True).start()
    code = argv[argv.index("-c") + 1]
    sys.argv = ["-c"] + argv[argv.index("-c") + 2:]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    sys.exit(0)


# A client sends its request (its pipes and argv) as soon as it connects;
# one that says nothing for RECEIVE_BOUND seconds is dropped.  Clients are
# served independently: the listener and every connection that has not
# sent yet wait in one selector, so a silent client holds up no other.
RECEIVE_BOUND = 30
import time


def receive(conn):
    """(fds, argv) of a client's request, read from conn without waiting
    (it is readable); raises for a client that went or sent something
    else, closing the descriptors it passed."""
    fds = array.array("i")
    data, ancdata, _flags, _addr = conn.recvmsg(65536, socket.CMSG_LEN(8 * fds.itemsize))
    for level, kind, raw in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(raw[:len(raw) - (len(raw) % fds.itemsize)])
    try:
        return list(fds), ast.literal_eval(data.decode("utf-8"))["argv"]
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def accept(waiting):
    """Every client waiting on the listener, into waiting (conn ->
    deadline) and the selector."""
    while True:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # out of file descriptors, say: the next round
            return
        conn.setblocking(False)
        waiting[conn] = time.monotonic() + RECEIVE_BOUND
        selector.register(conn, selectors.EVENT_READ)


def serve(conn, waiting, children):
    """A client whose request came: a child for it, or it is dropped."""
    selector.unregister(conn)
    waiting.pop(conn)
    try:
        fds, argv = receive(conn)
    except Exception:  # it went, or sent what no client sends
        conn.close()
        return
    conn.setblocking(True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        selector.close()
        # the child holds no other client's connection: each ends when
        # its own client and the server are done with it
        for other in list(waiting) + list(children.values()):
            other.close()
        child(conn, fds, argv)
    for fd in fds:
        os.close(fd)
    children[pid] = conn


def drop_silent(waiting):
    """Closes the connections that sent nothing within RECEIVE_BOUND."""
    now = time.monotonic()
    for conn, deadline in list(waiting.items()):
        if now >= deadline:
            selector.unregister(conn)
            waiting.pop(conn)
            conn.close()


children = {}
waiting = {}
selector = selectors.DefaultSelector()
listener.setblocking(False)
selector.register(listener, selectors.EVENT_READ)
while os.getppid() == parent:
    for key, _events in selector.select(0.2):
        if key.fileobj is listener:
            accept(waiting)
        elif key.fileobj in waiting:
            serve(key.fileobj, waiting, children)
    drop_silent(waiting)
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        conn = children.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(b"%d" % (os.waitstatus_to_exitcode(status) & 0xff))
            except OSError:
                pass
            conn.close()
listener.close()
import shutil
shutil.rmtree(d, ignore_errors=True)
