"""The run's scheduler (CloudScheduling) around each of xdist's schedulers,
the installed ones, and around ours (LongestFirstScheduling), driven with
fake workers: a node lost with work pending, lost while running, lost
twice, every node lost, a replacement that goes too."""

import types

import pytest

from cloudplugin import load

cloud = load()

# one file (and scope) each: loadfile and loadscope share them out too
TESTS = ["t/test_%d.py::test_it" % k for k in range(8)]


class Worker:
    """What a scheduler sees of an xdist worker."""

    def __init__(self, name, node):
        self.gateway = types.SimpleNamespace(id=name, spec=types.SimpleNamespace(via=node))
        self.sent = []
        self.shutting_down = False

    def send_runtest_some(self, indices):
        self.sent.extend(indices)

    def send_runtest_all(self):
        self.sent.extend(range(len(TESTS)))

    def send_steal(self, indices):
        pass

    def shutdown(self):
        self.shutting_down = True

    def sendcommand(self, name, **kwargs):
        pass

    def __repr__(self):
        return "<Worker %s>" % self.gateway.id


class Options(types.SimpleNamespace):
    """pytest's options as a scheduler reads them: an option not given
    here is None (its default off), whatever this xdist adds."""

    def __getattr__(self, name):
        return None


def config(workers):
    values = {"tx": ["%d*popen" % workers], "maxschedchunk": None, "dist": "load"}
    return types.SimpleNamespace(
        getvalue=values.get, getoption=lambda name, default=None: values.get(name, default),
        option=Options(**values),
        hook=types.SimpleNamespace(pytest_collectreport=lambda report: None))


def xdist_scheduler(kind):
    import xdist.scheduler as s

    names = {"load": "LoadScheduling", "loadscope": "LoadScopeScheduling", "loadfile": "LoadFileScheduling",
             "worksteal": "WorkStealingScheduling"}
    if not hasattr(s, names[kind]):
        pytest.skip("this pytest-xdist has no %s" % names[kind])
    return getattr(s, names[kind])


def make(kind, workers):
    cfg = config(len(workers))
    if kind == "ours":
        inner = cloud.LongestFirstScheduling(cfg, {TESTS[5]: 3.0}, len(workers))
    else:
        inner = xdist_scheduler(kind)(cfg)
    book = cloud.LossBook()
    wanted = []
    sched = cloud.CloudScheduling(inner, book, lambda w: w.gateway.spec.via, lambda s: None,
                                  lambda: wanted.append(1))
    for w in workers:
        sched.add_node(w)
    for w in workers:
        sched.add_node_collection(w, TESTS)
    assert sched.collection_is_completed
    sched.schedule()
    return sched, book, wanted


def sent_tests(worker):
    return [TESTS[i] for i in worker.sent]


def finish(sched, book, worker, upto=None):
    """worker runs what it was sent, all of it (or upto tests)."""
    done = 0
    for index in list(worker.sent):
        if upto is not None and done >= upto:
            break
        test = TESTS[index]
        if test in book.done:
            continue
        for when in ("setup", "call", "teardown"):
            book.report(worker, test, when)
        sched.mark_test_complete(worker, index)
        done += 1


KINDS = ["load", "loadscope", "loadfile", "worksteal", "ours"]


@pytest.mark.parametrize("kind", KINDS)
def test_lost_while_running_the_test_runs_once_more_elsewhere(kind):
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    sched, book, _ = make(kind, [a, b])
    assert sent_tests(b)
    running = sent_tests(b)[0]
    book.report(b, running, "setup")
    book.lose("b", "killed")
    assert sched.remove_node(b) is None  # not reported: it goes again
    assert book.crashes == {running: [("b", b)]}
    finish(sched, book, a)
    while not sched.tests_finished and sched.has_pending:
        before = len(a.sent)
        finish(sched, book, a)
        if len(a.sent) == before:
            break
    assert running in sent_tests(a)
    assert set(TESTS) <= book.done


@pytest.mark.parametrize("kind", KINDS)
def test_lost_twice_is_reported_once_and_not_sent_again(kind):
    a, b, c = Worker("a_0", "a"), Worker("b_0", "b"), Worker("c_0", "c")
    sched, book, _ = make(kind, [a, b, c])
    victim = sent_tests(b)[0]
    book.report(b, victim, "setup")
    book.lose("b", "killed")
    assert sched.remove_node(b) is None
    # the victim goes to a or c; whoever gets it starts it, and is lost
    for _ in range(10):
        holder = next((w for w in (a, c) if victim in sent_tests(w)), None)
        if holder is not None:
            break
        finish(sched, book, a, upto=1)
        finish(sched, book, c, upto=1)
    assert holder is not None, (a.sent, c.sent)
    other = c if holder is a else a
    for index in list(holder.sent):
        if TESTS[index] == victim:
            break
        if TESTS[index] in book.done:
            continue
        for when in ("setup", "call", "teardown"):
            book.report(holder, TESTS[index], when)
        sched.mark_test_complete(holder, index)
    book.report(holder, victim, "setup")
    book.lose(holder.gateway.spec.via, "hung")
    assert sched.remove_node(holder) == victim  # xdist reports it, failed
    assert book.twice(victim) is not None
    sent_before = sent_tests(other).count(victim)
    for _ in range(10):
        finish(sched, book, other)
    assert sent_tests(other).count(victim) == sent_before


