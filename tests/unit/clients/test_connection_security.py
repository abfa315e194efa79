"""Kafka TLS/SASL and Elasticsearch auth/TLS: from settings to what each client library receives.

kafka-python gets `kafka_io.connection_config`; the worker's aiokafka clients get what faust's
own `credentials_to_aiokafka_auth` makes of `faust_broker_settings` (the function faust calls for
its consumer and producer); Elasticsearch gets `es_io.client`. No connection is opened.
"""

from __future__ import annotations

import ssl
from typing import cast

import pytest
from elasticsearch import Elasticsearch
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import CredentialsT

from clients import es_io, kafka_io
from foundation.errors import ConfigError
from foundation.settings import load_settings
from stream_processors.app import faust_broker_settings
from tests.conftest import FIXTURES

TLS = FIXTURES / "tls"
KEY_PASSPHRASE = "client-key-passphrase"  # the test client key's (tests/fixtures/tls/README.md)
SECRET = "pw-7f3a9c-never-print"


def settings_from(monkeypatch, **env: str):
    for name in (
        "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
        "KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE", "KAFKA_SSL_KEY_PASSWORD",
        "KAFKA_SSL_CHECK_HOSTNAME", "ELASTICSEARCH_URL", "ELASTICSEARCH_API_KEY", "ELASTICSEARCH_USERNAME",
        "ELASTICSEARCH_PASSWORD", "ELASTICSEARCH_CA_CERTS", "ELASTICSEARCH_VERIFY_CERTS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(_env_file=None)


def aiokafka_auth(settings) -> dict:
    config = faust_broker_settings(settings)
    return dict(credentials_to_aiokafka_auth(cast("CredentialsT | None", config.get("broker_credentials"))))


def ca_subjects(context: ssl.SSLContext) -> list[str]:
    subjects = (cast("tuple[tuple[tuple[str, str], ...], ...]", cert["subject"]) for cert in context.get_ca_certs())
    return [dict(item[0] for item in subject)["commonName"] for subject in subjects]


# Kafka ----------------------------------------------------------------------------------------


def test_plaintext_is_the_default_and_carries_no_credentials(monkeypatch):
    settings = settings_from(monkeypatch)
    config = kafka_io.connection_config(settings)
    assert config["security_protocol"] == "PLAINTEXT"
    assert not {"ssl_context", "sasl_mechanism", "sasl_plain_password"} & set(config)
    assert "broker_credentials" not in faust_broker_settings(settings)
    assert aiokafka_auth(settings) == {"security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext_gives_both_clients_the_mechanism_and_credentials(monkeypatch, mechanism):
    settings = settings_from(
        monkeypatch, KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM=mechanism.lower(),
        KAFKA_SASL_USERNAME="alice", KAFKA_SASL_PASSWORD=SECRET,
    )
    config = kafka_io.connection_config(settings)
    assert (config["security_protocol"], config["sasl_mechanism"]) == ("SASL_PLAINTEXT", mechanism)
    assert (config["sasl_plain_username"], config["sasl_plain_password"]) == ("alice", SECRET)
    assert "ssl_context" not in config
    auth = aiokafka_auth(settings)
    assert (auth["security_protocol"], auth["sasl_mechanism"]) == ("SASL_PLAINTEXT", mechanism)
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"], auth["ssl_context"]) == ("alice", SECRET, None)
    assert SECRET not in repr(faust_broker_settings(settings)["broker_credentials"])


def test_tls_verifies_the_broker_against_the_ca_file_in_both_clients(monkeypatch):
    settings = settings_from(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(TLS / "ca.pem"))
    config = kafka_io.connection_config(settings)
    context = config["ssl_context"]
    assert config["security_protocol"] == "SSL" and "sasl_mechanism" not in config
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert ca_subjects(context) == ["ScholarStream test CA"]
    auth = aiokafka_auth(settings)
    assert auth["security_protocol"] == "SSL"
    assert ca_subjects(auth["ssl_context"]) == ["ScholarStream test CA"]


def test_sasl_ssl_sends_scram_credentials_over_tls_with_a_client_certificate(monkeypatch):
    settings = settings_from(
        monkeypatch, KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        KAFKA_SASL_USERNAME="alice", KAFKA_SASL_PASSWORD=SECRET, KAFKA_SSL_CAFILE=str(TLS / "ca.pem"),
        KAFKA_SSL_CERTFILE=str(TLS / "client.pem"), KAFKA_SSL_KEYFILE=str(TLS / "client.key"),
        KAFKA_SSL_KEY_PASSWORD=KEY_PASSPHRASE, KAFKA_SSL_CHECK_HOSTNAME="false",
    )
    config = kafka_io.connection_config(settings)
    assert (config["security_protocol"], config["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert config["ssl_context"].check_hostname is False and config["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    auth = aiokafka_auth(settings)
    assert (auth["security_protocol"], auth["sasl_mechanism"], auth["sasl_plain_password"]) == (
        "SASL_SSL", "SCRAM-SHA-512", SECRET,
    )
    assert ca_subjects(auth["ssl_context"]) == ["ScholarStream test CA"]


def test_a_wrong_client_key_password_is_a_config_error_that_does_not_repeat_it(monkeypatch):
    settings = settings_from(
        monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(TLS / "ca.pem"),
        KAFKA_SSL_CERTFILE=str(TLS / "client.pem"), KAFKA_SSL_KEYFILE=str(TLS / "client.key"),
        KAFKA_SSL_KEY_PASSWORD=SECRET,
    )
    with pytest.raises(ConfigError, match="client.key") as caught:
        kafka_io.connection_config(settings)
    assert SECRET not in str(caught.value)


def test_a_missing_ca_file_is_a_config_error(monkeypatch, tmp_path):
    settings = settings_from(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="nope.pem"):
        faust_broker_settings(settings)


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "a"}, "needs"),
        ({"KAFKA_SASL_PASSWORD": SECRET}, "neither SASL_PLAINTEXT nor SASL_SSL"),
        ({"KAFKA_SSL_CAFILE": str(TLS / "ca.pem")}, "neither SSL nor SASL_SSL"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERTFILE": str(TLS / "client.pem")}, "go together"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "a",
          "KAFKA_SASL_PASSWORD": SECRET}, "KAFKA_SASL_MECHANISM"),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"ELASTICSEARCH_API_KEY": SECRET, "ELASTICSEARCH_USERNAME": "e", "ELASTICSEARCH_PASSWORD": SECRET}, "not both"),
        ({"ELASTICSEARCH_PASSWORD": SECRET}, "go together"),
        ({"ELASTICSEARCH_CA_CERTS": str(TLS / "ca.pem")}, "https"),
        ({"ELASTICSEARCH_URL": f"ftp://elastic:{SECRET}@search.internal"}, "http"),
    ],
)
def test_half_configured_security_is_refused_without_showing_a_secret(monkeypatch, env, complaint):
    with pytest.raises(ConfigError, match=complaint) as caught:
        settings_from(monkeypatch, **env)
    assert SECRET not in str(caught.value) and caught.value.__cause__ is None


