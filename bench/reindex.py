"""Reindex: documents/s of `scholarstream reindex researchers` (benchmark 5 of docs/performance.md).

By default nothing of the source namespace is changed: its compacted `researcher.profiles` topic
is copied (untimed) into a new bench namespace with the same partition count, a first reindex
builds the live index there, and the timed run is a second `scholarstream reindex researchers
--cleanup`, which builds a new index while the old one serves, swaps the alias and deletes the
old one. Throughout the timed run a thread searches the alias for a known name and counts
failures and empty answers: a reindex must never break search. The namespace is deleted after.

`--in-place NS` times the reindex on NS itself instead (its alias moves to a new index; the old one
stays for a rollback: `--cleanup` is only ever passed for bench* namespaces).

Usage: python -m bench.reindex [--source-namespace full] [--repeats 1]
       python -m bench.reindex --in-place NAMESPACE
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.backfill import run_child
from bench.common import (
    delete_namespace,
    elasticsearch_cpu_ms,
    is_own,
    load_average,
    namespace_env,
    new_namespace,
    percentiles,
    print_table,
    write_result,
)
from clients import es_io, kafka_io
from evaluation.search import written_out_name
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS
from indexers.researcher_search import ResearcherQuery, search_researchers
from schemas.topics import RESEARCHER_PROFILES


def copy_topic(source: Settings, target: Settings, name: str) -> int:
    """Every record of `name` from one namespace into the other (same cluster), partition for partition."""
    return kafka_io.copy_records(source, source.topic(name), target.topic(name), linger_ms=50)


class SearchProbe(threading.Thread):
    """Searches the alias for a known name every `interval` seconds while a reindex runs."""

    def __init__(self, es, settings: Settings, query: str, interval: float = 0.05) -> None:
        super().__init__(daemon=True, name="search-probe")
        self.es, self.settings, self.query, self.interval = es, settings, query, interval
        self.searches = self.failures = self.empty = 0
        self.seconds: list[float] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            began = time.perf_counter()
            try:
                hits = search_researchers(self.es, self.settings, ResearcherQuery(self.query, size=5)).hits
                self.empty += not hits
            except Exception as error:  # noqa: BLE001 - counted  (any failure is what we count)
                self.failures += 1
                self.errors.append(f"{type(error).__name__}: {error}"[:300])
            self.searches += 1
            self.seconds.append(time.perf_counter() - began)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def es_side(es, index: str, documents: int) -> dict:
    """Elasticsearch's own time on the new index (summed over its threads): indexing, refresh, merges, flush."""
    stats = es.indices.stats(index=index, metric="indexing,refresh,merge,flush")["_all"]["primaries"]
    times = {
        "indexing_ms": stats["indexing"]["index_time_in_millis"],
        "refresh_ms": stats["refresh"]["total_time_in_millis"],
        "merge_ms": stats["merges"]["total_time_in_millis"],
        "flush_ms": stats["flush"]["total_time_in_millis"],
    }
    return {**times, "indexing_ms_per_document": round(times["indexing_ms"] / documents, 3) if documents else None}


def known_name(es, settings: Settings) -> str:
    response = es.search(index=RESEARCHERS.alias(settings), size=50, source_includes=["profile.name_variants"],
                         query={"bool": {"filter": [{"range": {"works_count": {"gte": 2}}}],
                                         "must_not": [{"exists": {"field": "merged_into"}}]}})
    for hit in response["hits"]["hits"]:
        name = written_out_name(hit["_source"]["profile"])
        if name:
            return " ".join(name)
    raise SystemExit(f"no researcher with a written-out name in {RESEARCHERS.alias(settings)}")


