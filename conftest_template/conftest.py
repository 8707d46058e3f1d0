"""pytest-cloud: run this project's tests on SSH nodes with pytest-xdist.

Drop this file into the project root (next to pytest.ini, tox.ini or
setup.cfg), list the nodes in the ini file and run ``pytest``:

    [pytest]
    cloud_nodes = user@node1 user@node2

On the controller this conftest runs the ``pytest-cloud`` helper, which
probes the nodes over SSH, plans the test processes and copies the project
(with its virtualenv) to every usable node; the helper prints the
pytest-xdist ``--tx`` specs, which this file hands to xdist with
``--dist load``.  On the workers it only points pytest at the test paths
of the command line, relative to the project root.

The helper is found from, in order: the PYTEST_CLOUD_HELPER environment
variable, the ``cloud_helper`` ini key, ``pytest-cloud`` on PATH.

Options on pytest's command line must be written ``--cloud-x=value``:
pytest only knows them once it has loaded this file.
"""

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

# (option name, help, takes several); each --cloud-NAME also has the ini
# key cloud_NAME and the environment variable PYTEST_CLOUD_NAME, which the
# helper reads itself.
_OPTIONS = (
    ("node", "node to run tests on, [user@]host[:port]; repeatable", True),
    ("nodes", "space-separated nodes to run tests on; repeatable", True),
    ("python", "python on the nodes when no virtualenv is synced", False),
    ("chdir", "folder on the nodes, relative to the remote home", False),
    ("virtualenv-path", "virtualenv inside the project for workers", False),
    ("mem-per-process", "MiB of available memory per test process", False),
    ("max-processes", "most test processes on one node", False),
    ("rsync-bandwidth-limit", "KB/s for each rsync; 0: no limit", False),
    ("rsync-max-processes", "most rsync processes at once", False),
    ("rsync-cipher", "ssh cipher for rsync", False),
    ("ssh-config", "OpenSSH client config for every SSH connection", False),
    ("connect-timeout", "seconds to set up each SSH connection", False),
    ("max-connections", "most SSH connections being set up at once", False),
)

_INI_ONLY = (
    ("cloud_develop_eggs", "packages installed in development mode on the nodes"),
    ("cloud_helper", "path of the pytest-cloud helper binary"),
)


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
            parser.addini(_dest(name), help_text)
    group.addoption(
        "--no-cloud",
        dest="cloud_off",
        action="store_true",
        default=False,
        help="run here, ignoring the cloud settings",
    )
    for key, help_text in _INI_ONLY:
        parser.addini(key, help_text)


def _on_worker(config):
    return hasattr(config, "workerinput") or "PYTEST_XDIST_WORKER" in os.environ


def _requested(config):
    """True when nodes are configured in any source and the run is not
    local on purpose (--no-cloud, or xdist's -n for local workers)."""
    opt = config.option
    configured = bool(
        opt.cloud_node
        or opt.cloud_nodes
        or os.environ.get("PYTEST_CLOUD_NODES")
        or config.getini("cloud_nodes")
    )
    if not configured or opt.cloud_off:
        return False
    if getattr(opt, "numprocesses", None):
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
    return argv


def _run_helper(config):
    """Runs the helper, showing its progress; returns its JSON plan."""
    argv = _helper_argv(config, _find_helper(config))
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=str(config.invocation_params.dir),
        )
    except OSError as exc:
        raise pytest.UsageError("pytest-cloud: cannot run %s: %s" % (argv[0], exc))
    errors = []
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace")
        sys.stderr.write(line)
        sys.stderr.flush()
        if ": error: " in line:
            errors.append(line.strip())
    out = proc.stdout.read()
    status = proc.wait()
    if status != 0:
        raise pytest.UsageError(
            "\n".join(errors) or "pytest-cloud: helper exited with status %d" % status
        )
    try:
        return json.loads(out.decode("utf-8"))
    except ValueError as exc:
        raise pytest.UsageError("pytest-cloud: helper printed no JSON: %s" % exc)


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


