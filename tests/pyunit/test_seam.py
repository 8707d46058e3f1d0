"""The seam (the conftest's one place for xdist's and execnet's private
names): the installed releases have every name it uses, and one that
goes missing is named, so an upgrade breaks there and says so."""

import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location(
    "cloud_conftest", os.path.join(HERE, "..", "..", "conftest_template", "conftest.py"))
cloud = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cloud)


def test_the_installed_xdist_has_what_the_seam_uses():
    assert cloud.Seam.check() == []


def test_a_name_gone_missing_is_named(monkeypatch):
    from xdist.dsession import DSession

    monkeypatch.delattr(DSession, "_clone_node")
    assert cloud.Seam.check() == ["DSession._clone_node"]


def test_private_names_live_only_in_the_seam():
    """Outside the Seam class, the conftest reaches no underscore name of
    another module's object (its own helpers aside)."""
    import ast

    with open(SPEC.origin) as f:
        tree = ast.parse(f.read())
    seam = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Seam")
    inside = {id(n) for n in ast.walk(seam)}
    own = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    found = []
    for node in ast.walk(tree):
        if id(node) in inside or not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or name.startswith("__") or name in own:
            continue
        base = node.value
        if isinstance(base, ast.Name) and base.id == "self":
            continue  # a class's own fields
        if isinstance(base, ast.Name) and (base.id, name) == ("os", "_exit"):
            continue  # documented: exit at once
        found.append((node.lineno, name))
    assert found == []
