"""`scholarstream reindex`: rebuild an index from its compacted topic, then swap the alias.

The compacted entity topics (`papers.enriched`, `researcher.profiles`) hold the latest state of
every entity, so a new index (a mapping change, a corrupted index, a new analysis) is built from
them without re-running the encoder or the linker. Search keeps answering from the old index
throughout:

1. create a new physical index `<name>-v<version>-<UTC stamp>` and note the topic's end offsets;
2. bulk-load every key's last record up to those offsets (read once, from the end backwards, so
   the revisions compaction has not removed yet are neither decoded nor written; external
   versions make the order of the writes irrelevant);
3. refresh the new index, then swap the alias to it in one atomic `update_aliases` call (without
   the refresh, searches right after the swap find an index whose documents are not visible yet);
4. catch up: load what arrived in the topic during steps 2-3. The live indexer writes through the
   alias, so from the swap on it writes to the new index too; records it wrote to the old index
   before the swap are exactly what this pass re-reads from the topic.

The reindex works on the generation of the settings: its write alias moves to the new index, and
the read alias with it when it served that generation. The old index is kept (a rollback is an
alias swap) until `--cleanup` removes every physical index of that name no alias points to.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from elasticsearch import Elasticsearch
from kafka import TopicPartition

from clients import es_io, kafka_io
from foundation.errors import IndexingError, InvalidRecord
from foundation.settings import Settings
from indexers.bulk_writer import IndexAction, write_with_retry
from indexers.index_admin import alias_targets, create_physical, delete_indices, move_aliases, unused_indices
from indexers.indexer import ROUTES, Route, version_of

BATCH = 1_000
IN_FLIGHT = 2  # bulk requests Elasticsearch indexes at once while the next batch is decoded
PARALLEL_FROM = 50_000  # records below which one process loads everything (starting one takes ~1 s)


@dataclass
class ReindexResult:
    alias: str
    old_indices: list[str]
    new_index: str
    records_read: int = 0
    documents_written: int = 0
    stale: int = 0
    superseded: int = 0
    rejected: int = 0
    undecodable: int = 0
    caught_up_records: int = 0
    documents: int = 0
    seconds: float = 0.0
    documents_per_second: float = 0.0
    cleaned_up: list[str] = field(default_factory=list)


def route_for(name: str) -> Route:
    for route in ROUTES:
        if route.index.name == name:
            return route
    raise IndexingError(f"no index named {name!r}; choose one of {', '.join(r.index.name for r in ROUTES)}")


def reindex(
    es: Elasticsearch,
    settings: Settings,
    name: str,
    clock: Callable[[], datetime],
    *,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    cleanup: bool = False,
    processes: int = 1,
    parallel_from: int = PARALLEL_FROM,
) -> ReindexResult:
    """Build a new index of `name` from its topic and move the aliases to it (module docstring).

    With `processes` > 1 and at least `parallel_from` records to read, the partitions are shared
    among that many processes (each with its own Kafka consumer and Elasticsearch client): the
    decoding is Python and holds one core per process."""
    route = route_for(name)
    alias = route.index.alias(settings)
    write = route.index.write_alias(settings)
    topic = settings.topic(route.topic.name)
    began = time.monotonic()
    old = alias_targets(es, write)
    # The read alias follows when it serves this generation; a generation being rebuilt beside
    # the serving one is reindexed without touching what readers see.
    moving = [write, alias] if set(alias_targets(es, alias)) == set(old) else [write]
    new = create_physical(es, settings, route.index, suffix=clock().strftime("%Y%m%d%H%M%S"))
    result = ReindexResult(alias=alias, old_indices=old, new_index=new)

    ends = kafka_io.end_offsets(settings, topic)
    starts = {partition: 0 for partition in ends}
    if on_total is not None:
        on_total(sum(ends.values()))
    # No refreshes while the bulk load runs (nobody reads the new index yet): each one would cut
    # a small segment to merge later. The mapping's interval is back before the alias moves.
    es.indices.put_settings(index=new, settings={"index": {"refresh_interval": "-1"}})
    if processes > 1 and sum(ends.values()) >= parallel_from:
        _load_in_processes(settings, route, topic, new, ends, result, on_progress, processes)
    else:
        _load(es, settings, route, topic, new, starts, ends, result, on_progress)
    es.indices.put_settings(index=new, settings={"index": {"refresh_interval": route.index.refresh_interval}})
    es.indices.refresh(index=new)  # searchable before the alias moves: search never sees it half-empty
    move_aliases(es, {alias_name: new for alias_name in moving})
    later = kafka_io.end_offsets(settings, topic)
    before = result.records_read
    _load(es, settings, route, topic, new, ends, later, result, None)
    result.caught_up_records = result.records_read - before

    es.indices.refresh(index=new)
    result.documents = int(es.count(index=new)["count"])
    result.seconds = round(time.monotonic() - began, 2)
    result.documents_per_second = round(result.documents_written / result.seconds, 1) if result.seconds else 0.0
    if cleanup:
        result.cleaned_up = cleanup_indices(es, settings, name)
    return result


def cleanup_indices(es: Elasticsearch, settings: Settings, name: str) -> list[str]:
    """Delete every physical index of `name` that no alias (read or write) points to."""
    unused = unused_indices(es, settings, route_for(name).index)
    delete_indices(es, unused)
    return unused


def _load(
    es: Elasticsearch,
    settings: Settings,
    route: Route,
    topic: str,
    index: str,
    starts: dict[int, int],
    ends: dict[int, int],
    result: ReindexResult,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Write the last record of every key in [starts, ends) of every partition into `index`.

    One pass, from the end backwards: each partition is read in windows of WINDOW offsets, the
    last window first, and a window's records are taken newest first. The first record met of a
    key is its last one, so it is written and the key remembered; every older record of that key
    is superseded and neither decoded nor written. A compacted topic keeps older revisions until
    its cleaner runs (the `full` backfill's profiles topic held 2.8 records per researcher), so
    this reads each record once where a forward reader must read the range twice (once to find
    each key's last offset, once to write it). Decoding the next batch overlaps Elasticsearch
    indexing the previous ones (IN_FLIGHT bulks)."""
    todo = [TopicPartition(topic, p) for p in sorted(ends) if ends[p] > starts.get(p, 0)]
    if not todo:
        return
    consumer = kafka_io.consumer(settings, max_poll_records=BATCH, fetch_max_bytes=64 * 1024 * 1024)
    pool = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="reindex-bulk")
    in_flight: deque[tuple[Future, int]] = deque()
    batch: list[IndexAction] = []
    read_since_sent = 0

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            future, records = in_flight.popleft()
            _count(future.result(), result)
            if on_progress is not None:
                on_progress(records)

    def send() -> None:
        nonlocal batch, read_since_sent
        settle(keep=IN_FLIGHT - 1)
        in_flight.append((pool.submit(write_with_retry, es, index, batch), read_since_sent))
        batch, read_since_sent = [], 0

    try:
        for tp in todo:
            seen: set[bytes] = set()
            consumer.assign([tp])
            for low, high in _windows(starts.get(tp.partition, 0), ends[tp.partition]):
                records = _read_window(consumer, tp, low, high)
                result.records_read += len(records)
                read_since_sent += len(records)
                for record in reversed(records):
                    if record.key is not None:
                        if record.key in seen:
                            result.superseded += 1  # a later record of the same key was met already
                            continue
                        seen.add(record.key)
                    if record.value is None:  # a tombstone: the key's last word, nothing to index
                        continue
                    try:
                        doc_id, version, document = route.to_document(record.value)
                    except InvalidRecord:
                        result.undecodable += 1  # the live indexer dead-lettered it already
                        continue
                    key = record.key.decode("utf-8", "replace") if record.key else ""
                    batch.append(IndexAction(doc_id, version_of(version, record.offset), document, key, ""))
                    if len(batch) >= BATCH:
                        send()
        if batch or read_since_sent:
            send()
        settle(keep=0)
    finally:
        pool.shutdown(wait=True)
        consumer.close()


