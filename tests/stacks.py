"""The pytest stacks the end-to-end tests run the conftest with.

Debian 12's own (pytest 7.2, pytest-xdist 3.1, execnet 1.9) is the one
`make test` runs everything with.  The newer stacks are virtualenvs built
offline from the wheels in ../shared/wheels (see its README), each used as
the project's virtualenv and, synced, on the nodes:

    pytest8   pytest 8.4.2, pytest-xdist 3.8.0, execnet 2.1.2
    pytest9   pytest 9.1.1, pytest-xdist 3.8.0, execnet 2.1.2
    xdistnext pytest 9.1.1, pytest-xdist 3.9.0.dev0 (xdist's main branch,
              not a release: a break there shows here before users meet
              it), execnet 2.1.2
    cov7      pytest 8.4.2, pytest-xdist 3.8.0, pytest-cov 7.0.0,
              coverage 7.11.3 (a CPython 3.11 x86-64 wheel), execnet 2.1.2:
              the coverage tests only (the rest is pytest8's)

    /usr/bin/python3 tests/stacks.py build NAME DEST   one virtualenv
    /usr/bin/python3 tests/stacks.py run [NAME...]     the conftest's pure
                                                       logic (tests/pyunit)
                                                       and the e2e tests
                                                       marked 'stack'
                                                       against each

Without the wheels (a user's clone) `run` prints one line saying it is
skipped and why, and succeeds; where CI=true (CI has ../shared beside its
clone) it fails instead.  The stacks run side by side, each on its share
of PYTEST_CLOUD_TEST_NETS when that is set.
"""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"

COMMON = ["pluggy-1.6.0", "iniconfig-2.1.0", "packaging-25.0", "pygments-2.19.2", "execnet-2.1.2"]
STACKS = {
    "pytest8": ["pytest-8.4.2", "pytest_xdist-3.8.0"] + COMMON,
    "pytest9": ["pytest-9.1.1", "pytest_xdist-3.8.0"] + COMMON,
    "xdistnext": ["pytest-9.1.1", "pytest_xdist-3.9.0.dev0"] + COMMON,
    "cov7": ["pytest-8.4.2", "pytest_xdist-3.8.0", "pytest_cov-7.0.0", "coverage-7.11.3"] + COMMON,
}

# the e2e files a stack runs (its tests marked 'stack'): pytest9, the
# newest releases, runs all; each other stack the files where what sets it
# apart from pytest9 shows, so that make test fits CI's time:
#   pytest8    pytest 8.4 with pytest9's xdist: all but test_fleet (a lost
#              node is xdist's to handle, and its xdist is pytest9's)
#   xdistnext  pytest9's pytest with xdist's main branch: the bring-up, the
#              workers, scheduling, lost nodes, xdist's options (run,
#              fork, details, schedule, fleet, versions)
#   cov7       pytest8's pytest and xdist with pytest-cov 7: the coverage
#              tests
E2E = {
    "pytest8": ["tests/e2e", "--ignore=tests/e2e/test_fleet.py"],
    "xdistnext": ["tests/e2e/test_%s.py" % f for f in ("run", "fork", "details", "schedule", "fleet",
                                                       "versions")],
    "cov7": ["tests/e2e/test_cover.py"],
}


def wheel_file(name):
    """The wheel of name (NAME-VERSION) in the wheels folder: the pure one,
    else coverage's CPython 3.11 x86-64 one, or None."""
    for tail in ("-py3-none-any.whl", "-cp311-cp311-linux_x86_64.whl"):
        path = os.path.join(wheels_dir(), name + tail)
        if os.path.isfile(path):
            return path
    return None


def wheels_dir():
    """The wheels folder (PYTEST_CLOUD_WHEELS, else ../shared/wheels beside
    the project), or None when it is not there."""
    path = os.environ.get("PYTEST_CLOUD_WHEELS") or os.path.join(ROOT, "..", "shared", "wheels")
    return os.path.abspath(path) if os.path.isdir(path) else None


def missing_wheels(name):
    found = wheels_dir()
    if found is None:
        return STACKS[name]
    return [w for w in STACKS[name] if wheel_file(w) is None]


