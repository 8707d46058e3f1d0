"""The conftest's options agree with the helper's option table (written
out by build/gendoc table): the same --cloud-* options, the same ini-only
keys, lists where the helper takes lists, numbers where it takes numbers,
the same help texts; a value of the wrong TOML type reads the same from
both."""

import os
import subprocess

import pytest

from cloudplugin import load

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
cloud = load()


def helper_table():
    out = subprocess.run([os.path.join(ROOT, "build", "gendoc"), "table"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        flag, ini, env, kind, choices, meaning = line.split("\t")
        rows.append(dict(flag=flag, ini=ini, env=env, kind=kind, choices=choices, meaning=meaning))
    return rows


def test_the_same_cloud_options_with_the_same_help():
    table = {r["flag"][len("--cloud-"):]: r for r in helper_table() if r["flag"].startswith("--cloud-")}
    ours = {name: (help_text, several) for name, help_text, several in cloud._OPTIONS}
    assert sorted(ours) == sorted(table)
    for name, (help_text, several) in ours.items():
        assert help_text == table[name]["meaning"], name
        assert several == (table[name]["kind"] == "nodes"), name
        if table[name]["ini"] != "-":
            assert table[name]["ini"] == cloud._dest(name)
            assert table[name]["env"] == "PYTEST_CLOUD_" + name.upper().replace("-", "_")


def test_the_same_ini_only_keys():
    table = {r["ini"]: r for r in helper_table()
             if r["flag"] == "-" and r["ini"].startswith("cloud_")}
    ours = {key: (help_text, kind) for key, help_text, kind in cloud._INI_ONLY}
    assert sorted(ours) == sorted(table)
    for key, (help_text, kind) in ours.items():
        assert help_text == table[key]["meaning"], key
        # lists are "args": read from ini text and from TOML arrays alike
        assert (kind == "args") == (table[key]["kind"] == "paths"), key


def test_numbers_are_the_helpers_numbers():
    table = {r["flag"][len("--cloud-"):]: r["kind"] for r in helper_table() if r["flag"].startswith("--cloud-")}
    assert cloud._NUMBERS == {name for name, kind in table.items() if kind in ("positive", "unsigned")}


# (key, TOML value): the helper and the conftest say the same of each
WRONG_TYPES = [
    ("cloud_nodes", '"node1 node2"'),
    ("cloud_nodes", '["n1", 2]'),
    ("cloud_develop_eggs", '"pkg"'),
    ("cloud_connect_timeout", '"5"'),
    ("cloud_keepalive", '"soon"'),
    ("cloud_sync_timeout", "2.0"),
    ("cloud_chdir", "12"),
    ("cloud_fork", "false"),
    ("cloud_copy_python", "true"),
    ("cloud_python", '["python3"]'),
]


@pytest.mark.parametrize("key,value", WRONG_TYPES)
def test_a_wrong_toml_type_reads_the_same_from_helper_and_conftest(tmp_path, key, value):
    import tomllib

    (tmp_path / "pytest.toml").write_text("[pytest]\n%s = %s\n" % (key, value))
    helper = subprocess.run([os.path.join(ROOT, "build", "pytest-cloud"), "--dry-run"], cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTEST_CLOUD_NODES="n1"))
    assert helper.returncode == 2
    said = [line for line in helper.stderr.splitlines() if "pytest 9 reads" in line]
    assert len(said) == 1, helper.stderr
    ini_only = {k: t for k, _h, t in cloud._INI_ONLY}
    name = None if key in ini_only else next(n for n, _h, _s in cloud._OPTIONS if cloud._dest(n) == key)
    kind = ini_only[key] if name is None else cloud._ini_type(name)
    if name in cloud._NUMBERS:
        kind = "int"  # as pytest 8.4 and later register it, whatever runs this test
    ours = cloud.toml_type_error("pytest.toml", key, kind, tomllib.loads(
        (tmp_path / "pytest.toml").read_text())["pytest"][key])
    assert said[0].split("pytest 9 reads", 1)[1] == ours.split("pytest 9 reads", 1)[1]
    assert said[0].startswith("pytest-cloud: error: %s:2: %s: " % (tmp_path / "pytest.toml", key))
