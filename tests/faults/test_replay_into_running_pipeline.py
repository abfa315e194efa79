"""Fault 5: topics are replayed from the earliest offset into a running pipeline.

Set up: 120 real snapshot records are backfilled and `run --until-caught-up` indexes them; every
document is captured (`_source`, `_version`, `_seq_no`). Then `scholarstream worker` and
`scholarstream indexer` run as processes while an operator does what operators do:
  A. ingests newer versions (v+1, revised title) of 12 of the papers;
  B. re-runs the original backfill: the same 120 records again, so the 12 papers' older versions
     arrive after their newer ones;
  C. stops the indexer, `scholarstream replay --group scholarstream-indexer --topic
     papers.enriched --to-earliest`, starts it again (the worker keeps running): the indexer
     re-reads every enriched record, the superseded versions of the 12 papers among them;
  D. stops the worker, `scholarstream replay --group scholarstream-worker --topic
     arxiv.papers.raw --to-earliest`, starts it again (the indexer keeps running).
From the first step to the end a sampler reads every document's version twice a second.

Checked: after both groups are back to zero lag, the index holds the same 120 ids and 120
documents (no duplicate); no version ever went down, neither between the captures nor in any
sample; the 12 papers are at v+1 with the revised title; every other document is byte-for-byte
the document captured before (same `_source`, and the same `_seq_no`: none was even rewritten);
`papers.enriched` gained exactly the 12 new versions (no replay re-enriched a paper), and no stage
dead-lettered anything.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from clients import es_io
from producers.snapshot import read_snapshot
from scholarstream.pipeline import total_lag
from tests.children import wait_for
from tests.faults.conftest import SAMPLE, Role, total_end
from tests.integration.conftest import cli

RECORDS = 120
BUMPED_EVERY = 10  # every 10th paper gets a newer version: 12 papers
REVISED = " (revised)"


def capture(settings) -> dict[str, dict]:
    """id -> {"source", "version" (the paper version in the document), "es_version", "seq_no"}."""
    es = es_io.client(settings)
    alias = settings.index("papers")
    es.indices.refresh(index=alias)
    hits = es.search(
        index=alias, query={"match_all": {}}, size=10_000, sort=["_doc"], version=True,
        seq_no_primary_term=True, source_exclude_vectors=False,
    )["hits"]["hits"]
    return {
        h["_id"]: {"source": h["_source"], "version": h["_source"]["version"], "es_version": h["_version"], "seq_no": h["_seq_no"]}
        for h in hits
    }


class VersionSampler(threading.Thread):
    """Reads every document's `version` twice a second and remembers any that went down."""

    def __init__(self, settings, start: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.es = es_io.client(settings)
        self.alias = settings.index("papers")
        self.last = dict(start)
        self.samples = 0
        self.decreases: list[tuple[str, int, int]] = []
        self.most_documents = 0
        self.missing: set[str] = set()
        self.errors = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                result = self.es.search(
                    index=self.alias, query={"match_all": {}}, size=10_000, source=["version"],  # type: ignore[arg-type]  # stub
                )
            except Exception:  # noqa: BLE001 - sampling  (a sample lost to a busy node is not a verdict)
                self.errors += 1
            else:
                seen = {hit["_id"]: hit["_source"]["version"] for hit in result["hits"]["hits"]}
                self.most_documents = max(self.most_documents, result["hits"]["total"]["value"])
                self.missing |= set(self.last) - set(seen)
                for doc_id, version in seen.items():
                    if version < self.last.get(doc_id, 0):
                        self.decreases.append((doc_id, self.last[doc_id], version))
                    self.last[doc_id] = max(version, self.last.get(doc_id, 0))
                self.samples += 1
            self.halt.wait(0.5)


def write_newer_versions(path: Path) -> dict[str, int]:
    """Every BUMPED_EVERY-th record of the backfill with one more version and a revised title."""
    bumped = {}
    with open(path, "w", encoding="utf-8") as handle:
        for n, line in enumerate(read_snapshot(SAMPLE)):
            if n >= RECORDS:
                break
            if n % BUMPED_EVERY:
                continue
            record = json.loads(line)
            latest = max(int(v["version"].lstrip("v")) for v in record["versions"])
            record["versions"].append({"version": f"v{latest + 1}", "created": "Mon, 16 Nov 2026 09:00:00 GMT"})
            record["title"] = record["title"] + REVISED
            bumped[record["id"]] = latest + 1
            handle.write(json.dumps(record) + "\n")
    return bumped


def ingest(*args: str) -> int:
    result = cli("ingest", "snapshot", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["produced"]


def replay_from_earliest(group: str, topic: str) -> int:
    result = cli("replay", "--group", group, "--topic", topic, "--to-earliest", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    return sum(row["to_reread"] for row in json.loads(result.stdout)["partitions"])


def caught_up(settings) -> bool:
    return total_lag(settings) == {"worker": 0, "indexer": 0}


def test_replays_into_a_running_pipeline_duplicate_nothing_and_move_nothing_backwards(namespace, tmp_path, record_property):
    settings = namespace("replay")
    assert ingest(str(SAMPLE), "--limit", str(RECORDS)) == RECORDS
    first = cli("run", "--until-caught-up", "--timeout", "540", "--json")
    assert first.returncode == 0, first.stderr
    before = capture(settings)
    assert len(before) == RECORDS
    enriched_before = total_end(settings, "papers.enriched")
    bumped = write_newer_versions(tmp_path / "newer.jsonl")
    assert all(bumped[i] == before[i]["version"] + 1 for i in bumped)

    sampler = VersionSampler(settings, {i: d["version"] for i, d in before.items()})
    sampler.start()
    worker, indexer = Role("worker", settings), Role("indexer", settings)
    timings = {}
    try:
        began = time.monotonic()
        newer = ingest(str(tmp_path / "newer.jsonl"))  # A
        timings["newer_versions_indexed_s"] = round(wait_for(
            lambda: all(sampler.last.get(i) == v for i, v in bumped.items()), 300, "the newer versions in the index"), 1)

        reingested = ingest(str(SAMPLE), "--limit", str(RECORDS))  # B
        timings["reingest_caught_up_s"] = round(wait_for(lambda: caught_up(settings), 300, "the re-ingest to be consumed"), 1)

        assert indexer.stop() == 0  # C
        indexer_reread = replay_from_earliest("scholarstream-indexer", "papers.enriched")
        indexer = Role("indexer", settings)
        timings["indexer_replay_caught_up_s"] = round(wait_for(lambda: caught_up(settings), 300, "the indexer replay"), 1)

        assert worker.stop() == 0  # D
        worker_reread = replay_from_earliest("scholarstream-worker", "arxiv.papers.raw")
        worker = Role("worker", settings)
        timings["worker_replay_caught_up_s"] = round(wait_for(lambda: caught_up(settings), 300, "the worker replay"), 1)
        time.sleep(2)  # two more samples of the settled index
        timings["total_s"] = round(time.monotonic() - began, 1)
    finally:
        sampler.halt.set()
        codes = {"worker": worker.stop(), "indexer": indexer.stop()}
        sampler.join(10)
    assert codes == {"worker": 0, "indexer": 0}, worker.log_text()[-2000:] + indexer.log_text()[-2000:]

    after = capture(settings)
    es = es_io.client(settings)
    assert sorted(after) == sorted(before), "the same document ids"
    assert es.count(index=settings.index("papers"))["count"] == RECORDS, "no duplicate documents"
    backwards = {i: (before[i]["version"], after[i]["version"]) for i in before if after[i]["version"] < before[i]["version"]}
    assert backwards == {}
    assert sampler.decreases == [] and sampler.missing == set() and sampler.most_documents == RECORDS
    assert sampler.samples >= 10 and sampler.errors <= sampler.samples // 10

    untouched = [i for i in before if i not in bumped]
    changed = [i for i in untouched if after[i]["source"] != before[i]["source"]]
    assert changed == [], f"documents changed by the replays: {changed[:5]}"
    rewritten = [i for i in untouched if after[i]["seq_no"] != before[i]["seq_no"]]
    assert rewritten == [], f"documents rewritten (same content) by the replays: {rewritten[:5]}"
    for doc_id, version in bumped.items():
        assert after[doc_id]["version"] == version and after[doc_id]["source"]["title"].endswith("(revised)")
    assert all(d["es_version"] == d["version"] for d in after.values()), "Elasticsearch's external version is the paper's"

    enriched_after = total_end(settings, "papers.enriched")
    assert enriched_after - enriched_before == len(bumped), "only the newer versions were enriched"
    dead = {t: total_end(settings, t) for t in ("arxiv.papers.dlq", "papers.enrich.dlq", "index.dlq")}
    assert dead == {t: 0 for t in dead}

    figures = {
        "records": RECORDS,
        "newer_versions_ingested": newer,
        "records_reingested": reingested,
        "indexer_records_replayed": indexer_reread,
        "worker_records_replayed": worker_reread,
        "enriched_events_before_after": [enriched_before, enriched_after],
        "documents_before_after": [len(before), len(after)],
        "version_samples": sampler.samples,
        "version_decreases": len(sampler.decreases),
        "documents_moved_to_newer_version": len(bumped),
        "untouched_documents_identical": len(untouched) - len(changed),
        "untouched_documents_rewritten": len(rewritten),
        **timings,
    }
    record_property("figures", figures)
    print("fault 5 figures:", json.dumps(figures))
