"""The --cloud-* options and ini keys, read as pytest reads them.

Each --cloud-NAME has the ini key cloud_NAME and the environment variable
PYTEST_CLOUD_NAME, which the helper reads itself: pytest registers them
here so that it knows them (--help, --strict-config), and a value of the
wrong type in the ini file ends the run with one line saying what to
write.
"""

import json

import pytest


# (option name, help, takes several); each --cloud-NAME also has the ini
# key cloud_NAME and the environment variable PYTEST_CLOUD_NAME, which the
# helper reads itself.  The helper's option table (helper/opts.c) is the
# source: tests/pyunit/test_options.py fails when this list disagrees.
_OPTIONS = (
    ("node", "a node to run tests on, [user@]host[:port], a range node[01-16], ^HOSTFILE or @slurm; "
     "repeatable", True),
    ("nodes", "space-separated nodes to run tests on (ranges, ^HOSTFILE, @slurm too); repeatable", True),
    ("python", "python on the nodes, used when no virtualenv is synced", False),
    ("chdir", "folder on the nodes, relative to the remote home, that receives the project", False),
    ("virtualenv-path", "virtualenv inside the project root that the workers use", False),
    ("mem-per-process", "MiB of available memory each test process needs", False),
    ("max-processes", "most test processes on one node", False),
    ("rsync-bandwidth-limit", "KB/s for each rsync; 0 means no limit", False),
    ("rsync-max-processes", "most rsync processes at once", False),
    ("rsync-cipher", "ssh cipher for rsync", False),
    ("ssh-config", "OpenSSH client config for every SSH connection of the run", False),
    ("connect-timeout", "seconds to set up each SSH connection", False),
    ("max-connections", "most SSH connections being set up at once", False),
    ("keepalive", "seconds of silence after which a node is lost", False),
    ("ssh-persist", "seconds each node's SSH master connection stays after the run, for the next run; "
     "0: it ends with the run", False),
    ("sync-timeout", "seconds each node's copy may take, and again its steps after the copy", False),
    ("lock-timeout", "seconds to wait for another run that uses the node's CHDIR; 0: do not wait", False),
    ("report", "JSON file the conftest writes at the end of the run: the plan, lost nodes and "
     "re-run tests", False),
    ("timeline", "HTML file the conftest writes at the end of the run: every worker's tests on a "
     "timeline", False),
    ("schedule", "the order tests are handed out in when no --dist is given: durations "
     "(longest first, from earlier runs) or collection", False),
    ("copy-python", "copy the virtualenv's interpreter to a node that has no python of its "
     "version: yes or no", False),
    ("fork", "start a node's workers as forks of one process that has imported and collected the "
     "suite: yes or no", False),
    ("in-place", "run the tests in the project itself on a node that sees it at the same path (a shared "
     "file system), copying nothing: yes or no", False),
)

# (ini key, help, type): "args" reads as a list both from ini text and
# from pytest 9's native TOML arrays
_INI_ONLY = (
    ("cloud_develop_eggs", "packages installed in development mode on the nodes", "args"),
    ("cloud_rsync_dirs", "the only folders copied (plus what the workers need)", "args"),
    ("cloud_rsync_ignore", "paths not copied", "args"),
    ("cloud_rsync_include", "paths copied although left out by default (.git, .env, ...)", "args"),
    ("cloud_helper", "helper binary the conftest runs", None),
)
_LIST_OPTIONS = {"nodes"}
# options whose ini key is a whole number: registered as pytest's "int"
# where pytest has it (8.4 and later), so that pytest 9's native TOML
# takes cloud_keepalive = 5 (the helper checks the same TOML types)
_NUMBERS = {"mem-per-process", "max-processes", "rsync-bandwidth-limit", "rsync-max-processes",
            "connect-timeout", "max-connections", "keepalive", "ssh-persist", "sync-timeout",
            "lock-timeout"}

