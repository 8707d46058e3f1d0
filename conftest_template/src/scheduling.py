"""The schedulers: LongestFirstScheduling, CloudScheduling.

LongestFirstScheduling implements xdist's Scheduling protocol itself;
CloudScheduling is the run's scheduler around the user's (or ours), with
what a lost node costs decided by the LossBook.
"""

import statistics

import pytest

from .durations import expected_times, longest_first
from .lossbook import needs_replacement
from .seam import SchedulerSeam


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
