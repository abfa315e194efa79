"""Write one pseudo-namesake group of real records as a snapshot file, with its truth beside it.

`python -m evaluation.namesakes_fixture li|lei tests/fixtures/snapshot-namesakes.jsonl` builds the
pseudo-namesakes (`namesakes.build_namesakes`, its seed) from the 2016 harvest and writes the
group's renamed papers in the arXiv snapshot format that `scholarstream ingest snapshot` reads,
plus `<file>.truth.json` (paper id -> the original author, the true person). The integration test
`tests/integration/test_namesakes_pipeline.py` feeds it through Kafka.
"""

from __future__ import annotations

import json
import sys
from email.utils import format_datetime
from pathlib import Path

from evaluation import namesakes
from schemas.papers import RawPaper


def snapshot_record(paper: RawPaper) -> dict[str, object]:
    """The paper as one line of the arXiv snapshot (the fields `producers.snapshot` reads)."""
    created = format_datetime(paper.submitted) if paper.submitted else None
    return {
        "id": paper.arxiv_id,
        "submitter": None,
        "authors": ", ".join(" ".join(p for p in (a.forenames, a.keyname) if p) for a in paper.authors),
        "title": paper.title,
        "comments": paper.comments,
        "journal-ref": paper.journal_ref,
        "doi": paper.doi,
        "report-no": None,
        "categories": " ".join(paper.categories),
        "license": paper.license,
        "abstract": paper.abstract,
        "versions": [{"version": "v1", "created": created}],
        "update_date": paper.submitted.date().isoformat() if paper.submitted else None,
        "authors_parsed": [[a.keyname, a.forenames, a.suffix, *a.affiliations] for a in paper.authors],
    }


def main(argv: list[str]) -> int:
    target_key, output = argv[0], Path(argv[1])
    raw = namesakes.read_oai_raw()
    built = namesakes.the_set(raw)
    keys = sorted(k for k, target in built.group_of.items() if target == target_key)
    if not keys:
        raise SystemExit(f"no group {target_key!r}: one of {sorted(set(built.group_of.values()))}")
    positions = {key.split("#")[0]: int(key.split("#")[1]) for key in keys}
    group = next(g for g in built.groups if g.target.key == target_key)
    by_id = {paper.arxiv_id: paper for paper in raw}
    lines, truth = [], {}
    for paper_id in sorted(positions, key=lambda pid: (by_id[pid].submitted, pid)):
        renamed = namesakes.rename_paper(by_id[paper_id], positions[paper_id], group.target)
        lines.append(json.dumps(snapshot_record(renamed), ensure_ascii=False))
        truth[paper_id] = {"position": positions[paper_id], "person": built.truth[f"{paper_id}#{positions[paper_id]}"]}
    output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output.with_suffix(".truth.json").write_text(json.dumps({"target": target_key, "papers": truth}, indent=2) + "\n",
                                                 encoding="utf-8")
    print(f"{len(lines)} papers of {len(set(t['person'] for t in truth.values()))} people written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
