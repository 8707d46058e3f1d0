"""Coverage as a local run measures it (src/cover.py): a worker's data
comes back with the project's paths, lines, arcs, contexts and file
tracers kept, on coverage 6.5 (Debian) and 7.11 (the cov7 stack); a lost
node's data is accounted for."""

import os

import pytest

from cloudplugin import load
from needs import missing

cloud = load()

NODE = "/home/u/pytest_u_proj"
HERE = "/src/proj"


def coverage_data():
    """coverage's CoverageData: Debian's python3-coverage, the cov7
    stack's 7.11; the other stacks have none (their e2e tests do not
    measure coverage)."""
    try:
        from coverage import CoverageData
    except ImportError:
        stack = os.environ.get("PYTEST_CLOUD_TEST_STACK")
        if stack and stack != "cov7":
            pytest.skip("the %s stack has no coverage: Debian's and the cov7 stack test it" % stack)
        missing("coverage is not installed (Debian: python3-coverage)")
    return CoverageData


def move(path):
    return cloud.LocalPaths(NODE, HERE, HERE).moved(path)


@pytest.mark.parametrize("path, expected", [
    (NODE + "/mylib/__init__.py", HERE + "/mylib/__init__.py"),
    (NODE + "/a/../mylib/b.py", HERE + "/mylib/b.py"),
    (NODE, HERE),
    ("/usr/lib/python3/dist-packages/x.py", "/usr/lib/python3/dist-packages/x.py"),  # not the copy's
    (NODE + "-other/x.py", NODE + "-other/x.py"),  # a sibling, not inside
    ("mylib/__init__.py", "mylib/__init__.py"),  # relative_files: kept as it is
])
def test_a_path_is_moved_only_from_the_nodes_copy(path, expected):
    mapped = cloud.PathMap(move)
    assert mapped(path) == expected
    assert mapped.map(path) == expected  # coverage 6's PathAliases protocol


@pytest.mark.parametrize("path, expected", [
    (NODE + "/mylib/a.py", HERE + "/mylib/a.py"),  # the root as pytest names it
    ("/real/home/u/pytest_u_proj/mylib/a.py", HERE + "/mylib/a.py"),  # its real path
    ("/real/home/u/other/a.py", None),  # in neither
])
def test_a_path_is_moved_from_the_root_or_its_real_path(path, expected):
    real = cloud.LocalPaths("/real/home/u/pytest_u_proj", HERE, HERE).moved
    assert cloud.either_moved(move, real)(path) == expected


def test_lines_and_contexts_come_back_under_the_projects_paths():
    CoverageData = coverage_data()
    node = CoverageData(no_disk=True)
    node.set_context("")
    node.add_lines({NODE + "/mylib/__init__.py": [1, 2, 4], "/usr/lib/x.py": [7]})
    node.set_context("tests/test_a.py::test_one|run")
    node.add_lines({NODE + "/mylib/__init__.py": [5, 6]})
    node.touch_files([NODE + "/mylib/empty.py"])
    here = CoverageData(no_disk=True)
    here.loads(cloud.moved_coverage(node.dumps(), move))
    assert sorted(here.measured_files()) == ["/src/proj/mylib/__init__.py", "/src/proj/mylib/empty.py",
                                             "/usr/lib/x.py"]
    assert sorted(here.lines(HERE + "/mylib/__init__.py")) == [1, 2, 4, 5, 6]
    assert sorted(here.lines("/usr/lib/x.py")) == [7]
    assert here.lines(HERE + "/mylib/empty.py") == []
    assert sorted(here.measured_contexts()) == ["", "tests/test_a.py::test_one|run"]
    here.set_query_context("tests/test_a.py::test_one|run")
    assert sorted(here.lines(HERE + "/mylib/__init__.py")) == [5, 6]
    assert not here.has_arcs()


def test_arcs_and_file_tracers_come_back_too():
    CoverageData = coverage_data()
    node = CoverageData(no_disk=True)
    node.add_arcs({NODE + "/mylib/__init__.py": [(-1, 1), (1, 2), (2, -1)],
                   NODE + "/templates/page.html": [(-1, 3), (3, -1)]})
    node.add_file_tracers({NODE + "/templates/page.html": "django_coverage_plugin.DjangoTemplatePlugin"})
    here = CoverageData(no_disk=True)
    here.loads(cloud.moved_coverage(node.dumps(), move))
    assert here.has_arcs()
    assert sorted(here.arcs(HERE + "/mylib/__init__.py")) == [(-1, 1), (1, 2), (2, -1)]
    assert here.file_tracer(HERE + "/templates/page.html") == "django_coverage_plugin.DjangoTemplatePlugin"
    assert here.file_tracer(HERE + "/mylib/__init__.py") == ""


