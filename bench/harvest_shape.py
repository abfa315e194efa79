"""What each window of the harvest brings, read from the records alone (issue 17: where growth comes from).

`bench.growth` runs the 2016 harvest in windows and finds the later windows dearer per paper. Two
things change from window to window: the papers themselves, and what the pipeline already holds
when they arrive. This counts, with no pipeline, for the same windows as `bench.growth`:

- author lines a paper;
- the share of author lines whose printed name (surname and forenames, folded) appeared on an
  earlier paper of the harvest: a researcher the pipeline most likely holds already, whose profile
  and block summary are read, decoded, updated and written again instead of made;
- the mean number of earlier papers of that name, over all author lines: how much a returning
  researcher's state holds when the line arrives (its newest works, collaborator counts, months).

A printed name is not a person: namesakes count as one and a name printed two ways as two. The
linker decides who is who; this is only the records' side, the same for every linker.

Usage: python -m bench.harvest_shape [--papers 102538] [--windows 10] [--name harvest-shape]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any

from bench.common import print_table, write_result
from bench.growth import split_evenly
from bench.records import harvest_papers
from schemas.names import fold
from schemas.papers import RawPaper


def printed_name(keyname: str, forenames: str) -> tuple[str, str]:
    """Surname and forenames folded as linking folds them (`schemas.names.fold`)."""
    return fold(keyname), fold(forenames)


def window_shapes(papers: Sequence[RawPaper], sizes: Iterable[int]) -> list[dict[str, Any]]:
    """One row a window: papers, author lines, returning share and mean earlier papers of the name."""
    seen: dict[tuple[str, str], int] = {}
    rows = []
    start = 0
    for number, size in enumerate(sizes, 1):
        lines = returning = earlier = 0
        for paper in papers[start:start + size]:
            for author in paper.authors:
                name = printed_name(author.keyname, author.forenames)
                before = seen.get(name, 0)
                lines += 1
                returning += before > 0
                earlier += before
                seen[name] = before + 1
        rows.append({
            "window": number,
            "records": f"{start + 1}-{start + size}",
            "author_lines_per_paper": round(lines / size, 3) if size else None,
            "returning_share": round(returning / lines, 3) if lines else None,
            "earlier_papers_of_the_name": round(earlier / lines, 2) if lines else None,
        })
        start += size
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=102_538)
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--name", default="harvest-shape")
    args = parser.parse_args()
    papers = list(harvest_papers(args.papers))
    rows = window_shapes(papers, split_evenly(len(papers), args.windows))
    path = write_result(args.name, {"papers": len(papers), "windows": rows})
    print_table("The harvest's windows, from the records alone", ["window", "records", "author lines a paper",
                "returning share", "earlier papers of the name"],
                [(r["window"], r["records"], r["author_lines_per_paper"], r["returning_share"], r["earlier_papers_of_the_name"])
                 for r in rows])
    print(f"written {path}")


if __name__ == "__main__":
    main()
