"""The shared Kafka chores of clients/kafka_io.py against the real broker, each test on its own
topics and groups (the `settings` fixture's namespace): reading a topic to its end, committing a
group's offsets, and reading them back."""

from __future__ import annotations

from kafka.admin import NewTopic

from clients import kafka_io


def _topic(settings, name: str, partitions: int = 2) -> str:
    physical = settings.topic(name)
    client = kafka_io.admin(settings)
    try:
        client.create_topics([NewTopic(physical, partitions, 1)])
    finally:
        client.close()
    return physical


def _write(settings, topic: str, records: list[tuple[int, bytes]]) -> None:
    producer = kafka_io.producer(settings, linger_ms=0)
    try:
        for partition, value in records:
            producer.send(topic, key=value, value=value, partition=partition)
        producer.flush()
    finally:
        producer.close()


def _values(records) -> list[tuple[int, int, bytes]]:
    return sorted((r.partition, r.offset, r.value) for r in records)


def test_read_to_end_reads_every_record_up_to_the_ends_it_found_first(settings):
    topic = _topic(settings, "io.read")
    _write(settings, topic, [(0, b"a0"), (0, b"a1"), (1, b"b0")])
    reader = kafka_io.read_to_end(settings, topic)
    first = next(reader)
    _write(settings, topic, [(0, b"late"), (1, b"late")])  # after the ends were read: not returned
    assert _values([first, *reader]) == [(0, 0, b"a0"), (0, 1, b"a1"), (1, 0, b"b0")]
    assert len(list(kafka_io.read_to_end(settings, topic))) == 5


def test_read_to_end_from_start_offsets_and_on_chosen_partitions(settings):
    topic = _topic(settings, "io.part")
    _write(settings, topic, [(0, b"a0"), (0, b"a1"), (0, b"a2"), (1, b"b0"), (1, b"b1")])
    assert _values(kafka_io.read_to_end(settings, topic, start={0: 2})) == [(0, 2, b"a2"), (1, 0, b"b0"), (1, 1, b"b1")]
    assert _values(kafka_io.read_to_end(settings, topic, partitions=[1, 7])) == [(1, 0, b"b0"), (1, 1, b"b1")]
    assert list(kafka_io.read_to_end(settings, topic, start={0: 3, 1: 2})) == []


def test_read_to_end_of_an_empty_or_missing_topic_reads_nothing(settings):
    assert list(kafka_io.read_to_end(settings, _topic(settings, "io.empty"))) == []
    assert list(kafka_io.read_to_end(settings, settings.topic("io.never-created"))) == []


def test_committed_offsets_read_back_as_the_groups_positions(settings):
    topic = _topic(settings, "io.commit", partitions=3)
    _write(settings, topic, [(0, b"a0"), (0, b"a1"), (1, b"b0"), (2, b"c0")])
    group = settings.group("io-group")
    assert kafka_io.group_positions(settings, group, topic) == {}, "a group that never committed has no positions"

    kafka_io.commit_offsets(settings, group, topic, {0: 2, 1: 1})
    assert kafka_io.group_positions(settings, group, topic) == {0: 2, 1: 1}, "a partition without a commit is left out"

    kafka_io.commit_offsets(settings, group, topic, {0: 0})  # a replay to the start moves back
    assert kafka_io.group_positions(settings, group, topic) == {0: 0, 1: 1}
    assert kafka_io.group_positions(settings, settings.group("io-other"), topic) == {}
    assert kafka_io.group_positions(settings, group, settings.topic("io.never-created")) == {}
