"""Seam: every name of xdist, execnet or pytest that is not public.

SEAM is the table: each entry names its owner (a dotted path: a class, a
function, or a module; "A or B" where a release renamed it), the name
relied on there, why no public hook or name does the job, and the
releases it was checked on.  Seam.check() is derived from the table and
checks every entry against the installed releases at the start of a run
(and in tests/pyunit/test_seam.py), so that an upgrade breaks here, in
one line naming the entry, and not in a test run.  A name is there when
the owner has it as an attribute, or (a class) its code sets it on self,
or (a function) its code reads it or names it in a string.

The classes Seam and SchedulerSeam hold every use of those names; nothing
else in the plugin reaches an underscore name of another module's object (a pyunit
test reads every source file for it, the fork server's too).  Its
methods look nothing up with a default: a name gone missing fails the
check, not silently the run.
"""

import ast
import importlib
import importlib.util
import inspect
import textwrap
import warnings

from .options import _version
from .plan import spec_field

XDIST = "pytest-xdist 3.1.0 (Debian 12), 3.6.1, 3.8.0, 3.9.0.dev0 (main at f63b6a2)"
EXECNET = "execnet 1.9.0, 2.1.1, 2.1.2"
PYTEST = "pytest 7.2.1, 8.3.5, 8.4.2, 9.0.3, 9.1.1"
PYTEST_COV = "pytest-cov 4.0.0 (Debian 12), 7.0.0"
WHY_CENTRAL = ("pytest-cov chooses its one-process controller (Central) in its pytest_load_initial_conftests, "
               "before any conftest is imported and so before ours turns --dist on: it is replaced by the "
               "distributed one (DistMaster), as -n or --dist would have chosen")
WHY_WORKER_DATA = ("a worker on another machine sends its coverage data with its own paths, and the controller's "
                   "mapping of them (paths on a Coverage it no longer reports from) does nothing: they are moved "
                   "to the project's paths here before they are sent")
WHY_SCOUT = ("the fork server's collection (its scout) measures what coverage would and writes nothing: "
             "pytest-cov's parsed options are read there, and it is told not to measure")
WHY_GROUP = ("the execnet group xdist makes its workers in: our proxies must be in it (a worker finds its "
             "proxy there by via=); xdist's --px (3.7 and later) makes proxies one after another with no "
             "bound, and 3.1 has no --px")
WHY_COLLECTION = "the collection the scheduler hands out, before the first tests go: the protocol has none"
WHY_NUMNODES = ("the schedulers wait for as many collections as the run had workers, counted from --tx when "
                "they are made: a worker lost before its collection came would hold the run")
WHY_TAKE_BACK = "a test not to run again, taken out of the tests waiting: the protocol can only add one"

