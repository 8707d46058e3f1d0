"""Coverage as a local run measures it (pytest-cov).

On the controller pytest-cov runs its distributed mode, as with -n
(Seam.coverage_distributed); each worker's data comes back with the
project's paths here (WorkerCoverage, moved_coverage), and a lost node's
data, which went with it, is accounted for (CoverageBook).
"""

import os
import shutil
import tempfile
import warnings

import pytest

from .seam import Seam


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

