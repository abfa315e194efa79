"""Dead letters: a record a stage could not process, with why, where, and the original bytes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEAD_LETTER_SCHEMA_VERSION = 1

Stage = Literal["ingest", "enrich", "link", "profile", "index"]


class DeadLetter(BaseModel):
    """Everything needed to understand a failure and to re-submit the record after a fix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = DEAD_LETTER_SCHEMA_VERSION
    stage: Stage
    reason: str = Field(max_length=10_000)
    field: str | None = None
    source: str | None = Field(None, description="Producer source or the topic the record came from.")
    key: str | None = None
    payload: str = Field(description="The original payload as text (undecodable bytes replaced).")
    failed_at: datetime
