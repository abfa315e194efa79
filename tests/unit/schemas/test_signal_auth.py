"""Signals are signed per principal; any change to a signed signal, or the other principal's key, fails."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from foundation.errors import ConfigError, InvalidRecord
from foundation.settings import Settings
from foundation.signal_keys import SignalKeys, key_file, signal_keys
from schemas.profiles import FollowSignal, OrcidEvidence, VerifySignal, parse_signal
from schemas.signal_auth import check_signature, sign_signal

KEYS = SignalKeys(account=SecretStr("a" * 64), operator=SecretStr("o" * 64))
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def follow(**fields):
    return FollowSignal(**{"signal_id": "s-1", "researcher_id": "r-1", "actor": "acct-1", "at": NOW, **fields})


def test_a_signed_signal_checks_after_a_trip_through_json():
    signed = sign_signal(follow(), KEYS)
    assert len(signed.signature) == 64
    check_signature(parse_signal(signed.model_dump_json()), KEYS)


@pytest.mark.parametrize("change", [
    {"actor": "acct-2"}, {"researcher_id": "r-2"}, {"signal_id": "s-2"}, {"principal": "operator"},
    {"at": datetime(2026, 12, 5, tzinfo=UTC)},
])
def test_changing_any_field_of_a_signed_signal_breaks_it(change):
    signed = sign_signal(follow(), KEYS)
    with pytest.raises(InvalidRecord, match="does not verify"):
        check_signature(signed.model_copy(update=change), KEYS)


def test_a_signal_signed_with_the_account_key_cannot_claim_the_operator_principal():
    forged = follow(principal="operator")
    forged = forged.model_copy(update={"signature": sign_signal(follow(), KEYS).signature})
    with pytest.raises(InvalidRecord, match="principal 'operator'"):
        check_signature(forged, KEYS)
    other_key = SignalKeys(account=SecretStr("x" * 64), operator=SecretStr("o" * 64))
    with pytest.raises(InvalidRecord):
        check_signature(sign_signal(follow(), other_key), KEYS)


def test_an_unsigned_signal_of_schema_1_is_refused_with_its_reason():
    old = parse_signal(json.dumps({
        "schema_version": 1, "kind": "verify", "signal_id": "v", "researcher_id": "r-1", "actor": "system:x",
        "at": "2026-12-04T12:00:00Z", "level": "L1", "evidence": {"method": "orcid", "orcid": "0000-0002-1825-0097"},
    }))
    assert isinstance(old, VerifySignal) and old.evidence == OrcidEvidence(orcid="0000-0002-1825-0097")
    with pytest.raises(InvalidRecord, match="unsigned signal") as caught:
        check_signature(old, KEYS)
    assert caught.value.field == "signature"


def test_local_keys_are_made_once_readable_by_the_owner_only(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))
    first = signal_keys(settings)
    assert first == signal_keys(settings)
    assert first.account.get_secret_value() != first.operator.get_secret_value()
    assert stat.S_IMODE(os.stat(key_file(settings)).st_mode) == 0o600
    assert "signal" not in repr(first.account) and first.account.get_secret_value() not in repr(first)


def test_keys_from_the_settings_win_over_the_file(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path),
                        SCHOLARSTREAM_SIGNAL_KEY_ACCOUNT="k1", SCHOLARSTREAM_SIGNAL_KEY_OPERATOR="k2")
    keys = signal_keys(settings)
    assert (keys.account.get_secret_value(), keys.operator.get_secret_value()) == ("k1", "k2")
    assert not key_file(settings).exists()


def test_a_key_file_that_is_a_symlink_is_refused(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"account": "a", "operator": "o"}))
    key_file(settings).parent.mkdir(parents=True)
    key_file(settings).symlink_to(target)
    with pytest.raises(ConfigError, match="cannot read the secrets"):
        signal_keys(settings)
