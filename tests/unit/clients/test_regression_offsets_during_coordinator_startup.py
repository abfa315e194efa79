"""Regression: on a freshly started broker, reading a group's offsets failed the whole
`run --until-caught-up` with NotCoordinatorError while the offsets topic was still being created."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import CoordinatorNotAvailableError, NotCoordinatorError, TopicAuthorizationFailedError

from clients.kafka_io import committed_offsets
from foundation.errors import ScholarStreamError

TPS = [TopicPartition("t", 0)]


def admin_answering(*answers):
    client = MagicMock(spec_set=KafkaAdminClient)
    client.list_consumer_group_offsets.side_effect = list(answers)
    return client


def test_retriable_coordinator_errors_are_ridden_out():
    offsets = {TPS[0]: 7}
    client = admin_answering(NotCoordinatorError(), CoordinatorNotAvailableError(), offsets)
    assert committed_offsets(client, "g", TPS, sleep=lambda _: None) == offsets


def test_a_group_that_never_committed_has_no_offsets():
    client = admin_answering(*[CoordinatorNotAvailableError()] * 10)
    assert committed_offsets(client, "g", TPS, sleep=lambda _: None) == {}


def test_non_retriable_errors_are_reported_not_retried():
    client = admin_answering(TopicAuthorizationFailedError())
    with pytest.raises(ScholarStreamError, match="cannot read the offsets"):
        committed_offsets(client, "g", TPS, sleep=lambda _: None)
    assert client.list_consumer_group_offsets.call_count == 1
