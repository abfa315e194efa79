"""The indexer's refresh pacing against real Kafka and Elasticsearch: a backlog slows the indices'
refresh, its end (or the indexer's stop, or the next start after a kill) gives each its mapping's
interval back, and documents are indexed all the while."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from clients import es_io, kafka_io
from indexers.index_admin import ensure_index
from indexers.indexer import run_indexer
from indexers.mappings import PAPERS, RESEARCHERS
from indexers.refresh_pacing import RefreshPacer, RefreshPolicy
from schemas.topics import INDEX_DLQ, PAPERS_ENRICHED, PAPERS_RAW
from scholarstream.pipeline import worker_backlog
from tests.integration.test_papers_indexer import NOW, count, enriched_papers, produce


def refresh_interval(es, settings, spec) -> str:
    found = es.indices.get_settings(index=spec.write_alias(settings), name="index.refresh_interval")
    (only,) = found.values()
    return only["settings"]["index"]["refresh_interval"]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError("the condition did not hold in time")


def test_worker_backlog_counts_the_records_the_worker_group_has_not_committed(settings):
    kafka_io.ensure_topics(settings, [PAPERS_RAW])
    produce(settings, settings.topic(PAPERS_RAW.name), [(f"2601.{n:05d}", b"{}") for n in range(30)])
    with kafka_io.LagReader(settings) as reader:
        assert worker_backlog(settings, reader) == 30


def test_a_backlog_slows_the_refresh_and_its_end_and_the_stop_restore_it(settings, monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_INDEXER_BACKLOG_RECORDS", "1000")
    settings = type(settings)(_env_file=None)
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    es = es_io.client(settings)
    backlog = [4_000]
    stop = threading.Event()
    thread = threading.Thread(
        target=run_indexer, args=(settings, es, stop, lambda: NOW), kwargs={"backlog": lambda: backlog[0]}, daemon=True
    )
    # the pacer sets the indices one after the other: wait for both, never read one and assert the other
    def both_at(interval: str) -> bool:
        return refresh_interval(es, settings, PAPERS) == refresh_interval(es, settings, RESEARCHERS) == interval

    thread.start()
    try:
        wait_for(lambda: es.indices.exists_alias(name=PAPERS.write_alias(settings)).body)
        wait_for(lambda: es.indices.exists_alias(name=RESEARCHERS.write_alias(settings)).body)
        wait_for(lambda: both_at("30s"))

        papers = enriched_papers()
        produce(settings, settings.topic(PAPERS_ENRICHED.name), [(p.arxiv_id, p.model_dump_json()) for p in papers])
        wait_for(lambda: count(es, settings) == len(papers))  # indexed all the while (count refreshes)

        backlog[0] = 300  # above a fifth of 1,000: still a backlog
        time.sleep(6)  # past one check
        assert refresh_interval(es, settings, PAPERS) == "30s"
        backlog[0] = 199
        wait_for(lambda: both_at("1s"), timeout=15)

        backlog[0] = 1_000
        wait_for(lambda: both_at("30s"), timeout=15)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert refresh_interval(es, settings, PAPERS) == "1s"
    assert refresh_interval(es, settings, RESEARCHERS) == "1s"


def test_an_indexer_starting_after_a_kill_in_a_backlog_restores_the_mapping_interval(settings):
    """The slow interval a killed indexer left behind (set here as it would have) does not outlive it."""
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    es = es_io.client(settings)
    ensure_index(es, settings, PAPERS)
    es.indices.put_settings(index=PAPERS.write_alias(settings), settings={"index": {"refresh_interval": "30s"}})
    stop = threading.Event()
    thread = threading.Thread(
        target=run_indexer, args=(settings, es, stop, lambda: NOW), kwargs={"backlog": lambda: 0}, daemon=True
    )
    thread.start()
    try:
        wait_for(lambda: refresh_interval(es, settings, PAPERS) == "1s", timeout=15)
    finally:
        stop.set()
        thread.join(30)


def test_pacing_off_leaves_the_mapping_interval_whatever_the_backlog(settings, monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_INDEXER_BACKLOG_REFRESH_INTERVAL", "off")
    settings = type(settings)(_env_file=None)
    kafka_io.ensure_topics(settings, [PAPERS_ENRICHED, INDEX_DLQ])
    es = es_io.client(settings)
    stop = threading.Event()
    batches = []
    thread = threading.Thread(
        target=run_indexer, args=(settings, es, stop, lambda: NOW),
        kwargs={"backlog": lambda: 10**9, "on_batch": batches.append}, daemon=True,
    )
    thread.start()
    try:
        papers = enriched_papers()[:5]
        produce(settings, settings.topic(PAPERS_ENRICHED.name), [(p.arxiv_id, p.model_dump_json()) for p in papers])
        wait_for(lambda: batches)  # the indexer has polled and written
        assert refresh_interval(es, settings, PAPERS) == "1s"
    finally:
        stop.set()
        thread.join(30)


def test_what_was_indexed_under_the_slow_interval_is_searchable_the_moment_it_is_restored(settings):
    """Restoring the interval alone leaves the documents to the next scheduled refresh (measured:
    two tries in four saw none of them right after); the pacer refreshes as it restores. Five
    rounds, so a pacer that did not would almost surely be caught."""
    es = es_io.client(settings)
    ensure_index(es, settings, PAPERS)
    alias = PAPERS.write_alias(settings)
    for round_ in range(5):
        pacer = RefreshPacer(es, {alias: "1s"}, lambda: 50_000, RefreshPolicy())
        pacer.tick()
        assert refresh_interval(es, settings, PAPERS) == "30s"
        ids = [f"{round_}-{n}" for n in range(20)]
        for doc_id in ids:
            es.index(index=alias, id=doc_id, document={"arxiv_id": doc_id})
        pacer.restore()
        assert es.count(index=alias, query={"prefix": {"arxiv_id": f"{round_}-"}})["count"] == len(ids)
