"""Merges and splits through the real linking handlers over in-memory topics: linking finds them, profiles apply them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from schemas.papers import Author, RawPaper
from schemas.profiles import (
    ClaimSignal,
    DisownWorkSignal,
    MergeMove,
    MergeRequestSignal,
    OrcidEvidence,
    VerifySignal,
)
from stream_processors.profiles import split_researcher_id
from tests.factories import enriched_paper
from tests.unit.stream_processors.agents.memory import MERGES, MOVES, NOW, Worker

V1, V2 = [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]


def paper(arxiv_id, authors, vector, categories=("math.CO",), year=2015):
    return enriched_paper(
        RawPaper(arxiv_id=arxiv_id, version=1, title=f"Paper {arxiv_id}", abstract="", categories=categories,
                 source="snapshot", submitted=datetime(year, 1, 1, tzinfo=UTC),
                 authors=tuple(Author(keyname=k, forenames=f, affiliations=tuple(a)) for k, f, a in authors)),
        np.asarray(vector, dtype=np.float32),
    )


# "Z. Wang" at Institute B is kept apart from "Zheng Wang" at Univ A (weak name, other place, other
# vector); a third paper of "Z. Wang" at Univ A with both their coauthors shows they are one.
ZHENG = paper("1501.00001", [("Wang", "Zheng", ["Univ A Physics"]), ("Smith", "Adam", [])], V1)
Z_AT_B = paper("1501.00002", [("Wang", "Z.", ["Institute B"]), ("Berg", "Carl", [])], V2)
Z_BOTH = paper("1501.00003", [("Wang", "Z.", ["Univ A Physics"]), ("Berg", "Carl", []), ("Smith", "Adam", [])], V2)
PAPERS = [ZHENG, Z_AT_B, Z_BOTH]


def test_a_paper_linking_both_names_through_shared_coauthors_merges_them():
    model = Worker().ingest(PAPERS[:2])
    assert model.merge_log == [], "two papers alone do not show that the two are one"
    model.ingest(PAPERS[2:])
    (merge,) = model.merge_log
    assert merge.reason == "linking" and merge.surviving_id < merge.retired_id
    assert {merge.retired_name, merge.surviving_name} == {"Zheng Wang", "Z. Wang"}
    assert merge.evidence["shared_coauthors"] == 1 and merge.score >= 0.6
    assert merge.evidence["term_coauthors"] > 0 and merge.evidence["term_topics"] > 0


@pytest.mark.parametrize("merges_first", [True, False], ids=["merge-before-works", "works-before-merge"])
def test_the_works_move_to_the_survivor_and_the_old_profile_becomes_a_redirect(merges_first):
    model = Worker(merges_first=merges_first).ingest(PAPERS).drain()
    (merge,) = model.merge_log
    survivor, retired = model.profiles[merge.surviving_id], model.profiles[merge.retired_id]
    assert [w.arxiv_id for w in model.works_of(survivor.researcher_id)] == ["1501.00001", "1501.00002", "1501.00003"]
    assert survivor.merged_from == (merge.retired_id,)
    assert retired.merged_into == merge.surviving_id and model.works_of(retired.researcher_id) == [] and retired.works_count == 0
    assert survivor.display_name == "Zheng Wang", "the fullest printed form wins after the merge"
    assert model.placed().count(("1501.00001", merge.surviving_id)) == 1
    assert len(model.placed()) == 7, "every author line of the three papers sits in exactly one live profile"
    assert model.refused == []


def test_a_replay_in_the_same_order_rebuilds_identical_profiles_and_ids():
    first = Worker().ingest(PAPERS).drain()
    again = Worker().ingest(PAPERS).drain()
    assert first.merge_log == again.merge_log
    assert first.profiles == again.profiles
    redelivered = Worker().ingest(PAPERS).drain().ingest(PAPERS).drain()
    assert redelivered.merge_log == first.merge_log, "re-delivered mentions are recognised: no second merge"
    assert redelivered.placed() == first.placed()
    (merge,) = first.merge_log
    smith = redelivered.by_name("Adam Smith")
    assert merge.surviving_id in {c.researcher_id for c in smith.close_collaborators}, (
        "a re-delivered mention of the retired researcher links to the survivor, so coauthor ids catch up"
    )


def test_redelivered_merge_events_and_moves_change_nothing():
    model = Worker(merges_first=False).ingest(PAPERS).drain()
    before = dict(model.profiles)
    (merge,) = model.merge_log
    model.topics[MERGES].put(merge.retired_id, merge)
    model.drain()
    assert model.profiles == before
    retired_content = [p for p in model.published if p.researcher_id == merge.retired_id and not p.merged_into][-1]
    model.topics[MOVES].put(merge.surviving_id, MergeMove(merge=merge, retired=retired_content, target_id=merge.surviving_id))
    model.drain()
    assert model.profiles == before, "the survivor remembers the retired id in merged_from"


def test_a_work_assigned_later_to_the_retired_id_is_redirected_to_the_survivor():
    model = Worker().ingest(PAPERS).drain()
    (merge,) = model.merge_log
    late = paper("1502.00009", [("Wang", "Zheng", ["Univ A Physics"]), ("Smith", "Adam", [])], V1)
    model.ingest([late]).drain()
    assert "1502.00009" in {w.arxiv_id for w in model.works_of(merge.surviving_id)}
    assert model.works_of(merge.retired_id) == []


# --- claims ------------------------------------------------------------------------------------


def claimed(model, rid, actor="user:zheng"):
    return model.signal(ClaimSignal(signal_id=f"claim-{rid}-{actor}", researcher_id=rid, actor=actor, at=NOW))


def two_profiles():
    """Two separate researchers of one person: no shared coauthor, so linking keeps them apart."""
    papers = [
        paper("1501.00001", [("Wang", "Zheng", ["Univ A Physics"]), ("Smith", "Adam", [])], V1),
        paper("1601.00002", [("Wang", "Z.", ["Institute B"]), ("Berg", "Carl", [])], V2, year=2016),
    ]
    model = Worker().ingest(papers).drain()
    assert model.merge_log == []
    return model, model.by_name("Zheng").researcher_id, model.by_name("Z. Wang").researcher_id


def test_a_merge_request_by_the_claimant_merges_the_other_profile():
    model, zheng, z = two_profiles()
    claimed(model, zheng)
    claimed(model, z)  # the same account claimed both
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=zheng, other_id=z, actor="user:zheng", at=NOW))
    survivor_id, retired_id = sorted((zheng, z))
    survivor = model.profiles[survivor_id]
    assert {w.arxiv_id for w in model.works_of(survivor.researcher_id)} == {"1501.00001", "1601.00002"}
    assert survivor.claimed_by == "user:zheng"
    assert model.profiles[retired_id].merged_into == survivor_id
    (merge,) = [m for m in model.published if m.researcher_id == retired_id and m.merged_into]
    assert model.refused == []


def test_a_merge_request_needs_the_claimant():
    model, zheng, z = two_profiles()
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=zheng, other_id=z, actor="user:zheng", at=NOW))
    assert model.refused and "needs a claimed profile" in model.refused[0]
    claimed(model, zheng)
    model.signal(MergeRequestSignal(signal_id="m-2", researcher_id=zheng, other_id=z, actor="user:mallory", at=NOW))
    assert "claimed by another account" in model.refused[-1]
    assert all(p.merged_into is None for p in model.profiles.values())


@pytest.mark.parametrize("claimant_side", ["survivor", "retired"])
def test_a_merge_request_naming_an_unclaimed_profile_is_refused_for_an_operators_review(claimant_side):
    """Regression (issue 18, merge absorption): a claimant of one profile merged any unclaimed
    profile into it. An account now joins only profiles it claimed; the refusal goes to the merges
    dead letters for an operator, who approves it by sending the merge request as an operator."""
    model, zheng, z = two_profiles()
    survivor_id, retired_id = sorted((zheng, z))
    mine, other = (survivor_id, retired_id) if claimant_side == "survivor" else (retired_id, survivor_id)
    claimed(model, mine)
    before = {rid: [w.arxiv_id for w in model.works_of(rid)] for rid in model.profiles}
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=mine, other_id=other, actor="user:zheng", at=NOW))
    assert model.refused == [], "not a dead letter: a request for the operators"
    (review,) = model.reviews
    assert review.review_id == "m-1" and review.merge.actor == "user:zheng"
    assert review.reason.startswith(f"for review: {other} is not claimed by user:zheng")
    assert {review.merge.retired_id, review.merge.surviving_id} == {mine, other} and review.merge.requested_by == mine
    assert all(p.merged_into is None for p in model.profiles.values())
    assert {rid: [w.arxiv_id for w in model.works_of(rid)] for rid in model.profiles} == before

    model.signal(MergeRequestSignal(signal_id="m-op", researcher_id=mine, other_id=other, actor="ops",
                                    principal="operator", at=NOW))
    assert model.profiles[retired_id].merged_into == survivor_id
    assert {w.arxiv_id for w in model.works_of(survivor_id)} == {"1501.00001", "1601.00002"}
    assert model.profiles[survivor_id].claimed_by == "user:zheng"


def test_a_merge_request_naming_a_profile_claimed_by_someone_else_is_refused_and_nothing_moves():
    model, zheng, z = two_profiles()
    claimed(model, zheng)
    claimed(model, z, actor="user:other")
    before = {rid: [w.arxiv_id for w in model.works_of(rid)] for rid in model.profiles}
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=zheng, other_id=z, actor="user:zheng", at=NOW))
    assert model.refused and "claimed by another account" in model.refused[-1]
    assert all(p.merged_into is None for p in model.profiles.values())
    assert {rid: [w.arxiv_id for w in model.works_of(rid)] for rid in model.profiles} == before


def test_a_survivor_that_cannot_take_the_content_sends_it_back_and_the_retired_profile_is_restored():
    model, zheng, z = two_profiles()
    survivor_id, retired_id = sorted((zheng, z))
    claimant = retired_id  # the claimant's own profile is the one retired (larger id)
    claimed(model, claimant)
    model.signal(VerifySignal(signal_id="v-1", researcher_id=claimant, actor="user:zheng", at=NOW, level="L3",
                              evidence=OrcidEvidence(orcid="0000-0002-1825-0097")))
    # The survivor is another person's: claimed, with that person's ORCID iD.
    claimed(model, survivor_id, actor="user:other")
    model.signal(VerifySignal(signal_id="v-2", researcher_id=survivor_id, actor="user:other", at=NOW, level="L3",
                              evidence=OrcidEvidence(orcid="0000-0001-5109-3700")))
    works_before = [w.arxiv_id for w in model.works_of(claimant)]
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=claimant, other_id=survivor_id,
                                    actor="user:zheng", at=NOW))
    assert any("claimed, by different accounts" in reason for reason in model.refused)
    restored = model.profiles[claimant]
    assert restored.merged_into is None and [w.arxiv_id for w in model.works_of(restored.researcher_id)] == works_before
    assert restored.claimed_by == "user:zheng" and restored.orcid == "0000-0002-1825-0097"
    assert model.profiles[survivor_id].merged_from == ()


def test_linking_never_retires_a_claimed_profile():
    model = Worker().ingest(PAPERS[:2]).drain()
    zheng = model.by_name("Zheng").researcher_id
    z = model.by_name("Z. Wang").researcher_id
    assert z < zheng, "the fixture's linking merge would retire Zheng"
    claimed(model, zheng)
    model.ingest(PAPERS[2:]).drain()
    (merge,) = model.merge_log
    assert merge.retired_id == zheng
    assert model.profiles[zheng].merged_into is None and model.profiles[zheng].claimed
    assert any("linking does not retire" in reason for reason in model.refused)


def test_disowned_works_are_split_off_and_a_replay_does_not_put_them_back():
    model = Worker().ingest(PAPERS).drain()
    (merge,) = model.merge_log
    me = merge.surviving_id
    claimed(model, me)
    model.signal(DisownWorkSignal(signal_id="d-1", researcher_id=me, actor="user:zheng", at=NOW, arxiv_ids=("1501.00002",)))
    mine = model.profiles[me]
    assert [w.arxiv_id for w in model.works_of(mine.researcher_id)] == ["1501.00001", "1501.00003"]
    assert [(d.arxiv_id, d.signal_id) for d in mine.disowned_works] == [("1501.00002", "d-1")]
    split = model.profiles[split_researcher_id(me, "1501.00002")]
    assert [w.arxiv_id for w in model.works_of(split.researcher_id)] == ["1501.00002"] and not split.claimed
    assert len(model.placed()) == 7, "the author line still lands in exactly one profile"

    model.ingest([PAPERS[1]]).drain()  # a re-delivered mention of the disowned paper
    late_version = paper("1501.00002", [("Wang", "Z.", ["Institute B"]), ("Berg", "Carl", [])], V2)
    late_version = late_version.model_copy(update={"paper": late_version.paper.model_copy(update={"version": 2})})
    model.ingest([late_version]).drain()
    assert "1501.00002" not in {w.arxiv_id for w in model.works_of(me)}
    assert "1501.00002" in {w.arxiv_id for w in model.works_of(split.researcher_id)}


def test_disown_needs_the_claimant():
    model = Worker().ingest(PAPERS).drain()
    me = model.merge_log[0].surviving_id
    model.signal(DisownWorkSignal(signal_id="d-1", researcher_id=me, actor="user:x", at=NOW, arxiv_ids=("1501.00002",)))
    assert "needs a claimed profile" in model.refused[-1]
    assert len(model.works_of(me)) == 3


def test_a_claimant_cannot_disown_works_it_does_not_hold_to_bar_them_from_a_profile_it_then_absorbs():
    """Regression (issue 18, merge absorption): a claimant disowned an arXiv id it did not hold, so
    a later merge split that work off the absorbed profile. A disown now names only held works."""
    model, zheng, z = two_profiles()
    survivor_id, retired_id = sorted((zheng, z))
    retired_work = model.works_of(retired_id)[0].arxiv_id
    claimed(model, survivor_id)
    model.signal(DisownWorkSignal(signal_id="d-1", researcher_id=survivor_id, actor="user:zheng", at=NOW,
                                  arxiv_ids=(retired_work,)))
    assert any("does not hold" in reason for reason in model.refused)
    assert model.profiles[survivor_id].disowned_works == ()
