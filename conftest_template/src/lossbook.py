"""LossBook: what a lost node costs (pure: events in, decisions out).
"""

import collections


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
