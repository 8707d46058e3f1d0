"""Seam: every name of xdist, execnet or pytest that is not public.
"""

import os
import signal


class Seam:
    """Every use of a name of xdist, execnet or pytest that is not public,
    in one place.  Each says why no public hook or name does the job, and
    the releases it was checked on: pytest-xdist 3.1.0 (Debian 12), 3.6.1,
    3.8.0 and 3.9.0.dev0 (main at f63b6a2); execnet 1.9.0, 2.1.1, 2.1.2.
    check() tells, at the start of a run, when an installed release lacks
    one, so an upgrade breaks here, in one line, and not in a test run;
    tests/pyunit/test_seam.py runs it too.
    """

    @staticmethod
    def check():
        """What the installed xdist and execnet lack of the names below."""
        missing = []
        try:
            from xdist.dsession import DSession
            from xdist.scheduler import LoadScheduling, LoadScopeScheduling
            from xdist.workermanage import NodeManager, WorkerController
        except ImportError as exc:
            return ["xdist's modules: %s" % exc]
        for owner, name in ((DSession, "_clone_node"), (NodeManager, "setup_node"),
                            (WorkerController, "sendcommand"), (WorkerController, "shutting_down"),
                            (LoadScheduling, "remove_node"), (LoadScopeScheduling, "remove_node")):
            if not hasattr(owner, name):
                missing.append("%s.%s" % (owner.__name__, name))
        import execnet

        if not hasattr(execnet.Group, "terminate") or not hasattr(execnet.XSpec, "__getattr__"):
            missing.append("execnet.Group.terminate, execnet.XSpec")
        return missing

    @staticmethod
    def dsession(config):
        """xdist's controller: its plugin registers under the name
        "dsession" (no public accessor)."""
        return config.pluginmanager.getplugin("dsession")

    @staticmethod
    def status_once(config):
        """Under -q, without a terminal, xdist writes its status line
        ("bringing up nodes...") at setup and again when the collection is
        complete (TerminalDistReporter.ensure_show_status; registered as
        "terminaldistreporter"), so it reads twice: the second is left
        out; no option says so.  With -v or on a
        terminal, where the line says something new or is rewritten in
        place, nothing changes."""
        reporter = config.pluginmanager.getplugin("terminaldistreporter")
        if reporter is None or config.option.verbose >= 0 or not hasattr(reporter, "ensure_show_status"):
            return
        reporter.ensure_show_status = lambda: None

    @staticmethod
    def group(dsession):
        """The execnet group xdist makes its workers in.  Our proxies must
        be in it (a worker finds its proxy there by via=); xdist's own
        --px (3.7 and later) makes proxies one after another with no
        bound, and 3.1 has no --px: the group is the only way in."""
        return dsession.nodemanager.group

    @staticmethod
    def hand_over(dsession, made, guard):
        """xdist makes each worker's gateway in turn, unbounded (setup_node
        calls group.makegateway): the gateways BringUp made all at once
        are handed to it instead, by id; one made later (a restart) is
        made as xdist would, then guarded."""
        group = dsession.nodemanager.group
        original = group.makegateway

        def makegateway(spec=None):
            gateway = made.pop(getattr(spec, "id", None), None)
            if gateway is None:
                gateway = original(spec)
                guard(gateway)
            return gateway

        group.makegateway = makegateway

    @staticmethod
    def proxy_of(dsession, gateway):
        """The proxy gateway a worker gateway was made through (via=), or
        None."""
        via = getattr(gateway.spec, "via", None)
        try:
            return dsession.nodemanager.group[via] if via else None
        except KeyError:
            return None

    @staticmethod
    def guard_proxied_io(gateway, proxy):
        """A worker made through a proxy is waited for and killed through it
        (execnet's gateway._io asks the proxy).  Once the proxy is gone
        there is nothing to wait for or kill (the worker was the proxy's
        child and ended with it), and execnet would raise or hang: no
        public knob says so."""
        if proxy is None:
            return
        io = gateway._io

        def guarded(call):
            def run():
                if not proxy.hasreceiver():
                    return None
                try:
                    return call()
                except (OSError, EOFError):
                    return None
            return run

        io.wait, io.kill = guarded(io.wait), guarded(io.kill)

    @staticmethod
    def worker_args(config, args):
        """The command line xdist sends the workers is
        config.invocation_params.args (WorkerController.setup), with no
        hook to change it: the workers run in the node's copy of the
        project root and must get its paths relative to it."""
        params = config.invocation_params
        config.invocation_params = type(params)(args=tuple(args), plugins=params.plugins, dir=params.dir)

    @staticmethod
    def remote_worker(node):
        """xdist gives a popen worker this machine's sys.path (setup(),
        spec.popen): ours are popen workers of a proxy on another machine,
        and no hook says so.  pytest_configure_node runs after xdist has
        taken the arguments (which a popen spec keeps as they are) and
        before it decides on sys.path."""
        node.gateway.spec.popen = False

    @staticmethod
    def via(worker):
        """The proxy a worker's gateway was made through (spec.via, public
        in execnet; xdist's worker object gives its gateway)."""
        return getattr(getattr(getattr(worker, "gateway", None), "spec", None), "via", None)

    @staticmethod
    def intercept_restarts(dsession, decide):
        """xdist replaces a worker that went down (DSession._clone_node),
        with no hook to say where or whether: decide(dsession, node,
        clone) says, clone being xdist's own."""
        clone = dsession._clone_node

        def restart(node):
            Seam.restore_popen(node)
            return decide(dsession, node, clone)

        dsession._clone_node = restart

    @staticmethod
    def restore_popen(node):
        """remote_worker's change undone for a clone: the new worker is a
        popen worker again until configured."""
        spec = getattr(getattr(node, "gateway", None), "spec", None)
        if spec is not None and getattr(spec, "via", None):
            spec.popen = True

    @staticmethod
    def clone_on(dsession, node, target, clone):
        """A replacement worker on node target: xdist's _clone_node reads
        only node.gateway.spec, so a stand-in carries the spec of a worker
        through target's proxy."""
        import execnet

        spec = node.gateway.spec
        parts = ["popen", "via=" + target, "python=" + spec.python]
        if getattr(spec, "execmodel", None):
            parts.append("execmodel=" + spec.execmodel)

        class Standin:
            pass

        standin = Standin()
        standin.gateway = Standin()
        standin.gateway.spec = execnet.XSpec("//".join(parts))
        return clone(standin)

    @staticmethod
    def forgive_crash(dsession):
        """xdist counts every worker that goes down against
        --max-worker-restart (_failed_nodes_count): a lost node's workers
        did not crash."""
        if hasattr(dsession, "_failed_nodes_count"):
            dsession._failed_nodes_count -= 1

    @staticmethod
    def stop(dsession, why):
        """Ends xdist's loop with why (DSession.shouldstop, which its loop
        reads; pytest's session.shouldstop it does not)."""
        dsession.shouldstop = why

    @staticmethod
    def quiet_sends_to_gone(node, ours):
        """A worker of ours whose connection is gone, before its down event
        is handled: what a scheduler sends it raises (sendcommand), and
        xdist would end the run with INTERNALERROR.  The send is dropped
        instead: the tests stay on the worker's books and come back when
        it is removed.  (Another plugin's workers are left as they are.)"""
        if not ours:
            return
        send = node.sendcommand

        def sendcommand(name, **kwargs):
            try:
                return send(name, **kwargs)
            except (OSError, ValueError):
                pass

        node.sendcommand = sendcommand

    @staticmethod
    def collection(sched):
        """The collection a scheduler hands out, before the first tests go
        (the protocol has none): load, worksteal and each keep
        node2collection, the scope schedulers registered_collections, ours
        node2collection."""
        collections_ = getattr(sched, "node2collection", None) or getattr(sched, "registered_collections", {})
        return next(iter(collections_.values()), [])

    @staticmethod
    def collection_lost(sched):
        """A worker lost before its collection came: xdist's schedulers
        wait for as many collections as the run had workers (numnodes),
        and nothing else would start the scheduling."""
        if getattr(sched, "numnodes", 0) > 0:
            sched.numnodes -= 1
        if getattr(sched, "collection", 0) is None and sched.nodes and sched.collection_is_completed:
            sched.schedule()

    @staticmethod
    def take_back(sched, test):
        """A test not to run again, taken out of the tests waiting for a
        worker (the protocol can only add one): load and worksteal keep
        indices in pending, the scope schedulers mark a work unit's entry
        done."""
        collection = getattr(sched, "collection", None) or []
        pending = getattr(sched, "pending", None)
        if pending is not None and test in collection:
            index = collection.index(test)
            while index in pending:
                pending.remove(index)
        for unit in (getattr(sched, "workqueue", None) or {}).values():
            if test in unit:
                unit[test] = True

    @staticmethod
    def kill_ssh(words):
        """Stops the ssh of a gateway that is still being made (execnet
        gives no handle on its process until it is up): this process's
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

    @staticmethod
    def terminate(group):
        """Ends every gateway now (execnet's Group.terminate, public): the
        group's own clean-up at exit would start threads, which Python
        3.12 refuses at interpreter shutdown."""
        try:
            group.terminate(timeout=5)
        except Exception:
            pass
