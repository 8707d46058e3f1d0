"""BringUp: every node's gateway at once, then its workers.

Each node's proxy gateway at once, each bounded by the connect timeout;
the worker check in each; the fork servers (forking.py) where the run
forks its workers; then every worker through its proxy, at once.
"""

import collections
import time

from .forking import ForkServers
from .parallel import _describe, _in_parallel, kill_ssh, launch_of
from .seam import Seam


# Runs in each proxy gateway: when its connection to the controller ends,
# the proxy ends at once, and so its workers' input closes.
_PROXY_WATCHDOG = """
import os
try:
    channel.receive()
except BaseException:
    pass
os._exit(0)
"""


class BringUp:
    """Every node's proxy gateway at once, each bounded by the connect
    timeout; the worker check in each (it is the worker python); then
    every worker through its proxy, at once.  A node that fails a step is
    left out (left_out: node -> why, said at once); the rest go on."""

    def __init__(self, plan, group, say, fork_args=None):
        self.plan = plan
        self.group = group
        self.say = say
        # the collection's arguments: fork servers; None: fresh workers
        self.forks = None if fork_args is None else ForkServers(fork_args, plan.sync_timeout, say)
        self.left_out = {}
        self.watchdogs = {}  # node -> the proxy watchdog's channel
        self.ssh = {}  # node -> its proxy's launch (parallel.launch_of: to stop a hung one)

    def leave_out(self, name, why):
        if name not in self.left_out:
            self.left_out[name] = why
            self.say("pytest-cloud: node '%s': left out: %s" % (name, why))

    def run(self, specs):
        """Brings up the nodes of our worker specs; returns {worker id:
        gateway} of the workers that came up."""
        by_node = collections.defaultdict(list)
        for spec in specs:
            by_node[self.plan.node_of(spec.id)].append(spec)
        up = self._proxies(sorted(by_node))
        self._check(up)
        if self.forks is not None:
            self.forks.start(up, by_node)
        return self._workers(up, by_node)

    def _proxies(self, names):
        import execnet

        specs = [execnet.XSpec(self.plan.proxies[name]) for name in names]
        for name, spec in zip(names, specs):
            self.ssh[name] = launch_of(spec)
        results = _in_parallel(self.group.makegateway, specs, self.gateway_bound(),
                               lambda spec: kill_ssh(launch_of(spec)))
        up = {}
        for k, name in enumerate(names):
            result = results[k]
            if isinstance(result, Exception):
                self.leave_out(name, "gateway: %s" % self._why(name, result))
                continue
            try:
                # kept open for the whole run: closing it ends the proxy
                self.watchdogs[name] = result.remote_exec(_PROXY_WATCHDOG)
            except Exception as exc:
                self.leave_out(name, "gateway: %s" % _describe(exc))
                continue
            up[name] = result
        return up

    def _why(self, name, exc):
        """Why node name's gateway did not come up, in words.  A gateway
        through the mux client whose process ended before execnet's
        bootstrap (the master gone, and the ssh run instead could not
        connect: exit 255) is no HostNotFound to execnet, which knows no
        address for a popen gateway: 1.9 raises AttributeError
        (remoteaddress), 2.x OSError (cannot send)."""
        if self.ssh[name][0] == "popen" and isinstance(exc, (AttributeError, OSError, EOFError)):
            return ("no session: the node's master has gone and ssh could not connect by itself "
                    "(its own message, if any, is above; %s)" % _describe(exc))
        return _describe(exc)

    def gateway_bound(self):
        """How long a gateway may take to come up, as the probe is bounded:
        its ssh sets up within the connect timeout (ConnectTimeout) and
        gives up a node silent for the keepalive (ServerAlive*, from the
        key exchange on), so a gateway still coming up after that is a
        node that answers but is slow to start its python (a loaded
        machine): it gets the keepalive more, and no longer."""
        return self.plan.connect_timeout + self.plan.keepalive

    def _check(self, up):
        """The helper's worker check (the worker python imports pytest,
        xdist and the develop eggs from the node's copy), run by each
        proxy, which is that python, in CHDIR: no python of its own."""
        check = self.plan.worker_check
        if check.get("by") != "gateway":
            return
        code = "import sys\nsys.argv = ['pytest-cloud-check'] + %r\n%s" % (
            list(check.get("args", [])), check["source"])
        names = sorted(up)
        bound = max(30, 3 * self.plan.connect_timeout)

        def run(name):
            up[name].remote_exec(code).waitclose(bound + 5)

        results = _in_parallel(run, names, bound, lambda name: kill_ssh(self.ssh[name]))
        for k, name in enumerate(names):
            if isinstance(results.get(k), Exception):
                why = str(results[k]).strip().splitlines() or [_describe(results[k])]
                self.leave_out(name, "worker python '%s' cannot import pytest, xdist%s: %s" % (
                    self.plan.python, " and the develop eggs" if check.get("args") else "", why[-1]))
                del up[name]

    def _workers(self, up, by_node):
        specs = [spec for name in up for spec in by_node[name]]
        results = _in_parallel(self.group.makegateway, specs, max(30, 3 * self.plan.connect_timeout),
                               lambda spec: kill_ssh(self.ssh[self.plan.node_of(spec.id)]))
        made = {}
        for k, spec in enumerate(specs):
            result, name = results[k], self.plan.node_of(spec.id)
            if not isinstance(result, Exception):
                Seam.guard_proxied_io(result, up[name])
                made[spec.id] = result
            elif name in self.left_out or not self.proxy_alive(name):
                self.leave_out(name, "connection lost while starting its workers: %s" % _describe(result))
            else:
                self.say("pytest-cloud: node '%s': worker %s not started: %s" % (name, spec.id, _describe(result)))
        return {wid: gw for wid, gw in made.items() if self.plan.node_of(wid) not in self.left_out}

    def proxy_alive(self, name):
        """Whether node name's proxy answers (for up to 2 s)."""
        try:
            proxy = self.group[name]
        except (KeyError, TypeError):
            return False
        deadline = time.monotonic() + 2
        while proxy.hasreceiver() and time.monotonic() < deadline:
            try:
                if proxy.remote_exec("channel.send(1)").receive(1) == 1:
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        return proxy.hasreceiver()

    def terminate(self):
        """Ends every gateway now (execnet's Group.terminate), before the
        interpreter shuts down: the group's own clean-up at exit would
        start threads, which Python 3.12 refuses then."""
        try:
            self.group.terminate(timeout=5)
        except Exception:
            pass
