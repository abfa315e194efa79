"""Build the packaged name-popularity table from the 2016 cs harvest.

`python -m evaluation.name_popularity` reads every author line of `../shared/data/arxiv-oai-cs-2016`
(102,538 papers, with the producer's mapping) and writes
`stream_processors/linking/data/name-popularity-v1.json.gz`: distinct full names, and per folded
surname and per first given name how many distinct full names carry it (popularity.py). It is the
original harvest: the pseudo-namesakes' renaming never reaches it.
"""

from __future__ import annotations

import sys

from evaluation.namesakes import read_oai_raw
from stream_processors.linking.popularity import PACKAGED, build


def main() -> int:
    papers = read_oai_raw()
    table = build(((a.keyname, a.forenames) for paper in papers for a in paper.authors), "v1",
                  f"arxiv-oai-cs-2016 ({len(papers)} papers)")
    table.save(PACKAGED)
    print(f"{table.distinct_names} distinct full names, {len(table.surnames)} surnames, "
          f"{len(table.given_names)} first given names -> {PACKAGED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
