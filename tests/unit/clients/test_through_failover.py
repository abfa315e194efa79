"""Start-up steps are tried again while a broker that just died is still in the metadata, and only then."""

from __future__ import annotations

import pytest
from kafka.errors import KafkaConfigurationError, NoBrokersAvailable, NodeNotReadyError

from clients.kafka_io import through_failover
from foundation.errors import ServiceUnavailable


def _failing(*causes: BaseException | None):
    """A step that raises ServiceUnavailable from each cause in turn, then returns 'done'."""
    calls = []

    def step() -> str:
        calls.append(1)
        if len(calls) <= len(causes):
            cause = causes[len(calls) - 1]
            raise ServiceUnavailable("Kafka", "127.0.0.1:1") from cause
        return "done"

    return step, calls


def test_a_node_not_ready_is_tried_again_until_the_step_succeeds():
    step, calls = _failing(NodeNotReadyError(2), NodeNotReadyError(2))
    assert through_failover(step, seconds=5, pause=0) == "done"
    assert len(calls) == 3


def test_no_broker_reachable_is_reported_at_once():
    step, calls = _failing(NoBrokersAvailable())
    with pytest.raises(ServiceUnavailable):
        through_failover(step, seconds=5, pause=0)
    assert len(calls) == 1


def test_an_error_kafka_does_not_call_retriable_is_reported_at_once():
    step, calls = _failing(KafkaConfigurationError("bad"))
    with pytest.raises(ServiceUnavailable):
        through_failover(step, seconds=5, pause=0)
    assert len(calls) == 1


def test_a_service_unavailable_without_a_kafka_cause_is_reported_at_once():
    step, calls = _failing(None)
    with pytest.raises(ServiceUnavailable):
        through_failover(step, seconds=5, pause=0)
    assert len(calls) == 1


def test_it_gives_up_after_its_time():
    step, calls = _failing(*[NodeNotReadyError(2)] * 1000)
    with pytest.raises(ServiceUnavailable):
        through_failover(step, seconds=0.05, pause=0.01)
    assert 1 < len(calls) < 1000


def test_listing_topics_while_a_broker_is_not_ready_is_tried_again(monkeypatch):
    """Regression (clean-clone rehearsal, cluster test `broker dies`): `existing_topics` let kafka's
    own NodeNotReadyError escape untranslated, so `through_failover` did not retry it and the worker
    exited at start-up while a killed broker was still in the metadata."""
    from clients import kafka_io
    from foundation.settings import Settings

    answers: list[BaseException | list[str]] = [NodeNotReadyError(3), ["t.arxiv.papers.raw"]]

    class Admin:  # kafka-python's admin client as far as `existing_topics` uses it
        def list_topics(self):
            answer = answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        def close(self):
            pass

    monkeypatch.setattr(kafka_io, "admin", lambda _settings: Admin())
    found = through_failover(lambda: kafka_io.existing_topics(Settings()), seconds=5, pause=0)
    assert found == {"t.arxiv.papers.raw"} and answers == []
