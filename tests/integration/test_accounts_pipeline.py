"""Accounts act on a profile through the write path and the real worker applies what they may do
(issue 18): follows are a set of accounts, a claimed profile refuses another account's claim, and
a signal written to the topic without the write path's key is dead-lettered, never applied."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from accounts.mailbox import outbox
from clients import kafka_io
from foundation.settings import Settings
from schemas.profiles import ClaimSignal, FollowSignal, UnclaimSignal
from schemas.topics import RESEARCHER_SIGNALS
from scholarstream.api import create_api
from tests.integration.conftest import FIXTURE_SNAPSHOT, act, cli, read_topic, signed_up
from tests.oidc_provider import running_provider, sign_in_with_orcid
from tests.outbox import mailed_link

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
OWNER_ORCID = "0000-0002-1825-0097"
SQUATTER_ORCID = "0000-0001-5109-3700"


def _profile(researcher: str) -> dict:
    shown = cli("profile", researcher, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_follows_count_accounts_once_and_a_claimed_profile_refuses_another_account(app_settings: Settings) -> None:
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    researcher = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"][0]["researcher_id"]
    before = _profile(researcher)

    with TestClient(create_api(app_settings)) as ada_client, TestClient(create_api(app_settings)) as bob_client:
        ada, bob = signed_up(ada_client, "ada@example.org"), signed_up(bob_client, "bob@example.org")
        for _ in range(3):
            act(ada_client, ada, researcher, "follow")
        act(bob_client, bob, researcher, "follow")
        act(ada_client, ada, researcher, "claim")
        act(bob_client, bob, researcher, "claim")  # accepted by the write path, refused by the worker
    # Written straight to the topic, as anyone with produce rights could: unsigned, and forged.
    forged: list[FollowSignal | ClaimSignal] = [
        FollowSignal(signal_id=f"forged-{n}", researcher_id=researcher, actor=f"acct-{n:016x}", at=NOW)
        for n in range(20)
    ]
    forged.append(ClaimSignal(signal_id="forged-claim", researcher_id=researcher, actor="mallory", at=NOW,
                              signature="0" * 64))
    producer = kafka_io.producer(app_settings)
    try:
        for signal in forged:
            producer.send(app_settings.topic(RESEARCHER_SIGNALS.name), key=researcher.encode(),
                          value=signal.model_dump_json().encode())
        producer.flush()
    finally:
        producer.close()
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0

    after = _profile(researcher)
    assert after["followers_count"] == before["followers_count"] + 2, "two accounts follow; three follows of one count once"
    assert after["claimed"] and not before["claimed"]
    shown = json.dumps(after)
    assert ada["account_id"] not in shown and bob["account_id"] not in shown, "the read side names no account"
    assert "claimed_by" not in after and "followers" not in after

    letters = [json.loads(r.value) for r in read_topic(app_settings, app_settings.topic("researcher.signals.dlq"))]
    reasons = [letter["reason"] for letter in letters]
    assert sum("already claimed by another account" in r for r in reasons) == 1, reasons
    assert sum(r.startswith("unsigned signal") for r in reasons) == 20
    assert sum("does not verify" in r for r in reasons) == 1


def test_the_claimant_verifies_with_a_proven_orcid_and_no_one_else_can(app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18 (ORCID squatting): the iD on a profile comes only from its claimant's completed ORCID
    sign-in. Another person's proven iD, sent by an account that did not claim the profile, is
    refused by the worker, and the owner's verification still applies."""
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    researcher = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"][0]["researcher_id"]

    with running_provider() as provider:
        for name, value in provider.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings(_env_file=None)
        with TestClient(create_api(settings)) as owner_client, TestClient(create_api(settings)) as squatter_client:
            owner = signed_up(owner_client, "owner@example.org")
            act(owner_client, owner, researcher, "claim")
            assert sign_in_with_orcid(owner_client, OWNER_ORCID).status_code == 303
            assert sign_in_with_orcid(squatter_client, SQUATTER_ORCID).status_code == 303
            squatter = squatter_client.get("/me").json()
            act(squatter_client, squatter, researcher, "verify-orcid")  # first in the topic, refused
            act(owner_client, owner, researcher, "verify-orcid")
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0

    after = _profile(researcher)
    assert after["claimed"] and after["verification_level"] == "L3" and after["orcid"] == OWNER_ORCID
    assert [v["evidence"]["orcid"] for v in after["verifications"]] == [OWNER_ORCID]
    reasons = [json.loads(r.value)["reason"] for r in read_topic(app_settings, app_settings.topic("researcher.signals.dlq"))]
    assert any("claimed by another account" in r for r in reasons), reasons


