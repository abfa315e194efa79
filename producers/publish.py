"""Publishing validated records (and dead letters) to Kafka, never losing an accepted one.

The producer is idempotent with acks=all; `close()` flushes and raises if any send failed, so a
run that returns normally has every record it counted durably in Kafka.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kafka.errors import KafkaError

from clients import kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from schemas.dead_letters import dead_letter as build_dead_letter
from schemas.papers import RawPaper, encode_raw
from schemas.topics import PAPERS_DLQ, PAPERS_RAW


@dataclass
class PublishStats:
    produced: int = 0
    dead_lettered: int = 0
    failures: list[str] = field(default_factory=list)


class Publisher:
    """Sends papers keyed by arXiv id, with headers naming the source and the version."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._producer = kafka_io.producer(settings)
        self._raw_topic = settings.topic(PAPERS_RAW.name)
        self._dlq_topic = settings.topic(PAPERS_DLQ.name)
        self._clock = clock
        self.stats = PublishStats()

    def publish(self, paper: RawPaper, value: bytes | None = None) -> None:
        """Send `paper` (`value`: its record as `schemas.papers.encode_raw` made it, when the caller has it)."""
        headers = [
            ("source", paper.source.encode()),
            ("version", str(paper.version).encode()),
            ("schema_version", str(paper.schema_version).encode()),
        ]
        future = self._producer.send(
            self._raw_topic,
            key=paper.arxiv_id.encode(),
            value=value if value is not None else encode_raw(paper),
            headers=headers,
        )
        future.add_errback(self._failed, paper.arxiv_id)
        self.stats.produced += 1

    def dead_letter(self, *, reason: str, source: str, payload: str, key: str | None, field: str | None) -> None:
        letter = build_dead_letter(
            stage="ingest", reason=reason, field=field, source=source, key=key, payload=payload, failed_at=self._clock(),
        )
        future = self._producer.send(
            self._dlq_topic,
            key=key.encode() if key else None,
            value=letter.model_dump_json().encode(),
            headers=[("source", source.encode()), ("stage", b"ingest")],
        )
        future.add_errback(self._failed, key or "<no key>")
        self.stats.dead_lettered += 1

    def flush(self) -> None:
        """Block until Kafka acknowledged every record sent so far; raise if any was refused.

        A harvester calls this before checkpointing a page, so a checkpoint never covers a
        record that is not durably in Kafka.
        """
        try:
            self._producer.flush()
        except KafkaError as error:
            raise ScholarStreamError(f"Kafka did not acknowledge every record: {error}") from error
        self._raise_failures()

    def close(self) -> None:
        try:
            self._producer.flush()
        except KafkaError as error:
            raise ScholarStreamError(f"Kafka did not acknowledge every record: {error}") from error
        finally:
            self._producer.close()
        self._raise_failures()

    def _raise_failures(self) -> None:
        if self.stats.failures:
            raise ScholarStreamError(
                f"{len(self.stats.failures)} records were not acknowledged by Kafka, e.g. {self.stats.failures[0]}"
            )

    def _failed(self, key: str, error: Exception) -> None:
        self.stats.failures.append(f"{key}: {error}")
