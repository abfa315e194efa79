"""The outcome of a signal, decided from what applying it did (pure: no Kafka, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr, ValidationError

from foundation.signal_keys import SignalKeys
from schemas.profiles import ClaimSignal, FollowSignal
from schemas.signal_auth import sign_signal
from schemas.signal_outcomes import MAX_REASON, SignalOutcomeEvent
from stream_processors.linking_stage import apply_product_signal
from stream_processors.profiles import new_profile
from stream_processors.signal_outcomes import DELIVERY_REFUSED, outcome_of, refused, refused_letter

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
RID = "r-0123456789abcdef"
KEYS = SignalKeys(account=SecretStr("account-key"), operator=SecretStr("operator-key"))


def _decide(profile, signal):
    return outcome_of(signal, apply_product_signal(profile, signal, NOW), profile, NOW)


def test_a_follow_that_changes_the_profile_is_applied_at_the_new_revision():
    profile = new_profile(RID, "Ana Souza")
    follow = FollowSignal(signal_id="f-1", researcher_id=RID, actor="acct-ada", at=NOW)
    told = _decide(profile, follow)
    published = apply_product_signal(profile, follow, NOW).profile
    assert told is not None and published is not None and published.revision > profile.revision
    assert (told.outcome, told.revision, told.reason, told.kind) == ("applied", published.revision, None, "follow")


def test_a_signal_that_changes_nothing_is_unchanged_at_the_current_revision():
    follow = FollowSignal(signal_id="f-1", researcher_id=RID, actor="acct-ada", at=NOW)
    profile = apply_product_signal(new_profile(RID, "Ana Souza"), follow, NOW).profile
    assert profile is not None
    told = _decide(profile, follow.model_copy(update={"signal_id": "f-2"}))
    assert told is not None and (told.outcome, told.revision) == ("unchanged", profile.revision)


def test_a_rule_broken_is_refused_with_its_reason_and_no_revision():
    profile = new_profile(RID, "Ana Souza").model_copy(update={"claimed": True, "claimed_by": "acct-ada"})
    told = _decide(profile, ClaimSignal(signal_id="c-1", researcher_id=RID, actor="acct-bob", at=NOW))
    assert told is not None
    assert (told.outcome, told.revision) == ("refused", None)
    assert told.reason == f"profile {RID} is already claimed by another account"


def test_a_signal_for_a_merged_profile_is_not_decided_there():
    retired = new_profile(RID, "Ana Souza").model_copy(update={"merged_into": "r-0000000000000001"})
    assert _decide(retired, FollowSignal(signal_id="f-1", researcher_id=RID, actor="acct-ada", at=NOW)) is None


def test_the_boundarys_delivery_errors_are_not_shown_and_long_reasons_are_cut():
    follow = FollowSignal(signal_id="f-1", researcher_id=RID, actor="acct-ada", at=NOW)
    assert refused(follow, "delivery failed: KafkaTimeoutError: broker-7:9092", NOW).reason == DELIVERY_REFUSED
    long = refused(follow, "x" * 5_000, NOW).reason
    assert long is not None and len(long) == MAX_REASON


def test_only_a_signed_signal_gets_a_refusal_from_its_dead_letter():
    follow = FollowSignal(signal_id="f-1", researcher_id=RID, actor="acct-ada", at=NOW)
    assert refused_letter(follow.model_dump_json().encode(), "why", NOW, KEYS) is None
    assert refused_letter(b"{", "why", NOW, KEYS) is None
    told = refused_letter(sign_signal(follow, KEYS).model_dump_json().encode(), "why", NOW, KEYS)
    assert told is not None and (told.outcome, told.reason, told.actor) == ("refused", "why", "acct-ada")


@pytest.mark.parametrize("fields", [
    {"outcome": "refused", "reason": None, "revision": None},
    {"outcome": "refused", "reason": "why", "revision": 3},
    {"outcome": "applied", "reason": None, "revision": None},
    {"outcome": "unchanged", "reason": "why", "revision": 3},
])
def test_an_outcome_carries_a_reason_exactly_when_refused_and_a_revision_otherwise(fields):
    with pytest.raises(ValidationError):
        SignalOutcomeEvent.model_validate({"signal_id": "s", "researcher_id": RID, "kind": "follow", "actor": "a", "at": NOW, **fields})
