"""make demo: a real distributed pytest run on local SSH nodes.

Starts three sshd nodes on loopback (one pinned to a single CPU) and one
address that refuses connections, copies example/ and a virtualenv into a
temporary folder, runs `pytest-cloud init --nodes ...` there (the plugin
and cloud_nodes go in), shows the helper's plan (a dry run), runs plain
`pytest` (writing the run's timeline to build/demo-timeline.html), shows
where the tests ran, and stops the nodes.
"""

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")
TIMELINE = os.path.join(ROOT, "build", "demo-timeline.html")


def banner(text):
    print("\n==== %s ====" % text, flush=True)


def main():
    if os.geteuid() != 0:
        sys.exit("make demo starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-demo.")
    cluster = Cluster(base)
    cluster.add("node1", cpus="0")
    cluster.add("node2")
    cluster.add("node3")
    cluster.add("offline", kind="refused")
    proj_base = None
    try:
        with cluster:
            # the project where the nodes cannot see it (each node's own
            # home is mounted over this one), as on a real fleet: /tmp,
            # where the cluster lives, every node sees, and a project
            # there would run in place (cloud_in_place), not be copied
            hidden = os.path.join(os.path.expanduser("~"), ".cache")
            os.makedirs(hidden, exist_ok=True)
            proj_base = tempfile.mkdtemp(prefix="pytest-cloud-demo.", dir=hidden)
            proj = os.path.join(proj_base, "example")
            shutil.copytree(os.path.join(ROOT, "example"), proj)
            subprocess.run(
                ["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                 "--no-seed", os.path.join(proj, ".venv")],
                check=True,
            )
            with open(os.path.join(proj, "pytest.ini"), "a") as f:
                # the local test nodes' addresses, keys and a short timeout
                f.write("cloud_ssh_config = %s\n" % cluster.ssh_config)
                f.write("cloud_connect_timeout = 3\n")
            banner('pytest-cloud init --nodes "node1 node2 node3 offline"')
            init = subprocess.run([HELPER, "init", "--nodes", "node1 node2 node3 offline"], cwd=proj)
            if init.returncode != 0:
                return init.returncode
            env = dict(os.environ, PYTEST_CLOUD_HELPER=HELPER,
                       VIRTUAL_ENV=os.path.join(proj, ".venv"))
            banner("the project's pytest.ini")
            print(open(os.path.join(proj, "pytest.ini")).read(), end="")
            banner("the plan: pytest-cloud --dry-run (run by hand in the project)")
            plan = subprocess.run([HELPER, "--dry-run"], cwd=proj, env=env,
                                  stdout=subprocess.PIPE, text=True)
            print("\n".join(json.loads(plan.stdout)["tx"]))
            banner("plain `pytest` in the project")
            env.pop("VIRTUAL_ENV")
            run = subprocess.run([os.path.join(proj, ".venv", "bin", "python"), "-m",
                                  "pytest", "-p", "no:cacheprovider", "--cloud-timeline=" + TIMELINE],
                                 cwd=proj, env=env)
            banner("where the tests ran (records left in each node's home)")
            for name in ("node1", "node2", "node3"):
                node = cluster.nodes[name]
                workers = collections.Counter()
                for chdir in os.listdir(node.home):
                    ran = os.path.join(node.home, chdir, "ran")
                    for rec in os.listdir(ran) if os.path.isdir(ran) else []:
                        with open(os.path.join(ran, rec)) as f:
                            workers[json.load(f)["worker"]] += 1
                print("%s (%s): %s" % (name, node.addr, ", ".join(
                    "%s ran %d tests" % kv for kv in sorted(workers.items())) or "nothing"))
            local = os.path.isdir(os.path.join(proj, "ran"))
            print("on this machine outside the nodes: %s" % ("some tests!" if local else "no tests"))
            banner("the run's timeline")
            print("open %s in a browser (one self-contained file)" % TIMELINE)
            return run.returncode
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
        if proj_base is not None:
            shutil.rmtree(proj_base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
