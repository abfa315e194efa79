"""The agents' output topics, sent to through the producer without faust's message objects.

faust's `Topic.send` wraps every record in a `PendingMessage` and a `FutureMessage`, runs the key,
value and headers through the topic's codecs (raw bytes here: nothing to do), asks the sensors,
and chains its own future to the producer's. The agents hand over bytes and keep only the
delivery future, so all of that is overhead: in the worker's profile about 6 % of its CPU ran in
faust's topic and channel code (docs/performance.md, 7n). `DirectTopic.send` calls the producer's
`send` (faust's aiokafka driver, the same producer, partitioner and settings) and returns its
delivery future, as the agents' `Topic` port asks (`agents/ports.py`).

Input topics stay faust topics: faust's conductor reads them. With `stream_publish_on_commit`
(off here) faust would hold a send until the event is acknowledged; nothing here relies on that.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any


class DirectTopic:
    """One output topic: `send(key=, value=)` hands the record to the app's producer."""

    def __init__(self, app: Any, name: str) -> None:
        self._app = app
        self.name = name

    async def send(self, *, key: bytes | None, value: bytes) -> Awaitable[Any]:
        return await self._app.producer.send(self.name, key, value, partition=None, timestamp=None, headers=None)
