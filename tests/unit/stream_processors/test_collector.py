"""The worker's garbage-collection policy and its counters (stream_processors/collector.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from stream_processors import collector
from stream_processors.collector import NEVER, CollectorWatch


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_watch_adds_up_each_generation_s_collections_and_seconds():
    ticks = iter([1.0, 1.25, 2.0, 2.5, 3.0, 3.5])
    watch = CollectorWatch(clock=lambda: next(ticks))
    watch("start", {"generation": 0})
    watch("stop", {"generation": 0, "collected": 3})
    watch("start", {"generation": 2})
    watch("stop", {"generation": 2, "collected": 10})
    watch("start", {"generation": 0})
    watch("stop", {"generation": 0, "collected": 1})
    snapshot = watch.snapshot()
    assert snapshot["collections"] == [2, 0, 1]
    assert snapshot["seconds"] == [0.75, 0.0, 0.5]
    assert snapshot["collected"] == [4, 0, 10]


def test_the_installed_watch_sees_a_real_collection():
    watch = CollectorWatch().install()
    try:
        gc.collect(2)
    finally:
        watch.remove()
    assert watch.collections[2] >= 1
    assert watch.seconds[2] > 0
    assert watch not in gc.callbacks


@pytest.mark.usefixtures("restored")
def test_timed_full_passes_freeze_start_up_and_stop_the_automatic_full_pass():
    young, middle, _ = gc.get_threshold()
    collector.time_full_passes()
    assert gc.get_freeze_count() > 0
    assert collector.WATCH.snapshot()["frozen"] == gc.get_freeze_count()
    assert gc.get_threshold() == (young, middle, NEVER)
    assert collector.WATCH.snapshot()["timed_full_passes"] is True


@pytest.mark.usefixtures("restored")
def test_the_young_generation_s_threshold_can_be_set_with_the_timed_pass():
    _, middle, _ = gc.get_threshold()
    collector.time_full_passes(25_000)
    assert gc.get_threshold() == (25_000, middle, NEVER)


@pytest.mark.usefixtures("restored")
def test_the_timed_pass_still_frees_cycles_that_reached_the_oldest_generation():
    collector.time_full_passes()
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    gc.collect(0)
    gc.collect(1)  # survivors of the young generations move on to the oldest
    del first, second
    gc.collect(1)  # a young pass does not look at the oldest generation
    assert gone() is not None
    collector.FullPasses()()
    assert gone() is None


def _dead_cycle_after(passes: collector.FullPasses) -> weakref.ref:
    """A cycle that a first pass saw alive (and froze), then dropped: its first node, weakly."""
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    passes()
    del first, second
    return gone


@pytest.mark.usefixtures("restored")
def test_a_pass_freezes_what_it_leaves_alive_and_the_next_does_not_walk_it():
    collector.time_full_passes()
    passes = collector.FullPasses(whole_every=3)
    gone = _dead_cycle_after(passes)
    passes()  # the second pass: the cycle is frozen, not walked
    assert gone() is not None
    passes()  # the third unfreezes and walks everything
    assert gone() is None


@pytest.mark.usefixtures("restored")
def test_with_whole_every_one_each_pass_walks_everything():
    collector.time_full_passes()
    passes = collector.FullPasses(whole_every=1)
    gone = _dead_cycle_after(passes)
    passes()
    assert gone() is None


@pytest.mark.usefixtures("restored")
def test_a_frozen_object_is_still_freed_by_its_reference_count():
    passes = collector.FullPasses(whole_every=100)
    node = _Node()
    gone = weakref.ref(node)
    passes()
    del node
    assert gone() is None


def test_whole_every_is_at_least_one():
    with pytest.raises(ValueError, match="at least 1"):
        collector.FullPasses(whole_every=0)


def test_two_watches_with_the_same_counts_are_both_installed():
    first, second = CollectorWatch().install(), CollectorWatch().install()
    try:
        assert sum(callback is first for callback in gc.callbacks) == 1
        assert sum(callback is second for callback in gc.callbacks) == 1
    finally:
        first.remove()
        second.remove()
    assert first not in gc.callbacks and second not in gc.callbacks
