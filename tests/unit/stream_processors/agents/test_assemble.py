"""assemble-works: a poison authorship mid-batch is dead-lettered; the paper is still assembled."""

import json

from schemas.linking_events import Authorship, WorkAssignment
from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    ENRICHED,
    LINK_DLQ,
    MENTIONS,
    POISON,
    WORKS,
    Event,
    Worker,
    handle,
    paper,
    pending,
)


def stored_lines(worker, arxiv_id: str) -> list[str]:
    """The positions stored for the paper version being collected."""
    table = worker.state.paper_authors
    head = json.loads(table[arxiv_id.encode()])
    prefix = arxiv_id.encode() + b"\x1f"
    lines = {int(k[len(prefix):]): json.loads(v) for k, v in table.items() if k.startswith(prefix)}
    current = sorted(str(p) for p, line in lines.items() if line["version"] == head["version"])
    assert head["linked"] == len(current)
    return current


def heads(worker) -> set[bytes]:
    return {key for key in worker.state.paper_authors if b"\x1f" not in key}


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
    assert heads(worker) == {b"1501.00001"}
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
    assert stored_lines(worker, "1501.00001") == ["0", "2"], "the state before the refused event"
    assert b"1501.00002" in heads(worker)
    worker.topics[WORKS].refuse = lambda _key, _value: None
    handle(worker, AUTHORSHIPS, [one[1]])  # `dlq retry` re-submits it
    assert stored_lines(worker, "1501.00001") == ["0", "1", "2"], "the retry completes paper 1"


def test_a_collaboration_of_3000_authors_is_assembled_with_every_write_small():
    """Issue 17: a paper's traffic must not grow with the square of its authors. Each line writes
    itself and the head; the assignments carry no coauthors (the profile keeps none for it).
    (The lines are built from one linked line: routing and linking 3,000 authors is another stage.)"""
    from schemas.linking_events import Authorship

    worker = Worker()
    (one,) = authorships(worker, paper("1501.00003", [("Physicist", "Alex", [])]))
    template = Authorship.model_validate_json(one.value)
    lines = [Event(b"1501.00003", template.model_copy(update={
        "position": n, "author_count": 3000, "researcher_id": f"r-{n:016x}", "printed_name": f"Alex Physicist{n:04d}",
        "embedding": template.embedding if n == 0 else None}).model_dump_json().encode()) for n in range(3000)]
    report = handle(worker, AUTHORSHIPS, lines)
    assert (report.applied, report.dead_lettered) == (3000, 0)
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert len(works) == 3000 and len({w.researcher_id for w in works}) == 3000
    assert all(w.coauthors == () for w in works)
    assert max(len(e.value) for e in worker.topics[WORKS].log) < 4_000
    assert max(len(v) for v in worker.state.paper_authors.values()) < 4_000
    assert stored_lines(worker, "1501.00003") == sorted(str(p) for p in range(3000))


def test_a_newer_version_collects_again_and_an_older_line_changes_nothing():
    worker = Worker()
    first = authorships(worker, paper("1501.00004", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, AUTHORSHIPS, first)
    from schemas.linking_events import Authorship

    newer = [Authorship.model_validate_json(e.value).model_copy(update={"version": 2}) for e in first]
    worker.topics[AUTHORSHIPS].put("1501.00004", newer[0])
    handle(worker, AUTHORSHIPS, pending(worker, AUTHORSHIPS))
    assert stored_lines(worker, "1501.00004") == ["0"], "version 2 starts from its first line"
    handle(worker, AUTHORSHIPS, [first[1]])  # a late line of version 1
    assert stored_lines(worker, "1501.00004") == ["0"]
    before = len(worker.topics[WORKS].log)
    worker.topics[AUTHORSHIPS].put("1501.00004", newer[1])
    handle(worker, AUTHORSHIPS, pending(worker, AUTHORSHIPS))
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log[before:]]
    assert [w.printed_name for w in works] == ["Zheng Wang", "Adam Smith"]


def _embeddings_stored(worker, arxiv_id: str) -> list[int]:
    prefix = arxiv_id.encode() + b"\x1f"
    return [int(k[len(prefix):]) for k, v in worker.state.paper_authors.items()
            if k.startswith(prefix) and json.loads(v).get("embedding") is not None]


