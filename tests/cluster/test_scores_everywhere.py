"""Every worker holds every collaborator score after all of them restart (issue 16, cluster test 5).

The `trust-scores` GlobalTable is the one piece of state every worker must hold whole: a profile on
one worker scores its collaboration from collaborators whose profiles live on the others. faust
warns that a GlobalTable with several app instances can loop in recovery, so this is tested, not
assumed: three workers backfill real records, all three stop, three new ones start on nothing new,
and each must report (stream_processors/worker_report.py) a recovered table with exactly as many
entries as the table's changelog holds keys, which is one per published profile.
"""

from __future__ import annotations

import json
import time

from clients import kafka_io
from stream_processors.app import TRUST_SCORES_TABLE, WORKER_GROUP
from stream_processors.worker_report import read_reports, reports_dir
from tests.children import wait_for
from tests.cluster.conftest import indexed

WORKERS = 3
RECORDS = 160


def _scores_in_changelog(settings) -> int:
    latest: dict[bytes, bytes | None] = {}
    for record in kafka_io.read_to_end(settings, f"{settings.group(WORKER_GROUP)}-{TRUST_SCORES_TABLE}-changelog"):
        latest[record.key] = record.value
    return sum(1 for value in latest.values() if value is not None)


def test_every_worker_holds_every_score_after_a_restart(namespaces):
    namespace = namespaces("scores-everywhere")
    namespace.ingest(RECORDS)
    run = namespace.cli("run", "--until-caught-up", "--timeout", "900", "--workers", str(WORKERS), "--json", timeout=1000)
    assert run.returncode == 0, run.stderr + run.stdout
    settings = namespace.settings()
    expected = _scores_in_changelog(settings)
    profiles = len(indexed(settings).researchers)
    assert expected == profiles > RECORDS  # one score per published profile (researchers, redirects included)

    for old in reports_dir(namespace.data_dir).glob("*.json"):
        old.unlink()
    began = time.monotonic()
    workers = [namespace.start("worker", f"again-{i}") for i in range(1, WORKERS + 1)]
    pids = {w.pid for w in workers}

    def holding() -> dict[int, dict]:
        return {r["pid"]: r for r in read_reports(namespace.data_dir) if r["pid"] in pids}

    def every_worker_holds_every_score() -> bool:
        assert all(w.alive() for w in workers), {w.name: w.log_text()[-2000:] for w in workers if not w.alive()}
        reports = holding()
        return len(reports) == WORKERS and all(
            r["recovered"] and r["tables"].get(TRUST_SCORES_TABLE) == expected for r in reports.values()
        )

    try:
        wait_for(every_worker_holds_every_score, 240, f"each of {WORKERS} workers to hold {expected} scores")
    finally:
        print(f"\nafter the restart, {time.monotonic() - began:.0f} s: changelog {expected} scores, index {profiles} profiles; "
              f"workers {json.dumps({pid: r['tables'] for pid, r in holding().items()})}")
    namespace.stop_all()
    assert all(w.process.returncode == 0 for w in workers), {w.name: w.log_text()[-2000:] for w in workers}
