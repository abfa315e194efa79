"""The sliding-window rate limit, on a clock the test moves."""

from __future__ import annotations

import pytest

from scholarstream import rate_limits
from scholarstream.rate_limits import SlidingWindow, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_is_reached_then_refused_with_the_wait_until_the_oldest_hit_leaves() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60, clock)
    for _ in range(3):
        assert window.hit("a") is None
        clock.now += 10
    assert window.hit("a") == pytest.approx(30.0)  # the first hit (t=1000) leaves at 1060; now is 1030
    clock.now = 1059.9
    assert window.hit("a") is not None
    clock.now = 1060.0
    assert window.hit("a") is None


def test_a_refused_hit_does_not_count() -> None:
    clock = Clock()
    window = SlidingWindow(1, 10, clock)
    assert window.hit("a") is None
    for _ in range(5):
        assert window.hit("a") is not None
    clock.now += 10
    assert window.hit("a") is None


def test_keys_are_counted_apart() -> None:
    window = SlidingWindow(1, 60, Clock())
    assert window.hit("a") is None
    assert window.hit("b") is None
    assert window.hit("a") is not None


def test_many_keys_do_not_grow_memory_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "MAX_KEYS", 50)
    clock = Clock()
    window = SlidingWindow(1, 60, clock)
    for i in range(500):
        window.hit(f"k{i}")
    assert len(window._hits) <= 50
    clock.now += 61
    window.hit("fresh")
    assert window.hit("k499") is not None or len(window._hits) <= 50


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert retry_after(0.0) == "1"
    assert retry_after(0.2) == "1"
    assert retry_after(29.1) == "30"


def test_a_limit_of_nothing_is_a_mistake() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0, 60, Clock())
