"""The helper's plan (README "Output"), read once.

Every setting of the run comes from the plan: the helper resolved each
option from its sources (command line, environment, ini file, default)
through its one option table, so the plugin reads none of them again.
"""

import collections
import os


def spec_field(spec, key):
    """The value of KEY=value in an execnet spec string, or None."""
    for part in spec.split("//"):
        if part.startswith(key + "="):
            return part[len(key) + 1:]
    return None


class Plan:
    """The helper's plan: each node's proxy gateway (px), the workers it
    starts (tx), and the run's settings.  here is the folder pytest was
    started in, which the output files' paths are relative to."""

    def __init__(self, data, here="."):
        self.data = data
        self.proxies = {spec_field(s, "id"): s for s in data.get("px", [])}
        self.workers = {spec_field(s, "id"): spec_field(s, "via") for s in data["tx"]}
        self.capacity = collections.Counter(self.workers.values())
        self.connect_timeout = int(data.get("connect_timeout", 10))
        self.keepalive = int(data.get("keepalive", 15))
        self.sync_timeout = int(data.get("sync_timeout", 300))
        self.worker_check = data.get("worker_check") or {}
        self.python = data.get("python")
        self.schedule = data.get("schedule", "durations")
        self.fork = bool(data.get("fork", False))
        self.helper_version = data.get("helper_version")
        self.report = self._output(data.get("report"), here)
        self.timeline = self._output(data.get("timeline"), here)

    @staticmethod
    def _output(path, here):
        return os.path.join(str(here), path) if path else None

    def node_of(self, worker_id):
        """The node (proxy gateway id) a worker of ours runs on, or None."""
        return self.workers.get(worker_id)

    def gateway_of(self, node):
        """The proxy gateway id of a node as the helper names it (user@host),
        or None when it has none (excluded)."""
        return next((n.get("gateway") for n in self.data.get("nodes", [])
                     if n.get("node") == node and n.get("gateway")), None)
