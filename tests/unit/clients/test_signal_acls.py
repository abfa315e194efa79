"""The ACL settings of researcher.signals: principals are checked before anything is sent, and an
unset list asks nothing of the cluster. (The ACLs themselves are tried on a real SASL broker in
tests/faults/test_secured_kafka.py.)"""

from __future__ import annotations

import pytest

from clients import kafka_io
from foundation.errors import ConfigError
from foundation.settings import Settings


def test_no_writers_configured_means_no_acls_and_no_connection():
    settings = Settings(_env_file=None, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert kafka_io.restrict_signals(settings, "researcher.signals") == []


@pytest.mark.parametrize("writers", ["webapp", "User:webapp, Group:ops", "User:"])
def test_a_principal_that_is_not_a_user_principal_is_refused_by_name(writers):
    settings = Settings(_env_file=None, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS=writers)
    with pytest.raises(ConfigError, match="SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS takes Kafka principals"):
        kafka_io.restrict_signals(settings, "researcher.signals")
