"""Real records for the benchmarks: the 2016 cs OAI harvest in `../shared/data`, in harvest order.

Harvest order (not a sample) is what a backfill sees: neighbouring records share authors, which
is what linking and profiles work on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from evaluation.labelled_papers import OAI_CS_2016
from foundation.errors import ScholarStreamError
from producers.oai_records import page_files, papers_in_pages
from schemas.papers import RawPaper


def harvest_papers(limit: int | None = None, skip: int = 0, path: Path = OAI_CS_2016) -> Iterator[RawPaper]:
    """Valid, non-deleted records after the first `skip`, at most `limit` of them."""
    pages = page_files(path)
    if not pages:
        raise ScholarStreamError(f"no harvest pages under {path}: the benchmarks read the shared data beside the checkout")
    seen = given = 0
    for paper in papers_in_pages(pages):
        seen += 1
        if seen <= skip:
            continue
        if limit is not None and given >= limit:
            return
        given += 1
        yield paper
