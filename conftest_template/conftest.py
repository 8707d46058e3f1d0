"""pytest-cloud: run this project's tests on SSH nodes with pytest-xdist.

``pytest-cloud init`` puts this file into the project root: as
``conftest.py`` when the project has none, else as the plugin module
``pytest_cloud_plugin.py``, loaded from the project's own conftest.py by
``pytest_plugins = ["pytest_cloud_plugin"]``.  It updates the file when
the helper is newer; edits made here are lost then.  (Copying it by hand
as ``conftest.py`` works too.)  List the nodes in the ini file and run
``pytest``:

    [pytest]
    cloud_nodes = user@node1 user@node2

On the controller this conftest runs the ``pytest-cloud`` helper, which
probes the nodes over SSH, plans the test processes and copies the project
(with its virtualenv) to every usable node.  The helper's plan gives each
node one execnet proxy gateway (one SSH connection, with keepalives) and
each test process a pytest-xdist worker that the proxy starts on the node
(``popen//via=``).  This file brings the gateways up in parallel, hands the
workers to xdist (``--dist load`` unless the user chose a mode), and
looks after the run: a node that dies or stops answering is left out, its
pending tests go to the other nodes, and the test it was running is run
again once elsewhere.  On the workers it points pytest at the test paths
of the command line, relative to the project root.

The helper is found from, in order: the PYTEST_CLOUD_HELPER environment
variable, the ``cloud_helper`` ini key, ``pytest-cloud`` on PATH.

Options on pytest's command line must be written ``--cloud-x=value``:
pytest only knows them once it has loaded this file.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import pytest

# The pytest-cloud release this file came with.  The helper refuses a file
# of another contract (major.minor) and warns about another patch level;
# pytest-cloud init writes and updates it.
PYTEST_CLOUD_VERSION = "0.2.0"

# (option name, help, takes several); each --cloud-NAME also has the ini
# key cloud_NAME and the environment variable PYTEST_CLOUD_NAME, which the
# helper reads itself.  The helper's option table (helper/opts.c) is the
# source: tests/pyunit/test_options.py fails when this list disagrees.
_OPTIONS = (
    ("node", "a node to run tests on, [user@]host[:port]; repeatable", True),
    ("nodes", "space-separated nodes to run tests on; repeatable", True),
    ("python", "python on the nodes, used when no virtualenv is synced", False),
    ("chdir", "folder on the nodes, relative to the remote home, that receives the project", False),
    ("virtualenv-path", "virtualenv inside the project root that the workers use", False),
    ("mem-per-process", "MiB of available memory each test process needs", False),
    ("max-processes", "most test processes on one node", False),
    ("rsync-bandwidth-limit", "KB/s for each rsync; 0 means no limit", False),
    ("rsync-max-processes", "most rsync processes at once", False),
    ("rsync-cipher", "ssh cipher for rsync", False),
    ("ssh-config", "OpenSSH client config for every SSH connection of the run", False),
    ("connect-timeout", "seconds to set up each SSH connection", False),
    ("max-connections", "most SSH connections being set up at once", False),
    ("keepalive", "seconds of silence after which a node is lost", False),
    ("sync-timeout", "seconds each node's copy may take, and again its steps after the copy", False),
    ("lock-timeout", "seconds to wait for another run that uses the node's CHDIR; 0: do not wait", False),
    ("report", "JSON file the conftest writes at the end of the run: the plan, lost nodes and "
     "re-run tests", False),
    ("schedule", "the order tests are handed out in when no --dist is given: durations "
     "(longest first, from earlier runs) or collection", False),
    ("copy-python", "copy the virtualenv's interpreter to a node that has no python of its "
     "version: yes or no", False),
)

# (ini key, help, type): "args" reads as a list both from ini text and
# from pytest 9's native TOML arrays
_INI_ONLY = (
    ("cloud_develop_eggs", "packages installed in development mode on the nodes", "args"),
    ("cloud_rsync_dirs", "the only folders copied (plus what the workers need)", "args"),
    ("cloud_rsync_ignore", "paths not copied", "args"),
    ("cloud_helper", "helper binary the conftest runs", None),
)
_LIST_OPTIONS = {"nodes"}

# pytest's cache keys that decide what --lf/--ff/--nf/--sw select; the
# workers get the controller's values (their copies have no cache).
_SELECTION_CACHE_KEYS = ("cache/lastfailed", "cache/stepwise", "cache/nodeids")


def _dest(name):
    return "cloud_" + name.replace("-", "_")


def pytest_addoption(parser):
    group = parser.getgroup("cloud", "pytest-cloud: distributed run on SSH nodes")
    for name, help_text, several in _OPTIONS:
        group.addoption(
            "--cloud-" + name,
            dest=_dest(name),
            action="append" if several else "store",
            default=None,
            metavar="VALUE",
            help=help_text + " (write --cloud-%s=VALUE)" % name,
        )
        if name != "node":
            parser.addini(_dest(name), help_text, type="args" if name in _LIST_OPTIONS else None)
    group.addoption(
        "--no-cloud",
        dest="cloud_off",
        action="store_true",
        default=False,
        help="run here, ignoring the cloud settings",
    )
    for key, help_text, kind in _INI_ONLY:
        parser.addini(key, help_text, type=kind)


def _xdist_version():
    try:
        import xdist
    except ImportError:
        return None
    parts = []
    for word in str(getattr(xdist, "__version__", "0")).split(".")[:2]:
        digits = "".join(c for c in word if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _requested(config):
    """True when nodes are configured in any source and the run is not
    local on purpose (--no-cloud, xdist's -n N for local workers, or -n 0
    where the installed xdist reads it as "no distribution")."""
    opt = config.option
    configured = bool(
        opt.cloud_node
        or opt.cloud_nodes
        or os.environ.get("PYTEST_CLOUD_NODES")
        or config.getini("cloud_nodes")
    )
    if not configured or opt.cloud_off:
        return False
    numprocesses = getattr(opt, "numprocesses", None)
    if numprocesses == 0 and (_xdist_version() or (0,)) >= (3, 6):
        sys.stderr.write("pytest-cloud: -n 0 turns distribution off (pytest-xdist %s): "
                         "the tests run here, the cloud nodes are not used\n"
                         % ".".join(map(str, _xdist_version())))
        return False
    if numprocesses:
        sys.stderr.write("pytest-cloud: -n/--numprocesses asks for local workers: "
                         "the cloud nodes are not used in this run\n")
        return False
    return True


def _find_helper(config):
    from_env = os.environ.get("PYTEST_CLOUD_HELPER")
    if from_env:
        return from_env
    from_ini = config.getini("cloud_helper")
    if from_ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return str(base / from_ini)
    import shutil

    found = shutil.which("pytest-cloud")
    if found:
        return found
    raise pytest.UsageError(
        "pytest-cloud: helper 'pytest-cloud' not found: set "
        "PYTEST_CLOUD_HELPER or cloud_helper, or put it on PATH"
    )


def _helper_argv(config, helper):
    """The helper's command line: what only pytest knows."""
    argv = [helper]
    for name, _help, several in _OPTIONS:
        value = getattr(config.option, _dest(name))
        if value is None:
            continue
        for item in value if several else [value]:
            argv.append("--cloud-%s=%s" % (name, item))
    argv.append("--rootdir=%s" % config.rootpath)
    if config.inipath is not None:
        argv.append("--inifile=%s" % config.inipath)
    else:
        argv.append("--no-inifile")
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        argv.append("--interpreter-prefix=%s" % sys.prefix)
    argv.append("--hold")
    argv.append("--gateway-check")
    argv.append("--conftest-version=%s" % PYTEST_CLOUD_VERSION)
    argv.append("--conftest=%s" % os.path.abspath(__file__))
    return argv


