"""`scholarstream status` lists the workers' fresh reports (stream_processors/worker_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from foundation.settings import Settings
from scholarstream.status import worker_reports
from stream_processors.worker_report import build_report, report_path, write_report

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_status_shows_only_reports_written_in_the_last_30_seconds(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_DATA_DIR=str(tmp_path))
    fresh = build_report([("trust-scores", {b"r": b"1"})], ["t:0"], 1, [], True, host="h", pid=1, now=NOW)
    stale = build_report([], [], 0, [], False, host="h", pid=2, now=NOW.replace(minute=0, hour=0))
    write_report(report_path(tmp_path, "h", 1), fresh)
    write_report(report_path(tmp_path, "h", 2), stale)
    assert worker_reports(settings, NOW.replace(second=20)) == [
        {"host": "h", "pid": 1, "age_seconds": 20.0, "recovered": True, "tables": {"trust-scores": 1}, "assigned_partitions": 1}
    ]
