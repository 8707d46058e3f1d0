"""ReplacementPolicy: where a worker that went down is replaced (pure).

xdist replaces a worker that went down.  A worker that crashed on a live
node is replaced there, as xdist would.  On a lost node nothing is
started; only when the lost node's tests need a worker that no one else
can be (the scheduler says so: want()) is one started, on a surviving
node, through its proxy: the nodes of most test processes first, taking
turns.
"""


class ReplacementPolicy:
    """capacity: {node: its test processes} of the plan."""

    def __init__(self, capacity):
        self.capacity = dict(capacity)
        self.wanted = 0  # replacements the scheduler asked for, not yet made
        self.made = 0  # replacements made on another node

    def want(self):
        """The lost node's tests need a worker no one else can be."""
        self.wanted += 1

    def where(self, node, lost, left_out):
        """The node a worker of node (None: not ours) that went down is
        replaced on, or None for no replacement.  lost: the nodes lost
        during the run; left_out: those left out at bring-up."""
        if node not in lost:
            return node  # a crash on a live node (or not ours): xdist's own way
        if self.wanted <= 0:
            return None
        self.wanted -= 1
        alive = [n for n in self.capacity if n not in lost and n not in left_out]
        if not alive:
            return None
        self.made += 1
        return sorted(alive, key=lambda n: -self.capacity[n])[self.made % len(alive)]
