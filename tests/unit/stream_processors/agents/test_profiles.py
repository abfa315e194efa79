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


def _one_researchers_works(worker, count):
    """`count` works of one researcher (Zheng Wang, with the same coauthor on every paper)."""
    events = []
    for n in range(count):
        events += works(worker, paper(f"1501.{n:05d}", [("Wang", "Zheng", ["Tsinghua"]), ("Smith", "Adam", [])]))
    return events


def _comparable(profile):
    """A profile without what differs between one revision per batch and one per work: the
    revision numbers, and the collaboration component, which reads the collaborators' scores as
    they are when the revision is made (one per work sees the coauthor's score of the work
    before; one per batch sees the scores of before the batch: docs/trust.md)."""
    data = profile.model_dump(exclude={"revision", "trust"})
    data["trust_components"] = [c for c in profile.trust.model_dump()["components"] if c["name"] != "collaboration_network"]
    return data


def test_a_batch_of_works_for_one_researcher_publishes_one_revision_equal_to_folding_them_one_by_one():
    batched, single = Worker(), Worker()
    events = _one_researchers_works(batched, 6)
    assert len({e.key for e in events}) == 2, "two researchers, each on all six papers"
    report = handle(batched, WORKS, events)
    assert (report.applied, report.dead_lettered) == (12, 0)
    assert len(batched.published) == 2, "one revision per researcher for the whole batch"
    for event in _one_researchers_works(single, 6):
        handle(single, WORKS, [event])
    assert len(single.published) == 12
    assert set(batched.profiles) == set(single.profiles)
    for rid, profile in batched.profiles.items():
        assert profile.works_count == 6
        assert _comparable(profile) == _comparable(single.profiles[rid])


def test_a_refused_batched_revision_dead_letters_every_work_of_its_researcher_and_stores_nothing_for_it():
    worker = Worker()
    events = _one_researchers_works(worker, 3)
    wang = next(e.key for e in events if b"Zheng Wang" in e.value)
    worker.topics[PROFILES].refuse = lambda key, _value: TimeoutError() if key == wang else None
    report = handle(worker, WORKS, events)
    assert (report.applied, report.dead_lettered) == (3, 3)
    assert [p.display_name for p in worker.profiles.values()] == ["Adam Smith"]
    letters = worker.topics[LINK_DLQ].letters()
    assert {letter.key for letter in letters} == {wang.decode()} and len(letters) == 3


def test_a_replayed_batch_publishes_nothing():
    worker = Worker()
    events = _one_researchers_works(worker, 4)
    handle(worker, WORKS, events)
    before = worker.profiles
    report = handle(worker, WORKS, events)
    assert (report.applied, report.dead_lettered) == (8, 0)
    assert len(worker.published) == 2 and worker.profiles == before
