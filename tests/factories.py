"""Building valid events for tests without running the encoder."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from schemas.papers import Embedding, EnrichedPaper, Keyphrase, RawPaper, TopicScore
from stream_processors.enrich import author_mentions

INGESTED = datetime(2026, 11, 25, tzinfo=UTC)


def enriched_paper(paper: RawPaper, vector: np.ndarray, ingested_at: datetime = INGESTED) -> EnrichedPaper:
    return EnrichedPaper(
        paper=paper,
        embedding=Embedding.from_vector("test", np.asarray(vector, dtype=np.float32)),
        topics=(TopicScore(code=paper.primary_category, name=paper.primary_category, score=0.9),),
        topic_model="test-fields",
        keyphrases=(Keyphrase(phrase=paper.title.split()[0].lower(), score=0.5),),
        mentions=author_mentions(paper),
        ingested_at=ingested_at,
    )
