"""Fault 1: the worker is SIGKILLed three times during a backfill and restarted each time.

Injected: 120 real snapshot records are ingested; `scholarstream worker` (encoder batches of 8)
is killed with SIGKILL (its whole process group, no shutdown) three times, each time once it
has enriched a further ~30 papers, and restarted; the last restart is `scholarstream run
--until-caught-up`, which also runs the indexer. The same records go through an uninterrupted
`run --until-caught-up` in another namespace.

Checked: the two `papers` indices hold exactly the same document ids (120 each, nothing missing,
nothing extra); every document's content fingerprint is equal, where the fingerprint is a hash
of the `_source` without
  - `embedding`: a re-run pads encoder batches differently, so floats differ in the last bits;
    compared separately, element-wise within one int8 step of the vector (the stored precision);
  - `topics[].score`: derived from those floats; compared within 1e-3 (the codes and their order
    stay in the fingerprint);
  - `ingested_at`: the raw record's Kafka timestamp, which differs between two ingests by
    construction; in the killed run it must still equal its own raw record's timestamp, i.e.
    re-enrichment after a kill did not change it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import numpy as np

from scholarstream.pipeline import total_lag
from tests.children import wait_for
from tests.faults.conftest import SAMPLE, Role, indexed_documents, indexed_researchers, total_end
from tests.integration.conftest import cli, read_topic

RECORDS = 120
KILL_AFTER = (30, 60, 90)  # enriched records seen before each kill
VARYING = ("embedding", "ingested_at")


def fingerprint(source: dict) -> str:
    kept = {key: value for key, value in source.items() if key not in VARYING}
    kept["topics"] = [topic["code"] for topic in source["topics"]]
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def backfill() -> None:
    """Into the namespace the environment points at (the last `namespace(...)`)."""
    ingested = cli("ingest", "snapshot", str(SAMPLE), "--limit", str(RECORDS), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["produced"] == RECORDS


def run_until_caught_up() -> dict:
    """Over the namespace the environment points at (the last `namespace(...)`)."""
    run = cli("run", "--until-caught-up", "--timeout", "540", "--json")
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert result["caught_up"] is True and result["exit_codes"] == {"worker": 0, "indexer": 0}
    return result


DERIVED = ("papers.enriched", "researcher.mentions", "researcher.authorships", "researcher.works", "researcher.profiles",
           "researcher.profile.works", "researcher.merges")
DEAD_LETTERS = ("papers.enrich.dlq", "researcher.link.dlq", "researcher.merges.dlq", "researcher.signals.dlq", "index.dlq")


def derived_records(baseline, faulted) -> dict[str, list[int]]:
    """Each derived topic's records: [uninterrupted run, killed run]."""
    return {topic: [total_end(baseline, topic), total_end(faulted, topic)] for topic in DERIVED}


def explain_researchers(baseline, faulted, expected: dict, actual: dict) -> str:
    """What a failure needs to be understood after the stack is gone: the researchers missing or
    extra with their works, every dead letter of the killed run with its reason, and how many
    records each derived topic holds in the two runs."""
    lines = []
    for label, ids, side in (("missing", set(expected) - set(actual), expected), ("extra", set(actual) - set(expected), actual)):
        papers = sorted({work for rid in ids for work in side[rid]["works"]})
        lines.append(f"{len(ids)} {label} researchers, on {len(papers)} papers: {papers[:20]}")
    for topic in DEAD_LETTERS:
        letters = read_topic(faulted, faulted.topic(topic))
        lines += [f"dead letter in {topic}: {json.loads(r.value).get('reason')}" for r in letters[:10]]
    for topic, (uninterrupted, killed) in derived_records(baseline, faulted).items():
        lines.append(f"{topic}: {uninterrupted} records uninterrupted, {killed} killed")
    return "\n".join(lines)


