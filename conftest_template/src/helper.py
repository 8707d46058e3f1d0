"""The helper's process: whether the run is ours, its progress, its plan.

Whether nodes are configured and the run is not local on purpose; where
the helper is; its command line (what only pytest knows); and the
process itself, whose progress is shown as it comes, whose plan is read,
and which holds each node's CHDIR locked for the run.
"""

import json
import os
import re
import subprocess
import sys
import threading

import pytest

from . import PYTEST_CLOUD_VERSION
from .options import _OPTIONS, _dest, _version


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
