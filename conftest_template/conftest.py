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

On the controller this file runs the ``pytest-cloud`` helper, which probes
the nodes over SSH, plans the test processes and copies the project (with
its virtualenv) to every usable node.  The helper's plan gives each node
one execnet proxy gateway (one SSH connection, with keepalives) and each
test process a pytest-xdist worker that the proxy starts on the node
(``popen//via=``).  This file brings the gateways up in parallel, hands
the workers to xdist (``--dist load`` unless the user chose a mode), and
looks after the run: a node that dies or stops answering is left out, its
pending tests go to the other nodes, and the test it was running is run
again once elsewhere.

The helper is found from, in order: the PYTEST_CLOUD_HELPER environment
variable, the ``cloud_helper`` ini key, ``pytest-cloud`` on PATH.  Options
on pytest's command line must be written ``--cloud-x=value``: pytest only
knows them once it has loaded this file.

Contents: the modules of conftest_template/src/, each one section here, in
the order of a run (make assembles this file from them: edit those):

   1. options.py      The --cloud-* options and ini keys, read as pytest reads
                      them.
   2. helper.py       The helper's process: whether the run is ours, its
                      progress, its plan.
   3. plan.py         The helper's plan (README "Output"), read once.
   4. workerargs.py   Test paths: what the workers are told to run.
   5. durations.py    Durations of earlier runs: longest first (pure).
   6. lossbook.py     LossBook: what a lost node costs (pure: events in,
                      decisions out).
   7. replacement.py  ReplacementPolicy: where a worker that went down is
                      replaced (pure).
   8. seam.py         Seam: every name of xdist, execnet or pytest that is not
                      public.
   9. cover.py        Coverage as a local run measures it (pytest-cov).
  10. scheduling.py   The schedulers: LongestFirstScheduling, CloudScheduling.
  11. texts.py        Files carried as text: the fork server and the timeline
                      page.
  12. parallel.py     Calls at once with a bound, and stopping an ssh that
                      hangs.
  13. forking.py      ForkServers: a node's workers as forks of one process
                      that collected.
  14. bringup.py      BringUp: every node's gateway at once, then its workers.
  15. timeline.py     TimelineBook, the figures, the self-contained HTML page.
  16. outputs.py      The end of a run: the summary lines, the report, the
                      files written.
  17. run.py          CloudRun: the hooks of a run, each handing its event on.
  18. worker.py       On the workers: what a worker of ours does differently.
  19. main.py         The start of a run: pytest_cmdline_main, controller and
                      workers.
"""

import ast
import base64
import collections
import errno
import hashlib
import heapq
import importlib
import importlib.util
import inspect
import json
import os
import re
import shlex
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings

import pytest

# The pytest-cloud release this file came with.  The helper refuses a file
# of another contract (major.minor) and warns about another patch level;
# pytest-cloud init writes and updates it.
PYTEST_CLOUD_VERSION = "0.3.0"


# --- 1. src/options.py -------------------------------------------------------
#
# The --cloud-* options and ini keys, read as pytest reads them.
#
# Each --cloud-NAME has the ini key cloud_NAME and the environment variable
# PYTEST_CLOUD_NAME, which the helper reads itself: pytest registers them
# here so that it knows them (--help, --strict-config), and a value of the
# wrong type in the ini file ends the run with one line saying what to
# write.

# (option name, help, takes several); each --cloud-NAME also has the ini
# key cloud_NAME and the environment variable PYTEST_CLOUD_NAME, which the
# helper reads itself.  The helper's option table (helper/opts.c) is the
# source: tests/pyunit/test_options.py fails when this list disagrees.
_OPTIONS = (
    ("node", "a node to run tests on, [user@]host[:port], a range node[01-16], ^HOSTFILE or @slurm; "
     "repeatable", True),
    ("nodes", "space-separated nodes to run tests on (ranges, ^HOSTFILE, @slurm too); repeatable", True),
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
    ("ssh-persist", "seconds each node's SSH master connection stays after the run, for the next run; "
     "0: it ends with the run", False),
    ("sync-timeout", "seconds each node's copy may take, and again its steps after the copy", False),
    ("lock-timeout", "seconds to wait for another run that uses the node's CHDIR; 0: do not wait", False),
    ("report", "JSON file the conftest writes at the end of the run: the plan, lost nodes and "
     "re-run tests", False),
    ("timeline", "HTML file the conftest writes at the end of the run: every worker's tests on a "
     "timeline", False),
    ("schedule", "the order tests are handed out in when no --dist is given: durations "
     "(longest first, from earlier runs) or collection", False),
    ("copy-python", "copy the virtualenv's interpreter to a node that has no python of its "
     "version: yes or no", False),
    ("fork", "start a node's workers as forks of one process that has imported and collected the "
     "suite: yes or no", False),
    ("in-place", "run the tests in the project itself on a node that sees it at the same path (a shared "
     "file system), copying nothing: yes or no", False),
)

# (ini key, help, type): "args" reads as a list both from ini text and
# from pytest 9's native TOML arrays
_INI_ONLY = (
    ("cloud_develop_eggs", "packages installed in development mode on the nodes", "args"),
    ("cloud_rsync_dirs", "the only folders copied (plus what the workers need)", "args"),
    ("cloud_rsync_ignore", "paths not copied", "args"),
    ("cloud_rsync_include", "paths copied although left out by default (.git, .env, ...)", "args"),
    ("cloud_helper", "helper binary the conftest runs", None),
)
_LIST_OPTIONS = {"nodes"}
# options whose ini key is a whole number: registered as pytest's "int"
# where pytest has it (8.4 and later), so that pytest 9's native TOML
# takes cloud_keepalive = 5 (the helper checks the same TOML types)
_NUMBERS = {"mem-per-process", "max-processes", "rsync-bandwidth-limit", "rsync-max-processes",
            "connect-timeout", "max-connections", "keepalive", "ssh-persist", "sync-timeout",
            "lock-timeout"}

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
            parser.addini(_dest(name), help_text, type=_ini_type(name))
    group.addoption(
        "--no-cloud",
        dest="cloud_off",
        action="store_true",
        default=False,
        help="run here, ignoring the cloud settings",
    )
    for key, help_text, kind in _INI_ONLY:
        parser.addini(key, help_text, type=kind)


def _version(text):
    """(major, minor) of a version string."""
    parts = []
    for word in str(text).split(".")[:2]:
        digits = "".join(c for c in word if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _ini_type(name):
    """The pytest type an option's ini key is registered with."""
    if name in _LIST_OPTIONS:
        return "args"
    if name in _NUMBERS and _version(pytest.__version__) >= (8, 4):
        return "int"
    return None


_TOML_GOT = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
             (list, "an array"))


def toml_form(kind, value):
    """What to write for a key of pytest type kind ("args", "int", None)
    whose TOML value is value (the helper's inifile_check_toml says the
    same): ["node1", "node2"] for "node1 node2"."""
    def string(text):
        return json.dumps(str(text), ensure_ascii=False)

    if kind == "args":
        words = value.split() if isinstance(value, str) else value if isinstance(value, list) else [value]
        return "[%s]" % ", ".join(string(w) for w in words)
    if kind == "int":
        if isinstance(value, str) and value.isdigit():
            return value
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return str(int(value))
        return "N (a whole number)"
    if isinstance(value, bool):
        return string("yes" if value else "no")
    if isinstance(value, list):
        return string(value[0]) if value else '""'
    return string(value)


def toml_type_error(path, key, kind, value):
    """The one line for a native TOML value of the wrong type."""
    what = {"args": "a list of strings", "int": "a whole number"}.get(kind, "a string")
    got = next(word for t, word in _TOML_GOT + ((object, "a value"),) if isinstance(value, t))
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        got = "an array holding more than strings"
    return ("pytest-cloud: %s: %s: pytest 9 reads this file in TOML types, where this key takes %s, "
            "not %s: write %s = %s" % (path, key, what, got, key, toml_form(kind, value)))


def _toml_value(config, key):
    """A key's value in the config file, when it is pytest 9's native TOML
    ([tool.pytest], pytest.toml); else None."""
    path = config.inipath
    if path is None or path.suffix != ".toml":
        return None
    try:
        import tomllib
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            return None
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError):
        return None
    table = data.get("pytest", {}) if path.name != "pyproject.toml" else data.get("tool", {}).get("pytest", {})
    return table.get(key) if isinstance(table, dict) else None


def _check_ini(config):
    """Every cloud key read as pytest reads it: a value of the wrong type
    ends the run with one line that says what to write (pytest's own
    error is a traceback), exit status 4."""
    keys = [(_dest(name), _ini_type(name)) for name, _h, _s in _OPTIONS if name != "node"]
    keys += [(key, kind) for key, _h, kind in _INI_ONLY]
    for key, kind in keys:
        try:
            config.getini(key)
        except (TypeError, ValueError) as exc:
            value = _toml_value(config, key)
            if value is not None:
                raise pytest.UsageError(toml_type_error(config.inipath, key, kind, value))
            raise pytest.UsageError("pytest-cloud: %s: %s: %s" % (config.inipath, key, exc))


# --- 2. src/helper.py --------------------------------------------------------
#
# The helper's process: whether the run is ours, its progress, its plan.
#
# Whether nodes are configured and the run is not local on purpose; where
# the helper is; its command line (what only pytest knows); and the
# process itself, whose progress is shown as it comes, whose plan is read,
# and which holds each node's CHDIR locked for the run.

def _stack_versions():
    """What this plugin runs on, for the run's first line and the report."""
    found = {"pytest": pytest.__version__}
    for name, module in (("pytest-xdist", "xdist"), ("execnet", "execnet")):
        try:
            found[name] = getattr(__import__(module), "__version__", "?")
        except ImportError:
            found[name] = "missing"
    found["Python"] = "%d.%d.%d" % sys.version_info[:3]
    return found


def _xdist_version():
    try:
        import xdist
    except ImportError:
        return None
    return _version(getattr(xdist, "__version__", "0"))


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
    argv.append("--stack=%s" % ", ".join("%s %s" % kv for kv in _stack_versions().items()))
    argv.append("--conftest=%s" % os.path.abspath(__file__))
    return argv


class _Helper:
    """The helper process.  Its progress (stderr) is shown as it comes;
    its plan (stdout, one JSON document of any size) is read meanwhile.
    With --hold it then keeps each node's CHDIR locked for this run until
    its stdin closes (release()), or until this process dies."""

    LOST = re.compile(r"^pytest-cloud: node '(.+)' lost: (.+)$")

    def __init__(self, config):
        self.argv = _helper_argv(config, _find_helper(config))
        self.errors = []
        self.on_lost = None  # called with (node, why) when a node's lock ends
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
            lost = self.LOST.match(line.rstrip("\n"))
            if lost and self.on_lost is not None:
                self.on_lost(lost.group(1), lost.group(2))

    def plan(self):
        """The plan's JSON; raises UsageError (after the helper ended) when
        there is none or it has no test process."""
        try:
            out = self.proc.stdout.read()
        except BaseException:  # Ctrl-C or SIGTERM while it probes or syncs
            self.stop()
            raise
        self.proc.stdout.close()
        try:
            data = json.loads(out.decode("utf-8")) if out.strip() else None
        except ValueError as exc:
            self.release()
            raise pytest.UsageError("pytest-cloud: helper printed no JSON: %s" % exc)
        if data is None or not data.get("tx"):
            status = self.release()
            raise pytest.UsageError(
                "\n".join(self.errors) or "pytest-cloud: helper exited with status %s" % status
            )
        return data

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


# --- 3. src/plan.py ----------------------------------------------------------
#
# The helper's plan (README "Output"), read once.
#
# Every setting of the run comes from the plan: the helper resolved each
# option from its sources (command line, environment, ini file, default)
# through its one option table, so the plugin reads none of them again.

def spec_field(spec, key):
    """The value of KEY=value in an execnet spec string, or None."""
    for part in spec.split("//"):
        if part.startswith(key + "="):
            return part[len(key) + 1:]
    return None


class Plan:
    """The helper's plan: each node's proxy gateway (px), the workers it
    starts (tx), and the run's settings.  here is the folder pytest was
    started in, which the output files' paths are relative to."""

    def __init__(self, data, here="."):
        self.data = data
        self.proxies = {spec_field(s, "id"): s for s in data.get("px", [])}
        self.workers = {spec_field(s, "id"): spec_field(s, "via") for s in data["tx"]}
        self.capacity = collections.Counter(self.workers.values())
        self.connect_timeout = int(data.get("connect_timeout", 10))
        self.keepalive = int(data.get("keepalive", 15))
        self.sync_timeout = int(data.get("sync_timeout", 300))
        self.worker_check = data.get("worker_check") or {}
        self.python = data.get("python")
        self.schedule = data.get("schedule", "durations")
        self.fork = bool(data.get("fork", False))
        self.helper_version = data.get("helper_version")
        self.report = self._output(data.get("report"), here)
        self.timeline = self._output(data.get("timeline"), here)

    @staticmethod
    def _output(path, here):
        return os.path.join(str(here), path) if path else None

    def node_of(self, worker_id):
        """The node (proxy gateway id) a worker of ours runs on, or None."""
        return self.workers.get(worker_id)

    def gateway_of(self, node):
        """The proxy gateway id of a node as the helper names it (user@host),
        or None when it has none (excluded)."""
        return next((n.get("gateway") for n in self.data.get("nodes", [])
                     if n.get("node") == node and n.get("gateway")), None)


# --- 4. src/workerargs.py ----------------------------------------------------
#
# Test paths: what the workers are told to run.
#
# The workers run in the node's copy of the project root: their test
# paths are made relative to it, and pytest's own command line is handed
# to them as they should get it.

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


def _args_for_workers(config, paths=True, absolute=False):
    """pytest's own command line as the workers should get it.  Ours run in
    the node's copy of the project root and take their test paths from
    ``cloud_args`` (relative to that root): -c's file becomes relative to
    the root, --rootdir is left out (their folder is the root).  The test
    paths of the command line become relative to the root too, or, with
    absolute, absolute, as xdist's own rsync needs them for a user's
    ``--tx ssh=...`` worker beside ours (it makes them relative to its
    rsync roots, and refuses a relative one); every other argument is
    kept as it was typed.  paths=False leaves the test paths out."""
    here = str(config.invocation_params.dir)
    root = str(config.rootpath)
    positional = {str(a) for a in getattr(config.option, "file_or_dir", None) or ()}

    def resolved(arg, relative_to_root):
        path, sep, rest = arg.partition("::")
        full = os.path.normpath(os.path.join(here, path))
        rel = os.path.relpath(full, root)
        if not os.path.exists(full) or rel == ".." or rel.startswith(".." + os.sep):
            return arg
        return (rel if relative_to_root else full) + sep + rest

    args = [str(a) for a in config.invocation_params.args]
    result = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg.startswith("--rootdir="):
            continue
        if arg == "--rootdir":
            i += 1
            continue
        if arg in ("-c", "--config-file") and i < len(args):
            result += [arg, resolved(args[i], True)]
            i += 1
            continue
        if arg in positional:
            if paths:
                result.append(resolved(arg, not absolute))
            continue
        result.append(arg)
    return result


