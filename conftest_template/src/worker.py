"""On the workers: what a worker of ours does differently.

Its reports name the controller's places (LocalPaths); its selection
cache is the controller's; it ends when its proxy is gone.
"""

import json
import os
import threading
import time

import pytest


class LocalPaths:
    """A worker's report as the controller would have written it: the
    places it names under the node's copy of the project (node_root) are
    moved to the project on the controller (root), and a place the worker
    gave relative to its folder is made relative to the folder pytest was
    started in here (cwd), as pytest does, when that is shorter.  Only
    places are moved (skip and crash locations, traceback entries, the
    "File" lines of --tb=native, warnings' files, a collection error's
    quoted module path), never a test's own messages.  Pure: strings and
    pytest's report objects in, the same objects out."""

    def __init__(self, node_root, root, cwd):
        self.node_root = os.path.normpath(node_root)
        self.root = os.path.normpath(root)
        self.cwd = os.path.normpath(cwd)

    def moved(self, path, here=None):
        """The controller's absolute path for a path of the node (relative
        ones are from here, the worker's folder), or None when it is not
        in the node's copy."""
        full = os.path.normpath(os.path.join(here or self.node_root, str(path)))
        if full == self.node_root:
            return self.root
        if full.startswith(self.node_root + os.sep):
            return self.root + full[len(self.node_root):]
        return None

    def path(self, path, here=None):
        """An absolute place (a skip's, a crash's, a warning's file)."""
        moved = self.moved(path, here)
        return path if moved is None else moved

    def warning_file(self, path):
        """A warning's file: an absolute one moved (path), a relative one
        kept as it is.  pytest gives a warning about a test (Node.warn:
        record_xml_attribute's, a plugin's) the test's place relative to
        the rootdir, and prints it as it is; so does a local run."""
        return self.path(path) if os.path.isabs(path) else path

    def location(self, path, here=None):
        """A traceback entry's place: relative to cwd when shorter (pytest's
        own rule), else absolute."""
        moved = self.moved(path, here)
        if moved is None:
            return path
        rel = os.path.relpath(moved, self.cwd)
        return rel if len(rel) < len(moved) else moved

    def text(self, text):
        """A native traceback's lines and a collection error's text: a
        node path quoted as Python quotes a file ("File "..."" and
        '...')."""
        for quote in ('"', "'"):
            text = text.replace(quote + self.node_root + os.sep, quote + self.root + os.sep)
        return text

    def longrepr(self, longrepr, here=None):
        """A report's longrepr with its places moved (a skip's tuple comes
        back as a new tuple; the objects are changed in place)."""
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            return (self.path(longrepr[0], here),) + tuple(longrepr[1:])
        if isinstance(longrepr, str):
            return self.text(longrepr)
        if hasattr(longrepr, "longrepr") and isinstance(longrepr.longrepr, str):
            longrepr.longrepr = self.text(longrepr.longrepr)  # a collection error
            return longrepr
        chain = getattr(longrepr, "chain", None)
        parts = [(tb, crash) for tb, crash, _descr in chain] if chain else [
            (getattr(longrepr, "reprtraceback", None), getattr(longrepr, "reprcrash", None))]
        done = set()
        for tb, crash in parts:
            if crash is not None and id(crash) not in done and getattr(crash, "path", None):
                done.add(id(crash))
                crash.path = self.path(crash.path, here)
            for entry in getattr(tb, "reprentries", None) or ():
                if id(entry) in done:
                    continue
                done.add(id(entry))
                loc = getattr(entry, "reprfileloc", None)
                if loc is not None and getattr(loc, "path", None):
                    loc.path = self.location(loc.path, here)
                elif getattr(entry, "style", None) == "native":
                    entry.lines = [self.text(line) for line in entry.lines]
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None and id(crash) not in done and getattr(crash, "path", None):
            crash.path = self.path(crash.path, here)
        return longrepr


class _WorkerPlaces:
    """On a worker of ours: each report and warning, before xdist sends it,
    names the controller's places (LocalPaths)."""

    def __init__(self, paths):
        self.paths = paths

    def _here(self):
        try:
            return os.getcwd()
        except OSError:
            return None

    def _report(self, report):
        if report.longrepr is not None:
            report.longrepr = self.paths.longrepr(report.longrepr, self._here())

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        self._report(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report):
        self._report(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message):
        if getattr(warning_message, "filename", None):
            warning_message.filename = self.paths.warning_file(warning_message.filename)


def _seed_worker_cache(config, values):
    """Writes the controller's selection cache into the node copy's cache,
    before pytest's cache plugin reads it (nodes that share a home share
    the copy: each writes through a name of its own, host and pid)."""
    if not values or not config.pluginmanager.has_plugin("cacheprovider"):
        return
    import socket

    base = os.path.expanduser(os.path.expandvars(config.getini("cache_dir")))
    base = os.path.join(str(config.rootpath), base, "v")
    for key, value in values.items():
        path = os.path.join(base, *key.split("/"))
        if value is None:
            if os.path.exists(path):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%s.%d" % (path, socket.gethostname(), os.getpid())
        with open(tmp, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)


def _end_with_parent():
    """Ends this worker at once when its proxy (its parent) is gone: a
    lost connection leaves nothing running on the node."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(70)

    threading.Thread(target=watch, name="pytest-cloud-parent", daemon=True).start()
