"""Elasticsearch's cost of keeping the researchers index current, revision after revision.

The indexer writes every revision of a researcher's profile as it is published: about 2.6 a paper,
each replacing the whole document (its vector included). Replaced documents leave deletions in
their segments, and merges rewrite them. `bench.index_mapping` loads each researcher once, so it
sees none of that. This replays a namespace's `researcher.profiles` topic in the order the records
were published (partitions interleaved by timestamp), every revision, as the indexer writes them
(external versions, batches of the indexer's mean size, one request at a time), into scratch indices
that differ in one setting, and reads Elasticsearch's own process CPU at each tenth of the replay:
whether a revision costs more once the index holds more, and what each setting changes. The
documents and bulk bodies are built once beforehand (`indexers.indexer.researcher_action`), so the
Python side costs little while Elasticsearch works. Variants alternate within each round.

Later revisions are larger documents (a profile gains works and collaborators), so a tenth's CPU
rises with its documents as well as with the index. Each run reports the bulk bytes a revision by
tenth, and the control variant "as shipped, in a random order" writes the same revisions shuffled
(a fixed seed; plain versions, so every write replaces, as the in-order replay's writes do): its
tenths carry documents of the same sizes, so what still grows there is the index's own doing.

Usage: python -m bench.index_updates --source-namespace benchfull [--records N] [--rounds 2]
       [--variant NAME ...] [--refresh-interval 30s]
"""

from __future__ import annotations

import argparse
import copy
import heapq
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from kafka import TopicPartition

from bench.common import alternated_runs, elasticsearch_cpu_ms, namespace_settings, print_table, write_result
from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.indexer import researcher_action
from indexers.mappings import RESEARCHERS
from schemas.topics import RESEARCHER_PROFILES

BATCH = 50  # documents a bulk request: the indexer's mean on the whole 2016 harvest (675,490 in 14,202)
PARTS = 10  # the replay is measured in tenths

IndexSettings = dict[str, Any]
Mapping = dict[str, Any]


def _settings(**changes: Any) -> Callable[[IndexSettings, Mapping], tuple[IndexSettings, Mapping]]:
    return lambda settings, mapping: ({**settings, **changes}, mapping)


def _vector_not_indexed(settings: IndexSettings, mapping: Mapping) -> tuple[IndexSettings, Mapping]:
    field = mapping["properties"]["embedding"]
    field["index"] = False
    field.pop("similarity", None)
    field.pop("index_options", None)
    return settings, mapping


VARIANTS: dict[str, Callable[[IndexSettings, Mapping], tuple[IndexSettings, Mapping]]] = {
    "as shipped": _settings(),
    "deletes_pct_allowed 40": _settings(**{"merge.policy.deletes_pct_allowed": 40}),
    "segments_per_tier 20": _settings(**{"merge.policy.segments_per_tier": 20}),
    "floor_segment 20mb": _settings(**{"merge.policy.floor_segment": "20mb"}),
    "vector not indexed": _vector_not_indexed,
    "as shipped, in a random order": _settings(),
}
SHUFFLED = frozenset({"as shipped, in a random order"})  # variants that replay the revisions shuffled
SEED = 17


