"""Calls at once with a bound, and stopping an ssh that hangs.

Bring-up makes every gateway at once; each is bounded, and one not up
within its bound is made to fail fast by stopping its ssh, which
execnet gives no handle on until the gateway is up.
"""

import os
import shlex
import signal
import threading
import time


def _in_parallel(make, items, bound, on_timeout):
    """Calls make(item) for every item at once; returns {index: result or
    exception}.  An item not done within bound seconds gets on_timeout(item)
    (which must make it fail fast) and TimeoutError as its result."""
    results = {}

    def run(k, item):
        try:
            results[k] = make(item)
        except Exception as exc:  # reported by the caller
            results.setdefault(k, exc)

    threads = [threading.Thread(target=run, args=(k, item), daemon=True) for k, item in enumerate(items)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + bound
    for k, thread in enumerate(threads):
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            results[k] = TimeoutError("not up within %ds" % bound)
            on_timeout(items[k])
    for thread in threads:
        thread.join(10)
    return results


def _describe(exc):
    """An exception (or a reason already in words) in one line."""
    if isinstance(exc, str):
        return exc
    text = str(exc).strip().splitlines()
    return "%s%s" % (type(exc).__name__, (": " + text[-1]) if text else "")


def launch_of(spec):
    """What tells a proxy gateway's process among this process's children:
    ("ssh", its ssh words) for an ssh spec, ("popen", its python= words)
    for a popen one (the mux client on the node's master, which execnet
    starts with those words first)."""
    if spec.ssh:
        return ("ssh", spec.ssh.split())
    return ("popen", shlex.split(spec.python))


def kill_ssh(launch):
    """Stops the process of a gateway (launch_of) that is still being made
    or must end: this process's child ssh whose words, just before its
    remote command, are exactly the ssh words (so "host" never matches
    "host -p 2222"), or whose argv starts with the popen words (the mux
    client: its master then ends the session; or the ssh it ran instead).  Linux /proc; elsewhere
    nothing is stopped and the bound only reports."""
    kind, words = launch
    me = str(os.getpid())
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            if stat[stat.rindex(")") + 2:].split()[1] != me:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")[:-1]
        except (OSError, ValueError, IndexError):
            continue
        if kind == "ssh":
            ours = argv and os.path.basename(argv[0]) == "ssh" and argv[-1 - len(words):-1] == words
        else:
            # the mux client, or the ssh it became when the master could
            # not take the session (its words from "ssh" to the
            # destination, then the one quoted command)
            ours = argv[:len(words)] == words or (argv[:1] == ["ssh"] and argv[:-1] == words[3:-1])
        if ours:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
