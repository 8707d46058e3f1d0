"""What a user meets on a pytest 9 project (issue 21): TOML values of the
wrong type, the places a report names, xdist's status line; what a
pipeline reads from a run (issue 28): the terminal's summaries, junit and
the exit status as a local -n run gives them."""

import os
import re

import pytest

from conftest import make_project

DETAILS = '''
import warnings

import pytest


def test_skip():
    pytest.skip("not today")


def test_warn():
    warnings.warn(UserWarning("careful"))


def test_fail():
    x = 1
    assert x == 2


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0
'''


def line_of(text):
    return next(i for i, line in enumerate(DETAILS.splitlines(), 1) if text in line)


def masked(out):
    """A run's terminal output with what differs between any two runs
    masked: worker ids, status and count, the worker's python, timings (and
    the closing line's padding, which follows them), the order of the
    progress characters, pytest-cloud's own lines."""
    lines = []
    for line in out.splitlines():
        if line.startswith("pytest-cloud: "):
            continue
        if re.fullmatch(r"(\S+ (I|C|ok|\[\d+\])( / |$))+", line):
            line = "<status>"
        elif re.fullmatch(r"\[\S+\] \S+ -- Python .*", line):
            line = "<worker python>"
        elif re.match(r"[.sFxEX]+ +\[100%\]$", line):
            line = "".join(sorted(line.split()[0])) + " [100%]"
        line = re.sub(r" in \d+\.\d+s", " in Ns", line)
        # the closing line's rule is padded to the terminal's width around
        # its text, whose time is longer from 10 s on (a loaded machine)
        line = re.sub(r"^=+ (.* in Ns(?: \(.*\))?) =+$", r"= \1 =", line)
        line = re.sub(r"\b(\d+/)?\d+ workers\b", "N workers", line)
        lines.append(line.rstrip("= "))
    return lines


@pytest.mark.stack
@pytest.mark.parametrize("tb", ["short", "long", "native", "line"])
def test_a_report_names_places_as_a_local_run_does(project, tb):
    with open(os.path.join(project.path, "tests", "test_details.py"), "w") as f:
        f.write(DETAILS)
    cloud = project.pytest("-rA", "--tb=" + tb, "tests/test_details.py")
    assert cloud.returncode == 1, cloud.stdout + cloud.stderr
    assert "on 2 of 2 nodes" in cloud.stderr  # it did run on the nodes
    local = project.pytest("-rA", "--tb=" + tb, "-n", "2", "tests/test_details.py")
    assert local.returncode == 1, local.stdout + local.stderr
    assert masked(cloud.stdout) == masked(local.stdout)
    # what the comparison is about: the node's folder is named nowhere
    chdir = "pytest_%s_proj" % project.cluster.user
    assert chdir not in cloud.stdout.replace("/%s/.venv/bin/python" % chdir, "")
    assert "SKIPPED [1] tests/test_details.py:%d: not today" % line_of("pytest.skip") in cloud.stdout
    assert "%s/tests/test_details.py:%d: UserWarning: careful" % (project.path, line_of("warnings.warn")) \
        in cloud.stdout


def test_a_report_from_a_folder_below_the_root(project):
    """pytest started in tests/: the places are relative to it, as here."""
    with open(os.path.join(project.path, "tests", "test_details.py"), "w") as f:
        f.write(DETAILS)
    here = os.path.join(project.path, "tests")
    cloud = project.pytest("-rA", "--tb=short", "test_details.py", cwd=here)
    local = project.pytest("-rA", "--tb=short", "-n", "2", "test_details.py", cwd=here)
    assert cloud.returncode == local.returncode == 1, cloud.stdout + cloud.stderr
    assert masked(cloud.stdout) == masked(local.stdout)
    assert "SKIPPED [1] test_details.py:%d: not today" % line_of("pytest.skip") in cloud.stdout


