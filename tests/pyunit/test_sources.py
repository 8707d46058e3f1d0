"""The plugin's sources (conftest_template/src) and the one file users drop
in, assembled from them (conftest_template/assemble.py): the committed
file is the assembled one; each module passes pyflakes and imports as
itself; the page's script parses; the assembler refuses what would make
the one file differ from the package."""

import ast
import os
import shutil
import subprocess

import pytest

from cloudplugin import PLUGIN, ROOT, SOURCES, assembler, load, sources
from needs import missing

RELATIVE_PLUGIN = os.path.relpath(PLUGIN, ROOT)


def git(*args):
    return subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def test_the_plugin_is_the_one_assembled_from_its_sources():
    """The working file is the assembled one (make writes it), and so is
    the committed one whenever the sources are committed: in a fresh clone
    (CI) make may have rewritten the working file, so HEAD's is read."""
    assembled = assembler().assemble(SOURCES)
    with open(PLUGIN, encoding="utf-8") as f:
        assert f.read() == assembled, "%s is not the assembled one: run make" % RELATIVE_PLUGIN
    status = git("status", "--porcelain", "--", "conftest_template/src", "conftest_template/assemble.py")
    if status.returncode != 0:
        return  # not a git checkout (a release tarball): the working file is the one
    if status.stdout.strip():
        return  # sources being edited: the working file is checked above
    committed = git("show", "HEAD:" + RELATIVE_PLUGIN)
    assert committed.returncode == 0, committed.stderr
    assert committed.stdout == assembled, "the committed %s is not the assembled one: commit it" % RELATIVE_PLUGIN


def python_files():
    return sorted(name for name in os.listdir(SOURCES) if name.endswith(".py"))


def pyflakes_checker():
    """pyflakes' Checker: Debian's python3-pyflakes, with Debian's python
    (make pyunit); the stacks' virtualenvs (tests/stacks.py) lint nothing,
    the code being the same."""
    if os.environ.get("PYTEST_CLOUD_TEST_STACK"):
        pytest.skip("linted with Debian's python (make pyunit), not again on each stack")
    try:
        from pyflakes.checker import Checker
    except ImportError:
        missing("pyflakes is not installed (Debian: python3-pyflakes)")
    return Checker


@pytest.mark.parametrize("name", python_files() + [RELATIVE_PLUGIN])
def test_pyflakes(name):
    """Every Python file of the plugin, the fork server's included, and
    the assembled one.  forkstart.py runs through execnet's remote_exec,
    which gives it `channel`."""
    Checker = pyflakes_checker()
    path = os.path.join(SOURCES, name) if "/" not in name else os.path.join(ROOT, name)
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = Checker(tree, filename=path, builtins={"channel"} if name == "forkstart.py" else None).messages
    assert [str(m) for m in found] == []


def test_pyflakes_sees_an_undefined_name():
    Checker = pyflakes_checker()
    assert Checker(ast.parse("def f():\n    return g\n"), filename="f.py").messages


