"""make demo, as the README's first command: a real run on local nodes
whose tests run on the nodes (copied there), none on this machine."""

import os
import re
import subprocess

import pytest

from conftest import PYTHON, ROOT

DEMO = os.path.join(ROOT, "tests", "demo.py")


# the demo runs the build's own helper (build/pytest-cloud): make test
# runs this test, the static and AddressSanitizer runs need not again
@pytest.mark.conftest_only
@pytest.mark.skipif(bool(os.environ.get("PYTEST_CLOUD_TEST_STATIC")),
                    reason="make demo runs build/pytest-cloud; make test runs this test")
def test_make_demo_runs_the_tests_on_the_nodes():
    r = subprocess.run([PYTHON, DEMO], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout
    ran = dict(re.findall(r"^(node[123]) \([\d.]+\): (.*)$", r.stdout, re.M))
    assert sorted(ran) == ["node1", "node2", "node3"], r.stdout
    assert all(re.search(r"ran \d+ tests", what) for what in ran.values()), r.stdout
    assert "on this machine outside the nodes: no tests" in r.stdout, r.stdout
    assert "27 passed" in r.stdout, r.stdout
