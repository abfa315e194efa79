"""The authenticated write path end to end on the real Kafka: sign up, act, and the signed record.

The app is the real one (`create_api`, the real SignalWriter and its idempotent acks=all producer);
the accounts database is the test's own, an SQLite file and a PostgreSQL database (each test runs on
both), reopened by a second app as after a restart.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.profiles import AffiliationUpdateSignal, FollowSignal, VerifySignal, parse_signal
from schemas.signal_auth import check_signature
from schemas.topics import RESEARCHER_SIGNALS
from scholarstream.api import create_api
from tests.integration.conftest import PASSWORD, index_researcher, read_topic
from tests.oidc_provider import running_provider, sign_in_with_orcid

ORCID = "0000-0002-1825-0097"


@pytest.fixture(params=["sqlite", "postgresql"])
def accounts_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def ada(app_settings: Settings) -> str:
    """The researcher the tests act on, with a profile in the index."""
    index_researcher(app_settings, "r-ada")
    return "r-ada"


def test_an_action_on_a_researcher_without_a_profile_is_404_and_kafka_gets_nothing(app_settings: Settings) -> None:
    """Issue 18: a signal for an id no profile has would wait in the worker for a profile that never comes."""
    with TestClient(create_api(app_settings)) as client:
        account = client.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()
        headers = {"X-CSRF-Token": account["csrf_token"]}
        refused = client.post("/researchers/r-nobody/follow", headers=headers)
        assert refused.status_code == 404 and "no researcher r-nobody" in refused.json()["detail"]
        assert client.post("/researchers/r-ada/follow", headers=headers).status_code == 202
    assert [record.key for record in read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name))] == [b"r-ada"]


def test_a_signed_up_account_follows_and_kafka_holds_its_signed_signal(app_settings: Settings) -> None:
    with TestClient(create_api(app_settings)) as client:
        signed_up = client.post("/accounts", json={"email": "Ada@Example.org", "password": PASSWORD})
        assert signed_up.status_code == 201, signed_up.text
        account = signed_up.json()
        sent = client.post("/researchers/r-ada/follow", headers={"X-CSRF-Token": account["csrf_token"]})
        assert sent.status_code == 202, sent.text
        assert sent.json()["status"] == "pending"

    [record] = read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name))
    assert record.key == b"r-ada"
    signal = parse_signal(record.value)
    assert isinstance(signal, FollowSignal)
    check_signature(signal, signal_keys(app_settings))
    assert (signal.signal_id, signal.actor, signal.principal) == (sent.json()["signal_id"], account["account_id"], "account")


def test_an_account_outlives_the_app_and_signs_in_on_the_next_one(app_settings: Settings) -> None:
    with TestClient(create_api(app_settings)) as first:
        account = first.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()

    with TestClient(create_api(app_settings)) as second:  # a new app, a new engine, the same file
        wrong = second.post("/sessions", json={"email": "ada@example.org", "password": "not the password"})
        assert wrong.status_code == 401
        signed_in = second.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD})
        assert signed_in.status_code == 200 and signed_in.json()["account_id"] == account["account_id"]
        token = signed_in.json()["csrf_token"]
        sent = second.post("/researchers/r-ada/affiliations", json={"affiliations": ["CERN"]}, headers={"X-CSRF-Token": token})
        assert sent.status_code == 202, sent.text

    [record] = read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name))
    signal = parse_signal(record.value)
    assert isinstance(signal, AffiliationUpdateSignal) and signal.affiliations == ("CERN",)
    assert signal.actor == account["account_id"]
    check_signature(signal, signal_keys(app_settings))


def test_kafka_out_of_reach_is_503_and_the_app_keeps_serving(app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens on port 1
    unreachable = Settings(_env_file=None)
    assert unreachable.accounts_database_url == app_settings.accounts_database_url
    with TestClient(create_api(unreachable)) as client:
        account = client.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()
        headers = {"X-CSRF-Token": account["csrf_token"]}
        refused = client.post("/researchers/r-ada/claim", headers=headers)
        assert refused.status_code == 503
        assert "Kafka" in refused.json()["detail"]
        assert client.get("/me").status_code == 200


def test_signing_out_everywhere_ends_the_sessions_of_every_browser(app_settings: Settings) -> None:
    """Issue 18 (session revocation): a session is a signed cookie, which a lost laptop or a copied
    cookie keeps valid for days. Signing out everywhere makes every earlier cookie of the account
    worthless at its next request, on every app process (the counter is in the database)."""
    api = create_api(app_settings)
    with TestClient(api) as laptop, TestClient(api) as phone, TestClient(create_api(app_settings)) as elsewhere:
        account = laptop.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()
        on_phone = phone.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD}).json()
        stolen = dict(phone.cookies)  # a copy of the phone's cookie, used from another app process
        elsewhere.cookies.update(stolen)
        assert elsewhere.get("/me").status_code == 200

        ended = laptop.post("/sessions/end-everywhere", headers={"X-CSRF-Token": account["csrf_token"]})
        assert ended.status_code == 200, ended.text
        assert phone.get("/me").status_code == 401
        assert elsewhere.get("/me").status_code == 401
        refused = elsewhere.post("/researchers/r-ada/follow", headers={"X-CSRF-Token": on_phone["csrf_token"]})
        assert refused.status_code == 401, refused.text
        assert laptop.get("/me").status_code == 401

        again = phone.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD})
        assert again.status_code == 200 and phone.get("/me").status_code == 200, "a new sign-in works"
    assert read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name)) == []


def test_an_orcid_sign_in_makes_an_account_that_outlives_the_app_and_verifies_with_its_id(
    app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18 (sign-in with ORCID): an account made by the provider's proof, with no address or
    password, on both databases; its verification carries the proven iD and no other."""
    with running_provider() as provider:
        for name, value in provider.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings(_env_file=None)
        with TestClient(create_api(settings)) as first:
            assert sign_in_with_orcid(first, ORCID, "/researchers/r-ada").status_code == 303
            account = first.get("/me").json()
            assert account["orcid"] == ORCID and account["email"] == ""
        with TestClient(create_api(settings)) as second:  # a new app on the same database
            assert sign_in_with_orcid(second, ORCID).status_code == 303
            again = second.get("/me").json()
            assert again["account_id"] == account["account_id"]
            sent = second.post("/researchers/r-ada/verify-orcid", headers={"X-CSRF-Token": again["csrf_token"]})
            assert sent.status_code == 202, sent.text

    [record] = read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name))
    signal = parse_signal(record.value)
    assert isinstance(signal, VerifySignal) and signal.evidence.method == "orcid"
    assert (signal.evidence.orcid, signal.level.value, signal.actor) == (ORCID, "L3", account["account_id"])
    check_signature(signal, signal_keys(app_settings))
