"""The seam (the conftest's one place for xdist's and execnet's private
names): the installed releases have every name it uses, and one that
goes missing is named, so an upgrade breaks there and says so."""

import ast
import os

import pytest

from cloudplugin import SOURCES, load

cloud = load()


def test_the_installed_xdist_has_what_the_seam_uses():
    assert cloud.Seam.check() == []


def test_a_name_gone_missing_is_named(monkeypatch):
    from xdist.dsession import DSession

    monkeypatch.delattr(DSession, "_clone_node")
    assert cloud.Seam.check() == ["DSession._clone_node"]


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
