"""The accounts routes through FastAPI's TestClient: sessions, CSRF, rate limits, statuses.

The store is real (an SQLite file); the write path is replaced by a recorder, so these tests need no
Kafka (the real one is tested in tests/integration/test_write_path.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accounts import AccountStore, SignalWriter, engine, upgrade
from accounts.mailbox import OutboxMailer, outbox
from accounts.passwords import Passwords
from foundation.errors import ServiceUnavailable
from foundation.settings import Settings
from schemas.profiles import AffiliationUpdateSignal, ResearcherSignal
from scholarstream.rate_limits import SlidingWindow
from scholarstream.web_accounts import SESSION_COOKIE, AccountServices, Limits, install_accounts

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The write path as the routes see it: builds and signs for real, records instead of producing."""

    def __init__(self, settings: Settings) -> None:
        self._builder = SignalWriter(settings)
        self.sent: list[ResearcherSignal] = []
        self.down = False
        self.closed = False

    def send(self, account_id: str, researcher_id: str, kind: str, fields: Mapping[str, Any] | None = None) -> ResearcherSignal:
        signal = self._builder.build(account_id, researcher_id, kind, fields)
        if self.down:
            raise ServiceUnavailable("Kafka", "127.0.0.1:1")
        self.sent.append(signal)
        return signal

    def send_orcid_verification(self, account_id: str, orcid: str, researcher_id: str) -> ResearcherSignal:
        signal = self._builder.orcid_verification(account_id, orcid, researcher_id)
        if self.down:
            raise ServiceUnavailable("Kafka", "127.0.0.1:1")
        self.sent.append(signal)
        return signal

    def send_email_verification(self, account_id: str, evidence: Mapping[str, str], level: str, researcher_id: str) -> ResearcherSignal:
        signal = self._builder.verification(account_id, evidence, level, researcher_id)
        self.sent.append(signal)
        return signal

    def close(self) -> None:
        self.closed = True


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))
        database = engine(self.settings)
        upgrade(database)
        self.store = AccountStore(database, lambda: datetime.now(UTC), Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)))
        self.writer = Recorder(self.settings)
        self.clock = Clock()
        self.limits = Limits(*(SlidingWindow(limit, 60, self.clock) for limit in (10, 10, 10, 30)))
        # The researchers with a profile, standing in for the index (tests/integration asks the real one).
        self.researchers = {"r-ada", "r1", "r-1"}
        self.mailer = OutboxMailer(outbox(self.settings), self.settings.mail_from)  # mail as files, read by the tests
        self.app = FastAPI()
        install_accounts(self.app, self.settings, self.services())

    def services(self) -> AccountServices:
        return AccountServices(self.store, self.writer, self.limits, self._has_profile, self.mailer)

    def _has_profile(self, researcher_id: str) -> bool:
        return researcher_id in self.researchers

    def client(self) -> TestClient:
        return TestClient(self.app)

    def signed_up(self, email: str = "ada@example.org") -> tuple[TestClient, dict[str, str]]:
        client = self.client()
        response = client.post("/accounts", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return client, response.json()


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_sign_up_answers_201_and_a_session_cookie_httponly_lax(rig: Rig) -> None:
    client = rig.client()
    response = client.post("/accounts", json={"email": " Ada@Example.org", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.org" and body["account_id"].startswith("acct-") and body["csrf_token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # local default; SCHOLARSTREAM_SESSION_HTTPS_ONLY turns it on
    assert PASSWORD not in cookie
    me = client.get("/me")
    assert me.status_code == 200 and me.json() == body


def test_the_cookie_is_secure_when_https_only(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), SCHOLARSTREAM_SESSION_HTTPS_ONLY="true")
    app = FastAPI()
    install_accounts(app, settings, rig.services())
    response = TestClient(app, base_url="https://testserver").post("/accounts", json={"email": "a@b.org", "password": PASSWORD})
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_second_sign_up_with_the_address_is_409(rig: Rig) -> None:
    rig.signed_up()
    response = rig.client().post("/accounts", json={"email": "ADA@example.org", "password": PASSWORD})
    assert response.status_code == 409
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("body", [
    {"email": "ada@example.org", "password": "short"},
    {"email": "not-an-address", "password": PASSWORD},
    {"email": "ada@example.org"},
    {"email": ["ada@example.org"], "password": PASSWORD},
    {"email": "ada@example.org", "password": PASSWORD, "admin": True},
])
def test_sign_up_with_a_weak_password_or_bad_address_is_422(rig: Rig, body: dict) -> None:
    assert rig.client().post("/accounts", json=body).status_code == 422


def test_sign_up_by_form_post_works_too(rig: Rig) -> None:
    client = rig.client()
    response = client.post("/accounts", data={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 201
    assert client.get("/me").status_code == 200


def test_sign_in_right_wrong_and_unknown(rig: Rig) -> None:
    _, account = rig.signed_up()
    client = rig.client()
    wrong = client.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD + "!"})
    unknown = client.post("/sessions", json={"email": "bob@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert client.get("/me").status_code == 401
    right = client.post("/sessions", json={"email": "ADA@example.org", "password": PASSWORD})
    assert right.status_code == 200 and right.json()["account_id"] == account["account_id"]
    assert right.json()["csrf_token"] != account["csrf_token"]  # a new token per session
    assert client.get("/me").json()["account_id"] == account["account_id"]


def test_sign_out_needs_the_token_then_ends_the_session(rig: Rig) -> None:
    client, account = rig.signed_up()
    assert client.post("/sessions/end").status_code == 403
    assert client.get("/me").status_code == 200
    assert client.post("/sessions/end", headers={"X-CSRF-Token": account["csrf_token"]}).status_code == 200
    assert client.get("/me").status_code == 401
    assert rig.client().post("/sessions/end").status_code == 200  # signed out already: nothing to protect


def test_a_sign_in_posted_from_another_site_is_refused(rig: Rig) -> None:
    rig.signed_up()
    response = rig.client().post("/sessions", data={"email": "ada@example.org", "password": PASSWORD},
                                 headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    same = rig.client().post("/sessions", data={"email": "ada@example.org", "password": PASSWORD},
                             headers={"Origin": "http://testserver"})
    assert same.status_code == 200


def test_an_action_without_a_session_is_401(rig: Rig) -> None:
    response = rig.client().post("/researchers/r-ada/follow", headers={"X-CSRF-Token": "anything"})
    assert response.status_code == 401
    assert rig.writer.sent == []


def test_a_forged_cookie_is_no_session(rig: Rig) -> None:
    client = rig.client()
    client.cookies.set(SESSION_COOKIE, "eyJhY2NvdW50IjogImFjY3QtMDEyMzQ1Njc4OWFiY2RlZiJ9.forged.sig")
    assert client.get("/me").status_code == 401


@pytest.mark.parametrize("token", [None, "", "wrong-token", "é-not-ascii"])
def test_an_action_without_the_right_csrf_token_is_403(rig: Rig, token: str | None) -> None:
    client, _ = rig.signed_up()
    headers = {} if token is None else {"X-CSRF-Token": token.encode()}  # bytes: sent as they are, UTF-8 included
    response = client.post("/researchers/r-ada/follow", headers=headers)
    assert response.status_code == 403
    assert rig.writer.sent == []


def test_a_token_of_another_session_is_403(rig: Rig) -> None:
    client, _ = rig.signed_up()
    _, other = rig.signed_up("bob@example.org")
    assert client.post("/researchers/r-ada/follow", headers={"X-CSRF-Token": other["csrf_token"]}).status_code == 403


def test_an_action_is_202_and_its_signal_is_the_sessions_account(rig: Rig) -> None:
    client, account = rig.signed_up()
    response = client.post("/researchers/r-ada/follow", headers={"X-CSRF-Token": account["csrf_token"]})
    assert response.status_code == 202
    [signal] = rig.writer.sent
    assert response.json() == {"signal_id": signal.signal_id, "status": "pending"}
    assert (signal.kind, signal.researcher_id, signal.actor, signal.principal) == ("follow", "r-ada", account["account_id"], "account")


@pytest.mark.parametrize(("path", "body", "kind", "expected"), [
    ("unfollow", None, "unfollow", {}),
    ("claim", None, "claim", {}),
    ("unclaim", {"reason": "not me"}, "unclaim", {"reason": "not me"}),
    ("open-to-collaborate", {"open": False}, "open_to_collaborate", {"open": False}),
    ("affiliations", {"affiliations": ["CERN", "EPFL"]}, "affiliation_update", {"affiliations": ("CERN", "EPFL")}),
    ("merge-requests", {"other_id": "r-ada-2"}, "merge_request", {"other_id": "r-ada-2"}),
    ("disown", {"arxiv_ids": ["2401.00001"], "reason": "namesake"}, "disown_work",
     {"arxiv_ids": ("2401.00001",), "reason": "namesake"}),
])
def test_every_action_sends_its_kind_with_its_fields(rig: Rig, path: str, body: dict | None, kind: str, expected: dict) -> None:
    client, account = rig.signed_up()
    response = client.post(f"/researchers/r-ada/{path}", json=body, headers={"X-CSRF-Token": account["csrf_token"]})
    assert response.status_code == 202, response.text
    [signal] = rig.writer.sent
    assert signal.kind == kind and signal.actor == account["account_id"]
    assert {name: getattr(signal, name) for name in expected} == expected


def test_a_form_post_carries_its_token_as_a_field(rig: Rig) -> None:
    client, account = rig.signed_up()
    response = client.post("/researchers/r-ada/affiliations",
                           data={"csrf_token": account["csrf_token"], "affiliations": ["CERN", "EPFL"]})
    assert response.status_code == 202, response.text
    [signal] = rig.writer.sent
    assert isinstance(signal, AffiliationUpdateSignal) and signal.affiliations == ("CERN", "EPFL")
    wrong = client.post("/researchers/r-ada/follow", data={"csrf_token": "nope"})
    assert wrong.status_code == 403


@pytest.mark.parametrize(("path", "body"), [
    ("-nope/follow", None),
    ("r-ada/disown", {"arxiv_ids": ["not-an-arxiv-id"]}),
    ("r-ada/disown", {"arxiv_ids": []}),
    ("r-ada/merge-requests", {"other_id": "r-ada"}),
    ("r-ada/open-to-collaborate", {}),
    ("r-ada/open-to-collaborate", {"open": "perhaps"}),
    ("r-ada/affiliations", {"affiliations": "CERN"}),
    ("r-ada/follow", {"actor": "acct-ffffffffffffffff"}),
    ("r-ada/follow", [1, 2]),
    ("r-" + "x" * 200 + "/claim", None),
])
def test_bad_input_is_422_and_nothing_is_sent(rig: Rig, path: str, body: Any) -> None:
    client, account = rig.signed_up()
    response = client.post(f"/researchers/{path}", json=body, headers={"X-CSRF-Token": account["csrf_token"]})
    assert response.status_code == 422, response.text
    assert rig.writer.sent == []


@pytest.mark.parametrize("action", ["follow", "claim", "unfollow"])
def test_an_action_on_a_researcher_without_a_profile_is_404_and_nothing_is_sent(rig: Rig, action: str) -> None:
    """A signal for an id no profile has would wait in the worker for a profile that never comes."""
    client, account = rig.signed_up()
    response = client.post(f"/researchers/r-nobody/{action}", headers={"X-CSRF-Token": account["csrf_token"]})
    assert response.status_code == 404 and "no researcher r-nobody" in response.json()["detail"]
    assert rig.writer.sent == []


def test_hostile_bodies_are_4xx_never_500(rig: Rig) -> None:
    client, account = rig.signed_up()
    headers = {"X-CSRF-Token": account["csrf_token"]}
    cases = [
        client.post("/researchers/r-ada/follow", content=b"{not json", headers={**headers, "content-type": "application/json"}),
        client.post("/researchers/r-ada/follow", content=b"[" * 100_000 + b"]" * 100_000,
                    headers={**headers, "content-type": "application/json"}),
        client.post("/researchers/r-ada/follow", content=b"[" * 30_000 + b"]" * 30_000,  # deep, within the size limit
                    headers={**headers, "content-type": "application/json"}),
        client.post("/sessions", json={"email": "ada\x00@example.org", "password": PASSWORD}),
        client.post("/researchers/r-ada/follow", content=b"\xff\xfe", headers={**headers, "content-type": "application/json"}),
        client.post("/researchers/r-ada/follow", content=b"x" * 200_000, headers={**headers, "content-type": "application/json"}),
        client.post("/researchers/r-ada/follow", content=b"<xml/>", headers={**headers, "content-type": "application/xml"}),
        client.post("/researchers/r-ada/affiliations", content=b"--x\r\nbroken",
                    headers={**headers, "content-type": "multipart/form-data; boundary=x"}),
        client.post("/sessions", content=b"\x00" * 10, headers={"content-type": "application/json"}),
        client.post("/accounts", json={"email": "a@b.org", "password": "p" * 100_000}),
    ]
    assert all(400 <= case.status_code < 500 for case in cases), [(c.status_code, c.text[:80]) for c in cases]
    assert rig.writer.sent == []


def test_actions_past_the_limit_are_429_with_retry_after(rig: Rig) -> None:
    client, account = rig.signed_up()
    headers = {"X-CSRF-Token": account["csrf_token"]}
    for _ in range(30):
        assert client.post("/researchers/r-ada/follow", headers=headers).status_code == 202
        rig.clock.now += 1
    refused = client.post("/researchers/r-ada/follow", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert len(rig.writer.sent) == 30
    other, other_account = rig.signed_up("bob@example.org")  # another account has its own budget
    assert other.post("/researchers/r-ada/follow", headers={"X-CSRF-Token": other_account["csrf_token"]}).status_code == 202
    rig.clock.now += 30
    assert client.post("/researchers/r-ada/follow", headers=headers).status_code == 202


def test_sign_in_attempts_past_the_limit_are_429_even_with_the_right_password(rig: Rig) -> None:
    rig.signed_up()
    client = rig.client()
    for _ in range(10):
        assert client.post("/sessions", json={"email": "ada@example.org", "password": "wrong password!"}).status_code == 401
    refused = client.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    rig.clock.now += 61
    assert client.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 200


def test_sign_ups_past_the_limit_are_429(rig: Rig) -> None:
    client = rig.client()
    for i in range(10):
        client.post("/accounts", json={"email": f"u{i}@example.org", "password": PASSWORD})
    assert client.post("/accounts", json={"email": "late@example.org", "password": PASSWORD}).status_code == 429


def test_kafka_unreachable_is_503(rig: Rig) -> None:
    client, account = rig.signed_up()
    rig.writer.down = True
    response = client.post("/researchers/r-ada/claim", headers={"X-CSRF-Token": account["csrf_token"]})
    assert response.status_code == 503


def test_the_writer_is_closed_when_the_app_stops(rig: Rig) -> None:
    with rig.client() as client:
        client.get("/me")
    assert rig.writer.closed


def test_every_route_documents_its_statuses(rig: Rig) -> None:
    paths = rig.app.openapi()["paths"]
    follow = paths["/researchers/{researcher_id}/follow"]["post"]["responses"]
    assert {"202", "401", "403", "413", "422", "429", "503"} <= set(follow)
    assert {"201", "409", "422", "429"} <= set(paths["/accounts"]["post"]["responses"])
    assert {"200", "401", "429"} <= set(paths["/sessions"]["post"]["responses"])
    assert {"200", "401"} <= set(paths["/me"]["get"]["responses"])
    assert "requestBody" in paths["/researchers/{researcher_id}/disown"]["post"]


def test_create_api_installs_the_accounts_routes_beside_the_read_ones(rig: Rig) -> None:
    from scholarstream.api import create_api

    api = create_api(rig.settings, accounts=rig.services())
    paths = api.openapi()["paths"]
    assert {"/accounts", "/sessions", "/me", "/researchers/{researcher_id}/claim", "/researchers/search"} <= set(paths)
    client = TestClient(api)
    account = client.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()
    assert client.post("/researchers/r-ada/claim", headers={"X-CSRF-Token": account["csrf_token"]}).status_code == 202