WINDOW = 10_000  # offsets read at once going backwards (about 50 MB of profile records at most)


def _windows(start: int, end: int, size: int = WINDOW) -> list[tuple[int, int]]:
    """[low, high) ranges covering [start, end), the last one first."""
    return [(max(start, high - size), high) for high in range(end, start, -size)]


def _read_window(consumer, tp: TopicPartition, low: int, high: int) -> list:
    """The records of `tp` (assigned) at offsets [low, high), in offset order (a compacted topic
    has gaps)."""
    consumer.seek(tp, low)
    records: list = []
    while consumer.position(tp) < high:
        for record in consumer.poll(timeout_ms=1000).get(tp, []):
            if record.offset >= high:
                return records
            records.append(record)
    return records


def shares(sizes: dict[int, int], processes: int) -> list[list[int]]:
    """Partitions dealt to at most `processes` loaders, the largest first to the least loaded, so
    each reads about as many records."""
    loads: list[tuple[int, list[int]]] = [(0, []) for _ in range(min(processes, len(sizes)))]
    for partition in sorted(sizes, key=lambda p: (-sizes[p], p)):
        lightest = min(range(len(loads)), key=lambda n: (loads[n][0], n))
        total, dealt = loads[lightest]
        loads[lightest] = (total + sizes[partition], [*dealt, partition])
    return [sorted(dealt) for _, dealt in loads if dealt]


