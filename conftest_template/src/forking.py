"""ForkServers: a node's workers as forks of one process that collected.

One start per node: a node's workers are forks of one process there (the
fork server, forkserver.py), which has imported pytest, xdist, this
plugin and the suite, through one collection.  It is started through the
node's gateway (forkstart.py); each worker's python is then a tiny client
(forkclient.py) that hands its stdin, stdout and stderr to the server
(SCM_RIGHTS) and waits: the server forks, the child takes those pipes
and runs execnet's bootstrap line as a fresh python would, and its exit
status goes back to the client.  execnet, xdist and the worker protocol
are as they are.  Where the server is not there (it fell back, or went)
the client becomes the python it stands for (exec), so a worker always
starts.  Linux only (fork without exec elsewhere is not safe enough).
"""

from .parallel import _describe, _in_parallel
from .texts import FORK_CLIENT, FORK_SERVER, FORK_START


class ForkServers:
    """Starts the fork servers of a bring-up.  args: the collection's
    arguments; bound: seconds each server's one collection may take
    (cloud_sync_timeout: it is a step after the copy); say: one line."""

    def __init__(self, args, bound, say):
        self.args = args
        self.bound = bound
        self.say = say
        self.forked = {}  # node -> the fork server's folder there

    def start(self, up, by_node):
        """A fork server on every node of up ({node: gateway}) that has
        more than one worker (by_node: {node: [worker spec]}), at once;
        its workers' python becomes the client.  A node whose server
        falls back says why, in one line, and starts fresh ones.  A node
        of one worker starts it fresh: a server would only add its own
        collection."""
        names = sorted(name for name in up if len(by_node[name]) > 1)

        def start(name):
            channel = up[name].remote_exec(FORK_START)
            channel.send((self.args, FORK_SERVER, FORK_CLIENT, self.bound))
            return channel.receive(self.bound + 10)

        results = _in_parallel(start, names, self.bound + 15, lambda name: None)
        for k, name in enumerate(names):
            result = results.get(k)
            if isinstance(result, Exception) or result[0] != "ready":
                why = _describe(result) if isinstance(result, Exception) else result[2]
                self.say("pytest-cloud: node '%s': workers start as fresh pythons: %s" % (name, why))
                continue
            self.forked[name] = result[1]
            for spec in by_node[name]:
                spec.python = "%s -I -S %s/client.py" % (spec.python, result[1])
