"""The producer loop in dry-run mode: counting, duplicates, rejects and limits."""

from __future__ import annotations

import json

from producers.ingest import ingest
from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper


def run(payloads, **kwargs):
    ticks = iter(range(100))
    return ingest(
        payloads, source="snapshot", parse=snapshot_record_to_paper, key_of=record_key, publisher=None,
        monotonic=lambda: float(next(ticks)), **kwargs,
    )


def test_counts_valid_duplicate_and_rejected(fixtures):
    lines = list(read_snapshot(fixtures / "snapshot-40.jsonl"))
    summary = run(lines + lines[:3] + ["{broken", json.dumps({"id": "x"})])
    assert (summary.read, summary.produced, summary.duplicates_skipped, summary.rejected) == (45, 40, 3, 2)
    assert summary.dry_run is True
    assert summary.elapsed_seconds == 1.0


def test_limit_stops_reading(fixtures):
    summary = run(read_snapshot(fixtures / "snapshot-40.jsonl"), limit=7)
    assert summary.read == 7 and summary.produced == 7


def test_progress_is_called_per_record(fixtures):
    seen = []
    run(read_snapshot(fixtures / "snapshot-40.jsonl"), limit=5, progress=seen.append)
    assert seen == [1] * 5