_COUNTS = ("records_read", "documents_written", "stale", "superseded", "rejected", "undecodable")


def _load_in_processes(
    settings: Settings,
    route: Route,
    topic: str,
    index: str,
    ends: dict[int, int],
    result: ReindexResult,
    on_progress: Callable[[int], None] | None,
    processes: int,
) -> None:
    """`_load` of [0, ends) with the partitions shared among `processes` spawned processes; their
    progress and counts come back on a queue. A loader that fails or dies fails the reindex
    (the new index is not swapped in)."""
    context = multiprocessing.get_context("spawn")  # no fork of a process holding client threads
    messages = context.Queue()
    loaders = [
        context.Process(target=_load_share, name=f"reindex-load-{n}", daemon=True,
                        args=(settings, route.index.name, topic, index, {p: ends[p] for p in share}, messages))
        for n, share in enumerate(shares(ends, processes))
    ]
    for loader in loaders:
        loader.start()
    running = len(loaders)
    try:
        while running:
            try:
                kind, value = messages.get(timeout=1.0)
            except queue.Empty:
                if not any(loader.is_alive() for loader in loaders):
                    raise IndexingError("a reindex loader process died before it finished") from None
                continue
            if kind == "progress" and on_progress is not None:
                on_progress(value)
            elif kind == "done":
                running -= 1
                for name in _COUNTS:
                    setattr(result, name, getattr(result, name) + value[name])
            elif kind == "failed":
                raise IndexingError(f"a reindex loader failed: {value}")
    finally:
        for loader in loaders:
            if loader.is_alive():
                loader.terminate()
            loader.join(10)


def _load_share(settings: Settings, name: str, topic: str, index: str, ends: dict[int, int], messages) -> None:
    """One loader process: `_load` of its partitions, reporting progress and its counts."""
    try:
        share = ReindexResult(alias="", old_indices=[], new_index=index)
        _load(es_io.client(settings), settings, route_for(name), topic, index, dict.fromkeys(ends, 0), ends, share,
              lambda records: messages.put(("progress", records)))
        messages.put(("done", {count: getattr(share, count) for count in _COUNTS}))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the reindex
        messages.put(("failed", f"{type(error).__name__}: {error}"))


def _count(outcome, result: ReindexResult) -> None:
    if outcome is None:  # only when told to stop, which a reindex never is
        raise IndexingError("the reindex was stopped before Elasticsearch acknowledged a batch")
    result.documents_written += outcome.written
    result.stale += outcome.stale
    result.rejected += len(outcome.rejected)