def published(settings: Settings, limit: int | None) -> Iterator[bytes]:
    """The topic's record values in the order they were published: each partition in offset order,
    partitions interleaved by record timestamp. Tombstones are skipped (the indexer deletes, which
    this does not measure)."""
    consumer = kafka_io.consumer(settings,
                                 max_partition_fetch_bytes=50_000_000, fetch_max_bytes=100_000_000)
    try:
        topic = settings.topic(RESEARCHER_PROFILES.name)
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: dict[int, list[tuple[int, int, bytes]]] = {tp.partition: [] for tp in partitions}
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            for tp, batch in consumer.poll(timeout_ms=1_000).items():
                records[tp.partition].extend((r.timestamp, r.offset, r.value) for r in batch if r.value)
                if batch and batch[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
    finally:
        consumer.close()
    merged = heapq.merge(*records.values())
    for number, (_timestamp, _offset, value) in enumerate(merged):
        if limit is not None and number >= limit:
            return
        yield value


def encode_revisions(values: list[bytes]) -> list[tuple[str, int, bytes]]:
    """Each revision as the indexer writes it: its document id, its version and the encoded document."""
    out = []
    for value in values:
        doc_id, version, document = researcher_action(value)
        out.append((doc_id, version, json.dumps(document, separators=(",", ":")).encode()))
    return out


def bodies(built: list[tuple[str, int, bytes]], external: bool = True) -> list[bytes]:
    """Bulk bodies of BATCH documents each, as the indexer writes them (external versions; plain
    ones with `external` false), for a request that names its index."""
    chunks = []
    for start in range(0, len(built), BATCH):
        lines = []
        for doc_id, version, document in built[start:start + BATCH]:
            action = {"_id": doc_id, "version": version, "version_type": "external"} if external else {"_id": doc_id}
            lines.append(json.dumps({"index": action}).encode())
            lines.append(document)
        chunks.append(b"\n".join(lines) + b"\n")
    return chunks


def shuffled(items: list[Any]) -> list[Any]:
    """The same revisions in a random order that is the same on every run."""
    out = list(items)
    random.Random(SEED).shuffle(out)
    return out


def tenths_of(chunks: int, records: int) -> list[tuple[int, int]]:
    """For each tenth of the replay: the number of chunks written when it ends, and the revisions in it."""
    out, written = [], 0
    for part in range(1, PARTS + 1):
        end = round(chunks * part / PARTS)
        out.append((end, min(end * BATCH, records) - written))
        written += out[-1][1]
    return out


def bytes_by_tenth(chunks: list[bytes], records: int) -> list[float]:
    """The bulk bytes a revision in each tenth of the replay."""
    out, start = [], 0
    for end, revisions in tenths_of(len(chunks), records):
        out.append(sum(len(chunk) for chunk in chunks[start:end]) / revisions if revisions else 0.0)
        start = end
    return out


def ratio(later: float, earlier: float) -> float | None:
    """later / earlier, or None when earlier is zero (for CPU: the counter had not moved yet, a replay too short)."""
    return round(later / earlier, 3) if earlier else None


def replay(es, name: str, chunks: list[bytes], records: int, refresh_interval: str, index: str) -> dict[str, Any]:
    change = VARIANTS[name]
    index_settings, mapping = change(
        {**RESEARCHERS.settings, "number_of_replicas": 0, "refresh_interval": refresh_interval},
        copy.deepcopy(RESEARCHERS.mappings))
    es.indices.create(index=index, mappings=mapping, settings={"index": index_settings})
    revisions_in: dict[int, int] = {}  # chunk number that ends a tenth -> its revisions (short replays: tenths share one)
    for end, revisions in tenths_of(len(chunks), records):
        revisions_in[end] = revisions_in.get(end, 0) + revisions
    sizes = bytes_by_tenth(chunks, records)
    try:
        tenths: list[float] = []
        conflicts = 0
        began = time.monotonic()
        cpu_start = cpu_before = elasticsearch_cpu_ms(es)
        done = 0
        for number, body in enumerate(chunks, 1):
            reply = es.options(request_timeout=300).bulk(index=index, operations=body)
            if reply["errors"]:
                for item in reply["items"]:
                    status = item["index"].get("status", 200)
                    if status == 409:
                        conflicts += 1  # an older revision after a newer one: the indexer skips it too
                    elif status >= 300:
                        raise RuntimeError(f"{name}: {item['index'].get('error')}")
            if number in revisions_in:
                cpu_now = elasticsearch_cpu_ms(es)
                tenths.append((cpu_now - cpu_before) / revisions_in[number])
                cpu_before, done = cpu_now, done + revisions_in[number]
                rate = done / (time.monotonic() - began)
                print(f"  {name}: tenth {len(tenths)}/{PARTS}: {tenths[-1]:.3f} ms of Elasticsearch CPU a revision, "
                      f"{rate:.0f} revisions/s, ETA {(records - done) / rate:.0f} s", file=sys.stderr)
        es.indices.refresh(index=index)
        seconds, cpu = time.monotonic() - began, elasticsearch_cpu_ms(es) - cpu_start
        stats = es.indices.stats(index=index, metric=["docs", "store", "segments", "merge"])["indices"][index]["primaries"]
        return {
            "variant": name,
            "revisions": records,
            "seconds": round(seconds, 2),
            "revisions_per_second": round(records / seconds, 1),
            "elasticsearch_cpu_ms_per_revision": round(cpu / records, 3),
            "by_tenth_cpu_ms_per_revision": [round(t, 3) for t in tenths],
            "last_tenth_over_first": ratio(tenths[-1], tenths[0]) if tenths else None,
            "last_three_over_first_three": ratio(sum(tenths[-3:]), sum(tenths[:3])) if len(tenths) >= 6 else None,
            "by_tenth_bulk_bytes_per_revision": [round(b) for b in sizes],
            "bytes_last_three_over_first_three": ratio(sum(sizes[-3:]), sum(sizes[:3])),
            "version_conflicts": conflicts,
            "documents": stats["docs"]["count"],
            "deleted_documents": stats["docs"]["deleted"],
            "segments": stats["segments"]["count"],
            "merged_documents": stats["merges"]["total_docs"],
            "merge_ms": stats["merges"]["total_time_in_millis"],
            "store_bytes": stats["store"]["size_in_bytes"],
        }
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-namespace", required=True, help="whose researcher.profiles topic to replay (read only)")
    parser.add_argument("--records", type=int, default=None, help="only the first N revisions (default: all)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="only these (repeatable)")
    parser.add_argument("--refresh-interval", default="30s",
                        help="the scratch indices' refresh interval (30s: the indexer's paced interval during a backlog)")
    parser.add_argument("--name", default="index-updates")
    args = parser.parse_args(argv)

    source = namespace_settings(args.source_namespace)
    es = es_io.client(source)
    started = time.monotonic()
    values = list(published(source, args.records))
    if not values:
        raise SystemExit(f"no profile records in {source.topic(RESEARCHER_PROFILES.name)}")
    chosen = args.variant or list(VARIANTS)
    built = encode_revisions(values)
    chunks = bodies(built)
    mixed = bodies(shuffled(built), external=False) if SHUFFLED & set(chosen) else []
    print(f"read {len(values):,} revisions and built their bulk bodies in {time.monotonic() - started:.1f} s", file=sys.stderr)
    measured = alternated_runs(
        args.rounds, chosen,
        lambda round_number, number, name: replay(
            es, name, mixed if name in SHUFFLED else chunks, len(values), args.refresh_interval,
            f"{source.index('bench-updates')}-{os.getpid()}-{round_number}-{number}"),
        lambda run: f"{run['revisions_per_second']} revisions/s, {run['elasticsearch_cpu_ms_per_revision']} ms of "
                    f"Elasticsearch CPU a revision, last tenth / first {run['last_tenth_over_first']}")
    runs = measured["runs"]
    print_table("Elasticsearch's CPU a researcher revision, replayed in publishing order (short runs: its CPU counter moves in steps)",
                ["variant", "round", "revisions/s", "ms/revision", "first tenth", "last tenth", "last/first",
                 "last 3 / first 3", "bytes: last 3 / first 3", "segments", "deleted", "merge s"],
                [[r["variant"], r["round"], r["revisions_per_second"], r["elasticsearch_cpu_ms_per_revision"],
                  r["by_tenth_cpu_ms_per_revision"][0], r["by_tenth_cpu_ms_per_revision"][-1], r["last_tenth_over_first"],
                  r["last_three_over_first_three"], r["bytes_last_three_over_first_three"], r["segments"],
                  r["deleted_documents"], round(r["merge_ms"] / 1000, 1)]
                 for r in runs])
    path = write_result(args.name, {
        "benchmark": args.name,
        "source_namespace": args.source_namespace,
        "revisions": len(values),
        "batch": BATCH,
        "refresh_interval": args.refresh_interval,
        **measured,
    })
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