@pytest.mark.stack
def test_bringing_up_nodes_is_said_once(project):
    r = project.pytest("-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("bringing up nodes...") == 1, r.stdout


@pytest.mark.stack
def test_a_toml_value_of_the_wrong_type_is_one_line(project):
    if project.pytest_version()[0] < (9, 0):
        pytest.skip("native TOML ([tool.pytest]) is pytest 9's: this runs on the pytest 9 stacks")
    os.remove(os.path.join(project.path, "pytest.ini"))
    toml = os.path.join(project.path, "pyproject.toml")
    base = ('[tool.pytest]\ntestpaths = ["tests"]\ncloud_ssh_config = "%s"\n'
            % project.cluster.ssh_config)
    for bad, says in (('cloud_nodes = "node1 node2"',
                       'cloud_nodes: pytest 9 reads this file in TOML types, where this key takes a list '
                       'of strings, not a string: write cloud_nodes = ["node1", "node2"]'),
                      ('cloud_nodes = ["node1"]\ncloud_connect_timeout = "3"',
                       "cloud_connect_timeout: pytest 9 reads this file in TOML types, where this key "
                       "takes a whole number, not a string: write cloud_connect_timeout = 3")):
        with open(toml, "w") as f:
            f.write(base + bad + "\n")
        r = project.pytest()
        assert r.returncode == 4, r.stdout + r.stderr
        out = (r.stdout + r.stderr).strip().splitlines()
        assert out == ["ERROR: pytest-cloud: %s: %s" % (toml, says)], out
        for node in ("node1", "node2"):  # nothing was written to a node
            assert [n for n in os.listdir(project.cluster.nodes[node].home) if not n.startswith(".")] == []
        # the helper alone says the same, with the line
        h = project.helper("--dry-run")
        assert h.returncode == 2
        assert ("pytest-cloud: error: %s:" % toml) in h.stderr and says in h.stderr
    # every kind of key in its TOML type runs
    with open(toml, "w") as f:
        f.write(base + 'cloud_nodes = ["node1", "node2"]\ncloud_connect_timeout = 3\n'
                'cloud_chdir = "toml_chdir"\ncloud_fork = "no"\ncloud_rsync_ignore = ["build"]\n')
    r = project.pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "27 passed" in r.stdout
    assert os.path.isdir(project.cluster.nodes["node1"].path("toml_chdir"))


def version_lines(project):
    import subprocess

    return subprocess.run([project.env()["PYTEST_CLOUD_HELPER"], "--version"], stdout=subprocess.PIPE,
                          text=True, check=True).stdout.splitlines()


@pytest.mark.stack
def test_the_first_line_names_every_version(project, tmp_path):
    import json
    import subprocess

    report = str(tmp_path / "report.json")
    r = project.pytest("--cloud-report=" + report)
    assert r.returncode == 0, r.stdout + r.stderr
    got = subprocess.run([os.path.join(project.path, ".venv", "bin", "python"), "-c",
                          "import sys, pytest, xdist, execnet; print(pytest.__version__, xdist.__version__, "
                          "execnet.__version__, '%d.%d.%d' % sys.version_info[:3])"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    helper = version_lines(project)
    release = helper[0].split()[1]
    first = r.stderr.splitlines()[0]
    assert first == ("pytest-cloud: helper %s (%s), plugin %s, pytest %s, pytest-xdist %s, execnet %s, Python %s"
                     % ((release, os.path.realpath(project.env()["PYTEST_CLOUD_HELPER"]), release) + tuple(got)))
    with open(report) as f:
        versions = json.load(f)["versions"]
    assert versions == {"helper": release, "plugin": release, "pytest": got[0], "pytest-xdist": got[1],
                        "execnet": got[2], "Python": got[3]}
    assert re.fullmatch(r"libssh \d+\.\d+\.\d+.*", helper[1])


def test_a_plugin_of_a_newer_release_is_named_before_its_options(project):
    """A newer plugin may pass an option this helper does not know: the
    line says which releases differ, not which option."""
    r = project.helper("--dry-run", "--conftest-version=9.9.0", "--cloud-from-the-future=1")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "pytest-cloud: error: conftest.py is from pytest-cloud 9.9.0, this helper is %s: install the "
        "helper of that release" % version_lines(project)[0].split()[1])


def test_the_output_files_are_the_plans(project):
    """cloud_report from the ini file, cloud_timeline from the environment,
    both relative: the helper resolves them with every other setting (its
    plan carries them), and the conftest writes them relative to the
    folder pytest was started in."""
    import json

    with open(os.path.join(project.path, "pytest.ini"), "a") as f:
        f.write("cloud_report = out/report.json\n")
    here = os.path.join(project.path, "tests")
    os.makedirs(os.path.join(here, "out"))
    r = project.pytest("-q", "test_part1.py", cwd=here, env=project.env(PYTEST_CLOUD_TIMELINE="out/t.html"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(os.listdir(os.path.join(here, "out"))) == ["report.json", "t.html"]
    with open(os.path.join(here, "out", "report.json")) as f:
        plan = json.load(f)["plan"]
    assert (plan["report"], plan["timeline"]) == ("out/report.json", "out/t.html")
    assert "report written: %s" % os.path.join(here, "out", "report.json") in r.stdout
    assert "timeline written: %s" % os.path.join(here, "out", "t.html") in r.stdout
    # the command line comes before the environment and the ini file
    r = project.pytest("-q", "test_part1.py", "--cloud-report=cli.json", cwd=here,
                       env=project.env(PYTEST_CLOUD_REPORT="env.json"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.isfile(os.path.join(here, "cli.json")) and not os.path.exists(os.path.join(here, "env.json"))


# What a pipeline reads from a run (issue 28): the terminal's -rA,
# --durations and warnings summary, junit (xunit1, which has the most:
# file and line, captured output) and the exit status, against a local
# -n run of the same tests.
PIPELINE = '''
import time
import warnings

import pytest


def test_props(record_property, record_xml_attribute):
    print("out of props")
    record_property("answer", 42)
    record_xml_attribute("owner", "me")


def test_suite_property(record_testsuite_property):
    record_testsuite_property("build", "7")


def test_warn():
    warnings.warn(UserWarning("careful"))


@pytest.mark.parametrize("s", [0.1, 0.2])
def test_slow(s):
    time.sleep(s)


def test_fail():
    print("out of fail")
    assert 0


def test_skip():
    pytest.skip("no")
'''


@pytest.fixture
def pipeline(tmp_path, nodes, venv_template):
    """A project of PIPELINE's tests and a test module that does not
    import, on node1 and node2."""
    project = make_project(str(tmp_path / "proj"), nodes, venv_template, example=False)
    project.use_nodes("node1 node2")
    with open(os.path.join(project.path, "tests", "test_pipeline.py"), "w") as f:
        f.write(PIPELINE)
    with open(os.path.join(project.path, "tests", "test_broken.py"), "w") as f:
        f.write("import nosuchmodule\n")
    return project


# Where xdist puts a section's entries in the order the tests finish,
# which differs between any two -n runs, the entries are sorted: how a
# section's entries begin (a blank line ends the one before; a header
# line; each line; each line, kept with its kind, PASSED, FAILED, ...).
FINISH_ORDER = {"warnings summary": "blank", "PASSES": "header", "slowest durations": "line",
                "short test summary info": "kind"}


def as_read(out):
    """masked(out), each section of FINISH_ORDER's entries sorted, and the
    durations' times masked (timings)."""
    result, prefix, entries, how = [], [], [], None

    def flush():
        if how == "kind":
            kinds = list(dict.fromkeys(e[0].split()[0] for e in entries))
            entries.sort(key=lambda e: (kinds.index(e[0].split()[0]), e))
        else:
            entries.sort()
        result.extend(prefix + [line for e in entries for line in e])
        del prefix[:], entries[:]

    last = ""
    for line in masked(out):
        header = re.match(r"=+ (.+)$", line)
        if header or re.match(r"-- Docs: |-+ generated xml file: ", line):
            flush()
            how = FINISH_ORDER.get(header.group(1)) if header else None
            result.append(line)
            last = ""
            continue
        if how == "line":
            line = re.sub(r"^\d+\.\d+s ", "Ns ", line)
        starts = {"blank": line and not last, "header": re.match(r"_+ .+ _+$", line),
                  "line": True, "kind": True}.get(how)
        if starts:
            entries.append([line])
        elif entries:
            entries[-1].append(line)
        else:
            (prefix if how else result).append(line)
        last = line
    flush()
    return result


def junit_as_read(path):
    """A junit file's suites: their attributes but the times and the
    timestamp, their properties, and their testcases (each without its
    time) in the order of their names (xdist's is the order they
    finished)."""
    import xml.etree.ElementTree as ET

    found = []
    for suite in ET.parse(path).getroot().iter("testsuite"):
        attrs = {k: v for k, v in suite.attrib.items() if k not in ("time", "timestamp")}
        cases = []
        for case in suite.findall("testcase"):
            case.attrib.pop("time")
            cases.append(ET.tostring(case, encoding="unicode"))
        others = [ET.tostring(x, encoding="unicode") for x in suite if x.tag != "testcase"]
        found.append((attrs, others, sorted(cases)))
    return found


@pytest.mark.conftest_only
@pytest.mark.stack
def test_what_a_pipeline_reads_is_a_local_runs(pipeline):
    """-rA, every duration, the warnings summary, a collection error and
    junit (record_property) as a local -n run gives them, but for what
    must differ, which masked and as_read say."""
    project = pipeline
    args = ("-rA", "--durations=0", "--durations-min=0", "--junitxml=junit.xml", "-o", "junit_family=xunit1",
            "-o", "junit_logging=all")
    cloud = project.pytest(*args)
    assert "on 2 of 2 nodes" in cloud.stderr  # it did run on the nodes
    cloud_junit = junit_as_read(os.path.join(project.path, "junit.xml"))
    local = project.pytest("-n", "3", *args)
    assert cloud.returncode == local.returncode == 1, cloud.stdout + cloud.stderr + local.stdout
    assert as_read(cloud.stdout) == as_read(local.stdout)
    assert cloud_junit == junit_as_read(os.path.join(project.path, "junit.xml"))
    # what the comparison is about: a warning pytest gives a test's place
    # (record_xml_attribute's) names it as pytest does, relative to the
    # rootdir; a collection error is one error, and the run goes on
    assert "  tests/test_pipeline.py:%d: PytestExperimentalApiWarning: record_xml_attribute" % (
        PIPELINE.splitlines().index("def test_props(record_property, record_xml_attribute):") + 1) \
        in cloud.stdout, cloud.stdout
    assert "1 failed, 5 passed, 1 skipped, 2 warnings, 1 error in" in cloud.stdout
    assert re.search(r"^\d+\.\d+s call +tests/test_pipeline.py::test_slow\[0.2\]$", cloud.stdout, re.M)
    (attrs, others, cases), = cloud_junit
    assert attrs["tests"] == "8" and '<property name="answer" value="42" />' in "".join(cases)
    assert 'file="tests/test_pipeline.py"' in "".join(cases)
    # what xdist does not allow, locally too: record_xml_attribute and
    # record_testsuite_property are no-ops in a worker (its junit plugin
    # writes no file)
    assert others == [] and 'owner="me"' not in "".join(cases)


@pytest.mark.conftest_only
@pytest.mark.parametrize("args,status", [
    (("tests/test_pipeline.py", "-k", "not fail"), 0),
    # under xdist a collection error is an error and the run goes on (a
    # run without -n stops: 2, interrupted)
    (("tests/test_broken.py", "tests/test_pipeline.py::test_warn"), 1),
    # xdist's -x raises its Interrupted once the workers stopped
    (("-x", "tests/test_pipeline.py::test_fail"), 2),
    (("tests/test_pipeline.py", "-k", "nothing"), 5),
], ids=["passed", "collection-error", "stopped", "none-ran"])
def test_the_exit_status_and_its_lines_are_a_local_runs(pipeline, args, status):
    """Each exit status but pytest's own (3: internal error, 4: usage, the
    same code here) and Ctrl-C's 2 (test_fleet.py), with the lines that
    say why, as a local -n run."""
    cloud = pipeline.pytest("-rA", *args)
    assert "on 2 of 2 nodes" in cloud.stderr
    local = pipeline.pytest("-rA", "-n", "3", *args)
    assert cloud.returncode == local.returncode == status, cloud.stdout + cloud.stderr + local.stdout
    assert as_read(cloud.stdout) == as_read(local.stdout)
