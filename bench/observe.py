"""Watching a run from outside: Kafka record timestamps of a topic, Elasticsearch counts over time.

Nothing here changes what it watches, so it may watch any namespace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from elasticsearch import Elasticsearch, NotFoundError
from kafka import TopicPartition

from clients import kafka_io
from foundation.settings import Settings
from scholarstream.proc_usage import usage_of


def topic_stamps(settings: Settings, topic: str, timeout: float = 600) -> list[tuple[int, int, bytes | None]]:
    """(Kafka timestamp in ms, partition, key) of every record of `topic` up to its current end."""
    ends = kafka_io.end_offsets(settings, topic)
    tps = [TopicPartition(topic, p) for p, end in ends.items() if end > 0]
    if not tps:
        return []
    consumer = kafka_io.consumer(settings, max_poll_records=5_000, fetch_max_bytes=64 * 1024 * 1024)
    stamps: list[tuple[int, int, bytes | None]] = []
    deadline = time.monotonic() + timeout
    try:
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while any(consumer.position(tp) < ends[tp.partition] for tp in tps) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                stamps.extend((r.timestamp, tp.partition, r.key) for r in records if r.offset < ends[tp.partition])
    finally:
        consumer.close()
    return stamps


@dataclass(frozen=True)
class IndexSample:
    at: float  # time.time()
    searchable: dict[str, int]  # alias -> documents visible to search (_count)
    indexed: dict[str, int]  # alias -> index operations so far (visible or not)
    cpu_seconds: dict[str, float]  # role -> CPU time used so far by its process


def role_pids(runner: int, workers: int = 1) -> dict[str, int]:
    """The `scholarstream run` process's children by role, from /proc: `indexer`, and `worker` (a run
    of one worker) or `worker-1` .. `worker-N` (a run of several, by pid, as they appear)."""
    pids: dict[str, int] = {}
    several, found = workers, []
    try:
        children = Path(f"/proc/{runner}/task/{runner}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        try:
            words = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in words:
            found.append(int(child))
        elif b"indexer" in words:
            pids["indexer"] = int(child)
    if several == 1 and found:
        pids["worker"] = found[0]
    elif several > 1:
        pids.update({f"worker-{i}": pid for i, pid in enumerate(sorted(found), 1)})
    return pids


class IndexSampler(threading.Thread):
    """Polls `_count` and the indexing stats of some aliases every `interval` seconds."""

    def __init__(self, es: Elasticsearch, aliases: list[str], interval: float = 0.5,
                 processes: Callable[[], dict[str, int]] = dict) -> None:
        super().__init__(daemon=True, name="index-sampler")
        self.es, self.aliases, self.interval, self.processes = es, aliases, interval, processes
        self.samples: list[IndexSample] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append(self.sample())
            self._halt.wait(self.interval)

    def sample(self) -> IndexSample:
        searchable, indexed = {}, {}
        for alias in self.aliases:
            try:
                searchable[alias] = int(self.es.count(index=alias)["count"])
                stats = self.es.indices.stats(index=alias, metric="indexing")["_all"]["primaries"]["indexing"]
                indexed[alias] = int(stats["index_total"])
            except NotFoundError:
                searchable[alias] = indexed[alias] = 0
        cpu = {}
        for role, pid in self.processes().items():
            usage = usage_of(pid)
            if usage is not None:
                cpu[role] = usage.cpu_seconds
        return IndexSample(time.time(), searchable, indexed, cpu)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def first_time(samples: list[IndexSample], alias: str, reached: int, field: str = "searchable") -> float | None:
    """When `field` of `alias` first reached `reached` (None if it never did)."""
    for sample in samples:
        if getattr(sample, field).get(alias, 0) >= reached:
            return sample.at
    return None


def cpu_between(samples: list[IndexSample], role: str, start: float, end: float) -> float | None:
    """CPU seconds `role` used between the last sample at or before `start` and the first at or after `end`."""
    before = [s for s in samples if s.at <= start and role in s.cpu_seconds]
    after = [s for s in samples if s.at >= end and role in s.cpu_seconds]
    if not before or not after:
        return None
    return after[0].cpu_seconds[role] - before[-1].cpu_seconds[role]
