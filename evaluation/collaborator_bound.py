"""Does a profile show the right close collaborators with its coauthor counts bounded? (issue 17)

A profile counts its coauthors in its running totals, and keeps only the `COLLABORATOR_COUNTS_KEPT`
most frequent (ties by id) after every revision, so a prolific researcher's record stays bounded
(about 71 bytes a kept coauthor). A coauthor dropped at the bound starts again from one shared work
when they next appear. The profile shows the top `CLOSE_COLLABORATORS` of what is kept
(`rank_close_collaborators`). This measures what the bound costs the profile page, on real records:

For the `--names` most prolific printed names of each data set (the 2016 cs harvest in harvest
order, the 2025-2026 daily announcements in file order), the works of each name are applied one
revision at a time through the shipped `TotalsDraft`, with each bound in `--bounds` and with no
bound at all (the exact counts). Coauthors are the other printed names of works of at most
`CLOSE_COLLABORATION_MAX_AUTHORS` authors, as the profiles count them. At every revision the shown
list is compared with the exact one:

- `right`: the same collaborators with the same counts;
- `same_counts`: the same sequence of counts, the names differing only among collaborators tied at
  the list's last count (which of several people with 2 shared works is 20th);
- `wrong_number`: a shown collaborator with fewer shared works than they have (dropped at the
  bound once, counted again from one);
- `missing`: a collaborator with more shared works than the exact list's last one is not shown.

A printed name is not a person: in the daily set, "Yang Liu" is many people, with 1,288 distinct
coauthors on 289 papers. That is the hard case for a bound: many coauthors, few shared works each.

Usage: python -m evaluation.collaborator_bound [--names 40] [--bounds 100,200,500,1000]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evaluation.labelled_papers import DAILY_2025_2026, OAI_CS_2016, require_data
from foundation.settings import REPO_ROOT
from producers.oai_records import page_files, papers_in_pages
from schemas.names import fold
from schemas.profiles import CLOSE_COLLABORATION_MAX_AUTHORS, Coauthor, Collaborator, Work, WorkTotals
from stream_processors.profiles import COLLABORATOR_COUNTS_KEPT, TotalsDraft, rank_close_collaborators

RESULTS = REPO_ROOT / "evaluation" / "results"
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str
    category: str
    authors: tuple[str, ...]  # printed names, folded


def researcher_id(name: str) -> str:
    return "r-" + hashlib.sha1(name.encode()).hexdigest()[:16]


def harvest_2016(path: Path = OAI_CS_2016) -> Iterator[Paper]:
    for paper in papers_in_pages(page_files(require_data(path))):
        yield Paper(paper.arxiv_id, paper.title, paper.categories[0],
                    tuple(fold(f"{a.forenames} {a.keyname}") for a in paper.authors))


def daily(path: Path = DAILY_2025_2026) -> Iterator[Paper]:
    for month in sorted(require_data(path).glob("*.jsonl.gz")):
        with gzip.open(month, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                yield Paper(record["id"], " ".join(record["title"].split()) or "untitled", record["categories"][0],
                            tuple(fold(name) for name in record["authors"]))


def works_of(name: str, papers: Iterable[Paper]) -> list[Work]:
    """The name's papers as the profile would count them: coauthors only on small works."""
    works = []
    for paper in papers:
        small = len(paper.authors) <= CLOSE_COLLABORATION_MAX_AUTHORS
        coauthors = {printed: researcher_id(printed) for printed in paper.authors if printed and printed != name} if small else {}
        works.append(Work(arxiv_id=paper.arxiv_id, title=paper.title[:2_000], categories=(paper.category,),
                          author_count=len(paper.authors),
                          coauthors=tuple(Coauthor(researcher_id=rid, display_name=printed) for printed, rid in coauthors.items())))
    return works


def most_prolific(papers: Sequence[Paper], count: int) -> dict[str, list[Paper]]:
    """The `count` names on the most papers (ties by name), each with its papers in stream order."""
    by_name: defaultdict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        for name in dict.fromkeys(paper.authors):
            if name:
                by_name[name].append(paper)
    chosen = sorted(by_name, key=lambda name: (-len(by_name[name]), name))[:count]
    return {name: by_name[name] for name in chosen}


