"""signals: a malformed signal and a signal whose step raises are dead-lettered; the next applies."""

from schemas.profiles import ClaimSignal
from tests.unit.stream_processors.agents.memory import NOW, POISON, PROFILES, SIGNALS, SIGNALS_DLQ, WORKS, Event, handle
from tests.unit.stream_processors.agents.test_profiles import Worker, paper, works


def claim(rid, n):
    signal = ClaimSignal(signal_id=f"c-{n}", researcher_id=rid, actor="user:zheng", at=NOW)
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
