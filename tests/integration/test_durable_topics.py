"""Durable topics and indices against the real cluster (one broker, one Elasticsearch node here).

What a one-broker cluster can show: the default factor (3) capped to the broker count, the
min.insync.replicas topic config set on every topic the project creates (the registry's, faust's
changelogs, a hand-over's copy), a configured factor the cluster cannot hold refused, and `setup`
reporting existing topics below the configured replication. What it cannot show (three copies on
three brokers, a write refused when too few replicas are in sync) needs a cluster of three.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from clients import es_io, kafka_io
from foundation.errors import ConfigError
from foundation.settings import Settings
from indexers.index_admin import ensure_index
from indexers.mappings import PAPERS
from schemas.topics import PAPERS_RAW, PIPELINE_GENERATIONS, TOPICS
from scholarstream.provision import EXIT_UNDER_REPLICATED
from stream_processors.app import create_app
from tests.integration.conftest import cli

TOPIC_CONFIG = 1  # DescribeConfigs' config_source: set on the topic itself (not a broker default)


def _brokers(settings: Settings) -> int:
    client = kafka_io.admin(settings)
    try:
        return kafka_io.broker_count(client)
    finally:
        client.close()


def _described(settings: Settings, name: str) -> tuple[int, str, int]:
    """(replication factor, min.insync.replicas, where that config comes from) of one topic.

    A broker can answer DescribeConfigs for a topic created a moment ago before it knows the
    topic's configs (a clean-clone run saw no `min.insync.replicas` entry at all), so the
    question is asked again for up to 10 s; the value and its source are then checked as before.
    """
    deadline = time.monotonic() + 10
    while True:
        client = kafka_io.admin(settings)
        try:
            (topic,) = client.describe_topics([name])
            (response,) = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs=None)])
        finally:
            client.close()
        entries = {entry[0]: entry for entry in response.resources[0][4]}
        if "min.insync.replicas" in entries or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    _, value, _, source, *_ = entries["min.insync.replicas"]
    return min(len(p["replicas"]) for p in topic["partitions"]), value, source


@pytest.fixture
def default_replication(monkeypatch):
    for name in ("SCHOLARSTREAM_REPLICATION_FACTOR", "SCHOLARSTREAM_MIN_INSYNC_REPLICAS", "SCHOLARSTREAM_INDEX_REPLICAS"):
        monkeypatch.delenv(name, raising=False)


def test_registry_topics_get_the_default_factor_capped_by_the_brokers(settings, default_replication):  # noqa: ARG001
    brokers = _brokers(settings)
    kafka_io.ensure_topics(settings, [PAPERS_RAW, PIPELINE_GENERATIONS])
    factor = min(3, brokers)
    for spec in (PAPERS_RAW, PIPELINE_GENERATIONS):
        assert _described(settings, settings.topic(spec.name)) == (factor, str(max(1, factor - 1)), TOPIC_CONFIG)


def test_faust_changelogs_and_a_handover_copy_get_the_same_replication(settings, default_replication, tmp_path):  # noqa: ARG001
    factor = min(3, _brokers(settings))
    linking = settings.model_copy(update={"worker_stages": "link", "data_dir": tmp_path})

    async def declare_changelogs() -> list[str]:
        app = create_app(linking, None, None)  # inside a running loop, as faust requires
        try:
            names = []
            for table in app.tables.values():
                await table.changelog_topic.declare()  # what the worker does at start-up
                names.extend(table.changelog_topic.topics)
            return names
        finally:
            await app.producer.stop()

    changelogs = asyncio.run(declare_changelogs())
    assert len(changelogs) == 6  # block-state, paper-authorships, profiles, profile-works, trust-scores, parked-signals
    copy = settings.topic("scholarstream-worker.g0-1-enriched-versions-changelog")
    assert kafka_io.create_topic(settings, copy, 2, {"cleanup.policy": "compact"})
    assert not kafka_io.create_topic(settings, copy, 2, {"cleanup.policy": "compact"})  # exists: left alone
    for name in [*changelogs, copy]:
        assert _described(settings, name) == (factor, str(max(1, factor - 1)), TOPIC_CONFIG), name


def test_a_configured_factor_the_cluster_cannot_hold_is_refused(settings, monkeypatch):
    brokers = _brokers(settings)
    monkeypatch.setenv("SCHOLARSTREAM_REPLICATION_FACTOR", str(brokers + 1))
    wanting_more = Settings(_env_file=None)
    with pytest.raises(ConfigError, match=f"SCHOLARSTREAM_REPLICATION_FACTOR={brokers + 1} but the cluster has {brokers} broker"):
        kafka_io.ensure_topics(wanting_more, [PIPELINE_GENERATIONS])
    assert kafka_io.check_topics(settings, {settings.topic(PIPELINE_GENERATIONS.name): 1}).missing == (
        settings.topic(PIPELINE_GENERATIONS.name),
    )


def test_setup_reports_topics_below_a_raised_replication_factor(settings, default_replication, monkeypatch):  # noqa: ARG001
    """The registry's topics set up with the cluster's default, then the operator asks for one copy
    more than there are brokers (on a grown cluster: more than the topics were made with)."""
    first = cli("setup", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["ok"] and report["problems"] == [] and report["kafka"]["under_replicated"] == []
    factor = report["kafka"]["replication_factor"]
    assert factor == min(3, report["kafka"]["brokers"])

    monkeypatch.setenv("SCHOLARSTREAM_REPLICATION_FACTOR", str(report["kafka"]["brokers"] + 1))
    again = cli("setup", "--json")
    assert again.returncode == EXIT_UNDER_REPLICATED, again.stderr
    report = json.loads(again.stdout)
    names = [settings.topic(spec.name) for spec in TOPICS]
    assert not report["ok"] and report["topics_created"] == []
    assert report["kafka"]["under_replicated"] == names
    by_name = {topic["topic"]: topic for topic in report["kafka"]["topics"]}
    wanted = report["kafka"]["brokers"] + 1
    assert by_name[names[0]]["problems"][0] == f"replication factor {factor} < {wanted}"
    assert f"fewer than SCHOLARSTREAM_REPLICATION_FACTOR={wanted}" in report["problems"][-1]
    assert "kafka-reassign-partitions" in report["action"] and "kafka-reassign-partitions" in again.stderr
    assert report["indices"]  # the rest was set up all the same


def test_setup_reports_a_topic_made_by_hand_with_more_in_sync_replicas_than_copies(settings, default_replication):  # noqa: ARG001
    factor = min(3, _brokers(settings))
    raw = settings.topic(PAPERS_RAW.name)
    client = kafka_io.admin(settings)
    try:
        client.create_topics([NewTopic(raw, 2, factor, topic_configs={"min.insync.replicas": str(factor + 1)})])
    finally:
        client.close()

    result = cli("setup", "--json")
    assert result.returncode == EXIT_UNDER_REPLICATED, result.stderr
    report = json.loads(result.stdout)
    assert report["kafka"]["under_replicated"] == [raw]
    assert report["problems"] == [
        f"{raw}: min.insync.replicas {factor + 1} > replication factor {factor}: every acks=all write fails"
    ]
    assert raw not in report["topics_created"] and len(report["topics_created"]) == len(TOPICS) - 1


def test_indices_get_replicas_from_the_data_nodes_unless_configured(settings, default_replication, monkeypatch):  # noqa: ARG001
    es = es_io.client(settings)
    data_nodes = int(es.cluster.health()["number_of_data_nodes"])
    physical = ensure_index(es, settings, PAPERS)
    replicas = es.indices.get_settings(index=physical)[physical]["settings"]["index"]["number_of_replicas"]
    assert int(replicas) == (1 if data_nodes >= 2 else 0)

    monkeypatch.setenv("SCHOLARSTREAM_INDEX_REPLICAS", "1")
    configured = Settings(_env_file=None).model_copy(update={"link_generation": 0, "enrich_generation": 1})
    physical = ensure_index(es, configured, PAPERS)
    replicas = es.indices.get_settings(index=physical)[physical]["settings"]["index"]["number_of_replicas"]
    assert replicas == "1"
