"""The outcome of a signal, for the person who sent it (schemas/signal_outcomes.py).

Pure: the signals agent hands in what applying the signal did and the record's own time, so a
replay decides the same outcome. A signal re-keyed to a merge's survivor gets none here: it gets
its outcome where it finally applies. A refused outcome is made from a dead letter's reason, and
only for a signal whose signature verifies: an unsigned or forged record must not be able to speak
for (or overwrite the outcome of) someone else's signal id.
"""

from __future__ import annotations

from datetime import datetime

from foundation.errors import InvalidRecord
from foundation.signal_keys import SignalKeys
from schemas.profiles import ResearcherProfile, ResearcherSignal, parse_signal
from schemas.signal_auth import check_signature
from schemas.signal_outcomes import MAX_REASON, SignalOutcomeEvent
from stream_processors.linking_stage import SignalOutcome

# The error boundary's own reasons (stream_processors/agents/boundary.py): Kafka refused a record
# of the signal's, which says nothing about the action and names the brokers' errors.
_DELIVERY_REASONS = ("delivery failed:", "not applied: an earlier record")
DELIVERY_REFUSED = "the pipeline could not apply it (Kafka refused a record); the operators can retry it"


def outcome_of(signal: ResearcherSignal, effect: SignalOutcome, current: ResearcherProfile, at: datetime) -> SignalOutcomeEvent | None:
    """Applied with the revision that shows it, unchanged with the current revision, refused with
    the rule it broke; None for a signal sent on to a merge's survivor.

    A merge request changes no revision here: it is applied when it goes on as a merge (which the
    merges agent carries out, or puts to the operators' review)."""
    if effect.redirect_to is not None:
        return None
    if effect.rejected is not None:
        return refused(signal, effect.rejected, at)
    if effect.profile is not None:
        return _event(signal, "applied", at, revision=effect.profile.revision)
    if effect.merge is not None:
        return _event(signal, "applied", at, revision=current.revision)
    return _event(signal, "unchanged", at, revision=current.revision)


def refused(signal: ResearcherSignal, reason: str, at: datetime) -> SignalOutcomeEvent:
    if reason.startswith(_DELIVERY_REASONS):
        reason = DELIVERY_REFUSED
    text = reason.strip() or "refused"
    if len(text) > MAX_REASON:
        text = text[: MAX_REASON - 1] + "\u2026"
    return _event(signal, "refused", at, reason=text)


def refused_letter(payload: bytes, reason: str, at: datetime, keys: SignalKeys) -> SignalOutcomeEvent | None:
    """The refused outcome of a dead-lettered record: None unless it is a signal signed by its principal."""
    try:
        signal = parse_signal(payload)
        check_signature(signal, keys)
    except InvalidRecord:
        return None
    return refused(signal, reason, at)


def _event(signal: ResearcherSignal, outcome: str, at: datetime, *, revision: int | None = None,
           reason: str | None = None) -> SignalOutcomeEvent:
    return SignalOutcomeEvent.model_validate({
        "signal_id": signal.signal_id, "researcher_id": signal.researcher_id, "kind": signal.kind,
        "actor": signal.actor, "outcome": outcome, "reason": reason, "revision": revision, "at": at,
    })
