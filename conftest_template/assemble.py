#!/usr/bin/python3
"""Assembles the plugin users drop in, conftest_template/conftest.py, from
its sources in conftest_template/src/, as SQLite's amalgamation is built
from its source files: one file shipped, many files written.

    assemble.py [--check] [SRC [OUT]]

The sources are a Python package (tests import it as one): each module
has one job, a docstring saying what it is, its imports at the top, and
takes what it needs of the others with relative imports
(``from .plan import Plan``).  The assembled file is:

- the package's docstring (src/__init__.py), with the contents: one line
  per module, in the order of MODULES;
- every module's top-level imports, once each (stdlib first, then the
  others), and the rest of src/__init__.py (the release);
- each module in the order of MODULES, under a line naming its file,
  its docstring as comments, its code as written, less its top-level
  imports: its relative imports are dropped (the names are all in the one
  file), the others were hoisted;
- files carried as text: a top-level ``NAME = _text("file")`` becomes
  ``NAME = <the file's text as a string literal>`` (and the ``_text``
  function that reads them in the package goes), so the fork server and
  the timeline page are real .py, .js, .css and .html files in src/.

It refuses (one line, exit 1): a module in src/ that MODULES does not
list or the reverse, a relative import from a module later in the order
(the one file would run code before what it needs), a star import, and a
top-level name defined in two modules (the one file has one namespace).

--check writes nothing and exits 1, saying so, when OUT is not what
would be assembled; make writes OUT (make's rule for it).
"""

import ast
import os
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

# The modules, in the order of a run; a module imports only from those
# before it.
MODULES = (
    "options",
    "helper",
    "plan",
    "workerargs",
    "durations",
    "lossbook",
    "replacement",
    "seam",
    "cover",
    "scheduling",
    "texts",
    "parallel",
    "forking",
    "bringup",
    "timeline",
    "outputs",
    "run",
    "worker",
    "main",
)


class AssemblyError(Exception):
    pass


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _literal(text):
    """text as a Python string literal that reads back as text: a raw
    triple-quoted one where it can be (readable in the one file), else
    repr's."""
    for quote in ('"""', "'''"):
        if quote not in text and not text.endswith(("\\", quote[0])):
            candidate = "r" + quote + text + quote
            try:
                if ast.literal_eval(candidate) == text:
                    return candidate
            except (SyntaxError, ValueError):
                pass
    return repr(text)


def _defined(tree):
    """The top-level names a module defines."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
    return names


def _text_call(node):
    """The file name of a top-level NAME = _text("file"), else None."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    call = node.value
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_text"
            and len(call.args) == 1 and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str) and not call.keywords):
        return call.args[0].value
    return None


class Module:
    """One source module, read: its docstring, imports and code."""

    def __init__(self, src, name, position):
        self.name = name
        self.file = name + ".py"
        self.path = os.path.join(src, self.file)
        text = _read(self.path)
        lines = text.splitlines(keepends=True)
        tree = ast.parse(text, self.path)
        self.doc = ast.get_docstring(tree, clean=True)
        self.imports = []  # (module, name or None, alias or None)
        self.defined = _defined(tree)
        self.carried = []  # the files it carries as text
        drop = set()
        replace = {}
        for node in tree.body:
            first, last = node.lineno, node.end_lineno
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str) and node is tree.body[0]):
                drop.update(range(first, last + 1))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports.append((alias.name, None, alias.asname))
                drop.update(range(first, last + 1))
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node, position)
                drop.update(range(first, last + 1))
            elif isinstance(node, ast.FunctionDef) and node.name == "_text":
                drop.update(range(first - len(node.decorator_list), last + 1))
                self.defined.discard("_text")
            elif _text_call(node) is not None:
                carried = os.path.join(src, _text_call(node))
                if not os.path.isfile(carried):
                    raise AssemblyError("%s:%d: _text(%r): no such file in %s"
                                        % (self.path, first, _text_call(node), src))
                self.carried.append(_text_call(node))
                replace[first] = "%s = %s\n" % (node.targets[0].id, _literal(_read(carried)))
                drop.update(range(first + 1, last + 1))
        body = []
        for number, line in enumerate(lines, 1):
            if number in replace:
                body.append(replace[number])
            elif number not in drop:
                body.append(line)
        self.code = "".join(body).strip("\n") + "\n" if "".join(body).strip() else ""

    def _import_from(self, node, position):
        if any(alias.name == "*" for alias in node.names):
            raise AssemblyError("%s:%d: a star import: name what is used" % (self.path, node.lineno))
        if node.level == 0:
            for alias in node.names:
                self.imports.append((node.module, alias.name, alias.asname))
            return
        if node.level != 1:
            raise AssemblyError("%s:%d: import from outside the package" % (self.path, node.lineno))
        if node.module is None:  # from . import NAME: the package's own names
            return
        if node.module not in position:
            raise AssemblyError("%s:%d: from .%s: no module %s in MODULES"
                                % (self.path, node.lineno, node.module, node.module))
        if position[node.module] >= position[self.name]:
            raise AssemblyError("%s:%d: from .%s: %s comes after %s in MODULES (a module imports only "
                                "from those before it)" % (self.path, node.lineno, node.module,
                                                           node.module, self.name))
        for alias in node.names:
            if alias.asname is not None and alias.asname != alias.name:
                raise AssemblyError("%s:%d: from .%s import %s as %s: the one file has one name for it"
                                    % (self.path, node.lineno, node.module, alias.name, alias.asname))


