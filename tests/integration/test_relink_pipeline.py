"""A researcher that holds two real people, split by `scholarstream relink` through Kafka.

The fixture (`tests/fixtures/snapshot-relink.jsonl`, written by `python -m
evaluation.namesakes_fixture "cheng|yu" ...`) holds the 11 papers of one pseudo-namesake group: two
real authors of the 2016 cs harvest with names nobody else prints, each renamed "Yu Cheng" on every
paper, every other author and field as published; `snapshot-relink.truth.json` says who wrote
each. Linked in the order of the file, the pairwise linker folds part of one person into the
other's researcher (`evaluation/linking_relink.py --groups`: 2 researchers, one of them mixed; a
relink splits it into people). One partition per topic keeps that order: with several, the order
the block sees its mentions changes from run to run, and about half the orders do not fold.
"""

from __future__ import annotations

import json
from pathlib import Path

from schemas.profiles import SplitEvent, is_split
from tests.integration.conftest import cli, read_topic
from tests.integration.test_profiles_pipeline import latest_profiles, latest_works

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "snapshot-relink.jsonl"
TRUTH = {paper_id: line["person"] for paper_id, line in
         json.loads(FIXTURE.with_suffix(".truth.json").read_text())["papers"].items()}
NAME = "Yu Cheng"


def people_by_researcher(settings) -> dict[str, set[str]]:
    """Each live profile printing the name, with the true people of its works."""
    profiles, works = latest_profiles(settings), latest_works(settings)
    return {rid: {TRUTH[w.arxiv_id] for w in works.get(rid, []) if w.arxiv_id in TRUTH}
            for rid, p in profiles.items() if p.merged_into is None and p.display_name == NAME and works.get(rid)}


def placed(settings) -> list[str]:
    profiles, works = latest_profiles(settings), latest_works(settings)
    return sorted(w.arxiv_id for rid, held in works.items() if rid in profiles and profiles[rid].merged_into is None
                  and profiles[rid].display_name == NAME for w in held if w.arxiv_id in TRUTH)


def test_a_researcher_holding_two_real_people_is_split_by_a_relink_end_to_end(settings, monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PARTITIONS", "1")
    monkeypatch.setenv("SCHOLARSTREAM_LINKER", "pairwise")
    assert cli("ingest", "snapshot", str(FIXTURE)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr
    before = people_by_researcher(settings)
    print(f"before: {sorted(map(sorted, before.values()))}")
    assert [people for people in before.values() if len(people) > 1], "the stream folded the two people (the fixture's point)"
    assert placed(settings) == sorted(TRUTH)

    looked = cli("relink", "--name", NAME, "--dry-run", "--json")
    assert looked.returncode == 0, looked.stderr
    plan = json.loads(looked.stdout)
    assert plan["would_split"] == 1 and plan["requests_sent"] == []

    sent = cli("relink", "--name", NAME, "--by", "ops-test", "--json")
    assert sent.returncode == 0, sent.stderr
    (relink_id,) = json.loads(sent.stdout)["requests_sent"]
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr

    after = people_by_researcher(settings)
    print(f"after: {sorted(map(sorted, after.values()))}")
    assert all(len(people) == 1 for people in after.values()), f"still mixed after the relink: {after}"
    assert set().union(*after.values()) == set(TRUTH.values())
    assert placed(settings) == sorted(TRUTH), "every renamed line is a work of exactly one live profile"
    splits = [SplitEvent.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.merges"))
              if is_split(r.value)]
    assert [(s.relink_id, s.requested_by) for s in splits] == [(relink_id, "ops-test")]
    kept = latest_profiles(settings)[splits[0].researcher_id]
    assert {d.arxiv_id for d in kept.disowned_works} == set(splits[0].arxiv_ids)
    assert {d.signal_id for d in kept.disowned_works} == {f"relink:{relink_id}"}

    again = cli("relink", "--name", NAME, "--dry-run", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["would_split"] == 0, "a second look finds each researcher one person"


def test_a_block_linked_with_the_weights_on_two_partitions_is_split_by_a_relink_with_the_model(settings, monkeypatch):
    """The documented way from the hand-set weights to the model (docs/operations.md): a deployment
    linked with the weights folds every "Yu Cheng" into one researcher whatever order the block sees
    its mentions in, so this runs on two partitions per topic; the worker restarted with the model
    and a relink then split the two people apart."""
    assert settings.topic_partitions == 2
    monkeypatch.setenv("SCHOLARSTREAM_LINKER", "weights")
    assert cli("ingest", "snapshot", str(FIXTURE)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr
    before = people_by_researcher(settings)
    assert list(before.values()) == [set(TRUTH.values())], f"the weights fold both people into one: {before}"

    monkeypatch.setenv("SCHOLARSTREAM_LINKER", "pairwise")
    sent = cli("relink", "--name", NAME, "--json")
    assert sent.returncode == 0, sent.stderr
    assert len(json.loads(sent.stdout)["requests_sent"]) == 1
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr

    after = people_by_researcher(settings)
    print(f"after: {sorted(map(sorted, after.values()))}")
    assert len(after) >= 2 and all(len(people) == 1 for people in after.values()), f"still mixed: {after}"
    assert set().union(*after.values()) == set(TRUTH.values())
    assert placed(settings) == sorted(TRUTH), "every renamed line is a work of exactly one live profile"
