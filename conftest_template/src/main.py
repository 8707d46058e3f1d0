"""The start of a run: pytest_cmdline_main, controller and workers.

On a worker of ours it sets the worker up (worker.py); on the
controller it checks the ini keys and the seam, runs the helper, takes
its plan and registers the run (CloudRun).
"""

import os
import signal
import sys
import threading

import pytest

from . import PYTEST_CLOUD_VERSION
from .cover import ControllerCoverage, WorkerCoverage, coverage_measures, either_moved
from .helper import _Helper, _requested, _xdist_version
from .options import _check_ini
from .plan import Plan
from .run import CloudRun
from .seam import Seam
from .worker import LocalPaths, _WorkerPlaces, _end_with_parent, _seed_worker_cache


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
