"""A worker killed with SIGKILL mid-batch and restarted enriches every record exactly once in
effect: no paper is missing, and a paper enriched twice was enriched the same way both times."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np

from clients import kafka_io
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.papers import EnrichedPaper
from schemas.topics import TOPICS
from tests.conftest import REPO
from tests.integration.conftest import cli, read_topic

SAMPLE = REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz"


def enriched(settings) -> list[EnrichedPaper]:
    return [EnrichedPaper.model_validate_json(r.value) for r in read_topic(settings, settings.topic("papers.enriched"))]


def same_enrichment(a: EnrichedPaper, b: EnrichedPaper) -> bool:
    """Equal but for float rounding: the encoder pads batches differently on a re-run."""
    return (
        a.paper == b.paper
        and a.mentions == b.mentions
        and a.ingested_at == b.ingested_at
        and np.allclose(a.embedding.vector(), b.embedding.vector(), atol=1e-5)
        and [t.code for t in a.topics][:1] == [t.code for t in b.topics][:1]
        and np.allclose([t.score for t in a.topics], [t.score for t in b.topics], atol=1e-3)
    )


def test_sigkill_mid_batch_loses_nothing(settings, monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_ENCODER_BATCH_SIZE", "8")
    monkeypatch.setenv("SCHOLARSTREAM_ENRICH_TAKE_MAX", "32")
    kafka_io.ensure_topics(settings, TOPICS)
    papers = [snapshot_record_to_paper(line) for line, _ in zip(read_snapshot(SAMPLE), range(96), strict=False)]
    producer = kafka_io.producer(settings)
    for paper in papers:
        producer.send(settings.topic("arxiv.papers.raw"), key=paper.arxiv_id.encode(), value=paper.model_dump_json().encode())
    producer.flush()
    producer.close()

    worker = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "worker"], cwd=REPO, env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            done = sum(kafka_io.end_offsets(settings, settings.topic("papers.enriched")).values())
            if done >= 16:
                break
            time.sleep(0.3)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    before_kill = sum(kafka_io.end_offsets(settings, settings.topic("papers.enriched")).values())
    assert 16 <= before_kill < len(papers), "the kill must land in the middle of the run"

    restarted = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert restarted.returncode == 0, restarted.stderr

    events = enriched(settings)
    by_id: dict[str, list[EnrichedPaper]] = {}
    for event in events:
        by_id.setdefault(event.arxiv_id, []).append(event)
    assert set(by_id) == {p.arxiv_id for p in papers}, "every paper is enriched"
    for copies in by_id.values():
        assert all(same_enrichment(copies[0], other) for other in copies[1:])
    assert sum(kafka_io.group_lag(settings, settings.group("scholarstream-indexer"), settings.topic("papers.enriched")).values()) == 0
