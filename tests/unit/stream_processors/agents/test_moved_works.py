"""Profile v3's merge: the survivor takes the retired profile's content, sends the move back
accepted, and the retired id's works (here some hundreds of them) travel to the survivor,
leave the retired id's store, and are listed under the survivor in researcher.profile.works."""

from __future__ import annotations

import asyncio

from schemas.linking_events import WorkAssignment
from schemas.profiles import ClaimSignal, Coauthor, MergeMove, MergeRequestSignal, ProfileWork, Work
from tests.unit.stream_processors.agents.memory import MERGES_DLQ, MOVES, NOW, PROFILE_WORKS, WORKS, Event, Worker, handle


def assignment(rid: str, n: int, name: str) -> WorkAssignment:
    work = Work(arxiv_id=f"20{n % 12 + 1:02d}.{n:05d}", title=f"Paper {n}", year=2020, categories=("math.CO",),
                author_count=2)
    return WorkAssignment(researcher_id=rid, work=work, printed_name=name,
                          coauthors=(Coauthor(researcher_id="r-z", display_name="Zed"),))


def ana_with_two_profiles() -> Worker:
    """Ana Souza's one work on r-a and five as "A. Souza" on r-b, before she claims either."""
    model = Worker()
    model.topics[WORKS].put("r-a", assignment("r-a", 1, "Ana Souza"))
    for n in range(10, 15):
        model.topics[WORKS].put("r-b", assignment("r-b", n, "A. Souza"))
    return model.drain()


def ana_merges(model: Worker) -> Worker:
    """Ana claims r-a and r-b (both hers) and asks for r-b to be merged into r-a."""
    return model.signal(
        ClaimSignal(signal_id="c-1", researcher_id="r-a", actor="user:ana", at=NOW),
        ClaimSignal(signal_id="c-2", researcher_id="r-b", actor="user:ana", at=NOW),
        MergeRequestSignal(signal_id="m-1", researcher_id="r-a", other_id="r-b", actor="user:ana", at=NOW),
    )


def test_a_merge_moves_every_work_of_the_retired_id_once_the_survivor_accepted():
    model = Worker()
    for n in range(3):
        model.topics[WORKS].put("r-a", assignment("r-a", n, "Ana Souza"))
    moved = 600
    for n in range(100, 100 + moved):
        model.topics[WORKS].put("r-b", assignment("r-b", n, "A. Souza"))
    model.drain()
    assert model.profiles["r-b"].works_count == moved
    ana_merges(model)
    survivor, retired = model.profiles["r-a"], model.profiles["r-b"]
    assert retired.merged_into == "r-a" and model.works_of("r-b") == []
    assert len(model.works_of("r-a")) == survivor.works_count == moved + 3
    assert {v.name: v.works for v in survivor.name_variants} == {"Ana Souza": 3, "A. Souza": moved}, (
        "the moved works count no name again: the names came with the merge"
    )
    assert [(c.researcher_id, c.shared_works) for c in survivor.close_collaborators] == [("r-z", moved + 3)]
    listed: dict[tuple[str, str], ProfileWork] = {}
    for event in model.topics[PROFILE_WORKS].log:
        item = ProfileWork.model_validate_json(event.value)
        listed[(item.researcher_id, item.work.arxiv_id)] = item
    assert sum(not item.removed for (rid, _), item in listed.items() if rid == "r-a") == moved + 3
    assert all(item.removed for (rid, _), item in listed.items() if rid == "r-b")

    (ack,) = [e for e in model.topics[MOVES].log if MergeMove.model_validate_json(e.value).accepted]
    before = (dict(model.profile_table), dict(model.works_table), len(model.topics[WORKS].log))
    model.topics[MOVES].put(ack.key, ack.value)  # re-delivered: the store is empty, nothing moves again
    model.drain()
    assert (dict(model.profile_table), dict(model.works_table), len(model.topics[WORKS].log)) == before
    assert model.works_table == {e.key: e.value for e in model.topics[PROFILE_WORKS].log}, "what a recovery would make"


def test_a_lost_accepted_answer_is_sent_again_when_the_move_is_retried():
    model = ana_with_two_profiles()
    moves = model.topics[MOVES]
    moves.refuse = lambda _key, value: RuntimeError("refused") if b'"accepted":true' in value else None
    ana_merges(model)
    assert model.profiles["r-a"].merged_from == ("r-b",), "the survivor's revision was published, so it stands"
    assert len(model.works_of("r-b")) == 5 and len(model.works_of("r-a")) == 1, "the answer was lost: nothing moved"
    (letter,) = [letter for letter in model.topics[MERGES_DLQ].letters() if letter.source == MOVES]
    moves.refuse = lambda _key, _value: None
    moves.put(letter.key, letter.payload.encode())  # `scholarstream dlq retry`
    model.drain()
    assert model.works_of("r-b") == [] and len(model.works_of("r-a")) == model.profiles["r-a"].works_count == 6


def test_an_accepted_answer_delivered_twice_in_one_batch_moves_the_works_once():
    """The second release of a batch must see the first one's removals, which the table holds only
    after the batch: it reads the works as the batch left them, so it finds none left to move."""
    model = ana_with_two_profiles()
    moves = model.topics[MOVES]
    answers: list = []
    original_send = moves.send

    async def keep_answers(*, key, value):
        if b'"accepted":true' in value:
            answers.append((key, value))
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return await original_send(key=key, value=value)

    moves.send = keep_answers
    ana_merges(model)
    ((key, value),) = answers
    assert len(model.works_of("r-b")) == 5, "held back: nothing moved yet"
    handle(model, MOVES, [Event(key, value), Event(key, value)])
    model.drain()
    moved = [e for e in model.topics[WORKS].log if WorkAssignment.model_validate_json(e.value).moved_from == "r-b"]
    assert len(moved) == 5, f"{len(moved)} moved-work records for 5 works"
    assert model.works_of("r-b") == [] and len(model.works_of("r-a")) == model.profiles["r-a"].works_count == 6
    assert model.works_table == {e.key: e.value for e in model.topics[PROFILE_WORKS].log}, "what a recovery would make"
