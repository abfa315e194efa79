"""Fault 4: 1,000 malformed and hostile records mixed with good ones.

Injected (generated deterministically by `tests/faults/hostile.py`):
  - 800 bad lines in a snapshot file, interleaved with 40 good real records (a good one after
    every 20 bad): broken JSON (truncated, trailing garbage, Python repr, binary garbage with NUL,
    50,000-deep nesting), non-objects, wrong types (id, title, authors, authors_parsed,
    categories, versions), missing fields, invalid ids (versioned, path traversal, script tags,
    Arabic-Indic and full-width digits, zero-width space, NUL, ANSI escapes, JNDI strings), huge
    fields (titles over 2,000 characters, abstracts over 20,000, 5,001+ authors, comments over
    5,000), bad version labels and dates, and one 1.5 MB line (its dead letter carries the first
    131,072 characters and says so);
  - 200 values produced straight to `arxiv.papers.raw`, past the producer's validation, 18 of
    them without a key, half before and half after the ingest: empty values, tombstones, non-JSON,
    invalid UTF-8, wrong schema version, unknown fields, control characters, naive timestamps,
    10,000-deep nesting, invalid ids, versions and categories, an abstract over 20,000 characters.

Checked: the ingest exits 0 with 40 produced and 800 rejected; every one of the 800 is in
`arxiv.papers.dlq` (stage ingest) and every one of the 200 in `papers.enrich.dlq` (stage
enrich), matched one to one by payload, each with a reason containing the expected words;
`run --until-caught-up` ends with both processes exiting 0 and zero lag; the `papers` index holds
exactly the 40 good ids; `index.dlq` is empty.
"""

from __future__ import annotations

import json

from clients import kafka_io
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.dead_letters import MAX_DEAD_LETTER_PAYLOAD, DeadLetter
from tests.faults.conftest import SAMPLE, indexed_documents, total_end
from tests.faults.hostile import Hostile, raw_values, snapshot_lines
from tests.integration.conftest import cli, read_topic

GOOD = 40
BAD_IN_FILE = 800
BAD_IN_TOPIC = 200


def test_every_hostile_record_is_dead_lettered_with_its_reason_and_the_good_ones_are_indexed(
    namespace, tmp_path, record_property
):
    settings = namespace("hostile")
    lines = [line for line, _ in zip(read_snapshot(SAMPLE), range(GOOD), strict=False)]
    good_ids = {json.loads(line)["id"] for line in lines}
    records = [json.loads(line) for line in lines]
    papers = [json.loads(snapshot_record_to_paper(line).model_dump_json()) for line in lines]

    in_file = list(snapshot_lines(records, BAD_IN_FILE - 1))
    oversized = json.dumps({**records[0], "abstract": "big " * 400_000})
    in_file.append(Hostile("oversized line (1.5 MB)", oversized.encode(), "abstract"))
    snapshot = tmp_path / "hostile.jsonl"
    with open(snapshot, "wb") as handle:
        for i, bad in enumerate(in_file):
            handle.write(bad.payload + b"\n")
            if i % 20 == 19:
                handle.write(lines[i // 20].encode() + b"\n")
    in_topic = list(raw_values(papers, BAD_IN_TOPIC))

    produce(settings, in_topic[: BAD_IN_TOPIC // 2])
    ingested = cli("ingest", "snapshot", str(snapshot), "--json")
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    summary = json.loads(ingested.stdout)
    assert (summary["read"], summary["produced"], summary["rejected"]) == (GOOD + BAD_IN_FILE, GOOD, BAD_IN_FILE)
    produce(settings, in_topic[BAD_IN_TOPIC // 2 :])

    run = cli("run", "--until-caught-up", "--timeout", "540", "--json")
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout
    result = json.loads(run.stdout)
    assert result["exit_codes"] == {"worker": 0, "indexer": 0} and result["lag"] == {"worker": 0, "indexer": 0}
    assert set(indexed_documents(settings)) == good_ids
    assert total_end(settings, "index.dlq") == 0

    ingest_letters = letters(settings, "arxiv.papers.dlq")
    enrich_letters = letters(settings, "papers.enrich.dlq")
    assert {letter.stage for letter in ingest_letters} == {"ingest"}
    assert {letter.stage for letter in enrich_letters} == {"enrich"}
    unmatched_file = match(in_file, ingest_letters)
    unmatched_topic = match(in_topic, enrich_letters)
    assert unmatched_file == [] and unmatched_topic == []
    assert len(ingest_letters) == BAD_IN_FILE and len(enrich_letters) == BAD_IN_TOPIC

    figures = {
        "good_records": GOOD,
        "bad_in_file": BAD_IN_FILE,
        "bad_in_topic": BAD_IN_TOPIC,
        "kinds_in_file": len({bad.kind for bad in in_file}),
        "kinds_in_topic": len({bad.kind for bad in in_topic}),
        "arxiv.papers.dlq": len(ingest_letters),
        "papers.enrich.dlq": len(enrich_letters),
        "indexed": len(good_ids),
        "run_seconds": round(result["elapsed_seconds"], 1),
    }
    record_property("figures", figures)
    print("fault 4 figures:", json.dumps(figures))


def produce(settings, values: list[Hostile]) -> None:
    producer = kafka_io.producer(settings)
    for bad in values:
        producer.send(settings.topic("arxiv.papers.raw"), key=bad.key, value=bad.payload)
    producer.flush()
    producer.close()


def letters(settings, logical_topic: str) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic(logical_topic))]


def match(sent: list[Hostile], received: list[DeadLetter]) -> list[str]:
    """Pair each sent record with a dead letter carrying its payload and the expected reason."""
    by_payload: dict[str, list[DeadLetter]] = {}
    for letter in received:
        by_payload.setdefault(letter.payload, []).append(letter)
    problems = []
    for bad in sent:
        text = bad.payload.decode("utf-8", "replace") if bad.payload is not None else repr(None)
        expected = [bad.reason]
        if len(text) > MAX_DEAD_LETTER_PAYLOAD:  # the dead letter carries the payload's start, and says so
            text, expected = text[:MAX_DEAD_LETTER_PAYLOAD], [bad.reason, "payload truncated"]
        candidates = by_payload.get(text, [])
        hit = next((letter for letter in candidates if all(words in letter.reason for words in expected)), None)
        if hit is None:
            problems.append(f"{bad.kind}: {text[:60]!r} -> {[c.reason[:80] for c in candidates] or 'no dead letter'}")
        else:
            candidates.remove(hit)
    return problems