class _Helper:
    """The helper process.  Its progress (stderr) is shown as it comes;
    its plan (stdout, one JSON document of any size) is read meanwhile.
    With --hold it then keeps each node's CHDIR locked for this run until
    its stdin closes (release()), or until this process dies."""

    def __init__(self, config):
        self.argv = _helper_argv(config, _find_helper(config))
        self.errors = []
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=str(config.invocation_params.dir),
            )
        except OSError as exc:
            raise pytest.UsageError("pytest-cloud: cannot run %s: %s" % (self.argv[0], exc))
        self.pump = threading.Thread(target=self._show_progress, daemon=True)
        self.pump.start()

    def _show_progress(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            sys.stderr.write(line)
            sys.stderr.flush()
            if ": error: " in line:
                self.errors.append(line.strip())

    def plan(self):
        """The plan; raises UsageError (after the helper ended) when there
        is none or it has no test process."""
        try:
            out = self.proc.stdout.read()
        except BaseException:  # Ctrl-C or SIGTERM while it probes or syncs
            self.stop()
            raise
        self.proc.stdout.close()
        try:
            plan = json.loads(out.decode("utf-8")) if out.strip() else None
        except ValueError as exc:
            self.release()
            raise pytest.UsageError("pytest-cloud: helper printed no JSON: %s" % exc)
        if plan is None or not plan.get("tx"):
            status = self.release()
            raise pytest.UsageError(
                "\n".join(self.errors) or "pytest-cloud: helper exited with status %s" % status
            )
        return plan

    def stop(self):
        """Stops the helper now (it stops its rsync and ssh children)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.release()

    def release(self):
        """Ends the helper's hold and waits for it; returns its status."""
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.pump.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if not stream.closed:
                stream.close()
        return status


def _remote_args(config):
    """The test paths of this run, relative to the project root (the
    workers' folder), keeping any ::node-id part."""
    rootdir = str(config.rootpath)
    here = str(config.invocation_params.dir)
    result = []
    for arg in config.args:
        path, sep, rest = str(arg).partition("::")
        full = os.path.normpath(os.path.join(here, path))
        if not os.path.exists(full):
            result.append(str(arg))
            continue
        rel = os.path.relpath(full, rootdir)
        if rel == ".." or rel.startswith(".." + os.sep):
            raise pytest.UsageError(
                "pytest-cloud: test path '%s' is outside the project root "
                "'%s', which is all the nodes have" % (arg, rootdir)
            )
        result.append(rel + sep + rest)
    return result


def _args_for_workers(config):
    """pytest's own command line as the workers should get it: they run in
    the node's copy of the project root.  The test paths reach them through
    ``cloud_args`` and are left out here; so is --rootdir (their folder is
    the project root).  Any other argument that names an existing path
    inside the project root, -c's file among them, becomes relative to it.
    """
    here = str(config.invocation_params.dir)
    root = str(config.rootpath)
    positional = {str(a) for a in config.args}

    def rooted(arg):
        path, sep, rest = arg.partition("::")
        full = os.path.normpath(os.path.join(here, path))
        rel = os.path.relpath(full, root)
        if not os.path.exists(full) or rel == ".." or rel.startswith(".." + os.sep):
            return arg
        return rel + sep + rest

    args = [str(a) for a in config.invocation_params.args]
    result = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg in positional or arg.startswith("--rootdir="):
            continue
        if arg == "--rootdir":
            i += 1
            continue
        if arg in ("-c", "--config-file") and i < len(args):
            result += [arg, rooted(args[i])]
            i += 1
            continue
        result.append(arg if arg.startswith("-") else rooted(arg))
    return result


def _spec_field(spec, key):
    for part in spec.split("//"):
        if part.startswith(key + "="):
            return part[len(key) + 1:]
    return None


def _ssh_children(words):
    """Pids of this process's children that run ssh with the given words
    in a row on their command line (Linux /proc; elsewhere none)."""
    found = []
    me = str(os.getpid())
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            if stat[stat.rindex(")") + 2:].split()[1] != me:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")
        except (OSError, ValueError, IndexError):
            continue
        if not argv or os.path.basename(argv[0]) != "ssh":
            continue
        n = len(words)
        if any(argv[k:k + n] == words for k in range(len(argv) - n + 1)):
            found.append(int(entry))
    return found


def _kill_ssh(spec):
    for pid in _ssh_children(spec.ssh.split()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _in_parallel(make, items, bound, on_timeout):
    """Calls make(item) for every item at once; returns {index: result or
    exception}.  An item not done within bound seconds gets on_timeout(item)
    (which must make it fail fast) and TimeoutError as its result."""
    results = {}

    def run(k, item):
        try:
            results[k] = make(item)
        except Exception as exc:  # reported by the caller
            results.setdefault(k, exc)

    threads = [threading.Thread(target=run, args=(k, item), daemon=True) for k, item in enumerate(items)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + bound
    for k, thread in enumerate(threads):
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            results[k] = TimeoutError("not up within %ds" % bound)
            on_timeout(items[k])
    for thread in threads:
        thread.join(10)
    return results


# Runs in each proxy gateway: when its connection to the controller ends,
# the proxy ends at once, and so its workers' input closes.
_PROXY_WATCHDOG = """
import os
try:
    channel.receive()
except BaseException:
    pass
os._exit(0)
"""


# --- longest tests first ---------------------------------------------------
#
# The durations of earlier runs live in pytest's cache (key cloud/durations:
# {test id: seconds}).  A test's value is setup + call + teardown; each run
# moves it half way to what was measured (a smoothed value: one slow or fast
# run does not swing it).  Pure functions, tested on their own.

DURATIONS_KEY = "cloud/durations"


def merge_durations(old, ran, keep=lambda test: True):
    """The durations to store after a run: each test that ran gets the mean
    of its earlier value and this run's; the others keep theirs when
    keep(test) says so (their file is still there).  Values that are not
    numbers (a cache written by something else) are dropped."""
    merged = {}
    for test, seconds in (old or {}).items() if isinstance(old, dict) else ():
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds >= 0 and keep(test):
            merged[test] = float(seconds)
    for test, seconds in ran.items():
        merged[test] = round(seconds if test not in merged else (merged[test] + seconds) / 2, 6)
    return merged


def expected_times(tests, durations):
    """Each test's expected time: its recorded duration, or the median of
    the recorded ones when it has none (0 when nothing is recorded); and
    how many had one."""
    known = [durations[t] for t in tests if t in durations]
    median = statistics.median(known) if known else 0.0
    return [durations.get(t, median) for t in tests], len(known)


def longest_first(tests, durations):
    """The indices of tests, longest expected first; ties keep their
    collection order."""
    times, _ = expected_times(tests, durations)
    return sorted(range(len(tests)), key=lambda i: -times[i])


def estimate(tests, durations, workers, order=None):
    """(seconds, tests with a recorded duration, longest test): the run's
    expected time on workers when the tests go out in order (indices;
    collection order by default), each to the worker that is free first.
    Never under sum / workers nor under the longest test."""
    import heapq

    times, known = expected_times(tests, durations)
    if not times or workers < 1:
        return 0.0, known, 0.0
    free = [0.0] * min(workers, len(times))
    for i in order if order is not None else range(len(times)):
        heapq.heapreplace(free, free[0] + times[i])
    return max(free), known, max(times)


def _longest_first_scheduler(durations):
    """xdist's load scheduling with the pending tests sorted, longest
    first, before the first ones go out; the rest is load's (every test
    once, work to idle workers, a lost worker's tests back to pending)."""
    from xdist.scheduler import LoadScheduling

    class LongestFirstScheduling(LoadScheduling):
        _ordered = False

        def _send_tests(self, node, num):
            if not self._ordered:
                self._times, _ = expected_times(self.collection, durations)
                rank = {i: r for r, i in enumerate(longest_first(self.collection, durations))}
                self.pending.sort(key=rank.__getitem__)
                self._long = 2 * statistics.median(self._times) if self._times else 0
                self._ordered = True
            if self.pending and self._times[self.pending[0]] > self._long:
                # nothing more waits behind a long test than the one a
                # worker must know to start it
                num = min(num, 2)
            super()._send_tests(node, num)

    return LongestFirstScheduling


class _NodeAlias:
    """A worker node seen by report consumers: attributes of the real one,
    but equal to (and hashed as) another.  junit keys its test cases by
    (test, worker): a re-run test's reports are filed with its first
    attempt's, so junit shows it once."""

    def __init__(self, real, key):
        self._real = real
        self._key = key

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __eq__(self, other):
        return other == self._key

    def __hash__(self):
        return hash(self._key)


class _RerunLost:
    """Wraps the scheduler the user's --dist chose; everything not below
    is the wrapped scheduler's.

    A lost node's pending tests go back to the others (the wrapped
    scheduler does that), and the test it was running goes back too, once:
    it is reported as crashed only when it is running on a lost node a
    second time.  xdist lets a worker go as soon as nothing is left to hand
    out; when a lost node's tests come back and every surviving worker is
    already going, the run asks for a replacement worker on a surviving
    node (see _CloudRun.clone_node)."""

    def __init__(self, inner, run):
        self.__dict__.update(_inner=inner, _run=run)

    @property
    def __class__(self):  # what xdist shows and checks is the user's choice
        return type(self._inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __setattr__(self, name, value):
        setattr(self._inner, name, value)

    def add_node(self, node):
        send = node.sendcommand

        def sendcommand(name, **kwargs):
            """A worker of ours whose connection is gone (its down event
            not handled yet): what is sent to it stays on its books in the
            scheduler and comes back when it is removed."""
            try:
                return send(name, **kwargs)
            except (OSError, ValueError):
                if self._run.gateway_of(node) is None:
                    raise

        node.sendcommand = sendcommand
        self._inner.add_node(node)

    def schedule(self):
        if not self.__dict__.get("_announced"):
            self.__dict__["_announced"] = True
            self._run.scheduling(self._inner)
        self._inner.schedule()

    def _unassigned(self):
        """Tests waiting for a worker (load, worksteal: pending; the scope
        schedulers: workqueue)."""
        for name in ("pending", "workqueue"):
            waiting = getattr(self._inner, name, None)
            if waiting is not None:
                return len(waiting)
        return 0

    def remove_node(self, node):
        lost = self._run.gateway_of(node) in self._run.lost
        if lost and node not in getattr(self._inner, "node2collection", {node: None}):
            self._collection_lost()
        before = self._pending_of(node)
        crashed = self._rerun(node, self._inner.remove_node(node), before)  # KeyError: never added
        if lost and self._unassigned() and not any(not other.shutting_down for other in self._inner.nodes):
            self._run.replacements_wanted += 1
        return crashed

    def _collection_lost(self):
        """A worker is lost before its collection came.  xdist waits for as
        many collections as the run had workers; this one will not come,
        and nothing else would start the scheduling."""
        if getattr(self._inner, "numnodes", 0) > 0:
            self._inner.numnodes -= 1
        if getattr(self._inner, "collection", 0) is None and self._inner.nodes \
                and self._inner.collection_is_completed:
            self._inner.schedule()

    def _pending_of(self, node):
        """The tests sent to node and not finished, in order, as xdist's
        books have them (load, worksteal: node2pending; scope schedulers:
        assigned_work)."""
        inner = self._inner
        collection = getattr(inner, "collection", None) or []
        pending = getattr(inner, "node2pending", None)
        if pending is not None:
            return [collection[i] for i in pending.get(node, ()) if i < len(collection)]
        work = getattr(inner, "assigned_work", None) or {}
        return [test for unit in work.get(node, {}).values() for test, done in unit.items() if not done]

    def _rerun(self, node, crashed, before):
        """xdist takes the first of a lost worker's pending tests for the one
        it was running.  Messages in flight are lost with the node, so that
        test may have finished (its last report came, its end did not reach
        xdist's books), and the one really running may have sent nothing.
        The reports say which it was: the test whose setup report came and
        whose teardown report did not; else the first of its pending tests
        whose last report did not come."""
        run = self._run
        gateway = run.gateway_of(node)
        running = run.running.pop(node, None)
        if gateway not in run.lost:
            return crashed
        victim = running or next((test for test in before if test not in run.done), None)
        if crashed is not None and crashed != victim and crashed not in run.done:
            self._again(crashed)  # popped by xdist, not finished: back it goes
        if victim is None:
            return None
        attempts = run.crashes.setdefault(victim, [])
        attempts.append((gateway, node))
        if run.each:
            run.not_run_on[gateway] = run.not_run_on.get(gateway, 0) + 1
            return None  # every node runs every test: nothing to move
        if len(attempts) > 1:
            if victim != crashed:
                self._take_back(victim)
            return victim  # xdist reports it (see pytest_handlecrashitem)
        if victim == crashed:
            self._again(victim)
        return None

    def _again(self, test):
        try:
            self._inner.mark_test_pending(test)
        except NotImplementedError:
            pass  # scope schedulers put the whole unfinished scope back

    def _take_back(self, test):
        """test is not to run again: out of the tests waiting for a worker
        (load, worksteal: indices in pending; scope schedulers: a work
        unit's entry marked done)."""
        inner = self._inner
        collection = getattr(inner, "collection", None) or []
        pending = getattr(inner, "pending", None)
        if pending is not None and test in collection:
            index = collection.index(test)
            while index in pending:
                pending.remove(index)
        for unit in (getattr(inner, "workqueue", None) or {}).values():
            if test in unit:
                unit[test] = True


class _Standin:
    """What xdist's _clone_node reads of a worker: its gateway's spec."""

    def __init__(self, spec):
        self.gateway = self
        self.spec = spec


class _CloudRun:
    """Hands the helper's plan to pytest-xdist on the controller and looks
    after the run."""

    def __init__(self, config, plan, helper, dist_defaulted=False):
        self.config = config
        self.plan = plan
        self.helper = helper
        self.dist_defaulted = dist_defaulted
        self.durations = None  # of earlier runs; None: pytest's cache is off
        self.longest_first = False
        self.ran = {}  # test id -> seconds this run (setup + call + teardown)
        self.timed = set()  # tests whose teardown report came
        self.expected = None  # the estimate said before the run
        self.expected_tests = 0
        self.sched_started = None
        self.tests_ended = None
        self.rootpath = config.rootpath
        self.proxies = {_spec_field(s, "id"): s for s in plan.get("px", [])}
        self.workers = {_spec_field(s, "id"): _spec_field(s, "via") for s in plan["tx"]}
        timeout = int(plan.get("connect_timeout", 10))
        keepalive = int(plan.get("keepalive", 15))
        interval, count = max(1, keepalive // 4), 3
        if keepalive < 4:
            interval, count = 1, max(1, keepalive - 1)
        self.connect_timeout = timeout
        self.keepalive = keepalive
        self.ssh_options = (
            "-o ConnectTimeout=%d -o BatchMode=yes -o ServerAliveInterval=%d "
            "-o ServerAliveCountMax=%d" % (timeout, interval, count)
        )
        self.remote_args = _remote_args(config)
        self.left_out = {}  # gateway id -> why it was not brought up
        self.lost = {}  # gateway id -> why it was lost during the run
        self.crashes = {}  # test id -> [(gateway id, worker node)] lost under it
        self.running = {}  # worker node -> the test it is running (reports)
        self.done = set()  # tests whose last report came
        self.unfinished = []  # of those, the ones no node was left to run
        self.not_run_on = {}  # gateway id -> tests --dist each could not run there
        self.each = False  # --dist each: every node runs every test
        self.watchdogs = {}  # gateway id -> the proxy watchdog's channel
        self.ready = set()  # our workers that are up and not down yet
        self.capacity = {}  # gateway id -> workers planned on it
        self.replacements_wanted = 0  # lost workers whose tests need one
        self.replaced = 0
        self.collected = set()
        self.dsession = None
        self.group = None
        self.started = time.monotonic()

    def pytest_configure(self, config):
        """pytest's cache exists from here (its plugin's configure runs
        first): the durations of earlier runs, and so the order."""
        cache = getattr(config, "cache", None)
        if cache is not None:
            self.durations = merge_durations(cache.get(DURATIONS_KEY, {}), {})
        self.longest_first = (self.dist_defaulted and self.plan.get("schedule", "durations") == "durations"
                              and bool(self.durations))

    # -- bring-up ---------------------------------------------------------

    def pytest_xdist_setupnodes(self, config, specs):
        dsession = config.pluginmanager.getplugin("dsession")
        manager = dsession.nodemanager
        self.dsession = dsession
        self.group = manager.group
        # the helper already copied the project: xdist copies nothing
        manager.rsync_roots = lambda gateway: None
        params = config.invocation_params
        config.invocation_params = type(params)(
            args=tuple(_args_for_workers(config)), plugins=params.plugins, dir=params.dir
        )
        ours = [spec for spec in specs if spec.id in self.workers]
        for spec in ours:
            self.capacity[self.workers[spec.id]] = self.capacity.get(self.workers[spec.id], 0) + 1
        original = manager.group.makegateway
        made = {}

        def makegateway(spec=None):
            gateway = made.pop(getattr(spec, "id", None), None)
            if gateway is None:
                gateway = original(spec)
                if getattr(gateway.spec, "via", None) in self.proxies:
                    _guard_proxied_io(gateway, manager.group[gateway.spec.via])
            return gateway

        manager.group.makegateway = makegateway
        made.update(self._bring_up(manager.group, ours))
        dropped = {spec.id for spec in ours if spec.id not in made}
        specs[:] = [spec for spec in specs if spec.id not in dropped]
        # xdist's schedulers wait for as many collections as --tx has specs
        config.option.tx = [tx for tx in config.option.tx if _spec_field(tx, "id") not in dropped]
        if not specs:
            self._exit_no_nodes("no node could be brought up")
        self._clone = dsession._clone_node
        dsession._clone_node = self.clone_node

    def clone_node(self, node):
        """xdist replaces a worker that went down.  Never on a lost node:
        there, only when the lost node's tests need a worker, on a
        surviving node through its proxy."""
        spec = node.gateway.spec
        if self.gateway_of(node) not in self.lost:
            spec.popen = True  # see pytest_configure_node
            return self._clone(node)
        if self.replacements_wanted <= 0:
            return None
        self.replacements_wanted -= 1
        alive = [name for name in self.capacity if name not in self.lost and name not in self.left_out]
        if not alive:
            return None
        self.replaced += 1
        target = sorted(alive, key=lambda n: -self.capacity[n])[self.replaced % len(alive)]
        parts = ["popen", "via=" + target, "python=" + spec.python]
        if getattr(spec, "execmodel", None):
            parts.append("execmodel=" + spec.execmodel)
        import execnet

        try:
            return self._clone(_Standin(execnet.XSpec("//".join(parts))))
        except Exception as exc:
            self._say("pytest-cloud: node '%s': no replacement worker: %s" % (target, _describe(exc)))
            return None

    def _bring_up(self, group, specs):
        """Makes every node's proxy, then every worker through it, all at
        once; returns {worker id: gateway} of those that came up."""
        by_proxy = {}
        for spec in specs:
            by_proxy.setdefault(self.workers[spec.id], []).append(spec)
        names = sorted(by_proxy)
        proxy_specs = []
        for name in names:
            import execnet

            spec = execnet.XSpec(self.proxies[name])
            spec.ssh = "%s %s" % (self.ssh_options, spec.ssh)
            proxy_specs.append(spec)
        results = _in_parallel(group.makegateway, proxy_specs, self.connect_timeout + 1, _kill_ssh)
        up = {}
        for k, name in enumerate(names):
            result = results[k]
            if isinstance(result, Exception):
                self._leave_out(name, "gateway: %s" % _describe(result))
                continue
            up[name] = (result, proxy_specs[k])
            try:
                # kept open for the whole run: closing it ends the proxy
                self.watchdogs[name] = result.remote_exec(_PROXY_WATCHDOG)
            except Exception as exc:
                self._leave_out(name, "gateway: %s" % _describe(exc))
                del up[name]
        self._check_workers(up)
        worker_specs = [spec for name in up for spec in by_proxy[name]]

        def kill_proxy(spec):
            _kill_ssh(up[self.workers[spec.id]][1])

        results = _in_parallel(group.makegateway, worker_specs, max(30, 3 * self.connect_timeout), kill_proxy)
        made = {}
        for k, spec in enumerate(worker_specs):
            result = results[k]
            name = self.workers[spec.id]
            if not isinstance(result, Exception):
                made[spec.id] = result
            elif name in self.left_out or not self._proxy_alive(name):
                self._leave_out(name, "connection lost while starting its workers: %s" % _describe(result))
            else:
                self._say("pytest-cloud: node '%s': worker %s not started: %s" % (name, spec.id, _describe(result)))
        for name in up:
            if name in self.left_out:
                for spec in by_proxy[name]:
                    made.pop(spec.id, None)
        return made

    def _check_workers(self, up):
        """The helper's worker check (the worker python imports pytest,
        xdist and the develop eggs from the node's copy), run by each
        proxy, which is that python, in CHDIR: no python of its own."""
        check = self.plan.get("worker_check") or {}
        if check.get("by") != "gateway":
            return
        code = "import sys\nsys.argv = ['pytest-cloud-check'] + %r\n%s" % (
            list(check.get("args", [])), check["source"])
        names = sorted(up)
        bound = max(30, 3 * self.connect_timeout)

        def run(name):
            channel = up[name][0].remote_exec(code)
            channel.waitclose(bound + 5)

        results = _in_parallel(run, names, bound, lambda name: _kill_ssh(up[name][1]))
        for k, name in enumerate(names):
            if isinstance(results.get(k), Exception):
                why = str(results[k]).strip().splitlines() or [_describe(results[k])]
                self._leave_out(name, "worker python '%s' cannot import pytest, xdist%s: %s" % (
                    self.plan.get("python"), " and the develop eggs" if check.get("args") else "", why[-1]))
                del up[name]

    def _leave_out(self, name, why):
        if name not in self.left_out:
            self.left_out[name] = why
            self._say("pytest-cloud: node '%s': left out: %s" % (name, why))

    def _say(self, line):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def _exit_no_nodes(self, what):
        reasons = "; ".join("%s: %s" % kv for kv in sorted({**self.left_out, **self.lost}.items()))
        pytest.exit("pytest-cloud: %s (%s)" % (what, reasons), returncode=1)

    def pytest_configure_node(self, node):
        if self.gateway_of(node) is None:
            return
        node.workerinput["cloud_args"] = list(self.remote_args)
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            node.workerinput["cloud_cache"] = {
                key: cache.get(key, None) for key in _SELECTION_CACHE_KEYS
            }
        # The worker runs on the node: xdist must not give it this
        # machine's sys.path, as it does for popen workers (kept in
        # clone_node for a restart on the same node).
        node.gateway.spec.popen = False

    # -- during the run ---------------------------------------------------

    def gateway_of(self, node):
        """The proxy (node) id of a worker of ours, else None."""
        spec = getattr(getattr(node, "gateway", None), "spec", None)
        via = getattr(spec, "via", None)
        return via if via in self.proxies else None

    def _proxy_alive(self, name):
        try:
            proxy = self.group[name]
        except (KeyError, TypeError):
            return False
        deadline = time.monotonic() + 2
        while proxy.hasreceiver() and time.monotonic() < deadline:
            if self._proxy_answers(proxy):
                return True
            time.sleep(0.05)
        return proxy.hasreceiver()

    @staticmethod
    def _proxy_answers(proxy):
        try:
            channel = proxy.remote_exec("channel.send(1)")
            return channel.receive(1) == 1
        except Exception:
            return False

    @pytest.hookimpl(tryfirst=True)
    def pytest_testnodedown(self, node, error):
        name = self.gateway_of(node)
        self.ready.discard(node)
        if name is None or error is None:
            return
        if name not in self.lost and not self._proxy_alive(name):
            self.lost[name] = "connection lost (%s)" % _describe(error)
            self._say("\npytest-cloud: node '%s' lost: %s" % (name, self.lost[name]))
        if name not in self.lost:
            return  # a worker crashed on a live node: xdist replaces it
        if hasattr(self.dsession, "_failed_nodes_count"):
            self.dsession._failed_nodes_count -= 1  # not a crashed worker
        specs = self.dsession.nodemanager.specs
        used = {getattr(spec, "via", None) for spec in specs}
        # only once the last worker's down event is here: xdist 3.1 stops
        # at once and handles no event after it
        if used <= set(self.lost) | set(self.left_out) and not self.ready:
            self.dsession.shouldstop = "pytest-cloud: every node was lost (%s)" % "; ".join(
                "%s: %s" % kv for kv in sorted(self.lost.items()))

    def pytest_testnodeready(self, node):
        if self.gateway_of(node) is not None:
            self.ready.add(node)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_xdist_make_scheduler(self, config, log):
        outcome = yield
        inner = outcome.get_result()
        if inner is not None and self.longest_first and type(inner).__name__ == "LoadScheduling":
            inner = _longest_first_scheduler(self.durations)(config, log)
        if inner is not None:
            self.each = type(inner).__name__ == "EachScheduling"
            outcome.force_result(_RerunLost(inner, self))

    def pytest_handlecrashitem(self, crashitem, report, sched):
        attempts = self.crashes.get(crashitem, [])
        if len(attempts) > 1:
            self.done.add(crashitem)
            report.when = "call"  # a failed test, in junit too
            report.longrepr = "pytest-cloud: %s was running when node '%s' was lost (%s), and again when " \
                "node '%s' was lost (%s)" % (crashitem, attempts[0][0], self.lost.get(attempts[0][0]),
                                             attempts[1][0], self.lost.get(attempts[1][0]))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report):
        test = getattr(report, "nodeid", None)
        real = getattr(report, "node", None)
        if report.when == "setup" and real is not None:
            self.running[real] = test
        elif report.when in ("teardown", "???"):
            self.done.add(test)
            if self.running.get(real) == test:
                del self.running[real]
        if report.when in ("setup", "call", "teardown"):
            # a test run again starts its time afresh
            self.ran[test] = (0.0 if report.when == "setup" else self.ran.get(test, 0.0)) + report.duration
            if report.when == "teardown":
                self.timed.add(test)
                self.tests_ended = time.monotonic()
        attempts = self.crashes.get(test)
        if attempts and real is not None and real is not attempts[0][1]:
            report.node = _NodeAlias(real, attempts[0][1])
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session):
        yield
        # a test that was running on a lost node and found no node left to
        # run it again did not finish: it is reported as failed, once
        for test, attempts in sorted(self.crashes.items()):
            if test in self.done or self.each:
                continue
            path = test.split("::")[0]
            report = pytest.TestReport(
                nodeid=test, location=(path, None, path), keywords={}, outcome="failed",
                longrepr="pytest-cloud: %s was running when node '%s' was lost (%s), and no node was left "
                "to run it again" % (test, attempts[0][0], self.lost.get(attempts[0][0])),
                when="call")
            report.node = attempts[0][1]
            self.config.hook.pytest_runtest_logreport(report=report)
            self.unfinished.append(test)

    def pytest_xdist_node_collection_finished(self, node, ids):
        self.collected.update(ids)

    def scheduling(self, sched):
        """The first tests are about to go out: one line on what is known of
        their durations and the run's expected time."""
        self.sched_started = time.monotonic()
        if self.durations is None:
            return
        # load, worksteal and each keep node2collection; the scope
        # schedulers registered_collections
        collections = getattr(sched, "node2collection", None) or getattr(sched, "registered_collections", {})
        tests = next(iter(collections.values()), [])
        self.expected_tests = len(tests)
        workers = len(getattr(sched, "nodes", [])) or 1
        order = longest_first(tests, self.durations) if self.longest_first else None
        seconds, known, longest = estimate(tests, self.durations, workers, order)
        how = "longest first" if self.longest_first and known else (
            "in collection order" if self.config.option.dist == "load" else "--dist " + self.config.option.dist)
        if known:
            self.expected = seconds
            self._write("pytest-cloud: %d tests, %d with a recorded duration, %s: about %.1f s on %d "
                        "workers (longest test %.1f s)" % (len(tests), known, how, seconds, workers, longest))
        else:
            self._write("pytest-cloud: %d tests, none with a recorded duration yet (%s)" % (len(tests), how))

    def _write(self, line):
        terminal = self.config.pluginmanager.getplugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(line)
        else:
            self._say(line)

    # -- the end ----------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        cache = getattr(self.config, "cache", None)
        if cache is not None and self.collected and not self.config.option.collectonly:
            known = set(cache.get("cache/nodeids", []))
            cache.set("cache/nodeids", sorted(known | self.collected))
        if cache is not None and self.timed:
            root = str(self.rootpath)

            def still_there(test):
                return os.path.exists(os.path.join(root, test.split("::")[0]))

            cache.set(DURATIONS_KEY, merge_durations(
                cache.get(DURATIONS_KEY, {}), {t: self.ran[t] for t in self.timed}, keep=still_there))
        path = self.config.getoption("cloud_report") or os.environ.get("PYTEST_CLOUD_REPORT") \
            or self.config.getini("cloud_report")
        if path:
            path = os.path.join(str(self.config.invocation_params.dir), path)
            with open(path, "w") as f:
                json.dump(self.report(int(exitstatus)), f, indent=2)

    def report(self, exitstatus):
        reruns = []
        for test, attempts in sorted(self.crashes.items()):
            reruns.append({"test": test, "lost_on": [name for name, _node in attempts],
                           "outcome": "failed" if len(attempts) > 1 or test in self.unfinished else "re-run"})
        return {
            "plan": self.plan,
            "left_out": [{"node": k, "reason": v} for k, v in sorted(self.left_out.items())],
            "lost": [{"node": k, "reason": v} for k, v in sorted(self.lost.items())],
            "reruns": reruns,
            "exitstatus": exitstatus,
            "seconds": round(time.monotonic() - self.started, 3),
        }

    def pytest_terminal_summary(self, terminalreporter):
        lines = []
        for name, why in sorted(self.left_out.items()):
            lines.append("node '%s' left out at bring-up: %s" % (name, why))
        for name, why in sorted(self.lost.items()):
            line = "node '%s' lost during the run: %s" % (name, why)
            if self.not_run_on.get(name):
                line += " (--dist each: the rest of its tests did not run there)"
            lines.append(line)
        for test, attempts in sorted(self.crashes.items()):
            if len(attempts) > 1:
                lines.append("%s: running when '%s' and '%s' were lost: reported as failed"
                             % (test, attempts[0][0], attempts[1][0]))
            elif test in self.unfinished:
                lines.append("%s: running when '%s' was lost, no node left to run it again: reported as "
                             "failed" % (test, attempts[0][0]))
            elif not self.each:
                lines.append("%s: running when '%s' was lost: run again on another node"
                             % (test, attempts[0][0]))
        if self.expected is not None and self.tests_ended is not None and self.sched_started is not None \
                and len(self.timed) >= self.expected_tests:
            lines.append("estimated %.1f s for the tests, took %.1f s" % (
                self.expected, self.tests_ended - self.sched_started))
        if lines:
            terminalreporter.write_sep("=", "pytest-cloud")
            for line in lines:
                terminalreporter.write_line(line)

    def pytest_unconfigure(self, config):
        self.helper.release()


def _guard_proxied_io(gateway, proxy):
    """A worker made through a proxy is waited for and killed through it
    (execnet asks the proxy).  Once the proxy is gone, there is nothing to
    wait for or kill: the worker was the proxy's child and ends with it."""
    io = gateway._io

    def guarded(call):
        def run():
            if not proxy.hasreceiver():
                return None
            try:
                return call()
            except (OSError, EOFError):
                return None
        return run

    io.wait, io.kill = guarded(io.wait), guarded(io.kill)


def _describe(exc):
    if isinstance(exc, str):
        return exc
    text = str(exc).strip().splitlines()
    return "%s%s" % (type(exc).__name__, (": " + text[-1]) if text else "")


def _seed_worker_cache(config, values):
    """Writes the controller's selection cache into the node copy's cache,
    before pytest's cache plugin reads it."""
    if not values or not config.pluginmanager.has_plugin("cacheprovider"):
        return
    base = os.path.expanduser(os.path.expandvars(config.getini("cache_dir")))
    base = os.path.join(str(config.rootpath), base, "v")
    for key, value in values.items():
        path = os.path.join(base, *key.split("/"))
        if value is None:
            if os.path.exists(path):
                os.unlink(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%d" % (path, os.getpid())
        with open(tmp, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)


def _end_with_parent():
    """Ends this worker at once when its proxy (its parent) is gone: a
    lost connection leaves nothing running on the node."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(70)

    threading.Thread(target=watch, name="pytest-cloud-parent", daemon=True).start()


def _raise_open_file_limit():
    """Each node's gateway is an ssh with two pipes here: the soft limit
    goes up to the hard one."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if "cloud_args" in workerinput:
            config.args[:] = workerinput["cloud_args"]
            # xdist gives a popen worker this machine's basetemp
            config.option.basetemp = None
            _seed_worker_cache(config, workerinput.get("cloud_cache"))
            _end_with_parent()
        return None
    if not _requested(config) or config.option.collectonly:
        return None
    if not hasattr(config.option, "tx"):
        raise pytest.UsageError(
            "pytest-cloud: pytest-xdist is needed (Debian: python3-pytest-xdist)"
        )
    if threading.current_thread() is threading.main_thread():
        # SIGTERM ends the run as Ctrl-C does: every process is stopped
        signal.signal(signal.SIGTERM, _on_sigterm)
    _raise_open_file_limit()
    helper = _Helper(config)
    try:
        plan = helper.plan()
    except KeyboardInterrupt:
        sys.stderr.write("pytest-cloud: interrupted: the helper and its copies were stopped\n")
        return pytest.ExitCode.INTERRUPTED
    config.option.tx = list(config.option.tx or []) + list(plan["tx"])
    dist_defaulted = config.option.dist == "no"
    if dist_defaulted:
        config.option.dist = "load"
    if getattr(config.option, "maxworkerrestart", "unset") is None:
        # as xdist bounds it for -n N: a worker that cannot start is not
        # started again for ever (lost nodes do not count, see
        # pytest_testnodedown)
        config.option.maxworkerrestart = str(4 * len(config.option.tx))
    config.pluginmanager.register(_CloudRun(config, plan, helper, dist_defaulted), "pytest-cloud-xdist")
    return None
