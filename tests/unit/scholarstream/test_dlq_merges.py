"""A refused merge's dead letter is retried as a MergeEvent, not parsed as a signal or a paper."""

from __future__ import annotations

from datetime import UTC, datetime

from foundation.settings import Settings
from schemas.dead_letters import DeadLetter
from schemas.profiles import MergeEvent
from scholarstream.dlq import DLQ_TOPICS, StoredLetter, _resubmit

NOW = datetime(2026, 2, 1, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, topic, key, value):
        self.sent.append((topic, key, value))


def letter(settings: Settings, source: str, payload: str) -> StoredLetter:
    dead = DeadLetter(stage="profile", reason="refused", source=settings.topic(source), key="r-b",
                      payload=payload, failed_at=NOW)
    return StoredLetter("t", 0, 0, dead, dead.model_dump_json())


def test_a_refused_merge_goes_back_to_the_merges_topic_keyed_by_the_retired_id():
    settings = Settings(_env_file=None, SCHOLARSTREAM_TOPIC_PREFIX="x.")
    event = MergeEvent(retired_id="r-b", surviving_id="r-a", reason="linking", at=NOW)
    producer = Recorder()
    for source in ("researcher.merges", "researcher.merge.moves"):
        assert _resubmit(settings, letter(settings, source, event.model_dump_json()), None, producer) is None
    assert [(topic, key) for topic, key, _ in producer.sent] == [("x.researcher.merges", b"r-b")] * 2
    assert "researcher.merges.dlq" in DLQ_TOPICS


def test_a_malformed_merge_letter_stays_failing_with_the_field_named():
    settings = Settings(_env_file=None)
    reason = _resubmit(settings, letter(settings, "researcher.merges", '{"retired_id": "r-a"}'), None, Recorder())
    assert reason is not None and "surviving_id" in reason
