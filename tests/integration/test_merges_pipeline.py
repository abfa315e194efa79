"""Merges through the running worker against the real Kafka: a paper that shows two researchers to
be one merges them (works move to the survivor, the old id becomes a redirect), a claimant's
merge_request does the same, and a disowned work is split off to a researcher of its own.

The fixture (tests/fixtures/snapshot-merge.jsonl) holds three papers of one "Jun Wang": at Aalto
(math) with Adam Smith, at the Max Planck Institute (biophysics) with Carl Berg, and a third with
both affiliations and both coauthors. The first two are ingested and linked first, so the block
sees them before the third (mentions of papers on different partitions have no order otherwise).
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.profiles import MergeEvent
from stream_processors.linking.linker import researcher_id_for
from stream_processors.profiles import split_researcher_id
from tests.integration.conftest import cli, read_topic
from tests.integration.test_profiles_pipeline import latest_profiles, latest_works

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "snapshot-merge.jsonl"
AALTO = researcher_id_for("1501.07001", 0)     # Jun Wang as created by the math paper
PLANCK = researcher_id_for("1502.07002", 0)    # Jun Wang as created by the biophysics paper
SURVIVOR, RETIRED = sorted((AALTO, PLANCK))


def ingest_and_run(tmp_path: Path, lines: list[str]) -> None:
    part = tmp_path / f"part-{len(list(tmp_path.glob('part-*')))}.jsonl"
    part.write_text("".join(lines))
    assert cli("ingest", "snapshot", str(part)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr


def signal_and_run(*signals: tuple[str, ...]) -> None:
    for args in signals:
        sent = cli("signal", *args)
        assert sent.returncode == 0, sent.stderr
    run = cli("run", "--until-caught-up", "--timeout", "900")
    assert run.returncode == 0, run.stderr


def jun_wangs(settings) -> dict[str, object]:
    return {rid: p for rid, p in latest_profiles(settings).items() if p.display_name == "Jun Wang"}


def test_a_paper_showing_two_researchers_are_one_merges_them_in_the_stream(settings, tmp_path):
    lines = FIXTURE.read_text().splitlines(keepends=True)
    ingest_and_run(tmp_path, lines[:2])
    before = jun_wangs(settings)
    assert set(before) == {AALTO, PLANCK}, "different place, field and coauthors: two researchers at first"
    assert [w.arxiv_id for w in latest_works(settings)[AALTO]] == ["1501.07001"]

    ingest_and_run(tmp_path, lines[2:])
    merges = [MergeEvent.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.merges"))]
    assert [(m.retired_id, m.surviving_id, m.reason) for m in merges] == [(RETIRED, SURVIVOR, "linking")]
    assert merges[0].evidence["shared_coauthors"] == 1

    after = jun_wangs(settings)
    works = latest_works(settings)
    assert [w.arxiv_id for w in works[SURVIVOR]] == ["1501.07001", "1502.07002", "1503.07003"]
    assert after[SURVIVOR].works_count == 3
    assert after[SURVIVOR].merged_from == (RETIRED,) and after[SURVIVOR].merged_into is None
    assert after[RETIRED].merged_into == SURVIVOR and RETIRED not in works and after[RETIRED].works_count == 0
    assert after[RETIRED].revision > before[RETIRED].revision

    shown = cli("profile", RETIRED, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["researcher_id"] == SURVIVOR, "the old id redirects to the survivor"


def test_a_merge_request_by_the_claimant_merges_and_a_disowned_work_is_split_off(settings, tmp_path):
    lines = FIXTURE.read_text().splitlines(keepends=True)
    ingest_and_run(tmp_path, lines[:2])
    assert set(jun_wangs(settings)) == {AALTO, PLANCK}
    claimant = AALTO
    other = PLANCK
    signal_and_run(
        ("claim", claimant, "--actor", "user:jun", "--principal", "account"),
        ("claim", other, "--actor", "user:jun", "--principal", "account"),  # an account merges only its own profiles
        ("merge_request", claimant, "--other-id", other, "--actor", "user:jun", "--principal", "account"),
        ("merge_request", other, "--other-id", claimant, "--actor", "user:mallory", "--principal", "account"),  # not the claimant: refused
    )
    profiles = latest_profiles(settings)
    survivor = profiles[SURVIVOR]
    assert [w.arxiv_id for w in latest_works(settings)[SURVIVOR]] == ["1501.07001", "1502.07002"]
    assert survivor.claimed_by == "user:jun", "the claim moves with the claimant's content"
    assert profiles[RETIRED].merged_into == SURVIVOR
    merges = [MergeEvent.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.merges"))]
    assert [(m.reason, m.requested_by, m.actor) for m in merges] == [("claim", claimant, "user:jun")]
    letters = [json.loads(r.value) for r in read_topic(settings, settings.topic("researcher.signals.dlq"))]
    assert any("needs a claimed profile" in letter["reason"] or "claimed by another account" in letter["reason"]
               for letter in letters)

    signal_and_run(("disown_work", SURVIVOR, "--arxiv-id", "1502.07002", "--actor", "user:jun", "--principal", "account"))
    profiles = latest_profiles(settings)
    works = latest_works(settings)
    assert [w.arxiv_id for w in works[SURVIVOR]] == ["1501.07001"] and profiles[SURVIVOR].works_count == 1
    assert [d.arxiv_id for d in profiles[SURVIVOR].disowned_works] == ["1502.07002"]
    split = profiles[split_researcher_id(SURVIVOR, "1502.07002")]
    assert [w.arxiv_id for w in works[split.researcher_id]] == ["1502.07002"] and not split.claimed


def test_a_request_for_a_profile_the_account_did_not_claim_waits_for_an_operator_who_approves_it(settings, tmp_path):
    """Issue 18: the review queue. jun claims the Aalto profile and asks to join the unclaimed Max
    Planck one: not applied, but listed by `merges review`; an operator approves it and the worker
    merges them; a decided review is no longer pending and cannot be decided twice."""
    lines = FIXTURE.read_text().splitlines(keepends=True)
    ingest_and_run(tmp_path, lines[:2])
    signal_and_run(
        ("claim", AALTO, "--actor", "user:jun", "--principal", "account"),
        ("merge_request", AALTO, "--other-id", PLANCK, "--actor", "user:jun", "--principal", "account"),
    )
    assert all(p.merged_into is None for p in jun_wangs(settings).values()), "not applied: it waits for an operator"
    listed = cli("merges", "review", "--json")
    assert listed.returncode == 0, listed.stderr
    (review,) = json.loads(listed.stdout)["reviews"]
    assert (review["account"], review["requested_by"], sorted(review["ids"])) == ("user:jun", AALTO, sorted((AALTO, PLANCK)))
    assert review["reason"].startswith(f"for review: {PLANCK} is not claimed by user:jun") and review["decision"] is None
    letters = [json.loads(r.value) for r in read_topic(settings, settings.topic("researcher.merges.dlq"))]
    assert letters == [], "a request for review is not a dead letter"

    approved = cli("merges", "approve", review["review_id"], "--by", "ops-anna", "--json")
    assert approved.returncode == 0, approved.stderr
    run = cli("run", "--until-caught-up", "--timeout", "900")
    assert run.returncode == 0, run.stderr
    profiles = latest_profiles(settings)
    assert profiles[RETIRED].merged_into == SURVIVOR and profiles[SURVIVOR].claimed_by == "user:jun"
    merges = [MergeEvent.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.merges"))]
    assert [(m.reason, m.actor) for m in merges][-1] == ("operator", "ops-anna")

    assert json.loads(cli("merges", "review", "--json").stdout)["reviews"] == []
    decided = json.loads(cli("merges", "review", "--all", "--json").stdout)["reviews"]
    assert [(r["review_id"], r["decision"]["decision"], r["decision"]["decided_by"]) for r in decided] == [
        (review["review_id"], "approved", "ops-anna")]
    twice = cli("merges", "reject", review["review_id"], "--note", "changed my mind")
    assert twice.returncode != 0 and "was approved by ops-anna" in twice.stderr
