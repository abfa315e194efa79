"""The pure parts of a multi-node local stack: per-node ports, directories and configuration files,
one cluster id and one voter set for every broker, the recorded shape, and `down` stopping every node.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

import stack
from foundation.errors import StackError
from foundation.settings import Settings
from stack import elasticsearch, kafka
from stack.java import JavaRuntime
from stack.layout import StackPaths
from stack.nodes import (
    SINGLE,
    Shape,
    bootstrap_servers,
    check_distinct_ports,
    elasticsearch_urls,
    es_nodes,
    kafka_nodes,
    read_shape,
    record_shape,
)
from stack.processes import is_alive, write_pid
from tests.unit.stack.stand_ins import stand_in


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def _yaml_scalars(text: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        SCHOLARSTREAM_STACK_DIR=tmp_path / "stack",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:29092",
        ELASTICSEARCH_URL="http://127.0.0.1:29200",
    )


@pytest.fixture
def paths(settings: Settings) -> StackPaths:
    return StackPaths.of(settings.stack_dir)


# Layout ----------------------------------------------------------------------------------------


def test_broker_i_listens_on_base_plus_2i_and_its_controller_one_above(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    assert [(n.node_id, n.port, n.controller_port) for n in nodes] == [(1, 29092, 29093), (2, 29094, 29095), (3, 29096, 29097)]
    assert bootstrap_servers(nodes) == "127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096"


def test_each_broker_has_its_own_directories_and_pid_file(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    for node in nodes:
        home = paths.root / "kafka" / "brokers-3" / f"node-{node.node_id}"
        assert (node.config_dir, node.data_dir, node.logs_dir) == (home / "config", home / "data", home / "logs")
        assert node.pid_file == paths.root / f"kafka-{node.node_id}.pid"
    assert len({n.data_dir for n in nodes}) == 3


def test_elasticsearch_node_i_listens_on_base_plus_i_and_transport_100_above(settings, paths) -> None:
    nodes = es_nodes(settings, paths, 2)
    assert [(n.name, n.http_port, n.transport_port) for n in nodes] == [("node-1", 29200, 29300), ("node-2", 29201, 29301)]
    assert elasticsearch_urls(nodes) == ["http://127.0.0.1:29200", "http://127.0.0.1:29201"]
    for node in nodes:
        home = paths.root / "elasticsearch" / "nodes-2" / node.name
        assert (node.config_dir, node.data_dir, node.logs_dir, node.tmp_dir) == (
            home / "config", home / "data", home / "logs", home / "tmp",
        )
        assert node.pid_file == paths.root / f"elasticsearch-{node.index}.pid"


def test_one_node_of_each_is_the_single_node_stack_in_its_historic_places(settings, paths) -> None:
    (broker,) = kafka_nodes(settings, paths, 1)
    (node,) = es_nodes(settings, paths, 1)
    assert (broker.port, broker.controller_port, broker.data_dir, broker.pid_file) == (29092, 29093, paths.kafka_data, paths.kafka_pid)
    assert broker.server_properties == paths.kafka_server_properties
    assert (node.http_port, node.transport_port, node.config_dir, node.data_dir, node.pid_file) == (
        29200, 29300, paths.es_config, paths.es_data, paths.es_pid,
    )


def test_clusters_of_different_sizes_never_share_data(settings, paths) -> None:
    three = {n.data_dir for n in kafka_nodes(settings, paths, 3)}
    five = {n.data_dir for n in kafka_nodes(settings, paths, 5)}
    assert not three & five


def test_overlapping_kafka_and_elasticsearch_ports_are_refused(paths) -> None:
    settings = Settings(_env_file=None, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:29200", ELASTICSEARCH_URL="http://127.0.0.1:29202")
    with pytest.raises(StackError, match="port 29202"):
        check_distinct_ports(kafka_nodes(settings, paths, 3), es_nodes(settings, paths, 2))
    check_distinct_ports(kafka_nodes(settings, paths, 1), es_nodes(settings, paths, 1))


@pytest.mark.parametrize(("brokers", "es_count"), [(0, 1), (1, 0), (10, 1)])
def test_node_counts_are_bounded(brokers: int, es_count: int) -> None:
    with pytest.raises(StackError, match="1 to 9"):
        Shape(brokers, es_count)


# Kafka configuration ----------------------------------------------------------------------------


def test_every_broker_is_a_combined_node_of_one_dynamic_quorum_of_all_three(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    for node in nodes:
        props = _properties(kafka.render_node_properties(node, nodes))
        assert props["process.roles"] == "broker,controller"
        assert props["node.id"] == str(node.node_id)
        assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:29093,127.0.0.1:29095,127.0.0.1:29097"
        assert "controller.quorum.voters" not in props  # dynamic quorum: the voters come from formatting
        assert props["listeners"] == f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
        assert props["advertised.listeners"] == props["listeners"]
        assert props["controller.listener.names"] == "CONTROLLER"
        assert props["log.dirs"] == str(node.data_dir)


def test_three_brokers_replicate_internal_topics_three_times_with_two_in_sync(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    props = _properties(kafka.render_node_properties(nodes[0], nodes))
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    assert props["group.initial.rebalance.delay.ms"] == "0"


@pytest.mark.parametrize(("brokers", "copies", "in_sync"), [(2, "2", "1"), (3, "3", "2"), (5, "3", "2")])
def test_replication_defaults_follow_the_broker_count(brokers: int, copies: str, in_sync: str) -> None:
    props = _properties("\n".join(kafka.replication_defaults(brokers)))
    assert (props["default.replication.factor"], props["min.insync.replicas"]) == (copies, in_sync)


def test_initial_controllers_name_every_node_with_its_directory_id(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    value = kafka.initial_controllers(nodes, {1: "AAAAAAAAAAAAAAAAAAAAAA", 2: "BBBBBBBBBBBBBBBBBBBBBB", 3: "CCCCCCCCCCCCCCCCCCCCCC"})
    assert value == (
        "1@127.0.0.1:29093:AAAAAAAAAAAAAAAAAAAAAA,2@127.0.0.1:29095:BBBBBBBBBBBBBBBBBBBBBB,3@127.0.0.1:29097:CCCCCCCCCCCCCCCCCCCCCC"
    )


def test_the_cluster_id_is_chosen_once_and_shared_by_every_node(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    identity = paths.kafka_cluster_identity(3)
    cluster_id, ids = kafka.cluster_identity(identity, nodes)
    again, ids_again = kafka.cluster_identity(identity, nodes)
    assert (again, ids_again) == (cluster_id, ids)
    assert sorted(ids) == [1, 2, 3] and len(set(ids.values())) == 3
    assert json.loads(identity.read_text())["cluster_id"] == cluster_id


def test_an_identity_for_other_nodes_is_refused(settings, paths) -> None:
    identity = paths.kafka_cluster_identity(3)
    kafka.cluster_identity(identity, kafka_nodes(settings, paths, 3))
    with pytest.raises(StackError, match="names nodes"):
        kafka.cluster_identity(identity, kafka_nodes(settings, paths, 3)[:2])


def test_a_blank_node_beside_formatted_ones_is_refused_not_reformatted(settings, paths) -> None:
    nodes = kafka_nodes(settings, paths, 3)
    for node in nodes[:2]:
        node.data_dir.mkdir(parents=True)
        (node.data_dir / "meta.properties").write_text("cluster.id=x\n")
    java = JavaRuntime(Path("/nonexistent/java"), Path("/nonexistent"), "21", 21, "test")
    with pytest.raises(StackError, match="kafka-3 has no storage"):
        kafka.format_cluster(java, paths.kafka_libs, paths.kafka_cluster_identity(3), nodes, None)
    (nodes[2].data_dir).mkdir(parents=True)
    (nodes[2].data_dir / "meta.properties").write_text("cluster.id=x\n")
    assert kafka.format_cluster(java, paths.kafka_libs, paths.kafka_cluster_identity(3), nodes, None) == []


# Elasticsearch configuration ---------------------------------------------------------------------


def test_both_elasticsearch_nodes_form_one_cluster_seeded_with_both(settings, paths) -> None:
    nodes = es_nodes(settings, paths, 2)
    for node in nodes:
        values = _yaml_scalars(elasticsearch.render_node_yml(node, nodes, bootstrap=True))
        assert values["cluster.name"] == '"scholarstream"'
        assert values["node.name"] == f'"{node.name}"'
        assert values["http.port"] == str(node.http_port)
        assert values["transport.port"] == str(node.transport_port)
        assert json.loads(values["discovery.seed_hosts"]) == ["127.0.0.1:29300", "127.0.0.1:29301"]
        assert json.loads(values["cluster.initial_master_nodes"]) == ["node-1", "node-2"]
        assert "discovery.type" not in values
        assert values["path.data"] == json.dumps(str(node.data_dir))
        assert values["xpack.security.enabled"] == "false"


def test_initial_master_nodes_only_until_the_node_has_joined_a_cluster(settings, paths) -> None:
    nodes = es_nodes(settings, paths, 2)
    values = _yaml_scalars(elasticsearch.render_node_yml(nodes[0], nodes, bootstrap=False))
    assert "cluster.initial_master_nodes" not in values
    assert not elasticsearch.has_joined_a_cluster(nodes[0])
    (nodes[0].data_dir / "_state").mkdir(parents=True)
    assert elasticsearch.has_joined_a_cluster(nodes[0])


def test_node_config_gets_its_own_heap_and_yml(settings, paths) -> None:
    nodes = es_nodes(settings, paths, 2)
    (paths.es_home / "config").mkdir(parents=True)
    (paths.es_home / "config" / "jvm.options").write_text("-XX:+UseG1GC\n")
    elasticsearch.write_node_config(nodes[1], nodes, paths.es_home, "768m", "9.2.0", paths.root)
    assert (nodes[1].config_dir / "jvm.options").exists()
    assert "-Xmx768m" in (nodes[1].config_dir / "jvm.options.d" / "heap.options").read_text()
    assert '"node-2"' in (nodes[1].config_dir / "elasticsearch.yml").read_text()


# The recorded shape, status and down ----------------------------------------------------------


def test_the_shape_is_recorded_for_a_cluster_and_forgotten_for_a_single_node(paths) -> None:
    assert read_shape(paths) == SINGLE
    record_shape(paths, Shape(3, 2))
    assert read_shape(paths) == Shape(3, 2)
    record_shape(paths, SINGLE)
    assert not paths.cluster_state.exists()
    assert read_shape(paths) == SINGLE


def test_status_lists_every_node_of_the_recorded_cluster(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        SCHOLARSTREAM_STACK_DIR=tmp_path / "stack",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:45092",
        ELASTICSEARCH_URL="http://127.0.0.1:45200",
    )
    record_shape(StackPaths.of(settings.stack_dir), Shape(3, 2))
    data = stack.status(settings)
    nodes = data["nodes"]
    assert isinstance(nodes, list)
    assert [(n["name"], n["role"], n["port"], n["pid"], n["answers"]) for n in nodes] == [
        ("kafka-1", "broker+controller", 45092, None, False),
        ("kafka-2", "broker+controller", 45094, None, False),
        ("kafka-3", "broker+controller", 45096, None, False),
        ("elasticsearch-1", "master-eligible+data", 45200, None, False),
        ("elasticsearch-2", "master-eligible+data", 45201, None, False),
    ]
    assert data["shape"] == {"brokers": 3, "es_nodes": 2}
    kafka_info = data["kafka"]
    assert isinstance(kafka_info, dict)
    assert kafka_info["bootstrap_servers"] == "127.0.0.1:45092,127.0.0.1:45094,127.0.0.1:45096"
    assert kafka_info["state"] == "stopped"


def test_down_stops_every_node_of_a_cluster_without_being_told_its_size(settings, paths) -> None:
    paths.root.mkdir(parents=True)
    record_shape(paths, Shape(3, 2))
    marker = f"{paths.root}/"
    pid_files = [paths.kafka_node_pid(i) for i in (1, 2, 3)] + [paths.es_node_pid(i) for i in (1, 2)]
    children = [stand_in(marker) for _ in pid_files]
    try:
        for pid_file, child in zip(pid_files, children, strict=True):
            write_pid(pid_file, child.pid)
        result = stack.down(settings, grace_seconds=5)
        assert sorted(s.name for s in result.stopped) == ["elasticsearch-1", "elasticsearch-2", "kafka-1", "kafka-2", "kafka-3"]
        deadline = time.monotonic() + 5
        while any(c.poll() is None for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(is_alive(c.pid) for c in children)
        assert not any(p.exists() for p in pid_files)
        assert read_shape(paths) == Shape(3, 2)  # still known, for `status` and the next `down`
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait()


def test_up_refuses_another_shape_while_the_recorded_one_runs(settings, paths) -> None:
    paths.root.mkdir(parents=True)
    record_shape(paths, Shape(3, 2))
    child = stand_in(f"{paths.root}/")
    try:
        write_pid(paths.kafka_node_pid(2), child.pid)
        with pytest.raises(StackError, match=r"runs 3 Kafka brokers and 2 Elasticsearch nodes \(kafka-2\)"):
            stack.up(settings)
    finally:
        child.kill()
        child.wait()


def test_regression_a_link_planted_in_a_nodes_config_is_not_followed_by_roots_next_stack_up(settings, paths, tmp_path) -> None:
    """Regression (issue 18): the config directories belong to Elasticsearch's service account, which
    could put a symbolic link where `stack up` (as root) writes; root then wrote through it."""
    nodes = es_nodes(settings, paths, 2)
    (paths.es_home / "config").mkdir(parents=True)
    (paths.es_home / "config" / "jvm.options").write_text("-XX:+UseG1GC\n")
    elasticsearch.write_node_config(nodes[1], nodes, paths.es_home, "768m", "9.2.0", paths.root)
    roots_file = tmp_path / "roots-file"
    roots_file.write_text("root's\n")
    yml = nodes[1].config_dir / "elasticsearch.yml"
    yml.unlink()
    yml.symlink_to(roots_file)
    with pytest.raises(StackError, match="refusing to write .*elasticsearch.yml"):
        elasticsearch.write_node_config(nodes[1], nodes, paths.es_home, "768m", "9.2.0", paths.root)
    yml.unlink()
    options = nodes[1].config_dir / "jvm.options.d"
    shutil.rmtree(options)
    options.symlink_to(tmp_path)  # a linked directory: heap.options would land beside root's file
    with pytest.raises(StackError, match="refusing to write .*jvm.options.d"):
        elasticsearch.write_node_config(nodes[1], nodes, paths.es_home, "768m", "9.2.0", paths.root)
    assert roots_file.read_text() == "root's\n" and not (tmp_path / "heap.options").exists()
