"""Bad input: one clear line, exit status 2, nothing written to a node."""

import os

import pytest

CASES = [
    (["--cloud-nodes=node1 host;rm"], {}, "--cloud-nodes: node 'host;rm': character ';' is not valid in a host name"),
    (["--cloud-mem-per-process=lots"], {}, "--cloud-mem-per-process: 'lots' is not a whole number"),
    (["--cloud-max-processes=0"], {}, "--cloud-max-processes: '0' must be at least 1"),
    ([], {"PYTEST_CLOUD_MAX_PROCESSES": "-1"}, "PYTEST_CLOUD_MAX_PROCESSES: '-1' is negative"),
    (["--cloud-connect-timeout=99999999999999999999"], {}, "--cloud-connect-timeout: '99999999999999999999' is too large"),
    (["--cloud-max-procs=2"], {}, "unknown option '--cloud-max-procs' (did you mean '--cloud-max-processes'?)"),
    (["--cloud-chdir=."], {}, "--cloud-chdir: '.' is the remote home itself"),
    (["--cloud-chdir=../up"], {}, "--cloud-chdir: '../up' contains '..'"),
    (["--cloud-chdir=/tmp/abs"], {}, "--cloud-chdir: '/tmp/abs' is absolute"),
    ([], {"PYTEST_CLOUD_CHDIR": "a/../.."}, "PYTEST_CLOUD_CHDIR: 'a/../..' contains '..'"),
    (["--cloud-chdir=:module/x"], {}, "--cloud-chdir: ':module/x' starts with ':' (rsync would take it for a daemon module)"),
    (["--cloud-virtualenv-path=../elsewhere"], {}, "is not inside the project root"),
    (["--cloud-ssh-config=/nonexistent/ssh_config"], {}, "cloud_ssh_config: '/nonexistent/ssh_config': No such file"),
    (["--cloud-nodes=  "], {}, "no nodes"),
    ([], {"PYTEST_CLOUD_MAX_CONNECTIONS": "0"}, "PYTEST_CLOUD_MAX_CONNECTIONS: '0' must be at least 1"),
    (["--cloud-rsync-bandwidth-limit=-5"], {}, "--cloud-rsync-bandwidth-limit: '-5' is negative"),
    (["--cloud-rsync-cipher=aes128-ctr -oProxyCommand=touch /tmp/pwned"], {},
     "--cloud-rsync-cipher: 'aes128-ctr -oProxyCommand=touch /tmp/pwned' is not a cipher name"),
    ([], {"PYTEST_CLOUD_PYTHON": "python3;id"}, "PYTEST_CLOUD_PYTHON: 'python3;id' has characters"),
    # execnet reads "work//popen" in a spec as a field of its own
    (["--cloud-python=bin//popen"], {}, "--cloud-python: 'bin//popen' has '//' or ends with '/'"),
    (["--cloud-python=venv/bin/"], {}, "--cloud-python: 'venv/bin/' has '//' or ends with '/'"),
    ([], {"PYTEST_CLOUD_SCHEDULE": "fastest"}, "PYTEST_CLOUD_SCHEDULE: 'fastest' is neither 'durations' nor 'collection'"),
    ([], {"PYTEST_CLOUD_SSH_CONFIG": "/tmp/ssh\nconfig"},
     "PYTEST_CLOUD_SSH_CONFIG: the path has a control character (byte 0x0a)"),
]


@pytest.mark.parametrize("args,env,message", CASES)
def test_bad_input_is_refused(project, args, env, message):
    r = project.helper(*args, env=project.env(**env))
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("pytest-cloud: error: ")
    assert message in lines[0]
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []


def test_bad_ini_value_names_file_and_line(project):
    with open(os.path.join(project.path, "pytest.ini"), "a") as f:
        f.write("cloud_max_processes = many\n")
    r = project.helper()
    assert r.returncode == 2
    assert "pytest.ini:6: cloud_max_processes: 'many' is not a whole number" in r.stderr
    # through pytest, the session stops with the helper's message
    r = project.pytest()
    assert r.returncode == 4
    assert "cloud_max_processes: 'many' is not a whole number" in r.stderr
    for node in project.cluster.nodes.values():
        assert os.listdir(node.home) == []
