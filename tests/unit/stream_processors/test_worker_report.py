"""The worker's report file: table sizes, partitions, recovery; written whole or not at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from faust.types import TP

from stream_processors.worker_report import build_report, positions, read_reports, report_path, write_report

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_a_report_counts_each_table_and_lists_partitions_sorted():
    report = build_report(
        [("trust-scores", {b"r-1": b"11", b"r-2": b"40"}), ("blocks", {})],
        ["t.researcher.mentions:3", "t.arxiv.papers.raw:0"], 5, ["t-blocks-changelog:1"], True,
        host="h", pid=42, now=NOW, collector={"collections": [5, 1, 0]},
    )
    assert report == {
        "host": "h", "pid": 42, "at": "2026-12-03T01:00:00+00:00", "recovered": True,
        "tables": {"trust-scores": 2, "blocks": 0},
        "assigned_partitions": ["t.arxiv.papers.raw:0", "t.researcher.mentions:3"],
        "partitions_ever_assigned": 5,
        "standby_partitions": ["t-blocks-changelog:1"],
        "reading": {}, "flow_active": None, "collector": {"collections": [5, 1, 0]},
    }


def test_positions_show_where_the_consumer_is_in_each_partition():
    """What tells a partition nobody reads (lag, no progress) from one that is busy."""
    raw0, raw1 = TP("t.arxiv.papers.raw", 0), TP("t.arxiv.papers.raw", 1)
    consumer = SimpleNamespace(_read_offset={raw0: 64}, _committed_offset={raw0: 40}, _acked={raw0: [41, 42]},
                               _gap={}, _paused_partitions={raw1})
    assert positions(consumer, [raw0, raw1]) == {
        "t.arxiv.papers.raw:0": {"read": 64, "committed": 40, "acked_uncommitted": 2, "gaps": 0, "paused": False},
        "t.arxiv.papers.raw:1": {"read": None, "committed": None, "acked_uncommitted": 0, "gaps": 0, "paused": True},
    }


def test_reports_are_replaced_whole_and_read_back_per_worker(tmp_path):
    first = report_path(tmp_path, "h", 1)
    write_report(first, {"pid": 1, "tables": {"trust-scores": 1}})
    write_report(first, {"pid": 1, "tables": {"trust-scores": 7}})
    write_report(report_path(tmp_path, "h", 2), {"pid": 2, "tables": {}})
    (first.parent / "h-3.json").write_text("{not json")  # a torn or foreign file is skipped
    assert read_reports(tmp_path) == [{"pid": 1, "tables": {"trust-scores": 7}}, {"pid": 2, "tables": {}}]
    assert not list(first.parent.glob("*.partial"))
    assert json.loads(first.read_text())["tables"] == {"trust-scores": 7}


def test_no_reports_yet(tmp_path):
    assert read_reports(tmp_path) == []

