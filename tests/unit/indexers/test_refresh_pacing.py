"""The refresh pacer's decisions: slow with a backlog, the mapping's interval without, no flapping."""

from __future__ import annotations

import threading
import time
from typing import cast

import pytest
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import Elasticsearch

from foundation.errors import ScholarStreamError
from indexers.refresh_pacing import BackgroundReading, RefreshPacer, RefreshPolicy, is_slow

POLICY = RefreshPolicy(slow_interval="30s", enter_backlog=1_000, leave_backlog=200, check_seconds=5.0)


class Indices:
    """Records what `put_settings` was asked; `failing` makes it raise as an unreachable node does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failing = False

    def put_settings(self, *, index: str, settings: dict) -> None:
        if self.failing:
            raise EsConnectionError("connection refused")
        self.calls.append((index, settings["index"]["refresh_interval"]))

    def refresh(self, *, index: str) -> None:
        self.calls.append((index, "refreshed"))


class Client:
    def __init__(self) -> None:
        self.indices = Indices()


class Readings:
    """A backlog the test sets, and a clock the test moves."""

    def __init__(self) -> None:
        self.backlog = 0
        self.now = 0.0
        self.error: Exception | None = None

    def read(self) -> int:
        if self.error is not None:
            raise self.error
        return self.backlog


def pacer() -> tuple[RefreshPacer, Client, Readings]:
    es, readings = Client(), Readings()
    made = RefreshPacer(
        cast(Elasticsearch, es), {"papers-e1": "1s", "researchers-l1": "2s"}, readings.read, POLICY, clock=lambda: readings.now
    )
    return made, es, readings


@pytest.mark.parametrize(
    ("was_slow", "backlog", "expected"),
    [
        (None, 0, False),
        (None, 999, False),
        (None, 1_000, True),
        (False, 999, False),
        (False, 1_000, True),
        (True, 1_000, True),
        (True, 200, True),  # between the two thresholds a slow index stays slow
        (True, 199, False),
        (False, 500, False),  # and a fast one stays fast
    ],
)
def test_is_slow_enters_at_one_threshold_and_leaves_below_the_other(was_slow, backlog, expected):
    assert is_slow(was_slow, backlog, POLICY) is expected


def test_a_policy_whose_leave_threshold_is_above_its_enter_threshold_is_refused():
    with pytest.raises(ValueError, match="leave_backlog"):
        RefreshPolicy(enter_backlog=100, leave_backlog=101)


def test_the_first_tick_sets_every_index_whatever_it_decides():
    """An indexer killed while the slow interval was set: the next one's first check puts each
    mapping's interval back, though it never set the slow one itself."""
    made, es, _ = pacer()
    made.tick()
    assert es.indices.calls == [("papers-e1", "1s"), ("researchers-l1", "2s"), ("papers-e1,researchers-l1", "refreshed")]
    assert made.slow is False


def test_a_backlog_slows_every_index_and_its_end_restores_each_mapping_interval():
    made, es, readings = pacer()
    readings.backlog = 5_000
    made.tick()
    assert es.indices.calls == [("papers-e1", "30s"), ("researchers-l1", "30s")]
    readings.backlog = 100
    readings.now += 5.0
    made.tick()
    assert es.indices.calls[2:] == [("papers-e1", "1s"), ("researchers-l1", "2s"), ("papers-e1,researchers-l1", "refreshed")]
    assert made.changes == 2


def test_the_backlog_is_read_once_per_check_interval_and_unchanged_decisions_write_nothing():
    made, es, readings = pacer()
    reads = []
    made._backlog = lambda: reads.append(readings.now) or readings.backlog
    for step in range(20):  # ten seconds in half-second polls
        readings.now = step * 0.5
        made.tick()
    assert reads == [0.0, 5.0]
    assert len(es.indices.calls) == 3  # the first decision only: two settings and a refresh


def test_restore_sets_the_mapping_intervals_when_slow_and_does_nothing_when_already_fast():
    made, es, readings = pacer()
    readings.backlog = 5_000
    made.tick()
    made.restore()
    assert es.indices.calls[-3:] == [("papers-e1", "1s"), ("researchers-l1", "2s"), ("papers-e1,researchers-l1", "refreshed")]
    calls = len(es.indices.calls)
    made.restore()
    assert len(es.indices.calls) == calls


def test_an_unreadable_backlog_leaves_the_setting_and_is_read_again_at_the_next_check():
    made, es, readings = pacer()
    readings.error = ScholarStreamError("Kafka is not reachable")
    made.tick()
    assert es.indices.calls == [] and made.slow is None
    readings.error, readings.backlog, readings.now = None, 5_000, 5.0
    made.tick()
    assert made.slow is True


def test_a_refused_setting_is_tried_again_at_the_next_check():
    made, es, readings = pacer()
    readings.backlog = 5_000
    es.indices.failing = True
    made.tick()  # must not raise: pacing never stops the indexer
    assert made.slow is None
    es.indices.failing = False
    readings.now = 5.0
    made.tick()
    assert made.slow is True and es.indices.calls == [("papers-e1", "30s"), ("researchers-l1", "30s")]


def test_no_reading_yet_decides_nothing():
    made, es, readings = pacer()
    made._backlog = lambda: None
    made.tick()
    assert es.indices.calls == [] and made.slow is None


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the reading did not arrive in time"
        time.sleep(0.01)


def test_a_background_reading_gives_the_last_value_without_waiting_for_the_next():
    values = iter(range(1_000_000))

    def read() -> int:
        return next(values)

    with BackgroundReading(read, every=0.05) as reading:
        wait_until(lambda: (reading.latest() or 0) >= 2)
    last = reading.latest()
    time.sleep(0.2)
    assert reading.latest() == last  # stopped: no more readings


def test_a_background_reading_is_none_before_its_first_value():
    gate = threading.Event()

    def read() -> int:
        gate.wait(5)
        return 7

    with BackgroundReading(read, every=0.05) as reading:
        assert reading.latest() is None
        gate.set()
        wait_until(lambda: reading.latest() == 7)


def test_a_failed_reading_raises_from_latest_until_one_succeeds():
    outcomes: list = [ScholarStreamError("Kafka is not reachable"), RuntimeError("surprise"), 42]

    def read() -> int:
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with BackgroundReading(read, every=0.2) as reading:
        wait_until(lambda: reading._error is not None)
        with pytest.raises(ScholarStreamError, match="not reachable"):
            reading.latest()
        wait_until(lambda: "surprise" in str(reading._error or ""))
        with pytest.raises(ScholarStreamError, match="RuntimeError: surprise"):
            reading.latest()
        wait_until(lambda: reading._error is None and reading.latest() == 42)
