"""Four real people printed as one common name, through Kafka: the learned linker keeps them apart.

The fixture (`tests/fixtures/snapshot-namesakes.jsonl`, written by `python -m
evaluation.namesakes_fixture "li|lei" ...`) holds the 12 papers of one pseudo-namesake group: four
real authors of the 2016 cs harvest with names nobody else prints (computational geometry, robotics,
rewriting logic, networking), each renamed "Lei Li" on every paper, every other author and field as
published. `snapshot-namesakes.truth.json` says who really wrote each paper. The offline evaluation
(docs/linking.md, "A learned pairwise model") links this group into four researchers of one person
each with `pairwise`, and into one researcher with `weights`; here the running worker must do what
the evaluation says, through the real route, link, assemble and profile agents.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import cli
from tests.integration.test_profiles_pipeline import latest_profiles, latest_works

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "snapshot-namesakes.jsonl"
TRUTH = {paper_id: line["person"] for paper_id, line in
         json.loads(FIXTURE.with_suffix(".truth.json").read_text())["papers"].items()}


@pytest.mark.parametrize("linker", ["weights", "pairwise"])
def test_a_pseudo_namesake_group_of_real_records_is_kept_apart_end_to_end(settings, monkeypatch, linker):
    monkeypatch.setenv("SCHOLARSTREAM_LINKER", linker)
    assert cli("ingest", "snapshot", str(FIXTURE)).returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "900", "--json")
    assert run.returncode == 0, run.stderr

    profiles = [p for p in latest_profiles(settings).values() if p.merged_into is None and p.display_name == "Lei Li"]
    works = latest_works(settings)
    researchers = [{TRUTH[w.arxiv_id] for w in works.get(p.researcher_id, [])} for p in profiles]
    placed = sum(len(works.get(p.researcher_id, [])) for p in profiles)
    print(f"{linker}: {len(researchers)} researchers for 4 people: {[sorted(people) for people in researchers]}")
    assert placed == len(TRUTH) == 12, "every renamed line is a work of exactly one live profile"
    mixed = [people for people in researchers if len(people) > 1]
    if linker == "pairwise":
        assert not mixed, f"the learned linker folded different people into one researcher: {mixed}"
        assert set().union(*researchers) == set(TRUTH.values())
    else:
        assert mixed, "the hand-set weights fold a common full name whatever else the papers say"
