"""The enrichment transform: raw papers plus their encodings become enriched paper events.

Pure: the encoder's output and the topic model are passed in; no I/O, no clock. The agent in
`agents/enrich.py` does the I/O around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from encoders.base import Encoder, TokenVectors
from schemas.names import blocking_key, is_collaboration
from schemas.papers import AuthorMention, Embedding, EnrichedPaper, Keyphrase, RawPaper, TopicScore
from stream_processors.keyphrases import extract_keyphrases
from stream_processors.topic_model.fields import FieldTopicModel

TOP_TOPICS = 3
TOP_KEYPHRASES = 5


def paper_embedding(encoder_name: str, vector: np.ndarray) -> Embedding:
    """A paper's vector as every record after the encoder carries it: int8 with a scale
    (`EnrichedPaper` v4), a quarter of float32's bytes at cosine 0.9998 or more to it."""
    return Embedding.from_vector(encoder_name, vector, "i1")


def encoder_text(title: str, abstract: str) -> str:
    """What the encoder reads: the title, then the abstract (the encoder truncates the tail).
    Evaluation builds its texts with this too, so it measures what the pipeline encodes."""
    return f"{title}. {abstract}" if abstract else title


def embedding_text(paper: RawPaper) -> str:
    return encoder_text(paper.title, paper.abstract)


def author_mentions(paper: RawPaper) -> tuple[AuthorMention, ...]:
    return tuple(
        AuthorMention(
            position=position,
            keyname=author.keyname,
            forenames=author.forenames,
            suffix=author.suffix,
            affiliations=author.affiliations,
            blocking_key=blocking_key(author.keyname, author.forenames),
            is_collaboration=is_collaboration(author.keyname, author.forenames),
        )
        for position, author in enumerate(paper.authors)
    )


def enrich_one(
    paper: RawPaper, encoded: TokenVectors, topics: list, encoder_name: str, topic_model: str, ingested_at: datetime
) -> EnrichedPaper:
    text = embedding_text(paper)
    keyphrases = extract_keyphrases(
        text, encoded.token_vectors, encoded.offsets, encoded.vector, k=TOP_KEYPHRASES, title_end=len(paper.title)
    )
    return EnrichedPaper(
        paper=paper,
        embedding=paper_embedding(encoder_name, encoded.vector),
        topics=tuple(TopicScore(code=t.code, name=t.name, score=t.score) for t in topics),
        topic_model=topic_model,
        keyphrases=tuple(Keyphrase(phrase=k.phrase, score=k.score) for k in keyphrases),
        mentions=author_mentions(paper),
        ingested_at=ingested_at,
    )


def encode_papers(papers: Sequence[RawPaper], encoder: Encoder) -> list[TokenVectors]:
    """The forward pass: each paper's vector and token vectors (the expensive part)."""
    return encoder.encode_tokens([embedding_text(paper) for paper in papers])


def derive_events(
    papers: Sequence[RawPaper],
    encoded: Sequence[TokenVectors],
    ingested_at: Sequence[datetime],
    encoder_name: str,
    field_model: FieldTopicModel,
) -> list[EnrichedPaper]:
    """Topics, keyphrases and the event for encoded papers (the part after the forward pass)."""
    topics = field_model.top(np.stack([e.vector for e in encoded]), k=TOP_TOPICS)
    return [
        enrich_one(paper, item, paper_topics, encoder_name, field_model.version, stamp)
        for paper, item, paper_topics, stamp in zip(papers, encoded, topics, ingested_at, strict=True)
    ]


def enrich_batch(
    papers: Sequence[RawPaper],
    ingested_at: Sequence[datetime],
    encoder: Encoder,
    field_model: FieldTopicModel,
) -> list[EnrichedPaper]:
    """Encode the batch once, then derive topics, keyphrases and mentions per paper."""
    if not papers:
        return []
    return derive_events(papers, encode_papers(papers, encoder), ingested_at, encoder.name, field_model)