@dataclass
class Tally:
    revisions: int = 0
    right: int = 0
    same_counts: int = 0
    wrong_number: int = 0
    missing: int = 0
    final_right: int = 0
    final_same_counts: int = 0
    totals_bytes: list[int] = field(default_factory=list)  # each name's totals at its last revision

    def add(self, shown: Sequence[Collaborator], exact: Sequence[Collaborator], exact_counts: dict[str, int],
            last: bool) -> None:
        self.revisions += 1
        right = [(c.researcher_id, c.shared_works) for c in shown] == [(c.researcher_id, c.shared_works) for c in exact]
        same_counts = [c.shared_works for c in shown] == [c.shared_works for c in exact]
        self.right += right
        self.same_counts += same_counts
        self.wrong_number += any(c.shared_works < exact_counts[c.researcher_id] for c in shown)
        cutoff = exact[-1].shared_works if exact else 0
        shown_ids = {c.researcher_id for c in shown}
        self.missing += any(c.shared_works > cutoff and c.researcher_id not in shown_ids for c in exact)
        if last:
            self.final_right += right
            self.final_same_counts += same_counts

    def summary(self, names: int) -> dict[str, Any]:
        share = (lambda n: round(n / self.revisions, 4)) if self.revisions else (lambda _n: None)
        return {
            "names": names,
            "revisions": self.revisions,
            "right": share(self.right),
            "same_counts": share(self.same_counts),
            "wrong_number": share(self.wrong_number),
            "missing": share(self.missing),
            "final_right": self.final_right,
            "final_same_counts": self.final_same_counts,
            "totals_bytes_mean": round(sum(self.totals_bytes) / len(self.totals_bytes)) if self.totals_bytes else None,
            "totals_bytes_max": max(self.totals_bytes, default=None),
        }


def evaluate(names: dict[str, list[Paper]], bounds: Sequence[int]) -> dict[str, Any]:
    """Every bound against the exact counts, revision by revision, for each name's works."""
    tallies = {bound: Tally() for bound in bounds}
    distinct = {}
    for name, papers in names.items():
        works = works_of(name, papers)
        me = researcher_id(name)
        exact = WorkTotals()
        bounded = {bound: WorkTotals() for bound in bounds}
        for number, work in enumerate(works, 1):
            draft = TotalsDraft(exact, collaborators_kept=UNBOUNDED)
            draft.add(work)
            exact = draft.finish()
            exact_list = rank_close_collaborators(exact, {me})
            for bound in bounds:
                draft = TotalsDraft(bounded[bound], collaborators_kept=bound)
                draft.add(work)
                bounded[bound] = draft.finish()
                tallies[bound].add(rank_close_collaborators(bounded[bound], {me}), exact_list, exact.collaborators,
                                   last=number == len(works))
        for bound in bounds:
            tallies[bound].totals_bytes.append(len(bounded[bound].model_dump_json()))
        distinct[name] = {"papers": len(works), "distinct_coauthors": len(exact.collaborators),
                          "exact_totals_bytes": len(exact.model_dump_json())}
    return {"by_bound": {str(bound): tallies[bound].summary(len(names)) for bound in bounds}, "names": distinct}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=40, help="most prolific printed names of each data set")
    parser.add_argument("--bounds", default=f"100,200,500,{COLLABORATOR_COUNTS_KEPT}")
    parser.add_argument("--out", type=Path, default=RESULTS / "collaborator_bound.json")
    args = parser.parse_args()
    bounds = sorted(int(b) for b in args.bounds.split(",") if b)
    began = time.monotonic()
    report: dict[str, Any] = {"measured_at": datetime.now(UTC).isoformat(), "shipped_bound": COLLABORATOR_COUNTS_KEPT,
                              "names_per_set": args.names, "sets": {}}
    for label, read in (("oai-cs-2016", harvest_2016), ("daily-2025-2026", daily)):
        print(f"{label}: reading", file=sys.stderr, flush=True)
        names = most_prolific(list(read()), args.names)
        report["sets"][label] = evaluate(names, bounds)
        print(f"{label}: done ({time.monotonic() - began:.0f} s)", file=sys.stderr, flush=True)
    report["seconds"] = round(time.monotonic() - began)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'set':<16} {'bound':>6} {'right':>7} {'same counts':>11} {'wrong number':>12} {'missing':>8} "
          f"{'final right':>11} {'totals bytes mean / max':>24}")
    for label, result in report["sets"].items():
        for bound, row in result["by_bound"].items():
            print(f"{label:<16} {bound:>6} {row['right']:>7} {row['same_counts']:>11} {row['wrong_number']:>12} "
                  f"{row['missing']:>8} {row['final_right']:>5}/{row['names']:<5} "
                  f"{row['totals_bytes_mean']:>11} / {row['totals_bytes_max']}")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
