"""The configuration files the stack writes, and the versions it reads from its pom."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from foundation.errors import StackError
from foundation.settings import Settings
from stack import elasticsearch, kafka
from stack.layout import POM, StackPaths
from stack.maven import marker_matches, parse_pom, read_pom, write_marker


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def _yaml_scalars(text: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


# Kafka ----------------------------------------------------------------------------------------


def test_server_properties_for_default_ports() -> None:
    props = _properties(kafka.render_server_properties(9092, 9093, Path("/s/kafka/data")))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["listener.security.protocol.map"] == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    assert props["log.dirs"] == "/s/kafka/data"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"


def test_server_properties_follow_the_configured_port() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:29092")
    text = kafka.render_server_properties(settings.kafka_port, kafka.controller_port(settings), Path("/d"))
    props = _properties(text)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert "9092" not in text.replace("29092", "")


def test_log4j_writes_server_log_under_the_logs_dir() -> None:
    text = kafka.render_log4j(Path("/s/kafka/logs"))
    assert "appender.server.fileName = /s/kafka/logs/server.log" in text
    assert "rootLogger.level = info" in text
    assert "appender.console.filter.threshold.level = warn" in text


def test_cluster_ids_are_22_url_safe_characters() -> None:
    ids = {kafka.new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert not cluster_id.startswith("-")


def test_kafka_version_comes_from_the_jar_name(tmp_path: Path) -> None:
    for name in ("kafka-clients-4.4.0.jar", "kafka_2.13-4.4.0.jar", "log4j-core-2.25.2.jar"):
        (tmp_path / name).touch()
    assert kafka.version_from_libs(tmp_path) == "4.4.0"
    assert kafka.version_from_libs(tmp_path / "missing") is None


# Elasticsearch --------------------------------------------------------------------------------


def test_elasticsearch_yml_for_default_ports() -> None:
    settings = Settings(elasticsearch_url="http://127.0.0.1:9200")
    text = elasticsearch.render_yml(
        settings.elasticsearch_port,
        elasticsearch.transport_port(settings),
        Path("/s/elasticsearch/data"),
        Path("/s/elasticsearch/logs"),
    )
    values = _yaml_scalars(text)
    assert values["cluster.name"] == '"scholarstream"'
    assert values["node.name"] == '"local"'
    assert values["network.host"] == '"127.0.0.1"'
    assert values["http.port"] == "9200"
    assert values["transport.port"] == "9300"
    assert values["discovery.type"] == '"single-node"'
    assert values["xpack.security.enabled"] == "false"
    assert values["xpack.ml.enabled"] == "false"
    assert values["path.data"] == '"/s/elasticsearch/data"'
    assert values["path.logs"] == '"/s/elasticsearch/logs"'


def test_elasticsearch_ports_follow_the_configured_url() -> None:
    settings = Settings(elasticsearch_url="http://127.0.0.1:19200")
    assert elasticsearch.transport_port(settings) == 19300
    assert elasticsearch.http_url(settings) == "http://127.0.0.1:19200"
    values = _yaml_scalars(elasticsearch.render_yml(19200, 19300, Path("/d"), Path("/l")))
    assert (values["http.port"], values["transport.port"]) == ("19200", "19300")


def test_paths_with_odd_characters_stay_one_yaml_scalar() -> None:
    values = _yaml_scalars(elasticsearch.render_yml(9200, 9300, Path("/tmp/a: b #c"), Path("/l")))
    assert values["path.data"] == '"/tmp/a: b #c"'


def test_heap_options_set_min_and_max_alike() -> None:
    lines = elasticsearch.render_heap_options("1g").splitlines()
    assert "-Xms1g" in lines and "-Xmx1g" in lines


# Layout ---------------------------------------------------------------------------------------


def test_everything_lives_under_the_stack_dir(tmp_path: Path) -> None:
    paths = StackPaths.of(tmp_path / "stack")
    assert paths.kafka_pid == tmp_path / "stack" / "kafka.pid"
    assert paths.es_pid == tmp_path / "stack" / "elasticsearch.pid"
    for path in (paths.kafka_libs, paths.kafka_data, paths.kafka_out, paths.es_home, paths.es_data, paths.es_out):
        assert path.is_relative_to(paths.root)


# Pom ------------------------------------------------------------------------------------------


def test_the_shipped_pom_pins_kafka_and_elasticsearch() -> None:
    versions = read_pom(POM)
    assert versions.kafka == "4.4.0"
    assert versions.elasticsearch == "9.2.0"
    assert len(versions.digest) == 64


POM_TEMPLATE = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <properties><kafka.version>{kafka}</kafka.version></properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>${{kafka.version}}</version>
    </dependency>
    <dependency>
      <groupId>org.elasticsearch.distribution.integ-test-zip</groupId><artifactId>elasticsearch</artifactId>
      <version>{es}</version><type>zip</type>
    </dependency>
  </dependencies>
</project>
"""


def test_pom_properties_are_resolved_and_digest_tracks_content() -> None:
    first = parse_pom(POM_TEMPLATE.format(kafka="4.1.0", es="9.1.5"))
    second = parse_pom(POM_TEMPLATE.format(kafka="4.2.0", es="9.1.5"))
    assert (first.kafka, first.elasticsearch) == ("4.1.0", "9.1.5")
    assert second.kafka == "4.2.0"
    assert first.digest != second.digest


def test_pom_without_elasticsearch_is_an_error() -> None:
    text = POM_TEMPLATE.format(kafka="4.1.0", es="9.1.5").replace("org.elasticsearch.distribution", "org.other")
    with pytest.raises(StackError, match="elasticsearch"):
        parse_pom(text)


def test_malformed_pom_is_a_stack_error() -> None:
    with pytest.raises(StackError, match="not valid XML"):
        parse_pom("<project>")


def test_marker_skips_maven_only_for_the_same_pom(tmp_path: Path) -> None:
    old = parse_pom(POM_TEMPLATE.format(kafka="4.1.0", es="9.1.5"))
    new = parse_pom(POM_TEMPLATE.format(kafka="4.2.0", es="9.1.5"))
    assert not marker_matches(tmp_path, {"pom_sha256": old.digest})
    write_marker(tmp_path, old)
    assert marker_matches(tmp_path, {"pom_sha256": old.digest})
    assert not marker_matches(tmp_path, {"pom_sha256": new.digest})
    # Elasticsearch is keyed by its own version, so a Kafka bump does not re-unpack it.
    assert marker_matches(tmp_path, {"elasticsearch": new.elasticsearch})
