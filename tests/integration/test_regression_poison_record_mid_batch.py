"""Regression (issue 14): a malformed record in the middle of a batch on papers.enriched,
researcher.mentions, researcher.authorships or researcher.works used to escape the linking agent,
and faust's take_events then acknowledged the whole batch: its other records were lost silently.
Now it ends in researcher.link.dlq with its reason, every other record of the batch is processed,
and the worker keeps consuming."""

from __future__ import annotations

from clients import kafka_io
from schemas.topics import TOPICS
from stream_processors.linking_stage import assemble, link, route
from tests.integration.linkworker import letters, placed, start_link_worker, stop, wait_for
from tests.unit.stream_processors.agents.memory import paper

POISON = b'{"truncated": '
A = paper("1501.00001", [("Lepers", "Maxence", []), ("Dulieu", "Olivier", [])])
B = paper("1501.00002", [("Berg", "Carl", [])])
C = paper("1501.00003", [("Souza", "Ana", []), ("Okafor", "Chidi", [])])
D = paper("1501.00004", [("Nakamura", "Yui", [])])  # produced after the poison: the worker still consumes


def lines(*papers) -> set[tuple[str, str]]:
    return {(p.arxiv_id, f"{m.forenames} {m.keyname}") for p in papers for m in p.mentions}


def test_a_poison_record_mid_batch_on_each_linking_input_is_dead_lettered_and_the_rest_is_processed(settings, tmp_path):
    kafka_io.ensure_topics(settings, TOPICS)
    # C's records downstream of papers.enriched, built with the pure steps, with a poison between them
    mentions = route(C)
    authorships = [link(None, m)[1] for m in mentions]
    known, works = {}, []
    for a in authorships:
        known, works = assemble(known, a)
    producer = kafka_io.producer(settings)

    def send(topic, records):
        for key, value in records:
            producer.send(settings.topic(topic), key=key, value=value)
        producer.flush()

    send("papers.enriched", [(b"1501.00001", A.model_dump_json().encode()), (b"poison", POISON),
                             (b"1501.00002", B.model_dump_json().encode())])
    send("researcher.mentions", [(mentions[0].mention.blocking_key.encode(), mentions[0].model_dump_json().encode()),
                                 (b"poison", POISON),
                                 (mentions[1].mention.blocking_key.encode(), mentions[1].model_dump_json().encode())])
    send("researcher.authorships", [(b"1501.00003", authorships[0].model_dump_json().encode()), (b"poison", POISON),
                                    (b"1501.00003", authorships[1].model_dump_json().encode())])
    send("researcher.works", [(works[0].researcher_id.encode(), works[0].model_dump_json().encode()), (b"poison", POISON),
                              (works[1].researcher_id.encode(), works[1].model_dump_json().encode())])

    log = tmp_path / "worker.log"
    worker = start_link_worker(log)
    try:
        wait_for(lambda: len(letters(settings)) >= 4 and lines(A, B, C) <= placed(settings), worker, log,
                 "the poison records' dead letters and the other records' profiles")
        found = letters(settings)
        assert sorted(letter.source for letter in found) == sorted(settings.topic(t) for t in (
            "papers.enriched", "researcher.mentions", "researcher.authorships", "researcher.works"))
        assert all(letter.payload == POISON.decode() and letter.key == "poison" and letter.reason for letter in found)
        assert {letter.stage for letter in found} == {"link", "profile"}

        send("papers.enriched", [(b"1501.00004", D.model_dump_json().encode())])
        wait_for(lambda: lines(D) <= placed(settings), worker, log, "a paper produced after the poison records")
        assert len(letters(settings)) == 4
    finally:
        producer.close()
        stop(worker)
