"""Three workers in one consumer group index what one worker indexes (issue 16, cluster test 1).

The same real records are backfilled by `scholarstream run --workers 3` into a namespace of its
own and compared with the one-worker reference run (`compare` in conftest.py: same papers; every
researcher with the same works, names and collaborators; ids equal unless the researcher was
created from another of its own first mentions; trust scores within the collaboration lag).
"""

from __future__ import annotations

import json

from stream_processors.worker_report import read_reports
from tests.cluster.conftest import REFERENCE_RECORDS, assert_same, indexed

WORKERS = 3


def test_three_workers_index_what_one_worker_indexes(reference, namespaces):
    namespace = namespaces("three-workers")
    namespace.ingest(REFERENCE_RECORDS)
    run = namespace.cli("run", "--until-caught-up", "--timeout", "900", "--workers", str(WORKERS), "--json", timeout=1000)
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    names = [f"worker-{i}" for i in range(1, WORKERS + 1)]
    assert result["caught_up"] is True
    assert result["exit_codes"] == dict.fromkeys([*names, "indexer"], 0)
    assert len({result["logs"][name] for name in names}) == WORKERS
    # Every worker ran and reported (stream_processors/worker_report.py); how many partitions each
    # read is printed, not asserted: a worker's last report may predate its first assignment.
    reports = read_reports(namespace.data_dir)
    assert len(reports) == WORKERS
    busy = {name: result["cpu_seconds"][name] for name in names}

    found = assert_same(reference, indexed(namespace.settings()))
    print(f"\n3 workers against 1: {found.describe()}; {result['elapsed_seconds']:.0f} s, CPU per worker {busy}, "
          f"partitions read per worker {[r['partitions_ever_assigned'] for r in reports]}")
    if found.refounded:
        print(f"created from another of their own mentions: {json.dumps(dict(list(found.refounded.items())[:5]))}")