def build(name, dest, base=None):
    """Makes the virtualenv of stack name at dest (once: a marker file
    holds its wheel list), on Debian's python with virtualenv, or on the
    interpreter base with its own venv module; returns its python."""
    python = os.path.join(dest, "bin", "python")
    marker = os.path.join(dest, "pytest-cloud-stack")
    wanted = "\n".join(STACKS[name] + ([base] if base else [])) + "\n"
    if os.path.isfile(marker) and open(marker).read() == wanted:
        return python
    if missing_wheels(name):
        raise RuntimeError("wheels missing for %s: %s" % (name, " ".join(missing_wheels(name))))
    shutil.rmtree(dest, ignore_errors=True)
    if base:
        subprocess.run([base, "-m", "venv", dest], check=True)
    else:
        subprocess.run([PYTHON, "-m", "virtualenv", "-q", dest], check=True)
    wheels = [wheel_file(w) for w in STACKS[name]]
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                    "--disable-pip-version-check"] + wheels, check=True)
    subprocess.run([python, "-m", "pip", "check", "--disable-pip-version-check"], check=True,
                   stdout=subprocess.DEVNULL)
    with open(marker, "w") as f:
        f.write(wanted)
    return python


def nets(k, count):
    """Stack k's address range (of count side by side): its share of
    PYTEST_CLOUD_TEST_NETS when that is set (runs of several engineers or
    jobs on one machine each have their own), else 30 of 10-99."""
    given = os.environ.get("PYTEST_CLOUD_TEST_NETS")
    if not given:
        return "%d-%d" % (10 + 30 * k, 39 + 30 * k)
    lo, hi = (int(x) for x in given.split("-"))
    size = (hi - lo + 1) // count
    if size < 1:
        raise SystemExit("PYTEST_CLOUD_TEST_NETS=%s: fewer nets than the %d stacks" % (given, count))
    return "%d-%d" % (lo + size * k, lo + size * (k + 1) - 1)


def run(names):
    names = names or sorted(STACKS)
    # CI has ../shared beside its clone: there a missing wheel fails
    ci = os.environ.get("CI") == "true"
    if wheels_dir() is None:
        print("e2e on newer pytest stacks: %s, no wheels at %s (see tests/stacks.py)"
              % ("failed (CI=true)" if ci else "skipped", os.path.abspath(os.path.join(ROOT, "..", "shared", "wheels"))))
        return 1 if ci else 0
    runs = []
    for k, name in enumerate(names):
        lacking = missing_wheels(name)
        if lacking:
            print("e2e on %s: %s, wheels missing: %s" % (name, "failed (CI=true)" if ci else "skipped",
                                                        " ".join(lacking)))
            if ci:
                return 1
            continue
        python = build(name, os.path.join(ROOT, "build", "stacks", name))
        # the pure logic with this stack's xdist (its schedulers, the seam)
        pyunit = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/pyunit"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=dict(os.environ, PYTEST_CLOUD_TEST_STACK=name))
        print("pyunit on %s: %s" % (name, (pyunit.stdout.strip().splitlines() or ["no output"])[-1]))
        if pyunit.returncode != 0:
            print(pyunit.stdout)
            return pyunit.returncode
        # side by side, each on addresses of its own, its output kept apart
        env = dict(os.environ, PYTEST_CLOUD_TEST_STACK=name, PYTEST_CLOUD_TEST_NETS=nets(k, len(names)))
        log = open(os.path.join(ROOT, "build", "stacks", name + ".log"), "w")
        runs.append((name, log, subprocess.Popen(
            [PYTHON, "-m", "pytest", "-q", "-ra", "--durations=10", "-m", "stack",
             "--junitxml=" + os.path.join(ROOT, "build", "stacks", name + ".xml")] + E2E.get(name, ["tests/e2e"]),
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)))
    status = 0
    for name, log, proc in runs:
        rc = proc.wait()
        log.close()
        with open(log.name) as f:
            text = f.read()
        print("e2e on %s (%s): %s" % (name, ", ".join(STACKS[name][:2] + STACKS[name][-1:]),
                                     (text.strip().splitlines() or ["no output"])[-1]))
        if rc != 0:
            print(text)
        status = status or rc
    return status


def main(argv):
    if len(argv) >= 1 and argv[0] == "build" and len(argv) == 3:
        print(build(argv[1], argv[2]))
        return 0
    if len(argv) >= 1 and argv[0] == "run":
        return run(argv[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
