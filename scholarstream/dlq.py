"""Dead letters for operators: list them with their reasons, show one whole, re-submit after a fix.

A retry re-parses each letter with the code of the stage that refused it (so a fixed parser or a
fixed mapping takes effect) and sends what now passes back to that stage's input topic, keyed by
id: downstream is idempotent, so a retry can never duplicate. What still fails is dead-lettered
again with its new reason. A consumer group per dead-letter topic remembers how far retries got,
so each letter is retried once unless `--from-start` asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from clients import kafka_io
from foundation.errors import InvalidRecord, ScholarStreamError
from foundation.settings import Settings
from producers.arxiv_api import api_payload_to_paper
from producers.oai_records import oai_record_to_paper
from producers.publish import Publisher
from producers.snapshot import snapshot_record_to_paper
from schemas.dead_letters import DeadLetter
from schemas.linking_events import Authorship, MentionEvent, WorkAssignment
from schemas.papers import RawPaper, describe_validation_error, parse_enriched_paper, parse_raw_paper
from schemas.profiles import MergeEvent, parse_signal
from schemas.topics import (
    ENRICH_DLQ,
    INDEX_DLQ,
    LINK_DLQ,
    MERGES_DLQ,
    PAPERS_DLQ,
    PAPERS_ENRICHED,
    RESEARCHER_AUTHORSHIPS,
    RESEARCHER_MENTIONS,
    RESEARCHER_MERGE_MOVES,
    RESEARCHER_MERGES,
    RESEARCHER_SIGNALS,
    RESEARCHER_WORKS,
    SIGNALS_DLQ,
)

DLQ_TOPICS = (PAPERS_DLQ.name, ENRICH_DLQ.name, INDEX_DLQ.name, SIGNALS_DLQ.name, MERGES_DLQ.name, LINK_DLQ.name)
# researcher.link.dlq holds records of four topics: each letter goes back to its source topic, with its key.
_LINK_SOURCES: dict[str, Callable[[str], object]] = {
    PAPERS_ENRICHED.name: parse_enriched_paper,
    RESEARCHER_MENTIONS.name: MentionEvent.model_validate_json,
    RESEARCHER_AUTHORSHIPS.name: Authorship.model_validate_json,
    RESEARCHER_WORKS.name: WorkAssignment.model_validate_json,
}
RETRY_GROUP = "scholarstream-dlq-retry"
_SOURCE_PARSERS: dict[str, Callable[[str], RawPaper]] = {
    "snapshot": snapshot_record_to_paper,
    "oai": oai_record_to_paper,
    "arxiv-api": api_payload_to_paper,
}


@dataclass(frozen=True)
class StoredLetter:
    topic: str
    partition: int
    offset: int
    letter: DeadLetter | None  # None: the record is not a dead letter at all
    raw: str

    def row(self, reason_width: int = 100) -> dict[str, object]:
        base = {"topic": self.topic, "partition": self.partition, "offset": self.offset}
        if self.letter is None:
            return {**base, "key": None, "stage": None, "reason": "unreadable dead letter", "failed_at": None}
        reason = self.letter.reason if len(self.letter.reason) <= reason_width else self.letter.reason[: reason_width - 1] + "…"
        return {**base, "key": self.letter.key, "stage": self.letter.stage, "field": self.letter.field,
                "reason": reason, "source": self.letter.source, "failed_at": self.letter.failed_at.isoformat()}


def topics_for(settings: Settings, topic: str | None) -> list[str]:
    if topic is None:
        return [settings.topic(name) for name in DLQ_TOPICS]
    names = {settings.topic(name) for name in DLQ_TOPICS}
    physical = topic if topic in names else settings.topic(topic)
    if physical not in names:
        raise ScholarStreamError(f"{topic!r} is not a dead-letter topic; choose one of {', '.join(sorted(names))}")
    return [physical]


def read_letters(settings: Settings, topic: str, start: dict[int, int] | None = None) -> list[StoredLetter]:
    """Every record of a dead-letter topic (from `start` offsets when given) up to its current end."""
    letters: list[StoredLetter] = []
    for record in kafka_io.read_to_end(settings, topic, start=start):
        text = (record.value or b"").decode("utf-8", "replace")
        try:
            letter = DeadLetter.model_validate_json(text)
        except ValueError:
            letter = None
        letters.append(StoredLetter(topic, record.partition, record.offset, letter, text))
    return sorted(letters, key=lambda s: (s.partition, s.offset))


@dataclass
class RetryReport:
    topic: str
    examined: int = 0
    resubmitted: int = 0
    still_failing: int = 0
    reasons: list[str] = field(default_factory=list)


def retry(settings: Settings, topic: str, clock: Callable[[], datetime], from_start: bool = False,
          dry_run: bool = False) -> RetryReport:
    group = settings.group(RETRY_GROUP)
    report = RetryReport(topic)
    start = {} if from_start else kafka_io.group_positions(settings, group, topic)
    letters = read_letters(settings, topic, start)
    publisher = None if dry_run else Publisher(settings, clock)
    producer = None if dry_run else kafka_io.producer(settings)
    try:
        for stored in letters:
            report.examined += 1
            outcome = _resubmit(settings, stored, publisher, producer)
            if outcome is None:
                report.resubmitted += 1
                continue
            report.still_failing += 1
            report.reasons.append(f"{stored.letter.key if stored.letter else stored.offset}: {outcome}")
            if producer is not None and stored.letter is not None:
                again = stored.letter.model_copy(update={"reason": f"retry failed: {outcome}", "failed_at": clock()})
                producer.send(topic, key=(stored.letter.key or "").encode() or None, value=again.model_dump_json().encode())
    finally:
        if publisher is not None:
            publisher.close()
        if producer is not None:
            producer.flush()
            producer.close()
    if not dry_run and letters:
        last = {}
        for stored in letters:
            last[stored.partition] = stored.offset + 1
        kafka_io.commit_offsets(settings, group, topic, last)
    return report


def _resubmit(settings: Settings, stored: StoredLetter, publisher: Publisher | None, producer) -> str | None:
    """Send the letter's payload back to its stage's input if it now passes; else the reason."""
    letter = stored.letter
    if letter is None:
        return "not a dead letter"
    try:
        if letter.stage == "ingest":
            parse = _SOURCE_PARSERS.get(letter.source or "")
            if parse is None:
                return f"unknown source {letter.source!r}"
            paper = parse(letter.payload)
            if publisher is not None:
                publisher.publish(paper)
        elif letter.stage == "enrich":
            paper = parse_raw_paper(letter.payload)
            if publisher is not None:
                publisher.publish(paper)
        elif letter.source in {settings.topic(name) for name in _LINK_SOURCES}:
            name = next(name for name in _LINK_SOURCES if settings.topic(name) == letter.source)
            _parse_link_record(_LINK_SOURCES[name], letter.payload)
            if producer is not None:
                producer.send(settings.topic(name), key=letter.key.encode() if letter.key is not None else None,
                              value=letter.payload.encode())
        elif letter.stage == "profile" and letter.source in (
            settings.topic(RESEARCHER_MERGES.name), settings.topic(RESEARCHER_MERGE_MOVES.name)
        ):
            merge = _parse_merge(letter.payload)  # a refused merge: asked again from the retired side
            if producer is not None:
                producer.send(settings.topic(RESEARCHER_MERGES.name), key=merge.retired_id.encode(), value=letter.payload.encode())
        elif letter.stage == "profile":
            signal = parse_signal(letter.payload)
            if producer is not None:
                producer.send(settings.topic(RESEARCHER_SIGNALS.name), key=signal.researcher_id.encode(), value=letter.payload.encode())
        else:
            enriched = parse_enriched_paper(letter.payload)
            if producer is not None:
                producer.send(settings.topic(PAPERS_ENRICHED.name), key=enriched.arxiv_id.encode(), value=letter.payload.encode())
    except InvalidRecord as error:
        return error.reason
    return None


def _parse_link_record(parse: Callable[[str], object], payload: str) -> None:
    try:
        parse(payload)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error


def _parse_merge(payload: str) -> MergeEvent:
    try:
        return MergeEvent.model_validate_json(payload)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error
