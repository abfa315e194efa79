"""`scholarstream status`: what an operator asks first. Lag per group and partition, dead-letter
sizes, documents per index alias, freshness, which consumers are alive, and the health of both
clusters: Kafka's brokers and any partition of ours short of in-sync replicas or without a
leader, Elasticsearch's green/yellow/red with its nodes and unassigned shards.

Only plain data comes out (no settings), so nothing secret can be printed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from elasticsearch import ApiError
from elasticsearch import ConnectionError as ESConnectionError
from kafka import TopicPartition

from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.mappings import INDICES, PAPERS
from schemas.topics import TOPICS
from scholarstream.pipeline import stages
from stream_processors.worker_report import read_reports


def group_status(settings: Settings, group: str, topic: str) -> dict[str, Any]:
    consumer = kafka_io.consumer(settings)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = consumer.end_offsets(tps) if tps else {}
        starts = consumer.beginning_offsets(tps) if tps else {}
    finally:
        consumer.close()
    # Before describing the group: reading its offsets rides out the coordinator's start-up on a
    # new broker, which `describe_consumer_groups` would report as an error (secured-cluster test).
    committed = kafka_io.group_positions(settings, group, topic) if tps else {}
    client = kafka_io.admin(settings)
    try:
        (description,) = client.describe_consumer_groups([group])
    finally:
        client.close()
    partitions = []
    for tp in tps:
        position = committed.get(tp.partition)
        partitions.append({
            "partition": tp.partition,
            "committed": position,
            "end": ends[tp],
            "lag": ends[tp] - (position if position is not None else starts[tp]),
        })
    return {
        "group": group,
        "topic": topic,
        "state": description.state or "Unknown",
        "members": [f"{m.client_id}@{m.client_host}" for m in description.members],
        "lag": sum(p["lag"] for p in partitions),
        "partitions": partitions,
    }


def dead_letter_sizes(settings: Settings) -> dict[str, int]:
    consumer = kafka_io.consumer(settings)
    try:
        sizes = {}
        for spec in TOPICS:
            if not spec.name.endswith(".dlq"):
                continue
            topic = settings.topic(spec.name)
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            if not tps:
                sizes[topic] = 0
                continue
            ends, starts = consumer.end_offsets(tps), consumer.beginning_offsets(tps)
            sizes[topic] = sum(ends[tp] - starts[tp] for tp in tps)
        return sizes
    finally:
        consumer.close()


def index_status(settings: Settings, now: Callable[[], datetime]) -> dict[str, Any]:
    es = es_io.client(settings)
    indices: dict[str, Any] = {}
    try:
        for spec in INDICES:
            alias = spec.alias(settings)
            if not es.indices.exists_alias(name=alias):
                indices[alias] = {"exists": False}
                continue
            behind = sorted(es.indices.get_alias(name=alias))
            indices[alias] = {"exists": True, "indices": behind, "documents": int(es.count(index=alias)["count"])}
        freshness = None
        if indices.get(PAPERS.alias(settings), {}).get("documents"):
            newest = es.search(index=PAPERS.alias(settings), size=0, aggs={"newest": {"max": {"field": "ingested_at"}}})
            value = newest["aggregations"]["newest"].get("value_as_string")
            if value:
                stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
                freshness = {"newest_ingested_at": stamp.isoformat(), "age_seconds": round((now() - stamp).total_seconds(), 1)}
    except ESConnectionError as error:
        raise es_io.unavailable(settings) from error
    except ApiError as error:
        return {"indices": indices, "error": str(error)}
    return {"indices": indices, "freshness": freshness}


def kafka_cluster(settings: Settings) -> dict[str, Any]:
    """Brokers, and every partition of the namespace's topics short of in-sync replicas or leaderless."""
    admin = kafka_io.admin(settings)
    try:
        brokers = admin.describe_cluster()["brokers"]
        ours = [name for name in admin.list_topics() if name.startswith(settings.topic_prefix) and not name.startswith("__")]
        described = admin.describe_topics(ours) if ours else []
    finally:
        admin.close()
    under, leaderless = [], []
    for topic in described:
        for partition in topic["partitions"]:
            name = f"{topic['topic']}:{partition['partition']}"
            if partition["leader"] < 0:
                leaderless.append(name)
            if len(partition["isr"]) < len(partition["replicas"]):
                under.append(name)
    return {
        "brokers": sorted(int(b["node_id"]) for b in brokers),
        "partitions": sum(len(t["partitions"]) for t in described),
        "under_replicated": sorted(under),
        "leaderless": sorted(leaderless),
    }


def elasticsearch_cluster(settings: Settings) -> dict[str, Any]:
    """green (every copy allocated), yellow (a replica missing: a node is down), red (a primary missing)."""
    try:
        health = es_io.client(settings).cluster.health()
    except ESConnectionError as error:
        raise es_io.unavailable(settings) from error
    return {
        "status": health["status"],
        "nodes": int(health["number_of_nodes"]),
        "data_nodes": int(health["number_of_data_nodes"]),
        "unassigned_shards": int(health["unassigned_shards"]),
    }


REPORT_FRESH_SECONDS = 30.0


def worker_reports(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """What each worker on this machine wrote in the last 30 s (stream_processors/worker_report.py):
    its table sizes, partitions and recovery; a stopped worker's last report is left out."""
    fresh = []
    for report in read_reports(settings.data_dir):
        try:
            age = (now - datetime.fromisoformat(str(report["at"]))).total_seconds()
        except (KeyError, ValueError, TypeError):
            continue
        if age <= REPORT_FRESH_SECONDS:
            fresh.append({"host": report.get("host"), "pid": report.get("pid"), "age_seconds": round(age, 1),
                          "recovered": report.get("recovered"), "tables": report.get("tables"),
                          "assigned_partitions": len(report.get("assigned_partitions") or ())})
    return fresh


def pipeline_status(settings: Settings, now: Callable[[], datetime]) -> dict[str, Any]:
    groups = [group_status(settings, stage.group, stage.topic) | {"role": stage.role} for stage in stages(settings)]
    return {
        "kafka": settings.kafka_bootstrap_servers,
        "elasticsearch": settings.elasticsearch_display_url,
        "consumer_groups": groups,
        "workers_alive": {g["role"]: len(g["members"]) for g in groups},
        "dead_letters": dead_letter_sizes(settings),
        "kafka_cluster": kafka_cluster(settings),
        "elasticsearch_cluster": elasticsearch_cluster(settings),
        "worker_reports": worker_reports(settings, now()),
        **index_status(settings, now),
    }
