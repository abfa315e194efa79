"""An operator voids a range of signals, and a rebuild re-derives the profiles without them
(issue 18), through real Kafka, the real worker and Elasticsearch.

A taken-over account claimed a profile; another account followed it. The operator voids the first
account's signals of the last hour; `rebuild --from-stage link` then serves profiles on which the
claim never happened while the follow still counts, and the new generation's dead letters say which
void refused the claim.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def _ok(*args: str, timeout: float = 900) -> str:
    done = cli(*args, timeout=timeout)
    assert done.returncode == 0, f"scholarstream {' '.join(args)}: {done.stderr[-2000:]}{done.stdout[-2000:]}"
    return done.stdout


def _profile(researcher: str) -> dict:
    return json.loads(_ok("profile", researcher, "--json"))


def test_a_rebuild_skips_the_signals_an_operator_voided(settings) -> None:
    started = datetime.now(UTC) - timedelta(minutes=1)
    _ok("ingest", "snapshot", str(FIXTURE_SNAPSHOT), "--json")
    _ok("run", "--until-caught-up", "--timeout", "900", "--json")
    researcher = json.loads(_ok("profile", "--name", "Lepers", "--json"))["profiles"][0]["researcher_id"]
    before = _profile(researcher)
    assert not before["claimed"]

    for kind, actor in (("claim", "acct-mallory"), ("follow", "acct-ada")):
        _ok("signal", kind, researcher, "--principal", "account", "--actor", actor, "--json")
    _ok("run", "--until-caught-up", "--timeout", "900", "--json")
    applied = _profile(researcher)
    assert applied["claimed"] and applied["followers_count"] == before["followers_count"] + 1

    published = json.loads(_ok("void-signals", "--since", started.isoformat(), "--actor", "acct-mallory",
                               "--reason", "account taken over", "--by", "ops-on-call", "--json"))["published"]
    listed = json.loads(_ok("voids", "--json"))["voids"]
    assert [v["void_id"] for v in listed] == [published["void_id"]]

    rebuilt = json.loads(_ok("rebuild", "--from-stage", "link", "--timeout", "900", "--json"))
    assert rebuilt["caught_up"], rebuilt
    after = _profile(researcher)
    assert not after["claimed"], "the voided claim is not applied by the new generation"
    assert after["followers_count"] == applied["followers_count"], "the follow outside the void still counts"

    new_dlq = f"{settings.topic_prefix}researcher.signals.dlq.l{rebuilt['generation']['link']}"
    reasons = [json.loads(record.value)["reason"] for record in read_topic(settings, new_dlq)]
    assert reasons == [f"void {published['void_id']} by ops-on-call: account taken over"]