def test_the_timeline_script_parses():
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        missing("node is not installed (Debian: nodejs), which checks the timeline page's script")
    out = subprocess.run([node, "--check", os.path.join(SOURCES, "timeline.js")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    assert out.returncode == 0, out.stdout


def test_the_node_check_sees_a_syntax_error(tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        missing("node is not installed (Debian: nodejs)")
    bad = tmp_path / "bad.js"
    bad.write_text("(function () { var x = ; })();\n")
    assert subprocess.run([node, "--check", str(bad)], stderr=subprocess.DEVNULL).returncode != 0


def top_level_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_each_module_imports_as_itself_and_the_plugin_has_the_same_names():
    package = sources()
    mine = set(top_level_names(ast.parse(open(os.path.join(SOURCES, "__init__.py")).read())))
    for name in assembler().MODULES:
        module = getattr(package, name)
        with open(module.__file__) as f:
            mine |= top_level_names(ast.parse(f.read())) - {"_text"}
    with open(PLUGIN) as f:
        assert top_level_names(ast.parse(f.read())) == mine


def test_the_carried_files_are_the_files():
    cloud = load()
    package = sources()
    for name, file in (("FORK_SERVER", "forkserver.py"), ("FORK_CLIENT", "forkclient.py"),
                       ("FORK_START", "forkstart.py"), ("TIMELINE_CODE", "timeline.js"),
                       ("TIMELINE_STYLE", "timeline.css"), ("TIMELINE_PAGE", "timeline.html")):
        with open(os.path.join(SOURCES, file)) as f:
            text = f.read()
        assert getattr(cloud, name) == text == getattr(package.texts, name)


def test_a_literal_reads_back_as_its_text():
    literal = assembler()._literal
    for text in ('plain\n', 'a """ b', "a ''' b \"\"\"", "ends with \\", 'ends with "', "\\n stays \\n",
                 "tab\tand \u2028"):
        assert ast.literal_eval(literal(text)) == text


GOOD = {"__init__.py": '"""The package."""\n\nVERSION = "1"\n',
        "a.py": '"""Module a."""\n\nimport os\n\nA = os.sep\n',
        "b.py": '"""Module b."""\n\nimport os\nimport pytest\n\nfrom .a import A\n\nB = A + os.sep\n'}


@pytest.mark.parametrize("files, modules, message", [
    ({}, ("a", "b"), None),
    ({"c.py": '"""Module c."""\n'}, ("a", "b"), "not listed: c"),
    ({}, ("a", "b", "c"), "missing: c"),
    ({"a.py": '"""Module a."""\n\nfrom .b import B\n'}, ("a", "b"), "b comes after a"),
    ({"b.py": '"""Module b."""\n\nfrom os import *\n'}, ("a", "b"), "a star import"),
    ({"b.py": '"""Module b."""\n\nA = 1\n'}, ("a", "b"), "defines A, which a.py defines too"),
    ({"b.py": 'B = 1\n'}, ("a", "b"), "no docstring"),
    ({"b.py": '"""Module b."""\n\nfrom .a import A as C\n'}, ("a", "b"), "one name for it"),
    ({"b.py": '"""Module b."""\n\nX = _text("nothere.txt")\n'}, ("a", "b"), "no such file"),
])
def test_the_assembler_refuses(tmp_path, monkeypatch, files, modules, message):
    for name, text in dict(GOOD, **files).items():
        (tmp_path / name).write_text(text)
    module = assembler()
    monkeypatch.setattr(module, "MODULES", modules)
    if message is None:
        text = module.assemble(str(tmp_path))
        assert "import os\n\nimport pytest\n" in text and "from .a" not in text
        assert text.index("A = os.sep") < text.index("B = A + os.sep")
        namespace = {}
        exec(compile(text, "one.py", "exec"), namespace)
        assert namespace["B"] == os.sep * 2 and namespace["VERSION"] == "1"
        return
    with pytest.raises(module.AssemblyError, match=message):
        module.assemble(str(tmp_path))


def test_a_carried_file_becomes_a_literal(tmp_path, monkeypatch):
    for name, text in GOOD.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "page.js").write_text('"use strict";\nvar a = "\\n";\n')
    (tmp_path / "b.py").write_text('"""Module b."""\n\nimport os\n\n\ndef _text(name):\n    return open(name).read()\n'
                                  '\n\nPAGE = _text("page.js")\n')
    module = assembler()
    monkeypatch.setattr(module, "MODULES", ("a", "b"))
    text = module.assemble(str(tmp_path))
    assert "_text" not in text
    namespace = {}
    exec(compile(text, "one.py", "exec"), namespace)
    assert namespace["PAGE"] == '"use strict";\nvar a = "\\n";\n'


def test_no_class_is_over_200_lines():
    """A class that needs that many lines holds two jobs."""
    found = []
    for name in python_files():
        with open(os.path.join(SOURCES, name)) as f:
            tree = ast.parse(f.read())
        found += [(name, n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
                  if isinstance(n, ast.ClassDef) and n.end_lineno - n.lineno + 1 > 200]
    assert found == []


def test_top_level_definitions_are_decorated_only_with_hookimpl():
    """pytest-cloud init takes a copy of the plugin for one with code of
    the project's own when a top-level function or class is decorated with
    anything but @pytest.hookimpl (helper/core/adopt.h): the plugin itself
    must not be."""
    with open(PLUGIN) as f:
        tree = ast.parse(f.read())
    found = []
    for node in tree.body:
        for deco in getattr(node, "decorator_list", ()):
            call = deco.func if isinstance(deco, ast.Call) else deco
            if ast.unparse(call) != "pytest.hookimpl":
                found.append((node.name, ast.unparse(deco)))
    assert found == []
