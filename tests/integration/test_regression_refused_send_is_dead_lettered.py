"""Regression (issue 14): a send Kafka refuses (here researcher.works' max.message.bytes is set
below one work assignment) used to escape the assemble agent after part of the batch was
published. Now the authorship whose works were refused is dead-lettered with the delivery error,
its paper's state is not written, the worker keeps consuming, and once the limit is lifted
`dlq retry` completes the paper."""

from __future__ import annotations

from kafka.admin import ConfigResource, ConfigResourceType

from clients import kafka_io
from schemas.topics import TOPICS
from tests.integration.conftest import cli
from tests.integration.linkworker import letters, placed, start_link_worker, stop, wait_for
from tests.unit.stream_processors.agents.memory import paper

E = paper("1501.00005", [("Lepers", "Maxence", []), ("Dulieu", "Olivier", [])])


def max_message_bytes(settings, topic: str, value: int) -> None:
    admin = kafka_io.admin(settings)
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, settings.topic(topic), configs={"max.message.bytes": str(value)})])
    finally:
        admin.close()


def test_a_refused_send_dead_letters_its_event_and_a_retry_completes_the_paper(settings, tmp_path):
    kafka_io.ensure_topics(settings, TOPICS)
    max_message_bytes(settings, "researcher.works", 300)
    producer = kafka_io.producer(settings)
    producer.send(settings.topic("papers.enriched"), key=b"1501.00005", value=E.model_dump_json().encode())
    producer.flush()
    producer.close()
    log = tmp_path / "worker.log"
    worker = start_link_worker(log)
    try:
        wait_for(lambda: len(letters(settings)) >= 1, worker, log, "the refused authorship's dead letter")
        (letter,) = letters(settings)
        assert letter.source == settings.topic("researcher.authorships") and letter.stage == "link"
        assert letter.reason.startswith("delivery failed:") and "MessageSizeTooLarge" in letter.reason, letter.reason
        assert placed(settings) == set()

        max_message_bytes(settings, "researcher.works", 1_048_588)
        retried = cli("dlq", "retry", "--topic", "researcher.link.dlq")
        assert retried.returncode == 0, retried.stderr
        wait_for(lambda: {("1501.00005", "Maxence Lepers"), ("1501.00005", "Olivier Dulieu")} <= placed(settings),
                 worker, log, "the retried authorship completing its paper")
        assert worker.poll() is None
    finally:
        stop(worker)