def test_a_takeover_by_unclaim_then_claim_is_refused_and_the_claimant_keeps_the_profile(app_settings: Settings) -> None:
    """Issue 18 (takeover): an actor spelled like the system passed the claimant check, so
    unclaim-then-claim took a claimed profile. Replayed through the write path and as raw records:
    every step is refused with its reason, and the profile stays its claimant's."""
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    researcher = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"][0]["researcher_id"]

    with TestClient(create_api(app_settings)) as owner_client, TestClient(create_api(app_settings)) as mallory_client:
        owner, mallory = signed_up(owner_client, "owner@example.org"), signed_up(mallory_client, "mallory@example.org")
        act(owner_client, owner, researcher, "claim")
        assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
        forged = [UnclaimSignal(signal_id="forged-unclaim", researcher_id=researcher, actor="system:admin", at=NOW),
                  ClaimSignal(signal_id="forged-claim", researcher_id=researcher, actor="system:admin", at=NOW)]
        producer = kafka_io.producer(app_settings)
        try:
            for signal in forged:  # unsigned, as anyone who can write to the topic could send them
                producer.send(app_settings.topic(RESEARCHER_SIGNALS.name), key=researcher.encode(),
                              value=signal.model_dump_json().encode())
            producer.flush()
        finally:
            producer.close()
        sent = {}
        for action in ("unclaim", "claim"):  # through the write path, as Mallory's own account
            answer = mallory_client.post(f"/researchers/{researcher}/{action}", headers={"X-CSRF-Token": mallory["csrf_token"]})
            assert answer.status_code == 202, answer.text
            sent[action] = answer.json()["signal_id"]
        assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0

        assert _profile(researcher)["claimed"]
        mine = owner_client.get("/my-profile", headers={"Accept": "text/html"}, follow_redirects=False)
        assert mine.status_code == 303 and mine.headers["location"] == f"/researchers/{researcher}", "still the owner's"
        refusals = {action: mallory_client.get(f"/signals/{signal_id}").json() for action, signal_id in sent.items()}
        assert refusals["unclaim"]["status"] == "refused" and "claimed by another account" in refusals["unclaim"]["reason"]
        assert refusals["claim"]["status"] == "refused" and "already claimed by another account" in refusals["claim"]["reason"]

    reasons = [json.loads(r.value)["reason"] for r in read_topic(app_settings, app_settings.topic("researcher.signals.dlq"))]
    assert sum(r.startswith("unsigned signal") for r in reasons) == 2, reasons


def test_a_claimant_verifies_with_a_confirmed_institutional_address(
    app_settings: Settings, monkeypatch: pytest.MonkeyPatch,  # noqa: ARG001 - app_settings: its accounts database
) -> None:
    """Issue 18: a verification needs the claimant and a proof checked upstream. The mailed link
    proves the mailbox; an address at a configured institution's domain verifies at L3."""
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    researcher = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"][0]["researcher_id"]
    monkeypatch.setenv("SCHOLARSTREAM_INSTITUTION_DOMAINS", "ox.ac.uk=University of Oxford")
    settings = Settings(_env_file=None)

    with TestClient(create_api(settings)) as client:
        address = f"owner-{uuid.uuid4().hex[:8]}@physics.ox.ac.uk"  # the outbox is the stack's, shared
        owner = signed_up(client, address)
        act(client, owner, researcher, "claim")
        assert client.post("/me/email-confirmations", headers={"X-CSRF-Token": owner["csrf_token"]}).status_code == 202
        link = mailed_link(outbox(settings), address)
        assert link.startswith("http://testserver/")
        assert client.get(urlsplit(link).path, follow_redirects=False).status_code == 303
        act(client, owner, researcher, "verify-email")
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0

    after = _profile(researcher)
    assert after["claimed"] and after["verification_level"] == "L3"
    assert [v["evidence"] for v in after["verifications"]] == [
        {"method": "institutional_email", "domain": "physics.ox.ac.uk", "institution": "University of Oxford"}]
