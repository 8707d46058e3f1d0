"""Calls at once with a bound, and stopping an ssh that hangs.

Bring-up makes every gateway at once; each is bounded, and one not up
within its bound is made to fail fast by stopping its ssh, which
execnet gives no handle on until the gateway is up.
"""

import os
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


def kill_ssh(words):
    """Stops the ssh of a gateway that is still being made: this process's
    child ssh whose words, just before its remote command, are exactly
    words (so "host" never matches "host -p 2222").  Linux /proc;
    elsewhere nothing is stopped and the bound only reports."""
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
        if argv and os.path.basename(argv[0]) == "ssh" and argv[-1 - len(words):-1] == words:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
