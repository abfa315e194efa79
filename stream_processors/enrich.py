"""The enrichment transform: raw papers plus their vectors become enriched paper events.

Pure: the encoder and the clock are passed in. The agent in `app.py` does the I/O around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from schemas.papers import Embedding, EnrichedPaper, RawPaper
from stream_processors.encoder import Encoder


def embedding_text(paper: RawPaper) -> str:
    """What the encoder reads: the title, then the abstract (the encoder truncates the tail)."""
    return f"{paper.title}. {paper.abstract}" if paper.abstract else paper.title


def enrich_batch(
    papers: Sequence[RawPaper], encoder: Encoder, clock: Callable[[], datetime]
) -> list[EnrichedPaper]:
    if not papers:
        return []
    vectors = encoder.encode([embedding_text(paper) for paper in papers])
    now = clock()
    return [
        EnrichedPaper(paper=paper, embedding=Embedding.from_vector(encoder.name, vector), enriched_at=now)
        for paper, vector in zip(papers, vectors, strict=True)
    ]
