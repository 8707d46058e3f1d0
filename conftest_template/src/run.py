"""CloudRun: the hooks of a run, each handing its event on.
"""

import json
import os
import sys
import time

import pytest

from . import PYTEST_CLOUD_VERSION
from .bringup import BringUp, _describe
from .durations import DURATIONS_KEY, estimate, longest_first, merge_durations
from .helper import _stack_versions
from .lossbook import LossBook
from .options import _SELECTION_CACHE_KEYS
from .outputs import report_data, summary_lines
from .plan import spec_field
from .scheduling import CloudScheduling, LongestFirstScheduling
from .seam import Seam
from .timeline import TimelineBook, timeline_data, timeline_html
from .workerargs import _args_for_workers, _remote_args


class CloudRun:
    """Hands the helper's plan to pytest-xdist on the controller and looks
    after the run: each hook passes its event to BringUp, LossBook or the
    scheduler, and keeps what the end needs."""

    def __init__(self, config, plan, helper, dist_defaulted=False):
        self.config = config
        self.plan = plan
        self.helper = helper
        self.dist_defaulted = dist_defaulted
        self.book = LossBook()
        self.bringup = None
        self.durations = None  # of earlier runs; None: pytest's cache is off
        self.longest_first = False
        self.ran = {}  # test id -> seconds this run (setup + call + teardown)
        self.timed = set()  # tests whose teardown report came
        self.expected = None  # the estimate said before the run
        self.expected_tests = 0
        self.sched_started = None
        self.tests_ended = None
        self.collected = set()
        self.ready = set()  # our workers that are up and not down yet
        self.workers = 0  # xdist's workers, once brought up
        self.unfinished = []
        self.replacements_wanted = 0
        self.replaced = 0
        self.started = time.monotonic()
        self.timeline = TimelineBook(self.started)
        self.written = {}  # output files written: name -> path
        self.lock_lost = {}  # proxy id -> why its node's lock ended
        helper.on_lost = self.lock_ended

    def node_of(self, worker):
        """The node of a worker of ours (its proxy id), else None."""
        return Seam.via(worker) if Seam.via(worker) in self.plan.proxies else None

    def say(self, line):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def pytest_configure(self, config):
        """pytest's cache exists from here (its plugin's configure runs
        first): the durations of earlier runs, and so the order."""
        cache = getattr(config, "cache", None)
        if cache is not None:
            self.durations = merge_durations(cache.get(DURATIONS_KEY, {}), {})
        self.longest_first = (self.dist_defaulted and self.plan.data.get("schedule", "durations") == "durations"
                              and bool(self.durations))

    # -- bring-up -----------------------------------------------------------

    def pytest_xdist_setupnodes(self, config, specs):
        dsession = Seam.dsession(config)
        fork_args = None
        if self.plan.data.get("fork", False):
            fork_args = _args_for_workers(config, paths=False) + _remote_args(config)
        Seam.status_once(config)
        self.bringup = BringUp(self.plan, Seam.group(dsession), self.say, fork_args)
        Seam.worker_args(config, _args_for_workers(config))
        ours = [spec for spec in specs if self.plan.node_of(spec.id) is not None]
        made = self.bringup.run(ours)
        Seam.hand_over(dsession, made, lambda gw: Seam.guard_proxied_io(gw, Seam.proxy_of(dsession, gw)))
        dropped = {spec.id for spec in ours if spec.id not in made}
        specs[:] = [spec for spec in specs if spec.id not in dropped]
        self.workers = len(specs)  # every worker xdist sets up, ours and others
        # xdist's schedulers wait for as many collections as --tx has specs
        config.option.tx = [tx for tx in config.option.tx if spec_field(tx, "id") not in dropped]
        if not specs:
            self._exit_no_nodes("no node could be brought up")
        Seam.intercept_restarts(dsession, self.restart)

    def lock_ended(self, node, why):
        """The helper lost a node's lock (its heartbeat went unanswered, or
        the node let it go): another run may now take that folder, so the
        node is lost, as if its connection had gone.  Its gateway's ssh is
        stopped (from the helper's reader thread: xdist then sees the
        workers go down, and the loss is handled in its loop)."""
        name = next((n.get("gateway") for n in self.plan.data.get("nodes", [])
                     if n.get("node") == node and n.get("gateway")), None)
        if name is None or self.bringup is None or name not in self.bringup.ssh:
            return
        self.lock_lost[name] = why
        Seam.kill_ssh(self.bringup.ssh[name])

    def restart(self, dsession, node, clone):
        """xdist replaces a worker that went down.  Never on a lost node:
        there, only when the lost node's tests need a worker, on a
        surviving node through its proxy."""
        name = self.node_of(node)
        if name not in self.book.lost:
            return clone(node)
        if self.replacements_wanted <= 0:
            return None
        self.replacements_wanted -= 1
        gone = set(self.book.lost) | set(self.bringup.left_out if self.bringup else ())
        alive = [n for n in self.plan.capacity if n not in gone]
        if not alive:
            return None
        self.replaced += 1
        target = sorted(alive, key=lambda n: -self.plan.capacity[n])[self.replaced % len(alive)]
        try:
            return Seam.clone_on(dsession, node, target, clone)
        except Exception as exc:
            self.say("pytest-cloud: node '%s': no replacement worker: %s" % (target, _describe(exc)))
            return None

    def _exit_no_nodes(self, what):
        left = dict(self.bringup.left_out if self.bringup else {})
        left.update(self.book.lost)
        reasons = "; ".join("%s: %s" % kv for kv in sorted(left.items()))
        pytest.exit("pytest-cloud: %s (%s)" % (what, reasons), returncode=1)

    def pytest_configure_node(self, node):
        if self.node_of(node) is None:
            return
        node.workerinput["cloud_args"] = _remote_args(self.config)
        node.workerinput["cloud_places"] = [str(self.config.rootpath), str(self.config.invocation_params.dir)]
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            node.workerinput["cloud_cache"] = {key: cache.get(key, None) for key in _SELECTION_CACHE_KEYS}
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
            self.say("\npytest-cloud: node '%s' lost: %s" % (name, self.book.lost[name]))
        self.timeline.worker_down(node.gateway.id, time.monotonic(), name in self.book.lost)
        if name is None or error is None:
            return
        if name not in self.book.lost:
            return  # a worker crashed on a live node: xdist replaces it
        dsession = Seam.dsession(self.config)
        Seam.forgive_crash(dsession)  # a lost node is not a crashed worker
        gone = set(self.book.lost) | set(self.bringup.left_out)
        # only once the last worker's down event is here: xdist 3.1 stops
        # at once and handles no event after it
        if set(self.plan.capacity) <= gone and not self.ready:
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

        if self.longest_first and type(inner) is LoadScheduling:
            inner = LongestFirstScheduling(config, self.durations, self.workers, log)
        self.book.each = isinstance(inner, EachScheduling)
        outcome.force_result(CloudScheduling(inner, self.book, self.node_of, self.scheduling,
                                             self.want_replacement))

    def want_replacement(self):
        self.replacements_wanted += 1

    def pytest_handlecrashitem(self, crashitem, report, sched):
        text = self.book.twice(crashitem)
        if text is not None:
            self.book.done.add(crashitem)
            report.when = "call"  # a failed test, in junit too
            report.longrepr = text

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report):
        test = getattr(report, "nodeid", None)
        real = getattr(report, "node", None)
        self.book.report(real, test, report.when)
        worker = getattr(getattr(real, "gateway", None), "id", None)
        if worker is not None and report.when in ("setup", "call", "teardown"):
            self.timeline.report(test, self.node_of(real) or worker, worker, report.when, report.outcome,
                                 report.duration, hasattr(report, "wasxfail"), time.monotonic())
        if report.when in ("setup", "call", "teardown"):
            # a test run again starts its time afresh
            self.ran[test] = (0.0 if report.when == "setup" else self.ran.get(test, 0.0)) + report.duration
            if report.when == "teardown":
                self.timed.add(test)
                self.tests_ended = time.monotonic()
        attempts = self.book.crashes.get(test)
        if attempts and real is not None and real is not attempts[0][1]:
            report.node = _NodeAlias(real, attempts[0][1])
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self, session):
        yield
        for test, worker, text in self.book.unfinished():
            path = test.split("::")[0]
            report = pytest.TestReport(nodeid=test, location=(path, None, path), keywords={},
                                       outcome="failed", longrepr=text, when="call")
            report.node = worker
            self.config.hook.pytest_runtest_logreport(report=report)
            self.unfinished.append(test)

    def pytest_xdist_node_collection_finished(self, node, ids):
        self.collected.update(ids)

    def scheduling(self, sched):
        """The first tests are about to go out: one line on which scheduler
        hands them out, what is known of their durations and the run's
        expected time."""
        self.sched_started = time.monotonic()
        tests = Seam.collection(sched)
        self.expected_tests = len(tests)
        workers = len(sched.nodes) or 1
        name = type(sched).__name__
        if self.durations is None:
            self._write("pytest-cloud: %d tests on %d workers, scheduling via %s" % (len(tests), workers, name))
            return
        order = longest_first(tests, self.durations) if self.longest_first else None
        seconds, known, longest = estimate(tests, self.durations, workers, order)
        how = "longest first" if self.longest_first and known else (
            "in collection order" if self.config.option.dist == "load" else "--dist " + self.config.option.dist)
        if known:
            self.expected = seconds
            self._write("pytest-cloud: %d tests, %d with a recorded duration, %s: about %.1f s on %d "
                        "workers (longest test %.1f s), scheduling via %s"
                        % (len(tests), known, how, seconds, workers, longest, name))
        else:
            self._write("pytest-cloud: %d tests, none with a recorded duration yet (%s), scheduling via %s"
                        % (len(tests), how, name))

    def _write(self, line):
        terminal = self.config.pluginmanager.getplugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(line)
        else:
            self.say(line)

    # -- the end ------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        cache = getattr(self.config, "cache", None)
        if cache is not None and self.collected and not self.config.option.collectonly:
            known = set(cache.get("cache/nodeids", []))
            cache.set("cache/nodeids", sorted(known | self.collected))
        if cache is not None and self.timed:
            root = str(self.config.rootpath)

            def still_there(test):
                return os.path.exists(os.path.join(root, test.split("::")[0]))

            cache.set(DURATIONS_KEY, merge_durations(
                cache.get(DURATIONS_KEY, {}), {t: self.ran[t] for t in self.timed}, keep=still_there))
        now = time.monotonic()
        self.timeline.finish(now)
        versions = dict(_stack_versions(), plugin=PYTEST_CLOUD_VERSION, helper=self.plan.data.get("helper_version"))
        tests_phase = (self.tests_ended - self.sched_started) if self.tests_ended and self.sched_started else None
        timeline = timeline_data(self.timeline, self.plan.data, self.expected if tests_phase else None, versions)
        report = self._output("report")
        if report:
            data = report_data(self.plan.data, self.bringup.left_out if self.bringup else {}, self.book,
                               self.unfinished, int(exitstatus), now - self.started, versions)
            data["tests"] = timeline["tests"]
            data["timeline"] = {k: timeline[k] for k in ("workers", "nodes", "lost", "figures")}
            self._write_file("report", report, json.dumps(data, indent=2))
        page = self._output("timeline")
        if page:
            self._write_file("timeline", page, timeline_html(timeline, "pytest-cloud: %s, %s" % (
                os.path.basename(str(self.config.rootpath)), time.strftime("%Y-%m-%d %H:%M"))))

    def _output(self, name):
        """An output file's path (command line, environment, ini), or
        None."""
        path = self.config.getoption("cloud_" + name) or os.environ.get("PYTEST_CLOUD_" + name.upper()) \
            or self.config.getini("cloud_" + name)
        return os.path.join(str(self.config.invocation_params.dir), path) if path else None

    def _write_file(self, name, path, text):
        """Writes an output file whole (a temporary beside it, renamed);
        one line when it cannot, and the run's exit status stays its
        own."""
        tmp = "%s.%d.tmp" % (path, os.getpid())
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            self.say("pytest-cloud: cloud_%s: cannot write '%s': %s" % (name, path, exc.strerror or exc))
            return
        self.written[name] = path

    def pytest_terminal_summary(self, terminalreporter):
        took = None
        if self.expected is not None and self.tests_ended is not None and self.sched_started is not None \
                and len(self.timed) >= self.expected_tests:
            took = (self.expected, self.tests_ended - self.sched_started)
        lines = summary_lines(self.bringup.left_out if self.bringup else {}, self.book, self.unfinished, took)
        lines += ["%s written: %s" % kv for kv in sorted(self.written.items())]
        if lines:
            terminalreporter.write_sep("=", "pytest-cloud")
            for line in lines:
                terminalreporter.write_line(line)

    def pytest_unconfigure(self, config):
        self.helper.release()
        if self.bringup is not None:
            # before the interpreter shuts down: execnet's own clean-up at
            # exit needs threads, which Python 3.12 no longer starts then
            Seam.terminate(self.bringup.group)


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
