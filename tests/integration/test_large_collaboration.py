"""Issue 17: a paper with 3,000 authors flows end to end through the running worker and indexer:
one profile per author line, every record of it far under Kafka's message limit, nothing
dead-lettered. The paper is a real record of the fixture with a synthetic author list."""

from __future__ import annotations

import json

from clients import es_io
from producers.snapshot import read_snapshot
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic

AUTHORS = 3_000
ARXIV_ID = "2612.00042"


def _surname(n: int) -> str:
    return "Phys" + "".join("abcdefghij"[int(d)] for d in f"{n:04d}")


def _collaboration_snapshot(path):
    record = json.loads(next(iter(read_snapshot(FIXTURE_SNAPSHOT))))
    record["id"] = ARXIV_ID
    record["authors_parsed"] = [[_surname(n), "Alex", ""] for n in range(AUTHORS)]
    record["authors"] = ", ".join(f"Alex {_surname(n)}" for n in range(AUTHORS))
    path.write_text(json.dumps(record) + "\n")
    return path


def test_a_paper_of_3000_authors_gives_3000_searchable_profiles(settings, tmp_path):
    snapshot = _collaboration_snapshot(tmp_path / "collaboration.jsonl")
    assert cli("ingest", "snapshot", str(snapshot)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json", timeout=1200)
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert (result["indexed_documents"], result["indexed_researchers"]) == (1, AUTHORS)

    for dlq in ("papers.enrich.dlq", "researcher.link.dlq", "index.dlq"):
        assert read_topic(settings, settings.topic(dlq)) == [], dlq
    for topic in ("researcher.mentions", "researcher.authorships", "researcher.works", "researcher.profiles",
                  "researcher.profile.works"):
        records = read_topic(settings, settings.topic(topic))
        assert len(records) >= AUTHORS, topic
        largest = max(len(r.value) for r in records)
        assert largest < 16_000, f"{topic}: a record of {largest} bytes"

    es = es_io.client(settings)
    assert es.count(index=settings.index("researchers"))["count"] == AUTHORS
    who = cli("search", "researchers", f"{_surname(1234)}, A", "--json")
    assert who.returncode == 0, who.stderr
    top = json.loads(who.stdout)["hits"][0]
    shown = json.loads(cli("profile", top["researcher_id"], "--json").stdout)
    assert shown["display_name"] == f"Alex {_surname(1234)}"
    assert [w["arxiv_id"] for w in shown["recent_works"]] == [ARXIV_ID]
    assert shown["recent_works"][0]["author_count"] == AUTHORS and shown["close_collaborators"] == []
