"""The pipeline's own records: which generation serves (see scholarstream/generations.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

GENERATION_SCHEMA_VERSION: Final = 1


class GenerationRecord(BaseModel):
    """The serving generation, written by `rebuild` when it switches readers over; key `current`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = GENERATION_SCHEMA_VERSION
    enrich: int = Field(ge=0)
    link: int = Field(ge=0)
    previous_enrich: int = Field(ge=0)
    previous_link: int = Field(ge=0)
    from_stage: Literal["enrich", "link"]
    switched_at: datetime
