"""The two hops of a merge (retire, move) one profile at a time, and collaborators' scores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.linking_events import WorkAssignment
from schemas.profiles import Coauthor, MergeEvent, MergeMove, SplitEvent, Work
from stream_processors.collaborator_trust import encode_redirect, encode_score, lookup_from, scores_for
from stream_processors.linking_stage import profile
from stream_processors.merge_stage import on_merge, on_move, on_split
from stream_processors.profiles import ProfileUpdateRejected, apply_work, new_profile, retire
from tests.unit.stream_processors.held import Held

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def work(arxiv_id):
    return Work(arxiv_id=arxiv_id, title="A paper", year=2020, categories=("cs.LG",), author_count=2)


def with_works(rid, name, *arxiv_ids):
    p = new_profile(rid, name)
    for arxiv_id in arxiv_ids:
        p = apply_work(p, work(arxiv_id), (), printed_name=name)
    return p


def merge(retired="r-b", surviving="r-a", **extra):
    return MergeEvent(retired_id=retired, surviving_id=surviving, reason=extra.pop("reason", "linking"),
                      retired_name="Z. Wang", surviving_name="Zheng Wang", at=NOW, **extra)


def test_the_survivor_is_always_the_smaller_id():
    with pytest.raises(ValidationError, match="smaller id"):
        MergeEvent(retired_id="r-a", surviving_id="r-b", reason="linking", at=NOW)
    with pytest.raises(ValidationError, match="actor and signal_id"):
        MergeEvent(retired_id="r-b", surviving_id="r-a", reason="claim", at=NOW)


def test_retiring_publishes_a_redirect_and_moves_the_content():
    retired = with_works("r-b", "Z. Wang", "2001.00001")
    outcome = on_merge(retired, merge())
    assert outcome.profile.merged_into == "r-a" and outcome.profile.works == ()
    assert outcome.profile.revision > retired.revision
    assert outcome.move.target_id == "r-a" and outcome.move.retired == retired
    assert on_merge(outcome.profile, merge()).profile is None, "a redelivered merge finds the redirect: no-op"


def test_a_merge_before_the_retired_profile_exists_leaves_a_redirect_for_its_works():
    outcome = on_merge(None, merge())
    assert outcome.profile.merged_into == "r-a" and outcome.profile.display_name == "Z. Wang"
    assignment = WorkAssignment(researcher_id="r-b", work=work("2001.00001"), printed_name="Z. Wang")
    with pytest.raises(ProfileUpdateRejected) as caught:
        profile(outcome.profile, assignment, NOW)
    assert caught.value.redirect_to == "r-a"
    assert on_merge(None, merge(reason="claim", requested_by="r-a", actor="user:z", signal_id="s")).rejected


def test_a_retired_id_already_merged_elsewhere_passes_the_merge_on_to_its_survivor():
    already = retire(with_works("r-c", "Z. Wang", "2001.00001"), "r-b")
    outcome = on_merge(already, merge(retired="r-c", surviving="r-a"))
    assert (outcome.forward.retired_id, outcome.forward.surviving_id) == ("r-b", "r-a")
    same = on_merge(retire(with_works("r-c", "Z.", "2001.00001"), "r-a"), merge(retired="r-c", surviving="r-a"))
    assert same == type(same)(), "already merged into the same survivor: nothing to do"


def test_the_move_folds_the_content_into_the_survivor_or_creates_it():
    retired = with_works("r-b", "Z. Wang", "2001.00001")
    move = MergeMove(merge=merge(), retired=retired, target_id="r-a")
    outcome = on_move(with_works("r-a", "Zheng Wang", "2001.00002"), move, NOW)
    # The works follow once the survivor took the content: the move goes back accepted.
    assert [w.arxiv_id for w in outcome.profile.recent_works] == ["2001.00002"] and outcome.profile.works_count == 1
    assert outcome.ack is not None and outcome.ack.accepted and outcome.ack.target_id == "r-b"
    assert outcome.profile.merged_from == ("r-b",) and outcome.profile.trust is not None and outcome.change
    again = on_move(outcome.profile, move, NOW)
    assert again == type(outcome)(ack=outcome.ack), "a redelivered move is recognised: only its answer goes back"
    fresh = on_move(None, move, NOW).profile
    assert fresh.researcher_id == "r-a" and fresh.display_name == "Z. Wang" and fresh.works_count == 0
    redirect = retire(retired, "r-a")
    assert on_move(redirect, outcome.ack, NOW).release is redirect, "back at the retired id: its works go"
    assert on_move(retired, outcome.ack, NOW) == type(outcome)(), "not a redirect (never happens): nothing moves"


def test_a_move_to_a_merged_survivor_follows_its_redirect():
    move = MergeMove(merge=merge(retired="r-c", surviving="r-b"), retired=with_works("r-c", "Z.", "2001.00001"), target_id="r-b")
    outcome = on_move(retire(with_works("r-b", "Z. Wang", "2001.00002"), "r-a"), move, NOW)
    assert outcome.move.target_id == "r-a" and outcome.move.bounced is None


def test_collaborators_scores_follow_redirects_and_raise_the_network_component():
    table = {b"r-a": encode_score(80), b"r-b": encode_redirect("r-a"), b"r-c": b">r-b"}
    lookup = lookup_from(table.get)
    assert [lookup(r) for r in ("r-a", "r-b", "r-c", "r-x")] == [80.0, 80.0, 80.0, None]
    assert scores_for(["r-c", "r-x"], lookup) == {"r-c": 80.0}

    assignment = WorkAssignment(
        researcher_id="r-me", work=work("2001.00001"), printed_name="Ana Souza",
        coauthors=(Coauthor(researcher_id="r-b", display_name="Zheng Wang"),),
    )
    alone, _ = profile(None, assignment, NOW)
    trusted, _ = profile(None, assignment, NOW, lookup)
    network = {p: next(c for c in p.trust.components if c.name == "collaboration_network") for p in (alone, trusted)}
    assert network[trusted].points - network[alone].points == pytest.approx(0.5 * 20 * 0.8, abs=0.01)
    assert "(1 of 1 scored)" in network[trusted].evidence[1]


# --- a relink's splits ---------------------------------------------------------------------------


def split(works=("2001.00002", "2001.00003"), researcher="r-a", to="r-s"):
    return SplitEvent(researcher_id=researcher, split_to=to, arxiv_ids=works, relink_id="relink-1", requested_by="ops",
                      researcher_name="Wei Wang", at=NOW)


def held(*arxiv_ids):
    h = Held(new_profile("r-a", "Wei Wang"))
    for arxiv_id in arxiv_ids:
        h = h.add(work(arxiv_id), printed_name="Wei Wang")
    return h


def test_a_split_takes_the_works_out_and_sends_them_to_the_new_researcher():
    before = held("2001.00001", "2001.00002", "2001.00003")
    outcome = on_split(before.profile, split(), NOW, stored=before.works.get)
    assert [w.arxiv_id for w in outcome.removed] == ["2001.00002", "2001.00003"]
    assert [(a.researcher_id, a.work.arxiv_id) for a in outcome.assignments] == [("r-s", "2001.00002"), ("r-s", "2001.00003")]
    assert outcome.profile.works_count == 1 and outcome.profile.revision > before.profile.revision
    assert [(d.arxiv_id, d.moved_to, d.signal_id) for d in outcome.profile.disowned_works] == [
        ("2001.00002", "r-s", "relink:relink-1"), ("2001.00003", "r-s", "relink:relink-1")]
    again = on_split(outcome.profile, split(), NOW, stored=before.works.get)
    assert again == type(again)(), "a redelivered split finds the works gone: no-op"
    late = WorkAssignment(researcher_id="r-a", work=work("2001.00003"), printed_name="Wei Wang")
    with pytest.raises(ProfileUpdateRejected) as caught:
        profile(outcome.profile, late, NOW)
    assert caught.value.redirect_to == "r-s", "a re-versioned split-off work goes on to the new researcher"


def test_a_split_before_the_profile_exists_sends_its_works_on_as_they_arrive():
    outcome = on_split(None, split(), NOW)
    assert outcome.profile.display_name == "Wei Wang" and outcome.assignments == ()
    early = WorkAssignment(researcher_id="r-a", work=work("2001.00002"), printed_name="Wei Wang")
    with pytest.raises(ProfileUpdateRejected) as caught:
        profile(outcome.profile, early, NOW)
    assert caught.value.redirect_to == "r-s"


def test_a_split_of_a_merged_profile_goes_to_its_survivor_and_a_claimed_one_is_refused():
    outcome = on_split(retire(held("2001.00002").profile, "r-0"), split(), NOW)
    assert outcome.forward is not None and outcome.forward.researcher_id == "r-0" and outcome.forward.split_to == "r-s"
    claimed = held("2001.00002").profile.model_copy(update={"claimed": True, "claimed_by": "user:wei"})
    assert "a relink does not split r-a" in on_split(claimed, split(), NOW).rejected
