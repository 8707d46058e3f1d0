"""Test paths: what the workers are told to run.

The workers run in the node's copy of the project root: their test
paths are made relative to it, and pytest's own command line is handed
to them as they should get it.
"""

import os

import pytest

from .options import _SELECTION_CACHE_KEYS


def _remote_args(config):
    """The test paths of this run, relative to the project root (the
    workers' folder), keeping any ::node-id part."""
    rootdir = str(config.rootpath)
    here = str(config.invocation_params.dir)
    result = []
    for arg in config.args:
        path, sep, rest = str(arg).partition("::")
        full = os.path.normpath(os.path.join(here, path))
        if not os.path.exists(full):
            result.append(str(arg))
            continue
        rel = os.path.relpath(full, rootdir)
        if rel == ".." or rel.startswith(".." + os.sep):
            raise pytest.UsageError(
                "pytest-cloud: test path '%s' is outside the project root "
                "'%s', which is all the nodes have" % (arg, rootdir)
            )
        result.append(rel + sep + rest)
    return result


def _args_for_workers(config, paths=True, absolute=False):
    """pytest's own command line as the workers should get it.  Ours run in
    the node's copy of the project root and take their test paths from
    ``cloud_args`` (relative to that root): -c's file becomes relative to
    the root, --rootdir is left out (their folder is the root).  The test
    paths of the command line become relative to the root too, or, with
    absolute, absolute, as xdist's own rsync needs them for a user's
    ``--tx ssh=...`` worker beside ours (it makes them relative to its
    rsync roots, and refuses a relative one); every other argument is
    kept as it was typed.  paths=False leaves the test paths out."""
    here = str(config.invocation_params.dir)
    root = str(config.rootpath)
    positional = {str(a) for a in getattr(config.option, "file_or_dir", None) or ()}

    def resolved(arg, relative_to_root):
        path, sep, rest = arg.partition("::")
        full = os.path.normpath(os.path.join(here, path))
        rel = os.path.relpath(full, root)
        if not os.path.exists(full) or rel == ".." or rel.startswith(".." + os.sep):
            return arg
        return (rel if relative_to_root else full) + sep + rest

    args = [str(a) for a in config.invocation_params.args]
    result = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg.startswith("--rootdir="):
            continue
        if arg == "--rootdir":
            i += 1
            continue
        if arg in ("-c", "--config-file") and i < len(args):
            result += [arg, resolved(args[i], True)]
            i += 1
            continue
        if arg in positional:
            if paths:
                result.append(resolved(arg, not absolute))
            continue
        result.append(arg)
    return result


def worker_input(config):
    """What a worker of ours is told beside xdist's own (its workerinput):
    its test paths, the places its reports are to name, and the
    controller's selection cache (--lf, --ff, --nf, --sw)."""
    found = {"cloud_args": _remote_args(config),
             "cloud_places": [str(config.rootpath), str(config.invocation_params.dir)]}
    cache = getattr(config, "cache", None)
    if cache is not None:
        found["cloud_cache"] = {key: cache.get(key, None) for key in _SELECTION_CACHE_KEYS}
    return found
