"""What a void covers (a time window, narrowed by actor, principal and researcher), and its signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from foundation.errors import InvalidRecord
from foundation.signal_keys import SignalKeys
from schemas.profiles import FollowSignal
from schemas.signal_auth import check_void, sign_signal, sign_void
from schemas.signal_voids import SignalVoid

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEYS = SignalKeys(account=SecretStr("a-key"), operator=SecretStr("o-key"))


def _void(**fields) -> SignalVoid:
    base = {"void_id": "v-1", "since": T0, "until": T0 + timedelta(hours=1), "reason": "leaked key",
            "voided_by": "ops", "at": T0 + timedelta(days=1)}
    return SignalVoid(**(base | fields))


def _follow(at: datetime, actor: str = "acct-1", researcher: str = "r-aaaaaaaaaaaa", principal: str = "account"):
    return FollowSignal(signal_id="s", researcher_id=researcher, actor=actor, principal=principal, at=at)


def test_the_window_includes_its_start_and_excludes_its_end():
    void = _void()
    assert void.covers(_follow(T0))
    assert void.covers(_follow(T0 + timedelta(minutes=59)))
    assert not void.covers(_follow(T0 + timedelta(hours=1)))
    assert not void.covers(_follow(T0 - timedelta(seconds=1)))


@pytest.mark.parametrize(("narrowing", "other"), [
    ({"actor": "acct-1"}, {"actor": "acct-2"}),
    ({"principal": "account"}, {"principal": "operator"}),
    ({"researcher_id": "r-aaaaaaaaaaaa"}, {"researcher": "r-bbbbbbbbbbbb"}),
])
def test_each_narrowing_keeps_the_signals_it_does_not_name(narrowing, other):
    void = _void(**narrowing)
    assert void.covers(_follow(T0))
    assert not void.covers(_follow(T0, **other))


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValidationError, match="must be after since"):
        _void(until=T0)


def test_a_void_verifies_only_under_the_operators_key_and_unchanged():
    signed = sign_void(_void(actor="acct-1"), KEYS)
    check_void(signed, KEYS)
    with pytest.raises(InvalidRecord, match="not signed"):
        check_void(signed.model_copy(update={"actor": "acct-2"}), KEYS)
    with pytest.raises(InvalidRecord, match="not signed"):
        check_void(sign_void(_void(), SignalKeys(account=SecretStr("o-key"), operator=SecretStr("a-key"))), KEYS)
    with pytest.raises(InvalidRecord, match="not signed"):
        check_void(_void(), KEYS)


def test_a_signal_signature_is_not_a_void_signature():
    """Separate domains: an operator's signed signal with the same digest input cannot pass as a void."""
    follow = sign_signal(_follow(T0, principal="operator"), KEYS)
    with pytest.raises(InvalidRecord):
        check_void(_void().model_copy(update={"signature": follow.signature}), KEYS)