def worker_input(config):
    """What a worker of ours is told beside xdist's own (its workerinput):
    its test paths, the places its reports are to name, and the
    controller's selection cache (--lf, --ff, --nf, --sw)."""
    found = {"cloud_args": _remote_args(config),
             "cloud_places": [str(config.rootpath), str(config.invocation_params.dir)]}
    cache = getattr(config, "cache", None)
    if cache is not None:
        found["cloud_cache"] = {key: cache.get(key, None) for key in _SELECTION_CACHE_KEYS}
    return found


# --- 5. src/durations.py -----------------------------------------------------
#
# Durations of earlier runs: longest first (pure).
#
# The durations of earlier runs live in pytest's cache (key cloud/durations:
# {test id: seconds}).  A test's value is setup + call + teardown; each run
# moves it half way to what was measured (a smoothed value: one slow or fast
# run does not swing it).

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
    times, known = expected_times(tests, durations)
    if not times or workers < 1:
        return 0.0, known, 0.0
    free = [0.0] * min(workers, len(times))
    for i in order if order is not None else range(len(times)):
        heapq.heapreplace(free, free[0] + times[i])
    return max(free), known, max(times)


class DurationsBook:
    """A run's durations: those of earlier runs (earlier; None: pytest's
    cache is off), what each test took in this run (its last attempt:
    setup + call + teardown), the estimate said before the first tests
    went out, and when they went out and the last one ended.  Pure: the
    times are passed in (the controller's monotonic clock)."""

    def __init__(self, earlier, longest_first_wanted):
        self.earlier = None if earlier is None else merge_durations(earlier, {})
        self.longest_first = bool(longest_first_wanted and self.earlier)
        self.ran = {}  # test id -> seconds this run
        self.timed = set()  # tests whose teardown report came
        self.expected = None  # the estimate said before the run
        self.expected_tests = 0
        self.started = None  # when the first tests went out
        self.ended = None  # when the last teardown report came

    def report(self, test, when, duration, at):
        """A test's report came (when: setup, call, teardown)."""
        if when not in ("setup", "call", "teardown"):
            return
        # a test run again starts its time afresh
        self.ran[test] = (0.0 if when == "setup" else self.ran.get(test, 0.0)) + duration
        if when == "teardown":
            self.timed.add(test)
            self.ended = at

    def first_tests(self, tests, workers, scheduler, dist, at):
        """The first tests are about to go out (tests: the collection, None
        when the scheduler's is not known; scheduler: its class name; dist:
        --dist): the line that says which
        scheduler hands them out, what is known of their durations and the
        run's expected time."""
        self.started = at
        if tests is None:
            return ("pytest-cloud: %d workers, scheduling via %s (not one of xdist's: its tests are not "
                    "counted here)" % (workers, scheduler))
        self.expected_tests = len(tests)
        if self.earlier is None:
            return "pytest-cloud: %d tests on %d workers, scheduling via %s" % (len(tests), workers, scheduler)
        order = longest_first(tests, self.earlier) if self.longest_first else None
        seconds, known, longest = estimate(tests, self.earlier, workers, order)
        how = "longest first" if self.longest_first and known else (
            "in collection order" if dist == "load" else "--dist " + dist)
        if not known:
            return ("pytest-cloud: %d tests, none with a recorded duration yet (%s), scheduling via %s"
                    % (len(tests), how, scheduler))
        self.expected = seconds
        return ("pytest-cloud: %d tests, %d with a recorded duration, %s: about %.1f s on %d workers "
                "(longest test %.1f s), scheduling via %s"
                % (len(tests), known, how, seconds, workers, longest, scheduler))

    def to_store(self, old, keep):
        """The durations to store in the cache after the run (old: what it
        holds; keep(test): whether a test that did not run is still
        there), or None when no test ran to its end."""
        if not self.timed:
            return None
        return merge_durations(old, {t: self.ran[t] for t in self.timed}, keep=keep)

    def tests_phase(self):
        """Seconds from the first tests out to the last one's end, or None."""
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    def took(self):
        """(estimate, seconds taken) once every test of the estimate ran to
        its end, else None."""
        if self.expected is None or self.tests_phase() is None or len(self.timed) < self.expected_tests:
            return None
        return self.expected, self.tests_phase()


# --- 6. src/lossbook.py ------------------------------------------------------
#
# LossBook: what a lost node costs (pure: events in, decisions out).

Decision = collections.namedtuple("Decision", "requeue take_back crash")
Decision.__doc__ = """What the scheduler does with a worker that went:
requeue these tests (they were running and go once more), take these back
from the tests waiting (they are not to run again), and report crash as
the test that crashed (None: nothing is reported)."""

class LossBook:
    """What a lost node costs.  It knows which test each worker is running
    (its setup report came, its last did not), which tests finished, which
    nodes are lost, and each test that was running on a lost node; from
    that it decides what happens to a worker that went.  Workers are any
    hashable objects and tests their ids: no xdist object is read here.

    The rules: a lost node's tests that had not started go back to the
    others (the user's scheduler does that); the test it was running (its
    outcome not known yet) goes back once, and is reported failed, naming both nodes, when it is
    running on a lost node a second time.  With --dist each (every node
    runs every test) nothing moves: the test is counted as not run there.
    """

    def __init__(self, each=False):
        self.each = each
        self.lost = {}  # node -> why it was lost
        self.running = {}  # worker -> the test it is running
        self.done = set()  # tests whose last report came
        self.crashes = {}  # test -> [(node, worker), ...] lost under it
        self.not_run_on = collections.Counter()  # node -> tests --dist each could not run there

    def report(self, worker, test, when, outcome="passed"):
        """A test report came (when: "setup", "call", "teardown", or
        xdist's "???" for a crash it reported itself).  A test's outcome
        is known once its call's report came, or a setup's that did not
        pass (no call follows): from then on it is done, and a node lost
        in its teardown does not run it again (its outcome would be
        counted twice, in the terminal's counts, junit's and the exit
        status)."""
        if when == "setup" and outcome == "passed":
            if worker is not None:
                self.running[worker] = test
            return
        if when in ("setup", "call", "teardown", "???"):
            self.done.add(test)
            if self.running.get(worker) == test:
                del self.running[worker]

    def lose(self, node, why):
        """Node is lost; True when it was not lost already."""
        if node in self.lost:
            return False
        self.lost[node] = why
        return True

    def worker_removed(self, node, worker, crashed):
        """Worker of node went; crashed is the test the user's scheduler
        names as the one it was running (None: none).  Returns the
        Decision."""
        running = self.running.pop(worker, None)
        if node not in self.lost:
            return Decision((), (), crashed)  # a crash on a live node: xdist's own way
        unfinished = crashed if crashed is not None and crashed not in self.done else None
        # messages in flight are lost with a node: the reports say which
        # test it was running; xdist's guess (the first it was sent) may
        # have finished, or may be another that had not started
        victim = running or unfinished
        requeue = [unfinished] if unfinished is not None and unfinished != victim else []
        if victim is None:
            return Decision(requeue, (), None)
        attempts = self.crashes.setdefault(victim, [])
        attempts.append((node, worker))
        if self.each:
            self.not_run_on[node] += 1
            return Decision(requeue, (), None)
        if len(attempts) > 1:
            return Decision(requeue, [victim] if victim != crashed else [], victim)
        if victim == crashed:
            requeue.append(victim)
        return Decision(requeue, (), None)

    def twice(self, test):
        """The failure text for a test lost under twice, or None."""
        attempts = self.crashes.get(test, [])
        if len(attempts) < 2:
            return None
        (first, _), (second, _) = attempts[:2]
        return ("pytest-cloud: %s was running when node '%s' was lost (%s), and again when node '%s' was "
                "lost (%s)" % (test, first, self.lost.get(first), second, self.lost.get(second)))

    def unfinished(self):
        """[(test, first worker, failure text)] of the tests that were
        running on a lost node and never ran to the end elsewhere (no node
        was left); they are reported failed, once."""
        found = []
        for test, attempts in sorted(self.crashes.items()):
            if test in self.done or self.each:
                continue
            node, worker = attempts[0]
            found.append((test, worker, "pytest-cloud: %s was running when node '%s' was lost (%s), and no "
                          "node was left to run it again" % (test, node, self.lost.get(node))))
        return found


def needs_replacement(lost, has_pending, shutting_down):
    """Whether a worker lost with its node leaves work no worker will take:
    tests are waiting and every other worker is already being let go
    (xdist lets a worker go as soon as nothing is left to hand out)."""
    return bool(lost and has_pending and all(shutting_down))


# --- 7. src/replacement.py ---------------------------------------------------
#
# ReplacementPolicy: where a worker that went down is replaced (pure).
#
# xdist replaces a worker that went down.  A worker that crashed on a live
# node is replaced there, as xdist would.  On a lost node nothing is
# started; only when the lost node's tests need a worker that no one else
# can be (the scheduler says so: want()) is one started, on a surviving
# node, through its proxy: the nodes of most test processes first, taking
# turns.

class ReplacementPolicy:
    """capacity: {node: its test processes} of the plan."""

    def __init__(self, capacity):
        self.capacity = dict(capacity)
        self.wanted = 0  # replacements the scheduler asked for, not yet made
        self.made = 0  # replacements made on another node

    def want(self):
        """The lost node's tests need a worker no one else can be."""
        self.wanted += 1

    def where(self, node, lost, left_out):
        """The node a worker of node (None: not ours) that went down is
        replaced on, or None for no replacement.  lost: the nodes lost
        during the run; left_out: those left out at bring-up."""
        if node not in lost:
            return node  # a crash on a live node (or not ours): xdist's own way
        if self.wanted <= 0:
            return None
        self.wanted -= 1
        alive = [n for n in self.capacity if n not in lost and n not in left_out]
        if not alive:
            return None
        self.made += 1
        return sorted(alive, key=lambda n: -self.capacity[n])[self.made % len(alive)]


# --- 8. src/seam.py ----------------------------------------------------------
#
# Seam: every name of xdist, execnet or pytest that is not public.
#
# SEAM is the table: each entry names its owner (a dotted path: a class, a
# function, or a module; "A or B" where a release renamed it), the name
# relied on there, why no public hook or name does the job, and the
# releases it was checked on.  Seam.check() is derived from the table and
# checks every entry against the installed releases at the start of a run
# (and in tests/pyunit/test_seam.py), so that an upgrade breaks here, in
# one line naming the entry, and not in a test run.  A name is there when
# the owner has it as an attribute, or (a class) its code sets it on self,
# or (a function) its code reads it or names it in a string.
#
# The classes Seam and SchedulerSeam hold every use of those names; nothing
# else in the plugin reaches an underscore name of another module's object (a pyunit
# test reads every source file for it, the fork server's too).  Its
# methods look nothing up with a default: a name gone missing fails the
# check, not silently the run.

XDIST = "pytest-xdist 3.1.0 (Debian 12), 3.6.1, 3.8.0, 3.9.0.dev0 (main at f63b6a2)"
EXECNET = "execnet 1.9.0, 2.1.1, 2.1.2"
PYTEST = "pytest 7.2.1, 8.3.5, 8.4.2, 9.0.3, 9.1.1"
PYTEST_COV = "pytest-cov 4.0.0 (Debian 12), 7.0.0"
WHY_CENTRAL = ("pytest-cov chooses its one-process controller (Central) in its pytest_load_initial_conftests, "
               "before any conftest is imported and so before ours turns --dist on: it is replaced by the "
               "distributed one (DistMaster), as -n or --dist would have chosen")
WHY_WORKER_DATA = ("a worker on another machine sends its coverage data with its own paths, and the controller's "
                   "mapping of them (paths on a Coverage it no longer reports from) does nothing: they are moved "
                   "to the project's paths here before they are sent")
WHY_SCOUT = ("the fork server's collection (its scout) measures what coverage would and writes nothing: "
             "pytest-cov's parsed options are read there, and it is told not to measure")
WHY_GROUP = ("the execnet group xdist makes its workers in: our proxies must be in it (a worker finds its "
             "proxy there by via=); xdist's --px (3.7 and later) makes proxies one after another with no "
             "bound, and 3.1 has no --px")
WHY_COLLECTION = "the collection the scheduler hands out, before the first tests go: the protocol has none"
WHY_NUMNODES = ("the schedulers wait for as many collections as the run had workers, counted from --tx when "
                "they are made: a worker lost before its collection came would hold the run")
WHY_TAKE_BACK = "a test not to run again, taken out of the tests waiting: the protocol can only add one"

