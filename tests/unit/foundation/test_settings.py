"""Settings: names, parsing, and secrets that never print."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from foundation.settings import Settings


def test_defaults_point_at_the_local_stack(monkeypatch):
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.elasticsearch_url == "http://127.0.0.1:9200"
    assert settings.kafka_is_default and settings.elasticsearch_is_default


def test_environment_names(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "10.0.0.1:9093,10.0.0.2:9093")
    monkeypatch.setenv("ELASTICSEARCH_URL", "https://search.internal:9243/")
    monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PREFIX", "t1.")
    settings = Settings(_env_file=None)
    assert settings.kafka_port == 9093
    assert settings.elasticsearch_url == "https://search.internal:9243"
    assert settings.topic("arxiv.papers.raw") == "t1.arxiv.papers.raw"
    assert not settings.kafka_is_default


@pytest.mark.parametrize(("raw", "expected"), [("0", False), ("false", False), ("1", True), ("true", True)])
def test_booleans_are_parsed_not_truthy(monkeypatch, raw, expected):
    monkeypatch.setenv("SCHOLARSTREAM_ENCODER_NORMALIZE", raw)
    assert Settings(_env_file=None).encoder_normalize is expected


def test_malformed_addresses_are_refused(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "localhost")
    with pytest.raises(ValidationError, match="host:port"):
        Settings(_env_file=None)


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "scholarstream")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "kafka-hunter2")
    monkeypatch.setenv("KAFKA_SSL_KEY_PASSWORD", "key-hunter2")
    monkeypatch.setenv("ELASTICSEARCH_API_KEY", "es-hunter2")
    settings = Settings(_env_file=None)
    assert settings.kafka_sasl_password.get_secret_value() == "kafka-hunter2"
    rendered = repr(settings) + str(settings) + json.dumps(settings.redacted())
    assert "hunter2" not in rendered


def test_credentials_in_the_elasticsearch_url_are_not_displayed(monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", "https://elastic:s3cret@search.internal:9243")
    settings = Settings(_env_file=None)
    assert settings.elasticsearch_display_url == "https://search.internal:9243"


def test_several_elasticsearch_nodes_of_one_cluster(monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", " http://10.0.0.1:9200/, http://elastic:s3cret@10.0.0.2:9201 ")
    settings = Settings(_env_file=None)
    assert settings.elasticsearch_urls == ["http://10.0.0.1:9200", "http://elastic:s3cret@10.0.0.2:9201"]
    assert settings.elasticsearch_port == 9200
    assert settings.elasticsearch_display_url == "http://10.0.0.1:9200,http://10.0.0.2:9201"
    assert "s3cret" not in json.dumps(settings.redacted())


@pytest.mark.parametrize("raw", ["http://a:9200,https://b:9200", "http://a:9200,b:9200", " , "])
def test_a_list_of_elasticsearch_urls_needs_one_http_scheme(monkeypatch, raw):
    monkeypatch.setenv("ELASTICSEARCH_URL", raw)
    with pytest.raises(ValidationError, match="http"):
        Settings(_env_file=None)


def test_enough_partitions_for_eight_workers(monkeypatch):
    monkeypatch.delenv("SCHOLARSTREAM_TOPIC_PARTITIONS", raising=False)
    assert Settings(_env_file=None).topic_partitions >= 8


@pytest.mark.parametrize("raw", ["off", "30s", "500ms", "2m"])
def test_the_backlog_refresh_interval_takes_elasticsearch_durations_or_off(monkeypatch, raw):
    monkeypatch.setenv("SCHOLARSTREAM_INDEXER_BACKLOG_REFRESH_INTERVAL", raw)
    assert Settings(_env_file=None).indexer_backlog_refresh_interval == raw


@pytest.mark.parametrize("raw", ["30", "-1", "0s", "1h", "30 s", "false"])
def test_a_backlog_refresh_interval_not_off_nor_a_positive_ms_s_or_m_duration_is_refused_at_start(monkeypatch, raw):
    monkeypatch.setenv("SCHOLARSTREAM_INDEXER_BACKLOG_REFRESH_INTERVAL", raw)
    with pytest.raises(ValidationError, match="INDEXER_BACKLOG_REFRESH_INTERVAL|indexer_backlog_refresh_interval"):
        Settings(_env_file=None)
