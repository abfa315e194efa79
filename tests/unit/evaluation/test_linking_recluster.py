"""The two clusterings of the re-clustering check, on hand-made score matrices."""

from __future__ import annotations

import numpy as np

from evaluation.linking_recluster import FORBIDDEN, average_linkage, single_linkage

# Three lines of one person (0, 1, 2) and one of another (3): 0-1 and 1-2 are sure, 0-2 is weak.
SCORES = np.array([
    [FORBIDDEN, 4.0, -1.0, -3.0],
    [4.0, FORBIDDEN, 4.0, -3.0],
    [-1.0, 4.0, FORBIDDEN, -3.0],
    [-3.0, -3.0, -3.0, FORBIDDEN],
])


def _groups(labels: list[int]) -> set[frozenset[int]]:
    return {frozenset(n for n, label in enumerate(labels) if label == wanted) for wanted in set(labels)}


def test_average_linkage_joins_while_the_mean_is_high_enough():
    assert _groups(average_linkage(SCORES, [0, 1, 2, 3], 1.0)) == {frozenset({0, 1, 2}), frozenset({3})}
    # at 2 the third line's mean with the first pair (4 and -1: 1.5) is too low
    joined = _groups(average_linkage(SCORES, [0, 1, 2, 3], 2.0))
    assert frozenset({3}) in joined and len(joined) == 3


def test_average_linkage_never_joins_through_a_forbidden_pair():
    forbidden = SCORES.copy()
    forbidden[0, 2] = forbidden[2, 0] = FORBIDDEN  # two lines of one paper
    assert _groups(average_linkage(forbidden, [0, 1, 2, 3], 0.0)) == {frozenset({0, 1}), frozenset({2}), frozenset({3})}


def test_single_linkage_follows_chains_and_keeps_the_start_clusters():
    assert _groups(single_linkage(SCORES, [0, 1, 2, 3], 3.0)) == {frozenset({0, 1, 2}), frozenset({3})}
    assert _groups(single_linkage(SCORES, [0, 1, 2, 3], 5.0)) == {frozenset({0}), frozenset({1}), frozenset({2}), frozenset({3})}
    assert _groups(single_linkage(SCORES, [7, 1, 2, 7], 5.0)) == {frozenset({0, 3}), frozenset({1}), frozenset({2})}


def test_starting_from_clusters_keeps_them_together():
    assert _groups(average_linkage(SCORES, [5, 5, 6, 5], 10.0)) == {frozenset({0, 1, 3}), frozenset({2})}
