"""signals: a malformed, unsigned or forged signal and a signal whose step raises are
dead-lettered with the reason; the next applies."""

from datetime import timedelta

from pydantic import SecretStr

from foundation.signal_keys import SignalKeys
from schemas.linking_events import WorkAssignment
from schemas.profiles import ClaimSignal
from schemas.signal_auth import sign_signal, sign_void
from schemas.signal_voids import SignalVoid
from stream_processors.agents.parked_signals import MAX_PARKED
from stream_processors.signal_voids import checked_voids
from tests.unit.stream_processors.agents.memory import (
    KEYS,
    NOW,
    POISON,
    PROFILES,
    SIGNALS,
    SIGNALS_DLQ,
    WORKS,
    Event,
    handle,
    pending,
)
from tests.unit.stream_processors.agents.test_profiles import Worker, paper, works


def claim(rid, n, keys=KEYS, actor="user:zheng"):
    signal = sign_signal(ClaimSignal(signal_id=f"c-{n}", researcher_id=rid, actor=actor, at=NOW), keys)
    return Event(rid.encode(), signal.model_dump_json().encode())


def test_a_poison_signal_is_dead_lettered_and_the_next_one_applies():
    worker = Worker()
    handle(worker, WORKS, works(worker, paper("1501.00001", [("Wang", "Zheng", [])])))
    (rid,) = worker.profiles
    assert handle(worker, SIGNALS, [POISON]).dead_lettered == 1
    worker.topics[PROFILES].raise_on = lambda _key, _value: RuntimeError("send failed")
    assert handle(worker, SIGNALS, [claim(rid, 1)]).dead_lettered == 1
    assert not worker.profiles[rid].claimed, "the raising event's change is not applied"
    worker.topics[PROFILES].raise_on = lambda _key, _value: None
    assert handle(worker, SIGNALS, [claim(rid, 2)]).applied == 1
    assert worker.profiles[rid].claimed_by == "user:zheng"
    letters = worker.topics[SIGNALS_DLQ].letters()
    assert [(letter.stage, letter.source) for letter in letters] == [("profile", SIGNALS)] * 2
    assert letters[1].reason == "RuntimeError: send failed"


def test_an_unsigned_or_forged_claim_is_dead_lettered_and_the_real_one_applies():
    """Regression (issue 18, the takeover): anyone who could write to researcher.signals could
    claim any profile by naming an actor. A signal now applies only when signed by its principal's
    key: an unsigned one, one signed with another key, and one whose actor was changed after
    signing are refused with the reason."""
    worker = Worker()
    handle(worker, WORKS, works(worker, paper("1501.00001", [("Wang", "Zheng", [])])))
    (rid,) = worker.profiles
    unsigned = ClaimSignal(signal_id="c-u", researcher_id=rid, actor="mallory", at=NOW)
    wrong_key = SignalKeys(account=SecretStr("guessed"), operator=SecretStr("guessed"))
    signed = sign_signal(ClaimSignal(signal_id="c-r", researcher_id=rid, actor="user:zheng", at=NOW), KEYS)
    renamed = signed.model_copy(update={"actor": "mallory"})
    forged = [
        Event(rid.encode(), unsigned.model_dump_json().encode()),
        claim(rid, 1, keys=wrong_key, actor="mallory"),
        Event(rid.encode(), renamed.model_dump_json().encode()),
    ]
    assert handle(worker, SIGNALS, forged).dead_lettered == 3
    assert not worker.profiles[rid].claimed
    reasons = [letter.reason for letter in worker.topics[SIGNALS_DLQ].letters()]
    assert reasons[0].startswith("unsigned signal") and all("does not verify" in r for r in reasons[1:])
    assert handle(worker, SIGNALS, [Event(rid.encode(), signed.model_dump_json().encode())]).applied == 1
    assert worker.profiles[rid].claimed_by == "user:zheng"


def _void(void_id: str, keys=KEYS, **narrowing) -> SignalVoid:
    void = SignalVoid(void_id=void_id, since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1),
                      reason="account taken over", voided_by="ops", at=NOW, **narrowing)
    return sign_void(void, keys)


def test_a_signal_an_operator_voided_is_dead_lettered_with_the_void_and_others_apply():
    """Issue 18: an operator voids a range of signals (a time window of one actor's), and the
    worker refuses what it covers, saying which void and why; a void not signed with the
    operators' key is ignored, and a signal outside the void still applies."""
    worker = Worker()
    handle(worker, WORKS, works(worker, paper("1501.00001", [("Wang", "Zheng", [])])))
    (rid,) = worker.profiles
    forged_void = _void("v-forged", keys=SignalKeys(account=SecretStr("guessed"), operator=SecretStr("guessed")),
                        actor="user:zheng")
    worker.voids = checked_voids([_void("v-1", actor="mallory").model_dump_json().encode(),
                                  forged_void.model_dump_json().encode()], KEYS)
    assert [v.void_id for v in worker.voids.voids] == ["v-1"]
    assert handle(worker, SIGNALS, [claim(rid, 1, actor="mallory")]).dead_lettered == 1
    assert not worker.profiles[rid].claimed
    (letter,) = worker.topics[SIGNALS_DLQ].letters()
    assert letter.reason == "void v-1 by ops: account taken over"
    assert handle(worker, SIGNALS, [claim(rid, 2, actor="user:zheng")]).applied == 1
    assert worker.profiles[rid].claimed_by == "user:zheng"


def test_a_signal_that_comes_before_its_profile_waits_for_it_then_applies_once():
    """Regression: a rebuild reads researcher.signals from its start while the papers are still
    being linked, so a claim reached the signals agent before the works that create its profile
    and was dead-lettered as "unknown researcher": every rebuild lost claims, follows and
    verifications. Such a signal is now parked (once, even when delivered again) and sent back
    when the researcher's first revision is published, then applies like any other."""
    worker = Worker()
    (work,) = works(worker, paper("1501.00001", [("Wang", "Zheng", [])]))
    rid = WorkAssignment.model_validate_json(work.value).researcher_id
    early = claim(rid, 1)
    assert handle(worker, SIGNALS, [early, early]).dead_lettered == 0, "parked, not dead-lettered"
    assert not worker.profiles and not worker.topics[SIGNALS].pending

    handle(worker, WORKS, [work])
    assert not worker.profiles[rid].claimed
    released = pending(worker, SIGNALS)
    assert [e.value for e in released] == [early.value], "sent back once, as it came"
    assert handle(worker, SIGNALS, released).applied == 1
    assert worker.profiles[rid].claimed_by == "user:zheng"
    assert not worker.parked_table, "nothing kept once it applied"
    assert worker.topics[SIGNALS_DLQ].letters() == []


def test_a_researcher_that_never_comes_holds_a_bounded_number_of_signals():
    worker = Worker()
    rid = "r-000000000000"
    assert handle(worker, SIGNALS, [claim(rid, n) for n in range(MAX_PARKED)]).dead_lettered == 0
    assert handle(worker, SIGNALS, [claim(rid, MAX_PARKED)]).dead_lettered == 1
    (letter,) = worker.topics[SIGNALS_DLQ].letters()
    assert letter.reason == f"unknown researcher {rid}: {MAX_PARKED} signals already wait for it"
