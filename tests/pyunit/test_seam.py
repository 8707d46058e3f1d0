"""The seam (the conftest's one place for what is not public in xdist,
execnet and pytest): the table covers every name the Seam reaches, its
check asks for every entry, the installed releases have them all, one
gone missing is named, and no source file outside the seam reaches a
private name."""

import ast
import os

import pytest

from cloudplugin import SOURCES, load

cloud = load()

# what the Seam's code reaches that is public: the Scheduling protocol
# (nodes, collection_is_completed, schedule), execnet's specs and
# gateways, pytest's config, xdist's scheduler classes, builtins' methods
PUBLIC = {"XSpec", "EachScheduling", "LoadScheduling", "LoadScopeScheduling", "WorkStealingScheduling",
          "append", "dir", "execmodel", "gateway", "getplugin", "hasreceiver", "id",
          "index", "join", "nodes", "option", "pluginmanager", "plugins", "pop", "python", "remove",
          "schedule", "values", "verbose", "via", "scheduler_kind", "remove_node",
          "save",  # coverage's Coverage
          "catch_warnings", "simplefilter"}  # warnings


def seam_code():
    with open(os.path.join(SOURCES, "seam.py")) as f:
        tree = ast.parse(f.read())
    return [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in ("Seam", "SchedulerSeam", "_NodeAlias")]


def reached(classes):
    """The attribute names the classes' code reaches, the plugin names it
    asks pytest's plugin manager for, and the keys it reads of another's
    dict (x["key"], "key" in x)."""
    names = set()
    for cls in classes:
        for node in ast.walk(cls):
            if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name)
                                                        and node.value.id in ("self", "Seam", "SchedulerSeam")):
                names.add(node.attr)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                    and isinstance(node.slice.value, str):
                names.add(node.slice.value)
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                    and isinstance(node.left.value, str):
                names.add(node.left.value)
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "getplugin"):
                names.add(node.args[0].value)
    return names


def test_the_installed_releases_have_every_entry():
    assert cloud.Seam.check() == []


def test_the_table_covers_every_name_the_seam_reaches():
    table = {name for _owner, name, _why, _checked, _since in cloud.SEAM}
    assert sorted(reached(seam_code()) - PUBLIC - table) == []


def test_every_entry_is_used():
    """An entry no code relies on any more is stale: each name is reached
    by the Seam, or (execnet's -c) read by the fork server."""
    used = reached(seam_code())
    with open(os.path.join(SOURCES, "forkserver.py")) as f:
        used |= {n.value for n in ast.walk(ast.parse(f.read())) if isinstance(n, ast.Constant)}
    stale = [(owner, name) for owner, name, _why, _checked, _since in cloud.SEAM if name not in used]
    assert stale == []


def test_every_entry_says_why_and_where_it_was_checked():
    for owner, name, why, checked, since in cloud.SEAM:
        assert owner and name and len(why) > 20 and checked in (cloud.XDIST, cloud.EXECNET, cloud.PYTEST,
                                                                cloud.PYTEST_COV)
        assert since is None or isinstance(since, tuple) or (checked == cloud.PYTEST_COV and since == "pytest_cov")


@pytest.mark.parametrize("entry", cloud.SEAM, ids=lambda e: "%s.%s" % (e[0], e[1]))
def test_check_asks_for_every_entry(monkeypatch, entry):
    """Each entry's owner made to lack everything: check names that entry
    (and only the entries of that owner)."""
    owner = entry[0]
    real = cloud._resolve
    every = (99, 0)  # the owners of later releases asked for too
    plugins = {"pytest_cov"}  # and the optional plugins' entries, installed or not
    before = cloud.check(every, plugins)  # this xdist may lack those

    class Empty:
        pass

    def resolve(dotted):
        return Empty if dotted in owner.split(" or ") else real(dotted)

    monkeypatch.setattr(cloud, "_resolve", resolve)
    mine = ["%s.%s" % (e[0], e[1]) for e in cloud.SEAM if e[0] == owner]
    if set(mine) <= set(before):
        return  # an owner this xdist does not have: asked for, and named, already
    expected = [n for n in mine if n not in before]
    assert [n for n in cloud.check(every, plugins) if n not in before] == expected


def test_a_name_gone_missing_is_named(monkeypatch):
    from xdist.dsession import DSession

    monkeypatch.delattr(DSession, "_clone_node")
    # and what relies on its code goes with it
    assert cloud.Seam.check() == ["xdist.dsession.DSession._clone_node", "xdist.dsession.DSession._clone_node.spec"]


def test_an_attribute_a_class_sets_on_self_is_found_in_its_bases():
    class Base:
        def __init__(self):
            self.numnodes = 1
            self.node2collection: dict = {}

    class Sub(Base):
        def more(self):
            self.pending = []

    for name in ("numnodes", "node2collection", "pending"):
        assert cloud._has(Sub, name)
    assert not cloud._has(Sub, "workqueue")
    assert not cloud._has(Base, "pending")


def test_an_owner_that_came_later_is_asked_for_only_from_that_release():
    import xdist.scheduler

    if hasattr(xdist.scheduler, "WorkStealingScheduling"):
        assert cloud.check((3, 1)) == cloud.check() == []
        return
    later = ["%s.%s" % (e[0], e[1]) for e in cloud.SEAM if e[0].endswith(".WorkStealingScheduling")]
    assert len(later) == 4
    assert cloud.check() == []
    assert cloud.check((3, 2)) == later


def private_names(path):
    """(line, name) of each underscore name of another object that the
    Python file at path reaches: an attribute (x._name), or a name given
    to getattr, hasattr, setattr or delattr as a string; its own fields
    (self._name), dunder names and os._exit (documented: exit at once)
    aside."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name, base = node.attr, node.value
            if isinstance(base, ast.Name) and (base.id == "self" or (base.id, name) == ("os", "_exit")):
                continue
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            name = node.args[1].value
        else:
            continue
        if name.startswith("_") and not name.startswith("__"):
            found.append((node.lineno, name))
    return found


def python_sources():
    """Every Python file of the plugin's sources: the modules, the fork
    server, its start and its client."""
    return sorted(os.path.join(SOURCES, name) for name in os.listdir(SOURCES) if name.endswith(".py"))


def test_private_names_live_only_in_the_seam():
    """Outside seam.py, no source file of the plugin (the fork server and
    its client included) reaches an underscore name of another module's
    object."""
    files = python_sources()
    assert {"forkserver.py", "forkclient.py", "forkstart.py", "seam.py"} <= {os.path.basename(f) for f in files}
    found = {os.path.basename(path): private_names(path) for path in files if not path.endswith("/seam.py")}
    assert {name: lines for name, lines in found.items() if lines} == {}


@pytest.mark.parametrize("code, names", [
    ("x._a", ["_a"]),
    ("self._a", []),
    ("os._exit(0)", []),
    ("sys._getframe()", ["_getframe"]),
    ("getattr(x, '_b', None)", ["_b"]),
    ("hasattr(x, '_c')", ["_c"]),
    ("setattr(x, '_d', 1)", ["_d"]),
    ("x.__class__", []),
    ("getattr(x, 'public')", []),
])
def test_the_private_name_search_sees_them(tmp_path, code, names):
    path = tmp_path / "m.py"
    path.write_text(code + "\n")
    assert [name for _line, name in private_names(str(path))] == names
