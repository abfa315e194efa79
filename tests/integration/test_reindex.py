"""`reindex` against real Kafka and Elasticsearch: a new index from the compacted topic, an atomic
alias swap while searches and the live indexer keep running, nothing lost, cleanup on request."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from elasticsearch import ApiError

from clients import es_io, kafka_io
from indexers.index_admin import alias_targets
from indexers.indexer import INDEXER_GROUP, run_indexer
from indexers.reindex import reindex
from indexers.researcher_search import ResearcherQuery, search_researchers
from schemas.topics import INDEX_DLQ, RESEARCHER_PROFILES
from tests.integration.test_researcher_search import corpus, produce_profiles, revisions

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def documents(es, index):
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"match_all": {}}, size=1000, version=True)["hits"]["hits"]
    return {h["_id"]: (h["_version"], h["_source"]) for h in hits}


def wait_for_lag_zero(settings, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lag = kafka_io.group_lag(settings, settings.group(INDEXER_GROUP), settings.topic(RESEARCHER_PROFILES.name))
        if lag and sum(lag.values()) == 0:
            return
        time.sleep(0.3)
    raise AssertionError("the indexer did not catch up")


def test_reindex_swaps_the_alias_while_search_and_the_live_indexer_keep_going(settings):
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, INDEX_DLQ])
    produce_profiles(settings, [p for emitted in corpus().values() for p in emitted])
    es = es_io.client(settings)
    stop = threading.Event()
    indexer = threading.Thread(target=run_indexer, args=(settings, es, stop, lambda: NOW), daemon=True)
    indexer.start()
    alias = settings.index("researchers")
    searches = {"ok": 0, "failed": [], "empty": 0}
    searching = threading.Event()

    def search_all_the_time():
        while not searching.is_set():
            try:
                hits = search_researchers(es, settings, ResearcherQuery("Balazs, C")).hits
                searches["ok"] += 1
                searches["empty"] += not hits
            except Exception as error:  # noqa: BLE001 - recorded  (every failure is recorded and fails the test)
                searches["failed"].append(repr(error))
            time.sleep(0.005)

    try:
        wait_for_lag_zero(settings)
        (old,) = alias_targets(es, alias)
        before = documents(es, alias)
        searcher = threading.Thread(target=search_all_the_time, daemon=True)
        searcher.start()
        late = revisions("r-late", "Late Arrival", "Arrival", "cs.IR", ["Written during the reindex"])
        sent = []

        def write_one_more_profile_mid_reindex(_: int) -> None:
            if not sent:
                produce_profiles(settings, late)
                sent.append(True)

        result = reindex(es, settings, "researchers", lambda: NOW, on_progress=write_one_more_profile_mid_reindex)
        wait_for_lag_zero(settings)
        time.sleep(1.5)  # let the searcher run against the new index too
        searching.set()
        searcher.join(10)
    finally:
        stop.set()
        indexer.join(30)

    assert alias_targets(es, alias) == [result.new_index] and result.old_indices == [old]
    after = documents(es, alias)
    assert set(after) == set(before) | {"r-late"}, "nothing lost, and the record written during the reindex is there"
    assert {k: v for k, v in after.items() if k != "r-late"} == {
        k: (v[0], v[1]) for k, v in before.items()
    }, "same versions and same documents"
    assert es.indices.exists(index=old), "the old index stays until --cleanup"
    assert sent and searches["failed"] == [] and searches["empty"] == 0 and searches["ok"] > 20
    assert result.documents == len(before) + 1 and result.caught_up_records >= 1 and result.documents_per_second > 0
    assert result.superseded > 0, "older revisions of a profile are skipped, and the documents are still the same"



def test_cleanup_removes_only_indices_the_alias_does_not_use(settings):
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, INDEX_DLQ])
    produce_profiles(settings, corpus()["csaba"])
    es = es_io.client(settings)
    first = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 1, tzinfo=UTC))
    second = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 2, tzinfo=UTC), cleanup=True)
    assert second.cleaned_up == [first.new_index] or set(second.cleaned_up) >= {first.new_index}
    assert alias_targets(es, settings.index("researchers")) == [second.new_index]
    assert second.documents == 1
    try:
        es.indices.get(index=first.new_index)
        raise AssertionError("the replaced index should be gone")
    except ApiError as error:
        assert error.meta.status == 404


def test_a_reindex_in_small_windows_reads_each_record_once_and_writes_each_key_last(settings, monkeypatch):
    """Read backwards in windows of 3 offsets: keys whose revisions straddle windows, and a key whose
    last record is a tombstone, give exactly the documents the live indexer wrote."""
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, INDEX_DLQ])
    emitted = [p for name, revs in corpus().items() if name != "atlas" for p in revs]
    produce_profiles(settings, emitted)
    gone = corpus()["atlas"]
    produce_profiles(settings, gone)
    producer = kafka_io.producer(settings)
    producer.send(settings.topic(RESEARCHER_PROFILES.name), key=gone[0].researcher_id.encode(), value=None)
    producer.flush()
    producer.close()
    es = es_io.client(settings)
    built = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 1, tzinfo=UTC))
    monkeypatch.setattr("indexers.reindex.WINDOW", 3)
    windowed = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 2, tzinfo=UTC))

    records = len(emitted) + len(gone) + 1
    keys = {p.researcher_id for p in emitted}
    for result in (built, windowed):
        assert result.records_read == records, "each record read once"
        assert result.superseded == records - len(keys) - 1, "every older revision skipped, the tombstone's key too"
        assert result.documents_written == result.documents == len(keys)
    latest = {p.researcher_id: p for p in emitted}  # produced in revision order
    after = documents(es, windowed.new_index)
    assert set(after) == keys, "the tombstoned researcher is not indexed"
    assert {rid: source["revision"] for rid, (_, source) in after.items()} == {
        rid: p.revision for rid, p in latest.items()}
    assert after == documents(es, built.new_index)


def test_a_reindex_shared_among_processes_writes_what_one_process_writes(settings):
    """Two spawned loader processes, each with its own partitions, consumer and client: the same
    documents, versions and counts as one process, and the progress of both reaches the caller."""
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, INDEX_DLQ])
    emitted = [p for revs in corpus().values() for p in revs]
    produce_profiles(settings, emitted)
    ends = kafka_io.end_offsets(settings, settings.topic(RESEARCHER_PROFILES.name))
    assert len(ends) == 2 and all(ends.values()), "both partitions hold records, so both processes work"
    es = es_io.client(settings)
    one = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 1, tzinfo=UTC))
    reported: list[int] = []
    two = reindex(es, settings, "researchers", lambda: datetime(2026, 11, 29, 2, tzinfo=UTC),
                  on_progress=reported.append, processes=2, parallel_from=0)
    for field in ("records_read", "documents_written", "superseded", "documents"):
        assert getattr(two, field) == getattr(one, field), field
    assert sum(reported) == len(emitted) and len(reported) >= 2
    assert documents(es, two.new_index) == documents(es, one.new_index)
