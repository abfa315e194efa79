"""How the reindex reads: each partition backwards in windows that cover the range once, last
first; the partitions dealt among loader processes."""

from __future__ import annotations

from indexers.reindex import _windows


def test_windows_cover_the_range_once_from_the_end():
    assert _windows(0, 45, size=20) == [(25, 45), (5, 25), (0, 5)]
    assert _windows(10, 30, size=20) == [(10, 30)]
    assert _windows(7, 7, size=20) == []


def test_every_offset_is_in_exactly_one_window():
    for start, end, size in ((0, 1, 1), (3, 100, 7), (0, 10_000, 10_000), (5, 10_006, 10_000)):
        covered = [offset for low, high in _windows(start, end, size) for offset in range(low, high)]
        assert sorted(covered) == list(range(start, end))


def test_partitions_are_dealt_so_each_loader_reads_about_as_much():
    from indexers.reindex import shares

    assert shares({0: 100, 1: 90, 2: 10, 3: 5}, 2) == [[0, 3], [1, 2]]
    assert shares({0: 7}, 4) == [[0]], "never more loaders than partitions"
    assert sorted(p for share in shares({p: p * 3 for p in range(8)}, 3) for p in share) == list(range(8))
