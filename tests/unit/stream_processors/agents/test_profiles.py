"""profiles: a poison work mid-batch is dead-lettered; the other works build their profiles."""

import pytest

from stream_processors.agents import DeliveryLost
from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    ENRICHED,
    LINK_DLQ,
    MENTIONS,
    POISON,
    PROFILES,
    WORKS,
    Worker,
    handle,
    paper,
    pending,
)


def works(worker, item):
    worker.topics[ENRICHED].put(item.arxiv_id, item)
    for topic in (ENRICHED, MENTIONS, AUTHORSHIPS):
        handle(worker, topic, pending(worker, topic))
    return pending(worker, WORKS)


def test_a_malformed_work_mid_batch_is_dead_lettered_and_the_others_build_profiles():
    worker = Worker()
    wang, smith = works(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    report = handle(worker, WORKS, [wang, POISON, smith])
    assert (report.applied, report.dead_lettered) == (2, 1)
    assert {p.display_name for p in worker.profiles.values()} == {"Zheng Wang", "Adam Smith"}
    assert set(worker.state.scores) == set(worker.state.profiles)
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert (letter.stage, letter.source) == ("profile", WORKS)


def test_a_refused_profile_revision_is_not_stored_and_its_work_is_dead_lettered():
    worker = Worker()
    wang, smith = works(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    worker.topics[PROFILES].refuse = lambda key, _value: TimeoutError() if key == wang.key else None
    report = handle(worker, WORKS, [wang, smith])
    assert (report.applied, report.dead_lettered) == (1, 1)
    assert [p.display_name for p in worker.profiles.values()] == ["Adam Smith"]
    assert worker.topics[LINK_DLQ].letters()[0].reason == "delivery failed: TimeoutError"


def test_when_even_the_dead_letter_cannot_be_delivered_nothing_is_stored_and_the_handler_says_so():
    worker = Worker()
    wang, smith = works(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    worker.topics[PROFILES].refuse = lambda key, _value: ConnectionError("kafka gone") if key == wang.key else None
    worker.topics[LINK_DLQ].refuse = lambda _key, _value: ConnectionError("kafka gone")
    with pytest.raises(DeliveryLost):
        handle(worker, WORKS, [wang, smith])
    assert worker.state.profiles == {} and worker.state.scores == {}, "no table write: the batch is read again"


def test_regression_a_revision_kafka_accepted_is_stored_even_when_its_audit_event_is_refused():
    """A profile revision that reached Kafka must be the table's, or the next update reuses its
    number and the indexer (external versions) keeps the older document."""
    from tests.unit.stream_processors.agents.memory import TRUST

    worker = Worker()
    wang, smith = works(worker, paper("1501.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])]))
    worker.topics[TRUST].refuse = lambda key, _value: TimeoutError() if key == wang.key else None
    report = handle(worker, WORKS, [wang, smith])
    assert report.dead_lettered == 1 and worker.topics[LINK_DLQ].letters()[0].reason == "delivery failed: TimeoutError"
    stored = worker.profiles
    assert {p.display_name for p in stored.values()} == {"Zheng Wang", "Adam Smith"}, "the accepted revision is stored"
    worker.topics[TRUST].refuse = None
    (again,) = [w for w in works(worker, paper("1502.00002", [("Wang", "Zheng", [])]))]
    handle(worker, WORKS, [again])
    revisions = [p.revision for p in worker.published if p.display_name == "Zheng Wang"]
    assert revisions == sorted(set(revisions)), f"a revision number was reused: {revisions}"
