"""`scholarstream indexer`: one Kafka consumer group that writes papers and researchers to Elasticsearch.

It reads the entity topics (`papers.enriched`, `researcher.profiles`, `researcher.profile.works`,
`researcher.signals.outcomes`); each record becomes one document whose `_id` is the record's entity
id and whose external version is the paper version or the profile revision, so a replay or a
re-delivery never moves a document backwards (a work that left its researcher is deleted at that
version). A signal's outcome has no version of its own (a signal handled again is decided again,
at the same record time): its record's offset orders it, since one signal id's outcomes share a
partition and its last record is the one that stands.
Offsets are committed only after Elasticsearch acknowledged the whole batch: a crash re-delivers
at most one batch, and the versions make that harmless. Records that cannot be decoded, and
documents Elasticsearch rejects, go to `index.dlq` with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from elasticsearch import Elasticsearch
from kafka.errors import CommitFailedError
from pydantic import ValidationError

from clients import kafka_io
from clients.handover import take_over
from foundation.errors import InvalidRecord
from foundation.settings import Settings
from indexers.bulk_writer import IndexAction, latest_per_document, write_with_retry
from indexers.documents import (
    paper_document,
    researcher_document,
    researcher_work_document,
    signal_outcome_document,
    work_document_id,
)
from indexers.index_admin import ensure_index
from indexers.mappings import PAPERS, RESEARCHER_WORKS, RESEARCHERS, SIGNAL_OUTCOMES, IndexSpec
from indexers.refresh_pacing import RefreshPacer, RefreshPolicy
from schemas.dead_letters import dead_letter as build_dead_letter
from schemas.papers import describe_validation_error, parse_enriched_paper
from schemas.profiles import ProfileWork, ResearcherProfile
from schemas.signal_outcomes import SignalOutcomeEvent
from schemas.topics import INDEX_DLQ, PAPERS_ENRICHED, RESEARCHER_PROFILE_WORKS, RESEARCHER_PROFILES, TopicSpec
from schemas.topics import SIGNAL_OUTCOMES as SIGNAL_OUTCOMES_TOPIC

log = logging.getLogger(__name__)

INDEXER_GROUP = "scholarstream-indexer"


def paper_action(value: bytes) -> tuple[str, int, dict]:
    item = parse_enriched_paper(value)
    return item.arxiv_id, item.paper.version, paper_document(item)


def researcher_action(value: bytes) -> tuple[str, int, dict]:
    try:
        profile = ResearcherProfile.model_validate_json(value)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error
    return profile.researcher_id, profile.revision, researcher_document(profile)


def researcher_work_action(value: bytes) -> tuple[str, int, dict | None]:
    try:
        item = ProfileWork.model_validate_json(value)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error
    return work_document_id(item.researcher_id, item.work.arxiv_id), item.revision, researcher_work_document(item)


def signal_outcome_action(value: bytes) -> tuple[str, None, dict]:
    try:
        item = SignalOutcomeEvent.model_validate_json(value)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error
    return item.signal_id, None, signal_outcome_document(item)


@dataclass(frozen=True)
class Route:
    """Which topic feeds which index, and how a record becomes (id, version, document): a document
    of None deletes, a version of None means the record's offset orders the writes (`version_of`)."""

    topic: TopicSpec
    index: IndexSpec
    to_document: Callable[[bytes], tuple[str, int | None, dict | None]]


ROUTES = (
    Route(PAPERS_ENRICHED, PAPERS, paper_action),
    Route(RESEARCHER_PROFILES, RESEARCHERS, researcher_action),
    Route(RESEARCHER_PROFILE_WORKS, RESEARCHER_WORKS, researcher_work_action),
    Route(SIGNAL_OUTCOMES_TOPIC, SIGNAL_OUTCOMES, signal_outcome_action),
)

INDEXER_INPUTS = tuple(route.topic for route in ROUTES)


def version_of(version: int | None, offset: int) -> int:
    """The external version of a record's document: its own, else its offset (plus one: from 1, as
    the others count) for a topic whose last record of a key is the one that stands."""
    return version if version is not None else offset + 1


def routes_for(settings: Settings) -> tuple[Route, ...]:
    """The routes of the stages this process runs (a rebuild from `link` leaves papers alone)."""
    return tuple(route for route in ROUTES if route.index.stage in settings.stages)


@dataclass
class IndexerStats:
    batches: int = 0
    written: int = 0
    stale: int = 0
    superseded: int = 0  # a newer action of the same document came in the same batch: not sent (latest_per_document)
    dead_lettered: int = 0


