"""What each worker holds right now, written to a small JSON file beside its data.

Every few seconds a worker writes `<data dir>/workers/<host>-<pid>.json`: the size of each of its
faust tables (the `trust-scores` GlobalTable must hold every researcher's score on every worker),
the input partitions it reads now (and how many it ever read), where it is in each of them (faust's
read and committed offsets, acknowledged offsets not yet committed, whether the partition is
paused), whether its flow is running, the table partitions it keeps standby copies of, and whether
its last table recovery finished, and what Python's garbage collector did so far (collections,
seconds and objects collected per generation: `collector.py`).
An operator reads it to see that a restarted worker has its state back; the cluster tests read it
to compare the workers with each other. The file is replaced atomically, so a reader never sees
half of one.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import faust

from stream_processors.collector import WATCH

if TYPE_CHECKING:
    from faust.tables.manager import TableManager

REPORT_EVERY_SECONDS = 5.0


def reports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "workers"


def report_path(data_dir: Path, host: str, pid: int) -> Path:
    return reports_dir(data_dir) / f"{host}-{pid}.json"


def table_sizes(tables: Iterable[tuple[str, Any]]) -> dict[str, int]:
    """Entries per table, by table name."""
    return {name: len(table) for name, table in tables}


def positions(consumer: Any, tps: Iterable[Any]) -> dict[str, dict[str, object]]:
    """Where faust's consumer is in each partition: what to look at when a partition has lag and
    nobody reads it. These are faust's own fields (0.15.3); one it lacks reads as None."""
    read = getattr(consumer, "_read_offset", {})
    committed = getattr(consumer, "_committed_offset", {})
    acked = getattr(consumer, "_acked", {})
    gaps = getattr(consumer, "_gap", {})
    paused: set[Any] = getattr(consumer, "_paused_partitions", set())
    return {
        f"{tp.topic}:{tp.partition}": {
            "read": read.get(tp), "committed": committed.get(tp), "acked_uncommitted": len(acked.get(tp) or ()),
            "gaps": len(gaps.get(tp) or ()), "paused": tp in paused,
        }
        for tp in tps
    }


def build_report(
    tables: Iterable[tuple[str, Any]], assigned: Iterable[str], ever_assigned: int, standby: Iterable[str],
    recovered: bool, *, host: str, pid: int, now: datetime, reading: dict[str, dict[str, object]] | None = None,
    flow_active: bool | None = None, collector: dict[str, object] | None = None,
) -> dict[str, object]:
    return {
        "host": host,
        "pid": pid,
        "at": now.isoformat(),
        "recovered": recovered,
        "tables": table_sizes(tables),
        "assigned_partitions": sorted(assigned),
        "partitions_ever_assigned": ever_assigned,
        "standby_partitions": sorted(standby),
        "reading": reading or {},
        "flow_active": flow_active,
        "collector": collector or {},
    }


def write_report(path: Path, report: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(report, sort_keys=True))
    partial.replace(path)


def read_reports(data_dir: Path) -> list[dict[str, Any]]:
    """Every worker report under `data_dir` (a worker that stopped leaves its last one)."""
    found = []
    for path in sorted(reports_dir(data_dir).glob("*.json")):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # removed or replaced while listing
    return found


def install(app: faust.App, data_dir: Path, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Path:
    """Have `app` write its report every REPORT_EVERY_SECONDS; returns where."""
    host, pid = socket.gethostname(), os.getpid()
    path = report_path(data_dir, host, pid)
    ever: set[str] = set()

    def _name(tp: Any) -> str:
        return f"{tp.topic}:{tp.partition}"

    @app.timer(REPORT_EVERY_SECONDS, name="worker-report")
    async def _report() -> None:
        recovery = cast("TableManager", app.tables).recovery  # the manager's type does not declare it
        changelogs = app.tables.changelog_topics
        sources = [tp for tp in app.consumer.assignment() if tp.topic not in changelogs]
        assigned = {_name(tp) for tp in sources}
        ever.update(assigned)
        report = build_report(
            list(app.tables.items()),
            assigned,
            len(ever),
            map(_name, recovery.standby_tps),
            recovery.completed.is_set() and not recovery.in_recovery,
            host=host, pid=pid, now=now(),
            reading=positions(app.consumer, sources),
            flow_active=getattr(app.consumer, "flow_active", None),
            collector=WATCH.snapshot(),
        )
        write_report(path, report)

    return path
