"""Signals that arrived before their researcher's profile: kept, then applied once it exists.

`researcher.signals` and the papers that create profiles are read side by side. Live, a person
acts on a profile they found, so the profile exists first; but a rebuild or a replay reads the
signals topic from its start while the papers are still being linked, and a signal reaches the
signals agent before the works that create its profile. Dead-lettering it ("unknown researcher")
lost every claim, follow and verification on each rebuild. The signals agent parks such a signal
instead (after its signature and the voids were checked), in the `parked-signals` table keyed by
researcher id; when the profiles agent publishes that researcher's first revision, it sends the
parked signals back to `researcher.signals`, in the order they came, and they apply like any
other (checked again). A re-delivered signal is parked once; a researcher id that never gets a
profile holds at most MAX_PARKED signals, and the next are dead-lettered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stream_processors.agents.ports import Table, Topic

MAX_PARKED = 200


@dataclass
class ParkedSignals:
    table: Table  # researcher id -> JSON list of the signals' payloads, oldest first
    signals: Topic  # researcher.signals, where they go back

    def park(self, key: bytes, payload: bytes) -> bool:
        """Keep the signal for `key`; False when MAX_PARKED are already kept for it."""
        stored = self.table.get(key)
        held: list[str] = json.loads(stored) if stored else []
        text = payload.decode()
        if text in held:
            return True
        if len(held) >= MAX_PARKED:
            return False
        self.table[key] = json.dumps([*held, text]).encode()
        return True

    async def release(self, key: bytes) -> list[Any]:
        """Send what is kept for `key` back to the signals topic, oldest first; the delivery futures."""
        stored = self.table.get(key)
        if not stored:
            return []
        sends = [await self.signals.send(key=key, value=text.encode()) for text in json.loads(stored)]
        del self.table[key]
        return sends