# (owner, name, why no public hook or name does it, releases checked, the
# first xdist release that has the owner (a tuple), or the optional plugin
# whose entries they are (a module name: asked for only where it is
# installed), or None)
SEAM = (
    ("xdist.plugin.pytest_configure", "dsession",
     "xdist's controller registers as the plugin 'dsession': no public accessor", XDIST, None),
    ("xdist.dsession.DSession.__init__", "terminaldistreporter",
     "xdist's status reporter registers under this name", XDIST, None),
    ("xdist.dsession.TerminalDistReporter", "ensure_show_status",
     "under -q, without a terminal, it writes the status line a second time, and no option says not to",
     XDIST, None),
    ("xdist.dsession.DSession", "nodemanager", WHY_GROUP, XDIST, None),
    ("xdist.workermanage.NodeManager", "group", WHY_GROUP, XDIST, None),
    ("xdist.workermanage.NodeManager.setup_node", "makegateway",
     "xdist makes each worker's gateway in turn, unbounded: the gateways made at once are handed to it "
     "instead", XDIST, None),
    ("execnet.gateway_base.BaseGateway", "_io",
     "a worker made through a proxy is waited for and killed through it (its _io asks the proxy); once "
     "the proxy is gone execnet would raise or hang, and no public knob says so", EXECNET, None),
    ("execnet.gateway_io.ProxyIO", "wait", "the wait guarded through _io", EXECNET, None),
    ("execnet.gateway_io.ProxyIO", "kill", "the kill guarded through _io", EXECNET, None),
    ("xdist.workermanage.WorkerController.setup", "invocation_params",
     "the command line xdist sends the workers, with no hook to change it: ours run in the node's copy "
     "of the project root and get its paths relative to it", XDIST, None),
    ("xdist.workermanage.WorkerController.setup", "popen",
     "xdist gives a popen worker this machine's sys.path: ours are popen workers of a proxy on another "
     "machine, and no hook says so", XDIST, None),
    ("xdist.workermanage.WorkerController.setup", "basetemp",
     "xdist gives a popen worker this machine's basetemp", XDIST, None),
    ("xdist.workermanage.parse_spec_config or xdist.workermanage.parse_tx_spec_config", "tx",
     "the schedulers count their workers from --tx: a worker not brought up is taken out of it",
     XDIST, None),
    ("xdist.dsession.DSession", "_clone_node",
     "xdist replaces a worker that went down, with no hook to say where or whether", XDIST, None),
    ("xdist.dsession.DSession._clone_node", "spec",
     "it reads only the gateway's spec of the worker it replaces: a stand-in carries the spec of a "
     "worker on another node", XDIST, None),
    ("xdist.dsession.DSession", "_failed_nodes_count",
     "xdist counts every worker that goes down against --max-worker-restart: a lost node's did not "
     "crash", XDIST, None),
    ("xdist.dsession.DSession", "shouldstop",
     "ends xdist's loop with a reason; pytest's session.shouldstop it does not read", XDIST, None),
    ("xdist.workermanage.WorkerController", "sendcommand",
     "a send to a worker whose connection is gone raises, and xdist would end the run with "
     "INTERNALERROR before the worker's down event is handled", XDIST, None),
    ("xdist.scheduler.LoadScheduling", "node2collection", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "collection", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "pending", WHY_TAKE_BACK, XDIST, None),
    ("xdist.scheduler.WorkStealingScheduling", "node2collection", WHY_COLLECTION, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "numnodes", WHY_NUMNODES, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "collection", WHY_NUMNODES, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "pending", WHY_TAKE_BACK, XDIST, (3, 2)),
    ("xdist.scheduler.EachScheduling", "node2collection", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.EachScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.EachScheduling", "collection_is_completed",
     "each keeps it as a flag, set when the collections counted are in: one fewer to wait for sets it",
     XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "registered_collections", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "collection", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "workqueue", WHY_TAKE_BACK, XDIST, None),
    ("_pytest.main.Session.perform_collect", "args",
     "a worker collects config.args, read after pytest_cmdline_main: ours get their test paths relative "
     "to the node's copy", PYTEST, None),
    ("_pytest.junitxml.LogXML.node_reporter", "node",
     "junit keys its test cases by (test, report.node): a re-run test's reports are filed with its first "
     "attempt's, so junit shows it once", PYTEST, None),
    ("execnet.gateway_io.popen_args", "python",
     "a node's gateway through the mux client is a popen gateway: its python= words, split as a shell "
     "would, start its argv (parallel.kill_ssh finds it by them), and execnet appends the python's own "
     "arguments, which the mux client quotes for the node's shell (render.h, --quote)", EXECNET, None),
    ("execnet.gateway_io.popen_args", "-c",
     "a forked worker runs execnet's bootstrap line as a fresh python would: the argument after -c "
     "(forkserver.py)", EXECNET, None),
    ("_pytest.assertion.rewrite", "AssertionRewritingHook",
     "the fork server leaves to each worker the modules pytest imported through its assertion rewriting "
     "(test modules, conftests, the plugins it rewrites), told by their loader's type: no public name says "
     "which they are (forkserver.py)", PYTEST, None),
    # pytest-cov, asked for where it is installed (SEAM_PLUGINS)
    ("pytest_cov.plugin.pytest_load_initial_conftests", "_cov",
     "pytest-cov registers its plugin under this name; no public accessor", PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin", "cov_controller", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin", "start", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine", "Central", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine", "DistMaster", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController", "pause",
     "stops the replaced controller's coverage (4.0: and its subprocesses' environment)", PYTEST_COV,
     "pytest_cov"),
    ("pytest_cov.engine.CovController", "cov",
     "the replaced controller's data so far (this conftest's import, the project's conftests') is saved "
     "beside, for the distributed one to combine", PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.DistWorker.finish", "cov_worker_data", WHY_WORKER_DATA, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.DistWorker.finish", "cov_worker_path", WHY_WORKER_DATA, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.pytest_addoption", "cov_source", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController.__init__", "cov_branch", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController.__init__", "cov_config", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin.__init__", "no_cov", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
)


def _resolve(dotted):
    """The object a dotted path names (the longest importable module,
    then attributes); raises ImportError or AttributeError."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            found = getattr(found, attr)
        return found
    raise ImportError(dotted)


_CODE_NAMES = {}  # obj -> _code_names(obj): each source is read once


def _code_names(obj):
    """The names obj's code reads or sets as attributes, and its strings;
    for a class, only what it sets on self.  Raises OSError when its
    source is not there.  (No decorator caches it: pytest-cloud init
    takes a top-level function decorated with anything but
    @pytest.hookimpl for code of the project's own, adopt.h.)"""
    if obj not in _CODE_NAMES:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        if inspect.isclass(obj):
            found = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                     and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == "self"}
        else:
            found = ({n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
                     | {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)})
        _CODE_NAMES[obj] = found
    return _CODE_NAMES[obj]


def _has(owner, name):
    if hasattr(owner, name):
        return True
    if inspect.ismodule(owner):
        return False
    if inspect.isclass(owner):
        return any(name in _code_names(cls) for cls in owner.__mro__ if cls is not object)
    return name in _code_names(owner)


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check(installed_xdist=None, plugins=None):
    """Every entry of SEAM the installed releases lack, as "owner.name"
    (empty: all there).  installed_xdist: its (major, minor); an entry
    whose owner came in a later release is not asked for.  plugins: the
    optional plugins whose entries are asked for (None: those installed)."""
    if installed_xdist is None:
        import xdist

        installed_xdist = _version(xdist.__version__)
    missing = []
    for owners, name, _why, _checked, since in SEAM:
        if isinstance(since, str):
            if not (_installed(since) if plugins is None else since in plugins):
                continue
        elif since is not None and installed_xdist < since:
            continue
        found = False
        for owner in owners.split(" or "):
            try:
                found = _has(_resolve(owner), name)
            except (ImportError, AttributeError, OSError, TypeError, SyntaxError):
                found = False
            if found:
                break
        if not found:
            missing.append("%s.%s" % (owners, name))
    return missing


class Seam:
    """The uses of the names of SEAM in xdist's controller, its workers'
    setup and pytest's reports; each method names its entries."""

    check = staticmethod(check)

    @staticmethod
    def dsession(config):
        """xdist's controller (xdist.plugin.pytest_configure: dsession)."""
        return config.pluginmanager.getplugin("dsession")

    @staticmethod
    def status_once(config):
        """Under -q, without a terminal, xdist writes its status line
        ("bringing up nodes...") at setup and again when the collection is
        complete: the second is left out (terminaldistreporter,
        ensure_show_status; registered only with a terminal reporter).
        With -v or on a terminal, where the line says something new or is
        rewritten in place, nothing changes."""
        reporter = config.pluginmanager.getplugin("terminaldistreporter")
        if reporter is None or config.option.verbose >= 0:
            return
        reporter.ensure_show_status = lambda: None

    @staticmethod
    def group(dsession):
        """The execnet group xdist makes its workers in (nodemanager, group)."""
        return dsession.nodemanager.group

    @staticmethod
    def hand_over(dsession, made, guard):
        """The gateways made all at once are handed to xdist by id when it
        makes each in turn (setup_node: makegateway); one made later (a
        restart) is made as xdist would, then guard(gateway)."""
        group = dsession.nodemanager.group
        original = group.makegateway

        def makegateway(spec=None):
            gateway = made.pop(spec.id, None) if spec is not None else None
            if gateway is None:
                gateway = original(spec)
                guard(gateway)
            return gateway

        group.makegateway = makegateway

    @staticmethod
    def proxy_of(dsession, gateway):
        """The proxy gateway a worker gateway was made through (via=), or
        None."""
        via = gateway.spec.via
        try:
            return dsession.nodemanager.group[via] if via else None
        except KeyError:
            return None

    @staticmethod
    def guard_proxied_io(gateway, proxy):
        """A worker made through proxy is waited for and killed through it
        (_io: wait, kill): once the proxy is gone there is nothing to wait
        for or kill (the worker was the proxy's child and ended with it)."""
        if proxy is None:
            return
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

    @staticmethod
    def worker_args(config, args):
        """The command line xdist sends the workers (setup:
        invocation_params) becomes args."""
        params = config.invocation_params
        config.invocation_params = type(params)(args=tuple(args), plugins=params.plugins, dir=params.dir)

    @staticmethod
    def remote_worker(node):
        """Our worker is no popen worker of this machine (setup: popen):
        pytest_configure_node runs after xdist has taken the arguments
        (which a popen spec keeps as they are) and before it decides on
        sys.path."""
        node.gateway.spec.popen = False

    @staticmethod
    def drop_specs(config, dropped):
        """The workers not brought up (their ids) leave --tx, which the
        schedulers count their workers from (tx)."""
        config.option.tx = [tx for tx in config.option.tx if spec_field(tx, "id") not in dropped]

    @staticmethod
    def intercept_restarts(dsession, decide):
        """xdist's replacement of a worker that went down (_clone_node)
        goes through decide(dsession, node, clone), clone being xdist's."""
        clone = dsession._clone_node

        def restart(node):
            spec = node.gateway.spec
            if spec.via:
                spec.popen = True  # remote_worker's change undone: a popen worker until configured
            return decide(dsession, node, clone)

        dsession._clone_node = restart

    @staticmethod
    def clone_on(dsession, node, target, clone):
        """A replacement worker on node target: a stand-in carries the spec
        of a worker through target's proxy (_clone_node reads only spec)."""
        import execnet

        spec = node.gateway.spec
        parts = ["popen", "via=" + target, "python=" + spec.python]
        if spec.execmodel:
            parts.append("execmodel=" + spec.execmodel)

        class Standin:
            pass

        standin = Standin()
        standin.gateway = Standin()
        standin.gateway.spec = execnet.XSpec("//".join(parts))
        return clone(standin)

    @staticmethod
    def forgive_crash(dsession):
        """A lost node's worker did not crash (_failed_nodes_count)."""
        dsession._failed_nodes_count -= 1

    @staticmethod
    def stop(dsession, why):
        """Ends xdist's loop with why (shouldstop)."""
        dsession.shouldstop = why

    @staticmethod
    def worker_setup(config, args):
        """On a worker of ours: it collects args (perform_collect: args),
        its basetemp is its own (setup: basetemp)."""
        config.args[:] = args
        config.option.basetemp = None

    @staticmethod
    def coverage_plugin(config):
        """pytest-cov's plugin when it measures this run (_cov, with a
        controller: cov_controller), else None."""
        plugin = config.pluginmanager.getplugin("_cov")
        if plugin is None or plugin.cov_controller is None:
            return None
        return plugin

    @staticmethod
    def coverage_distributed(config):
        """pytest-cov's Central, chosen before --dist was on, becomes a
        DistMaster as with -n (_cov: cov_controller, start; pause; cov);
        what Central measured so far is saved for it to combine."""
        plugin = Seam.coverage_plugin(config)
        if plugin is None:
            return False
        from pytest_cov import engine

        central = plugin.cov_controller
        if type(central) is not engine.Central:
            return False
        central.pause()
        plugin.start(engine.DistMaster)
        with warnings.catch_warnings():  # no data, a source not imported: DistMaster's are quiet too
            warnings.simplefilter("ignore")
            central.cov.save()
        return True

    @staticmethod
    def coverage_sent(workeroutput):
        """The coverage data a worker of pytest-cov's is about to send and
        its folder (DistWorker.finish: cov_worker_data, cov_worker_path),
        or None (not measured, or on a shared disk)."""
        if not workeroutput or "cov_worker_data" not in workeroutput:
            return None
        return workeroutput["cov_worker_data"], workeroutput["cov_worker_path"]

    @staticmethod
    def coverage_send(workeroutput, data, path):
        """The worker sends data, from folder path, instead."""
        workeroutput["cov_worker_data"] = data
        workeroutput["cov_worker_path"] = path

    @staticmethod
    def file_with_first_attempt(report, first):
        """A re-run test's report is filed by junit with its first
        attempt's (node_reporter: node): its node is seen as first."""
        report.node = _NodeAlias(report.node, first)


class SchedulerSeam:
    """The uses of the names of SEAM inside xdist's schedulers and their
    workers (the Scheduling protocol lacks them)."""

    @staticmethod
    def quiet_sends_to_gone(node, ours):
        """A send to a worker of ours whose connection is gone is dropped
        (sendcommand): its tests stay on its books and come back when it
        is removed.  Another plugin's workers are left as they are."""
        if not ours:
            return
        send = node.sendcommand

        def sendcommand(name, **kwargs):
            try:
                return send(name, **kwargs)
            except (OSError, ValueError):
                pass

        node.sendcommand = sendcommand

    @staticmethod
    def scheduler_kind(sched):
        """"load", "worksteal", "scope" (loadscope, loadfile, loadgroup),
        "each", or None: a scheduler xdist does not have (another
        plugin's), whose insides are not read."""
        import xdist.scheduler as s

        if isinstance(sched, s.LoadScopeScheduling):
            return "scope"
        if isinstance(sched, s.EachScheduling):
            return "each"
        if isinstance(sched, s.LoadScheduling):
            return "load"
        # public, from pytest-xdist 3.2 on
        if hasattr(s, "WorkStealingScheduling") and isinstance(sched, s.WorkStealingScheduling):
            return "worksteal"
        return None

    @staticmethod
    def collection(sched):
        """The test ids sched hands out, before the first go, or None for a
        scheduler whose insides are not known (node2collection,
        registered_collections)."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind is None:
            return None
        found = sched.registered_collections if kind == "scope" else sched.node2collection
        return list(next(iter(found.values()), []))

    @staticmethod
    def remove_uncollected(sched, node):
        """A worker lost before its collection came, removed: one fewer to
        wait for (numnodes), and the scheduling starts if the others' are
        all in (collection; each keeps collection_is_completed as a flag
        its add_node_collection sets).  worksteal's remove_node reschedules
        at once, and with nothing out yet lets every idle worker go: there
        the scheduling starts first, the lost worker still in it.  Returns
        what sched says the worker was running (a test it was sent), or
        None."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind is None:
            return sched.remove_node(node)  # another plugin's: as it is
        if sched.numnodes > 0:
            sched.numnodes -= 1
        if kind == "worksteal":
            if sched.collection is None and sched.collection_is_completed:
                sched.schedule()
            return sched.remove_node(node)
        sent = sched.remove_node(node)
        if kind == "each" and len(sched.node2collection) >= sched.numnodes:
            sched.collection_is_completed = True
        started = kind != "each" and sched.collection is not None
        if not started and sched.nodes and sched.collection_is_completed:
            sched.schedule()
        return sent

    @staticmethod
    def take_back(sched, test):
        """test is not to run again: out of the tests waiting (load,
        worksteal: collection, pending; scope: workqueue, its entry marked
        done).
        --dist each never takes one back."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind in ("load", "worksteal") and sched.collection and test in sched.collection:
            index = sched.collection.index(test)
            while index in sched.pending:
                sched.pending.remove(index)
        elif kind == "scope":
            for unit in sched.workqueue.values():
                if test in unit:
                    unit[test] = True


class _NodeAlias:
    """A worker node seen by report consumers: attributes of the real one,
    but equal to (and hashed as) another."""

    def __init__(self, real, key):
        self._real = real
        self._key = key

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __eq__(self, other):
        return other == self._key

    def __hash__(self):
        return hash(self._key)


# --- 9. src/cover.py ---------------------------------------------------------
#
# Coverage as a local run measures it (pytest-cov).
#
# On the controller pytest-cov runs its distributed mode, as with -n
# (Seam.coverage_distributed); each worker's data comes back with the
# project's paths here (WorkerCoverage, moved_coverage), and a lost node's
# data, which went with it, is accounted for (CoverageBook).

class PathMap:
    """move (a node's absolute path -> the controller's, or None) as
    coverage's CoverageData.update takes it: a function (coverage 7) or an
    object with map() (coverage 6).  Relative paths ([run] relative_files)
    and paths outside the node's copy are kept."""

    def __init__(self, move):
        self.move = move

    def __call__(self, path):
        moved = self.move(path) if os.path.isabs(path) else None
        return path if moved is None else moved

    map = __call__


def either_moved(*moves):
    """A move that tries each of moves in turn (the node's root as pytest
    names it, then its real path, which coverage records when the root
    is reached through a symbolic link)."""
    def move(path):
        for each in moves:
            moved = each(path)
            if moved is not None:
                return moved
        return None
    return move


def moved_coverage(data, move):
    """Coverage data (CoverageData.dumps()) with each file's path moved
    by move (PathMap): lines, arcs, contexts and file tracers kept."""
    from coverage import CoverageData

    node = CoverageData(no_disk=True)
    node.loads(data)
    here = CoverageData(no_disk=True)
    here.update(node, PathMap(move))
    return here.dumps()


class WorkerCoverage:
    """On a worker of ours: the coverage data pytest-cov sends the
    controller names the project's paths there (move: LocalPaths.moved),
    and the folder it names is the project root there (root).  pytest-cov
    puts it in workeroutput at the end of the test loop; xdist sends it
    after every pytest_sessionfinish."""

    def __init__(self, move, root):
        self.move = move
        self.root = root
        self.folder = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_sessionstart(self, session):
        # pytest-cov's worker (started in this hook) combines every data
        # file of its folder when it finishes: the workers of one node
        # would combine (and delete) each other's, half written.  Each has
        # a folder of its own (COVERAGE_FILE, read when its Coverage is
        # made; its subprocesses are told the file by pytest-cov).
        self.folder = tempfile.mkdtemp(prefix="pytest-cloud-cov-")
        before = os.environ.get("COVERAGE_FILE")
        os.environ["COVERAGE_FILE"] = os.path.join(self.folder, ".coverage")
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("COVERAGE_FILE", None)
            else:
                os.environ["COVERAGE_FILE"] = before

    def pytest_sessionfinish(self, session):
        output = getattr(session.config, "workeroutput", None)
        sent = Seam.coverage_sent(output)
        if sent is not None:
            Seam.coverage_send(output, moved_coverage(sent[0], self.move), self.root)

    def pytest_unconfigure(self, config):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class ControllerCoverage:
    """On the controller: pytest-cov (4.0) stores the data each worker
    sends with a Coverage it starts and stops around it, which warns that
    it collected nothing (a local run's collocated workers send none):
    that warning is left out, the data is kept."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_testnodedown(self, node, error):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No data was collected")
            yield


class CoverageBook:
    """What a lost node's coverage costs (pure: events in, lines out).  A
    worker sends its coverage data when it finishes; a lost node's went
    with it, so what only the tests that finished there ran is missing
    from the report.  The test running when it was lost is run again on
    another node (LossBook), and that run is measured there."""

    def __init__(self):
        self.finished = {}  # node -> tests whose outcome came from it

    def report(self, node, test, when, outcome="passed"):
        """A report of node's (None: not a node of ours): a test has
        finished there once its outcome is known (LossBook.report)."""
        if node is not None and (when in ("call", "teardown") or (when == "setup" and outcome != "passed")):
            self.finished.setdefault(node, set()).add(test)

    def lines(self, lost, crashes):
        """The summary's lines for the lost nodes (lost: node -> why;
        crashes: test -> [(node, worker), ...] lost under it).  A test
        lost under a node is measured where its outcome came from a node
        that was not lost; one that ran to its end nowhere (lost twice, or
        no node was left: its failed report names the lost node) is not
        counted as that node's."""
        measured = set()
        for node, tests in self.finished.items():
            if node not in lost:
                measured |= tests
        found = []
        for node in sorted(lost):
            here = {test for test, attempts in crashes.items() if any(n == node for n, _w in attempts)}
            tests = self.finished.get(node, set()) - here
            first = sorted(test for test, attempts in crashes.items() if attempts[0][0] == node)
            rerun = [test for test in first if test in measured]
            nowhere = [test for test in first if test not in measured]
            found.append("coverage: node '%s' was lost with its workers' data: what only its %d finished "
                         "test%s ran is not in the report%s%s" % (
                             node, len(tests), "" if len(tests) == 1 else "s",
                             "; %s, running there, is measured where it ran again" % ", ".join(rerun)
                             if rerun else "",
                             "; %s, running there, ran to its end nowhere" % ", ".join(nowhere)
                             if nowhere else ""))
        return found


