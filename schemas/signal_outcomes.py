"""What became of one product signal: applied, unchanged or refused (and why).

A person who acts on a profile (follow, claim, ...) gets a signal id back at once, while the worker
applies the signal later. The signals agent records the outcome of each signal it handles in
`researcher.signals.outcomes`, keyed by the signal id, so the web app can tell that person whether
their action took effect and, when it was refused, why. The record names the profile revision that
carries the change: the action shows on the profile once that revision is indexed.

`actor` is the account (or operator) that sent the signal; the web app shows an outcome only to
that account, and never shows the actor.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from schemas._base import FrozenStripped
from schemas.profiles import ResearcherId, UtcDatetime

SIGNAL_OUTCOME_SCHEMA_VERSION: Final = 1
MAX_REASON = 2_000

Outcome = Literal["applied", "unchanged", "refused"]


class SignalOutcomeEvent(FrozenStripped):
    schema_version: Literal[1] = SIGNAL_OUTCOME_SCHEMA_VERSION
    signal_id: str = Field(min_length=1, max_length=128, description="The signal's id: the record's key and document id.")
    researcher_id: ResearcherId = Field(description="Where the signal ended up (a merged id's survivor).")
    kind: str = Field(pattern=r"^[a-z_]{1,40}$", description="The signal's kind (follow, claim, ...).")
    actor: str = Field(min_length=1, max_length=200, description="Who sent it; shown to no one but that account.")
    outcome: Outcome
    reason: str | None = Field(None, min_length=1, max_length=MAX_REASON, description="Why it was refused.")
    revision: int | None = Field(
        None, ge=0, description="The profile revision that shows it (applied), or the current one (unchanged)."
    )
    at: UtcDatetime = Field(description="The signal record's time in Kafka: a replay decides the same.")

    @model_validator(mode="after")
    def _fits_outcome(self) -> SignalOutcomeEvent:
        if self.outcome == "refused":
            if self.reason is None or self.revision is not None:
                raise ValueError("a refused signal has a reason and no revision")
        elif self.reason is not None or self.revision is None:
            raise ValueError(f"an {self.outcome} signal has a revision and no reason")
        return self
