"""route-mentions: a poison record mid-batch is dead-lettered, every other paper is routed."""

from tests.unit.stream_processors.agents.memory import ENRICHED, LINK_DLQ, MENTIONS, POISON, Event, Worker, handle, paper


def test_a_malformed_paper_mid_batch_is_dead_lettered_and_the_others_are_routed():
    worker = Worker()
    first = paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])])
    last = paper("1501.00002", [("Berg", "Carl", [])])
    events = [Event(b"1501.00001", first.model_dump_json().encode()), POISON, Event(b"1501.00002", last.model_dump_json().encode())]
    report = handle(worker, ENRICHED, events)
    assert (report.applied, report.dead_lettered) == (2, 1)
    assert [e.key for e in worker.topics[MENTIONS].log] == [b"wang_z", b"smith_a", b"berg_c"]
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert (letter.stage, letter.source, letter.key, letter.payload) == ("link", ENRICHED, "poison", '{"not": "a record"')
    assert letter.reason
