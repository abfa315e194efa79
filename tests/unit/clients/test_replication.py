"""Durable topics and indices: the replication decided from the settings and the cluster's size,
and the judgement of an existing topic against it. Pure: no Kafka, no Elasticsearch."""

from __future__ import annotations

import pytest

from clients.es_io import replicas_for
from clients.kafka_io import Replication, decide_replication, topic_durability
from foundation.errors import ConfigError
from foundation.settings import Settings, load_settings


@pytest.mark.parametrize(
    ("brokers", "factor", "min_isr"),
    [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)],
)
def test_default_is_three_copies_capped_by_the_brokers_and_one_may_be_down(brokers, factor, min_isr):
    replication = decide_replication(None, None, brokers)
    assert (replication.factor, replication.min_insync_replicas) == (factor, min_isr)
    assert replication.attainable and not replication.factor_from_setting


def test_a_configured_factor_is_never_capped_and_says_it_cannot_be_met():
    replication = decide_replication(3, None, brokers=1)
    assert (replication.factor, replication.min_insync_replicas) == (3, 2)
    assert replication.factor_from_setting and not replication.attainable


def test_configured_min_insync_replicas_is_kept_but_never_above_the_factor():
    assert decide_replication(5, 3, brokers=5).min_insync_replicas == 3
    assert decide_replication(3, 1, brokers=3).min_insync_replicas == 1
    # the default factor on a one-broker stack: two in-sync copies cannot exist, so one
    assert decide_replication(None, 2, brokers=1).min_insync_replicas == 1


def test_no_broker_in_the_metadata_still_asks_for_one_copy():
    assert decide_replication(None, None, brokers=0) == Replication(1, 1, 0)


def test_min_insync_topic_config_goes_with_every_created_topic():
    assert decide_replication(None, None, 3).topic_configs() == {"min.insync.replicas": "2"}


def test_settings_names_and_refusal_of_more_in_sync_replicas_than_copies(monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_REPLICATION_FACTOR", "2")
    monkeypatch.setenv("SCHOLARSTREAM_MIN_INSYNC_REPLICAS", "2")
    monkeypatch.setenv("SCHOLARSTREAM_INDEX_REPLICAS", "0")
    settings = Settings(_env_file=None)
    assert (settings.replication_factor, settings.min_insync_replicas, settings.index_replicas) == (2, 2, 0)
    monkeypatch.setenv("SCHOLARSTREAM_MIN_INSYNC_REPLICAS", "3")
    with pytest.raises(ConfigError, match="SCHOLARSTREAM_MIN_INSYNC_REPLICAS exceeds SCHOLARSTREAM_REPLICATION_FACTOR"):
        load_settings(_env_file=None)


def test_unset_durability_settings_are_decided_by_the_cluster(monkeypatch):
    for name in ("SCHOLARSTREAM_REPLICATION_FACTOR", "SCHOLARSTREAM_MIN_INSYNC_REPLICAS", "SCHOLARSTREAM_INDEX_REPLICAS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert (settings.replication_factor, settings.min_insync_replicas, settings.index_replicas) == (None, None, None)


@pytest.mark.parametrize(("data_nodes", "replicas"), [(0, 0), (1, 0), (2, 1), (7, 1)])
def test_one_index_replica_from_two_data_nodes_on(data_nodes, replicas):
    assert replicas_for(data_nodes) == replicas


def test_configured_index_replicas_win_over_the_node_count():
    assert replicas_for(1, configured=1) == 1
    assert replicas_for(5, configured=0) == 0
    assert replicas_for(5, configured=2) == 2


def _described(name: str, replicas: list[list[int]], isr: list[list[int]] | None = None) -> dict:
    """A `KafkaAdminClient.describe_topics` entry."""
    isr = isr if isr is not None else replicas
    return {
        "topic": name, "error_code": 0, "is_internal": False,
        "partitions": [
            {"partition": n, "leader": r[0], "replicas": r, "isr": i, "offline_replicas": []}
            for n, (r, i) in enumerate(zip(replicas, isr, strict=True))
        ],
    }


THREE = Replication(3, 2, brokers=3)


def test_a_topic_as_configured_has_no_problem():
    topic = topic_durability(_described("t", [[1, 2, 3], [2, 3, 1]]), {"min.insync.replicas": "2"}, THREE, 2)
    assert not topic.under_replicated
    assert (topic.partitions, topic.replication_factor, topic.min_insync_replicas, topic.notes) == (2, 3, 2, ())


def test_a_topic_with_fewer_copies_is_under_replicated_by_its_worst_partition():
    topic = topic_durability(_described("t", [[1, 2, 3], [1]]), {"min.insync.replicas": "2"}, THREE)
    assert topic.replication_factor == 1
    assert topic.problems == (
        "replication factor 1 < 3",
        "min.insync.replicas 2 > replication factor 1: every acks=all write fails",
    )
    assert topic.as_dict()["under_replicated"] is True


def test_a_topic_made_before_min_insync_replicas_was_set_is_reported():
    topic = topic_durability(_described("t", [[1, 2, 3]]), {"min.insync.replicas": "1"}, THREE)
    assert topic.problems == ("min.insync.replicas 1 < 2",)


def test_more_in_sync_replicas_than_copies_is_a_problem_even_at_the_configured_factor():
    topic = topic_durability(_described("t", [[1]]), {"min.insync.replicas": "2"}, Replication(1, 1, brokers=1))
    assert topic.problems == ("min.insync.replicas 2 > replication factor 1: every acks=all write fails",)


def test_partitions_and_a_replica_out_of_sync_are_notes_not_failures():
    topic = topic_durability(_described("t", [[1, 2, 3]] * 4, [[1, 2, 3]] * 3 + [[1]]), {"min.insync.replicas": "2"}, THREE, 2)
    assert not topic.under_replicated
    assert topic.smallest_isr == 1
    assert topic.notes == (
        "4 partitions, 2 configured (kept: changing it moves keys)",
        "a partition has 1 of 3 replicas in sync now",
    )


def test_configs_that_could_not_be_described_are_a_note():
    topic = topic_durability(_described("t", [[1, 2, 3]]), None, THREE)
    assert topic.min_insync_replicas is None and not topic.under_replicated
    assert topic.notes == ("min.insync.replicas unknown (describe_configs refused)",)
