"""link: a poison mention mid-batch is dead-lettered; the others are linked and their blocks stored."""

import pytest

from schemas.linking_events import Authorship
from stream_processors.linking.policy import policy_named
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


def heads(worker):
    """The blocks stored: their heads (their parts' keys carry the separator byte)."""
    return {key for key in worker.state.blocks if b"\x1f" not in key}


def test_a_malformed_mention_mid_batch_is_dead_lettered_and_the_others_are_linked():
    worker = Worker()
    worker.topics[ENRICHED].put("1501.00001", paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, ENRICHED, pending(worker, ENRICHED))
    wang, smith = pending(worker, MENTIONS)
    report = handle(worker, MENTIONS, [wang, POISON, smith])
    assert (report.applied, report.dead_lettered) == (2, 1)
    linked = [Authorship.model_validate_json(e.value) for e in worker.topics[AUTHORSHIPS].log]
    assert [(a.arxiv_id, a.position) for a in linked] == [("1501.00001", 0), ("1501.00001", 1)]
    assert heads(worker) == {b"wang_z", b"smith_a"}
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert (letter.stage, letter.source, letter.payload) == ("link", MENTIONS, POISON.value.decode())


def test_a_mention_whose_send_raises_changes_no_block_and_the_rest_of_the_batch_goes_on():
    worker = Worker()
    worker.topics[ENRICHED].put("1501.00001", paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    handle(worker, ENRICHED, pending(worker, ENRICHED))
    worker.topics[AUTHORSHIPS].raise_on = lambda _key, value: ValueError("boom") if b'"position":0' in value else None
    report = handle(worker, MENTIONS, pending(worker, MENTIONS))
    assert (report.applied, report.dead_lettered) == (1, 1)
    assert heads(worker) == {b"smith_a"}, "the failed mention's block is not written"
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert letter.key == "wang_z" and letter.reason == "ValueError: boom"


def _two_wei_wangs(linker: str, second_coauthor: str, second_field: str, second_vector) -> list[Authorship]:
    """Two papers of a 'Wei Wang' through the route and link agents under SCHOLARSTREAM_LINKER=<linker>."""
    worker = Worker(policy=policy_named(linker))  # type: ignore[arg-type]
    first = paper("1601.00001", [("Wang", "Wei", []), ("Smith", "John", []), ("Jones", "Anna", [])],
                  vector=(1.0, 0.0, 0.0, 0.0), categories=("cs.CV",), year=2016)
    second = paper("1606.00002", [("Wang", "Wei", []), *second_coauthor],
                   vector=second_vector, categories=(second_field,), year=2016)
    worker.ingest([first, second])
    return [a for a in (Authorship.model_validate_json(e.value) for e in worker.topics[AUTHORSHIPS].log) if a.position == 0]


@pytest.mark.parametrize("linker, apart", [("weights", False), ("pairwise", True)])
def test_a_common_name_with_nothing_else_shared_is_two_people_only_for_the_learned_linker(linker, apart):
    strangers = _two_wei_wangs(linker, [("Garcia", "Maria", []), ("Lopez", "Raul", [])], "math.AP", (0.0, 1.0, 0.0, 0.0))
    assert (strangers[0].researcher_id != strangers[1].researcher_id) is apart


def test_the_learned_linker_joins_a_common_name_its_coauthors_vouch_for_and_explains_it():
    first, second = _two_wei_wangs("pairwise", [("Smith", "John", []), ("Jones", "Anna", [])], "cs.CV", (1.0, 0.0, 0.0, 0.0))
    assert second.researcher_id == first.researcher_id and not second.created
    terms = second.evidence["contributions"]
    assert "offset" in terms and terms["shared_coauthors"] > 0
    assert second.evidence["score"] == pytest.approx(sum(terms.values()), abs=1e-3)
