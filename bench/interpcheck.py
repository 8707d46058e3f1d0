"""Benchmark: what the checks on a node's copy of the virtualenv's
interpreter cost on a warm run (issue 32).

Two real sshd nodes on loopback; a project whose virtualenv is on pyenv's
Python 3.12 (under this machine's home, which no node sees), copied to
the same path on the nodes by a first run.  Then, side by side,
interleaved, medians of --runs:

  on the node, per call, in one shell (the probe's own functions, cut
  from `pytest-cloud --print-probe`, --calls calls each):
    pv     python -V: all that decided reuse before
    sp     owner and modes of the python's path and every folder above
           it (one find for the lot)
    mk     the copy's marker read and its files counted (one find)
    probe  the whole probe script (all of the probe, not only its
           interpreter part), also with --old's
  on this machine:
    print-probe   `pytest-cloud --print-probe`: reads the virtualenv and,
                  now, walks the interpreter's prefix for its manifest
  over ssh:
    probe         the whole probe command on a warm node (OpenSSH's
                  client, a connection each time)
    helper        a whole warm helper run (probe both nodes, copy
                  nothing, the steps after the copy)
The last three also with --old HELPER (a build without these checks, e.g.
of the commit before them), for the ratios.  Needs root (sshd nodes), a
pyenv Python 3.12 and ../shared/wheels.

    /usr/bin/python3 bench/interpcheck.py [--runs 7] [--calls 50]
        [--old /path/to/old/pytest-cloud]
"""

import argparse
import glob
import json
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
sys.path.insert(0, os.path.join(ROOT, "tests"))

from cluster import Cluster  # noqa: E402
import stacks  # noqa: E402

HELPER = os.path.join(ROOT, "build", "pytest-cloud")

# N calls of a function, timed by the node's own clock: microseconds each
LOOP = ('t0=$(date +%%s%%N); i=0; while [ $i -lt %d ]; do %s >/dev/null 2>&1; i=$((i + 1)); '
        'done; t1=$(date +%%s%%N); echo "%s $(( (t1 - t0) / %d / 1000 ))"')


def timed(argv, **kw):
    start = time.monotonic()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(argv), proc.stderr[-3000:]))
    return took, proc.stdout


def probe_script(helper, proj, env):
    """The probe's shell text (what runs on a node)."""
    out = subprocess.run([helper, "--print-probe"], cwd=proj, env=env, stdout=subprocess.PIPE,
                         text=True, check=True).stdout.strip()
    words = shlex.split(out)
    assert words[:3] == ["exec", "/bin/sh", "-c"], words[:3]
    return out, words[3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--old", help="another pytest-cloud build to compare with")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("the benchmark starts sshd nodes and needs root")
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python3.12")))
    if not found or stacks.wheels_dir() is None:
        sys.exit("needs a pyenv Python 3.12 (~/.pyenv/versions) and ../shared/wheels")
    base_python = found[-1]
    base = tempfile.mkdtemp(prefix="pytest-cloud-bench.")
    hidden = tempfile.mkdtemp(prefix="bench-interpcheck-", dir=os.path.expanduser("~"))
    proj = os.path.join(hidden, "proj")
    os.makedirs(os.path.join(proj, "tests"))
    with open(os.path.join(proj, "tests", "test_one.py"), "w") as f:
        f.write("def test_one():\n    pass\n")
    stacks.build("pytest9", os.path.join(proj, ".venv"), base=base_python)
    cluster = Cluster(os.path.join(base, "cluster"))
    cluster.add("n1")
    cluster.add("n2")
    with open(os.path.join(proj, "pytest.ini"), "w") as f:
        f.write("[pytest]\ntestpaths = tests\ncloud_nodes = n1 n2\ncloud_ssh_config = %s\n"
                "cloud_rsync_bandwidth_limit = 0\n" % cluster.ssh_config)
    env = dict(os.environ, VIRTUAL_ENV=os.path.join(proj, ".venv"))
    helpers = {"new": HELPER}
    if args.old:
        helpers["old"] = args.old
    ssh = ["ssh", "-F", cluster.ssh_config, "n1"]
    got = {}

    def add(key, value):
        got.setdefault(key, []).append(value)

    with cluster:
        cluster.clear_homes()
        _, out = timed([HELPER], cwd=proj, env=env)
        how = [n["interpreter"]["how"] for n in json.loads(out)["nodes"]]
        if how != ["copied", "copied"]:
            sys.exit("the first run did not copy the interpreter: %s" % how)
        commands = {name: probe_script(h, proj, env) for name, h in helpers.items()}
        script = commands["new"][1]
        start = script.index("cd || exit 1; x=")
        defs = script[start:script.index('if [ -n "$p" ] && [ -f "$p/$M" ]')]
        loops = "; ".join(LOOP % (args.calls, call, name, args.calls)
                          for name, call in (("pv", 'pv "$x"'), ("sp", 'sp "$x"'),
                                             ("mk", 'mk "$p"')))
        check = subprocess.run(ssh + ["exec /bin/sh -c " + shlex.quote(
            defs + 'mk "$p" && sp "$x" && pv "$x" && echo "warm $v"')],
                               stdout=subprocess.PIPE, text=True).stdout
        if "warm 3.12" not in check:
            sys.exit("the node's copy is not usable: %r" % check)
        for _ in range(args.runs):
            _, out = timed(ssh + ["exec /bin/sh -c " + shlex.quote(defs + loops)])
            for line in out.splitlines()[-3:]:
                name, us = line.split()
                add("node: %s, one call (us)" % name, int(us))
            for name, h in helpers.items():
                # the whole probe script, run --calls times in a row there
                _, out = timed(ssh + ["exec /bin/sh -c " + shlex.quote(
                    "s=%s; " % shlex.quote(commands[name][1])
                    + LOOP % (args.calls, 'sh -c "$s"', "probe", args.calls))])
                add("node: whole probe script, one run (us), %s" % name,
                    int(out.split()[-1]))
                took, _ = timed([h, "--print-probe"], cwd=proj, env=env)
                add("print-probe (s), %s" % name, took)
                took, _ = timed(ssh + [commands[name][0]])
                add("probe over ssh (s), %s" % name, took)
                took, out = timed([h], cwd=proj, env=env)
                assert all(n["status"] == "ok" for n in json.loads(out)["nodes"]), out
                add("warm helper run (s), %s" % name, took)
    print("| measure | median | runs |")
    print("|---|---|---|")
    for key, rows in got.items():
        value = statistics.median(rows)
        print("| %s | %s | %d |" % (key, "%.0f" % value if "(us)" in key else "%.4f" % value,
                                    len(rows)))
    if args.old:
        for what in ("node: whole probe script, one run (us)", "print-probe (s)",
                     "probe over ssh (s)", "warm helper run (s)"):
            new = statistics.median(got["%s, new" % what])
            old = statistics.median(got["%s, old" % what])
            scale = 0.001 if "(us)" in what else 1000
            print("%s: new/old %.3f (%+.1f ms)" % (what, new / old, (new - old) * scale))
    print("\n(%s; %d files in the copy; medians of %d runs, interleaved; %s)"
          % (base_python, int(defs.split("; n=")[1].split(";")[0]), args.runs,
             " ".join(shlex.quote(a) for a in sys.argv)))
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(hidden, ignore_errors=True)


if __name__ == "__main__":
    main()