def test_data_with_nothing_measured_stays_empty():
    CoverageData = coverage_data()
    here = CoverageData(no_disk=True)
    here.loads(cloud.moved_coverage(CoverageData(no_disk=True).dumps(), move))
    assert list(here.measured_files()) == []


class Config:
    def __init__(self, workeroutput):
        self.workeroutput = workeroutput


class Session:
    def __init__(self, workeroutput):
        self.config = Config(workeroutput)


def test_the_worker_sends_its_data_under_the_projects_paths():
    CoverageData = coverage_data()
    node = CoverageData(no_disk=True)
    node.add_lines({NODE + "/mylib/__init__.py": [3]})
    output = {"cov_worker_node_id": "node1_0", "cov_worker_data": node.dumps(), "cov_worker_path": NODE}
    cloud.WorkerCoverage(move, HERE).pytest_sessionfinish(Session(output))
    assert output["cov_worker_path"] == HERE
    assert output["cov_worker_node_id"] == "node1_0"
    here = CoverageData(no_disk=True)
    here.loads(output["cov_worker_data"])
    assert list(here.measured_files()) == [HERE + "/mylib/__init__.py"]


@pytest.mark.parametrize("output", [
    {},  # pytest-cov not measuring there
    {"cov_worker_node_id": "node1_0"},  # collocated: its data file is on a shared disk
    None,  # not a worker
])
def test_a_worker_without_data_to_send_is_left_as_it_is(output):
    before = dict(output) if output is not None else None
    session = Session(output)
    if output is None:
        del session.config.workeroutput
    cloud.WorkerCoverage(move, HERE).pytest_sessionfinish(session)
    assert output == before


@pytest.mark.parametrize("events, lost, crashes, expected", [
    # nothing lost: nothing to say
    ([("a", "t1", "teardown")], {}, {}, []),
    # a lost node: its finished tests counted (each once), its re-run
    # test named
    ([("a", "t1", "setup"), ("a", "t1", "call"), ("a", "t1", "teardown"), ("a", "t2", "teardown"),
      ("b", "t3", "teardown"), ("a", "t4", "setup"), ("b", "t4", "setup"), ("b", "t4", "call")],
     {"a": "connection lost"}, {"t4": [("a", "a_0")]},
     ["coverage: node 'a' was lost with its workers' data: what only its 2 finished tests ran is not in "
      "the report; t4, running there, is measured where it ran again"]),
    # a test finishes with its outcome: its call (t5: lost in its
    # teardown, counted once), a setup that did not pass (t6, skipped),
    # not a setup that passed (t7, running) nor xdist's crash report (t8)
    ([("a", "t5", "setup"), ("a", "t5", "call"), ("a", "t6", "setup", "skipped"), ("a", "t6", "teardown"),
      ("a", "t7", "setup"), ("a", "t8", "???", "failed")],
     {"a": "killed"}, {},
     ["coverage: node 'a' was lost with its workers' data: what only its 2 finished tests ran is not in "
      "the report"]),
    # lost before any test finished there, nothing re-run
    ([], {"b": "lock lost"}, {},
     ["coverage: node 'b' was lost with its workers' data: what only its 0 finished tests ran is not in "
      "the report"]),
    # one test; a test lost first on another node is not this one's
    # re-run, and lost twice it ran to its end nowhere
    ([("c", "t1", "teardown")], {"c": "x", "d": "y"}, {"t9": [("d", "d_0"), ("c", "c_0")]},
     ["coverage: node 'c' was lost with its workers' data: what only its 1 finished test ran is not in "
      "the report",
      "coverage: node 'd' was lost with its workers' data: what only its 0 finished tests ran is not in "
      "the report; t9, running there, ran to its end nowhere"]),
    # t1, running on e when no node was left, is reported failed in e's
    # worker's name: not a test that finished there; t2 ran again on f,
    # measured there, t3 did not end there
    ([("e", "t1", "setup"), ("e", "t1", "call"), ("f", "t2", "setup"), ("f", "t2", "call"),
      ("f", "t3", "setup")], {"e": "x"}, {"t1": [("e", "e_0")], "t2": [("e", "e_1")], "t3": [("e", "e_0")]},
     ["coverage: node 'e' was lost with its workers' data: what only its 0 finished tests ran is not in "
      "the report; t2, running there, is measured where it ran again; t1, t3, running there, ran to its "
      "end nowhere"]),
    # a report of no node of ours (another plugin's worker) is not counted
    ([(None, "t1", "teardown")], {"a": "x"}, {},
     ["coverage: node 'a' was lost with its workers' data: what only its 0 finished tests ran is not in "
      "the report"]),
])
def test_a_lost_nodes_coverage_is_accounted_for(events, lost, crashes, expected):
    book = cloud.CoverageBook()
    for event in events:
        book.report(*event)
    assert book.lines(lost, crashes) == expected
