"""Linking and profiles in the running worker: every author line of every paper ends in exactly
one researcher profile, with collaborators by id and a trust snapshot, and trust changes audited."""

from __future__ import annotations

import json

from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.profiles import ProfileWork, ResearcherProfile, TrustChange, Work
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def latest_profiles(settings) -> dict[str, ResearcherProfile]:
    latest: dict[str, ResearcherProfile] = {}
    for record in read_topic(settings, settings.topic("researcher.profiles")):
        item = ResearcherProfile.model_validate_json(record.value)
        if item.researcher_id not in latest or item.revision > latest[item.researcher_id].revision:
            latest[item.researcher_id] = item
    return latest


def latest_works(settings) -> dict[str, list[Work]]:
    """Every researcher's works as `researcher.profile.works` holds them (the last record per key,
    without the works that left), sorted by arXiv id."""
    latest: dict[tuple[str, str], ProfileWork] = {}
    for record in read_topic(settings, settings.topic("researcher.profile.works")):
        item = ProfileWork.model_validate_json(record.value)
        key = (item.researcher_id, item.work.arxiv_id)
        if key not in latest or item.revision >= latest[key].revision:
            latest[key] = item
    works: dict[str, list[Work]] = {}
    for (rid, _), item in sorted(latest.items()):
        if not item.removed:
            works.setdefault(rid, []).append(item.work)
    return works


def test_every_author_line_lands_in_one_profile(settings):
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr

    papers = [snapshot_record_to_paper(line) for line in read_snapshot(FIXTURE_SNAPSHOT)]
    profiles = latest_profiles(settings)
    works = latest_works(settings)
    assert set(works) <= {rid for rid, p in profiles.items() if p.merged_into is None}
    assert all(profiles[rid].works_count == len(held) for rid, held in works.items())
    placed = sorted((work.arxiv_id, rid) for rid, held in works.items() for work in held)
    assert len(placed) == sum(len(paper.authors) for paper in papers)
    assert {arxiv_id for arxiv_id, _ in placed} == {paper.arxiv_id for paper in papers}

    lepers = next(p for p in profiles.values() if "Lepers" in p.display_name)
    assert [w.arxiv_id for w in works[lepers.researcher_id]] == ["1006.5314"]
    assert [w.arxiv_id for w in lepers.recent_works] == ["1006.5314"]
    assert {c.display_name for c in lepers.close_collaborators} == {"O. Dulieu", "V. Kokoouline"}
    assert all(c.researcher_id in profiles for c in lepers.close_collaborators)
    assert lepers.trust is not None and lepers.trust.label and lepers.verification_level.value == "L0"

    changes = [TrustChange.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.trust.changes"))]
    assert {c.researcher_id for c in changes} == set(profiles)


def test_claim_and_orcid_verification_raise_level_and_trust_with_an_audit_event(settings):
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    found = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"]
    researcher = found[0]["researcher_id"]
    before = json.loads(cli("profile", researcher, "--json").stdout)
    assert (before["claimed"], before["verification_level"]) == (False, "L0")

    for args in (("claim", researcher, "--actor", "user:maxence", "--principal", "account"),
                 ("verify", researcher, "--actor", "user:maxence", "--principal", "account",
                  "--orcid", "0000-0002-1825-0097", "--level", "L3"),
                 ("follow", "r-doesnotexist0000", "--actor", "user:someone", "--principal", "account")):
        sent = cli("signal", *args)
        assert sent.returncode == 0, sent.stderr
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0

    after = json.loads(cli("profile", researcher, "--json").stdout)
    assert (after["claimed"], after["verification_level"]) == (True, "L3")
    assert after["trust"]["score"] > before["trust"]["score"]
    assert after["revision"] > before["revision"]
    changes = [TrustChange.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.trust.changes"))]
    last = [c for c in changes if c.researcher_id == researcher][-1]
    assert last.new_score == after["trust"]["score"]
    assert "identity" in {c.name for c in last.changes}

    # A signal for a researcher without a profile waits for it (a rebuild reads signals before the
    # papers that create profiles: stream_processors/agents/parked_signals.py), not dead-lettered.
    letters = [json.loads(r.value) for r in read_topic(settings, settings.topic("researcher.signals.dlq"))]
    assert letters == []