def test_an_assembled_paper_keeps_no_copy_of_its_embedding_in_one_batch_or_across_batches():
    """Issue 17 (worker memory): line 0 carries the paper's vector to the assignments; once they are
    sent, the stored lines keep no copy of it, whether line 0 was stored by this batch or an earlier one."""
    worker = Worker()
    together = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, AUTHORSHIPS, together)
    first, second = authorships(worker, paper("1501.00002", [("Lee", "Ann", []), ("Berg", "Carl", [])]))
    handle(worker, AUTHORSHIPS, [first])
    assert _embeddings_stored(worker, "1501.00002") == [0], "collecting: line 0 keeps the vector until the paper is whole"
    handle(worker, AUTHORSHIPS, [second])
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert len(works) == 4 and all(w.embedding is not None for w in works)
    assert _embeddings_stored(worker, "1501.00001") == [] and _embeddings_stored(worker, "1501.00002") == []
    assert stored_lines(worker, "1501.00002") == ["0", "1"]
    handle(worker, AUTHORSHIPS, [first])  # a re-delivered line 0 of the complete paper: nothing sent, nothing stored
    assert len(worker.topics[WORKS].log) == 4
    assert _embeddings_stored(worker, "1501.00002") == []


def test_stored_lines_keep_no_evidence_and_the_works_are_the_same():
    """Issue 17 (bytes): the table keeps what assembly reads; the evidence stays on the authorships."""
    worker = Worker()
    first, second = authorships(worker, paper("1501.00002", [("Lee", "Ann", []), ("Berg", "Carl", [])]))
    assert all(Authorship.model_validate_json(e.value).evidence for e in (first, second))
    handle(worker, AUTHORSHIPS, [first])
    prefix = b"1501.00002\x1f"
    stored = [json.loads(v) for k, v in worker.state.paper_authors.items() if k.startswith(prefix)]
    assert stored and all("evidence" not in line for line in stored)
    handle(worker, AUTHORSHIPS, [second])
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert sorted(w.printed_name for w in works) == ["Ann Lee", "Carl Berg"]
    assert all(len(w.coauthors) == 1 for w in works)


def test_a_worker_killed_between_its_lines_and_their_head_still_assembles_the_paper_on_re_delivery():
    """A batch writes a paper's lines, then its head. Killed in between, the table holds the lines
    and the head before the batch; the batch's authorships come again (not committed), find their
    lines stored, and must still be counted, or the paper never completes and its authors never
    get the work (the fault test's missing researchers)."""
    worker = Worker()
    lines = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", []), ("Berg", "Carl", []),
                                                     ("Lee", "Ann", [])]))
    table = worker.state.paper_authors
    handle(worker, AUTHORSHIPS, [lines[0]])
    head_before = table[b"1501.00001"]  # counts line 0
    handle(worker, AUTHORSHIPS, [lines[1], lines[2]])
    table[b"1501.00001"] = head_before  # killed after lines 1 and 2 landed, before their head
    assert worker.topics[WORKS].log == []
    handle(worker, AUTHORSHIPS, [lines[1], lines[2], lines[3]])  # re-delivered, then the last line
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert sorted(w.printed_name for w in works) == ["Adam Smith", "Ann Lee", "Carl Berg", "Zheng Wang"]
    assert stored_lines(worker, "1501.00001") == ["0", "1", "2", "3"]


def test_a_re_delivered_line_of_a_complete_paper_sends_nothing_and_changes_nothing():
    """Its assignments were acknowledged before the table recorded the paper complete."""
    worker = Worker()
    lines = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, AUTHORSHIPS, lines)
    before = dict(worker.state.paper_authors)
    relinked = Authorship.model_validate_json(lines[1].value).model_copy(
        update={"created": False, "confidence": 0.5, "evidence": {"replay": True}})  # a replayed mention's line
    report = handle(worker, AUTHORSHIPS, [lines[0], Event(lines[1].key, relinked.model_dump_json().encode())])
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert [w.printed_name for w in works] == ["Zheng Wang", "Adam Smith"]
    assert (report.applied, report.dead_lettered) == (2, 0)
    assert dict(worker.state.paper_authors) == before


def test_a_line_of_a_complete_paper_that_changed_is_assembled_again():
    """Not a re-delivery: the line now names another researcher (say, a merge's survivor)."""
    worker = Worker()
    lines = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, AUTHORSHIPS, lines)
    line = Authorship.model_validate_json(lines[1].value)
    moved = Event(lines[1].key, line.model_copy(update={"researcher_id": "r-0000000000000001"}).model_dump_json().encode())
    handle(worker, AUTHORSHIPS, [moved])
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert [w.researcher_id for w in works][2:] == [Authorship.model_validate_json(lines[0].value).researcher_id, "r-0000000000000001"]
    assert stored_lines(worker, "1501.00001") == ["0", "1"]


def test_a_duplicate_in_the_batch_that_completes_the_paper_is_assembled_as_before():
    """Within the completing batch the assignments are not acknowledged yet: no shortcut."""
    worker = Worker()
    lines = authorships(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, AUTHORSHIPS, [*lines, lines[1]])
    works = [WorkAssignment.model_validate_json(e.value) for e in worker.topics[WORKS].log]
    assert [w.printed_name for w in works] == ["Zheng Wang", "Adam Smith", "Zheng Wang", "Adam Smith"]
