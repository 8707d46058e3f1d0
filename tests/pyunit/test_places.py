"""A worker's report names the controller's places (the conftest's
LocalPaths): real reports of a real pytest run (pytester), moved from
the folder they ran in (the node's copy) to another (the project on the
controller)."""

import os

import pytest

from cloudplugin import load

cloud = load()

SOURCE = '''
import os
import pytest

def helper():
    raise ValueError("in " + os.getcwd())

def test_skip():
    pytest.skip("not today")

def test_fail():
    helper()

def test_chained():
    try:
        helper()
    except ValueError as exc:
        raise RuntimeError("again") from exc

def test_outside():
    import json
    json.loads("{")
'''


def reports(pytester, *args):
    pytester.makepyfile(test_on_a_node=SOURCE)
    rec = pytester.inline_run("-p", "no:cacheprovider", *args)
    return {r.nodeid.split("::")[1]: r for r in rec.getreports("pytest_runtest_logreport")
            if r.longrepr is not None}


def moved(pytester, root="/ctrl/proj", cwd="/ctrl/proj"):
    return cloud.LocalPaths(str(pytester.path), root, cwd)


def test_a_skip_names_the_controllers_file(pytester):
    got = reports(pytester)["test_skip"]
    assert got.longrepr[0] == str(pytester.path / "test_on_a_node.py")
    assert moved(pytester).longrepr(got.longrepr)[0] == "/ctrl/proj/test_on_a_node.py"


@pytest.mark.parametrize("style", ["short", "long", "auto"])
def test_traceback_entries_are_relative_to_where_pytest_started_here(pytester, style):
    got = reports(pytester, "--tb=" + style)["test_fail"]
    paths = moved(pytester, cwd="/ctrl")
    repr_ = paths.longrepr(got.longrepr, here=str(pytester.path))
    files = [e.reprfileloc.path for e in repr_.reprtraceback.reprentries if e.reprfileloc]
    assert files and all(f == "proj/test_on_a_node.py" for f in files)
    assert repr_.reprcrash.path == "/ctrl/proj/test_on_a_node.py"
    # the test's own message is not a place: it keeps the node's folder
    assert str(pytester.path) in repr_.reprcrash.message


def test_a_chained_exception_moves_every_part_once(pytester):
    got = reports(pytester, "--tb=short")["test_chained"]
    repr_ = moved(pytester).longrepr(got.longrepr, here=str(pytester.path))
    assert len(repr_.chain) == 2
    for tb, crash, _descr in repr_.chain:
        assert crash.path == "/ctrl/proj/test_on_a_node.py"
        assert [e.reprfileloc.path for e in tb.reprentries] == ["test_on_a_node.py"] * len(tb.reprentries)


def test_native_lines_and_places_outside_the_copy(pytester):
    got = reports(pytester, "--tb=native")
    repr_ = moved(pytester).longrepr(got["test_fail"].longrepr)
    text = "".join(repr_.reprtraceback.reprentries[0].lines)
    assert 'File "/ctrl/proj/test_on_a_node.py"' in text
    assert 'File "%s' % pytester.path not in text
    # json's own file is where it is on both machines
    outside = moved(pytester).longrepr(got["test_outside"].longrepr)
    text = "".join(outside.reprtraceback.reprentries[0].lines)
    assert 'File "%s' % os.path.dirname(__import__("json").__file__) in text


def test_paths_on_their_own():
    paths = cloud.LocalPaths("/home/u/pytest_root_p", "/src/p", "/src/p/tests")
    assert paths.path("/home/u/pytest_root_p/tests/t.py") == "/src/p/tests/t.py"
    assert paths.path("tests/t.py", here="/home/u/pytest_root_p") == "/src/p/tests/t.py"
    assert paths.path("/home/u/pytest_root_px/t.py") == "/home/u/pytest_root_px/t.py"
    assert paths.location("tests/t.py", here="/home/u/pytest_root_p") == "t.py"
    # a warning's file: absolute ones moved, relative ones (a test's
    # place, relative to the rootdir, as pytest prints it) kept
    assert paths.warning_file("/home/u/pytest_root_p/tests/t.py") == "/src/p/tests/t.py"
    assert paths.warning_file("tests/t.py") == "tests/t.py"
    assert paths.warning_file("sys") == "sys"
    assert paths.warning_file("/usr/lib/python3/x.py") == "/usr/lib/python3/x.py"
    assert paths.location("/usr/lib/python3/x.py") == "/usr/lib/python3/x.py"
    assert paths.text("ImportError while importing test module '/home/u/pytest_root_p/t.py'.") == \
        "ImportError while importing test module '/src/p/t.py'."
    assert paths.text("a /home/u/pytest_root_p/t.py message") == "a /home/u/pytest_root_p/t.py message"
