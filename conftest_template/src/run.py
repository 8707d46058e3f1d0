"""CloudRun: the hooks of a run, each handing its event on.

xdist's DSession is the model: the run is its event loop and nothing
else.  Each hook hands its event to the one that decides or keeps it:
BringUp (the gateways), the LossBook (what a lost node costs), the
ReplacementPolicy (where a worker that went down is replaced), the
DurationsBook (earlier runs' durations, this run's), the TimelineBook
(each attempt on the controller's clock), Outputs (the files written at
the end), and the Seam for whatever of xdist it must reach.
"""

import os
import sys
import time

import pytest

from . import PYTEST_CLOUD_VERSION
from .bringup import BringUp
from .cover import CoverageBook, coverage_measures
from .durations import DURATIONS_KEY, DurationsBook
from .helper import _stack_versions
from .lossbook import LossBook
from .outputs import Outputs, summary_lines
from .parallel import _describe, kill_ssh
from .replacement import ReplacementPolicy
from .scheduling import CloudScheduling, LongestFirstScheduling
from .seam import SchedulerSeam, Seam
from .timeline import TimelineBook, timeline_data
from .workerargs import _args_for_workers, _remote_args, worker_input


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
