"""The single linkage of the re-clustering check (its average linkage is the relink's:
tests/unit/stream_processors/linking/test_average_linkage.py), on the same hand-made matrix."""

from __future__ import annotations

from evaluation.linking_recluster import single_linkage
from tests.unit.stream_processors.linking.test_average_linkage import SCORES, groups


def test_single_linkage_follows_chains_and_keeps_the_start_clusters():
    assert groups(single_linkage(SCORES, [0, 1, 2, 3], 3.0)) == {frozenset({0, 1, 2}), frozenset({3})}
    assert groups(single_linkage(SCORES, [0, 1, 2, 3], 5.0)) == {frozenset({0}), frozenset({1}), frozenset({2}), frozenset({3})}
    assert groups(single_linkage(SCORES, [7, 1, 2, 7], 5.0)) == {frozenset({0, 3}), frozenset({1}), frozenset({2})}