# Elasticsearch ---------------------------------------------------------------------------------


def test_an_api_key_goes_into_the_authorization_header(monkeypatch):
    settings = settings_from(monkeypatch, ELASTICSEARCH_URL="https://search.internal:9243", ELASTICSEARCH_API_KEY=SECRET)
    assert es_io.client_options(settings)["api_key"] == SECRET
    es = es_io.client(settings)
    assert es._headers["authorization"] == f"ApiKey {SECRET}"
    (node,) = es.transport.node_pool.all()
    assert node.config.verify_certs is True and node.config.ca_certs is None  # the system's trust store


def test_basic_auth_over_tls_with_a_ca_file(monkeypatch):
    settings = settings_from(
        monkeypatch, ELASTICSEARCH_URL="https://search.internal:9243", ELASTICSEARCH_USERNAME="scholarstream",
        ELASTICSEARCH_PASSWORD=SECRET, ELASTICSEARCH_CA_CERTS=str(TLS / "ca.pem"),
    )
    options = es_io.client_options(settings)
    assert options["basic_auth"] == ("scholarstream", SECRET)
    es = Elasticsearch(settings.elasticsearch_url, **options)
    assert es._headers["authorization"].startswith("Basic ")
    (node,) = es.transport.node_pool.all()
    assert (node.config.scheme, node.config.verify_certs, node.config.ca_certs) == ("https", True, str(TLS / "ca.pem"))


def test_certificate_checks_can_be_turned_off_for_https_only(monkeypatch):
    settings = settings_from(monkeypatch, ELASTICSEARCH_URL="https://search.internal:9243", ELASTICSEARCH_VERIFY_CERTS="false")
    (node,) = es_io.client(settings).transport.node_pool.all()
    assert node.config.verify_certs is False
    plain = settings_from(monkeypatch)
    assert "verify_certs" not in es_io.client_options(plain) and "api_key" not in es_io.client_options(plain)


def test_redacted_settings_and_errors_hide_the_password_in_the_elasticsearch_url(monkeypatch):
    settings = settings_from(monkeypatch, ELASTICSEARCH_URL=f"https://elastic:{SECRET}@search.internal:9243")
    assert SECRET not in str(settings.redacted()) and SECRET not in str(es_io.unavailable(settings))
    assert settings.redacted()["elasticsearch_url"] == "https://search.internal:9243"
