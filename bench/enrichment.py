"""Enrichment stage throughput against the bare encoder, measured in one run.

1. The bare encoder: sentence-transformers `encode` on N real abstracts (title + abstract),
   with the pipeline's model, batch size and sequence length. Measured before and after step 2;
   the ceiling is their mean, so drift in machine load during the run is shared by both sides.
2. The enrichment stage: the same N papers produced to a fresh raw topic on the real Kafka, the
   real faust worker (`scholarstream worker`) started as its own process. Its throughput is taken
   from the Kafka timestamps of the enriched records it wrote, first to last: steady state,
   excluding model loading and the group join (reported separately).

Usage: python -m bench.enrichment [--papers 512] [--stages enrich]   (needs Kafka; `scholarstream stack up`)

With the default `--stages enrich` the worker runs the enrichment stage alone (a worker per stage,
SCHOLARSTREAM_WORKER_STAGES=enrich); `--stages enrich,link` measures it beside the linking agents
in one process, as the default single worker runs (the end-to-end backfill measures that too).
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

from kafka import TopicPartition

from bench.common import write_result
from evaluation.labelled_papers import OAI_CS_2016, split_of
from producers.oai_records import oai_element_to_paper, parse_page
from producers.publish import Publisher
from schemas.papers import RawPaper
from schemas.topics import TOPICS
from scholarstream import kafka_io
from scholarstream.errors import InvalidRecord
from scholarstream.settings import Settings
from stream_processors.encoder import load_encoder
from stream_processors.enrich import embedding_text


def real_papers(count: int) -> list[RawPaper]:
    """Held-out papers (test split) of the 2016 cs harvest: never used to build the topic model."""
    papers = []
    for page in sorted(OAI_CS_2016.glob("page-*.xml.gz")):
        for record in parse_page(gzip.open(page).read()).records:
            try:
                paper = oai_element_to_paper(record.element)
            except InvalidRecord:
                continue
            if split_of(paper.arxiv_id) == "test" and paper.abstract:
                papers.append(paper)
                if len(papers) == count:
                    return papers
    return papers


def bare_encoder_rate(encoder, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        encoder.encode(texts[i : i + batch_size])
    return len(texts) / (time.perf_counter() - started)


def enriched_timestamps(settings: Settings, topic: str, expected: int, timeout: float) -> list[int]:
    consumer = kafka_io.consumer(settings)
    deadline = time.monotonic() + timeout
    stamps: list[int] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while len(stamps) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                stamps.extend(record.timestamp for record in batch)
    finally:
        consumer.close()
    return sorted(stamps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=512)
    parser.add_argument(
        "--stages", default="enrich",
        help="SCHOLARSTREAM_WORKER_STAGES of the measured worker: 'enrich' measures the stage alone, as a "
             "worker deployed per stage runs it; 'enrich,link' also runs the linking agents in the same process",
    )
    args = parser.parse_args()
    os.environ["SCHOLARSTREAM_WORKER_STAGES"] = args.stages

    namespace = f"bench{uuid.uuid4().hex[:8]}"
    os.environ["SCHOLARSTREAM_TOPIC_PREFIX"] = f"{namespace}."
    os.environ["SCHOLARSTREAM_INDEX_PREFIX"] = f"{namespace}-"
    settings = Settings()
    papers = real_papers(args.papers)
    texts = [embedding_text(p) for p in papers]
    encoder = load_encoder(settings)
    encoder.encode(texts[: settings.encoder_batch_size])  # warm-up

    bare_before = bare_encoder_rate(encoder, texts, settings.encoder_batch_size)
    print(f"bare encoder: {bare_before:.1f} papers/s", file=sys.stderr)

    kafka_io.ensure_topics(settings, TOPICS)
    publisher = Publisher(settings, lambda: datetime.now(timezone.utc))
    for paper in papers:
        publisher.publish(paper)
    publisher.close()

    started = time.monotonic()
    worker = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "worker"], env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        stamps = enriched_timestamps(settings, settings.topic("papers.enriched"), len(papers), timeout=3600)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    wall = time.monotonic() - started
    if len(stamps) < len(papers):
        raise SystemExit(f"only {len(stamps)} of {len(papers)} papers were enriched")
    # The first batch's records share (nearly) one timestamp: the rate is what came after it,
    # over the time after it, so neither start-up nor the first batch's encoding is counted.
    first_batch = sum(1 for stamp in stamps if stamp <= stamps[0] + 100)
    stage = (len(stamps) - first_batch) / ((stamps[-1] - stamps[0]) / 1000)
    first_output_after = stamps[0] / 1000 - (time.time() - wall)

    bare_after = bare_encoder_rate(encoder, texts, settings.encoder_batch_size)
    ceiling = (bare_before + bare_after) / 2
    result = {
        "papers": len(papers),
        "worker_stages": settings.worker_stages,
        "model": settings.encoder_model,
        "batch_size": settings.encoder_batch_size,
        "max_seq_length": settings.encoder_max_seq_length,
        "bare_encoder_papers_per_second": {"before": round(bare_before, 2), "after": round(bare_after, 2), "mean": round(ceiling, 2)},
        "enrichment_stage_papers_per_second": round(stage, 2),
        "ratio_to_bare_encoder": round(stage / ceiling, 3),
        "worker_wall_seconds_including_startup": round(wall, 1),
        "seconds_from_worker_start_to_first_output": round(first_output_after, 1),
        "method": (
            "stage rate from the Kafka timestamps of the enriched records: records after the first batch over the "
            "time from the first batch to the last record; ceiling = mean of the bare runs before and after"
        ),
    }
    path = write_result("enrichment", result)
    kafka_io.delete_topics(settings, [settings.topic(t.name) for t in TOPICS])
    print(f"enrichment stage: {stage:.1f} papers/s = {stage / ceiling:.2f} x bare encoder ({ceiling:.1f}/s); {path}")


if __name__ == "__main__":
    main()
