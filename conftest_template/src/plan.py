"""The helper's plan (README "Output"), read once.
"""

import collections


def spec_field(spec, key):
    """The value of KEY=value in an execnet spec string, or None."""
    for part in spec.split("//"):
        if part.startswith(key + "="):
            return part[len(key) + 1:]
    return None


class Plan:
    """The helper's plan (README "Output"), read once: each node's proxy
    gateway (px) and the workers it starts (tx)."""

    def __init__(self, data):
        self.data = data
        self.proxies = {spec_field(s, "id"): s for s in data.get("px", [])}
        self.workers = {spec_field(s, "id"): spec_field(s, "via") for s in data["tx"]}
        self.capacity = collections.Counter(self.workers.values())
        self.connect_timeout = int(data.get("connect_timeout", 10))
        self.worker_check = data.get("worker_check") or {}
        self.python = data.get("python")

    def node_of(self, worker_id):
        """The node (proxy gateway id) a worker of ours runs on, or None."""
        return self.workers.get(worker_id)
