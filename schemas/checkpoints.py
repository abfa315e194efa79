"""Harvest checkpoints: where a paged harvest stopped, so any machine can resume it.

Checkpoints live in the compacted topic `ingest.checkpoints`, keyed by `checkpoint_id`, so the
latest record per key is the harvest's state. A checkpoint is written only after Kafka
acknowledged every record of the pages it covers, which is what makes resuming safe.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

CHECKPOINT_SCHEMA_VERSION: Final = 1


def checkpoint_id(source: str, endpoint: str, **params: str | None) -> str:
    """A stable id for one harvest definition: the same command resumes the same checkpoint.

    Readable prefix (source and set) for operators, plus a hash of everything that defines the
    harvest (endpoint, set, from, until, categories ...) so two different windows never collide.
    """
    definition = json.dumps({"source": source, "endpoint": endpoint.rstrip("/"), **params}, sort_keys=True)
    digest = hashlib.sha256(definition.encode()).hexdigest()[:16]
    label = params.get("set") or params.get("categories") or "all"
    return f"{source}:{label}:{digest}"


class HarvestCheckpoint(BaseModel):
    """The state of one harvest after its last fully acknowledged page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = CHECKPOINT_SCHEMA_VERSION
    checkpoint_id: str = Field(min_length=1, max_length=300)
    source: Literal["oai", "arxiv-api"]
    endpoint: str
    params: dict[str, str | None] = Field(description="What defines the harvest: set, from, until, categories ...")
    resumption_token: str | None = Field(None, description="Token that fetches the next page; None before the first page.")
    cursor: int = Field(0, ge=0, description="Records before the next page (OAI cursor or API start offset).")
    last_datestamp: str | None = Field(None, description="Newest record datestamp seen on acknowledged pages.")
    harvest_started: str | None = Field(
        None, description="The server's responseDate of the first page: the `from` of the next incremental harvest."
    )
    pages: int = Field(0, ge=0, description="Pages acknowledged so far in this harvest.")
    records: int = Field(0, ge=0, description="Records read from those pages.")
    completed: bool = Field(False, description="True once the last page (empty token) was acknowledged.")
    updated_at: datetime
