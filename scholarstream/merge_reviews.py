"""`scholarstream merges review | approve | reject`: the operators' review queue of merge requests.

The worker puts an account's merge request that only an operator may grant in
`researcher.merges.review` (schemas/merge_reviews.py). An operator lists what is pending, looks at
the two profiles, and approves (the merge is sent as the operators' own `merge_request` signal,
signed with their key, which the worker applies) or rejects with a note. Decisions go to
`researcher.merges.decisions`, kept apart from the derived queue so a rebuild keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from clients import kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.merge_reviews import MergeReview, ReviewDecision
from schemas.profiles import MergeRequestSignal
from schemas.signal_auth import sign_signal
from schemas.topics import MERGE_DECISIONS, MERGE_REVIEWS, RESEARCHER_SIGNALS


def _latest(settings: Settings, topic: str, parse: Callable[[bytes], Any]) -> dict[str, Any]:
    latest: dict[str, Any] = {}
    for record in kafka_io.read_to_end(settings, settings.topic(topic)):
        if record.key is not None and record.value is not None:
            latest[record.key.decode()] = parse(record.value)
    return latest


def reviews(settings: Settings) -> list[tuple[MergeReview, ReviewDecision | None]]:
    """Every review with its decision (None: pending), oldest first."""
    queue = _latest(settings, MERGE_REVIEWS.name, MergeReview.model_validate_json)
    decided = _latest(settings, MERGE_DECISIONS.name, ReviewDecision.model_validate_json)
    return sorted(((review, decided.get(key)) for key, review in queue.items()), key=lambda pair: pair[0].at)


def decide(settings: Settings, review_id: str, decision: Literal["approved", "rejected"], by: str, note: str,
           now: datetime) -> ReviewDecision:
    """Record the decision on a pending review; an approval first sends the merge as the operators'."""
    found = {review.review_id: (review, done) for review, done in reviews(settings)}
    if review_id not in found:
        raise ScholarStreamError(f"no review {review_id!r}: `scholarstream merges review` lists them")
    review, done = found[review_id]
    if done is not None:
        raise ScholarStreamError(f"review {review_id} was {done.decision} by {done.decided_by} at {done.at.isoformat()}")
    kafka_io.ensure_topics(settings, [RESEARCHER_SIGNALS, MERGE_DECISIONS])
    if decision == "approved":
        merge = review.merge
        claimant = merge.requested_by or merge.surviving_id
        other = merge.retired_id if claimant == merge.surviving_id else merge.surviving_id
        signal = sign_signal(MergeRequestSignal(signal_id=f"review-{review_id}", researcher_id=claimant, other_id=other,
                                                actor=by, principal="operator", at=now), signal_keys(settings))
        kafka_io.send_one(settings, settings.topic(RESEARCHER_SIGNALS.name), claimant.encode(), signal.model_dump_json().encode())
    record = ReviewDecision(review_id=review_id, decision=decision, decided_by=by, note=note, at=now)
    kafka_io.send_one(settings, settings.topic(MERGE_DECISIONS.name), review_id.encode(), record.model_dump_json().encode())
    return record


def as_dict(review: MergeReview, decision: ReviewDecision | None) -> dict[str, Any]:
    merge = review.merge
    return {
        "review_id": review.review_id, "account": merge.actor, "requested_by": merge.requested_by,
        "ids": [merge.surviving_id, merge.retired_id], "names": [merge.surviving_name, merge.retired_name],
        "reason": review.reason, "at": review.at.isoformat(),
        "decision": decision.model_dump(mode="json") if decision else None,
    }
