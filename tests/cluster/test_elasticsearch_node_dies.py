"""An Elasticsearch node is SIGKILLed during indexing (issue 16, cluster test 4).

The indices have one replica on the two-node cluster, and the indexer's client knows both nodes
(ELASTICSEARCH_URL lists them). The node outside the voting configuration is killed (a two-node
cluster keeps a master only while that one node lives; production clusters have three
master-eligible nodes), while a worker and the indexer work through a backlog. The indexer must
keep writing on the other node, `scholarstream status` must report the cluster yellow, the node,
started again, must bring it back to green, and every paper must be indexed exactly once with
nothing dead-lettered.
"""

from __future__ import annotations

import json
import os
import signal
import time

from clients import es_io
from schemas.topics import INDEX_DLQ
from tests.children import wait_for
from tests.cluster.conftest import ES_NODES, indexed

RECORDS = 200


def _count(es, alias: str) -> int:
    try:
        es.indices.refresh(index=alias)
        return int(es.count(index=alias)["count"])
    except Exception:  # noqa: BLE001 - not there yet, or a node just left: try again
        return 0


def _status(namespace) -> dict:
    done = namespace.cli("status", "--json", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_an_elasticsearch_node_killed_during_indexing_loses_nothing(cluster, namespaces):
    namespace = namespaces("es-node-dies")
    settings = namespace.settings()
    es = es_io.client(settings)
    assert namespace.cli("setup", "--json").returncode == 0
    papers_alias = settings.index("papers")
    assert es.indices.get_settings(index=papers_alias)  # created with the cluster's replicas
    (replicas,) = {int(v["settings"]["index"]["number_of_replicas"]) for v in es.indices.get_settings(index=papers_alias).values()}
    assert replicas == 1

    voting = set(es.cluster.state(metric="metadata", filter_path="metadata.cluster_coordination.last_committed_config")
                 ["metadata"]["cluster_coordination"]["last_committed_config"])
    nodes = es.nodes.info(filter_path="nodes.*.name")["nodes"]
    outside = sorted(info["name"] for node_id, info in nodes.items() if node_id not in voting)
    assert len(nodes) == ES_NODES and outside, f"every node votes: {nodes}, {voting}"
    victim_name = outside[0]  # node-i is the stack's elasticsearch-i
    victim = cluster.node(f"elasticsearch-{victim_name.rpartition('-')[2]}")

    namespace.start("worker")
    indexer = namespace.start("indexer")
    produced = namespace.ingest(RECORDS)["produced"]
    wait_for(lambda: _count(es, papers_alias) >= 20, 600, "the first papers indexed")
    os.killpg(int(victim["pid"]), signal.SIGKILL)
    at_kill = _count(es, papers_alias)
    killed_at = time.monotonic()

    wait_for(lambda: _count(es, papers_alias) >= min(produced, at_kill + 20), 600, "indexing to go on after the kill")
    assert indexer.alive(), indexer.log_text()[-3000:]
    yellow = _status(namespace)["elasticsearch_cluster"]
    assert yellow["status"] == "yellow" and yellow["nodes"] == ES_NODES - 1, yellow

    cluster.restart_missing()
    waited = wait_for(lambda: es.cluster.health()["status"] == "green", 300, "green health with the node back")
    green = _status(namespace)["elasticsearch_cluster"]
    assert green["status"] == "green" and green["nodes"] == ES_NODES, green

    namespace.wait_caught_up(900)
    assert all(p.alive() for p in namespace.processes)
    papers = indexed(settings).papers
    assert len(papers) == produced
    assert _status(namespace)["dead_letters"][settings.topic(INDEX_DLQ.name)] == 0
    print(
        f"\n{victim_name} SIGKILLed with {at_kill} of {produced} papers indexed; the indexer went on on the other node "
        f"(status: {yellow}); restarted, green again after {waited:.0f} s (status: {green}); "
        f"{len(papers)} papers indexed, none dead-lettered, {time.monotonic() - killed_at:.0f} s from the kill to the end"
    )
