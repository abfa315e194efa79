"""The producer loop in dry-run mode: counting, duplicates, rejects and limits."""

from __future__ import annotations

import json

from producers.ingest import ingest
from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper
from tests.conftest import FIXTURES


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


def _collaboration_record(authors: int, affiliation: str) -> str:
    record = json.loads(next(iter(read_snapshot(FIXTURES / "snapshot-40.jsonl"))))
    record["id"] = "2612.00099"
    record["authors_parsed"] = [[f"Member{n}", "Alex", "", affiliation] for n in range(authors)]
    record["authors"] = ", ".join(f"Alex Member{n}" for n in range(authors))
    return json.dumps(record)


def test_a_record_too_large_for_kafka_is_rejected_with_its_size_and_the_rest_goes_on(fixtures):
    """Issue 17: every field within its limit, the whole over Kafka's: a send would be refused
    (and an OAI harvest retried its page forever); it is dead-lettered like any invalid record."""
    lines = list(read_snapshot(fixtures / "snapshot-40.jsonl"))
    huge = _collaboration_record(5_000, "Institute of Very Long Affiliation Names, " * 6)
    fits = _collaboration_record(3_000, "CERN")
    summary = run([lines[0], huge, fits, lines[1]])
    assert (summary.read, summary.produced, summary.rejected) == (4, 3, 1)


def test_the_size_check_names_the_size_and_the_limit():
    import pytest

    from foundation.errors import InvalidRecord
    from producers.snapshot import snapshot_record_to_paper
    from schemas.papers import MAX_RECORD_BYTES, encode_raw

    paper = snapshot_record_to_paper(_collaboration_record(5_000, "Institute of Very Long Affiliation Names, " * 6))
    with pytest.raises(InvalidRecord, match=r"over the 1,000,000 a Kafka message may hold \(5,000 authors\)"):
        encode_raw(paper)
    small = snapshot_record_to_paper(_collaboration_record(3_000, "CERN"))
    assert len(encode_raw(small)) <= MAX_RECORD_BYTES