# (owner, name, why no public hook or name does it, releases checked, the
# first xdist release that has the owner (a tuple), or the optional plugin
# whose entries they are (a module name: asked for only where it is
# installed), or None)
SEAM = (
    ("xdist.plugin.pytest_configure", "dsession",
     "xdist's controller registers as the plugin 'dsession': no public accessor", XDIST, None),
    ("xdist.dsession.DSession.__init__", "terminaldistreporter",
     "xdist's status reporter registers under this name", XDIST, None),
    ("xdist.dsession.TerminalDistReporter", "ensure_show_status",
     "under -q, without a terminal, it writes the status line a second time, and no option says not to",
     XDIST, None),
    ("xdist.dsession.DSession", "nodemanager", WHY_GROUP, XDIST, None),
    ("xdist.workermanage.NodeManager", "group", WHY_GROUP, XDIST, None),
    ("xdist.workermanage.NodeManager.setup_node", "makegateway",
     "xdist makes each worker's gateway in turn, unbounded: the gateways made at once are handed to it "
     "instead", XDIST, None),
    ("execnet.gateway_base.BaseGateway", "_io",
     "a worker made through a proxy is waited for and killed through it (its _io asks the proxy); once "
     "the proxy is gone execnet would raise or hang, and no public knob says so", EXECNET, None),
    ("execnet.gateway_io.ProxyIO", "wait", "the wait guarded through _io", EXECNET, None),
    ("execnet.gateway_io.ProxyIO", "kill", "the kill guarded through _io", EXECNET, None),
    ("xdist.workermanage.WorkerController.setup", "invocation_params",
     "the command line xdist sends the workers, with no hook to change it: ours run in the node's copy "
     "of the project root and get its paths relative to it", XDIST, None),
    ("xdist.workermanage.WorkerController.setup", "popen",
     "xdist gives a popen worker this machine's sys.path: ours are popen workers of a proxy on another "
     "machine, and no hook says so", XDIST, None),
    ("xdist.workermanage.WorkerController.setup", "basetemp",
     "xdist gives a popen worker this machine's basetemp", XDIST, None),
    ("xdist.workermanage.parse_spec_config or xdist.workermanage.parse_tx_spec_config", "tx",
     "the schedulers count their workers from --tx: a worker not brought up is taken out of it",
     XDIST, None),
    ("xdist.dsession.DSession", "_clone_node",
     "xdist replaces a worker that went down, with no hook to say where or whether", XDIST, None),
    ("xdist.dsession.DSession._clone_node", "spec",
     "it reads only the gateway's spec of the worker it replaces: a stand-in carries the spec of a "
     "worker on another node", XDIST, None),
    ("xdist.dsession.DSession", "_failed_nodes_count",
     "xdist counts every worker that goes down against --max-worker-restart: a lost node's did not "
     "crash", XDIST, None),
    ("xdist.dsession.DSession", "shouldstop",
     "ends xdist's loop with a reason; pytest's session.shouldstop it does not read", XDIST, None),
    ("xdist.workermanage.WorkerController", "sendcommand",
     "a send to a worker whose connection is gone raises, and xdist would end the run with "
     "INTERNALERROR before the worker's down event is handled", XDIST, None),
    ("xdist.scheduler.LoadScheduling", "node2collection", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "collection", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScheduling", "pending", WHY_TAKE_BACK, XDIST, None),
    ("xdist.scheduler.WorkStealingScheduling", "node2collection", WHY_COLLECTION, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "numnodes", WHY_NUMNODES, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "collection", WHY_NUMNODES, XDIST, (3, 2)),
    ("xdist.scheduler.WorkStealingScheduling", "pending", WHY_TAKE_BACK, XDIST, (3, 2)),
    ("xdist.scheduler.EachScheduling", "node2collection", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.EachScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.EachScheduling", "collection_is_completed",
     "each keeps it as a flag, set when the collections counted are in: one fewer to wait for sets it",
     XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "registered_collections", WHY_COLLECTION, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "numnodes", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "collection", WHY_NUMNODES, XDIST, None),
    ("xdist.scheduler.LoadScopeScheduling", "workqueue", WHY_TAKE_BACK, XDIST, None),
    ("_pytest.main.Session.perform_collect", "args",
     "a worker collects config.args, read after pytest_cmdline_main: ours get their test paths relative "
     "to the node's copy", PYTEST, None),
    ("_pytest.junitxml.LogXML.node_reporter", "node",
     "junit keys its test cases by (test, report.node): a re-run test's reports are filed with its first "
     "attempt's, so junit shows it once", PYTEST, None),
    ("execnet.gateway_io.popen_args", "python",
     "a node's gateway through the mux client is a popen gateway: its python= words, split as a shell "
     "would, start its argv (parallel.kill_ssh finds it by them), and execnet appends the python's own "
     "arguments, which the mux client quotes for the node's shell (render.h, --quote)", EXECNET, None),
    ("execnet.gateway_io.popen_args", "-c",
     "a forked worker runs execnet's bootstrap line as a fresh python would: the argument after -c "
     "(forkserver.py)", EXECNET, None),
    ("_pytest.assertion.rewrite", "AssertionRewritingHook",
     "the fork server leaves to each worker the modules pytest imported through its assertion rewriting "
     "(test modules, conftests, the plugins it rewrites), told by their loader's type: no public name says "
     "which they are (forkserver.py)", PYTEST, None),
    # pytest-cov, asked for where it is installed (SEAM_PLUGINS)
    ("pytest_cov.plugin.pytest_load_initial_conftests", "_cov",
     "pytest-cov registers its plugin under this name; no public accessor", PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin", "cov_controller", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin", "start", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine", "Central", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine", "DistMaster", WHY_CENTRAL, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController", "pause",
     "stops the replaced controller's coverage (4.0: and its subprocesses' environment)", PYTEST_COV,
     "pytest_cov"),
    ("pytest_cov.engine.CovController", "cov",
     "the replaced controller's data so far (this conftest's import, the project's conftests') is saved "
     "beside, for the distributed one to combine", PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.DistWorker.finish", "cov_worker_data", WHY_WORKER_DATA, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.DistWorker.finish", "cov_worker_path", WHY_WORKER_DATA, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.pytest_addoption", "cov_source", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController.__init__", "cov_branch", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.engine.CovController.__init__", "cov_config", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
    ("pytest_cov.plugin.CovPlugin.__init__", "no_cov", WHY_SCOUT, PYTEST_COV, "pytest_cov"),
)


def _resolve(dotted):
    """The object a dotted path names (the longest importable module,
    then attributes); raises ImportError or AttributeError."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            found = getattr(found, attr)
        return found
    raise ImportError(dotted)


_CODE_NAMES = {}  # obj -> _code_names(obj): each source is read once


def _code_names(obj):
    """The names obj's code reads or sets as attributes, and its strings;
    for a class, only what it sets on self.  Raises OSError when its
    source is not there.  (No decorator caches it: pytest-cloud init
    takes a top-level function decorated with anything but
    @pytest.hookimpl for code of the project's own, adopt.h.)"""
    if obj not in _CODE_NAMES:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
        if inspect.isclass(obj):
            found = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                     and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == "self"}
        else:
            found = ({n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
                     | {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)})
        _CODE_NAMES[obj] = found
    return _CODE_NAMES[obj]


def _has(owner, name):
    if hasattr(owner, name):
        return True
    if inspect.ismodule(owner):
        return False
    if inspect.isclass(owner):
        return any(name in _code_names(cls) for cls in owner.__mro__ if cls is not object)
    return name in _code_names(owner)


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check(installed_xdist=None, plugins=None):
    """Every entry of SEAM the installed releases lack, as "owner.name"
    (empty: all there).  installed_xdist: its (major, minor); an entry
    whose owner came in a later release is not asked for.  plugins: the
    optional plugins whose entries are asked for (None: those installed)."""
    if installed_xdist is None:
        import xdist

        installed_xdist = _version(xdist.__version__)
    missing = []
    for owners, name, _why, _checked, since in SEAM:
        if isinstance(since, str):
            if not (_installed(since) if plugins is None else since in plugins):
                continue
        elif since is not None and installed_xdist < since:
            continue
        found = False
        for owner in owners.split(" or "):
            try:
                found = _has(_resolve(owner), name)
            except (ImportError, AttributeError, OSError, TypeError, SyntaxError):
                found = False
            if found:
                break
        if not found:
            missing.append("%s.%s" % (owners, name))
    return missing


class Seam:
    """The uses of the names of SEAM in xdist's controller, its workers'
    setup and pytest's reports; each method names its entries."""

    check = staticmethod(check)

    @staticmethod
    def dsession(config):
        """xdist's controller (xdist.plugin.pytest_configure: dsession)."""
        return config.pluginmanager.getplugin("dsession")

    @staticmethod
    def status_once(config):
        """Under -q, without a terminal, xdist writes its status line
        ("bringing up nodes...") at setup and again when the collection is
        complete: the second is left out (terminaldistreporter,
        ensure_show_status; registered only with a terminal reporter).
        With -v or on a terminal, where the line says something new or is
        rewritten in place, nothing changes."""
        reporter = config.pluginmanager.getplugin("terminaldistreporter")
        if reporter is None or config.option.verbose >= 0:
            return
        reporter.ensure_show_status = lambda: None

    @staticmethod
    def group(dsession):
        """The execnet group xdist makes its workers in (nodemanager, group)."""
        return dsession.nodemanager.group

    @staticmethod
    def hand_over(dsession, made, guard):
        """The gateways made all at once are handed to xdist by id when it
        makes each in turn (setup_node: makegateway); one made later (a
        restart) is made as xdist would, then guard(gateway)."""
        group = dsession.nodemanager.group
        original = group.makegateway

        def makegateway(spec=None):
            gateway = made.pop(spec.id, None) if spec is not None else None
            if gateway is None:
                gateway = original(spec)
                guard(gateway)
            return gateway

        group.makegateway = makegateway

    @staticmethod
    def proxy_of(dsession, gateway):
        """The proxy gateway a worker gateway was made through (via=), or
        None."""
        via = gateway.spec.via
        try:
            return dsession.nodemanager.group[via] if via else None
        except KeyError:
            return None

    @staticmethod
    def guard_proxied_io(gateway, proxy):
        """A worker made through proxy is waited for and killed through it
        (_io: wait, kill): once the proxy is gone there is nothing to wait
        for or kill (the worker was the proxy's child and ended with it)."""
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
        """The command line xdist sends the workers (setup:
        invocation_params) becomes args."""
        params = config.invocation_params
        config.invocation_params = type(params)(args=tuple(args), plugins=params.plugins, dir=params.dir)

    @staticmethod
    def remote_worker(node):
        """Our worker is no popen worker of this machine (setup: popen):
        pytest_configure_node runs after xdist has taken the arguments
        (which a popen spec keeps as they are) and before it decides on
        sys.path."""
        node.gateway.spec.popen = False

    @staticmethod
    def drop_specs(config, dropped):
        """The workers not brought up (their ids) leave --tx, which the
        schedulers count their workers from (tx)."""
        config.option.tx = [tx for tx in config.option.tx if spec_field(tx, "id") not in dropped]

    @staticmethod
    def intercept_restarts(dsession, decide):
        """xdist's replacement of a worker that went down (_clone_node)
        goes through decide(dsession, node, clone), clone being xdist's."""
        clone = dsession._clone_node

        def restart(node):
            spec = node.gateway.spec
            if spec.via:
                spec.popen = True  # remote_worker's change undone: a popen worker until configured
            return decide(dsession, node, clone)

        dsession._clone_node = restart

    @staticmethod
    def clone_on(dsession, node, target, clone):
        """A replacement worker on node target: a stand-in carries the spec
        of a worker through target's proxy (_clone_node reads only spec)."""
        import execnet

        spec = node.gateway.spec
        parts = ["popen", "via=" + target, "python=" + spec.python]
        if spec.execmodel:
            parts.append("execmodel=" + spec.execmodel)

        class Standin:
            pass

        standin = Standin()
        standin.gateway = Standin()
        standin.gateway.spec = execnet.XSpec("//".join(parts))
        return clone(standin)

    @staticmethod
    def forgive_crash(dsession):
        """A lost node's worker did not crash (_failed_nodes_count)."""
        dsession._failed_nodes_count -= 1

    @staticmethod
    def stop(dsession, why):
        """Ends xdist's loop with why (shouldstop)."""
        dsession.shouldstop = why

    @staticmethod
    def worker_setup(config, args):
        """On a worker of ours: it collects args (perform_collect: args),
        its basetemp is its own (setup: basetemp)."""
        config.args[:] = args
        config.option.basetemp = None

    @staticmethod
    def coverage_plugin(config):
        """pytest-cov's plugin when it measures this run (_cov, with a
        controller: cov_controller), else None."""
        plugin = config.pluginmanager.getplugin("_cov")
        if plugin is None or plugin.cov_controller is None:
            return None
        return plugin

    @staticmethod
    def coverage_distributed(config):
        """pytest-cov's Central, chosen before --dist was on, becomes a
        DistMaster as with -n (_cov: cov_controller, start; pause; cov);
        what Central measured so far is saved for it to combine."""
        plugin = Seam.coverage_plugin(config)
        if plugin is None:
            return False
        from pytest_cov import engine

        central = plugin.cov_controller
        if type(central) is not engine.Central:
            return False
        central.pause()
        plugin.start(engine.DistMaster)
        with warnings.catch_warnings():  # no data, a source not imported: DistMaster's are quiet too
            warnings.simplefilter("ignore")
            central.cov.save()
        return True

    @staticmethod
    def coverage_sent(workeroutput):
        """The coverage data a worker of pytest-cov's is about to send and
        its folder (DistWorker.finish: cov_worker_data, cov_worker_path),
        or None (not measured, or on a shared disk)."""
        if not workeroutput or "cov_worker_data" not in workeroutput:
            return None
        return workeroutput["cov_worker_data"], workeroutput["cov_worker_path"]

    @staticmethod
    def coverage_send(workeroutput, data, path):
        """The worker sends data, from folder path, instead."""
        workeroutput["cov_worker_data"] = data
        workeroutput["cov_worker_path"] = path

    @staticmethod
    def file_with_first_attempt(report, first):
        """A re-run test's report is filed by junit with its first
        attempt's (node_reporter: node): its node is seen as first."""
        report.node = _NodeAlias(report.node, first)


class SchedulerSeam:
    """The uses of the names of SEAM inside xdist's schedulers and their
    workers (the Scheduling protocol lacks them)."""

    @staticmethod
    def quiet_sends_to_gone(node, ours):
        """A send to a worker of ours whose connection is gone is dropped
        (sendcommand): its tests stay on its books and come back when it
        is removed.  Another plugin's workers are left as they are."""
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
    def scheduler_kind(sched):
        """"load", "worksteal", "scope" (loadscope, loadfile, loadgroup),
        "each", or None: a scheduler xdist does not have (another
        plugin's), whose insides are not read."""
        import xdist.scheduler as s

        if isinstance(sched, s.LoadScopeScheduling):
            return "scope"
        if isinstance(sched, s.EachScheduling):
            return "each"
        if isinstance(sched, s.LoadScheduling):
            return "load"
        # public, from pytest-xdist 3.2 on
        if hasattr(s, "WorkStealingScheduling") and isinstance(sched, s.WorkStealingScheduling):
            return "worksteal"
        return None

    @staticmethod
    def collection(sched):
        """The test ids sched hands out, before the first go, or None for a
        scheduler whose insides are not known (node2collection,
        registered_collections)."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind is None:
            return None
        found = sched.registered_collections if kind == "scope" else sched.node2collection
        return list(next(iter(found.values()), []))

    @staticmethod
    def remove_uncollected(sched, node):
        """A worker lost before its collection came, removed: one fewer to
        wait for (numnodes), and the scheduling starts if the others' are
        all in (collection; each keeps collection_is_completed as a flag
        its add_node_collection sets).  worksteal's remove_node reschedules
        at once, and with nothing out yet lets every idle worker go: there
        the scheduling starts first, the lost worker still in it.  Returns
        what sched says the worker was running (a test it was sent), or
        None."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind is None:
            return sched.remove_node(node)  # another plugin's: as it is
        if sched.numnodes > 0:
            sched.numnodes -= 1
        if kind == "worksteal":
            if sched.collection is None and sched.collection_is_completed:
                sched.schedule()
            return sched.remove_node(node)
        sent = sched.remove_node(node)
        if kind == "each" and len(sched.node2collection) >= sched.numnodes:
            sched.collection_is_completed = True
        started = kind != "each" and sched.collection is not None
        if not started and sched.nodes and sched.collection_is_completed:
            sched.schedule()
        return sent

    @staticmethod
    def take_back(sched, test):
        """test is not to run again: out of the tests waiting (load,
        worksteal: collection, pending; scope: workqueue, its entry marked
        done).
        --dist each never takes one back."""
        kind = SchedulerSeam.scheduler_kind(sched)
        if kind in ("load", "worksteal") and sched.collection and test in sched.collection:
            index = sched.collection.index(test)
            while index in sched.pending:
                sched.pending.remove(index)
        elif kind == "scope":
            for unit in sched.workqueue.values():
                if test in unit:
                    unit[test] = True


class _NodeAlias:
    """A worker node seen by report consumers: attributes of the real one,
    but equal to (and hashed as) another."""

    def __init__(self, real, key):
        self._real = real
        self._key = key

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __eq__(self, other):
        return other == self._key

    def __hash__(self):
        return hash(self._key)
