"""Voids: an operator's ruling that a range of product signals must not apply.

When an account turns out to have been taken over, or a key leaked, the signals sent in its name
are already in `researcher.signals`, which is kept forever and replayed by every rebuild. They
are not deleted (the log stays the record of what was sent); an operator publishes a void
instead, to `researcher.signals.voids`. A void names a time window (by the signals' own `at`) and
narrows it by any of actor, principal and researcher. The worker dead-letters every signal a void
covers, with the void's id and reason, so a rebuild (`scholarstream rebuild --from-stage link`)
re-derives the profiles as if those signals had never been sent.

A void is signed with the operators' key like an operator's signal (schemas/signal_auth.py): write
access to the topic is not enough to silence someone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas._base import FrozenStripped
from schemas.profiles import ResearcherId, ResearcherSignal, UtcDatetime

VOID_SCHEMA_VERSION: Literal[1] = 1


class SignalVoid(FrozenStripped):
    schema_version: Literal[1] = VOID_SCHEMA_VERSION
    void_id: str = Field(min_length=1, max_length=128, description="Unique per void: its key in the topic.")
    since: UtcDatetime = Field(description="The first signal time covered (inclusive).")
    until: UtcDatetime = Field(description="The end of the window (exclusive).")
    actor: str | None = Field(None, min_length=1, max_length=200, description="Only this actor's signals.")
    principal: Literal["account", "operator"] | None = Field(None, description="Only signals through this principal.")
    researcher_id: ResearcherId | None = Field(None, description="Only signals about this researcher.")
    reason: str = Field(min_length=1, max_length=1_000, description="Why: shown in each dead letter it causes.")
    voided_by: str = Field(min_length=1, max_length=200, description="The operator who published it.")
    at: UtcDatetime
    signature: str = Field("", max_length=64, description="HMAC-SHA256 under the operators' key.")

    @model_validator(mode="after")
    def _window(self) -> SignalVoid:
        if self.until <= self.since:
            raise ValueError(f"until ({self.until.isoformat()}) must be after since ({self.since.isoformat()})")
        return self

    def covers(self, signal: ResearcherSignal) -> bool:
        return (
            self.since <= signal.at < self.until
            and self.actor in (None, signal.actor)
            and self.principal in (None, signal.principal)
            and self.researcher_id in (None, signal.researcher_id)
        )

    def describe(self) -> str:
        """The dead-letter reason of a signal this void covers."""
        return f"void {self.void_id} by {self.voided_by}: {self.reason}"
