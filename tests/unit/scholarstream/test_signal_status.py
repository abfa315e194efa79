"""`GET /signals/{id}` through FastAPI's TestClient: only the account that sent a signal learns its
status, everyone else (and every id nobody minted) gets the same 404, and the answer never names
the actor. The store is real (SQLite) and the write path the recorder of test_web_accounts.py; the
indices are a lookup handed in (the real one runs in tests/integration/test_signal_outcomes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accounts import signal_ids
from foundation.errors import ServiceUnavailable
from foundation.settings import Settings
from indexers.signal_outcomes import SignalStatus, status_of
from scholarstream.signal_status import signal_status_router
from scholarstream.web_accounts import install_accounts
from tests.unit.scholarstream.test_web_accounts import PASSWORD, Rig


class Statuses:
    """The indices as the route sees them: a status per signal id, asked only for the sender's."""

    def __init__(self, settings: Settings) -> None:
        self.ids = signal_ids(settings)
        self.known: dict[str, SignalStatus] = {}
        self.asked: list[str] = []
        self.down = False

    def __call__(self, signal_id: str, account_id: str) -> SignalStatus | None:
        if not self.ids.sent_by(signal_id, account_id):
            return None
        self.asked.append(signal_id)
        if self.down:
            raise ServiceUnavailable("Elasticsearch", "127.0.0.1:1")
        return self.known.get(signal_id, SignalStatus(signal_id, "pending"))


@pytest.fixture
def rig(tmp_path: Path) -> tuple[Rig, Statuses, FastAPI]:
    rig = Rig(tmp_path)
    statuses = Statuses(rig.settings)
    app = FastAPI()
    install_accounts(app, rig.settings, rig.services())
    app.include_router(signal_status_router(rig.store, statuses))
    return rig, statuses, app


def _signed_up(app: FastAPI, email: str = "ada@example.org") -> tuple[TestClient, dict]:
    client = TestClient(app)
    made = client.post("/accounts", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201, made.text
    return client, made.json()


def _sent(client: TestClient, account: dict) -> str:
    answer = client.post("/researchers/r-ada/claim", headers={"X-CSRF-Token": account["csrf_token"]})
    assert answer.status_code == 202
    return str(answer.json()["signal_id"])


def test_the_sender_sees_pending_then_the_outcome_and_never_the_actor(rig) -> None:
    accounts, statuses, app = rig
    client, account = _signed_up(app)
    signal_id = _sent(client, account)
    assert client.get(f"/signals/{signal_id}").json() == {"signal_id": signal_id, "researcher_id": None, "status": "pending"}
    statuses.known[signal_id] = SignalStatus(signal_id, "refused", "r-ada", "claim", "profile r-ada is already claimed by another account")
    refused = client.get(f"/signals/{signal_id}")
    assert refused.status_code == 200
    assert refused.json() == {"signal_id": signal_id, "researcher_id": "r-ada", "status": "refused",
                              "reason": "profile r-ada is already claimed by another account"}
    statuses.known[signal_id] = SignalStatus(signal_id, "applied", "r-ada", "claim")
    applied = client.get(f"/signals/{signal_id}")
    assert applied.json() == {"signal_id": signal_id, "researcher_id": "r-ada", "status": "applied"}
    assert account["account_id"] not in refused.text + applied.text


def test_someone_elses_or_an_unknown_id_is_the_same_404_and_asks_no_index(rig) -> None:
    accounts, statuses, app = rig
    ada_client, ada = _signed_up(app)
    bob_client, _ = _signed_up(app, "bob@example.org")
    ada_signal = _sent(ada_client, ada)
    forged = ada_signal[:-1] + ("0" if ada_signal[-1] != "0" else "1")
    answers = [bob_client.get(f"/signals/{ada_signal}"), ada_client.get(f"/signals/{forged}"),
               ada_client.get("/signals/web-unknown"), ada_client.get("/signals/op-claim-1")]
    assert [a.status_code for a in answers] == [404] * 4
    assert len({a.json()["detail"].split(" ")[0] for a in answers}) == 1
    assert statuses.asked == []
    assert ada_client.get(f"/signals/{ada_signal}").status_code == 200 and statuses.asked == [ada_signal]


def test_signed_out_is_401_and_hostile_ids_are_4xx(rig) -> None:
    accounts, statuses, app = rig
    client, account = _signed_up(app)
    signal_id = _sent(client, account)
    assert client.get(f"/signals/{signal_id}").status_code == 200
    assert TestClient(app).get(f"/signals/{signal_id}").status_code == 401
    for hostile in ("-x", "a" * 129, "%3Cscript%3E", "web-%00", "é", "a%2Fb", "..%2F..%2Fetc"):
        answer = client.get(f"/signals/{hostile}")
        assert 400 <= answer.status_code < 500, (hostile, answer.status_code)


def test_elasticsearch_down_is_503(rig) -> None:
    accounts, statuses, app = rig
    client, account = _signed_up(app)
    signal_id = _sent(client, account)
    statuses.down = True
    assert client.get(f"/signals/{signal_id}").status_code == 503


def test_every_status_is_declared(rig) -> None:
    _, _, app = rig
    answers = app.openapi()["paths"]["/signals/{signal_id}"]["get"]["responses"]
    assert {"200", "401", "404", "422", "429", "503"} <= set(answers)


@pytest.mark.parametrize(("outcome", "indexed", "status"), [
    (None, None, "pending"),
    ({"outcome": "applied", "revision": 5}, None, "pending"),
    ({"outcome": "applied", "revision": 5}, 4, "pending"),
    ({"outcome": "applied", "revision": 5}, 5, "applied"),
    ({"outcome": "unchanged", "revision": 5}, 7, "applied"),
    ({"outcome": "refused", "revision": None, "reason": "no"}, None, "refused"),
])
def test_applied_only_once_the_indexed_profile_shows_the_revision(outcome, indexed, status) -> None:
    """The outcome is indexed from its own topic, the profile from another: "applied" must wait for
    the profile, or the person reads "applied" above the old state."""
    document = None if outcome is None else {"researcher_id": "r-ada", "kind": "follow", "reason": None, **outcome}
    assert status_of("s-1", document, indexed).status == status
