"""The conftest's options agree with the helper's option table (written
out by build/gendoc table): the same --cloud-* options, the same ini-only
keys, lists where the helper takes lists, the same help texts."""

import importlib.util
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = importlib.util.spec_from_file_location(
    "cloud_conftest", os.path.join(ROOT, "conftest_template", "conftest.py"))
cloud = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(cloud)


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
