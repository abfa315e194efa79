"""The floor under the worker's CPU: what moving one record costs through the worker's own faust app,
with no work in between (issue 17).

The worker's CPU a paper is the work it does (encoding, topics, keyphrases, linking, profiles) plus
what it costs to consume, send and store records: about 12 records consumed, 16 sent and 14 table
writes a paper on the 2016 harvest (`docs/performance.md`, 7p). This benchmark measures the
second part alone. It writes `--records` records of real harvest text (about 1.2 KB each, like a
mention, an authorship or a work) to an input topic of the worker's partition count, then runs a
faust app built exactly as the worker's (`stream_processors.app.worker_app`, run by
`stream_processors.worker.run_app`: the same producer batching and compression, consumer, table
store, partitioner, collector and flush) with one batched agent that goes through the linking
agents' boundary (`agents/boundary.run_batch`, the same `take_events` loop), in three variants:

- `consume`: each record is taken and acknowledged, nothing else;
- `relay`: each record is also sent to an output topic, its delivery awaited with the batch's;
- `relay-and-table`: each record is also written to a table (SQLite store, a changelog record) after
  its batch is acknowledged, as a linking agent writes its state.

Each variant runs in a process of its own under its own consumer group; the process notes its CPU
time (`time.process_time`, all threads) when its first batch arrives and when the last record's
batch is done and the producer flushed, so start-up, recovery and the group join are left out.
Differences between the variants give the cost of a send and of a table write.

With `--records-from` a `bench.growth` result (which counts the records a paper makes in each topic),
it also gives the floor a paper: those records at the measured costs (`floor_per_paper`).

Usage: python -m bench.faust_floor [--records 50000] [--rounds 2] [--records-from bench/results/growth-X.json]
       [--name faust-floor]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import delete_namespace, load_average, namespace_env, new_namespace, print_table, rounded, write_result
from bench.records import harvest_papers

INPUT = "floor.in"
OUTPUT = "floor.out"
DEAD_LETTERS = "floor.dlq"
TABLE = "floor"
VARIANTS = {  # name: (sends per record, table write per record)
    "consume": (0, False),
    "relay": (1, False),
    "relay-and-table": (1, True),
}
VALUE_BYTES = 1_200  # a mention, an authorship or a work on the 2016 harvest: 1.1-1.3 KB
CHILD_TIMEOUT_SECONDS = 1_800


def record_values(count: int) -> list[tuple[bytes, bytes]]:
    """`count` (key, value) pairs: researcher-like ids, and JSON of real titles and abstracts."""
    papers = list(harvest_papers(min(count, 5_000)))
    pairs = []
    for i in range(count):
        paper = papers[i % len(papers)]
        body = json.dumps({"n": i, "arxiv_id": paper.arxiv_id, "title": paper.title, "text": paper.abstract})
        pairs.append((f"r-{i * 2654435761 % 2**64:016x}".encode(), body[:VALUE_BYTES].encode()))
    return pairs


def produce_input(settings: Any, count: int) -> None:
    from clients import kafka_io

    for name in (INPUT, OUTPUT, DEAD_LETTERS):
        kafka_io.create_topic(settings, settings.topic(name), settings.topic_partitions, {})
    producer = kafka_io.producer(settings)
    try:
        started = time.monotonic()
        for n, (key, value) in enumerate(record_values(count), start=1):
            producer.send(settings.topic(INPUT), key=key, value=value)
            if n % 10_000 == 0:
                spent = time.monotonic() - started
                print(f"  produced {n:,} of {count:,} ({n / spent:,.0f}/s, ETA {(count - n) * spent / n:.0f} s)", flush=True)
        producer.flush()
    finally:
        producer.close()


# --- the child: one variant in a process of its own ------------------------------------------------


def run_child(variant: str, round_number: int, expected: int, result_path: Path) -> None:
    import gc

    from foundation.settings import get_settings
    from stream_processors.agents.boundary import DeadLetters, Step, run_batch
    from stream_processors.app import run_agent, worker_app
    from stream_processors.direct_topic import DirectTopic
    from stream_processors.producer_flush import flush_completely
    from stream_processors.worker import run_app

    sends, with_table = VARIANTS[variant]
    settings = get_settings()
    app, replication = worker_app(settings, f"floor-{variant}-{round_number}")  # a fresh group reads from the start
    source = app.topic(settings.topic(INPUT), key_type=bytes, value_type=bytes)
    output = DirectTopic(app, settings.topic(OUTPUT))
    letters = DeadLetters(DirectTopic(app, settings.topic(DEAD_LETTERS)), "link", settings.topic(INPUT))
    table = app.Table(TABLE, default=None, partitions=settings.topic_partitions, key_type=bytes, value_type=bytes,
                      use_partitioner=True, extra_topic_configs=replication.topic_configs()) if with_table else None
    seen = {"records": 0, "batches": 0}
    started: dict[str, float] = {}

    async def step(event: Any, _staged: dict[bytes, Any]) -> Step:
        deliveries = [await output.send(key=event.key, value=event.value) for _ in range(sends)]
        return Step(event, deliveries, key=event.key if table is not None else None, state=event.value)

    def write(key: bytes, value: Any) -> None:
        table[key] = value  # type: ignore[index]

    async def handle(events: Any) -> None:
        if not started:
            started.update(cpu=time.process_time(), wall=time.monotonic(), gc=sum(s["collections"] for s in gc.get_stats()))
        await run_batch(events, step, write, letters)
        seen["records"] += len(events)
        seen["batches"] += 1
        if seen["records"] >= expected:
            await app.producer.buffer.flush()  # every table write handed to the Kafka client
            await app.producer.flush()  # and acknowledged
            result = {
                "variant": variant, "records": seen["records"], "batches": seen["batches"],
                "cpu_seconds": time.process_time() - started["cpu"], "wall_seconds": time.monotonic() - started["wall"],
                "gc_collections": sum(s["collections"] for s in gc.get_stats()) - started["gc"],
            }
            result_path.write_text(json.dumps(result))
            os._exit(0)  # measured: the app's shutdown is not part of it

    run_agent(app, source, "floor", handle, batched=True)
    flush_completely(app.producer.buffer)
    run_app(settings, app)


# --- the parent --------------------------------------------------------------------------------------


def run_variant(variant: str, round_number: int, records: int, env: dict[str, str], logs: Path) -> dict:
    run = f"{variant}-{round_number}"
    result_path = logs / f"{run}.json"
    with open(logs / f"{run}.log", "w") as log:
        child = subprocess.run(
            [sys.executable, "-m", "bench.faust_floor", "--child", variant, "--round", str(round_number),
             "--records", str(records), "--result", str(result_path)],
            env={**env, "SCHOLARSTREAM_DATA_DIR": str(logs / f"data-{run}")},
            stdout=log, stderr=subprocess.STDOUT, timeout=CHILD_TIMEOUT_SECONDS, check=False,
        )
    if not result_path.exists():
        raise RuntimeError(f"variant {variant} exited {child.returncode} without a result: see {logs / (run + '.log')}")
    result = json.loads(result_path.read_text())
    result["cpu_us_per_record"] = rounded(result["cpu_seconds"] * 1e6 / result["records"], 1)
    result["records_per_second"] = rounded(result["records"] / result["wall_seconds"], 0)
    return result


def costs(runs: list[dict]) -> dict[str, float | None]:
    """Microseconds a record: consuming it, a send, a table write (medians over the rounds)."""
    def median(variant: str) -> float:
        return statistics.median(r["cpu_us_per_record"] for r in runs if r["variant"] == variant)

    consume, relay, stored = median("consume"), median("relay"), median("relay-and-table")
    return {"consume_us": rounded(consume, 1), "send_us": rounded(relay - consume, 1),
            "table_write_us": rounded(stored - relay, 1), "consume_send_and_table_write_us": rounded(stored, 1)}


# The worker's input topics (stream_processors/app.py, WORKER_INPUTS), by their names without a prefix.
CONSUMED = ("arxiv.papers.raw", "papers.enriched", "researcher.mentions", "researcher.authorships", "researcher.works",
            "researcher.signals", "researcher.merges", "researcher.merge.moves")
# The changelog of a global table, which every worker reads whole as it is written (app.py, `_scores_table`).
READ_BY_EVERY_WORKER = ("-trust-scores-changelog",)


def floor_per_paper(summary: dict[str, float | None], records_per_paper: dict[str, float]) -> dict[str, float]:
    """What moving a paper's records costs at the measured rates, from the records a paper makes in
    each topic (`bench.growth`'s `kafka_records_per_paper_by_topic`): each record of a worker's input
    topic is consumed once, and so is each record of the global table's changelog (by each worker: one
    here); every record but the raw paper is written by the worker, a faust table's changelog record
    as a table write (`*-changelog`), any other as a send."""
    consumed = sum(n for topic, n in records_per_paper.items() if topic in CONSUMED or topic.endswith(READ_BY_EVERY_WORKER))
    changelog = sum(n for topic, n in records_per_paper.items() if topic.endswith("-changelog"))
    sent = sum(n for topic, n in records_per_paper.items() if topic != "arxiv.papers.raw" and not topic.endswith("-changelog"))
    consume_us, send_us, table_us = (summary[k] or 0.0 for k in ("consume_us", "send_us", "table_write_us"))
    return {
        "consumed_records": round(consumed, 2), "sent_records": round(sent, 2), "table_writes": round(changelog, 2),
        "ms_per_paper": round((consumed * consume_us + sent * send_us + changelog * table_us) / 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2, help="each variant this many times, alternating")
    parser.add_argument("--name", default="faust-floor")
    parser.add_argument("--records-from", type=Path, help="a bench.growth result: the floor a paper, from its first window's records")
    parser.add_argument("--child", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.round, args.records, args.result)
        return

    from bench.common import code_version
    from foundation.settings import Settings

    code = code_version()
    namespace = new_namespace("floor")
    env = namespace_env(namespace)
    settings = Settings(topic_prefix=f"{namespace}.", index_prefix=f"{namespace}-")
    logs = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
    load_before = load_average()
    runs: list[dict] = []
    try:
        print(f"faust floor: {args.records:,} records of up to {VALUE_BYTES} bytes into {settings.topic(INPUT)} "
              f"({settings.topic_partitions} partitions)", flush=True)
        produce_input(settings, args.records)
        total = args.rounds * len(VARIANTS)
        for round_number in range(1, args.rounds + 1):
            for variant in VARIANTS:
                started = time.monotonic()
                result = run_variant(variant, round_number, args.records, env, logs)
                result["round"] = round_number
                runs.append(result)
                print(f"  [{len(runs)}/{total}] round {round_number} {variant}: {result['cpu_us_per_record']} us of CPU a record, "
                      f"{result['records_per_second']:,.0f} records/s ({time.monotonic() - started:.0f} s with start-up)", flush=True)
    finally:
        delete_namespace(settings, namespace, keep_logs_in=logs)
    summary = costs(runs)
    per_paper = None
    if args.records_from:
        first = json.loads(args.records_from.read_text())["scenarios"]["harvest"]["windows"][0]
        per_paper = {"from": str(args.records_from), "window": first["records"],
                     **floor_per_paper(summary, first["kafka_records_per_paper_by_topic"])}
    print_table("faust floor (CPU a record, worker's app)", ["round", "variant", "us/record", "records/s", "batches"],
                [(r["round"], r["variant"], r["cpu_us_per_record"], r["records_per_second"], r["batches"]) for r in runs])
    print(json.dumps({**summary, "per_paper": per_paper}))
    path = write_result(args.name, {
        "records": args.records, "value_bytes": VALUE_BYTES, "topic_partitions": settings.topic_partitions,
        "table_store": settings.table_store, "producer_linger_ms": settings.worker_producer_linger_ms,
        "producer_compression": settings.worker_producer_compression, "runs": runs, "summary": summary, "per_paper": per_paper,
        "logs": str(logs), "load_average": {"before": load_before, "after": load_average()},
    }, code=code)
    print(f"written {path}")


if __name__ == "__main__":
    main()
