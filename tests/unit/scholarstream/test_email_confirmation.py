"""Proving a mailbox (issue 18): the confirmation link mailed to the account's address, and the
verification it allows. The mail goes to the outbox directory, which the tests read as a person
reads their mail."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from accounts import AccountError
from accounts.mailbox import ConfirmationLinks, email_evidence, institutions, outbox
from schemas.profiles import VerifySignal
from tests.outbox import mailed_link, mails
from tests.unit.scholarstream.test_web_accounts import Rig


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def _mailed_link(rig: Rig, to: str) -> str:
    assert len(mails(outbox(rig.settings))) == 1
    link = mailed_link(outbox(rig.settings), to)
    assert link.startswith("http://testserver/me/email-confirmations/")
    return urlsplit(link).path


def test_the_mailed_link_confirms_the_address_and_allows_an_email_verification(rig: Rig) -> None:
    client, account = rig.signed_up("ada@example.org")
    headers = {"X-CSRF-Token": account["csrf_token"]}
    refused = client.post("/researchers/r-ada/verify-email", headers=headers)
    assert refused.status_code == 409 and "confirm your e-mail address first" in refused.json()["detail"]
    asked = client.post("/me/email-confirmations", headers=headers)
    assert asked.status_code == 202 and asked.json() == {"sent_to": "ada@example.org"}
    opened = TestClient(rig.app).get(_mailed_link(rig, "ada@example.org"), follow_redirects=False)  # any browser
    assert opened.status_code == 303 and opened.headers["location"] == "/my-profile"
    stored = rig.store.get(account["account_id"])
    assert stored is not None and stored.email_confirmed_at is not None

    assert client.post("/researchers/r-ada/verify-email", headers=headers).status_code == 202
    [signal] = rig.writer.sent
    assert isinstance(signal, VerifySignal) and signal.level.value == "L2"
    assert signal.evidence.method == "email" and signal.evidence.domain == "example.org"
    assert signal.actor == account["account_id"] and signal.principal == "account"


def test_an_address_at_a_known_institution_verifies_at_l3() -> None:
    known = institutions("ox.ac.uk=University of Oxford; cern.ch = CERN ;broken;=x")
    assert known == {"ox.ac.uk": "University of Oxford", "cern.ch": "CERN"}
    assert email_evidence("ada@cs.ox.ac.uk", known) == (
        {"method": "institutional_email", "domain": "cs.ox.ac.uk", "institution": "University of Oxford"}, "L3")
    assert email_evidence("ada@gmail.com", known) == ({"method": "email", "domain": "gmail.com"}, "L2")
    assert email_evidence("ada@notox.ac.uk", known)[1] == "L2", "a parent domain by labels, not by letters"


def test_a_forged_altered_or_expired_link_confirms_nothing(rig: Rig) -> None:
    client, account = rig.signed_up("ada@example.org")
    client.post("/me/email-confirmations", headers={"X-CSRF-Token": account["csrf_token"]})
    path = _mailed_link(rig, "ada@example.org")
    forged = ConfirmationLinks(SecretStr("another secret")).token(account["account_id"], "ada@example.org")
    for bad in (path[:-3] + "abc", f"/me/email-confirmations/{forged}", "/me/email-confirmations/%00", "/me/email-confirmations/x"):
        assert client.get(bad, follow_redirects=False).status_code == 404, bad
    stored = rig.store.get(account["account_id"])
    assert stored is not None and stored.email_confirmed_at is None
    expired = ConfirmationLinks(SecretStr("s"), max_age=-1)
    with pytest.raises(AccountError, match="expired"):
        expired.read(expired.token(account["account_id"], "ada@example.org"))


def test_a_link_for_another_address_of_the_account_confirms_nothing(rig: Rig) -> None:
    _, account = rig.signed_up("ada@example.org")
    with pytest.raises(AccountError, match="no longer has"):
        rig.store.confirm_email(account["account_id"], "old@example.org")


def test_asking_for_a_link_needs_a_session_and_its_csrf_token(rig: Rig) -> None:
    assert rig.client().post("/me/email-confirmations").status_code == 401
    client, _ = rig.signed_up()
    assert client.post("/me/email-confirmations").status_code == 403
    assert not outbox(rig.settings).exists() or not list(outbox(rig.settings).glob("*.eml"))


def test_the_outbox_keeps_each_mail_readable_by_its_owner_only(rig: Rig) -> None:
    client, account = rig.signed_up()
    client.post("/me/email-confirmations", headers={"X-CSRF-Token": account["csrf_token"]})
    [path] = outbox(rig.settings).glob("*.eml")
    assert path.stat().st_mode & 0o777 == 0o600 and outbox(rig.settings).stat().st_mode & 0o777 == 0o700