def coverage_measures(config):
    """Whether pytest-cov measures this run."""
    return Seam.coverage_plugin(config) is not None


# --- 10. src/scheduling.py ---------------------------------------------------
#
# The schedulers: LongestFirstScheduling, CloudScheduling.
#
# LongestFirstScheduling implements xdist's Scheduling protocol itself;
# CloudScheduling is the run's scheduler around the user's (or ours), with
# what a lost node costs decided by the LossBook.

class LongestFirstScheduling:
    """xdist's load scheduling with the longest tests first (durations of
    earlier runs): every test once, work to idle workers, a lost worker's
    tests back to the queue, the pending tests sorted longest first before
    the first go out, and at most two tests to a worker at a time while the
    head of the queue is a long one (over twice the median), so that no
    long test waits behind short ones already handed out.

    It implements xdist's Scheduling protocol (xdist/scheduler/protocol.py)
    itself, public names only: xdist.report.report_collection_diff and the
    workers' send_runtest_some, shutdown and shutting_down.  expected is
    the number of workers whose collection is awaited.
    """

    def __init__(self, config, durations, expected, log=None):
        self.config = config
        self.durations = durations
        self.expected = expected
        self.node2collection = {}
        self.node2pending = {}
        self.pending = []
        self.collection = None
        self.times = []
        self.long = 0.0
        self.log = log

    @property
    def nodes(self):
        return list(self.node2pending)

    @property
    def collection_is_completed(self):
        return len(self.node2collection) >= self.expected

    @property
    def tests_finished(self):
        if not self.collection_is_completed or self.pending:
            return False
        return all(len(pending) < 2 for pending in self.node2pending.values())

    @property
    def has_pending(self):
        return bool(self.pending) or any(self.node2pending.values())

    def add_node(self, node):
        self.node2pending[node] = []

    def add_node_collection(self, node, collection):
        if self.collection is not None and list(collection) != self.collection:
            from xdist.report import report_collection_diff

            first = next(iter(self.node2collection))
            self._say(report_collection_diff(self.collection, collection, first.gateway.id,
                                             node.gateway.id))
            return
        self.node2collection[node] = list(collection)

    def mark_test_complete(self, node, item_index, duration=0):
        self.node2pending[node].remove(item_index)
        self._check(node, duration)

    def mark_test_pending(self, item):
        self.pending.insert(0, self.collection.index(item))
        for node in self.nodes:
            self._check(node)

    def remove_pending_tests_from_node(self, node, indices):
        raise NotImplementedError("work stealing is --dist worksteal's")

    def remove_node(self, node):
        pending = self.node2pending.pop(node)
        if not pending:
            return None
        crashed = self.collection[pending.pop(0)]
        self.pending.extend(pending)
        for other in self.nodes:
            self._check(other)
        return crashed

    def collected(self):
        """The test ids to hand out, before the first go."""
        return list(next(iter(self.node2collection.values()), []))

    def collection_lost(self):
        """A worker went before its collection came: one fewer to await."""
        self.expected -= 1
        if self.collection is None and self.nodes and self.node2collection and self.collection_is_completed:
            self.schedule()

    def take_back(self, test):
        index = self.collection.index(test)
        while index in self.pending:
            self.pending.remove(index)

    def schedule(self):
        if self.collection is not None:
            for node in self.nodes:
                self._check(node)
            return
        if not self._same_collections():
            self._say("**Different tests collected, aborting run**")
            return
        self.collection = next(iter(self.node2collection.values()))
        self.times, _ = expected_times(self.collection, self.durations)
        self.long = 2 * statistics.median(self.times) if self.times else 0.0
        self.pending[:] = longest_first(self.collection, self.durations)
        if not self.collection:
            return
        nodes = self.nodes
        if len(self.pending) < 2 * len(nodes):
            for k in range(len(self.pending)):
                self._send(nodes[k % len(nodes)], 1)
        else:
            chunk = max(len(self.collection) // len(nodes) // 4, 2)
            for node in nodes:
                self._send(node, chunk)
        if not self.pending:
            for node in nodes:
                node.shutdown()

    def _check(self, node, duration=0):
        if node.shutting_down:
            return
        if not self.pending:
            node.shutdown()
            return
        workers = len(self.node2pending)
        low = max(2, len(self.pending) // workers // 4)
        high = max(2, len(self.pending) // workers // 2)
        mine = self.node2pending[node]
        if len(mine) < low and not (duration >= 0.1 and len(mine) >= 2):
            self._send(node, high - len(mine))

    def _send(self, node, num):
        if self.pending and self.times[self.pending[0]] > self.long:
            num = min(num, 2)
        tests = self.pending[:num]
        if tests:
            del self.pending[:num]
            self.node2pending[node].extend(tests)
            node.send_runtest_some(tests)

    def _same_collections(self):
        from xdist.report import report_collection_diff

        items = list(self.node2collection.items())
        first, collection = items[0]
        same = True
        for node, other in items[1:]:
            diff = report_collection_diff(collection, other, first.gateway.id, node.gateway.id)
            if diff:
                same = False
                self._say(diff)
                if self.config is not None:
                    rep = pytest.CollectReport(node.gateway.id, "failed", longrepr=diff, result=[])
                    self.config.hook.pytest_collectreport(report=rep)
        return same

    def _say(self, text):
        if self.log is not None:
            self.log(text)


class CloudScheduling:
    """The run's scheduler: xdist's Scheduling protocol, every call passed
    to the user's scheduler (inner: xdist's own for --dist, or
    LongestFirstScheduling), with what a lost node costs decided by the
    LossBook when a worker goes.  node_of(worker) names a worker's node
    (None: not ours); first(inner) is called before the first tests go out;
    replacement() when a lost node's tests need a worker no one else can
    be."""

    def __init__(self, inner, book, node_of, first, replacement):
        self.inner = inner
        self.book = book
        self.node_of = node_of
        self.first = first
        self.replacement = replacement
        self.collected = set()  # workers whose collection came
        self.started = False

    @property
    def nodes(self):
        return self.inner.nodes

    @property
    def collection_is_completed(self):
        return self.inner.collection_is_completed

    @property
    def tests_finished(self):
        return self.inner.tests_finished

    @property
    def has_pending(self):
        return self.inner.has_pending

    def add_node(self, node):
        SchedulerSeam.quiet_sends_to_gone(node, self.node_of(node) is not None)
        self.inner.add_node(node)

    def add_node_collection(self, node, collection):
        self.collected.add(node)
        self.inner.add_node_collection(node, collection)

    def mark_test_complete(self, node, item_index, duration=0):
        self.inner.mark_test_complete(node, item_index, duration)

    def mark_test_pending(self, item):
        self.inner.mark_test_pending(item)

    def remove_pending_tests_from_node(self, node, indices):
        self.inner.remove_pending_tests_from_node(node, indices)

    def schedule(self):
        if not self.started:
            self.started = True
            self.first(self.inner)
        self.inner.schedule()

    def remove_node(self, node):
        name = self.node_of(node)
        lost = name in self.book.lost
        ours = isinstance(self.inner, LongestFirstScheduling)
        if lost and node not in self.collected:
            return self._remove_uncollected(node, name, ours)
        crashed = self.inner.remove_node(node)  # KeyError: never added (xdist knows)
        decision = self.book.worker_removed(name, node, crashed)
        for test in decision.requeue:
            self._requeue(test)
        for test in decision.take_back:
            if ours:
                self.inner.take_back(test)
            else:
                SchedulerSeam.take_back(self.inner, test)
        self._replace_if_needed(lost)
        return decision.crash

    def _remove_uncollected(self, node, name, ours):
        """A worker lost before its collection came ran nothing: one fewer
        collection to wait for, the scheduling starts without it, and a
        test the scheduler had sent it goes back, as no crash."""
        if ours:
            sent = self.inner.remove_node(node)
            self.inner.collection_lost()
        else:
            sent = SchedulerSeam.remove_uncollected(self.inner, node)
        self.book.worker_removed(name, node, None)
        if sent is not None:
            self._requeue(sent)
        self._replace_if_needed(True)
        return None

    def _requeue(self, test):
        try:
            self.inner.mark_test_pending(test)
        except NotImplementedError:
            pass  # the scope schedulers put the whole unfinished scope back

    def _replace_if_needed(self, lost):
        if needs_replacement(lost, self.inner.has_pending, [n.shutting_down for n in self.inner.nodes]):
            self.replacement()


# --- 11. src/texts.py --------------------------------------------------------
#
# Files carried as text: the fork server and the timeline page.
#
# Files the plugin carries as text: the fork server, its start and its
# client (sent to the nodes), and the timeline page's HTML, style and code.
# In the sources they are files beside this module, read when it is
# imported; in the assembled conftest.py they are string literals.

FORK_START = r"""import os, subprocess, sys, tempfile, time
args, server, client, bound = channel.receive()
d = tempfile.mkdtemp(prefix="pytest-cloud-fork-")
for name, text in (("server.py", server), ("client.py", client)):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
log = open(os.path.join(d, "log"), "wb")
env = dict(os.environ, PYTEST_CLOUD_FORK_SERVER=d)
proc = subprocess.Popen([sys.executable, "-u", os.path.join(d, "server.py"), d] + args,
                        stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, close_fds=True)
log.close()
deadline = time.monotonic() + bound
while True:
    said = [n for n in ("ready", "fallback") if os.path.exists(os.path.join(d, n))]
    if said:
        with open(os.path.join(d, said[0])) as f:
            channel.send((said[0], d, f.read()))
        break
    if proc.poll() is not None:
        with open(os.path.join(d, "log"), "rb") as f:
            tail = f.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        channel.send(("fallback", d, "the fork server ended (exit %s)%s" % (
            proc.returncode, (": " + tail[0]) if tail else "")))
        break
    if time.monotonic() > deadline:
        proc.kill()
        channel.send(("fallback", d, "its collection took longer than %ds" % bound))
        break
    time.sleep(0.02)
"""
FORK_SERVER = r'''import ast, array, os, random, selectors, signal, socket, sys, threading

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
'''
FORK_CLIENT = r"""import array, os, socket, sys
d = os.path.dirname(os.path.abspath(__file__))
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(d, "s"))
    # argv: the command line a fresh python would have had (sys.orig_argv)
    argv = getattr(sys, "orig_argv", [sys.executable])[:1] + sys.argv[1:]
    s.sendmsg([repr({"argv": argv}).encode("utf-8")],
               [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))])
except OSError:
    os.execv(sys.executable, [sys.executable] + sys.argv[1:])
os.close(0)
os.close(1)
status = b""
while True:
    chunk = s.recv(16)
    if not chunk:
        break
    status += chunk
os._exit(int(status) if status.strip().isdigit() else 1)
"""
TIMELINE_PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src '@STYLE_HASH@'; script-src '@CODE_HASH@'; img-src data:">
<title>@TITLE@</title><style>@STYLE@</style></head>
<body>
<h1>@TITLE@</h1>
<div id="figures"></div>
<div class="legend" id="legend"></div>
<div id="chart"><div id="labels"></div><div id="plot"><canvas id="bars"></canvas></div></div>
<div id="tip" hidden></div>
<h2>Nodes</h2>
<table id="nodes"><thead><tr><th class="l">node</th><th>CPUs</th><th>processes</th><th>bring-up s</th>
<th>tests run</th><th>busy</th><th class="l">lost</th></tr></thead><tbody></tbody></table>
<h2>Tests</h2>
<input id="filter" placeholder="filter: part of a test id" size="50"> <span id="shown"></span>
<table id="tests"><thead><tr><th class="l" data-k="0">test</th><th class="l" data-k="1">worker</th>
<th data-k="2">start s</th><th data-k="3">duration s</th><th class="l" data-k="4">outcome</th></tr></thead>
<tbody></tbody></table>
<script type="application/json" id="data">@DATA@</script>
<script>@CODE@</script>
</body></html>
"""
TIMELINE_STYLE = r"""body{font:13px system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:18px;margin:0 0 8px}
#figures{display:flex;flex-wrap:wrap;gap:4px 24px;margin:0 0 12px}
#figures div{white-space:nowrap}#figures b{font-weight:600}
table{border-collapse:collapse;margin:8px 0}
th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
th{cursor:pointer;background:#f6f6f6}td.l,th.l{text-align:left}
#chart{position:relative;display:flex;margin:12px 0;border:1px solid #ddd}
#labels{width:170px;flex:none;font:11px monospace;border-right:1px solid #ddd}
#labels div{height:16px;line-height:16px;padding:0 4px;overflow:hidden;white-space:nowrap}
#labels div.node{font-weight:bold;background:#f0f0f0}
#plot{position:relative;flex:1;overflow:hidden}
canvas{display:block}
.lost{position:absolute;width:0;border-left:2px dashed #c00}
.lost span{position:absolute;left:3px;top:0;color:#c00;font:bold 11px sans-serif;white-space:nowrap;background:#fffc}
.tail{position:absolute;top:0;bottom:0;background:#f902;border-left:1px solid #f90}
#tip{position:fixed;pointer-events:none;background:#222;color:#fff;padding:4px 6px;font:12px monospace;
white-space:pre;border-radius:3px;z-index:9}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
#tests td.l{max-width:60em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;cursor:pointer}
"""
TIMELINE_CODE = r""""use strict";
window.onerror = function (msg) { document.body.dataset.errors = (document.body.dataset.errors || "") + msg + ";"; };
(function () {
  var D = JSON.parse(document.getElementById("data").textContent);
  var ROW = 16, COLORS = {passed: "#3a3", failed: "#d22", error: "#a0a", skipped: "#bbb", xfailed: "#8ac",
    xpassed: "#fa0", lost: "#000", crashed: "#600"};
  var F = D.figures, wall = Math.max(F.session, F.last_end, 0.001);
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls; return e; }
  function secs(ms) { return (ms / 1000).toFixed(3); }
  // the figures
  var fig = document.getElementById("figures");
  function figure(label, value) { var d = el("div"); d.appendChild(el("b", label + ": ")); d.appendChild(el("span", value));
    fig.appendChild(d); }
  figure("session", F.session.toFixed(2) + " s");
  figure("tests from first start to last end", F.wall.toFixed(2) + " s");
  figure("sum of test time", F.test_time.toFixed(2) + " s");
  figure("utilisation", (100 * F.utilisation).toFixed(1) + " % of " + D.workers.length + " workers");
  if (F.expected !== null) figure("estimate", F.expected.toFixed(1) + " s, took " + F.wall.toFixed(1) + " s");
  if (F.longest) figure("longest test", F.longest.test + " (" + F.longest.duration.toFixed(2) + " s)");
  figure("critical tail", F.tail ? (F.tail.end - F.tail.start).toFixed(2) + " s from " + F.tail.start.toFixed(2) +
    " s (fewer than half the workers busy)" : "none");
  var legend = document.getElementById("legend");
  D.outcomes.forEach(function (o) { var s = el("span"); s.style.background = COLORS[o]; legend.appendChild(s);
    legend.appendChild(document.createTextNode(o)); });
  [["#cde", "not ready yet (the helper's probe and copy, the bring-up)"], ["#f902", "critical tail"]].forEach(
    function (p) { var s = el("span"); s.style.background = p[0]; legend.appendChild(s);
      legend.appendChild(document.createTextNode(p[1])); });
  // rows: a node's header, then its workers
  var rowOf = {}, rows = [null], labels = document.getElementById("labels");
  labels.appendChild(el("div", "seconds", "node"));
  var byNode = {};
  D.workers.forEach(function (w, i) { (byNode[w.node] = byNode[w.node] || []).push(i); });
  Object.keys(byNode).sort().forEach(function (node) {
    var h = el("div", node, "node"); h.dataset.node = node; labels.appendChild(h); rows.push(null);
    byNode[node].forEach(function (i) { rowOf[i] = rows.length; rows.push(i);
      var r = el("div", D.workers[i].worker, "worker"); r.dataset.worker = D.workers[i].worker; r.dataset.node = node;
      r.dataset.bars = "0"; labels.appendChild(r); });
  });
  var plot = document.getElementById("plot"), canvas = document.getElementById("bars");
  var width = Math.max(200, plot.clientWidth), height = rows.length * ROW;
  var ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = height * ratio;
  canvas.style.width = width + "px"; canvas.style.height = height + "px";
  var g = canvas.getContext("2d"); g.scale(ratio, ratio);
  function x(ms) { return ms / 1000 / wall * width; }
  // idle is the background; each bar at least a pixel wide
  rows.forEach(function (w, r) { g.fillStyle = w === null ? "#f0f0f0" : (r % 2 ? "#fafafa" : "#f4f4f4");
    g.fillRect(0, r * ROW, width, ROW); });
  // the axis: a tick every 1, 2 or 5 x 10^k seconds, about 10 in all
  var step = Math.pow(10, Math.floor(Math.log10(wall / 10)));
  step = wall / step > 50 ? step * 5 : wall / step > 20 ? step * 2 : step;
  g.fillStyle = "#555"; g.font = "10px sans-serif";
  for (var s = 0; s <= wall; s += step) { var tx = x(s * 1000); g.fillRect(tx, ROW - 4, 1, 4);
    g.fillText(String(+s.toFixed(3)), tx + 2, ROW - 5); }
  // a worker before it was ready: the helper's probe and copy, then its
  // bring-up (light blue)
  rows.forEach(function (w, r) { if (w === null || D.workers[w].ready === null) return;
    g.fillStyle = "#cde"; g.fillRect(0, r * ROW + 6, x(D.workers[w].ready * 1000), ROW - 12); });
  var perRow = {}, counts = {};
  D.tests.forEach(function (t, k) {
    var r = rowOf[t[1]]; if (r === undefined) return;
    var x0 = x(t[2]), w = Math.max(1, x(t[3]));
    g.fillStyle = COLORS[D.outcomes[t[4]]]; g.fillRect(x0, r * ROW + 2, w, ROW - 4);
    if (t[5]) { g.strokeStyle = "#000"; g.lineWidth = 1.5; g.strokeRect(x0 + 0.5, r * ROW + 1.5, Math.max(1, w - 1), ROW - 3); }
    (perRow[r] = perRow[r] || []).push(k); counts[r] = (counts[r] || 0) + 1;
  });
  Array.prototype.forEach.call(labels.children, function (div, r) { if (rows[r] !== null) div.dataset.bars = String(counts[r] || 0); });
  // the critical tail and the nodes lost, drawn where they happened
  if (F.tail) { var tail = el("div", undefined, "tail"); tail.style.left = x(F.tail.start * 1000) + "px";
    tail.style.width = Math.max(1, x((F.tail.end - F.tail.start) * 1000)) + "px"; tail.title = "critical tail";
    plot.appendChild(tail); }
  D.lost.forEach(function (l) {
    var its = byNode[l.node] || []; if (!its.length) return;
    var top = (rowOf[its[0]] - 1) * ROW, mark = el("div", undefined, "lost");
    mark.style.left = x(l.at * 1000) + "px"; mark.style.top = top + "px"; mark.style.height = (its.length + 1) * ROW + "px";
    mark.dataset.node = l.node; mark.title = "node " + l.node + " lost at " + l.at.toFixed(2) + " s: " + l.why;
    mark.appendChild(el("span", "lost: " + l.node)); plot.appendChild(mark);
  });
  // hovering a bar
  var tip = document.getElementById("tip");
  function describe(t) {
    var w = D.workers[t[1]], s = D.names[t[0]] + "\nnode " + w.node + ", worker " + w.worker + "\n" +
      secs(t[3]) + " s from " + secs(t[2]) + " s, " + D.outcomes[t[4]];
    if (t[5]) s += "\nre-run: its first attempt was running on node " + t[5] + " when it was lost";
    return s;
  }
  canvas.addEventListener("mousemove", function (ev) {
    var b = canvas.getBoundingClientRect(), r = Math.floor((ev.clientY - b.top) / ROW), ms = (ev.clientX - b.left) / width * wall * 1000;
    var hit = null, slack = wall * 1000 / width;
    (perRow[r] || []).some(function (k) { var t = D.tests[k]; if (ms >= t[2] - slack && ms <= t[2] + t[3] + slack) { hit = t; return true; } return false; });
    if (!hit) { tip.hidden = true; return; }
    tip.textContent = describe(hit); tip.hidden = false; tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
  // the nodes
  var nodes = document.querySelector("#nodes tbody");
  D.nodes.forEach(function (n) {
    var tr = el("tr"); tr.dataset.node = n.node;
    [[n.node, "l"], [n.cpus === null ? "" : String(n.cpus)], [String(n.processes)],
     [n.bringup === null ? "" : n.bringup.toFixed(2)], [String(n.tests)], [(100 * n.busy).toFixed(1) + " %"],
     [n.lost === null || n.lost === undefined ? "" : "at " + n.lost.toFixed(2) + " s", "l"]].forEach(function (c) {
      tr.appendChild(el("td", c[0], c[1])); });
    nodes.appendChild(tr);
  });
  // the tests: the longest first, filtered, sorted by a column
  var LIMIT = 500, key = 3, down = true, filter = "";
  var tbody = document.querySelector("#tests tbody"), shown = document.getElementById("shown");
  function cell(t, k) { return k === 0 ? D.names[t[0]] : k === 1 ? D.workers[t[1]].worker : k === 2 ? t[2] : k === 3 ? t[3] : D.outcomes[t[4]]; }
  function table() {
    var list = D.tests.filter(function (t) { return !filter || D.names[t[0]].indexOf(filter) >= 0; });
    list.sort(function (a, b) { var p = cell(a, key), q = cell(b, key); return (p < q ? -1 : p > q ? 1 : 0) * (down ? -1 : 1); });
    tbody.textContent = "";
    list.slice(0, LIMIT).forEach(function (t) {
      var tr = el("tr"), name = el("td", D.names[t[0]], "l"); name.title = "show only this test";
      name.addEventListener("click", function () { filter = D.names[t[0]]; document.getElementById("filter").value = filter; table(); });
      tr.appendChild(name); tr.appendChild(el("td", D.workers[t[1]].worker, "l")); tr.appendChild(el("td", secs(t[2])));
      tr.appendChild(el("td", secs(t[3]))); tr.appendChild(el("td", D.outcomes[t[4]] + (t[5] ? " (re-run)" : ""), "l"));
      tbody.appendChild(tr);
    });
    shown.textContent = "showing " + Math.min(LIMIT, list.length) + " of " + list.length + " attempts";
  }
  document.querySelectorAll("#tests th").forEach(function (th) { th.addEventListener("click", function () {
    var k = Number(th.dataset.k); if (k === key) down = !down; else { key = k; down = k >= 2; } table(); }); });
  document.getElementById("filter").addEventListener("input", function (ev) { filter = ev.target.value; table(); });
  table();
  document.body.dataset.rows = String(D.workers.length);
  document.body.dataset.bars = String(Object.keys(counts).reduce(function (a, r) { return a + counts[r]; }, 0));
  document.body.dataset.renderMs = performance.now().toFixed(1);
})();
"""


# --- 12. src/parallel.py -----------------------------------------------------
#
# Calls at once with a bound, and stopping an ssh that hangs.
#
# Bring-up makes every gateway at once; each is bounded, and one not up
# within its bound is made to fail fast by stopping its ssh, which
# execnet gives no handle on until the gateway is up.

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


def _describe(exc):
    """An exception (or a reason already in words) in one line."""
    if isinstance(exc, str):
        return exc
    text = str(exc).strip().splitlines()
    return "%s%s" % (type(exc).__name__, (": " + text[-1]) if text else "")


def launch_of(spec):
    """What tells a proxy gateway's process among this process's children:
    ("ssh", its ssh words) for an ssh spec, ("popen", its python= words)
    for a popen one (the mux client on the node's master, which execnet
    starts with those words first)."""
    if spec.ssh:
        return ("ssh", spec.ssh.split())
    return ("popen", shlex.split(spec.python))


def kill_ssh(launch):
    """Stops the process of a gateway (launch_of) that is still being made
    or must end: this process's child ssh whose words, just before its
    remote command, are exactly the ssh words (so "host" never matches
    "host -p 2222"), or whose argv starts with the popen words (the mux
    client: its master then ends the session; or the ssh it ran instead).  Linux /proc; elsewhere
    nothing is stopped and the bound only reports."""
    kind, words = launch
    me = str(os.getpid())
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            if stat[stat.rindex(")") + 2:].split()[1] != me:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")[:-1]
        except (OSError, ValueError, IndexError):
            continue
        if kind == "ssh":
            ours = argv and os.path.basename(argv[0]) == "ssh" and argv[-1 - len(words):-1] == words
        else:
            # the mux client, or the ssh it became when the master could
            # not take the session (its words from "ssh" to the
            # destination, then the one quoted command)
            ours = argv[:len(words)] == words or (argv[:1] == ["ssh"] and argv[:-1] == words[3:-1])
        if ours:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


# --- 13. src/forking.py ------------------------------------------------------
#
# ForkServers: a node's workers as forks of one process that collected.
#
# One start per node: a node's workers are forks of one process there (the
# fork server, forkserver.py), which has imported pytest, xdist, this
# plugin and the suite, through one collection.  It is started through the
# node's gateway (forkstart.py); each worker's python is then a tiny client
# (forkclient.py) that hands its stdin, stdout and stderr to the server
# (SCM_RIGHTS) and waits: the server forks, the child takes those pipes
# and runs execnet's bootstrap line as a fresh python would, and its exit
# status goes back to the client.  execnet, xdist and the worker protocol
# are as they are.  Where the server is not there (it fell back, or went)
# the client becomes the python it stands for (exec), so a worker always
# starts.  Linux only (fork without exec elsewhere is not safe enough).

class ForkServers:
    """Starts the fork servers of a bring-up.  args: the collection's
    arguments; bound: seconds each server's one collection may take
    (cloud_sync_timeout: it is a step after the copy); say: one line."""

    def __init__(self, args, bound, say):
        self.args = args
        self.bound = bound
        self.say = say
        self.forked = {}  # node -> the fork server's folder there

    def start(self, up, by_node):
        """A fork server on every node of up ({node: gateway}) that has
        more than one worker (by_node: {node: [worker spec]}), at once;
        its workers' python becomes the client.  A node whose server
        falls back says why, in one line, and starts fresh ones.  A node
        of one worker starts it fresh: a server would only add its own
        collection."""
        names = sorted(name for name in up if len(by_node[name]) > 1)

        def start(name):
            channel = up[name].remote_exec(FORK_START)
            channel.send((self.args, FORK_SERVER, FORK_CLIENT, self.bound))
            return channel.receive(self.bound + 10)

        results = _in_parallel(start, names, self.bound + 15, lambda name: None)
        for k, name in enumerate(names):
            result = results.get(k)
            if isinstance(result, Exception) or result[0] != "ready":
                why = _describe(result) if isinstance(result, Exception) else result[2]
                self.say("pytest-cloud: node '%s': workers start as fresh pythons: %s" % (name, why))
                continue
            self.forked[name] = result[1]
            for spec in by_node[name]:
                spec.python = "%s -I -S %s/client.py" % (spec.python, result[1])


# --- 14. src/bringup.py ------------------------------------------------------
#
# BringUp: every node's gateway at once, then its workers.
#
# Each node's proxy gateway at once, each bounded by the connect timeout;
# the worker check in each; the fork servers (forking.py) where the run
# forks its workers; then every worker through its proxy, at once.

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


class BringUp:
    """Every node's proxy gateway at once, each bounded by the connect
    timeout; the worker check in each (it is the worker python); then
    every worker through its proxy, at once.  A node that fails a step is
    left out (left_out: node -> why, said at once); the rest go on."""

    def __init__(self, plan, group, say, fork_args=None):
        self.plan = plan
        self.group = group
        self.say = say
        # the collection's arguments: fork servers; None: fresh workers
        self.forks = None if fork_args is None else ForkServers(fork_args, plan.sync_timeout, say)
        self.left_out = {}
        self.watchdogs = {}  # node -> the proxy watchdog's channel
        self.ssh = {}  # node -> its proxy's launch (parallel.launch_of: to stop a hung one)

    def leave_out(self, name, why):
        if name not in self.left_out:
            self.left_out[name] = why
            self.say("pytest-cloud: node '%s': left out: %s" % (name, why))

    def run(self, specs):
        """Brings up the nodes of our worker specs; returns {worker id:
        gateway} of the workers that came up."""
        by_node = collections.defaultdict(list)
        for spec in specs:
            by_node[self.plan.node_of(spec.id)].append(spec)
        up = self._proxies(sorted(by_node))
        self._check(up)
        if self.forks is not None:
            self.forks.start(up, by_node)
        return self._workers(up, by_node)

    def _proxies(self, names):
        import execnet

        specs = [execnet.XSpec(self.plan.proxies[name]) for name in names]
        for name, spec in zip(names, specs):
            self.ssh[name] = launch_of(spec)
        results = _in_parallel(self.group.makegateway, specs, self.gateway_bound(),
                               lambda spec: kill_ssh(launch_of(spec)))
        up = {}
        for k, name in enumerate(names):
            result = results[k]
            if isinstance(result, Exception):
                self.leave_out(name, "gateway: %s" % self._why(name, result))
                continue
            try:
                # kept open for the whole run: closing it ends the proxy
                self.watchdogs[name] = result.remote_exec(_PROXY_WATCHDOG)
            except Exception as exc:
                self.leave_out(name, "gateway: %s" % _describe(exc))
                continue
            up[name] = result
        return up

    def _why(self, name, exc):
        """Why node name's gateway did not come up, in words.  A gateway
        through the mux client whose process ended before execnet's
        bootstrap (the master gone, and the ssh run instead could not
        connect: exit 255) is no HostNotFound to execnet, which knows no
        address for a popen gateway: 1.9 raises AttributeError
        (remoteaddress), 2.x OSError (cannot send)."""
        if self.ssh[name][0] == "popen" and isinstance(exc, (AttributeError, OSError, EOFError)):
            return ("no session: the node's master has gone and ssh could not connect by itself "
                    "(its own message, if any, is above; %s)" % _describe(exc))
        return _describe(exc)

    def gateway_bound(self):
        """How long a gateway may take to come up, as the probe is bounded:
        its ssh sets up within the connect timeout (ConnectTimeout) and
        gives up a node silent for the keepalive (ServerAlive*, from the
        key exchange on), so a gateway still coming up after that is a
        node that answers but is slow to start its python (a loaded
        machine): it gets the keepalive more, and no longer."""
        return self.plan.connect_timeout + self.plan.keepalive

    def _check(self, up):
        """The helper's worker check (the worker python imports pytest,
        xdist and the develop eggs from the node's copy), run by each
        proxy, which is that python, in CHDIR: no python of its own."""
        check = self.plan.worker_check
        if check.get("by") != "gateway":
            return
        code = "import sys\nsys.argv = ['pytest-cloud-check'] + %r\n%s" % (
            list(check.get("args", [])), check["source"])
        names = sorted(up)
        bound = max(30, 3 * self.plan.connect_timeout)

        def run(name):
            up[name].remote_exec(code).waitclose(bound + 5)

        results = _in_parallel(run, names, bound, lambda name: kill_ssh(self.ssh[name]))
        for k, name in enumerate(names):
            if isinstance(results.get(k), Exception):
                why = str(results[k]).strip().splitlines() or [_describe(results[k])]
                self.leave_out(name, "worker python '%s' cannot import pytest, xdist%s: %s" % (
                    self.plan.python, " and the develop eggs" if check.get("args") else "", why[-1]))
                del up[name]

    def _workers(self, up, by_node):
        specs = [spec for name in up for spec in by_node[name]]
        results = _in_parallel(self.group.makegateway, specs, max(30, 3 * self.plan.connect_timeout),
                               lambda spec: kill_ssh(self.ssh[self.plan.node_of(spec.id)]))
        made = {}
        for k, spec in enumerate(specs):
            result, name = results[k], self.plan.node_of(spec.id)
            if not isinstance(result, Exception):
                Seam.guard_proxied_io(result, up[name])
                made[spec.id] = result
            elif name in self.left_out or not self.proxy_alive(name):
                self.leave_out(name, "connection lost while starting its workers: %s" % _describe(result))
            else:
                self.say("pytest-cloud: node '%s': worker %s not started: %s" % (name, spec.id, _describe(result)))
        return {wid: gw for wid, gw in made.items() if self.plan.node_of(wid) not in self.left_out}

    def proxy_alive(self, name):
        """Whether node name's proxy answers (for up to 2 s)."""
        try:
            proxy = self.group[name]
        except (KeyError, TypeError):
            return False
        deadline = time.monotonic() + 2
        while proxy.hasreceiver() and time.monotonic() < deadline:
            try:
                if proxy.remote_exec("channel.send(1)").receive(1) == 1:
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        return proxy.hasreceiver()

    def terminate(self):
        """Ends every gateway now (execnet's Group.terminate), before the
        interpreter shuts down: the group's own clean-up at exit would
        start threads, which Python 3.12 refuses then."""
        try:
            self.group.terminate(timeout=5)
        except Exception:
            pass


# --- 15. src/timeline.py -----------------------------------------------------
#
# TimelineBook, the figures, the self-contained HTML page.
#
# Where the time went, test by test: TimelineBook records each attempt of a
# test on the controller's clock (pure: times are passed in), timeline_data
# turns it into the facts cloud_report and the HTML file share, and
# timeline_html writes one self-contained page (no network, no external
# script or font).  A test is placed from the arrival of its reports: it
# ends when its teardown report arrives here, and starts its setup's
# duration before its setup report arrived.  The nodes' own clocks are not
# used (they differ between machines); what is left is the time a report
# takes to reach the controller, the same for a test's start and end.

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "lost", "crashed")


def attempt_outcome(phases):
    """A test attempt's outcome from its reports' (when, outcome, xfail)."""
    got = {when: (outcome, xfail) for when, outcome, xfail in phases}
    setup = got.get("setup")
    call = got.get("call")
    teardown = got.get("teardown")
    if setup is not None and setup[0] == "failed":
        return "error"
    if setup is not None and setup[0] == "skipped":
        return "xfailed" if setup[1] else "skipped"
    if call is not None:
        if call[1]:
            return "xfailed" if call[0] == "skipped" else "xpassed" if call[0] == "passed" else "failed"
        if call[0] != "passed":
            return call[0]
    if teardown is not None and teardown[0] == "failed":
        return "error"
    return "passed" if call is not None else "crashed"


class TimelineBook:
    """Each attempt of each test on the controller's clock (seconds from
    origin), the workers' bring-up and the nodes lost.  Pure."""

    def __init__(self, origin):
        self.origin = origin
        self.open = {}  # worker -> [test, node, start, phases]
        self.attempts = []  # (test, node, worker, start, end, outcome, rerun, lost_on)
        self.lost = []  # (node, at, why)
        self.ready = {}  # worker -> (node, at)
        self.lost_on = {}  # test -> the node it was running on when lost
        self.finished = None  # when the run ended

    def report(self, test, node, worker, when, outcome, duration, xfail, at):
        t = at - self.origin
        if when == "setup":
            self._close(worker, t, "crashed")  # a setup without the last report's end
            self.open[worker] = [test, node, max(0.0, t - duration), [], self.lost_on.get(test)]
        current = self.open.get(worker)
        if current is None or current[0] != test:
            return
        current[3].append((when, outcome, bool(xfail)))
        if when == "teardown":
            self.open.pop(worker)
            self._add(worker, current, t, attempt_outcome(current[3]))

    def _add(self, worker, current, end, outcome):
        test, node, start, _phases, lost_on = current
        if outcome == "lost":
            self.lost_on.setdefault(test, node)
        self.attempts.append((test, node, worker, start, max(end, start), outcome, lost_on is not None, lost_on))

    def _close(self, worker, t, outcome):
        current = self.open.pop(worker, None)
        if current is not None:
            self._add(worker, current, t, outcome)

    def worker_ready(self, worker, node, at):
        self.ready.setdefault(worker, (node, at - self.origin))

    def worker_down(self, worker, at, lost):
        """A worker went: the test it was running ends there, lost with
        its node or crashed."""
        self._close(worker, at - self.origin, "lost" if lost else "crashed")

    def node_lost(self, node, at, why):
        self.lost.append((node, at - self.origin, why))

    def finish(self, at):
        """The end of the run: what is still open ends here."""
        self.finished = at - self.origin
        for worker in list(self.open):
            self._close(worker, at - self.origin, "crashed")


def busy_steps(intervals):
    """[(time, workers busy from then on)] of (start, end) intervals."""
    events = sorted([(s, 1) for s, e in intervals] + [(e, -1) for s, e in intervals])
    steps, busy = [], 0
    for t, change in events:
        busy += change
        if steps and steps[-1][0] == t:
            steps[-1] = (t, busy)
        else:
            steps.append((t, busy))
    return steps


def critical_tail(intervals, workers):
    """(start, end) of the last stretch in which fewer than half the
    workers were busy, up to the last end; None when there is none (the
    workers were at least half busy up to the end, or the stretch is under
    5% of the tests' span: the last tests ending one after another)."""
    if not intervals or workers < 1:
        return None
    steps = busy_steps(intervals)
    end = steps[-1][0]
    start = None
    for t, busy in steps:
        if busy * 2 < workers:
            if start is None:
                start = t
        else:
            start = None
    first = min(s for s, _e in intervals)
    if start is None or end - start < 0.05 * (end - first):
        return None
    return start, end


def timeline_data(book, plan, expected=None, versions=None):
    """The facts of the timeline, for cloud_report and the HTML page:
    tests (one entry per attempt), workers, nodes, lost nodes, figures."""
    tests = [{"test": test, "node": node, "worker": worker, "start": round(start, 4),
              "duration": round(end - start, 4), "outcome": outcome, "rerun": rerun, "lost_on": lost_on}
             for test, node, worker, start, end, outcome, rerun, lost_on in book.attempts]
    tests.sort(key=lambda t: (t["start"], t["worker"] or ""))
    lost_at = {node: at for node, at, _why in book.lost}
    workers = sorted({w for w in book.ready} | {t["worker"] for t in tests if t["worker"]})
    nodes_of = {w: book.ready.get(w, (None, None))[0] for w in workers}
    for t in tests:
        nodes_of.setdefault(t["worker"], t["node"])
        if nodes_of.get(t["worker"]) is None:
            nodes_of[t["worker"]] = t["node"]
    capacity = {n.get("gateway") or n["node"]: n for n in (plan or {}).get("nodes", []) if n.get("status") == "ok"}
    intervals = [(t["start"], t["start"] + t["duration"]) for t in tests]
    first = min((s for s, _e in intervals), default=0.0)
    last = max((e for _s, e in intervals), default=0.0)
    span = last - first
    total = sum(t["duration"] for t in tests)
    tail = critical_tail(intervals, len(workers))
    longest = max(tests, key=lambda t: t["duration"], default=None)
    nodes = []
    for name in sorted(set(nodes_of.values()) - {None}, key=str):
        mine = [t for t in tests if t["node"] == name]
        its_workers = [w for w in workers if nodes_of.get(w) == name]
        ready = [book.ready[w][1] for w in its_workers if w in book.ready]
        busy = sum(t["duration"] for t in mine)
        info = capacity.get(name, {})
        nodes.append({"node": name, "cpus": info.get("cpus"), "processes": len(its_workers),
                      "bringup": round(min(ready), 3) if ready else None, "tests": len(mine),
                      "busy": round(busy / (len(its_workers) * span), 4) if its_workers and span > 0 else 0.0,
                      "lost": lost_at.get(name)})
    return {
        "tests": tests,
        "workers": [{"worker": w, "node": nodes_of.get(w),
                     "ready": round(book.ready[w][1], 4) if w in book.ready else None} for w in workers],
        "nodes": nodes,
        "lost": [{"node": n, "at": round(at, 4), "why": why} for n, at, why in book.lost],
        "figures": {
            "session": round(book.finished if book.finished is not None else last, 4),
            "first_start": round(first, 4), "last_end": round(last, 4), "wall": round(span, 4),
            "test_time": round(total, 4),
            "utilisation": round(total / (len(workers) * span), 4) if workers and span > 0 else 0.0,
            "expected": round(expected, 3) if expected is not None else None,
            "longest": {"test": longest["test"], "duration": longest["duration"]} if longest else None,
            "tail": {"start": round(tail[0], 4), "end": round(tail[1], 4)} if tail else None,
        },
        "versions": versions or {},
    }


def _script_json(value):
    """JSON that can stand inside <script>: no '<', '>', '&' or line
    separators as themselves (a test id is user text)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


PAGE_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def fill_page(template, values):
    """template with each @NAME@ in it replaced by values[NAME], in one
    pass over the template: what a value holds is never read again, so a
    test id that says @DATA@ stays text.  A placeholder without a value
    raises KeyError."""
    return PAGE_PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def csp_hash(text):
    """The content security policy's source for one inline script or
    style of exactly this text ('sha256-...', quotes left to the page)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def timeline_html(data, title="pytest-cloud run"):
    """One self-contained HTML page of the timeline: the data, the style
    and the drawing code inline, and a policy that lets it load nothing
    and run no script or style but those two (by their hashes)."""
    import html

    workers = [w["worker"] for w in data["workers"]]
    index = {w: i for i, w in enumerate(workers)}
    names = sorted({t["test"] for t in data["tests"]})
    name_index = {n: i for i, n in enumerate(names)}
    compact = {
        "names": names,
        "workers": data["workers"],
        "nodes": data["nodes"],
        "lost": data["lost"],
        "figures": data["figures"],
        "versions": data.get("versions", {}),
        "outcomes": list(OUTCOMES),
        # per attempt: name, worker, start ms, duration ms, outcome, the
        # node a re-run's first attempt was lost on (or null)
        "tests": [[name_index[t["test"]], index.get(t["worker"], -1), round(t["start"] * 1000),
                   round(t["duration"] * 1000), OUTCOMES.index(t["outcome"]), t.get("lost_on")]
                  for t in data["tests"]],
    }
    return fill_page(TIMELINE_PAGE, {
        "TITLE": html.escape(title), "DATA": _script_json(compact),
        "CODE": TIMELINE_CODE, "CODE_HASH": csp_hash(TIMELINE_CODE),
        "STYLE": TIMELINE_STYLE, "STYLE_HASH": csp_hash(TIMELINE_STYLE)})


# --- 16. src/outputs.py ------------------------------------------------------
#
# The end of a run: the summary lines, the report, the files written.
#
# summary_lines and report_data are pure; Outputs writes cloud_report's
# JSON and cloud_timeline's page, each whole (replace_file), and says what
# it wrote.

def summary_lines(left_out, book, unfinished, took=None):
    """The terminal summary's lines: nodes left out and lost, each re-run
    test and its fate, the estimate against the time taken."""
    lines = ["node '%s' left out at bring-up: %s" % kv for kv in sorted(left_out.items())]
    for name, why in sorted(book.lost.items()):
        line = "node '%s' lost during the run: %s" % (name, why)
        if book.not_run_on.get(name):
            line += " (--dist each: the rest of its tests did not run there)"
        lines.append(line)
    for test, attempts in sorted(book.crashes.items()):
        if len(attempts) > 1:
            lines.append("%s: running when '%s' and '%s' were lost: reported as failed"
                         % (test, attempts[0][0], attempts[1][0]))
        elif test in unfinished:
            lines.append("%s: running when '%s' was lost, no node left to run it again: reported as failed"
                         % (test, attempts[0][0]))
        elif not book.each:
            lines.append("%s: running when '%s' was lost: run again on another node" % (test, attempts[0][0]))
    if took is not None:
        lines.append("estimated %.1f s for the tests, took %.1f s" % took)
    return lines


def report_data(plan, left_out, book, unfinished, exitstatus, seconds, versions=None):
    """cloud_report's JSON (README "Lost nodes and re-runs"); versions:
    the helper's, the plugin's and what it runs on."""
    reruns = [{"test": test, "lost_on": [name for name, _worker in attempts],
               "outcome": "failed" if len(attempts) > 1 or test in unfinished else "re-run"}
              for test, attempts in sorted(book.crashes.items())]
    return {
        "plan": plan,
        "left_out": [{"node": k, "reason": v} for k, v in sorted(left_out.items())],
        "lost": [{"node": k, "reason": v} for k, v in sorted(book.lost.items())],
        "reruns": reruns,
        "exitstatus": exitstatus,
        "seconds": round(seconds, 3),
        "versions": versions or {},
    }


def replace_file(path, text):
    """Writes text to path whole, as pytest-cloud init writes its files
    (helper/edge/files.c): a temporary of a random name in the same
    folder, opened O_CREAT|O_EXCL|O_NOFOLLOW (a planted link or file of
    that name is never followed or reused), with the old file's mode and
    owner (a new file: 0666 less the umask), synced, renamed over path,
    the folder synced.  Never writes through a symbolic link at path, nor
    over what is not a regular file.  Raises OSError, its strerror saying
    why; the temporary does not stay."""
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISLNK(old.st_mode):
        raise OSError(errno.ELOOP, "is a symbolic link")
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise OSError(errno.EINVAL, "is not a regular file")
    folder, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _try in range(16):
        tmp = os.path.join(folder, ".%s.pytest-cloud-%s" % (name, os.urandom(6).hex()))
        try:
            fd = os.open(tmp, flags, 0o600 if old is not None else 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise OSError(errno.EEXIST, "no free temporary name beside it")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if old is not None:
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(fd, old.st_uid, old.st_gid)
                    except OSError as exc:
                        raise OSError(exc.errno, "cannot keep its owner (uid %d, gid %d): %s"
                                      % (old.st_uid, old.st_gid, exc.strerror)) from None
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
            f.write(text)
            f.flush()
            os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dirfd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    except OSError:
        pass
    finally:
        os.close(dirfd)


class Outputs:
    """The files a run writes at its end: the plan's report (cloud_report)
    and timeline (cloud_timeline) paths, None for none.  Each is written
    whole (replace_file); one that cannot be written (a symbolic link
    there, say) gets one line (say), and the run's exit status stays its
    own."""

    def __init__(self, report, timeline, say):
        self.report = report
        self.timeline = timeline
        self.say = say
        self.written = {}  # name -> path

    def write(self, timeline, title, **facts):
        """timeline: timeline_data's facts; title: the page's; facts:
        report_data's arguments."""
        if self.report:
            data = report_data(**facts)
            data["tests"] = timeline["tests"]
            data["timeline"] = {k: timeline[k] for k in ("workers", "nodes", "lost", "figures")}
            self._write_file("report", self.report, json.dumps(data, indent=2))
        if self.timeline:
            self._write_file("timeline", self.timeline, timeline_html(timeline, title))

    def lines(self):
        """The summary's lines on what was written."""
        return ["%s written: %s" % kv for kv in sorted(self.written.items())]

    def _write_file(self, name, path, text):
        try:
            replace_file(path, text)
        except OSError as exc:
            self.say("pytest-cloud: cloud_%s: cannot write '%s': %s" % (name, path, exc.strerror or exc))
            return
        self.written[name] = path


# --- 17. src/run.py ----------------------------------------------------------
#
# CloudRun: the hooks of a run, each handing its event on.
#
# xdist's DSession is the model: the run is its event loop and nothing
# else.  Each hook hands its event to the one that decides or keeps it:
# BringUp (the gateways), the LossBook (what a lost node costs), the
# ReplacementPolicy (where a worker that went down is replaced), the
# DurationsBook (earlier runs' durations, this run's), the TimelineBook
# (each attempt on the controller's clock), Outputs (the files written at
# the end), and the Seam for whatever of xdist it must reach.

class CloudRun:
    """The run on the controller: the helper's plan (plan), its process
    (helper, which calls lock_ended when a node's lock ends), and whether
    the --dist mode is ours to choose (dist_defaulted)."""

    def __init__(self, config, plan, helper, dist_defaulted=False):
        self.config = config
        self.plan = plan
        self.helper = helper
        self.dist_defaulted = dist_defaulted
        self.started = time.monotonic()
        self.book = LossBook()
        self.bringup = None
        self.durations = DurationsBook(None, False)  # pytest_configure reads the cache's
        self.replacements = ReplacementPolicy(plan.capacity)
        self.timeline = TimelineBook(self.started)
        self.outputs = Outputs(plan.report, plan.timeline, _say)
        self.collected = set()  # test ids the workers collected
        self.ready = set()  # our workers that are up and not down yet
        self.workers = 0  # xdist's workers, once brought up
        self.unfinished = []  # tests reported failed: no node was left to run them
        self.lock_lost = {}  # proxy id -> why its node's lock ended
        self.coverage = CoverageBook() if coverage_measures(config) else None
        helper.on_lost = self.lock_ended

    def node_of(self, worker):
        """The node of a worker of ours (its proxy id), else None."""
        via = worker.gateway.spec.via
        return via if via in self.plan.proxies else None

    def pytest_configure(self, config):
        """pytest's cache exists from here (its plugin's configure runs
        first): the durations of earlier runs, and so the order."""
        cache = getattr(config, "cache", None)
        self.durations = DurationsBook(cache.get(DURATIONS_KEY, {}) if cache is not None else None,
                                       self.dist_defaulted and self.plan.schedule == "durations")

    # -- bring-up -----------------------------------------------------------

    def pytest_xdist_setupnodes(self, config, specs):
        dsession = Seam.dsession(config)
        fork_args = _args_for_workers(config, paths=False) + _remote_args(config) if self.plan.fork else None
        Seam.status_once(config)
        self.bringup = BringUp(self.plan, Seam.group(dsession), _say, fork_args)
        ours = [spec for spec in specs if self.plan.node_of(spec.id) is not None]
        # the test paths relative to the project root, where ours run: an
        # absolute one of this machine may exist on a node too (a shared
        # file system) and load this project's conftest beside the copy's;
        # absolute only for a user's own --tx worker, whose rsync needs it
        Seam.worker_args(config, _args_for_workers(config, absolute=len(ours) < len(specs)))
        made = self.bringup.run(ours)
        Seam.hand_over(dsession, made, lambda gw: Seam.guard_proxied_io(gw, Seam.proxy_of(dsession, gw)))
        dropped = {spec.id for spec in ours if spec.id not in made}
        specs[:] = [spec for spec in specs if spec.id not in dropped]
        self.workers = len(specs)  # every worker xdist sets up, ours and others
        Seam.drop_specs(config, dropped)
        if not specs:
            reasons = "; ".join("%s: %s" % kv for kv in sorted(self.bringup.left_out.items()))
            pytest.exit("pytest-cloud: no node could be brought up (%s)" % reasons, returncode=1)
        Seam.intercept_restarts(dsession, self.restart)

    def lock_ended(self, node, why):
        """The helper lost a node's lock (its heartbeat went unanswered, or
        the node let it go): another run may now take that folder, so the
        node is lost, as if its connection had gone.  Its gateway's ssh is
        stopped (from the helper's reader thread: xdist then sees the
        workers go down, and the loss is handled in its loop)."""
        name = self.plan.gateway_of(node)
        if name is None or self.bringup is None or name not in self.bringup.ssh:
            return
        self.lock_lost[name] = why
        kill_ssh(self.bringup.ssh[name])

    def restart(self, dsession, node, clone):
        """xdist replaces a worker that went down: where, if anywhere, the
        ReplacementPolicy says; on another node through its proxy."""
        name = self.node_of(node)
        target = self.replacements.where(name, self.book.lost, self.bringup.left_out)
        if target == name:
            return clone(node)
        if target is None:
            return None
        try:
            return Seam.clone_on(dsession, node, target, clone)
        except Exception as exc:
            _say("pytest-cloud: node '%s': no replacement worker: %s" % (target, _describe(exc)))
            return None

    def pytest_configure_node(self, node):
        if self.node_of(node) is None:
            return
        node.workerinput.update(worker_input(self.config))
        Seam.remote_worker(node)

    # -- during the run -----------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_testnodedown(self, node, error):
        name = self.node_of(node)
        self.ready.discard(node)
        if name is not None and error is not None and name not in self.book.lost \
                and (name in self.lock_lost or not self.bringup.proxy_alive(name)):
            self.book.lose(name, "lock lost: %s" % self.lock_lost[name] if name in self.lock_lost
                           else "connection lost (%s)" % _describe(error))
            self.timeline.node_lost(name, time.monotonic(), self.book.lost[name])
            _say("\npytest-cloud: node '%s' lost: %s" % (name, self.book.lost[name]))
        self.timeline.worker_down(node.gateway.id, time.monotonic(), name in self.book.lost)
        if name is None or error is None or name not in self.book.lost:
            return  # a worker crashed on a live node: xdist replaces it
        dsession = Seam.dsession(self.config)
        Seam.forgive_crash(dsession)  # a lost node is not a crashed worker
        # only once the last worker's down event is here: xdist 3.1 stops
        # at once and handles no event after it
        if set(self.plan.capacity) <= set(self.book.lost) | set(self.bringup.left_out) and not self.ready:
            Seam.stop(dsession, "pytest-cloud: every node was lost (%s)" % "; ".join(
                "%s: %s" % kv for kv in sorted(self.book.lost.items())))

    def pytest_testnodeready(self, node):
        worker = node.gateway.id
        self.timeline.worker_ready(worker, self.node_of(node) or worker, time.monotonic())
        if self.node_of(node) is not None:
            self.ready.add(node)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_xdist_make_scheduler(self, config, log):
        outcome = yield
        inner = outcome.get_result()
        if inner is None:
            return
        from xdist.scheduler import EachScheduling, LoadScheduling

        if self.durations.longest_first and type(inner) is LoadScheduling:
            inner = LongestFirstScheduling(config, self.durations.earlier, self.workers, log)
        self.book.each = isinstance(inner, EachScheduling)
        outcome.force_result(CloudScheduling(inner, self.book, self.node_of, self.first_tests,
                                             self.replacements.want))

    def first_tests(self, sched):
        """The first tests are about to go out: one line says how."""
        ours = isinstance(sched, LongestFirstScheduling)
        tests = sched.collected() if ours else SchedulerSeam.collection(sched)
        _write(self.config, self.durations.first_tests(tests, len(sched.nodes) or 1, type(sched).__name__,
                                               self.config.option.dist, time.monotonic()))

    def pytest_handlecrashitem(self, crashitem, report, sched):
        text = self.book.twice(crashitem)
        if text is not None:
            self.book.done.add(crashitem)
            report.when = "call"  # a failed test, in junit too
            report.longrepr = text

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report):
        test, real, now = report.nodeid, getattr(report, "node", None), time.monotonic()
        self.book.report(real, test, report.when, report.outcome)
        if self.coverage is not None and real is not None:
            self.coverage.report(self.node_of(real), test, report.when, report.outcome)
        self.durations.report(test, report.when, report.duration, now)
        if real is not None and report.when in ("setup", "call", "teardown"):
            worker = real.gateway.id
            self.timeline.report(test, self.node_of(real) or worker, worker, report.when, report.outcome,
                                 report.duration, hasattr(report, "wasxfail"), now)
        attempts = self.book.crashes.get(test)
        if attempts and real is not None and real is not attempts[0][1]:
            Seam.file_with_first_attempt(report, attempts[0][1])
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session):
        yield
        for test, worker, text in self.book.unfinished():
            self.config.hook.pytest_runtest_logreport(report=_failed(test, worker, text))
            self.unfinished.append(test)

    def pytest_xdist_node_collection_finished(self, node, ids):
        self.collected.update(ids)

    # -- the end ------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        _store(self.config, self.collected, self.durations)
        now = time.monotonic()
        self.timeline.finish(now)
        versions = dict(_stack_versions(), plugin=PYTEST_CLOUD_VERSION, helper=self.plan.helper_version)
        expected = self.durations.expected if self.durations.tests_phase() else None
        self.outputs.write(timeline_data(self.timeline, self.plan.data, expected, versions), _title(self.config),
                           plan=self.plan.data, left_out=self.bringup.left_out if self.bringup else {},
                           book=self.book, unfinished=self.unfinished, exitstatus=int(exitstatus),
                           seconds=now - self.started, versions=versions)

    def pytest_terminal_summary(self, terminalreporter):
        lost = self.coverage.lines(self.book.lost, self.book.crashes) if self.coverage is not None else []
        _summary(terminalreporter, summary_lines(self.bringup.left_out if self.bringup else {}, self.book,
                                                 self.unfinished, self.durations.took()) + lost + self.outputs.lines())

    def pytest_unconfigure(self, config):
        self.helper.release()
        if self.bringup is not None:
            self.bringup.terminate()


def _say(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _write(config, line):
    """A line in the terminal's output (stderr without one)."""
    terminal = config.pluginmanager.getplugin("terminalreporter")
    if terminal is not None:
        terminal.write_line(line)
    else:
        _say(line)


def _title(config):
    """The timeline page's title: the project and the time."""
    return "pytest-cloud: %s, %s" % (os.path.basename(str(config.rootpath)), time.strftime("%Y-%m-%d %H:%M"))


def _summary(terminalreporter, lines):
    """The terminal summary's section, when there is anything to say."""
    if lines:
        terminalreporter.write_sep("=", "pytest-cloud")
        for line in lines:
            terminalreporter.write_line(line)


def _failed(test, worker, text):
    """The failed report of a test no node was left to run again."""
    path = test.split("::")[0]
    report = pytest.TestReport(nodeid=test, location=(path, None, path), keywords={}, outcome="failed",
                               longrepr=text, when="call")
    report.node = worker
    return report


def _store(config, collected, durations):
    """The test ids collected (for --nf) and the durations, into pytest's
    cache (none when it is off)."""
    cache = getattr(config, "cache", None)
    if cache is None:
        return
    if collected and not config.option.collectonly:
        cache.set("cache/nodeids", sorted(set(cache.get("cache/nodeids", [])) | collected))
    root = str(config.rootpath)
    stored = durations.to_store(cache.get(DURATIONS_KEY, {}),
                                lambda test: os.path.exists(os.path.join(root, test.split("::")[0])))
    if stored is not None:
        cache.set(DURATIONS_KEY, stored)


# --- 18. src/worker.py -------------------------------------------------------
#
# On the workers: what a worker of ours does differently.
#
# Its reports name the controller's places (LocalPaths); its selection
# cache is the controller's; it ends when its proxy is gone.

class LocalPaths:
    """A worker's report as the controller would have written it: the
    places it names under the node's copy of the project (node_root) are
    moved to the project on the controller (root), and a place the worker
    gave relative to its folder is made relative to the folder pytest was
    started in here (cwd), as pytest does, when that is shorter.  Only
    places are moved (skip and crash locations, traceback entries, the
    "File" lines of --tb=native, warnings' files, a collection error's
    quoted module path), never a test's own messages.  Pure: strings and
    pytest's report objects in, the same objects out."""

    def __init__(self, node_root, root, cwd):
        self.node_root = os.path.normpath(node_root)
        self.root = os.path.normpath(root)
        self.cwd = os.path.normpath(cwd)

    def moved(self, path, here=None):
        """The controller's absolute path for a path of the node (relative
        ones are from here, the worker's folder), or None when it is not
        in the node's copy."""
        full = os.path.normpath(os.path.join(here or self.node_root, str(path)))
        if full == self.node_root:
            return self.root
        if full.startswith(self.node_root + os.sep):
            return self.root + full[len(self.node_root):]
        return None

    def path(self, path, here=None):
        """An absolute place (a skip's, a crash's, a warning's file)."""
        moved = self.moved(path, here)
        return path if moved is None else moved

    def warning_file(self, path):
        """A warning's file: an absolute one moved (path), a relative one
        kept as it is.  pytest gives a warning about a test (Node.warn:
        record_xml_attribute's, a plugin's) the test's place relative to
        the rootdir, and prints it as it is; so does a local run."""
        return self.path(path) if os.path.isabs(path) else path

    def location(self, path, here=None):
        """A traceback entry's place: relative to cwd when shorter (pytest's
        own rule), else absolute."""
        moved = self.moved(path, here)
        if moved is None:
            return path
        rel = os.path.relpath(moved, self.cwd)
        return rel if len(rel) < len(moved) else moved

    def text(self, text):
        """A native traceback's lines and a collection error's text: a
        node path quoted as Python quotes a file ("File "..."" and
        '...')."""
        for quote in ('"', "'"):
            text = text.replace(quote + self.node_root + os.sep, quote + self.root + os.sep)
        return text

    def longrepr(self, longrepr, here=None):
        """A report's longrepr with its places moved (a skip's tuple comes
        back as a new tuple; the objects are changed in place)."""
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            return (self.path(longrepr[0], here),) + tuple(longrepr[1:])
        if isinstance(longrepr, str):
            return self.text(longrepr)
        if hasattr(longrepr, "longrepr") and isinstance(longrepr.longrepr, str):
            longrepr.longrepr = self.text(longrepr.longrepr)  # a collection error
            return longrepr
        chain = getattr(longrepr, "chain", None)
        parts = [(tb, crash) for tb, crash, _descr in chain] if chain else [
            (getattr(longrepr, "reprtraceback", None), getattr(longrepr, "reprcrash", None))]
        done = set()
        for tb, crash in parts:
            if crash is not None and id(crash) not in done and getattr(crash, "path", None):
                done.add(id(crash))
                crash.path = self.path(crash.path, here)
            for entry in getattr(tb, "reprentries", None) or ():
                if id(entry) in done:
                    continue
                done.add(id(entry))
                loc = getattr(entry, "reprfileloc", None)
                if loc is not None and getattr(loc, "path", None):
                    loc.path = self.location(loc.path, here)
                elif getattr(entry, "style", None) == "native":
                    entry.lines = [self.text(line) for line in entry.lines]
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None and id(crash) not in done and getattr(crash, "path", None):
            crash.path = self.path(crash.path, here)
        return longrepr


class _WorkerPlaces:
    """On a worker of ours: each report and warning, before xdist sends it,
    names the controller's places (LocalPaths)."""

    def __init__(self, paths):
        self.paths = paths

    def _here(self):
        try:
            return os.getcwd()
        except OSError:
            return None

    def _report(self, report):
        if report.longrepr is not None:
            report.longrepr = self.paths.longrepr(report.longrepr, self._here())

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        self._report(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report):
        self._report(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message):
        if getattr(warning_message, "filename", None):
            warning_message.filename = self.paths.warning_file(warning_message.filename)


def _seed_worker_cache(config, values):
    """Writes the controller's selection cache into the node copy's cache,
    before pytest's cache plugin reads it (nodes that share a home share
    the copy: each writes through a name of its own, host and pid)."""
    if not values or not config.pluginmanager.has_plugin("cacheprovider"):
        return
    import socket

    base = os.path.expanduser(os.path.expandvars(config.getini("cache_dir")))
    base = os.path.join(str(config.rootpath), base, "v")
    for key, value in values.items():
        path = os.path.join(base, *key.split("/"))
        if value is None:
            if os.path.exists(path):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%s.%d" % (path, socket.gethostname(), os.getpid())
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


# --- 19. src/main.py ---------------------------------------------------------
#
# The start of a run: pytest_cmdline_main, controller and workers.
#
# On a worker of ours it sets the worker up (worker.py); on the
# controller it checks the ini keys and the seam, runs the helper, takes
# its plan and registers the run (CloudRun).

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
            Seam.worker_setup(config, workerinput["cloud_args"])
            _seed_worker_cache(config, workerinput.get("cloud_cache"))
            if "cloud_places" in workerinput:
                root, cwd = workerinput["cloud_places"]
                paths = LocalPaths(str(config.rootpath), root, cwd)
                config.pluginmanager.register(_WorkerPlaces(paths), "pytest-cloud-places")
                real = LocalPaths(os.path.realpath(str(config.rootpath)), root, cwd)
                config.pluginmanager.register(WorkerCoverage(either_moved(paths.moved, real.moved), root),
                                              "pytest-cloud-coverage")
            _end_with_parent()
        return None
    if os.environ.get("PYTEST_CLOUD_FORK_SERVER"):
        return None  # a node's fork server collecting the suite once
    _check_ini(config)
    if not _requested(config) or config.option.collectonly:
        return None
    if not hasattr(config.option, "tx"):
        raise pytest.UsageError("pytest-cloud: pytest-xdist is needed (Debian: python3-pytest-xdist)")
    missing = Seam.check(plugins={"pytest_cov"} if coverage_measures(config) else set())
    if missing:
        raise pytest.UsageError("pytest-cloud: this pytest-xdist (%s) or execnet lacks what pytest-cloud %s "
                                "relies on (the conftest's SEAM, src/seam.py): %s"
                                % (".".join(map(str, _xdist_version() or ())), PYTEST_CLOUD_VERSION,
                                   "; ".join(missing)))
    if threading.current_thread() is threading.main_thread():
        # SIGTERM ends the run as Ctrl-C does: every process is stopped
        signal.signal(signal.SIGTERM, _on_sigterm)
    _raise_open_file_limit()
    helper = _Helper(config)
    try:
        plan = Plan(helper.plan(), config.invocation_params.dir)
    except KeyboardInterrupt:
        sys.stderr.write("pytest-cloud: interrupted: the helper and its copies were stopped\n")
        return pytest.ExitCode.INTERRUPTED
    config.option.tx = list(config.option.tx or []) + list(plan.data["tx"])
    dist_defaulted = config.option.dist == "no"
    if dist_defaulted:
        config.option.dist = "load"
        Seam.coverage_distributed(config)  # pytest-cov chose before --dist was on
    if getattr(config.option, "maxworkerrestart", "unset") is None:
        # as xdist bounds it for -n N: a worker that cannot start is not
        # started again for ever (lost nodes do not count)
        config.option.maxworkerrestart = str(4 * len(config.option.tx))
    config.pluginmanager.register(CloudRun(config, plan, helper, dist_defaulted), "pytest-cloud-xdist")
    if coverage_measures(config):
        config.pluginmanager.register(ControllerCoverage(), "pytest-cloud-coverage")
    return None
