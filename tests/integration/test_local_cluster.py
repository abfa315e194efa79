"""`stack up --brokers 3 --es-nodes 2` runs a real cluster: three brokers that replicate a topic three
times in sync, two Elasticsearch nodes that hold an index with one replica in green health, and
`stack down` leaves no process of it behind.

Heavy (five JVMs, about 3.5 GB resident), so it is one test. It runs in a stack directory of its own
on free ports (never the stack other tests use, nor the fault tests' ports), and stops and removes
that stack whatever happens.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

import stack
from foundation.settings import Settings
from stack.layout import StackPaths
from stack.processes import is_alive, java_processes_mentioning, resident_kib
from tests.children import free_cluster_bases

BROKERS = 3
ES_NODES = 2
_FAULT_PORTS = range(19392, 19501)


def _wait_for(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_three_brokers_and_two_elasticsearch_nodes(capsys) -> None:
    root = Path(tempfile.mkdtemp(prefix="scholarstream-cluster-"))
    root.chmod(0o755)  # as root, Elasticsearch runs as its own user, which must enter the directory
    kafka_base, es_base = free_cluster_bases(BROKERS, ES_NODES, _FAULT_PORTS)
    fields: dict[str, Any] = {
        "SCHOLARSTREAM_STACK_DIR": str(root / "stack"),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_base}",
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{es_base}",
    }
    settings = Settings(_env_file=None, **fields)
    marker = f"{StackPaths.of(settings.stack_dir).root}/"
    try:
        began = time.monotonic()
        result = stack.up(settings, shape=stack.Shape(brokers=BROKERS, es_nodes=ES_NODES))
        seconds = time.monotonic() - began
        assert len(result.nodes) == BROKERS + ES_NODES
        bootstrap = result.bootstrap_servers
        assert bootstrap == ",".join(f"127.0.0.1:{kafka_base + 2 * i}" for i in range(BROKERS))
        assert result.elasticsearch_urls == tuple(f"http://127.0.0.1:{es_base + i}" for i in range(ES_NODES))

        status = stack.status(settings)
        nodes = status["nodes"]
        assert isinstance(nodes, list)
        assert [(n["name"], n["answers"]) for n in nodes] == [
            ("kafka-1", True), ("kafka-2", True), ("kafka-3", True), ("elasticsearch-1", True), ("elasticsearch-2", True),
        ]
        resident_mib = sum(resident_kib(int(n["pid"])) for n in nodes) / 1024
        with capsys.disabled():
            ready = ", ".join(f"{n.name} {n.seconds_to_ready:.0f} s" for n in result.nodes)
            print(f"\n3+2 cluster: up in {seconds:.1f} s ({ready}); resident memory {resident_mib:.0f} MiB")

        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-local-cluster")
        try:
            assert len(admin.describe_cluster()["brokers"]) == BROKERS
            topic = f"cluster-test-{uuid.uuid4().hex[:8]}"
            admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=3)])

            def in_sync() -> bool:
                (described,) = admin.describe_topics([topic])
                partitions = described["partitions"]
                return len(partitions) == 3 and all(len(p["replicas"]) == 3 and len(p["isr"]) == 3 for p in partitions)

            _wait_for("3 in-sync replicas of every partition", in_sync)
        finally:
            admin.close()

        es = Elasticsearch(result.elasticsearch_urls[1])  # the second node serves the whole cluster too
        try:
            index = f"cluster-test-{uuid.uuid4().hex[:8]}"
            es.indices.create(index=index, settings={"number_of_shards": 1, "number_of_replicas": 1})
            health = es.cluster.health(index=index, wait_for_status="green", timeout="60s")
            assert health["status"] == "green", health
            assert health["number_of_nodes"] == ES_NODES
            shards: list[dict[str, Any]] = es.cat.shards(index=index, format="json").body  # type: ignore[assignment]  # JSON
            assert sorted(s["prirep"] for s in shards) == ["p", "r"]
            assert all(s["state"] == "STARTED" for s in shards)
        finally:
            es.close()

        down = stack.down(settings)
        assert sorted(s.name for s in down.stopped) == ["elasticsearch-1", "elasticsearch-2", "kafka-1", "kafka-2", "kafka-3"]
        assert java_processes_mentioning(marker) == []
        assert not any(is_alive(int(n["pid"])) for n in nodes)
        assert stack.status(settings)["running"] is False
    finally:
        stack.down(settings)
        shutil.rmtree(root, ignore_errors=True)
    assert java_processes_mentioning(marker) == []
