"""The worker's consumer returns a bounded number of records a poll, so one topic's backlog cannot
keep the next stage's input waiting (docs/performance.md 7c)."""

from __future__ import annotations

from foundation.settings import Settings
from stream_processors.app import create_app


def test_a_poll_returns_at_most_500_records_unless_configured():
    assert create_app(Settings(_env_file=None, SCHOLARSTREAM_WORKER_STAGES="link"), None, None).conf.broker_max_poll_records == 500
    configured = Settings(_env_file=None, SCHOLARSTREAM_WORKER_STAGES="link", SCHOLARSTREAM_WORKER_MAX_POLL_RECORDS="64")
    assert create_app(configured, None, None).conf.broker_max_poll_records == 64
