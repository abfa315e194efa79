"""The worker's consumer returns a bounded number of records a poll, so one topic's backlog cannot
keep the next stage's input waiting (docs/performance.md 7c)."""

from __future__ import annotations

import faust
import pytest

from foundation.settings import Settings
from stream_processors.app import consumer_settings


def _app(settings: Settings) -> faust.App:
    return faust.App("consumer-settings-test", broker="kafka://127.0.0.1:1", store="memory://", **consumer_settings(settings))


def test_a_poll_returns_at_most_500_records_unless_configured():
    assert _app(Settings(_env_file=None)).conf.broker_max_poll_records == 500
    assert _app(Settings(_env_file=None, SCHOLARSTREAM_WORKER_MAX_POLL_RECORDS="64")).conf.broker_max_poll_records == 64


def test_an_unbounded_or_empty_poll_is_refused():
    for value in ("0", "100001"):
        with pytest.raises(ValueError, match="SCHOLARSTREAM_WORKER_MAX_POLL_RECORDS|worker_max_poll_records"):
            Settings(_env_file=None, SCHOLARSTREAM_WORKER_MAX_POLL_RECORDS=value)
