"""A test that cannot run for want of a tool or of files (the wheels of
../shared) says so: skipped where it may be, failed where CI=true.  CI
installs every dependency (tests/deps.sh) and has ../shared beside the
clone, so a skip there would pass off a missing one as green."""

import os

import pytest


def missing(what):
    """The test cannot run: what is missing, and where to get it."""
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true, and %s: CI has every dependency (tests/deps.sh, ../shared)" % what,
                    pytrace=False)
    pytest.skip(what)