@pytest.mark.parametrize("kind", KINDS)
def test_lost_with_work_pending_and_every_other_worker_let_go(kind):
    """The survivors are being let go when the lost node's tests come
    back: a replacement is asked for."""
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    sched, book, wanted = make(kind, [a, b])
    finish(sched, book, a)
    for _ in range(10):
        finish(sched, book, a)
    # b has tests, nothing of them started; a has nothing left
    if not a.shutting_down:
        a.shutdown()
    book.lose("b", "killed")
    sched.remove_node(b)
    assert wanted == [1]
    # the replacement (on a's node) takes the rest; it is lost too
    r = Worker("a_1", "a")
    sched.add_node(r)
    sched.add_node_collection(r, TESTS)
    sched.schedule()
    assert sent_tests(r), "the replacement got no test"
    book.report(r, sent_tests(r)[0], "setup")
    book.lose("a", "gone")
    sched.remove_node(r)
    # every node is lost: the one it was running is reported, once
    assert [t for t, _w, _x in book.unfinished()] == [sent_tests(r)[0]]
    assert sent_tests(r)[0] not in book.done


@pytest.mark.parametrize("kind", KINDS)
def test_every_node_lost(kind):
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    sched, book, _ = make(kind, [a, b])
    for w in (a, b):
        book.report(w, sent_tests(w)[0], "setup")
        book.lose(w.gateway.spec.via, "gone")
        sched.remove_node(w)
    assert sorted(t for t, _w, _x in book.unfinished()) == sorted([sent_tests(a)[0], sent_tests(b)[0]])


@pytest.mark.parametrize("kind", KINDS + ["each"])
def test_a_worker_lost_before_its_collection_came(kind):
    """The scheduler waits for as many collections as there were workers:
    one lost before its own came must not hold the run, and is no crash
    (it ran nothing)."""
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    cfg = config(2)
    if kind == "ours":
        inner = cloud.LongestFirstScheduling(cfg, {}, 2)
    elif kind == "each":
        from xdist.scheduler import EachScheduling

        inner = EachScheduling(cfg)
    else:
        inner = xdist_scheduler(kind)(cfg)
    book = cloud.LossBook(each=kind == "each")
    sched = cloud.CloudScheduling(inner, book, lambda w: w.gateway.spec.via, lambda s: None, lambda: None)
    sched.add_node(a)
    sched.add_node(b)
    sched.add_node_collection(a, TESTS)
    assert not sched.collection_is_completed and a.sent == []
    book.lose("b", "killed")
    assert sched.remove_node(b) is None
    assert sched.collection_is_completed
    # the scheduling started without b (worksteal's with b, whose tests
    # came back), and b's loss costs no re-run: it ran nothing
    assert a.sent and (b.sent == [] or kind == "worksteal")
    assert book.crashes == {}
    for _ in range(len(TESTS)):
        finish(sched, book, a)
    assert sorted(sent_tests(a)) == sorted(TESTS) and sched.tests_finished


def test_longest_first_order_and_the_cap_behind_a_long_test():
    durations = dict.fromkeys(TESTS, 0.1)
    durations.update({TESTS[7]: 5.0, TESTS[6]: 4.0})
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    inner = cloud.LongestFirstScheduling(config(2), durations, 2)
    for w in (a, b):
        inner.add_node(w)
        inner.add_node_collection(w, TESTS)
    inner.schedule()
    # the two long ones first, and no more than two to a worker behind them
    assert sent_tests(a)[:2] == [TESTS[7], TESTS[6]]
    assert len(a.sent) == 2
    assert not inner.tests_finished and inner.has_pending


def test_a_different_collection_is_refused():
    a, b = Worker("a_0", "a"), Worker("b_0", "b")
    said = []
    inner = cloud.LongestFirstScheduling(config(2), {}, 2, log=said.append)
    for w in (a, b):
        inner.add_node(w)
    inner.add_node_collection(a, TESTS)
    inner.add_node_collection(b, TESTS[:-1])
    inner.schedule()
    assert a.sent == b.sent == []
    assert any("Different tests were collected between a_0 and b_0" in s for s in said)
