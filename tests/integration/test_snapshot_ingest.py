"""Snapshot ingestion into the real Kafka: every valid record keyed by id, every bad one dead-lettered."""

from __future__ import annotations

import json

from schemas.dead_letters import DeadLetter
from schemas.papers import parse_raw_paper
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def test_ingest_produces_every_record_and_dead_letters_the_bad(settings, tmp_path):
    lines = FIXTURE_SNAPSHOT.read_text().splitlines()
    bad = ['{"id": "1006.9999", "title": 7}', "{not json"]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines + lines[:2] + bad) + "\n")

    result = cli("ingest", "snapshot", str(path), "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["produced"], summary["duplicates_skipped"], summary["rejected"]) == (40, 2, 2)

    raw = read_topic(settings, settings.topic("arxiv.papers.raw"))
    keys = [record.key.decode() for record in raw]
    assert len(raw) == 40 and len(set(keys)) == 40
    for record in raw:
        paper = parse_raw_paper(record.value)
        assert record.key.decode() == paper.arxiv_id
        headers = dict(record.headers)
        assert headers["source"] == b"snapshot"
        assert headers["version"] == str(paper.version).encode()

    letters = [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic("arxiv.papers.dlq"))]
    assert sorted(letter.payload for letter in letters) == sorted(bad)
    by_payload = {letter.payload: letter for letter in letters}
    assert by_payload[bad[0]].key == "1006.9999"
    assert "title" in by_payload[bad[0]].reason
    assert "not JSON" in by_payload[bad[1]].reason
    assert all(letter.stage == "ingest" and letter.source == "snapshot" for letter in letters)


def test_dry_run_produces_nothing(settings):
    result = cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["produced"] == 40
    from clients import kafka_io

    assert settings.topic("arxiv.papers.raw") not in kafka_io.admin(settings).list_topics()


def test_kaggle_slice_produces_every_record_with_affiliations(settings):
    """Acceptance 2 of issue 4: all 1,403 records of the arXiv snapshot slice (samples/ holds the
    same file as ../shared/data/arxiv-kaggle-1006), authors and inline affiliations parsed."""
    from tests.conftest import REPO

    result = cli("ingest", "snapshot", str(REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["produced"], summary["rejected"]) == (1403, 0)
    papers = [parse_raw_paper(r.value) for r in read_topic(settings, settings.topic("arxiv.papers.raw"))]
    assert len({paper.arxiv_id for paper in papers}) == 1403
    assert sum(any(author.affiliations for author in paper.authors) for paper in papers) == 102
    assert sum(len(paper.authors) for paper in papers) == 4881
    de_propris = next(paper for paper in papers if paper.arxiv_id == "1007.0013")
    assert [a.affiliations for a in de_propris.authors] == [("CTIO",), ("CTIO",), ("Cornell University",)]
    assert read_topic(settings, settings.topic("arxiv.papers.dlq")) == []