def timed_reindex(namespace: str, cleanup: bool, workdir: Path, processes: int | None = None) -> dict:
    env = namespace_env(namespace)
    settings = Settings(SCHOLARSTREAM_TOPIC_PREFIX=f"{namespace}.", SCHOLARSTREAM_INDEX_PREFIX=f"{namespace}-")
    es = es_io.client(settings)
    probe = SearchProbe(es, settings, known_name(es, settings))
    probe.start()
    began, children, es_cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN), elasticsearch_cpu_ms(es)
    try:
        output = run_child(["scholarstream", "reindex", "researchers", "--json", *(["--cleanup"] if cleanup else []),
                            *(["--processes", str(processes)] if processes else [])],
                           env, workdir / "reindex.log")
    finally:
        wall = time.perf_counter() - began
        probe.stop()
        es_cpu = elasticsearch_cpu_ms(es) - es_cpu
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
    reindexed = output["reindexed"][0]
    return {
        **{k: reindexed[k] for k in ("old_indices", "new_index", "records_read", "documents_written", "stale", "superseded", "rejected",
                                     "caught_up_records", "documents", "seconds", "documents_per_second", "cleaned_up")},
        "records_per_second": round(reindexed["records_read"] / reindexed["seconds"], 1) if reindexed["seconds"] else None,
        "process_wall_seconds": round(wall, 2),
        "process_cpu_seconds_including_start_up": round(cpu, 2),
        "elasticsearch_new_index": es_side(es, reindexed["new_index"], reindexed["documents_written"]),
        # the whole node's process CPU during the run, the probe's searches included
        "elasticsearch_cpu_seconds": round(es_cpu / 1000, 2),
        "elasticsearch_cpu_ms_per_document": round(es_cpu / max(1, reindexed["documents_written"]), 3),
        "search_during_reindex": {
            "query": probe.query, "searches": probe.searches, "failures": probe.failures, "empty_answers": probe.empty,
            "latency_ms": percentiles([s * 1000 for s in probe.seconds]), "errors": probe.errors[:5],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source-namespace", default="full", help="whose researcher.profiles topic to copy (read-only)")
    parser.add_argument("--in-place", default=None, metavar="NAMESPACE", help="reindex this namespace itself")
    parser.add_argument("--repeats", type=int, default=1, help="timed reindexes after the first build")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--processes", type=int, default=None, help="the reindex's loader processes (default: its own)")
    parser.add_argument("--name", default="reindex")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-reindex-"))
    load_before = load_average()
    runs = []
    copied = None
    if args.in_place:
        namespace = args.in_place
        runs.append(timed_reindex(namespace, cleanup=is_own(namespace), workdir=workdir, processes=args.processes))
    else:
        source = Settings(SCHOLARSTREAM_TOPIC_PREFIX=f"{args.source_namespace}.",
                          SCHOLARSTREAM_INDEX_PREFIX=f"{args.source_namespace}-")
        partitions = len(kafka_io.end_offsets(source, source.topic(RESEARCHER_PROFILES.name)))
        if not partitions:
            raise SystemExit(f"{source.topic(RESEARCHER_PROFILES.name)} does not exist")
        namespace = new_namespace("reindex")
        os.environ.update(namespace_env(namespace, SCHOLARSTREAM_TOPIC_PARTITIONS=str(partitions)))
        target = Settings()
        try:
            kafka_io.ensure_topics(target, [RESEARCHER_PROFILES])
            began = time.perf_counter()
            copied = copy_topic(source, target, RESEARCHER_PROFILES.name)
            print(f"copied {copied} records of {source.topic(RESEARCHER_PROFILES.name)} in "
                  f"{time.perf_counter() - began:.0f}s into {namespace}", file=sys.stderr)
            run_child(["scholarstream", "reindex", "researchers", "--json"], os.environ.copy(), workdir / "reindex.log")
            for _ in range(args.repeats):
                runs.append(timed_reindex(namespace, cleanup=True, workdir=workdir, processes=args.processes))
                print(f"reindexed at {runs[-1]['documents_per_second']} documents/s", file=sys.stderr)
        finally:
            if not args.keep:
                delete_namespace(target, namespace)

    result = {
        "source_namespace": None if args.in_place else args.source_namespace,
        "namespace": namespace,
        "mode": "in place" if args.in_place else "copy of the source topic (source untouched)",
        "records_copied": copied,
        "processes": args.processes,
        "runs": runs,
        "load_average": {"before": load_before, "after": load_average()},
        "method": "documents/s as `scholarstream reindex` reports it: documents written / seconds from index creation "
                  "to the count after the catch-up refresh; a probe searches the alias every 50 ms throughout",
    }
    path = write_result(args.name, result)
    print_table(f"reindex researchers ({result['mode']}); load {load_before} -> {result['load_average']['after']}",
                ["run", "records read", "documents", "seconds", "documents/s", "records/s", "CPU s: reindex", "Elasticsearch",
                 "searches", "failed", "empty"],
                [(n + 1, r["records_read"], r["documents"], r["seconds"], r["documents_per_second"], r["records_per_second"],
                  r["process_cpu_seconds_including_start_up"], r["elasticsearch_cpu_seconds"],
                  r["search_during_reindex"]["searches"], r["search_during_reindex"]["failures"],
                  r["search_during_reindex"]["empty_answers"]) for n, r in enumerate(runs)])
    print(f"written {path}")


if __name__ == "__main__":
    main()
