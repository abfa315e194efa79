"""The enrich agent's batch handler: decode, encode off the event loop, publish, dead-letter.

The encoder runs in a one-thread executor so the event loop keeps heartbeating to Kafka while a
batch is encoded. Every produced record is acknowledged by Kafka before the batch's source
offsets may be committed, which makes the stage at-least-once with identical re-emissions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

import faust

from schemas.dead_letters import DeadLetter
from schemas.papers import RawPaper, parse_raw_paper
from scholarstream.errors import InvalidRecord
from stream_processors.encoder import Encoder
from stream_processors.enrich import enrich_batch


@dataclass
class EnrichAgent:
    encoder: Encoder
    clock: Callable[[], datetime]
    enriched: faust.TopicT
    dead_letters: faust.TopicT
    source_topic: str
    executor: Executor
    processed: int = field(default=0)

    async def handle(self, events: Sequence[faust.EventT], loop: asyncio.AbstractEventLoop) -> None:
        papers: list[RawPaper] = []
        deliveries = []
        for event in events:
            try:
                papers.append(parse_raw_paper(event.value))
            except InvalidRecord as error:
                deliveries.append(await self._dead_letter(event, error.reason, error.field))
        enriched = await loop.run_in_executor(self.executor, enrich_batch, papers, self.encoder, self.clock)
        for item in enriched:
            deliveries.append(
                await self.enriched.send(key=item.arxiv_id.encode(), value=item.model_dump_json().encode())
            )
        await asyncio.gather(*deliveries)
        self.processed += len(events)

    async def _dead_letter(self, event: faust.EventT, reason: str, field_name: str | None):
        key = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None
        payload = event.value.decode("utf-8", "replace") if isinstance(event.value, bytes) else repr(event.value)
        letter = DeadLetter(
            stage="enrich",
            reason=reason,
            field=field_name,
            source=self.source_topic,
            key=key,
            payload=payload,
            failed_at=self.clock(),
        )
        return await self.dead_letters.send(key=event.key, value=letter.model_dump_json().encode())