def _import_lines(modules):
    """The hoisted imports: stdlib first, then the others, each once."""
    plain, froms = set(), {}
    for module in modules:
        for name, what, alias in module.imports:
            if what is None:
                plain.add("import %s%s" % (name, " as " + alias if alias else ""))
            else:
                froms.setdefault(name, set()).add(what + (" as " + alias if alias else ""))
    lines = [(line.split()[1].split(".")[0], line) for line in plain]
    lines += [(name.split(".")[0], "from %s import %s" % (name, ", ".join(sorted(whats))))
              for name, whats in froms.items()]
    stdlib = sorted(line for top, line in lines if top in sys.stdlib_module_names)
    others = sorted(line for top, line in lines if top not in sys.stdlib_module_names)
    return "\n".join(stdlib) + ("\n\n" + "\n".join(others) if others else "") + "\n"


def _comment(text):
    return "".join(("# " + line).rstrip() + "\n" for line in text.splitlines())


def assemble(src=os.path.join(HERE, "src")):
    """The one file's text, from the package at src."""
    position = {name: k for k, name in enumerate(MODULES)}
    position["__init__"] = -1
    package = Module(src, "__init__", position)
    modules = [Module(src, name, position) for name in MODULES if os.path.isfile(os.path.join(src, name + ".py"))]
    carried = {name for module in modules for name in module.carried}
    found = sorted(name[:-3] for name in os.listdir(src)
                   if name.endswith(".py") and name != "__init__.py" and name not in carried)
    if sorted(MODULES) != found:
        extra = sorted(set(found) - set(MODULES))
        lacking = sorted(set(MODULES) - set(found))
        raise AssemblyError("%s: the modules are not those of MODULES (assemble.py):%s%s" % (
            src, " not listed: " + ", ".join(extra) if extra else "",
            " missing: " + ", ".join(lacking) if lacking else ""))
    owner = {name: package.file for name in package.defined}
    for module in modules:
        if not module.doc:
            raise AssemblyError("%s: no docstring: say what the module is" % module.path)
        for name in sorted(module.defined):
            if name in owner:
                raise AssemblyError("%s: defines %s, which %s defines too (the one file has one namespace)"
                                    % (module.path, name, owner[name]))
            owner[name] = module.file
    width = max(len(m.file) for m in modules)
    contents = "\n".join(textwrap.fill(m.doc.splitlines()[0], 79,
                                       initial_indent="  %2d. %-*s  " % (k, width, m.file),
                                       subsequent_indent=" " * (width + 8))
                         for k, m in enumerate(modules, 1))
    out = ['"""%s\n\nContents: the modules of conftest_template/src/, each one section here, in\n'
           'the order of a run (make assembles this file from them: edit those):\n\n%s\n"""\n\n'
           % (package.doc, contents)]
    out.append(_import_lines([package] + modules))
    if package.code:
        out.append("\n" + package.code)
    for k, module in enumerate(modules, 1):
        rule = "# --- %d. src/%s " % (k, module.file)
        out.append("\n\n%s\n#\n%s" % (rule + "-" * max(3, 79 - len(rule)), _comment(module.doc)))
        if module.code:
            out.append("\n" + module.code)
    return "".join(out)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    src = args[0] if args else os.path.join(HERE, "src")
    out = args[1] if len(args) > 1 else os.path.join(HERE, "conftest.py")
    try:
        text = assemble(src)
    except (AssemblyError, SyntaxError, OSError) as exc:
        sys.stderr.write("assemble.py: %s\n" % exc)
        return 1
    if check:
        try:
            same = _read(out) == text
        except OSError:
            same = False
        if not same:
            sys.stderr.write("assemble.py: %s is not the one assembled from %s: run make\n" % (out, src))
            return 1
        return 0
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