def _args_for_xdist(config):
    """pytest's own command line as xdist should pass it on to the workers.

    xdist rewrites every argument that names an existing path to be
    relative to one of its rsync roots and fails on any other.  The test
    paths reach the workers through ``cloud_args`` instead, so they are
    left out here.  --rootdir is left out too (the workers' folder is the
    project root), and -c's file is given relative to the project root,
    where the workers find it.  Other existing paths become absolute
    (inside the project root, xdist's rewrite then accepts them).
    """
    here = str(config.invocation_params.dir)
    root = str(config.rootpath)
    positional = {str(a) for a in config.args}
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
            full = os.path.normpath(os.path.join(here, args[i]))
            result += [arg, os.path.relpath(full, root)]
            i += 1
            continue
        path = arg.partition("::")[0]
        if not arg.startswith("-") and os.path.exists(os.path.join(here, path)):
            arg = os.path.normpath(os.path.join(here, arg))
        result.append(arg)
    return result


def _premake_gateways(group, specs):
    """Brings the workers' gateways up all at once (xdist makes them one
    after another, ~0.3 s each over ssh); xdist then gets each one when it
    asks the group for it."""
    made = {}
    failed = {}
    original = group.makegateway

    def make(spec):
        try:
            made[spec.id] = original(spec)
        except Exception as exc:  # reported when xdist asks for it
            failed[spec.id] = exc

    threads = [threading.Thread(target=make, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def makegateway(spec=None):
        key = getattr(spec, "id", None)
        if key in made:
            return made.pop(key)
        if key in failed:
            raise failed.pop(key)
        return original(spec)

    group.makegateway = makegateway


class _CloudXdist:
    """Hands the helper's plan to pytest-xdist on the controller."""

    def __init__(self, config, plan):
        self.rootpath = config.rootpath
        self.ids = set()
        for spec in plan["tx"]:
            for part in spec.split("//"):
                if part.startswith("id="):
                    self.ids.add(part[3:])
        self.ssh_options = "-o ConnectTimeout=%d -o BatchMode=yes" % int(
            plan.get("connect_timeout", 10)
        )
        self.remote_args = _remote_args(config)

    def pytest_xdist_setupnodes(self, config, specs):
        dsession = config.pluginmanager.getplugin("dsession")
        manager = dsession.nodemanager
        # The helper's rsync already copied the project: xdist copies
        # nothing.  Its roots only decide how it rewrites arguments.
        manager.roots = [self.rootpath]
        manager.rsync_roots = lambda gateway: None
        params = config.invocation_params
        config.invocation_params = type(params)(
            args=tuple(_args_for_xdist(config)), plugins=params.plugins, dir=params.dir
        )
        ours = [spec for spec in specs if spec.ssh and spec.id in self.ids]
        for spec in ours:
            spec.ssh = "%s %s" % (self.ssh_options, spec.ssh)
        if os.environ.get("PYTEST_CLOUD_BRINGUP", "parallel") != "serial":
            _premake_gateways(manager.group, ours)

    def pytest_configure_node(self, node):
        node.workerinput["cloud_args"] = list(self.remote_args)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if _on_worker(config):
        workerinput = getattr(config, "workerinput", {})
        if "cloud_args" in workerinput:
            config.args[:] = workerinput["cloud_args"]
        return None
    if not _requested(config) or config.option.collectonly:
        return None
    if not hasattr(config.option, "tx"):
        raise pytest.UsageError(
            "pytest-cloud: pytest-xdist is needed (Debian: python3-pytest-xdist)"
        )
    plan = _run_helper(config)
    config.option.tx = list(config.option.tx or []) + list(plan["tx"])
    config.option.dist = "load"
    config.pluginmanager.register(_CloudXdist(config, plan), "pytest-cloud-xdist")
    return None
