"""The relink's average linkage (also the re-clustering study's), on hand-made score matrices."""

from __future__ import annotations

import numpy as np

from stream_processors.linking.resplit import FORBIDDEN, average_linkage

# Three lines of one person (0, 1, 2) and one of another (3): 0-1 and 1-2 are sure, 0-2 is weak.
SCORES = np.array([
    [FORBIDDEN, 4.0, -1.0, -3.0],
    [4.0, FORBIDDEN, 4.0, -3.0],
    [-1.0, 4.0, FORBIDDEN, -3.0],
    [-3.0, -3.0, -3.0, FORBIDDEN],
])


def groups(labels: list[int]) -> set[frozenset[int]]:
    return {frozenset(n for n, label in enumerate(labels) if label == wanted) for wanted in set(labels)}


def test_groups_join_while_their_mean_is_high_enough():
    labels, between = average_linkage(SCORES, 1.0)
    assert groups(labels) == {frozenset({0, 1, 2}), frozenset({3})}
    assert between == -3.0  # what kept the last two apart
    # at 2 the third line's mean with the first pair (4 and -1: 1.5) is too low
    labels, between = average_linkage(SCORES, 2.0)
    assert groups(labels) == {frozenset({0, 1}), frozenset({2}), frozenset({3})}
    assert between == 1.5


def test_one_group_left_has_nothing_between():
    assert average_linkage(SCORES, -5.0) == ([0, 0, 0, 0], None)


def test_a_forbidden_pair_is_never_joined_through():
    forbidden = SCORES.copy()
    forbidden[0, 2] = forbidden[2, 0] = FORBIDDEN  # two lines of one paper
    labels, _ = average_linkage(forbidden, 0.0)
    assert groups(labels) == {frozenset({0, 1}), frozenset({2}), frozenset({3})}


def test_start_labels_begin_together_and_stay_together():
    labels, _ = average_linkage(SCORES, 10.0, start=[5, 5, 6, 5])
    assert groups(labels) == {frozenset({0, 1, 3}), frozenset({2})}
    assert average_linkage(SCORES, 1.0, start=[0, 1, 2, 3])[0] == average_linkage(SCORES, 1.0)[0]
