"""signals: a malformed, unsigned or forged signal and a signal whose step raises are
dead-lettered with the reason; the next applies."""

from pydantic import SecretStr

from foundation.signal_keys import SignalKeys
from schemas.profiles import ClaimSignal
from schemas.signal_auth import sign_signal
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
