"""A worker SIGKILLed under load changes nothing (issue 16, cluster test 2).

Three workers and the indexer run as separate processes in one namespace while the records are
ingested; once the backlog is being worked on (enriched records written), one worker is killed
with SIGKILL (no shutdown hook, no final commit) and a new one is started a little later. The
group rebalances twice; what the dead worker had read but not committed is read again by whoever
takes its partitions. The indices must equal the uninterrupted one-worker reference run: no
record lost, re-emissions harmless.
"""

from __future__ import annotations

import time

from clients import kafka_io
from schemas.topics import PAPERS_ENRICHED
from tests.children import wait_for
from tests.cluster.conftest import REFERENCE_RECORDS, assert_same, indexed

WORKERS = 3


def _enriched(settings) -> int:
    return sum(kafka_io.end_offsets(settings, settings.topic(PAPERS_ENRICHED.name)).values())


def test_a_worker_killed_under_load_loses_nothing(reference, namespaces):
    namespace = namespaces("worker-dies")
    settings = namespace.settings()
    namespace.cli("setup", "--json")
    workers = [namespace.start("worker", f"worker-{i}") for i in range(1, WORKERS + 1)]
    namespace.start("indexer")
    namespace.ingest(REFERENCE_RECORDS)

    wait_for(lambda: _enriched(settings) >= REFERENCE_RECORDS // 4, 600, "a quarter of the records enriched")
    enriched_at_kill = _enriched(settings)
    victim = workers[1]
    assert victim.alive(), victim.log_text()[-3000:]
    victim.kill()
    killed_at = time.monotonic()
    time.sleep(10)
    namespace.start("worker", "worker-4")
    seconds = namespace.wait_caught_up(900)

    survivors = [p for p in namespace.processes if p is not victim]
    assert all(p.alive() for p in survivors), {p.name: p.log_text()[-2000:] for p in survivors if not p.alive()}
    after = indexed(settings)
    found = assert_same(reference, after)
    written = _enriched(settings)
    print(
        f"\nworker-2 SIGKILLed after {enriched_at_kill} of {REFERENCE_RECORDS} records were enriched; worker-4 started 10 s "
        f"later; caught up {time.monotonic() - killed_at:.0f} s after the kill ({seconds:.0f} s waiting); "
        f"{written} enriched records written for {len(after.papers)} papers ({written - len(after.papers)} re-emitted); "
        f"against the reference: {found.describe()}"
    )
