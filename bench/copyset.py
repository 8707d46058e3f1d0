"""Benchmark: what leaving version control history out of the copy saves
on the first sync, side by side in one run, interleaved, medians.

The project is a git clone with its whole history (--repo, default: this
project's own repository; any public clone works, e.g. `git clone
https://github.com/python-attrs/attrs`), with a seeded virtualenv inside
it, under this machine's home (no node sees it).  Two real sshd nodes on
loopback.  For each case the nodes' homes are emptied and the helper
alone copies the project (no tests run): "default" leaves .git out (as
pytest-cloud does), "with .git" copies it (cloud_rsync_include = .git, as
a project whose develop egg takes its version from git gets).  Reports
the seconds of the helper's sync phase, the bytes rsync sent to each node
and what the dry run lists.  Needs root (sshd nodes), git and Debian's
virtualenv.

    /usr/bin/python3 bench/copyset.py [--runs 5] [--repo PATH]
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from cluster import Cluster  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")


def helper(proj, cluster, *args, include=None):
    env = dict(os.environ, VIRTUAL_ENV=os.path.join(proj, ".venv"))
    env.pop("PYTEST_CLOUD_RSYNC_INCLUDE", None)
    if include:
        env["PYTEST_CLOUD_RSYNC_INCLUDE"] = include
    proc = subprocess.run([HELPER, "--cloud-nodes=n1 n2", "--cloud-ssh-config=" + cluster.ssh_config,
                           "--cloud-rsync-bandwidth-limit=0", "--rootdir=" + proj, "--no-inifile"] + list(args),
                          cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("helper failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repo", default=ROOT, help="a git repository to clone as the project")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-copyset-", dir=os.path.expanduser("~"))
    proj = os.path.join(hidden, "proj")
    subprocess.run(["git", "clone", "-q", "--no-local", args.repo, proj], check=True)
    subprocess.run(["/usr/bin/python3", "-m", "virtualenv", "-q", "--system-site-packages",
                    os.path.join(proj, ".venv")], check=True)
    cluster = Cluster(os.path.join(base, "cluster"))
    cluster.add("n1")
    cluster.add("n2")
    cases = {"default (.git left out)": None, "with .git": ".git"}
    got = {name: [] for name in cases}
    with cluster:
        listing = helper(proj, cluster, "--dry-run")["copy"]
        for _ in range(args.runs):
            for name, extra in cases.items():
                cluster.clear_homes()
                plan = helper(proj, cluster, include=extra)
                sent = [n["sync"]["bytes_sent"] for n in plan["nodes"]]
                got[name].append((plan["seconds"]["sync"], statistics.mean(sent)))
    git = next(e for e in listing["left_out"] if e["name"] == ".git")
    print("Project: %s (%d commits); the dry run lists %d files, %.1f MB to copy, .git left out: %d files, "
          "%.1f MB\n" % (args.repo, int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=proj,
                                                       stdout=subprocess.PIPE, text=True).stdout),
                         listing["files"], listing["bytes"] / 1e6, git["files"], git["bytes"] / 1e6))
    print("| case | first sync s | vs default | bytes sent per node |")
    print("|---|---|---|---|")
    ref = statistics.median(s for s, _b in got["default (.git left out)"])
    for name in cases:
        secs = statistics.median(s for s, _b in got[name])
        print("| %s | %.2f | %.2fx | %d |" % (name, secs, secs / ref,
                                              statistics.median(b for _s, b in got[name])))
    print("\n(medians of %d runs, interleaved; %s)" % (args.runs, " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


if __name__ == "__main__":
    main()