def run_indexer(
    settings: Settings,
    es: Elasticsearch,
    stop: threading.Event,
    clock: Callable[[], datetime],
    on_batch: Callable[[IndexerStats], None] | None = None,
    backlog: Callable[[], int | None] | None = None,
) -> IndexerStats:
    """Index until `stop` is set. `backlog`, when given, gives the worker group's records still to
    go (None: not read yet) at once, and paces the indices' refresh interval by it (indexers/refresh_pacing.py)."""
    routes_here = routes_for(settings)
    kafka_io.through_failover(lambda: kafka_io.ensure_topics(settings, [*(route.topic for route in routes_here), INDEX_DLQ]))
    for route in routes_here:
        ensure_index(es, settings, route.index)
    # Writes go through this generation's write alias, so a reindex's alias swap redirects them
    # with no restart, and a generation being rebuilt never writes into what readers see.
    routes = {settings.topic(route.topic.name): (route, route.index.write_alias(settings)) for route in routes_here}
    for topic in [route.topic.name for route in routes_here if route.index.stage == "enrich"]:
        # after a rebuild from `link`: papers continue where they were
        kafka_io.through_failover(partial(take_over, settings, INDEXER_GROUP, topic))
    consumer = kafka_io.through_failover(lambda: kafka_io.consumer(
        settings,
        *routes,
        group_id=settings.group(INDEXER_GROUP),
        auto_offset_reset="earliest",
        max_poll_records=500,
        max_poll_interval_ms=900_000,  # an Elasticsearch outage must not cost the group its partitions
    ))
    dead_letters = kafka_io.through_failover(lambda: kafka_io.producer(settings))
    dlq_topic = settings.topic(INDEX_DLQ.name)
    stats = IndexerStats()
    pacer = refresh_pacer(settings, es, routes_here, backlog)

    def dead_letter(source: str, key: str, payload: str, reason: str) -> None:
        letter = build_dead_letter(stage="index", reason=reason, source=source, key=key, payload=payload, failed_at=clock())
        dead_letters.send(dlq_topic, key=key.encode(), value=letter.model_dump_json().encode())
        stats.dead_lettered += 1

    try:
        while not stop.is_set():
            polled = consumer.poll(timeout_ms=500)
            if pacer is not None:
                pacer.tick()
            records = [record for batch in polled.values() for record in batch]
            if not records:
                continue
            actions: dict[str, list[IndexAction]] = {}
            for record in records:
                route, index = routes[record.topic]
                key = record.key.decode("utf-8", "replace") if record.key else ""
                payload = record.value.decode("utf-8", "replace") if record.value else ""
                try:
                    doc_id, version, document = route.to_document(record.value or b"")
                except InvalidRecord as error:
                    dead_letter(record.topic, key, payload, error.reason)
                    continue
                actions.setdefault(index, []).append(
                    IndexAction(doc_id, version_of(version, record.offset), document, f"{record.topic}\n{key}", payload)
                )
            written = 0
            for index, everything in actions.items():
                batch, superseded = latest_per_document(everything)
                stats.superseded += superseded
                outcome = write_with_retry(
                    es, index, batch, should_stop=stop.is_set,
                    on_retry=lambda attempt, delay, error: log.warning(
                        "Elasticsearch write failed (attempt %d, retry in %.1fs): %s", attempt, delay, error
                    ),
                )
                if outcome is None:
                    return stats  # stopped while Elasticsearch was down: leave the offsets uncommitted
                for action, reason in outcome.rejected:
                    source, _, key = action.source_key.partition("\n")
                    dead_letter(source, key, action.payload, reason)
                written += outcome.written
                stats.stale += outcome.stale
            dead_letters.flush()
            try:
                consumer.commit()
            except CommitFailedError as error:
                log.warning("offset commit failed after a rebalance; the batch will be re-delivered: %s", error)
            stats.batches += 1
            stats.written += written
            if on_batch is not None:
                on_batch(stats)
    finally:
        if pacer is not None:
            pacer.restore()
        consumer.close()
        dead_letters.close()
    return stats


def refresh_pacer(
    settings: Settings, es: Elasticsearch, routes: tuple[Route, ...], backlog: Callable[[], int | None] | None
) -> RefreshPacer | None:
    """The pacer of the indices `routes` write, or None (no backlog reading, or pacing is off)."""
    if backlog is None or settings.indexer_backlog_refresh_interval == "off":
        return None
    enter = settings.indexer_backlog_records
    policy = RefreshPolicy(settings.indexer_backlog_refresh_interval, enter_backlog=enter, leave_backlog=enter // 5)
    return RefreshPacer(es, {route.index.write_alias(settings): route.index.refresh_interval for route in routes}, backlog, policy)
