"""An account's merge request that only an operator may grant, and the operator's decision.

A person may join only profiles their account claimed (else one claim could absorb any unclaimed
profile). A request naming a profile the account did not claim is not applied; the worker puts it
in `researcher.merges.review` as a `MergeReview` (keyed by the request's signal id), where the
operators look at the two profiles and decide (`scholarstream merges review | approve | reject`).
Their decisions go to `researcher.merges.decisions` as `ReviewDecision`s, a source topic: a
rebuild re-derives the review queue from the signals, the decisions stay.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas._base import FrozenStripped
from schemas.profiles import MergeEvent, UtcDatetime

REVIEW_SCHEMA_VERSION: Literal[1] = 1


class MergeReview(FrozenStripped):
    schema_version: Literal[1] = REVIEW_SCHEMA_VERSION
    review_id: str = Field(min_length=1, max_length=128, description="The merge request's signal id.")
    merge: MergeEvent = Field(description="The merge the account asked for (reason `claim`).")
    reason: str = Field(min_length=1, max_length=2_000, description="Why it needs an operator.")
    at: UtcDatetime = Field(description="When the worker refused it.")


class ReviewDecision(FrozenStripped):
    schema_version: Literal[1] = REVIEW_SCHEMA_VERSION
    review_id: str = Field(min_length=1, max_length=128)
    decision: Literal["approved", "rejected"]
    decided_by: str = Field(min_length=1, max_length=200, description="The operator.")
    note: str = Field("", max_length=1_000)
    at: UtcDatetime
