"""Issue 17: a researcher with 20,000 works flows end to end through the running worker and
indexer. Before profile v3 the profile carried every work, grew about 700 bytes a work, and
stopped updating for good at about 2,550 works (Kafka refuses messages over 1 MB; docs/performance.md, 7).

The works are real records of the fixture (titles, categories, years) under synthetic arXiv ids,
assigned to one researcher on `researcher.works` as the assemble stage would."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from clients import kafka_io
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.linking_events import WorkAssignment
from schemas.profiles import Coauthor, Work
from schemas.topics import RESEARCHER_WORKS
from scholarstream.api import create_api
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic
from tests.integration.test_profiles_pipeline import latest_profiles

WORKS = 20_000
RID = "r-prolific0000001"


def _assignments() -> list[WorkAssignment]:
    papers = [snapshot_record_to_paper(line) for line in read_snapshot(FIXTURE_SNAPSHOT)]
    made = []
    for n in range(WORKS):
        paper = papers[n % len(papers)]
        year = 2000 + n % 25
        work = Work(arxiv_id=f"{year % 100:02d}{n % 12 + 1:02d}.{n:05d}", title=f"{paper.title} ({n})", year=year,
                    categories=paper.categories[:5], author_count=2)
        made.append(WorkAssignment(
            researcher_id=RID, work=work, printed_name="Ada Prolific", surname="Prolific",
            coauthors=(Coauthor(researcher_id=f"r-coauthor{n % 40:07d}", display_name=f"Co Author {n % 40}"),),
        ))
    return made


def test_a_researcher_with_20000_works_keeps_a_small_profile_and_pages_every_work(settings):
    kafka_io.ensure_topics(settings, [RESEARCHER_WORKS])
    producer = kafka_io.producer(settings)
    for assignment in _assignments():
        producer.send(settings.topic(RESEARCHER_WORKS.name), key=RID.encode(), value=assignment.model_dump_json().encode())
    producer.flush()
    producer.close()
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json", timeout=1200)
    assert run.returncode == 0, run.stderr + run.stdout
    assert json.loads(run.stdout)["indexed_researchers"] == 1

    for dlq in ("researcher.link.dlq", "index.dlq"):
        assert read_topic(settings, settings.topic(dlq)) == [], dlq
    revisions = [r for r in read_topic(settings, settings.topic("researcher.profiles")) if r.key == RID.encode()]
    largest = max(len(r.value) for r in revisions)
    assert largest < 64_000, f"a profile revision of {largest} bytes"
    profile = latest_profiles(settings)[RID]
    assert profile.works_count == WORKS and profile.display_name == "Ada Prolific"
    assert [c.shared_works for c in profile.close_collaborators[:1]] == [WORKS // 40]
    assert (profile.first_active_year, profile.last_active_year) == (2000, 2024)

    client = TestClient(create_api(settings))
    first = client.get(f"/researchers/{RID}/works", params={"page": 1, "size": 100}).json()
    last = client.get(f"/researchers/{RID}/works", params={"page": WORKS // 100, "size": 100}).json()
    past = client.get(f"/researchers/{RID}/works", params={"page": WORKS // 100 + 1, "size": 100}).json()
    assert first["total"] == WORKS and len(first["works"]) == len(last["works"]) == 100 and past["works"] == []
    assert first["works"][0]["year"] == 2024 and last["works"][-1]["year"] == 2000, "newest first"
