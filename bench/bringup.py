"""Benchmark: a whole `pytest` run of short tests on real sshd nodes.

8 nodes x 2 workers run example/ (27 tests of 0.1 s) through the drop-in
conftest, side by side, interleaved, medians of several runs:
  parallel  the conftest brings every worker's gateway up at once (default)
  serial    PYTEST_CLOUD_BRINGUP=serial: xdist's own one-after-another
  local     `pytest -n 2` on this machine, no nodes (the reference)
Needs root (sshd nodes) and Debian's pytest, xdist and virtualenv.

    /usr/bin/python3 bench/bringup.py [--nodes 8] [--runs 3]
"""

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")


def timed(argv, cwd, env):
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    if proc.returncode != 0 or "27 passed" not in proc.stdout:
        sys.exit("run failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    proj = os.path.join(base, "example")
    shutil.copytree(os.path.join(ROOT, "example"), proj)
    shutil.copy(os.path.join(ROOT, "conftest_template", "conftest.py"), proj)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                    "--no-seed", os.path.join(proj, ".venv")], check=True)
    cluster = Cluster(os.path.join(base, "cluster"))
    for i in range(args.nodes):
        cluster.add("n%02d" % i)
    python = os.path.join(proj, ".venv", "bin", "python")
    times = {"parallel": [], "serial": [], "local": []}
    with cluster:
        with open(os.path.join(proj, "pytest.ini"), "a") as f:
            f.write("cloud_nodes = %s\ncloud_ssh_config = %s\ncloud_max_processes = 2\n"
                    % (" ".join(sorted(cluster.nodes)), cluster.ssh_config))
        env = dict(os.environ, PYTEST_CLOUD_HELPER=HELPER)
        argv = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        timed(argv, proj, env)  # first sync out of the way
        for _ in range(args.runs):
            times["parallel"].append(timed(argv, proj, dict(env, PYTEST_CLOUD_BRINGUP="parallel")))
            times["serial"].append(timed(argv, proj, dict(env, PYTEST_CLOUD_BRINGUP="serial")))
            times["local"].append(timed(argv + ["--no-cloud", "-n", "2"], proj, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    print("| %d nodes x 2 workers, 27 tests of 0.1 s | seconds | vs local -n 2 |" % args.nodes)
    print("|---|---|---|")
    for k in ("parallel", "serial", "local"):
        print("| %s | %.2f | %.2fx |" % (k, med[k], med[k] / med["local"]))
    print("\n(medians of %d runs; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
