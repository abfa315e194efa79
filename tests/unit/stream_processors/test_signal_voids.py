"""The worker's voids are read again once the refresh interval passed, and kept when Kafka fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from foundation.errors import ServiceUnavailable
from schemas.profiles import FollowSignal
from schemas.signal_voids import SignalVoid
from stream_processors.signal_voids import RefreshingVoids, VoidList

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SIGNAL = FollowSignal(signal_id="s", researcher_id="r-aaaaaaaaaaaa", actor="acct-1", at=T0)
VOID = SignalVoid(void_id="v-1", since=T0, until=T0 + timedelta(hours=1), reason="leaked key", voided_by="ops",
                  at=T0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_void_published_later_applies_from_the_next_refresh_and_survives_a_failed_read():
    published: list[SignalVoid] = []
    failing = False

    def load() -> VoidList:
        if failing:
            raise ServiceUnavailable("Kafka", "127.0.0.1:1")
        return VoidList(tuple(published))

    clock = Clock()
    voids = RefreshingVoids(load, every=30.0, clock=clock)
    assert asyncio.run(voids.covering(SIGNAL)) is None
    published.append(VOID)
    clock.now = 29.0
    assert asyncio.run(voids.covering(SIGNAL)) is None, "read again only once the interval passed"
    clock.now = 30.0
    assert asyncio.run(voids.covering(SIGNAL)) == VOID
    failing = True
    clock.now = 61.0
    assert asyncio.run(voids.covering(SIGNAL)) == VOID, "a failed read keeps the voids already held"
