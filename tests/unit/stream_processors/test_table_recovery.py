"""A changelog partition assigned while a recovery runs is sought like the others, not to `None`.

The consumer here stands in for faust's: it answers the earliest offsets and refuses a seek the
way aiokafka does (`ValueError("Offset must be a positive integer")`). The real sequence (a
worker killed under load, a survivor rebalanced in the middle of its recovery) is the cluster
test `tests/cluster/test_worker_dies.py`.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import faust
import pytest
from faust.tables.recovery import Recovery
from faust.types import TP

from stream_processors.table_recovery import SafeSeekRecovery, SafeSeekTableManager

OLD = TP("t.profiles-changelog", 0)  # had an offset when the recovery started
NEW = TP("t.profiles-changelog", 1)  # assigned by a rebalance while the recovery ran
EMPTY = TP("t.profiles-changelog", 2)  # no offset, an empty changelog partition


class Consumer:
    """What `_seek_offsets` and `_build_offsets` ask of faust's consumer."""

    def __init__(self, earliest: dict[TP, int | None]) -> None:
        self.earliest = earliest
        self.sought: dict[TP, int] = {}

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int | None]:
        return {tp: self.earliest[tp] for tp in tps}

    async def seek_wait(self, offsets: dict[TP, int]) -> None:
        for tp, offset in offsets.items():
            if not isinstance(offset, int) or offset < 0:
                raise ValueError("Offset must be a positive integer")  # aiokafka's check
            self.sought[tp] = offset


def _recovery_during_a_rebalance() -> tuple[Recovery, Counter[TP]]:
    app = faust.App("table-recovery-test", store="memory://", TableManager=SafeSeekTableManager)
    offsets: Counter[TP] = Counter({OLD: 41})
    offsets[NEW] = None  # type: ignore[assignment]  # what faust's rebalance callback stores
    offsets[EMPTY] = None  # type: ignore[assignment]
    manager = app.tables
    assert isinstance(manager, SafeSeekTableManager)
    return manager.recovery, offsets


def test_the_app_recovers_its_tables_with_the_safe_seek():
    recovery, _ = _recovery_during_a_rebalance()
    assert isinstance(recovery, SafeSeekRecovery)


def test_a_partition_assigned_during_recovery_is_sought_to_where_its_changelog_starts():
    recovery, offsets = _recovery_during_a_rebalance()
    consumer = Consumer({NEW: 7, EMPTY: None, OLD: 0})
    asyncio.run(recovery._seek_offsets(consumer, {OLD, NEW, EMPTY}, offsets, "standby"))
    # faust reads from one below the earliest offset (its own "offset - 1" convention), and
    # from 0 when the changelog has nothing.
    assert consumer.sought == {OLD: 41, NEW: 6, EMPTY: 0}


def test_faust_alone_fails_on_that_partition():
    """The failure this module exists for; when faust fixes it, this test says so."""
    recovery, offsets = _recovery_during_a_rebalance()
    consumer = Consumer({NEW: 7, EMPTY: None, OLD: 0})
    with pytest.raises(ValueError, match="positive integer"):
        asyncio.run(Recovery._seek_offsets(recovery, consumer, {OLD, NEW}, offsets, "standby"))
