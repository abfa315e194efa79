"""Refusing a merge: to the operators' review queue when only an operator may grant it (an
account's request naming a profile it did not claim), else to the merges' dead letters."""

from __future__ import annotations

from typing import Any

from schemas.merge_reviews import MergeReview
from schemas.profiles import MergeEvent
from stream_processors.agents.boundary import DeadLetters
from stream_processors.agents.ports import Topic
from stream_processors.agents.state import timestamp
from stream_processors.merge_stage import REVIEW


async def refuse(event: Any, merge: MergeEvent, reason: str, letter: str, dead_letters: DeadLetters, reviews: Topic,
                 payload: str | None = None) -> Any:
    """Send the refusal where it belongs; `letter` is the dead letter's text, `reason` the bare cause."""
    if reason.startswith(REVIEW) and merge.signal_id:
        review = MergeReview(review_id=merge.signal_id, merge=merge, reason=reason, at=timestamp(event))
        return await reviews.send(key=merge.signal_id.encode(), value=review.wire())
    return await dead_letters.send(event, letter, payload=payload)
