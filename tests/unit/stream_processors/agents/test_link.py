"""link: a poison mention mid-batch is dead-lettered; the others are linked and their blocks stored."""

from schemas.linking_events import Authorship
from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    ENRICHED,
    LINK_DLQ,
    MENTIONS,
    POISON,
    Worker,
    handle,
    paper,
    pending,
)


def test_a_malformed_mention_mid_batch_is_dead_lettered_and_the_others_are_linked():
    worker = Worker()
    worker.topics[ENRICHED].put("1501.00001", paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, ENRICHED, pending(worker, ENRICHED))
    wang, smith = pending(worker, MENTIONS)
    report = handle(worker, MENTIONS, [wang, POISON, smith])
    assert (report.applied, report.dead_lettered) == (2, 1)
    linked = [Authorship.model_validate_json(e.value) for e in worker.topics[AUTHORSHIPS].log]
    assert [(a.arxiv_id, a.position) for a in linked] == [("1501.00001", 0), ("1501.00001", 1)]
    assert set(worker.state.blocks) == {b"wang_z", b"smith_a"}
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert (letter.stage, letter.source, letter.payload) == ("link", MENTIONS, POISON.value.decode())


def test_a_mention_whose_send_raises_changes_no_block_and_the_rest_of_the_batch_goes_on():
    worker = Worker()
    worker.topics[ENRICHED].put("1501.00001", paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, ENRICHED, pending(worker, ENRICHED))
    worker.topics[AUTHORSHIPS].raise_on = lambda _key, value: ValueError("boom") if b'"position":0' in value else None
    report = handle(worker, MENTIONS, pending(worker, MENTIONS))
    assert (report.applied, report.dead_lettered) == (1, 1)
    assert set(worker.state.blocks) == {b"smith_a"}, "the failed mention's block is not written"
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert letter.key == "wang_z" and letter.reason == "ValueError: boom"
