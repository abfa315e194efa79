"""Sign-in with ORCID against the tests' own OpenID provider (tests/oidc_provider.py), over real HTTP.

The app runs in FastAPI's TestClient with the real account store (SQLite) and the recording write
path of test_web_accounts; the browser's trip to the provider's page is two plain HTTP requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from schemas.profiles import VerifySignal
from scholarstream.orcid_sign_in import orcid_router
from tests.oidc_provider import Provider, authorize, running_provider, sign_in_with_orcid, to_provider
from tests.unit.scholarstream.test_web_accounts import PASSWORD, Rig

ORCID = "0000-0002-1825-0097"
OTHER_ORCID = "0000-0001-5109-3700"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def rig(tmp_path: Path, provider: Provider) -> Rig:
    return _rig(tmp_path, provider.env)


def _rig(tmp_path: Path, env: dict[str, Any]) -> Rig:
    rig = Rig(tmp_path)
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), **env)
    rig.app.include_router(orcid_router(settings, rig.store, rig.limits.sign_in_by_address))
    return rig


def _to_provider(client: TestClient, next_page: str = "/researchers/r1") -> str:
    return to_provider(client, next_page)


def _authorize(authorize_url: str, orcid: str) -> str:
    return authorize(authorize_url, orcid)


def _sign_in(client: TestClient, orcid: str, next_page: str = "/researchers/r1") -> httpx.Response:
    answer: httpx.Response = sign_in_with_orcid(client, orcid, next_page)
    return answer


def test_a_first_orcid_sign_in_makes_an_account_and_a_second_signs_in_to_it(rig: Rig, provider: Provider) -> None:
    client = rig.client()
    answer = _sign_in(client, ORCID)
    assert answer.status_code == 303 and answer.headers["location"] == "/researchers/r1"
    me = client.get("/me").json()
    assert me["orcid"] == ORCID and me["email"] == "" and me["account_id"].startswith("acct-")
    assert provider.tokens_issued == 1

    again = rig.client()
    assert _sign_in(again, ORCID).status_code == 303
    assert again.get("/me").json()["account_id"] == me["account_id"]


def test_an_account_made_with_orcid_has_no_password_to_guess(rig: Rig) -> None:
    client = rig.client()
    _sign_in(client, ORCID)
    assert rig.client().post("/sessions", json={"email": "nobody@example.org", "password": PASSWORD}).status_code == 401


def test_signed_in_with_a_password_the_orcid_sign_in_links_the_id_to_that_account(rig: Rig) -> None:
    client, account = rig.signed_up()
    assert _sign_in(client, ORCID).status_code == 303
    me = client.get("/me").json()
    assert me["account_id"] == account["account_id"] and me["orcid"] == ORCID
    stored = rig.store.get(account["account_id"])
    assert stored is not None and stored.orcid == ORCID


def test_an_id_linked_to_one_account_cannot_be_linked_to_another(rig: Rig) -> None:
    first, _ = rig.signed_up("ada@example.org")
    _sign_in(first, ORCID)
    second, account = rig.signed_up("eve@example.org")
    refused = _sign_in(second, ORCID)
    assert refused.status_code == 409 and "another account" in refused.json()["detail"]
    stored = rig.store.get(account["account_id"])
    assert stored is not None and stored.orcid is None


def test_an_account_keeps_the_id_it_proved_first(rig: Rig) -> None:
    client, _ = rig.signed_up()
    _sign_in(client, ORCID)
    refused = _sign_in(client, OTHER_ORCID)
    assert refused.status_code == 409 and ORCID in refused.json()["detail"]


def test_verify_with_orcid_sends_an_l3_verification_with_the_proven_id(rig: Rig) -> None:
    client, account = rig.signed_up()
    _sign_in(client, ORCID)
    token = client.get("/me").json()["csrf_token"]
    answer = client.post("/researchers/r1/verify-orcid", headers={"X-CSRF-Token": token})
    assert answer.status_code == 202, answer.text
    [signal] = rig.writer.sent
    assert isinstance(signal, VerifySignal)
    assert signal.level.value == "L3" and signal.evidence.method == "orcid" and signal.evidence.orcid == ORCID
    assert signal.actor == account["account_id"] and signal.principal == "account" and signal.researcher_id == "r1"


def test_verify_with_orcid_takes_no_id_from_the_request(rig: Rig) -> None:
    client, _ = rig.signed_up()
    token = client.get("/me").json()["csrf_token"]
    refused = client.post("/researchers/r1/verify-orcid", headers={"X-CSRF-Token": token})
    assert refused.status_code == 409 and "sign in with ORCID" in refused.json()["detail"]
    smuggled = client.post("/researchers/r1/verify-orcid", headers={"X-CSRF-Token": token},
                           json={"evidence": {"method": "orcid", "orcid": ORCID}, "level": "L3"})
    assert smuggled.status_code == 422
    assert rig.writer.sent == []


def test_verify_with_orcid_needs_a_session_and_its_csrf_token(rig: Rig) -> None:
    assert rig.client().post("/researchers/r1/verify-orcid").status_code == 401
    client, _ = rig.signed_up()
    _sign_in(client, ORCID)
    assert client.post("/researchers/r1/verify-orcid").status_code == 403


def test_a_callback_this_browser_did_not_start_is_400(rig: Rig) -> None:
    victim = rig.client()
    back = urlsplit(_authorize(_to_provider(victim), ORCID))
    attacker = rig.client()  # another browser replaying the victim's callback (login CSRF)
    refused = attacker.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert refused.status_code == 400
    assert attacker.get("/me").status_code == 401


def test_a_callback_is_good_once(rig: Rig) -> None:
    client = rig.client()
    back = urlsplit(_authorize(_to_provider(client), ORCID))
    assert client.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 303
    assert client.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 400


@pytest.mark.parametrize("query", ["", "?code=x", "?state=x", "?code=x&state=y", "?error=access_denied&state=z", "?code=%00&state=%ff"])
def test_a_hostile_callback_is_400(rig: Rig, query: str) -> None:
    client = rig.client()
    _to_provider(client)
    assert client.get(f"/sign-in/orcid/callback{query}", follow_redirects=False).status_code == 400


def test_the_person_saying_no_at_the_provider_is_400_and_signs_no_one_in(rig: Rig, provider: Provider) -> None:
    client = rig.client()
    provider.deny_next = True
    answer = _sign_in(client, ORCID)
    assert answer.status_code == 400 and "the person said no" in answer.json()["detail"]
    assert client.get("/me").status_code == 401


def test_an_id_token_signed_with_an_unpublished_key_is_refused(rig: Rig, provider: Provider) -> None:
    client = rig.client()
    provider.forge_next = True
    answer = _sign_in(client, ORCID)
    assert answer.status_code == 502 and "did not verify" in answer.json()["detail"]
    assert client.get("/me").status_code == 401


def test_a_provider_that_does_not_answer_is_503(tmp_path: Path) -> None:
    with running_provider() as gone:
        env = gone.env
    rig = _rig(tmp_path, env)  # its port is closed now
    assert rig.client().get("/sign-in/orcid", follow_redirects=False).status_code == 503


def test_next_never_leads_to_another_site(rig: Rig) -> None:
    answer = _sign_in(rig.client(), ORCID, next_page="//evil.example/")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
