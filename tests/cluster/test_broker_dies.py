"""The broker leading the raw topic is SIGKILLed during an ingest (issue 16, cluster test 3).

Records reach `scholarstream ingest snapshot` through a named pipe, a few at a time, while one
worker and the indexer run. A third of the way in, the broker that leads most of the raw topic's
partitions is killed with SIGKILL. With replication factor 3 and min.insync.replicas 2 the other two
brokers take over: the ingest must finish with every record acknowledged (acks=all, idempotent
producer), the topic must hold each exactly once, the worker and indexer must carry on without an
operator and index each paper exactly once, and the broker, started again, must rejoin and get back
in sync.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from clients import kafka_io
from schemas.topics import PAPERS_RAW
from scholarstream.rebuild import with_serving_generation
from tests.children import wait_for
from tests.cluster.conftest import BROKERS, SAMPLE, indexed
from tests.conftest import REPO

RECORDS = 150
KILL_AFTER = RECORDS // 3


def _partitions(settings, topic: str) -> list[dict]:
    admin = kafka_io.admin(settings)
    try:
        (described,) = admin.describe_topics([topic])
        return described["partitions"]
    finally:
        admin.close()


def _brokers(settings) -> int:
    admin = kafka_io.admin(settings)
    try:
        return len(admin.describe_cluster()["brokers"])
    finally:
        admin.close()


def test_a_broker_killed_during_an_ingest_loses_nothing(cluster, namespaces, tmp_path):
    namespace = namespaces("broker-dies")
    settings = namespace.settings()
    assert namespace.cli("setup", "--json").returncode == 0
    raw = settings.topic(PAPERS_RAW.name)
    partitions = _partitions(settings, raw)
    assert all(len(p["replicas"]) == BROKERS for p in partitions)
    victim_id, led = Counter(p["leader"] for p in partitions).most_common(1)[0]
    victim = cluster.node(f"kafka-{victim_id}")
    namespace.start("worker")
    namespace.start("indexer")

    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(RECORDS)]
    feed = tmp_path / "feed.jsonl"
    os.mkfifo(feed)
    ingest = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "ingest", "snapshot", str(feed), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, **namespace.env},
    )
    with open(feed, "w", encoding="utf-8") as pipe:  # opens once the ingest opened its end
        for number, line in enumerate(lines, 1):
            pipe.write(line if line.endswith("\n") else line + "\n")
            pipe.flush()
            if number == KILL_AFTER:
                os.killpg(int(victim["pid"]), signal.SIGKILL)
                killed_at = time.monotonic()
            time.sleep(0.05)
    out, err = ingest.communicate(timeout=600)
    assert ingest.returncode == 0, err[-3000:]
    summary = json.loads(out)
    ingest_after_kill = time.monotonic() - killed_at
    assert summary["produced"] == RECORDS

    keys = Counter(record.key.decode() for record in kafka_io.read_to_end(settings, raw))
    assert len(keys) == RECORDS and set(keys.values()) == {1}, keys.most_common(3)
    leaders_after = {p["partition"]: p["leader"] for p in _partitions(settings, raw)}
    assert victim_id not in leaders_after.values()

    caught_up = namespace.wait_caught_up(900)
    assert all(p.alive() for p in namespace.processes), {p.name: p.log_text()[-2000:] for p in namespace.processes}
    papers = indexed(settings).papers
    assert papers.keys() == set(keys)

    began = time.monotonic()
    cluster.restart_missing()
    wait_for(lambda: _brokers(settings) == BROKERS, 120, "the broker to rejoin")
    wait_for(lambda: all(len(p["isr"]) == BROKERS for p in _partitions(settings, raw)), 180, "the raw topic back in sync")
    print(
        f"\nkafka-{victim_id} (leader of {led} of {len(partitions)} raw partitions) SIGKILLed after {KILL_AFTER} of {RECORDS} "
        f"records; the ingest finished {ingest_after_kill:.1f} s later with all {summary['produced']} acknowledged; "
        f"raw topic: {len(keys)} keys, each once; new leaders {leaders_after}; pipeline caught up {caught_up:.0f} s "
        f"after the ingest with {len(papers)} papers indexed, each once; broker back in sync {time.monotonic() - began:.0f} s "
        f"after its restart"
    )


def test_a_worker_and_an_indexer_started_just_after_a_broker_died_carry_on(cluster, namespaces):
    """Regression (CI of stop 25): the worker exited "Kafka is not reachable (NodeNotReadyError: 3)"
    when the broker was killed during its first second. Its first Kafka calls, which look up the
    serving generation (`with_serving_generation`), were not ridden out like the later start-up
    steps, and a dead broker stays in the cluster's metadata for several seconds."""
    namespace = namespaces("starts-after-a-death")
    settings = namespace.settings()
    assert namespace.cli("setup", "--json").returncode == 0
    partitions = _partitions(settings, settings.topic(PAPERS_RAW.name))
    victim_id, _led = Counter(p["leader"] for p in partitions).most_common(1)[0]
    os.killpg(int(cluster.node(f"kafka-{victim_id}")["pid"]), signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        namespace.start("worker")
        namespace.start("indexer")
        calls = 0
        while time.monotonic() - killed_at < 15:  # while the others still list the dead broker
            assert with_serving_generation(settings).link_generation == settings.link_generation
            calls += 1
        namespace.ingest(20)
        caught_up = namespace.wait_caught_up(600)
        assert all(p.alive() for p in namespace.processes), {p.name: p.log_text()[-2000:] for p in namespace.processes}
        assert len(indexed(settings).papers) == 20
    finally:
        cluster.restart_missing()
        wait_for(lambda: _brokers(settings) == BROKERS, 120, "the broker to rejoin")
    print(f"\nkafka-{victim_id} SIGKILLed; {calls} generation lookups in the next 15 s, all answered; "
          f"a worker and an indexer started at once caught up {caught_up:.0f} s after a 20-record ingest")
