"""An action sent from a page: the redirect back names its signal, the page's message polls the
status fragment, which answers 204 while pending and 286 (htmx stops polling) once decided: the
reason of a refusal as text, an applied action with HX-Refresh so the page shows the new state.

The store is real (SQLite), the write path the recorder of test_web_accounts.py, the indices a
lookup handed in (tests/unit/scholarstream/test_signal_status.py); the pages over the real pipeline
run in a browser (tests/browser/test_action_status.py)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from indexers.signal_outcomes import SignalStatus
from scholarstream.web import install_web
from scholarstream.web.action_view import POLL_SECONDS, action_message
from scholarstream.web.signal_pages import NOT_SHOWN
from scholarstream.web_accounts import install_accounts
from tests.unit.scholarstream.test_signal_status import PASSWORD, Statuses
from tests.unit.scholarstream.test_web_accounts import Rig

HTMX = {"hx-request": "true", "accept": "*/*"}
PAGE = {"accept": "text/html"}


@pytest.fixture
def rig(tmp_path: Path) -> tuple[Statuses, TestClient, str]:
    """A signed-in client that followed r-ada by form, and the signal id its redirect names."""
    accounts = Rig(tmp_path)
    statuses = Statuses(accounts.settings)
    app = FastAPI()
    install_accounts(app, accounts.settings, accounts.services())
    install_web(app, accounts.settings, None, accounts.store, statuses)  # type: ignore[arg-type]  # no page here reads the indices
    client = TestClient(app)
    token = client.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD}).json()["csrf_token"]
    back = client.post("/researchers/r-ada/follow?next=%2Fresearchers%2Fr-ada%3Fsent%3Dfollow", data={"csrf_token": token},
                       headers=PAGE, follow_redirects=False)
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/researchers/r-ada" and query["sent"] == ["follow"]
    [signal] = accounts.writer.sent
    assert query["signal"] == [signal.signal_id], "the page is told which signal to follow"
    return statuses, client, signal.signal_id


def test_the_fragment_is_204_while_pending_then_286_with_a_refresh_once_applied(rig) -> None:
    statuses, client, signal_id = rig
    pending = client.get(f"/signals/{signal_id}", headers=HTMX)
    assert pending.status_code == 204 and pending.text == ""
    statuses.known[signal_id] = SignalStatus(signal_id, "applied", "r-ada", "follow")
    applied = client.get(f"/signals/{signal_id}", headers=HTMX)
    assert applied.status_code == 286 and applied.headers["hx-refresh"] == "true"
    assert "Follow applied" in applied.text


def test_a_refusal_shows_its_reason_escaped_and_stops_the_polling(rig) -> None:
    statuses, client, signal_id = rig
    reason = 'profile r-ada is already claimed by another account <img src=x onerror="alert(1)">'
    statuses.known[signal_id] = SignalStatus(signal_id, "refused", "r-ada", "claim", reason)
    refused = client.get(f"/signals/{signal_id}", headers=HTMX)
    assert refused.status_code == 286 and "hx-refresh" not in refused.headers
    assert "Your claim was refused: profile r-ada is already claimed by another account" in refused.text
    assert "<img" not in refused.text and "&lt;img" in refused.text
    assert 'class="message error"' in refused.text


def test_someone_elses_signal_or_no_session_says_nothing_of_it(rig) -> None:
    statuses, client, signal_id = rig
    statuses.known[signal_id] = SignalStatus(signal_id, "refused", "r-ada", "claim", "a secret reason")
    other = TestClient(client.app)
    other.post("/accounts", json={"email": "bob@example.org", "password": PASSWORD})
    for who in (other, TestClient(client.app)):
        answer = who.get(f"/signals/{signal_id}", headers=HTMX)
        assert answer.status_code == 286 and NOT_SHOWN in answer.text and "secret" not in answer.text
    assert client.get("/signals/-nope", headers=HTMX).status_code == 286


def test_elasticsearch_down_keeps_polling(rig) -> None:
    statuses, client, signal_id = rig
    statuses.down = True
    assert client.get(f"/signals/{signal_id}", headers=HTMX).status_code == 204


def test_without_htmx_the_path_is_the_json_routes(rig) -> None:
    _, client, signal_id = rig
    assert client.get(f"/signals/{signal_id}", headers=PAGE).status_code == 404, "no JSON route in this app"


def test_the_pending_message_polls_and_offers_a_reload_without_javascript() -> None:
    message = action_message(SignalStatus("web-1", "pending"), "follow", "/researchers/r-ada", now=1_700_000_000.5)
    assert message.text == "Follow sent: pending until the pipeline has applied it."
    assert message.poll == "/signals/web-1?since=1700000000"
    assert message.reload == "/researchers/r-ada?sent=follow&signal=web-1"
    applied = action_message(SignalStatus("web-1", "applied", "r-ada", "claim"), "claim", "/researchers/r-ada")
    assert (applied.text, applied.poll, applied.reload) == ("Claim applied: this profile is yours.", None, None)
    refused = action_message(SignalStatus("web-1", "refused", "r-ada", "claim", "it is taken."), None, "/researchers/r-ada")
    assert (refused.text, refused.tone) == ("Your claim was refused: it is taken.", "error")


def test_a_verification_with_orcid_is_worded_by_its_route_while_pending_and_by_its_kind_once_decided() -> None:
    page = "/researchers/r1"
    pending = action_message(SignalStatus("web-x", "pending"), "verify-orcid", page)
    assert pending.text == "Verification sent: pending until the pipeline has applied it."
    applied = action_message(SignalStatus("web-x", "applied", "r1", "verify"), "verify-orcid", page)
    assert applied.text == "Verification applied: the profile shows its new level."
    refused = action_message(SignalStatus("web-x", "refused", "r1", "verify", "the profile is claimed by another account"),
                             "verify-orcid", page)
    assert refused.text == "Your verification was refused: the profile is claimed by another account."


def test_a_page_polls_a_pending_action_ten_minutes_then_says_so_and_stops(rig) -> None:
    _, client, signal_id = rig
    started = int(time.time())
    assert client.get(f"/signals/{signal_id}?since={started}", headers=HTMX).status_code == 204
    late = client.get(f"/signals/{signal_id}?since={started - POLL_SECONDS - 5}", headers=HTMX)
    assert late.status_code == 286 and "Still pending after ten minutes" in late.text
    assert client.get(f"/signals/{signal_id}?since=soon", headers=HTMX).status_code == 204, "a since that is no time polls on"
