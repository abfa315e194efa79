"""Enrichment stage throughput against the bare encoder, interleaved in one run.

The machine is shared and its speed drifts over tens of seconds, so the two are measured in
turns, several times, and each stage figure is compared with the bare figures taken right before
and right after it:

    bare 1, stage 1, bare 2, stage 2, ..., stage R, bare R+1

- bare: sentence-transformers `encode` on the round's papers (title + abstract) in this process,
  with the pipeline's model, batch size and sequence length, while the worker has nothing to do.
- stage: the round's papers produced to the raw topic on the real Kafka, enriched by the real faust
  worker (`scholarstream worker`, its own process, started once and warmed up before round 1). Its
  rate is the round's papers over the time from just before they were produced to the Kafka
  timestamp of the last enriched record: every batch of the round counts, with its gaps.

Each round's ratio is stage / mean(bare before, bare after); the headline is the median round
ratio, with every round in the JSON. Every round uses different real papers (held-out split).

Usage: python -m bench.enrichment [--papers 256] [--rounds 8] [--stages enrich]   (needs Kafka)

With the default `--stages enrich` the worker runs the enrichment stage alone (a worker per stage,
SCHOLARSTREAM_WORKER_STAGES=enrich); `--stages enrich,link` measures it beside the linking agents
in one process, as the default single worker runs (the end-to-end backfill measures that too).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kafka import TopicPartition

from bench.common import write_result
from clients import kafka_io
from encoders.loading import load_encoder
from evaluation.labelled_papers import OAI_CS_2016, split_of
from foundation.settings import Settings
from producers.oai_records import page_files, papers_in_pages
from producers.publish import Publisher
from schemas.papers import RawPaper
from schemas.topics import TOPICS
from stream_processors.enrich import embedding_text

WARM_UP_PAPERS = 256  # the first few hundred papers run slower (shapes and allocator warming up)


def real_papers(count: int) -> list[RawPaper]:
    """Held-out papers (test split) of the 2016 cs harvest: never used to build the topic model."""
    papers = []
    for paper in papers_in_pages(page_files(OAI_CS_2016)):  # deleted records carry no paper
        if split_of(paper.arxiv_id) == "test" and paper.abstract:
            papers.append(paper)
            if len(papers) == count:
                return papers
    return papers


def bare_encoder_rate(encoder, texts: list[str], batch_size: int) -> tuple[float, float]:
    """Papers per second, and CPU seconds per paper (all of this process's threads)."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch_size):
        encoder.encode(texts[i : i + batch_size])
    return len(texts) / (time.perf_counter() - started), (time.process_time() - cpu) / len(texts)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_bare(encoder, papers: list[RawPaper], settings: Settings, rates: list[float], cpu: list[float]) -> None:
    rate, cpu_per_paper = bare_encoder_rate(encoder, [embedding_text(p) for p in papers], settings.encoder_batch_size)
    rates.append(rate)
    cpu.append(cpu_per_paper)


class EnrichedReader:
    """Reads the enriched topic from its start and remembers each record's Kafka timestamp by key."""

    def __init__(self, settings: Settings, topic: str):
        self.consumer = kafka_io.consumer(settings)
        partitions = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)
        self.stamps: dict[bytes, int] = {}

    def wait_for(self, keys: list[bytes], timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        while any(key not in self.stamps for key in keys) and time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=500).values():
                for record in batch:
                    self.stamps.setdefault(record.key, record.timestamp)
        missing = sum(key not in self.stamps for key in keys)
        if missing:
            raise SystemExit(f"{missing} of {len(keys)} papers were not enriched within {timeout:.0f} s")
        return sorted(self.stamps[key] for key in keys)

    def close(self) -> None:
        self.consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=256, help="papers per round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument(
        "--stages", default="enrich",
        help="SCHOLARSTREAM_WORKER_STAGES of the measured worker: 'enrich' measures the stage alone, as a "
             "worker deployed per stage runs it; 'enrich,link' also runs the linking agents in the same process",
    )
    parser.add_argument("--output", default="enrichment", help="result name: bench/results/NAME.json")
    args = parser.parse_args()
    os.environ["SCHOLARSTREAM_WORKER_STAGES"] = args.stages

    namespace = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["SCHOLARSTREAM_TOPIC_PREFIX"] = f"{namespace}."
    os.environ["SCHOLARSTREAM_INDEX_PREFIX"] = f"{namespace}-"
    settings = Settings()
    pool = real_papers(WARM_UP_PAPERS + args.papers * args.rounds)
    if len(pool) < WARM_UP_PAPERS + args.papers * args.rounds:
        raise SystemExit(f"only {len(pool)} held-out papers with abstracts; ask for fewer")
    warm_up, rounds = pool[:WARM_UP_PAPERS], [
        pool[WARM_UP_PAPERS + r * args.papers: WARM_UP_PAPERS + (r + 1) * args.papers] for r in range(args.rounds)
    ]
    encoder = load_encoder(settings)
    encoder.encode([embedding_text(p) for p in warm_up])  # first-call costs are not throughput

    kafka_io.ensure_topics(settings, TOPICS)
    publisher = Publisher(settings, lambda: datetime.now(UTC))
    reader = EnrichedReader(settings, settings.topic("papers.enriched"))
    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "worker"], env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    bare: list[float] = []
    stage: list[float] = []
    bare_cpu: list[float] = []   # CPU seconds per paper
    stage_cpu: list[float] = []
    try:
        for paper in warm_up:
            publisher.publish(paper)
        publisher.flush()
        reader.wait_for([p.arxiv_id.encode() for p in warm_up], timeout=600)
        ready_after = time.monotonic() - started
        print(f"worker warmed up after {ready_after:.1f} s", file=sys.stderr)
        for number, papers in enumerate(rounds, start=1):
            measure_bare(encoder, papers, settings, bare, bare_cpu)
            cpu_before, published_ms = process_cpu_seconds(worker.pid), time.time() * 1000
            for paper in papers:
                publisher.publish(paper)
            publisher.flush()
            last_ms = reader.wait_for([p.arxiv_id.encode() for p in papers], timeout=3600)[-1]
            stage_cpu.append((process_cpu_seconds(worker.pid) - cpu_before) / len(papers))
            stage.append(len(papers) / ((last_ms - published_ms) / 1000))
            print(f"round {number}: bare {bare[-1]:.1f} papers/s ({bare_cpu[-1] * 1000:.0f} CPU ms each), "
                  f"stage {stage[-1]:.1f} papers/s ({stage_cpu[-1] * 1000:.0f} CPU ms each)", file=sys.stderr)
        measure_bare(encoder, rounds[-1], settings, bare, bare_cpu)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        publisher.close()
        reader.close()
    ratios = [s / ((bare[i] + bare[i + 1]) / 2) for i, s in enumerate(stage)]
    cpu_ratios = [((bare_cpu[i] + bare_cpu[i + 1]) / 2) / s for i, s in enumerate(stage_cpu)]
    result = {
        "papers_per_round": args.papers,
        "rounds": args.rounds,
        "worker_stages": settings.worker_stages,
        "model": settings.encoder_model,
        "batch_size": settings.encoder_batch_size,
        "max_seq_length": settings.encoder_max_seq_length,
        "enrich_take_max": settings.enrich_take_max,
        "bare_encoder_papers_per_second": [round(b, 2) for b in bare],
        "enrichment_stage_papers_per_second": [round(s, 2) for s in stage],
        "round_ratios": [round(r, 3) for r in ratios],
        "ratio_to_bare_encoder": round(statistics.median(ratios), 3),
        "ratio_of_means": round(statistics.mean(stage) / statistics.mean(bare), 3),
        "bare_encoder_cpu_ms_per_paper": [round(c * 1000, 1) for c in bare_cpu],
        "enrichment_stage_cpu_ms_per_paper": [round(c * 1000, 1) for c in stage_cpu],
        "round_cpu_ratios": [round(r, 3) for r in cpu_ratios],
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "seconds_from_worker_start_to_warm": round(ready_after, 1),
        "method": (
            "bare and stage measured in turns (bare, stage, bare, ... bare) on different held-out papers per round; "
            "round ratio = stage / mean of the bare runs before and after it; headline = median round ratio. "
            "stage rate = papers / (Kafka timestamp of the round's last enriched record - wall time before producing the round). "
            "cpu_ratio: bare CPU s per paper (this process) over the worker's CPU s per paper in the round "
            "(all its threads, from /proc): the throughput ratio at equal CPU, less sensitive to a shared host's drift"
        ),
    }
    path = write_result(args.output, result)
    kafka_io.delete_topics(settings, [settings.topic(t.name) for t in TOPICS])
    print(f"enrichment stage: median round ratio {result['ratio_to_bare_encoder']:.3f} "
          f"(rounds {result['round_ratios']}), CPU ratio {result['cpu_ratio']:.3f} (rounds {result['round_cpu_ratios']}); {path}")


if __name__ == "__main__":
    main()
