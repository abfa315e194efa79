"""`scholarstream indexer`: a Kafka consumer group that writes enriched papers to Elasticsearch.

Offsets are committed only after Elasticsearch acknowledged the batch, so a crash re-delivers
at most one batch, and the external versions make that re-delivery harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from elasticsearch import Elasticsearch
from kafka.errors import CommitFailedError

from indexers.bulk_writer import IndexAction, write_with_retry
from indexers.documents import paper_document
from indexers.index_admin import ensure_index
from indexers.mappings import PAPERS
from schemas.dead_letters import DeadLetter, cap_dead_letter
from schemas.papers import parse_enriched_paper
from schemas.topics import INDEX_DLQ, PAPERS_ENRICHED
from scholarstream import kafka_io
from scholarstream.errors import InvalidRecord
from scholarstream.settings import Settings

log = logging.getLogger(__name__)

INDEXER_GROUP = "scholarstream-indexer"


@dataclass
class IndexerStats:
    batches: int = 0
    written: int = 0
    stale: int = 0
    dead_lettered: int = 0


def run_indexer(
    settings: Settings,
    es: Elasticsearch,
    stop: threading.Event,
    clock: Callable[[], datetime],
    on_batch: Callable[[IndexerStats], None] | None = None,
) -> IndexerStats:
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    index = ensure_index(es, settings, PAPERS)
    consumer = kafka_io.consumer(
        settings,
        settings.topic(PAPERS_ENRICHED.name),
        group_id=settings.group(INDEXER_GROUP),
        auto_offset_reset="earliest",
        max_poll_records=500,
        max_poll_interval_ms=900_000,  # an Elasticsearch outage must not cost the group its partitions
    )
    dead_letters = kafka_io.producer(settings)
    dlq_topic = settings.topic(INDEX_DLQ.name)
    stats = IndexerStats()

    def dead_letter(key: str, payload: str, reason: str) -> None:
        reason, payload = cap_dead_letter(reason, payload)
        letter = DeadLetter(
            stage="index", reason=reason, source=settings.topic(PAPERS_ENRICHED.name), key=key,
            payload=payload, failed_at=clock(),
        )
        dead_letters.send(dlq_topic, key=key.encode(), value=letter.model_dump_json().encode())
        stats.dead_lettered += 1

    try:
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=500)
            records = [record for batch in polled.values() for record in batch]
            if not records:
                continue
            actions = []
            for record in records:
                key = record.key.decode("utf-8", "replace") if record.key else ""
                payload = record.value.decode("utf-8", "replace") if record.value else ""
                try:
                    item = parse_enriched_paper(record.value or b"")
                except InvalidRecord as error:
                    dead_letter(key, payload, error.reason)
                    continue
                actions.append(IndexAction(item.arxiv_id, item.paper.version, paper_document(item), key, payload))
            outcome = write_with_retry(
                es, index, actions, should_stop=stop.is_set,
                on_retry=lambda attempt, delay, error: log.warning(
                    "Elasticsearch write failed (attempt %d, retry in %.1fs): %s", attempt, delay, error
                ),
            )
            if outcome is None:
                break  # stopped while Elasticsearch was down: leave the offsets uncommitted
            for action, reason in outcome.rejected:
                dead_letter(action.source_key, action.payload, reason)
            dead_letters.flush()
            try:
                consumer.commit()
            except CommitFailedError as error:
                log.warning("offset commit failed after a rebalance; the batch will be re-delivered: %s", error)
            stats.batches += 1
            stats.written += outcome.written
            stats.stale += outcome.stale
            if on_batch is not None:
                on_batch(stats)
    finally:
        consumer.close()
        dead_letters.close()
    return stats
