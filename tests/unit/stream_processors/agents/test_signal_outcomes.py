"""signals -> researcher.signals.outcomes: every signal the agent decides is told to its sender
(applied with the revision that shows it, unchanged, refused with the reason), through the same
deliveries as its profile; redirected and parked signals are told where and when they apply, and
an unsigned or forged record is told nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.linking_events import WorkAssignment
from schemas.profiles import ClaimSignal, FollowSignal, MergeRequestSignal
from schemas.signal_auth import sign_signal, sign_void
from schemas.signal_voids import SignalVoid
from stream_processors.agents import DeliveryLost
from stream_processors.signal_outcomes import DELIVERY_REFUSED
from stream_processors.signal_voids import VoidList
from tests.unit.stream_processors.agents.memory import (
    KEYS,
    NOW,
    OUTCOMES,
    PROFILES,
    SIGNALS,
    SIGNALS_DLQ,
    WORKS,
    Event,
    Worker,
    handle,
    paper,
    pending,
)
from tests.unit.stream_processors.agents.test_profiles import works


def _event(signal) -> Event:
    signed = sign_signal(signal, KEYS)
    return Event(signal.researcher_id.encode(), signed.model_dump_json().encode())


def _one_profile() -> tuple[Worker, str]:
    worker = Worker()
    handle(worker, WORKS, works(worker, paper("1501.00001", [("Wang", "Zheng", [])])))
    (rid,) = worker.profiles
    return worker, rid


def test_an_applied_claim_is_told_with_the_revision_that_shows_it():
    worker, rid = _one_profile()
    handle(worker, SIGNALS, [_event(ClaimSignal(signal_id="c-1", researcher_id=rid, actor="acct-ada", at=NOW))])
    told = worker.outcomes["c-1"]
    (_, revision) = [p.revision for p in worker.published]
    assert (told.outcome, told.revision, told.reason) == ("applied", revision, None)
    assert (told.researcher_id, told.kind, told.actor, told.at) == (rid, "claim", "acct-ada", NOW)
    assert worker.profiles[rid].revision == revision


def test_a_second_follow_of_one_account_is_told_unchanged_with_the_current_revision():
    worker, rid = _one_profile()
    first = _event(FollowSignal(signal_id="f-1", researcher_id=rid, actor="acct-ada", at=NOW))
    again = _event(FollowSignal(signal_id="f-2", researcher_id=rid, actor="acct-ada", at=NOW))
    handle(worker, SIGNALS, [first])
    handle(worker, SIGNALS, [again])
    handle(worker, SIGNALS, [first])  # re-delivered: the same signal id, decided again
    current = worker.profiles[rid]
    assert current.followers_count == 1
    assert worker.outcomes["f-1"].outcome == "unchanged" and worker.outcomes["f-1"].revision == current.revision
    assert (worker.outcomes["f-2"].outcome, worker.outcomes["f-2"].revision) == ("unchanged", current.revision)
    assert [e.key for e in worker.topics[OUTCOMES].log] == [b"f-1", b"f-2", b"f-1"], "keyed by signal id, one per handling"


def test_a_claim_of_a_profile_claimed_by_another_account_is_told_refused_with_the_reason():
    worker, rid = _one_profile()
    handle(worker, SIGNALS, [_event(ClaimSignal(signal_id="c-ada", researcher_id=rid, actor="acct-ada", at=NOW))])
    report = handle(worker, SIGNALS, [_event(ClaimSignal(signal_id="c-bob", researcher_id=rid, actor="acct-bob", at=NOW))])
    assert report.applied == 1, "the dead letter and the outcome are the step's deliveries"
    told = worker.outcomes["c-bob"]
    assert (told.outcome, told.revision, told.actor) == ("refused", None, "acct-bob")
    assert told.reason == f"profile {rid} is already claimed by another account"
    assert [letter.reason for letter in worker.topics[SIGNALS_DLQ].letters()] == [told.reason]
    assert worker.profiles[rid].claimed_by == "acct-ada"


def test_a_voided_signal_is_told_refused_with_the_void():
    worker, rid = _one_profile()
    void = sign_void(SignalVoid(void_id="v-1", since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1),
                                reason="account taken over", voided_by="ops", at=NOW, actor="acct-mallory"), KEYS)
    worker.voids = VoidList((void,))
    voided = _event(ClaimSignal(signal_id="c-m", researcher_id=rid, actor="acct-mallory", at=NOW))
    assert handle(worker, SIGNALS, [voided]).dead_lettered == 1
    told = worker.outcomes["c-m"]
    assert (told.outcome, told.reason) == ("refused", "void v-1 by ops: account taken over")


def test_an_unsigned_or_forged_signal_is_told_nothing():
    """An outcome is keyed by the signal id the record names: a record nobody signed must not be
    able to write (or overwrite) the outcome of someone else's signal."""
    worker, rid = _one_profile()
    unsigned = ClaimSignal(signal_id="c-victim", researcher_id=rid, actor="acct-mallory", at=NOW)
    forged = sign_signal(unsigned, KEYS).model_copy(update={"actor": "acct-other"})
    events = [Event(rid.encode(), unsigned.model_dump_json().encode()), Event(rid.encode(), forged.model_dump_json().encode()),
              Event(rid.encode(), b'{"not": "a signal"')]
    assert handle(worker, SIGNALS, events).dead_lettered == 3
    assert worker.outcomes == {}


