"""The papers indexer against real Kafka and Elasticsearch: idempotent, never backwards, nothing lost."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np

from clients import es_io, kafka_io
from indexers.indexer import INDEXER_GROUP, run_indexer
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.dead_letters import DeadLetter
from schemas.papers import EnrichedPaper
from schemas.topics import INDEX_DLQ, PAPERS_ENRICHED
from tests.factories import enriched_paper
from tests.integration.conftest import FIXTURE_SNAPSHOT, read_topic

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def enriched_papers(dim: int = 8) -> list[EnrichedPaper]:
    rng = np.random.default_rng(7)
    return [
        enriched_paper(snapshot_record_to_paper(line), rng.standard_normal(dim).astype(np.float32))
        for line in read_snapshot(FIXTURE_SNAPSHOT)
    ]


def produce(settings, topic, items):
    producer = kafka_io.producer(settings)
    for key, value in items:
        producer.send(topic, key=key.encode(), value=value if isinstance(value, bytes) else value.encode())
    producer.flush()
    producer.close()


def index_until(settings, condition, timeout=60.0):
    es = es_io.client(settings)
    stop = threading.Event()
    thread = threading.Thread(target=run_indexer, args=(settings, es, stop, lambda: NOW), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            lag = kafka_io.group_lag(settings, settings.group(INDEXER_GROUP), settings.topic(PAPERS_ENRICHED.name))
            if sum(lag.values()) == 0 and condition(es):
                return es
            time.sleep(0.5)
        raise AssertionError("indexer did not reach the expected state in time")
    finally:
        stop.set()
        thread.join(30)


def count(es, settings) -> int:
    es.indices.refresh(index=settings.index("papers"))
    return es.count(index=settings.index("papers"))["count"]


def test_indexes_every_paper_once_and_never_moves_backwards(settings):
    topic = settings.topic(PAPERS_ENRICHED.name)
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    papers = enriched_papers()
    produce(settings, topic, [(p.arxiv_id, p.model_dump_json()) for p in papers])

    es = index_until(settings, lambda es: count(es, settings) == 40)
    first = es.get(index=settings.index("papers"), id="1006.5314")
    assert first["_version"] == 2  # external version = the paper's version
    assert first["_source"]["title"].startswith("Photoassociation")

    # A replay of everything plus an older version with other content: nothing changes.
    older = papers[0].model_copy(update={"paper": papers[0].paper.model_copy(update={"version": 1, "title": "OLD"})})
    produce(settings, topic, [(p.arxiv_id, p.model_dump_json()) for p in papers] + [(older.arxiv_id, older.model_dump_json())])
    es = index_until(settings, lambda _es: True)
    assert count(es, settings) == 40
    again = es.get(index=settings.index("papers"), id="1006.5314")
    assert again["_version"] == 2 and again["_source"] == first["_source"]


def test_rejected_and_undecodable_documents_go_to_the_dead_letter_topic(settings):
    topic = settings.topic(PAPERS_ENRICHED.name)
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    good = enriched_papers(dim=8)
    wrong_dims = enriched_papers(dim=3)[5]  # Elasticsearch refuses a vector of another length
    produce(settings, topic, [(p.arxiv_id, p.model_dump_json()) for p in good[:5]])
    index_until(settings, lambda es: count(es, settings) == 5)
    produce(settings, topic, [(wrong_dims.arxiv_id, wrong_dims.model_dump_json()), ("1006.0000", b"{broken")])

    es = index_until(settings, lambda _es: len(read_topic(settings, settings.topic(INDEX_DLQ.name))) == 2)

    letters = {
        DeadLetter.model_validate_json(r.value).key: DeadLetter.model_validate_json(r.value)
        for r in read_topic(settings, settings.topic(INDEX_DLQ.name))
    }
    assert set(letters) == {wrong_dims.arxiv_id, "1006.0000"}
    assert "dims" in letters[wrong_dims.arxiv_id].reason or "dimension" in letters[wrong_dims.arxiv_id].reason
    assert letters["1006.0000"].payload == "{broken"
    assert count(es, settings) == 5
