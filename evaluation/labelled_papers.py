"""Real papers with their own arXiv categories, split deterministically into train/calibration/test.

The split is by a hash of the arXiv id, so it is stable across runs and machines, and a paper
used to build the topic model can never appear in its evaluation.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import ScholarStreamError
from foundation.settings import REPO_ROOT
from producers.oai_records import page_files, papers_in_pages
from stream_processors.enrich import embedding_text, encoder_text
from stream_processors.topic_model.taxonomy import canonical_category

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
OAI_CS_2016 = SHARED_DATA / "arxiv-oai-cs-2016"
DAILY_2025_2026 = SHARED_DATA / "arxiv-daily-2025-2026"


@dataclass(frozen=True)
class LabelledPaper:
    arxiv_id: str
    text: str
    categories: tuple[str, ...]  # canonical codes, primary first

    @property
    def primary(self) -> str:
        return self.categories[0]


def split_of(arxiv_id: str) -> str:
    """'test' (10%), 'calibration' (10%) or 'train' (80%), fixed by the id."""
    bucket = int(hashlib.sha1(arxiv_id.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "calibration" if bucket == 1 else "train"


def require_data(path: Path) -> Path:
    """`path`, or a clear error when the shared data beside the checkout is not there."""
    if not path.exists():
        raise ScholarStreamError(f"{path} not found: the evaluation reads the shared data set beside the checkout")
    return path


def oai_cs_2016(path: Path = OAI_CS_2016) -> Iterator[LabelledPaper]:
    for paper in papers_in_pages(page_files(require_data(path))):
        categories = tuple(dict.fromkeys(canonical_category(c) for c in paper.categories))
        yield LabelledPaper(paper.arxiv_id, embedding_text(paper), categories)


def daily_2025_2026(path: Path = DAILY_2025_2026) -> Iterator[LabelledPaper]:
    for month in sorted(require_data(path).glob("*.jsonl.gz")):
        with gzip.open(month, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                text = encoder_text(" ".join(record["title"].split()), " ".join((record.get("summary") or "").split()))
                categories = tuple(dict.fromkeys(canonical_category(c) for c in record["categories"]))
                yield LabelledPaper(record["id"], text, categories)


def stratified_sample(papers: list[LabelledPaper], per_label: int, seed: int) -> list[LabelledPaper]:
    """At most `per_label` papers per primary category, so rare fields get a centroid too."""
    rng = random.Random(seed)
    shuffled = papers[:]
    rng.shuffle(shuffled)
    taken: Counter[str] = Counter()
    sample = []
    for paper in shuffled:
        if taken[paper.primary] < per_label:
            taken[paper.primary] += 1
            sample.append(paper)
    return sample


def random_sample(papers: list[LabelledPaper], size: int, seed: int) -> list[LabelledPaper]:
    rng = random.Random(seed)
    return rng.sample(papers, min(size, len(papers)))