def test_a_signal_for_a_researcher_without_a_profile_is_told_when_it_applies():
    worker = Worker()
    (work,) = works(worker, paper("1501.00001", [("Wang", "Zheng", [])]))
    rid = WorkAssignment.model_validate_json(work.value).researcher_id
    handle(worker, SIGNALS, [_event(FollowSignal(signal_id="f-early", researcher_id=rid, actor="acct-ada", at=NOW))])
    assert worker.outcomes == {}, "parked: not decided yet"
    handle(worker, WORKS, [work])
    handle(worker, SIGNALS, pending(worker, SIGNALS))
    told = worker.outcomes["f-early"]
    assert (told.outcome, told.revision) == ("applied", worker.profiles[rid].revision)


def test_a_signal_for_a_merged_id_is_told_where_it_applies_with_the_survivor():
    from tests.unit.stream_processors.test_merge_pipeline import claimed, two_profiles

    model, zheng, z = two_profiles()
    claimed(model, zheng, "acct-ada")
    claimed(model, z, "acct-ada")
    model.signal(MergeRequestSignal(signal_id="m-1", researcher_id=zheng, other_id=z, actor="acct-ada", at=NOW))
    assert model.outcomes["m-1"].outcome == "applied"
    survivor, retired = sorted((zheng, z))
    model.signal(FollowSignal(signal_id="f-late", researcher_id=retired, actor="acct-bob", at=NOW))
    told = model.outcomes["f-late"]
    assert (told.outcome, told.researcher_id, told.revision) == ("applied", survivor, model.profiles[survivor].revision)
    assert [e.key for e in model.topics[OUTCOMES].log].count(b"f-late") == 1, "nothing told at the retired id"


def test_a_signal_whose_revision_kafka_refused_is_told_refused_after_its_applied_outcome():
    """The applied outcome was delivered, the revision was not: the dead letter's refusal comes
    later under the same key, so it is the one the compacted topic (and the index) keeps."""
    worker, rid = _one_profile()
    worker.topics[PROFILES].refuse = lambda _key, _value: TimeoutError()
    assert handle(worker, SIGNALS, [_event(ClaimSignal(signal_id="c-1", researcher_id=rid, actor="acct-ada", at=NOW))]).dead_lettered == 1
    assert [e.key for e in worker.topics[OUTCOMES].log] == [b"c-1", b"c-1"]
    told = worker.outcomes["c-1"]
    assert (told.outcome, told.reason) == ("refused", DELIVERY_REFUSED)
    assert not worker.profiles[rid].claimed


def test_an_outcome_kafka_refused_dead_letters_its_signal_and_a_lost_refusal_stops_the_batch():
    worker, rid = _one_profile()
    worker.topics[OUTCOMES].refuse = lambda _key, value: TimeoutError() if b'"applied"' in value else None
    follow = _event(FollowSignal(signal_id="f-1", researcher_id=rid, actor="acct-ada", at=NOW))
    assert handle(worker, SIGNALS, [follow]).dead_lettered == 1
    assert worker.outcomes["f-1"].outcome == "refused"
    worker.topics[OUTCOMES].refuse = lambda _key, _value: ConnectionError("kafka gone")
    with pytest.raises(DeliveryLost):
        handle(worker, SIGNALS, [_event(FollowSignal(signal_id="f-2", researcher_id=rid, actor="acct-bob", at=NOW))])
