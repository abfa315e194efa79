"""Operator commands against the real services: status, replay and dead letters."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from kafka import KafkaConsumer

from clients import kafka_io
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.dead_letters import DeadLetter
from schemas.papers import parse_raw_paper
from schemas.topics import TOPICS
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def test_status_after_a_run_reports_lag_dead_letters_counts_and_freshness(settings, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(list(FIXTURE_SNAPSHOT.read_text().splitlines())[:10] + ["{broken"]) + "\n")
    assert cli("ingest", "snapshot", str(path)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "600").returncode == 0

    result = cli("status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    lags = {g["role"]: g["lag"] for g in status["consumer_groups"]}
    assert lags == {"worker": 0, "indexer": 0}
    for group in status["consumer_groups"]:
        for p in group["partitions"]:  # a partition that never held a record has no commit
            assert p["lag"] == 0 and (p["committed"] == p["end"] or (p["committed"] is None and p["end"] == 0)), (group["topic"], p)
    assert status["workers_alive"] == {"worker": 0, "indexer": 0}
    assert status["dead_letters"][settings.topic("arxiv.papers.dlq")] == 1
    assert status["indices"][settings.index("papers")]["documents"] == 10
    assert status["freshness"]["age_seconds"] >= 0


def test_replay_is_refused_while_the_group_has_members_then_moves_offsets(settings):
    kafka_io.ensure_topics(settings, TOPICS)
    topic = settings.topic("papers.enriched")
    group = settings.group("scholarstream-indexer")
    producer = kafka_io.producer(settings)
    for i in range(12):
        producer.send(topic, key=f"k{i}".encode(), value=b"{}")
    producer.flush()
    producer.close()

    member = KafkaConsumer(topic, group_id=group, bootstrap_servers=settings.kafka_bootstrap_servers,
                           auto_offset_reset="earliest", enable_auto_commit=False)
    stop = threading.Event()
    polled = threading.Event()

    def keep_polling():
        while not stop.is_set():
            if member.poll(timeout_ms=200):
                polled.set()
        member.commit()

    thread = threading.Thread(target=keep_polling)
    thread.start()
    try:
        assert polled.wait(30)
        refused = cli("replay", "--group", "scholarstream-indexer", "--topic", "papers.enriched", "--to-earliest")
        assert refused.returncode == 1
        assert "active members" in refused.stderr
    finally:
        stop.set()
        thread.join(30)
        member.close()

    planned = cli("replay", "--group", "scholarstream-indexer", "--topic", "papers.enriched", "--to-earliest", "--dry-run", "--json")
    assert planned.returncode == 0, planned.stderr
    rows = json.loads(planned.stdout)["partitions"]
    assert sum(r["before"] for r in rows) == 12 and sum(r["after"] for r in rows) == 0
    assert sum(r["to_reread"] for r in rows) == 12
    assert sum(kafka_io.group_lag(settings, group, topic).values()) == 0  # a dry run changes nothing

    moved = cli("replay", "--group", "scholarstream-indexer", "--topic", "papers.enriched", "--to-offset", "1", "--json")
    assert moved.returncode == 0, moved.stderr
    lag = kafka_io.group_lag(settings, group, topic)
    assert sum(lag.values()) == 12 - sum(1 for r in rows if r["end"] >= 1)


def test_dead_letters_are_listed_and_a_fixed_one_is_resubmitted(settings):
    kafka_io.ensure_topics(settings, TOPICS)
    good = snapshot_record_to_paper(next(iter(read_snapshot(FIXTURE_SNAPSHOT))))
    now = datetime.now(UTC)
    letters = [
        DeadLetter(stage="enrich", reason="authors: missing (a bug since fixed)", source=settings.topic("arxiv.papers.raw"),
                   key=good.arxiv_id, payload=good.model_dump_json(), failed_at=now),
        DeadLetter(stage="enrich", reason="authors: missing", source=settings.topic("arxiv.papers.raw"),
                   key="1006.0002", payload='{"arxiv_id": "1006.0002"}', failed_at=now),
    ]
    producer = kafka_io.producer(settings)
    for letter in letters:
        producer.send(settings.topic("papers.enrich.dlq"), key=letter.key.encode(), value=letter.model_dump_json().encode())
    producer.flush()
    producer.close()

    listed = json.loads(cli("dlq", "list", "--json").stdout)["letters"]
    assert [(r["key"], r["stage"]) for r in listed] == [(good.arxiv_id, "enrich"), ("1006.0002", "enrich")]
    shown = cli("dlq", "show", "--topic", "papers.enrich.dlq", "--offset", "1")
    assert json.loads(shown.stdout)["payload"] == '{"arxiv_id": "1006.0002"}'

    retried = cli("dlq", "retry", "--topic", "papers.enrich.dlq", "--json")
    assert retried.returncode == 0, retried.stderr
    (report,) = json.loads(retried.stdout)["topics"]
    assert (report["examined"], report["resubmitted"], report["still_failing"]) == (2, 1, 1)
    raw = [parse_raw_paper(r.value) for r in read_topic(settings, settings.topic("arxiv.papers.raw"))]
    assert raw == [good]

    again = json.loads(cli("dlq", "retry", "--topic", "papers.enrich.dlq", "--json").stdout)["topics"][0]
    assert (again["examined"], again["resubmitted"], again["still_failing"]) == (1, 0, 1)  # only the new letter
