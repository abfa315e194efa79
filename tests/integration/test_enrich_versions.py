"""Only the newest version of a paper is enriched, also across a worker restart (the version
table is recovered from its changelog)."""

from __future__ import annotations

import json

from clients import kafka_io
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.papers import EnrichedPaper
from schemas.topics import TOPICS
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def produce_raw(settings, papers):
    producer = kafka_io.producer(settings)
    for paper in papers:
        producer.send(settings.topic("arxiv.papers.raw"), key=paper.arxiv_id.encode(), value=paper.model_dump_json().encode())
    producer.flush()
    producer.close()


def enriched_versions(settings):
    records = read_topic(settings, settings.topic("papers.enriched"))
    return [(e.arxiv_id, e.paper.version) for e in (EnrichedPaper.model_validate_json(r.value) for r in records)]


def test_older_versions_are_dropped_within_a_run_and_after_a_restart(settings):
    kafka_io.ensure_topics(settings, TOPICS)
    base = [snapshot_record_to_paper(line) for line in list(read_snapshot(FIXTURE_SNAPSHOT))[:3]]
    v3 = [p.model_copy(update={"version": 3}) for p in base]
    v1 = [p.model_copy(update={"version": 1}) for p in base]

    produce_raw(settings, v3 + v1)  # the older version arrives after the newer one
    first = cli("run", "--until-caught-up", "--timeout", "600", "--json")
    assert first.returncode == 0, first.stderr
    assert sorted(enriched_versions(settings)) == sorted((p.arxiv_id, 3) for p in base)

    produce_raw(settings, v1[:1] + [v1[1].model_copy(update={"version": 4})])  # a new process must remember v3
    second = cli("run", "--until-caught-up", "--timeout", "600", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["caught_up"] is True
    assert sorted(enriched_versions(settings)) == sorted([(p.arxiv_id, 3) for p in base] + [(base[1].arxiv_id, 4)])
