"""The single linkage of the re-clustering check (its average linkage is the relink's:
tests/unit/stream_processors/linking/test_average_linkage.py), on a hand-made score matrix."""

from __future__ import annotations

import numpy as np

from evaluation.linking_recluster import single_linkage
from stream_processors.linking.resplit import FORBIDDEN

# Three lines of one person (0, 1, 2) and one of another (3): 0-1 and 1-2 are sure, 0-2 is weak.
SCORES = np.array([
    [FORBIDDEN, 4.0, -1.0, -3.0],
    [4.0, FORBIDDEN, 4.0, -3.0],
    [-1.0, 4.0, FORBIDDEN, -3.0],
    [-3.0, -3.0, -3.0, FORBIDDEN],
])


def _groups(labels: list[int]) -> set[frozenset[int]]:
    return {frozenset(n for n, label in enumerate(labels) if label == wanted) for wanted in set(labels)}


def test_single_linkage_follows_chains_and_keeps_the_start_clusters():
    assert _groups(single_linkage(SCORES, [0, 1, 2, 3], 3.0)) == {frozenset({0, 1, 2}), frozenset({3})}
    assert _groups(single_linkage(SCORES, [0, 1, 2, 3], 5.0)) == {frozenset({0}), frozenset({1}), frozenset({2}), frozenset({3})}
    assert _groups(single_linkage(SCORES, [7, 1, 2, 7], 5.0)) == {frozenset({0, 3}), frozenset({1}), frozenset({2})}