def test_three_worker_sigkills_leave_the_same_index_as_an_uninterrupted_run(namespace, record_property):
    baseline = namespace("baseline")
    backfill()
    run_until_caught_up()
    expected = indexed_documents(baseline)
    assert len(expected) == RECORDS
    expected_researchers = indexed_researchers(baseline)

    faulted = namespace("faulted")
    backfill()
    kills = []
    for threshold in KILL_AFTER:
        worker = Role("worker", faulted)
        try:
            wait_for(
                lambda threshold=threshold, worker=worker: total_end(faulted, "papers.enriched") >= threshold or not worker.alive(),
                300,
                f"the worker to enrich {threshold} papers",
            )
            assert worker.alive(), worker.log_text()[-3000:]
        finally:
            worker.kill()
        kills.append(total_end(faulted, "papers.enriched"))
    assert all(threshold <= seen < RECORDS for threshold, seen in zip(KILL_AFTER, kills, strict=False)), (
        f"each kill must land mid-backfill: enriched records at the kills {kills}"
    )
    result = run_until_caught_up()
    assert result["lag"] == {"worker": 0, "indexer": 0} and total_lag(faulted) == {"worker": 0, "indexer": 0}

    actual = indexed_documents(faulted)
    assert sorted(actual) == sorted(expected), "same document ids, nothing missing, nothing extra"
    assert result["indexed_documents"] == RECORDS

    differing = [doc_id for doc_id in expected if fingerprint(expected[doc_id]) != fingerprint(actual[doc_id])]
    assert differing == [], f"content fingerprints differ for {differing[:5]}"
    # Enriched v4 stores the vector in int8 with one scale a vector (its largest magnitude / 127):
    # two float32 encodings 1e-7 apart (another batch padding) can round a component to
    # neighbouring steps, one step apart. So each component may differ by at most one step of its
    # vector; anything more is a real difference.
    deltas, over = [], []
    for i in expected:
        want, got = np.asarray(expected[i]["embedding"]), np.asarray(actual[i]["embedding"])
        step = max(np.abs(want).max(), np.abs(got).max()) / 127
        deltas.append(float(np.max(np.abs(want - got))))
        if np.any(np.abs(want - got) > step * 1.001 + 1e-6):
            over.append(i)
    assert over == [], f"embeddings differ by more than one int8 step: {over[:5]} (up to {max(deltas)})"
    score_deltas = [
        abs(a["score"] - b["score"]) for i in expected for a, b in zip(expected[i]["topics"], actual[i]["topics"], strict=True)
    ]
    assert max(score_deltas) <= 1e-3

    # Linking ran during the kills too (it follows enrichment in the same worker): the same
    # researcher ids with the same works, names and collaborators as the uninterrupted run.
    actual_researchers = indexed_researchers(faulted)
    assert sorted(actual_researchers) == sorted(expected_researchers), (
        "same researcher ids\n" + explain_researchers(baseline, faulted, expected_researchers, actual_researchers)
    )
    differing_researchers = [rid for rid in expected_researchers if expected_researchers[rid] != actual_researchers[rid]]
    assert differing_researchers == [], f"researchers differ: {differing_researchers[:5]}"

    raw_stamps = {
        r.key.decode(): datetime.fromtimestamp(r.timestamp / 1000, tz=UTC)
        for r in read_topic(faulted, faulted.topic("arxiv.papers.raw"))
    }
    assert all(datetime.fromisoformat(doc["ingested_at"]) == raw_stamps[i] for i, doc in actual.items())

    enriched_events = total_end(faulted, "papers.enriched")
    figures = {
        "records": RECORDS,
        "enriched_at_each_kill": kills,
        "enriched_events_total": enriched_events,
        "re_emitted_after_kills": enriched_events - RECORDS,
        "documents": len(actual),
        "fingerprints_equal": len(actual) - len(differing),
        "max_embedding_delta": max(deltas),
        "max_topic_score_delta": max(score_deltas),
        "researchers": len(actual_researchers),
        "researcher_fingerprints_equal": len(actual_researchers) - len(differing_researchers),
        "derived_records": derived_records(baseline, faulted),
    }
    record_property("figures", figures)
    print("fault 1 figures:", json.dumps(figures))
