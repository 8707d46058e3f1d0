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
import importlib, importlib.machinery, site, sysconfig, types
import pytest

# What the workers share: the modules this process imports, once, with no
# hook of pytest run.  A child forked before the suite is imported (the
# scout) collects it as a worker would and says what that imported; this
# process imports those modules, less the ones each worker imports itself
# (each_worker): the test modules, conftests and plugins pytest rewrites,
# whose hooks and state are each worker's own, and, when coverage
# measures the run, the project's modules and whatever it measures, whose
# import each worker measures.


def loader_kind(module):
    """The name of the type of the loader that loaded module."""
    loader = getattr(getattr(module, "__spec__", None), "loader", None) or getattr(module, "__loader__", None)
    return type(loader).__name__


def places(module):
    """The files and folders module was loaded from, real paths."""
    found = [getattr(module, "__file__", None)] + list(getattr(module, "__path__", None) or [])
    return [os.path.realpath(p) for p in found if isinstance(p, str)]


class Scout:
    """The scout's collection: the modules it imported (in order), the
    project root, the environment and sys.path it ended with, and, when
    pytest-cov measures the run, what coverage measured.  pytest-cov
    itself is told not to measure: its data and reports would be written
    on the node."""

    def __init__(self):
        self.before = set(sys.modules)
        self.found = {"root": None, "environ": None, "path": None, "cover": None, "measured": None}
        self.cov = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_load_initial_conftests(self, early_config):
        # before pytest-cov's own (tryfirst) decides what it measures, and
        # before the conftests are imported, as a worker's coverage would
        ns = early_config.known_args_namespace
        source = getattr(ns, "cov_source", None)
        if source and not getattr(ns, "no_cov", False):
            setattr(ns, "no_cov", True)
            self.found["cover"] = "started"
            try:
                import coverage
                self.cov = coverage.Coverage(
                    source=None if True in source else [s for s in source if s is not True],
                    branch=getattr(ns, "cov_branch", None), config_file=getattr(ns, "cov_config", True),
                    data_file=None)
                self.cov.start()
            except Exception as exc:
                self.found["cover"] = "coverage did not start: %s" % (str(exc).strip() or type(exc).__name__)
        yield

    def pytest_collection_finish(self, session):
        self.found.update(root=str(session.config.rootpath), environ=dict(os.environ), path=list(sys.path))

    def write(self):
        if self.cov is not None:
            self.cov.stop()
            self.found["measured"] = sorted(os.path.realpath(p) for p in self.cov.get_data().measured_files())
        self.found["modules"] = [(name, loader_kind(m), places(m)) for name, m in list(sys.modules.items())
                                 if name not in self.before and isinstance(m, types.ModuleType)]
        with open(os.path.join(d, "scout.tmp"), "w") as f:
            f.write(repr(self.found))
        os.rename(os.path.join(d, "scout.tmp"), os.path.join(d, "scout"))


def scout():
    """The suite collected once, as a worker would, in a child forked
    before it is imported (its cache in this folder: nothing of the node's
    copy is written); what it found (Scout), or why there is nothing."""
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            try:  # it ends with this process (killed at its bound, say)
                import ctypes
                ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            except (OSError, AttributeError):
                pass
            if os.getppid() == server:
                found = Scout()
                try:
                    pytest.main(args + ["--collect-only", "-q", "-o", "cache_dir=" + os.path.join(d, "cache")],
                                plugins=[found])
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    found.write()
                code = 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    try:
        with open(os.path.join(d, "scout")) as f:
            return ast.literal_eval(f.read())
    except (OSError, ValueError, SyntaxError):
        return "its collection ended without saying what it imported (exit %d)" % os.waitstatus_to_exitcode(status)


def outside_project():
    """Where the interpreter's own and installed modules are (a virtualenv
    inside the project is no part of it)."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    found.update(sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    found.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    return [os.path.realpath(p) for p in found if p]


def under(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def each_worker(found):
    """A test (name, loader, places) -> whether each worker imports that
    module itself."""
    root = os.path.realpath(found["root"]) if found["root"] else None
    outside = outside_project()
    measured = set(found["measured"] or ())

    def project(paths):
        return root is not None and any(under(p, root) and not any(under(p, o) for o in outside) for p in paths)

    def own(name, kind, paths):
        if kind == "AssertionRewritingHook":  # pytest's rewriting: tests, conftests, plugins
            return True
        return found["cover"] is not None and (project(paths) or bool(measured.intersection(paths)))
    return own


def preload(modules, found):
    """Imports modules ([(name, loader)], in the scout's order) with the
    environment and sys.path the scout's collection ended with (a
    conftest may set what an import reads), then puts both back.  A
    module that does not import here, or not as the scout imported it, is
    left to each worker."""
    environ, path = dict(os.environ), list(sys.path)
    os.environ.update(found["environ"] or {})
    sys.path[:] = found["path"] or path
    try:
        for name, kind in modules:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:
                continue
            except SystemExit:
                continue
            if name in sys.modules and loader_kind(sys.modules[name]) != kind:
                del sys.modules[name]
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.path[:] = path


found = scout()
if not isinstance(found, dict):
    say("fallback", found)
    sys.exit(0)
if found["cover"] not in (None, "started"):
    say("fallback", found["cover"])
    sys.exit(0)
own = each_worker(found)
preload([(name, kind) for name, kind, paths in found["modules"] if not own(name, kind, paths)], found)
threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
if threads:
    say("fallback", "the suite started a thread while it was imported (%s): a fork would not have it"
        % ", ".join(sorted(threads)[:3]))
    sys.exit(0)
# a module each worker imports itself, imported here by another one: the
# workers would share it (its import unmeasured, its state one for all)
leaked = sorted(name for name, kind, paths in found["modules"] if own(name, kind, paths) and name in sys.modules)
if leaked:
    say("fallback", "importing the suite imported %s%s, which each worker imports itself%s" % (
        ", ".join(leaked[:3]), " and others" if len(leaked) > 3 else "",
        " (coverage measures it)" if found["cover"] else ""))
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
    run_as_fresh(argv)
    sys.exit(0)


def run_as_fresh(argv):
    """Runs execnet's bootstrap line as `python -c` would, argv being the
    client's command line less its own part ([python, ..., "-c", line,
    ...]): sys.argv, sys.orig_argv, sys.path[0] and a __main__ of its
    own, so that what starts python again (multiprocessing's spawn and
    forkserver) starts it as from a fresh worker, not this file."""
    code = argv[argv.index("-c") + 1]
    sys.argv = ["-c"] + argv[argv.index("-c") + 2:]
    if hasattr(sys, "orig_argv"):
        sys.orig_argv = list(argv)
    sys.path[:] = ["" if p == d else p for p in sys.path]
    main = types.ModuleType("__main__")
    main.__loader__ = importlib.machinery.BuiltinImporter
    main.__annotations__ = {}
    main.__builtins__ = sys.modules["builtins"]
    sys.modules["__main__"] = main
    exec(compile(code, "<string>", "exec"), main.__dict__)


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
