"""The enrich agent's batch handler: decode, keep only new versions, encode off the event loop,
publish, dead-letter.

The encoder runs in a one-thread executor so the event loop keeps heartbeating to Kafka while a
batch is encoded. A batch is cut into chunks, and every chunk's forward pass is queued on that
thread at once, so the encoder goes from chunk to chunk without waiting: while it encodes one
chunk, the event loop derives the previous chunk's topics and keyphrases and sends it. The
derivation runs on the event loop itself (a chunk of 64 papers holds it for about 60 ms): on a
thread of its own it competed with the loop for the interpreter lock, and its CPU a paper rose
from 0.8 ms alone to 1.9-2.2 ms beside a busy Python thread (docs/performance.md, 7q).

Every produced record is acknowledged by Kafka before the version table is updated and before the
batch's source offsets may be committed: a crash re-enriches at most one batch, and the re-emitted
events equal the first ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import faust

from encoders.base import Encoder
from foundation.errors import InvalidRecord
from schemas.dead_letters import DeadLetter, cap_dead_letter
from schemas.papers import EnrichedPaper, RawPaper, parse_raw_paper
from stream_processors.agents.ports import Topic
from stream_processors.enrich import derive_events, encode_papers, enrich_batch
from stream_processors.topic_model.fields import FieldTopicModel

if TYPE_CHECKING:
    from faust.types.tables import TableT

log = logging.getLogger(__name__)


@dataclass
class EnrichStats:
    enriched: int = 0
    older_versions_dropped: int = 0
    dead_lettered: int = 0


@dataclass
class EnrichAgent:
    encoder: Encoder
    field_model: FieldTopicModel
    enriched: Topic
    dead_letters: Topic
    versions: TableT  # arXiv id -> highest version enriched (changelog-backed)
    source_topic: str
    executor: Executor  # one thread: the forward passes, in the order they were queued
    chunk: int = 16  # papers per forward pass: the encoder's batch size
    stats: EnrichStats = field(default_factory=EnrichStats)

    async def handle(self, events: Sequence[faust.EventT], loop: asyncio.AbstractEventLoop) -> None:
        deliveries = []
        newest: dict[str, tuple[RawPaper, datetime, faust.EventT]] = {}
        for event in events:
            try:
                paper = parse_raw_paper(event.value)
            except InvalidRecord as error:
                deliveries.append(await self._dead_letter(event, error.reason, error.field))
                continue
            seen = newest.get(paper.arxiv_id)
            if paper.version <= self._enriched_version(paper.arxiv_id) or (seen and seen[0].version >= paper.version):
                self.stats.older_versions_dropped += 1
                continue
            newest[paper.arxiv_id] = (paper, _timestamp(event), event)

        items = list(newest.values())
        enriched = 0
        async for part, results in self._enrich_in_chunks(items, loop):
            for (paper, _, event), result in zip(part, results, strict=True):
                if isinstance(result, EnrichedPaper):
                    deliveries.append(await self.enriched.send(key=paper.arxiv_id.encode(), value=result.wire()))
                    enriched += 1
                else:
                    deliveries.append(await self._dead_letter(event, f"enrichment failed: {result}", None))
        await asyncio.gather(*deliveries)  # acknowledged by Kafka before anything is remembered
        for paper, _, _ in items:
            self.versions[paper.arxiv_id.encode()] = str(paper.version).encode()
        self.stats.enriched += enriched

    def _enriched_version(self, arxiv_id: str) -> int:
        stored = self.versions.get(arxiv_id.encode())
        return int(stored) if stored else 0

    async def _enrich_in_chunks(self, items, loop):
        """Yield (chunk, results) in order; a result is the event or, for a paper that could not
        be enriched, the error text for its dead letter.

        All forward passes are queued up front on the encoder thread. If a chunk fails, its
        papers are enriched one by one so one poison record cannot block the others.
        """
        parts = [items[start:start + self.chunk] for start in range(0, len(items), self.chunk)]
        encodings = [loop.run_in_executor(self.executor, encode_papers, [p for p, _, _ in part], self.encoder) for part in parts]
        try:
            for part, encoding in zip(parts, encodings, strict=True):
                papers, stamps = [p for p, _, _ in part], [s for _, s, _ in part]
                try:
                    encoded = await encoding
                    results: list[EnrichedPaper | str] = list(
                        derive_events(papers, encoded, stamps, self.encoder.name, self.field_model)
                    )
                except Exception as error:  # noqa: BLE001 - isolate whatever the encoder or a transform raised
                    log.warning("chunk of %d failed (%s); retrying one by one", len(papers), error)
                    results = [await self._enrich_alone(paper, stamp, loop) for paper, stamp in zip(papers, stamps, strict=True)]
                yield part, results
        finally:
            for encoding in encodings:  # a batch cut short (shutdown) leaves no pass unawaited
                encoding.cancel()

    async def _enrich_alone(self, paper: RawPaper, stamp: datetime, loop) -> EnrichedPaper | str:
        try:
            [event] = await loop.run_in_executor(self.executor, enrich_batch, [paper], [stamp], self.encoder, self.field_model)
            return event
        except Exception as error:  # noqa: BLE001
            return f"{type(error).__name__}: {error}"

    async def _dead_letter(self, event: faust.EventT, reason: str, field_name: str | None):
        key = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None
        payload = event.value.decode("utf-8", "replace") if isinstance(event.value, bytes) else repr(event.value)
        reason, payload = cap_dead_letter(reason, payload)
        letter = DeadLetter(
            stage="enrich",
            reason=reason,
            field=field_name,
            source=self.source_topic,
            key=key,
            payload=payload,
            failed_at=_timestamp(event),
        )
        self.stats.dead_lettered += 1
        return await self.dead_letters.send(key=event.key, value=letter.model_dump_json().encode())  # every field: read by people


def _timestamp(event: faust.EventT) -> datetime:
    """The record's Kafka timestamp: when it was produced, which re-delivery does not change."""
    return datetime.fromtimestamp(event.message.timestamp, tz=UTC)
