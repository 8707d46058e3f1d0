"""Where a worker that went down is replaced (the conftest's
ReplacementPolicy): on its own node when it crashed there, nowhere on a
lost node unless the scheduler asked for one, then on a surviving node,
the biggest first, taking turns."""

import pytest

from cloudplugin import load

cloud = load()

CAPACITY = {"big": 4, "mid": 2, "small": 1}


@pytest.mark.parametrize("node, lost, left_out, wanted, where", [
    ("big", {}, {}, 0, "big"),  # a crash on a live node: xdist's own restart there
    (None, {}, {}, 0, None),  # not ours: xdist's own restart (None is its node)
    ("big", {"big": "gone"}, {}, 0, None),  # lost, nothing asked for
    ("big", {"big": "gone"}, {}, 1, "small"),  # turns start at the second biggest
    ("big", {"big": "gone", "mid": "gone"}, {}, 1, "small"),
    ("big", {"big": "gone"}, {"mid": "no gateway", "small": "no gateway"}, 1, None),  # no node left
    ("small", {"small": "gone", "mid": "gone", "big": "gone"}, {}, 1, None),
])
def test_where(node, lost, left_out, wanted, where):
    policy = cloud.ReplacementPolicy(CAPACITY)
    for _ in range(wanted):
        policy.want()
    assert policy.where(node, lost, left_out) == where


def test_each_wanted_replacement_is_made_once_and_they_take_turns():
    policy = cloud.ReplacementPolicy(CAPACITY)
    lost = {"small": "gone"}
    for _ in range(3):
        policy.want()
    places = [policy.where("small", lost, {}) for _ in range(4)]
    assert places == ["mid", "big", "mid", None]
    assert policy.wanted == 0 and policy.made == 3


def test_a_node_that_crashed_is_not_counted_against_the_wanted_ones():
    policy = cloud.ReplacementPolicy(CAPACITY)
    policy.want()
    assert policy.where("mid", {}, {}) == "mid"
    assert policy.wanted == 1
