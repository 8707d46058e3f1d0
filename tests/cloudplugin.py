"""The one loader of the plugin for tests/pyunit and bench/.

    from cloudplugin import load, sources
    cloud = load()          # conftest_template/conftest.py, what users drop in
    src = sources()         # conftest_template/src as a package: its modules

load() imports the assembled file (the product, so that a test sees
what ships) once per process, as the module "pytest_cloud_conftest";
sources() imports the package it is assembled from, as
"pytest_cloud_src", and returns it (its modules are its attributes).
"""

import importlib
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN = os.path.join(ROOT, "conftest_template", "conftest.py")
SOURCES = os.path.join(ROOT, "conftest_template", "src")
ASSEMBLER = os.path.join(ROOT, "conftest_template", "assemble.py")


def _from_file(name, path, package=None):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=package)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load():
    """The plugin (conftest_template/conftest.py) as a module."""
    return _from_file("pytest_cloud_conftest", PLUGIN)


def sources():
    """The plugin's sources (conftest_template/src) as a package, every
    module of it imported."""
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in src
    try:
        package = _from_file("pytest_cloud_src", os.path.join(SOURCES, "__init__.py"), [SOURCES])
        for name in assembler().MODULES:
            importlib.import_module("pytest_cloud_src." + name)
    finally:
        sys.dont_write_bytecode = before
    return package


def assembler():
    """conftest_template/assemble.py as a module."""
    return _from_file("pytest_cloud_assemble", ASSEMBLER)

