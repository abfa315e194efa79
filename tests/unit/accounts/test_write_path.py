"""The write path's signals: built for the account, validated by the schema, signed as `account`.

Producing them to Kafka is tested against the real broker (tests/integration/test_write_path.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from accounts.write_path import SignalWriter
from foundation.errors import InvalidRecord
from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.profiles import DisownWorkSignal, FollowSignal, parse_signal
from schemas.signal_auth import check_signature

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ACCOUNT = "acct-0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))


def test_a_signal_is_the_accounts_signed_as_account(settings: Settings) -> None:
    signal = SignalWriter(settings, clock=lambda: NOW).build(ACCOUNT, "r-ada", "follow")
    assert isinstance(signal, FollowSignal)
    assert (signal.actor, signal.principal, signal.researcher_id, signal.at) == (ACCOUNT, "account", "r-ada", NOW)
    assert signal.signal_id.startswith("web-")
    check_signature(parse_signal(signal.model_dump_json()), signal_keys(settings))


def test_each_action_gets_its_own_signal_id(settings: Settings) -> None:
    writer = SignalWriter(settings, clock=lambda: NOW)
    assert writer.build(ACCOUNT, "r-ada", "claim").signal_id != writer.build(ACCOUNT, "r-ada", "claim").signal_id


def test_the_body_cannot_set_who_acts(settings: Settings) -> None:
    signal = SignalWriter(settings, clock=lambda: NOW).build(
        ACCOUNT, "r-ada", "disown_work",
        {"arxiv_ids": ["2401.00001"], "actor": "acct-ffffffffffffffff", "principal": "operator", "signature": "x"},
    )
    assert isinstance(signal, DisownWorkSignal)
    assert (signal.actor, signal.principal) == (ACCOUNT, "account")
    check_signature(signal, signal_keys(settings))


@pytest.mark.parametrize(("researcher_id", "kind", "fields", "field"), [
    ("-bad id", "follow", {}, "researcher_id"),
    ("r-ada", "disown_work", {"arxiv_ids": ["not-an-id"]}, "arxiv_ids"),
    ("r-ada", "merge_request", {"other_id": "r-ada"}, "other_id"),
    ("r-ada", "affiliation_update", {"affiliations": []}, "affiliations"),
    ("r-ada", "follow", {"surprise": 1}, "surprise"),
])
def test_input_the_schema_refuses_names_the_field(settings: Settings, researcher_id: str, kind: str, fields: dict, field: str) -> None:
    with pytest.raises(InvalidRecord, match=field):
        SignalWriter(settings).build(ACCOUNT, researcher_id, kind, fields)


def test_an_account_cannot_send_a_verification(settings: Settings) -> None:
    with pytest.raises(InvalidRecord, match="verify"):
        SignalWriter(settings).build(ACCOUNT, "r-ada", "verify", {"level": "L1"})


def test_a_signal_id_shows_the_account_that_sent_it_and_no_other(settings: Settings) -> None:
    """GET /signals/{id} answers "pending" to the sender before anything records who sent it, and
    "not found" to anyone else: the id itself carries a MAC over the account id."""
    from accounts.signal_ids import SignalIds, signal_ids

    signal = SignalWriter(settings, clock=lambda: NOW).build(ACCOUNT, "r-ada", "follow")
    ids = signal_ids(settings)
    assert ids.sent_by(signal.signal_id, ACCOUNT)
    assert not ids.sent_by(signal.signal_id, "acct-ffffffffffffffff")
    assert not SignalIds(SecretStr("another key")).sent_by(signal.signal_id, ACCOUNT), "only the key mints them"
    nonce, mac = signal.signal_id.removeprefix("web-").split("-")
    assert not ids.sent_by(f"web-{nonce}-{mac[::-1]}", ACCOUNT)
    for hostile in ("", "web-", "web-x-y", signal.signal_id + "\n", signal.signal_id.upper(), "é" * 200):
        assert not ids.sent_by(hostile, ACCOUNT)
