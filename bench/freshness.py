"""Freshness: at a steady live rate, the time from produce to searchable in Elasticsearch
(benchmark 3 of docs/performance.md).

1. A fresh namespace; `scholarstream run` (worker + indexer, no --until-caught-up) is started with
   the live settings under test (`--within`: SCHOLARSTREAM_BATCH_WITHIN_SECONDS; `--refresh-interval`:
   the papers index's refresh interval, 1 s in the mapping).
2. Warm-up: `--warmup` records are produced and waited for, so model loading and the group join
   are not counted.
3. `bench.produce --rate R` sends R x T real records on an absolute schedule (a live feed) while a
   watcher here searches the papers alias every `--poll` seconds for the ids not seen yet.
4. Latency of a record = the time the watcher's answer first contained it - the record's Kafka
   timestamp in the raw topic (its produce time). The watcher's answer time is an upper bound:
   the record became searchable at most `--poll` seconds (plus one search's time) earlier.
   The enriched record's Kafka timestamp splits it into produce -> enriched and enriched -> searchable.

Usage: python -m bench.freshness [--rate 5] [--seconds 60] [--within 0.25] [--refresh-interval 1s]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.backfill import run_child
from bench.common import delete_namespace, load_average, namespace_env, new_namespace, percentiles, print_table, write_result
from bench.observe import topic_stamps
from bench.records import harvest_papers
from clients import es_io
from foundation.settings import Settings
from indexers.mappings import PAPERS


class Watcher(threading.Thread):
    """Searches for the ids not seen yet until all are seen or it is stopped; notes when each appeared."""

    def __init__(self, es, alias: str, ids: list[str], poll: float) -> None:
        super().__init__(daemon=True, name="freshness-watcher")
        self.es, self.alias, self.poll = es, alias, poll
        self.pending = set(ids)
        self.seen: dict[str, float] = {}
        self.searches = 0
        self.search_seconds: list[float] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while self.pending and not self._halt.is_set():
            began = time.time()
            response = self.es.search(index=self.alias, query={"ids": {"values": sorted(self.pending)}},
                                      size=len(self.pending), source=False)
            answered = time.time()
            self.searches += 1
            self.search_seconds.append(answered - began)
            for hit in response["hits"]["hits"]:
                self.seen.setdefault(hit["_id"], answered)
                self.pending.discard(hit["_id"])
            self._halt.wait(max(0.0, self.poll - (answered - began)))

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def wait_searchable(es, alias: str, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if es.count(index=alias, query={"ids": {"values": ids}})["count"] >= len(ids):
            return
        time.sleep(0.5)
    raise SystemExit(f"the warm-up records were not searchable after {timeout:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=5.0, help="records/s of the live feed")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the feed runs")
    parser.add_argument("--warmup", type=int, default=20, help="records produced and awaited before measuring")
    parser.add_argument("--within", type=float, default=0.25, help="SCHOLARSTREAM_BATCH_WITHIN_SECONDS of the worker")
    parser.add_argument("--refresh-interval", default=None, help="papers index refresh interval (e.g. 500ms); default: the mapping's")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between the watcher's searches")
    parser.add_argument("--settle", type=float, default=60.0, help="after the feed, wait at most this long for stragglers")
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--name", default="freshness")
    args = parser.parse_args()

    namespace = new_namespace("fresh")
    env = namespace_env(namespace, SCHOLARSTREAM_BATCH_WITHIN_SECONDS=str(args.within))
    os.environ.update(env)
    settings = Settings()
    workdir = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
    count = int(round(args.rate * args.seconds))
    ids = [paper.arxiv_id for paper in harvest_papers(count, skip=args.warmup)]
    warm_ids = [paper.arxiv_id for paper in harvest_papers(args.warmup)]
    es = es_io.client(settings)
    alias = PAPERS.alias(settings)
    load_before = load_average()
    print(f"namespace {namespace}; logs in {workdir}", file=sys.stderr)

    runner = None
    try:
        run_child(["scholarstream", "setup", "--json"], env, workdir / "setup.log")
        if args.refresh_interval:
            es.indices.put_settings(index=alias, settings={"index": {"refresh_interval": args.refresh_interval}})
        refresh_interval = next(iter(es.indices.get_settings(index=alias, name="index.refresh_interval").values()))
        refresh_interval = refresh_interval["settings"]["index"]["refresh_interval"]
        with open(workdir / "run.log", "ab") as log:
            runner = subprocess.Popen([sys.executable, "-m", "scholarstream", "run"], env=env, stdout=log, stderr=log,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        started = time.monotonic()
        run_child(["bench.produce", "--papers", str(args.warmup)], env, workdir / "produce.log")
        wait_searchable(es, alias, warm_ids, args.startup_timeout)
        print(f"pipeline warm after {time.monotonic() - started:.1f}s; feeding {count} records at {args.rate}/s",
              file=sys.stderr)

        watcher = Watcher(es, alias, ids, args.poll)
        watcher.start()
        fed = run_child(["bench.produce", "--papers", str(count), "--skip", str(args.warmup), "--rate", str(args.rate)],
                        env, workdir / "produce.log")
        settle_until = time.monotonic() + args.settle
        while watcher.pending and time.monotonic() < settle_until:
            time.sleep(0.2)
        watcher.stop()
        raw = {key.decode(): ts / 1000 for ts, _, key in topic_stamps(settings, settings.topic("arxiv.papers.raw")) if key}
        enriched = {key.decode(): ts / 1000 for ts, _, key in topic_stamps(settings, settings.topic("papers.enriched")) if key}
    finally:
        if runner is not None:
            if runner.poll() is None:
                runner.send_signal(signal.SIGTERM)  # the runner stops its worker and indexer
            try:
                runner.wait(60)
            except subprocess.TimeoutExpired:
                runner.kill()
        if not args.keep:
            delete_namespace(settings, namespace, keep_logs_in=workdir)

    seen = {i: t for i, t in watcher.seen.items() if i in raw}
    total = [seen[i] - raw[i] for i in seen]
    to_enriched = [enriched[i] - raw[i] for i in seen if i in enriched]
    to_searchable = [seen[i] - enriched[i] for i in seen if i in enriched]
    result = {
        "namespace": namespace if args.keep else f"{namespace} (deleted)",
        "rate_records_per_second": args.rate,
        "seconds": args.seconds,
        "records": count,
        "records_seen": len(seen),
        "records_never_seen": len(ids) - len(seen),
        "producer": fed,
        "settings": {
            "encoder": settings.encoder_model,
            "batch_size": settings.encoder_batch_size,
            "batch_within_seconds": args.within,
            "papers_refresh_interval": refresh_interval,
            "watcher_poll_seconds": args.poll,
        },
        "latency_seconds": percentiles(total, digits=3),
        "produce_to_enriched_seconds": percentiles(to_enriched, digits=3),
        "enriched_to_searchable_seconds": percentiles(to_searchable, digits=3),
        "watcher_search_seconds": percentiles(watcher.search_seconds, digits=4),
        "load_average": {"before": load_before, "after": load_average()},
        "method": "latency = watcher's answer time when the id first appeared - Kafka timestamp of the raw record",
    }
    path = write_result(args.name, result)
    print_table(f"freshness at {args.rate} records/s for {args.seconds:g}s ({settings.encoder_model}, within {args.within}s, "
                f"refresh {refresh_interval}); load {load_before} -> {result['load_average']['after']}",
                ["segment", "p50 s", "p95 s", "p99 s", "max s", "n"],
                [(name, *(result[key][q] for q in ("p50", "p95", "p99", "max", "n")))
                 for name, key in (("produce -> searchable", "latency_seconds"),
                                   ("produce -> enriched", "produce_to_enriched_seconds"),
                                   ("enriched -> searchable", "enriched_to_searchable_seconds"))])
    print(f"{len(seen)} of {count} seen; written {path}")


if __name__ == "__main__":
    main()
