"""The voids a worker holds: which product signals it must not apply (schemas/signal_voids.py).

`researcher.signals.voids` is small (a handful of operator rulings) and every worker needs all of
it, whatever partitions it owns, so each worker reads the whole topic: at start-up, and again
every `signal_voids_refresh_seconds` while it runs. A void published while a worker runs
therefore stops the signals it covers within that interval; signals it covers that were applied
before are undone by a rebuild (`scholarstream rebuild --from-stage link`), whose fresh workers
read the voids before their first signal. A void that is not signed with the operators' key is
ignored, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from clients import kafka_io
from foundation.errors import InvalidRecord, ScholarStreamError
from foundation.settings import Settings
from foundation.signal_keys import SignalKeys
from schemas.profiles import ResearcherSignal
from schemas.signal_auth import check_void
from schemas.signal_voids import SignalVoid
from schemas.topics import SIGNAL_VOIDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoidList:
    voids: tuple[SignalVoid, ...] = ()

    def covering(self, signal: ResearcherSignal) -> SignalVoid | None:
        """The first void (in publication order) that covers the signal."""
        return next((void for void in self.voids if void.covers(signal)), None)


def checked_voids(payloads: Iterable[bytes | None], keys: SignalKeys) -> VoidList:
    """The voids among the topic's values whose operator signature verifies; the rest are logged."""
    voids = []
    for payload in payloads:
        if payload is None:
            continue
        try:
            void = SignalVoid.model_validate_json(payload)
            check_void(void, keys)
        except (ValidationError, InvalidRecord) as error:
            log.warning("ignoring a record of researcher.signals.voids: %s", error)
            continue
        voids.append(void)
    return VoidList(tuple(voids))


def read_voids(settings: Settings, keys: SignalKeys) -> VoidList:
    """Every valid void in `researcher.signals.voids` (none when the topic does not exist yet)."""
    topic = settings.topic(SIGNAL_VOIDS.name)
    return checked_voids((record.value for record in kafka_io.read_to_end(settings, topic)), keys)


@dataclass
class RefreshingVoids:
    """A `VoidList` read again through `load` once `every` seconds have passed since the last read."""

    load: Callable[[], VoidList]
    every: float
    current: VoidList = field(default_factory=VoidList)
    clock: Callable[[], float] = time.monotonic
    loaded_at: float | None = None

    async def covering(self, signal: ResearcherSignal) -> SignalVoid | None:
        now = self.clock()
        if self.loaded_at is None or now - self.loaded_at >= self.every:
            try:
                self.current = await asyncio.to_thread(self.load)
            except ScholarStreamError as error:  # Kafka unreachable: keep the voids already held
                log.warning("could not re-read researcher.signals.voids (keeping %d): %s", len(self.current.voids), error)
            self.loaded_at = now
        return self.current.covering(signal)
