"""Fault 2: Elasticsearch is stopped for 60 seconds while the indexer is indexing.

Injected: 80 real snapshot records are ingested and `scholarstream worker` and `scholarstream
indexer` run as processes; once the indexer has committed its first batch (and the worker is
still enriching), the fault stack's Elasticsearch is stopped (SIGTERM to its process group),
kept down for 60 s, and started again on the same data.

Checked: while Elasticsearch is down the indexer stays alive, logs its backoff retries, and its
consumer group's committed offsets never move (sampled every 2 s) although enriched records keep
arriving; after Elasticsearch is back, both groups reach zero lag, the `papers` index holds all
80 ids, `index.dlq` is empty, and both processes exit 0 on SIGTERM.
"""

from __future__ import annotations

import json
import re
import time

import stack
from clients import es_io
from producers.snapshot import read_snapshot
from scholarstream.pipeline import total_lag
from tests.children import wait_for
from tests.faults.conftest import SAMPLE, Role, committed, indexed_documents, total_end
from tests.integration.conftest import cli

RECORDS = 80
OUTAGE_SECONDS = 60


def test_indexer_keeps_its_offsets_through_an_elasticsearch_outage_and_resumes(namespace, record_property):
    settings = namespace("es-outage")
    ingested = cli("ingest", "snapshot", str(SAMPLE), "--limit", str(RECORDS), "--json")
    assert ingested.returncode == 0, ingested.stderr
    expected_ids = {json.loads(line)["id"] for line, _ in zip(read_snapshot(SAMPLE), range(RECORDS), strict=False)}

    worker = Role("worker", settings)
    indexer = Role("indexer", settings)
    try:
        wait_for(lambda: sum(committed(settings, "scholarstream-indexer", "papers.enriched").values()) > 0, 300,
                 "the indexer's first committed batch")
        stack.stop_service(settings, "elasticsearch")
        stopped_at = time.monotonic()
        held = committed(settings, "scholarstream-indexer", "papers.enriched")
        enriched_at_stop = total_end(settings, "papers.enriched")
        assert enriched_at_stop < RECORDS, "the outage must begin while papers are still being enriched"

        samples = 0
        while time.monotonic() - stopped_at < OUTAGE_SECONDS:
            assert committed(settings, "scholarstream-indexer", "papers.enriched") == held, "offsets moved while ES was down"
            assert indexer.alive(), indexer.log_text()[-3000:]
            samples += 1
            time.sleep(2)
        enriched_during = total_end(settings, "papers.enriched")
        assert sum(v for v in held.values() if v > 0) < enriched_during, "records were waiting to be indexed"
        retries = [float(d) for d in re.findall(r"Elasticsearch write failed \(attempt \d+, retry in ([\d.]+)s\)", indexer.log_text())]
        assert len(retries) >= 3 and max(retries) <= 30, f"the indexer backs off with capped delays: {retries}"

        restarted = time.monotonic()
        stack.up(settings)
        es_io.client(settings).cluster.health(index=settings.index("papers"), wait_for_status="green", timeout="60s")
        outage = time.monotonic() - stopped_at
        es_back = time.monotonic() - restarted

        caught_up = wait_for(lambda: total_lag(settings) == {"worker": 0, "indexer": 0}, 300, "both groups to catch up")
        documents = indexed_documents(settings)
        assert set(documents) == expected_ids and len(documents) == RECORDS
        assert total_end(settings, "index.dlq") == 0
        assert total_end(settings, "papers.enrich.dlq") == 0
    finally:
        codes = {"worker": worker.stop(), "indexer": indexer.stop()}
    assert codes == {"worker": 0, "indexer": 0}, indexer.log_text()[-3000:]

    figures = {
        "records": RECORDS,
        "committed_offsets_held": held,
        "enriched_at_stop": enriched_at_stop,
        "enriched_when_es_returned": enriched_during,
        "offset_samples_while_down": samples,
        "retry_delays_s": retries,
        "outage_s": round(outage, 1),
        "es_restart_to_green_s": round(es_back, 1),
        "catch_up_after_green_s": round(caught_up, 1),
        "documents": len(documents),
    }
    record_property("figures", figures)
    print("fault 2 figures:", json.dumps(figures))
