"""Dead letters: a record a stage could not process, with why, where, and the original bytes."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import Field

from schemas._base import Frozen

DEAD_LETTER_SCHEMA_VERSION: Final = 1

Stage = Literal["ingest", "enrich", "link", "profile", "index"]


class DeadLetter(Frozen):
    """Everything needed to understand a failure and to re-submit the record after a fix."""

    schema_version: Literal[1] = DEAD_LETTER_SCHEMA_VERSION
    stage: Stage
    reason: str = Field(max_length=10_000)
    field: str | None = None
    source: str | None = Field(None, description="Producer source or the topic the record came from.")
    key: str | None = None
    payload: str = Field(description="The original payload as text (undecodable bytes replaced).")
    failed_at: datetime


# A dead letter must fit in one Kafka record (1 MiB by default) whatever it carries: 128 Ki
# characters stay under that even when every one is JSON-escaped to six bytes.
MAX_DEAD_LETTER_PAYLOAD = 128 * 1024
_MAX_REASON = 10_000  # DeadLetter.reason's limit


def cap_dead_letter(reason: str, payload: str) -> tuple[str, str]:
    """The reason and payload to send, the payload cut (and the cut said in the reason) when too big.

    Without the cap, one oversized record's dead letter is refused by Kafka, and `close()` then
    fails the whole run.
    """
    if len(payload) > MAX_DEAD_LETTER_PAYLOAD:
        note = f" (payload truncated from {len(payload):,} to {MAX_DEAD_LETTER_PAYLOAD:,} characters)"
        reason = reason[: _MAX_REASON - len(note)] + note
        payload = payload[:MAX_DEAD_LETTER_PAYLOAD]
    return reason[:_MAX_REASON], payload


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else repr(value)


def dead_letter(
    *, stage: Stage, reason: str, source: str | None, key: bytes | str | None, payload: bytes | str | object,
    failed_at: datetime, field: str | None = None,
) -> DeadLetter:
    """The one way a stage builds a dead letter: key and payload as text (undecodable bytes
    replaced, anything else by its repr), and the payload capped so the letter fits in a record."""
    reason, text = cap_dead_letter(reason, _text(payload))
    return DeadLetter(
        stage=stage, reason=reason, field=field, source=source,
        key=None if key is None else _text(key), payload=text, failed_at=failed_at,
    )
