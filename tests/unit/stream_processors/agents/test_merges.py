"""merges and merge-moves: a poison event is dead-lettered to researcher.merges.dlq; the next applies."""

from schemas.profiles import MergeEvent
from tests.unit.stream_processors.agents.memory import MERGES, MERGES_DLQ, MOVES, NOW, POISON, Event, Worker, handle


def test_a_poison_merge_and_a_poison_move_are_dead_lettered_and_the_next_merge_goes_through():
    worker = Worker()
    assert handle(worker, MERGES, [POISON]).dead_lettered == 1
    assert handle(worker, MOVES, [POISON]).dead_lettered == 1
    merge = MergeEvent(retired_id="r-b", surviving_id="r-a", reason="linking", retired_name="B", surviving_name="A", at=NOW)
    assert handle(worker, MERGES, [Event(b"r-b", merge.model_dump_json().encode())]).applied == 1
    assert worker.profiles["r-b"].merged_into == "r-a"
    assert handle(worker, MOVES, list(worker.topics[MOVES].pending)).applied == 1
    assert worker.profiles["r-a"].merged_from == ("r-b",)
    assert [(letter.source, letter.stage) for letter in worker.topics[MERGES_DLQ].letters()] == [(MERGES, "profile"), (MOVES, "profile")]
