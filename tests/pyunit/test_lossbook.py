"""What a lost node costs (the conftest's LossBook): pure decisions, from
reports and removals, no xdist object inside."""

from cloudplugin import load

cloud = load()

Decision = cloud.Decision


def ran(book, worker, test, *whens):
    for when in whens:
        book.report(worker, test, when)


def test_a_crash_on_a_live_node_is_xdists():
    book = cloud.LossBook()
    ran(book, "w1", "t1", "setup")
    assert book.worker_removed("a", "w1", "t1") == Decision((), (), "t1")
    assert book.crashes == {}


def test_lost_with_work_pending_the_first_goes_back_once():
    book = cloud.LossBook()
    assert book.lose("b", "connection lost")
    assert not book.lose("b", "again")
    # nothing of t3's came: xdist names it, it goes back
    assert book.worker_removed("b", "w2", "t3") == Decision(["t3"], (), None)
    assert book.crashes == {"t3": [("b", "w2")]}


def test_lost_while_running_the_reports_say_which():
    book = cloud.LossBook()
    ran(book, "w2", "t1", "setup", "call", "teardown")  # finished: its end message was lost
    ran(book, "w2", "t2", "setup")  # running
    book.lose("b", "killed")
    # xdist guesses t1 (the first it sent); t2 is on its way back already
    assert book.worker_removed("b", "w2", "t1") == Decision([], (), None)
    assert book.crashes == {"t2": [("b", "w2")]}
    assert book.unfinished() == [("t2", "w2", "pytest-cloud: t2 was running when node 'b' was lost "
                                                "(killed), and no node was left to run it again")]
    ran(book, "w1", "t2", "setup", "call", "teardown")  # ran again elsewhere
    assert book.unfinished() == []


def test_lost_once_its_outcome_is_known_it_is_not_run_again():
    """Its call's report came (t1: its teardown was under way, or its end
    message lost), or its setup did not pass (t2): the outcome that came
    is the test's, counted once; a passed setup is not an outcome (t3)."""
    book = cloud.LossBook()
    ran(book, "w1", "t1", "setup", "call")
    book.report("w2", "t2", "setup", "failed")
    book.report("w3", "t3", "setup", "passed")
    book.lose("b", "killed")
    # xdist names each worker's first test it was sent: t1, t2 and t3
    assert book.worker_removed("b", "w1", "t1") == Decision([], (), None)
    assert book.worker_removed("b", "w2", "t2") == Decision([], (), None)
    assert book.worker_removed("b", "w3", "t3") == Decision(["t3"], (), None)
    assert book.crashes == {"t3": [("b", "w3")]} and book.done == {"t1", "t2"}
    assert [test for test, _w, _text in book.unfinished()] == ["t3"]


def test_xdists_guess_unfinished_goes_back_too():
    book = cloud.LossBook()
    ran(book, "w2", "t2", "setup")
    book.lose("b", "hung")
    # t1 was sent and never started, t2 was running: both go again
    assert book.worker_removed("b", "w2", "t1") == Decision(["t1"], (), None)
    assert set(book.crashes) == {"t2"}


def test_lost_twice_is_a_failure_naming_both():
    book = cloud.LossBook()
    ran(book, "w2", "t5", "setup")
    book.lose("b", "killed")
    assert book.worker_removed("b", "w2", "t5") == Decision(["t5"], (), None)
    ran(book, "w1", "t5", "setup")
    book.lose("a", "hung")
    assert book.worker_removed("a", "w1", "t5") == Decision([], [], "t5")
    assert book.twice("t5") == ("pytest-cloud: t5 was running when node 'b' was lost (killed), and again "
                                "when node 'a' was lost (hung)")
    # the second time xdist names another test: t5 is taken back from the
    # waiting tests and reported
    book = cloud.LossBook()
    ran(book, "w2", "t5", "setup")
    book.lose("b", "x")
    book.worker_removed("b", "w2", "t5")
    ran(book, "w1", "t4", "setup", "call", "teardown")
    ran(book, "w1", "t5", "setup")
    book.lose("a", "y")
    assert book.worker_removed("a", "w1", "t4") == Decision([], ["t5"], "t5")


def test_every_node_lost_leaves_what_was_running_unfinished():
    book = cloud.LossBook()
    ran(book, "w1", "t1", "setup")
    ran(book, "w2", "t2", "setup")
    ran(book, "w3", "t3", "setup", "call", "teardown")
    for node, worker in (("a", "w1"), ("b", "w2"), ("c", "w3")):
        book.lose(node, "gone")
    book.worker_removed("a", "w1", "t1")
    book.worker_removed("b", "w2", "t2")
    book.worker_removed("c", "w3", None)
    assert [t for t, _w, _text in book.unfinished()] == ["t1", "t2"]


def test_dist_each_moves_nothing():
    book = cloud.LossBook(each=True)
    ran(book, "w2", "t1", "setup")
    book.lose("b", "killed")
    assert book.worker_removed("b", "w2", "t1") == Decision([], (), None)
    assert book.not_run_on == {"b": 1}
    assert book.unfinished() == []


def test_a_crash_report_counts_as_the_end():
    book = cloud.LossBook()
    ran(book, "w1", "t1", "setup")
    book.report("w1", "t1", "???")
    assert "t1" in book.done and book.running == {}


def test_a_replacement_only_when_work_is_left_to_no_one():
    assert cloud.needs_replacement(True, True, [True, True])
    assert not cloud.needs_replacement(True, True, [True, False])
    assert not cloud.needs_replacement(True, False, [True])
    assert not cloud.needs_replacement(False, True, [True])
    assert cloud.needs_replacement(True, True, [])  # no worker left at all


def test_summary_and_report():
    book = cloud.LossBook()
    ran(book, "w2", "t1", "setup")
    book.lose("b", "killed")
    book.worker_removed("b", "w2", "t1")
    ran(book, "w3", "t2", "setup")
    book.lose("c", "hung")
    book.worker_removed("c", "w3", "t2")
    lines = cloud.summary_lines({"d": "gateway: refused"}, book, ["t2"], took=(3.0, 3.4))
    assert lines == [
        "node 'd' left out at bring-up: gateway: refused",
        "node 'b' lost during the run: killed",
        "node 'c' lost during the run: hung",
        "t1: running when 'b' was lost: run again on another node",
        "t2: running when 'c' was lost, no node left to run it again: reported as failed",
        "estimated 3.0 s for the tests, took 3.4 s",
    ]
    data = cloud.report_data({"tx": []}, {"d": "x"}, book, ["t2"], 1, 2.5)
    assert data["reruns"] == [{"test": "t1", "lost_on": ["b"], "outcome": "re-run"},
                              {"test": "t2", "lost_on": ["c"], "outcome": "failed"}]
    assert data["lost"] == [{"node": "b", "reason": "killed"}, {"node": "c", "reason": "hung"}]
    assert data["left_out"] == [{"node": "d", "reason": "x"}]
