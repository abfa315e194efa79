"""Issue 17: a record too large for a Kafka message is dead-lettered with its size, and the
records around it are produced; nothing is retried forever."""

from __future__ import annotations

import json

from producers.snapshot import read_snapshot
from schemas.dead_letters import DeadLetter
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def test_an_oversized_record_goes_to_the_dead_letter_topic_and_the_ingest_goes_on(settings, tmp_path):
    lines = list(read_snapshot(FIXTURE_SNAPSHOT))
    huge = json.loads(lines[0])
    huge["id"] = "2612.00099"
    huge["authors_parsed"] = [[f"Member{n}", "Alex", "", "Institute of Very Long Affiliation Names, " * 6] for n in range(5_000)]
    huge["authors"] = ", ".join(f"Alex Member{n}" for n in range(5_000))
    snapshot = tmp_path / "with-oversized.jsonl"
    snapshot.write_text("\n".join([lines[0], json.dumps(huge), lines[1]]) + "\n")

    ingested = cli("ingest", "snapshot", str(snapshot), "--json")
    assert ingested.returncode == 0, ingested.stderr
    summary = json.loads(ingested.stdout)
    assert (summary["produced"], summary["rejected"]) == (2, 1)

    raw = read_topic(settings, settings.topic("arxiv.papers.raw"))
    assert sorted(r.key for r in raw) == sorted(json.loads(line)["id"].encode() for line in lines[:2])
    (letter,) = [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic("arxiv.papers.dlq"))]
    assert letter.key == "2612.00099" and letter.stage == "ingest"
    assert "a Kafka message may hold (5,000 authors)" in letter.reason
