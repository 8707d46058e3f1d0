"""pytest-cloud: run this project's tests on SSH nodes with pytest-xdist.

``pytest-cloud init`` puts this file into the project root: as
``conftest.py`` when the project has none, else as the plugin module
``pytest_cloud_plugin.py``, loaded from the project's own conftest.py by
``pytest_plugins = ["pytest_cloud_plugin"]``.  It updates the file when
the helper is newer; edits made here are lost then.  (Copying it by hand
as ``conftest.py`` works too.)  List the nodes in the ini file and run
``pytest``:

    [pytest]
    cloud_nodes = user@node1 user@node2

On the controller this file runs the ``pytest-cloud`` helper, which probes
the nodes over SSH, plans the test processes and copies the project (with
its virtualenv) to every usable node.  The helper's plan gives each node
one execnet proxy gateway (one SSH connection, with keepalives) and each
test process a pytest-xdist worker that the proxy starts on the node
(``popen//via=``).  This file brings the gateways up in parallel, hands
the workers to xdist (``--dist load`` unless the user chose a mode), and
looks after the run: a node that dies or stops answering is left out, its
pending tests go to the other nodes, and the test it was running is run
again once elsewhere.

The helper is found from, in order: the PYTEST_CLOUD_HELPER environment
variable, the ``cloud_helper`` ini key, ``pytest-cloud`` on PATH.  Options
on pytest's command line must be written ``--cloud-x=value``: pytest only
knows them once it has loaded this file.
"""

# The pytest-cloud release this file came with.  The helper refuses a file
# of another contract (major.minor) and warns about another patch level;
# pytest-cloud init writes and updates it.
PYTEST_CLOUD_VERSION = "0.3.0"
