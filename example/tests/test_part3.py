"""Short tests, long enough that every worker gets some."""
import time

import pytest


@pytest.mark.parametrize("n", range(8))
def test_sleep_and_add(n):
    time.sleep(0.1)
    assert n + 3 == 3 + n


def test_part3_import_is_local():
    import calc
    assert calc.add(2, 3) == 2 + 3
