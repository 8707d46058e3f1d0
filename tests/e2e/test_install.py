"""make install, and how the conftest finds the helper: PYTEST_CLOUD_HELPER,
then the ini key cloud_helper, then pytest-cloud on PATH."""

import os
import re
import shutil
import stat
import subprocess

from conftest import HELPER, ROOT, TEMPLATE


def test_install_layout(tmp_path):
    dest = str(tmp_path / "dest")
    subprocess.run(["make", "-s", "install", "PREFIX=/opt/pc", "DESTDIR=" + dest],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(dest, "opt", "pc", "bin", "pytest-cloud")
    assert stat.S_IMODE(os.stat(binary).st_mode) == 0o755
    with open(os.path.join(dest, "opt", "pc", "share", "pytest-cloud", "conftest.py")) as f, \
            open(TEMPLATE) as g:
        assert f.read() == g.read()
    out = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, text=True, check=True)
    assert out.stdout.startswith("pytest-cloud ")
    for built, installed in (("pytest-cloud.1", "share/man/man1/pytest-cloud.1"),
                             ("pytest-cloud.bash", "share/bash-completion/completions/pytest-cloud")):
        with open(os.path.join(ROOT, "build", built)) as f, open(os.path.join(dest, "opt", "pc", installed)) as g:
            assert f.read() == g.read()


MAN = os.path.join(ROOT, "build", "pytest-cloud.1")
COMPLETION = os.path.join(ROOT, "build", "pytest-cloud.bash")


def test_the_man_page_says_what_help_says():
    help_text = subprocess.run([HELPER, "--help"], stdout=subprocess.PIPE, text=True, check=True).stdout
    flags = re.findall(r"^  (--\S+)", help_text, re.M)
    assert "--cloud-schedule" in flags and "--dry-run" in flags
    lint = subprocess.run(["groff", "-man", "-ww", "-z", MAN], stderr=subprocess.PIPE, text=True)
    assert lint.returncode == 0 and lint.stderr == "", lint.stderr
    page = subprocess.run(["man", "-l", MAN], env=dict(os.environ, MANWIDTH="200"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True).stdout
    for flag in flags:
        assert re.search(r"^ +%s(=\S+)?( |$)" % re.escape(flag), page, re.M), flag
    for section in ("SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "FILES"):
        assert re.search(r"^%s$" % section, page, re.M), section
    assert re.search(r"^ +2 +bad input", page, re.M)
    assert "One of: durations collection." in page
    assert re.search(r"^ +PYTEST_CLOUD_SCHEDULE$", page, re.M)


def complete(*words):
    """What the completion offers for the command line words, the last one
    being completed."""
    script = ('source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _pytest_cloud 2>/dev/null; '
              'printf "%%s\\n" "${COMPREPLY[@]}"' % (
                  COMPLETION, " ".join("'%s'" % w for w in words), len(words) - 1))
    out = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, text=True, check=True).stdout
    return [w for w in out.split("\n") if w]


def test_bash_completion(tmp_path):
    assert complete("pytest-cloud", "--cloud-sch") == ["--cloud-schedule="]
    assert complete("pytest-cloud", "--cloud-schedule", "=", "") == ["durations", "collection"]
    assert complete("pytest-cloud", "--cloud-schedule", "=", "c") == ["collection"]
    assert complete("pytest-cloud", "--cloud-schedule", "d") == ["durations"]
    assert complete("pytest-cloud", "--dry") == ["--dry-run"]
    assert complete("pytest-cloud", "in") == ["init"]
    assert complete("pytest-cloud", "init", "--d") == ["--dry-run"]
    cfg = tmp_path / "my_ssh_config"
    cfg.write_text("")
    assert complete("pytest-cloud", "--cloud-ssh-config", "=", str(tmp_path / "my_")) == [str(cfg)]
    assert complete("pytest-cloud", "init", "--ini", str(tmp_path / "my_")) == [str(cfg)]
    # every flag of the table is offered
    help_text = subprocess.run([HELPER, "--help"], stdout=subprocess.PIPE, text=True, check=True).stdout
    offered = {w.rstrip("=") for w in complete("pytest-cloud", "--")}
    assert offered == set(re.findall(r"^  (--\S+)", help_text, re.M))


def test_conftest_finds_the_helper(project, tmp_path):
    project.use_nodes("node2")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(HELPER, str(bindir / "pytest-cloud"))
    env = project.env(PATH="%s:%s" % (bindir, os.environ["PATH"]))
    del env["PYTEST_CLOUD_HELPER"]
    # on PATH
    r = project.pytest("-q", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 test processes on 1 of 1 nodes" in r.stderr
    # the ini key, relative to the ini file, before PATH
    with open(os.path.join(project.path, "pytest.ini"), "a") as f:
        f.write("cloud_helper = no/such/helper\n")
    r = project.pytest("-q", env=env)
    assert r.returncode == 4
    assert os.path.join(project.path, "no/such/helper") in r.stderr
    # the environment before the ini key
    env["PYTEST_CLOUD_HELPER"] = HELPER
    r = project.pytest("-q", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env["PYTEST_CLOUD_HELPER"] = "/no/such/env/helper"
    r = project.pytest("-q", env=env)
    assert r.returncode == 4
    assert "/no/such/env/helper" in r.stderr
