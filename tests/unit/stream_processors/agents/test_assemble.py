"""assemble-works: a poison authorship mid-batch is dead-lettered; the paper is still assembled."""

import json

from schemas.linking_events import WorkAssignment
from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    ENRICHED,
    LINK_DLQ,
    MENTIONS,
    POISON,
    WORKS,
    Worker,
    handle,
    paper,
    pending,
)


def authorships(worker, *papers):
    for item in papers:
        worker.topics[ENRICHED].put(item.arxiv_id, item)
    handle(worker, ENRICHED, pending(worker, ENRICHED))
    handle(worker, MENTIONS, pending(worker, MENTIONS))
    return pending(worker, AUTHORSHIPS)


def test_a_malformed_authorship_mid_batch_is_dead_lettered_and_the_paper_is_assembled():
    worker = Worker()
    first, second = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    report = handle(worker, AUTHORSHIPS, [first, POISON, second])
    assert (report.applied, report.dead_lettered) == (2, 1)
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert [w.printed_name for w in works] == ["Zheng Wang", "Adam Smith"]
    assert set(worker.state.paper_authors) == {b"1501.00001"}
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert (letter.stage, letter.source) == ("link", AUTHORSHIPS)


def test_a_refused_delivery_dead_letters_its_event_and_the_later_events_of_its_key_and_stores_only_the_state_before():
    """Kafka refused the works of paper 1; its authorships 2 and 3 built on that state: dead-lettered too,
    and the table keeps paper 1's state as it was before them. Paper 2 in the same batch is unaffected."""
    worker = Worker()
    one = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", []), ("Berg", "Carl", [])]))
    two = authorships(worker, paper("1501.00002", [("Lee", "Ann", [])]))
    refusals = [RuntimeError("MESSAGE_SIZE_TOO_LARGE")]  # Kafka refuses one record of paper 1's works, once
    worker.topics[WORKS].refuse = lambda _key, value: refusals.pop() if refusals and b"1501.00001" in value else None
    # one[1] completes paper 1 (refused); its re-delivery at the end of the batch builds on that state
    report = handle(worker, AUTHORSHIPS, [one[0], one[2], one[1], *two, one[1]])
    assert (report.applied, report.dead_lettered) == (3, 2)
    reasons = [letter.reason for letter in worker.topics[LINK_DLQ].letters()]
    assert reasons[0] == "delivery failed: RuntimeError: MESSAGE_SIZE_TOO_LARGE"
    assert reasons[1].startswith("not applied: an earlier record of this batch on key b'1501.00001' failed")
    stored = json.loads(worker.state.paper_authors[b"1501.00001"])
    assert sorted(stored) == ["0", "2"], "the state before the refused event"
    assert b"1501.00002" in worker.state.paper_authors
    worker.topics[WORKS].refuse = lambda _key, _value: None
    handle(worker, AUTHORSHIPS, [one[1]])  # `dlq retry` re-submits it
    assert sorted(json.loads(worker.state.paper_authors[b"1501.00001"])) == ["0", "1", "2"], "the retry completes paper 1"
