"""Short tests, long enough that every worker gets some."""
import time

import pytest


@pytest.mark.parametrize("n", range(8))
def test_sleep_and_add(n):
    time.sleep(0.1)
    assert n + 2 == 2 + n


def test_part2_import_is_local():
    import calc
    assert calc.add(2, 2) == 2 + 2
