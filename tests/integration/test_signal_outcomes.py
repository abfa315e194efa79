"""An action is pending until the profile revision that applied it is indexed, then applied; a
refused one says why (the real app, Kafka, worker and indexer).

Two accounts claim one profile: the first claim applies, the second is refused because the profile
is claimed by another account, and each account learns its own outcome from `GET /signals/{id}`
and nobody else's. A follow sent twice counts once, and both are answered applied (the second
changed nothing). A signal delivered again (as a replay does) is decided again under its own id:
the outcomes index keeps one document per signal.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.mappings import SIGNAL_OUTCOMES
from schemas.profiles import parse_signal
from schemas.signal_outcomes import SignalOutcomeEvent
from schemas.topics import RESEARCHER_SIGNALS
from schemas.topics import SIGNAL_OUTCOMES as SIGNAL_OUTCOMES_TOPIC
from scholarstream.api import create_api
from tests.integration.conftest import FIXTURE_SNAPSHOT, act, cli, read_topic, signed_up


def _status(client: TestClient, signal_id: str) -> dict:
    answer = client.get(f"/signals/{signal_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _run() -> None:
    ran = cli("run", "--until-caught-up", "--timeout", "900")
    assert ran.returncode == 0, ran.stderr[-3000:]


def test_a_claim_is_pending_then_applied_a_rival_claim_is_refused_with_why_and_a_follow_counts_once(app_settings: Settings) -> None:
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    _run()
    researcher = json.loads(cli("profile", "--name", "Lepers", "--json").stdout)["profiles"][0]["researcher_id"]

    with TestClient(create_api(app_settings)) as ada_client, TestClient(create_api(app_settings)) as bob_client:
        before = ada_client.get(f"/researchers/{researcher}").json()
        ada, bob = signed_up(ada_client, "ada@example.org"), signed_up(bob_client, "bob@example.org")
        ada_claim = act(ada_client, ada, researcher, "claim")
        bob_claim = act(bob_client, bob, researcher, "claim")  # the write path takes it; the worker refuses it
        follows = [act(ada_client, ada, researcher, "follow") for _ in range(2)]

        assert _status(ada_client, ada_claim) == {"signal_id": ada_claim, "researcher_id": None, "status": "pending"}
        assert bob_client.get(f"/signals/{ada_claim}").status_code == 404, "someone else's signal"
        assert ada_client.get(f"/signals/{bob_claim}").status_code == 404
        assert TestClient(ada_client.app).get(f"/signals/{ada_claim}").status_code == 401

        _run()

        assert _status(ada_client, ada_claim) == {"signal_id": ada_claim, "researcher_id": researcher, "status": "applied"}
        refused = _status(bob_client, bob_claim)
        assert refused["status"] == "refused" and refused["researcher_id"] == researcher
        assert refused["reason"] == f"profile {researcher} is already claimed by another account"
        assert ada["account_id"] not in json.dumps(refused) and bob["account_id"] not in json.dumps(refused)
        assert bob_client.get(f"/signals/{ada_claim}").status_code == 404, "still not bob's, decided or not"
        assert [_status(ada_client, f)["status"] for f in follows] == ["applied", "applied"]
        after = ada_client.get(f"/researchers/{researcher}").json()
        assert after["claimed"] and after["followers_count"] == before["followers_count"] + 1

        # "My profile": the claimant lands on the profile; the refused rival is told how to claim one.
        html = {"Accept": "text/html"}
        mine = ada_client.get("/my-profile", headers=html, follow_redirects=False)
        assert mine.status_code == 303 and mine.headers["location"] == f"/researchers/{researcher}"
        theirs = bob_client.get("/my-profile", headers=html, follow_redirects=False)
        assert theirs.status_code == 200 and "You have not claimed a profile yet" in theirs.text

        outcomes = {r.key.decode(): SignalOutcomeEvent.model_validate_json(r.value)
                    for r in read_topic(app_settings, app_settings.topic(SIGNAL_OUTCOMES_TOPIC.name))}
        assert set(outcomes) == {ada_claim, bob_claim, *follows}
        assert [outcomes[f].outcome for f in follows] == ["applied", "unchanged"]
        assert outcomes[ada_claim].revision is not None and outcomes[ada_claim].revision <= after["revision"]

        # The first follow delivered again, as a replay of the signals would: decided again, no second document.
        (record,) = [r for r in read_topic(app_settings, app_settings.topic(RESEARCHER_SIGNALS.name))
                     if r.value and parse_signal(r.value).signal_id == follows[0]]
        producer = kafka_io.producer(app_settings)
        try:
            producer.send(app_settings.topic(RESEARCHER_SIGNALS.name), key=record.key, value=record.value)
            producer.flush()
        finally:
            producer.close()
        _run()
        assert _status(ada_client, follows[0])["status"] == "applied"
        assert ada_client.get(f"/researchers/{researcher}").json()["followers_count"] == after["followers_count"]

        # An operator takes Ada's claim back (a dispute) and Bob claims: "my profile" follows the claim.
        assert cli("signal", "unclaim", researcher, "--actor", "ops-dispute").returncode == 0
        _run()
        act(bob_client, bob, researcher, "claim")
        _run()
        mine = ada_client.get("/my-profile", headers=html, follow_redirects=False)
        assert mine.status_code == 200 and "You have not claimed a profile yet" in mine.text
        theirs = bob_client.get("/my-profile", headers=html, follow_redirects=False)
        assert theirs.status_code == 303 and theirs.headers["location"] == f"/researchers/{researcher}"

    es = es_io.client(app_settings)
    index = SIGNAL_OUTCOMES.alias(app_settings)
    es.indices.refresh(index=index)
    assert es.count(index=index)["count"] == 6, "one document per signal, whatever was decided again"
    replayed = es.get(index=index, id=follows[0])["_source"]
    assert replayed["outcome"] == "unchanged", "the last outcome of the signal is the one that stands"
