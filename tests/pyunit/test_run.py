"""CloudRun hands each event on; here, the first tests' line: whichever
scheduler hands them out (ours, xdist's, another plugin's), the line says
how many tests and how."""

import types

import pytest

from cloudplugin import load

cloud = load()

TESTS = ["t.py::test_%d" % k for k in range(5)]
TX = ["popen//id=n1_0//via=n1//python=p", "popen//id=n1_1//via=n1//python=p"]


class Worker:
    def __init__(self, name):
        self.gateway = types.SimpleNamespace(id=name, spec=types.SimpleNamespace(via="n1"))
        self.shutting_down = False

    def send_runtest_some(self, indices):
        pass

    def shutdown(self):
        self.shutting_down = True


class Options(types.SimpleNamespace):
    def __getattr__(self, name):
        return None


def make_run(durations, dist_defaulted):
    said = []
    terminal = types.SimpleNamespace(write_line=said.append)
    values = {"tx": TX, "dist": "load", "maxschedchunk": None}
    config = types.SimpleNamespace(
        option=Options(**values), getvalue=values.get, getoption=lambda n, d=None: values.get(n, d),
        pluginmanager=types.SimpleNamespace(getplugin=lambda name: None if name == "_cov" else terminal),
        cache=types.SimpleNamespace(get=lambda key, default: durations if key == cloud.DURATIONS_KEY else default),
        hook=types.SimpleNamespace(pytest_collectreport=lambda report: None))
    run = cloud.CloudRun(config, cloud.Plan({"tx": TX, "px": ["ssh=n1//id=n1"]}), types.SimpleNamespace(),
                         dist_defaulted=dist_defaulted)
    run.pytest_configure(config)
    return run, config, said


def scheduled(sched, workers):
    for w in workers:
        sched.add_node(w)
    for w in workers:
        sched.add_node_collection(w, TESTS)
    return sched


@pytest.mark.parametrize("kind", ["ours", "load", "theirs"])
def test_the_first_line_names_the_tests_of_any_scheduler(kind):
    # 2.0 s, 1.0 s and three of the median, 1.5 s: 4.0 s on two workers
    # either way
    run, config, said = make_run({TESTS[0]: 2.0, TESTS[1]: 1.0}, dist_defaulted=kind != "load")
    workers = [Worker("n1_0"), Worker("n1_1")]
    if kind == "ours":
        inner = cloud.LongestFirstScheduling(config, run.durations.earlier, 2)
    elif kind == "load":
        from xdist.scheduler import LoadScheduling

        inner = LoadScheduling(config)
    else:
        inner = type("TheirScheduling", (), {"nodes": property(lambda self: workers)})()
    run.first_tests(scheduled(inner, workers) if kind != "theirs" else inner)
    name = type(inner).__name__
    if kind == "theirs":
        assert said == ["pytest-cloud: 2 workers, scheduling via TheirScheduling (not one of xdist's: its "
                        "tests are not counted here)"]
        return
    how = "longest first" if kind == "ours" else "in collection order"
    assert said == ["pytest-cloud: 5 tests, 2 with a recorded duration, %s: about 4.0 s on 2 workers (longest "
                    "test 2.0 s), scheduling via %s" % (how, name)]