# pytest's cache keys that decide what --lf/--ff/--nf/--sw select; the
# workers get the controller's values (their copies have no cache).
_SELECTION_CACHE_KEYS = ("cache/lastfailed", "cache/stepwise", "cache/nodeids")


def _dest(name):
    return "cloud_" + name.replace("-", "_")


def pytest_addoption(parser):
    group = parser.getgroup("cloud", "pytest-cloud: distributed run on SSH nodes")
    for name, help_text, several in _OPTIONS:
        group.addoption(
            "--cloud-" + name,
            dest=_dest(name),
            action="append" if several else "store",
            default=None,
            metavar="VALUE",
            help=help_text + " (write --cloud-%s=VALUE)" % name,
        )
        if name != "node":
            parser.addini(_dest(name), help_text, type=_ini_type(name))
    group.addoption(
        "--no-cloud",
        dest="cloud_off",
        action="store_true",
        default=False,
        help="run here, ignoring the cloud settings",
    )
    for key, help_text, kind in _INI_ONLY:
        parser.addini(key, help_text, type=kind)


def _version(text):
    """(major, minor) of a version string."""
    parts = []
    for word in str(text).split(".")[:2]:
        digits = "".join(c for c in word if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _ini_type(name):
    """The pytest type an option's ini key is registered with."""
    if name in _LIST_OPTIONS:
        return "args"
    if name in _NUMBERS and _version(pytest.__version__) >= (8, 4):
        return "int"
    return None


_TOML_GOT = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
             (list, "an array"))


def toml_form(kind, value):
    """What to write for a key of pytest type kind ("args", "int", None)
    whose TOML value is value (the helper's inifile_check_toml says the
    same): ["node1", "node2"] for "node1 node2"."""
    def string(text):
        return json.dumps(str(text), ensure_ascii=False)

    if kind == "args":
        words = value.split() if isinstance(value, str) else value if isinstance(value, list) else [value]
        return "[%s]" % ", ".join(string(w) for w in words)
    if kind == "int":
        if isinstance(value, str) and value.isdigit():
            return value
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return str(int(value))
        return "N (a whole number)"
    if isinstance(value, bool):
        return string("yes" if value else "no")
    if isinstance(value, list):
        return string(value[0]) if value else '""'
    return string(value)


def toml_type_error(path, key, kind, value):
    """The one line for a native TOML value of the wrong type."""
    what = {"args": "a list of strings", "int": "a whole number"}.get(kind, "a string")
    got = next(word for t, word in _TOML_GOT + ((object, "a value"),) if isinstance(value, t))
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        got = "an array holding more than strings"
    return ("pytest-cloud: %s: %s: pytest 9 reads this file in TOML types, where this key takes %s, "
            "not %s: write %s = %s" % (path, key, what, got, key, toml_form(kind, value)))


def _toml_value(config, key):
    """A key's value in the config file, when it is pytest 9's native TOML
    ([tool.pytest], pytest.toml); else None."""
    path = config.inipath
    if path is None or path.suffix != ".toml":
        return None
    try:
        import tomllib
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            return None
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError):
        return None
    table = data.get("pytest", {}) if path.name != "pyproject.toml" else data.get("tool", {}).get("pytest", {})
    return table.get(key) if isinstance(table, dict) else None


def _check_ini(config):
    """Every cloud key read as pytest reads it: a value of the wrong type
    ends the run with one line that says what to write (pytest's own
    error is a traceback), exit status 4."""
    keys = [(_dest(name), _ini_type(name)) for name, _h, _s in _OPTIONS if name != "node"]
    keys += [(key, kind) for key, _h, kind in _INI_ONLY]
    for key, kind in keys:
        try:
            config.getini(key)
        except (TypeError, ValueError) as exc:
            value = _toml_value(config, key)
            if value is not None:
                raise pytest.UsageError(toml_type_error(config.inipath, key, kind, value))
            raise pytest.UsageError("pytest-cloud: %s: %s: %s" % (config.inipath, key, exc))
