"""Fault 3: Kafka is stopped and started again while `scholarstream ingest snapshot` runs.

Injected: a snapshot file of 11,224 records (the 1,403 real records of the sample, eight times,
each copy under its own new-style ids 2601.00000-2601.11223 so every record is a distinct paper)
is ingested by `scholarstream ingest snapshot` as a child process; once Kafka has acknowledged
at least 1,500 of them, the fault stack's Kafka is stopped (SIGTERM to its process group) and
started again on the same log directory, while the ingest keeps reading and sending.

Checked: the ingest exits 0 and reports every record produced; `arxiv.papers.raw` then holds
exactly one record per id of the file (11,224 distinct keys and 11,224 records: nothing lost,
nothing written twice by the retries), and `arxiv.papers.dlq` is empty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import stack
from producers.snapshot import read_snapshot
from tests.children import wait_for
from tests.conftest import REPO
from tests.faults.conftest import SAMPLE, total_end
from tests.integration.conftest import read_topic

COPIES = 8
STOP_AFTER = 1_500


def write_snapshot(path: Path) -> set[str]:
    ids = set()
    with open(path, "w", encoding="utf-8") as handle:
        n = 0
        for _ in range(COPIES):
            for line in read_snapshot(SAMPLE):
                record = json.loads(line)
                record["id"] = f"2601.{n:05d}"
                ids.add(record["id"])
                handle.write(json.dumps(record) + "\n")
                n += 1
    return ids


def test_ingest_rides_out_a_kafka_restart_without_losing_a_record(namespace, tmp_path, record_property):
    settings = namespace("kafka-restart")
    snapshot = tmp_path / "snapshot-copies.jsonl"
    ids = write_snapshot(snapshot)

    ingest = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "ingest", "snapshot", str(snapshot), "--json"],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        def acknowledged() -> int:
            try:
                return total_end(settings, "arxiv.papers.raw")
            except Exception:  # noqa: BLE001 - retried  (the topic may not exist yet)
                return 0

        wait_for(lambda: acknowledged() >= STOP_AFTER or ingest.poll() is not None, 120, f"{STOP_AFTER} acknowledged records")
        at_stop = acknowledged()
        assert ingest.poll() is None and at_stop < len(ids), "Kafka must go down in the middle of the ingest"
        stopped_at = time.monotonic()
        stack.stop_service(settings, "kafka")
        down_for = time.monotonic() - stopped_at
        stack.up(settings)
        outage = time.monotonic() - stopped_at
        still_running_at_restart = ingest.poll() is None
        out, err = ingest.communicate(timeout=300)
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
    assert ingest.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert (summary["read"], summary["produced"], summary["rejected"]) == (len(ids), len(ids), 0)

    records = read_topic(settings, settings.topic("arxiv.papers.raw"))
    keys = [record.key.decode() for record in records]
    assert len(set(keys)) == len(ids) and set(keys) == ids, f"{len(ids - set(keys))} records lost"
    assert len(keys) == len(ids), f"{len(keys) - len(set(keys))} records written twice"
    assert total_end(settings, "arxiv.papers.dlq") == 0

    figures = {
        "records_in_file": len(ids),
        "acknowledged_before_stop": at_stop,
        "kafka_stop_s": round(down_for, 1),
        "kafka_outage_s": round(outage, 1),
        "ingest_still_running_when_kafka_returned": still_running_at_restart,
        "ingest_elapsed_s": summary["elapsed_seconds"],
        "records_in_topic": len(keys),
        "distinct_keys": len(set(keys)),
    }
    record_property("figures", figures)
    print("fault 3 figures:", json.dumps(figures))
