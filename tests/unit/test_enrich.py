"""The enrichment transform with a small deterministic encoder: no model, no Kafka."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from schemas.papers import Author, RawPaper
from stream_processors.enrich import embedding_text, enrich_batch


class LengthEncoder:
    """Encodes a text as [len, vowels, 1]: enough to tell texts apart and check ordering."""

    name = "length-encoder"
    dim = 3

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return np.array([[len(t), sum(c in "aeiou" for c in t), 1] for t in texts], dtype=np.float32)


def raw(arxiv_id: str, title: str, abstract: str = "") -> RawPaper:
    return RawPaper(
        arxiv_id=arxiv_id, version=1, title=title, abstract=abstract,
        authors=(Author(keyname="Doe"),), categories=("cs.DS",), source="snapshot",
    )


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_text_is_title_then_abstract():
    assert embedding_text(raw("1006.5314", "Graphs", "We study graphs.")) == "Graphs. We study graphs."
    assert embedding_text(raw("1006.5314", "Graphs")) == "Graphs"


def test_batch_is_encoded_once_in_order():
    encoder = LengthEncoder()
    papers = [raw("1006.5314", "A"), raw("1006.5315", "Bee", "cc")]
    enriched = enrich_batch(papers, encoder, lambda: NOW)
    assert encoder.calls == [["A", "Bee. cc"]]
    assert [e.arxiv_id for e in enriched] == ["1006.5314", "1006.5315"]
    assert enriched[1].embedding.vector().tolist() == [7.0, 2.0, 1.0]
    assert enriched[1].embedding.model == "length-encoder"
    assert all(e.enriched_at == NOW for e in enriched)


def test_empty_batch_does_not_call_the_encoder():
    encoder = LengthEncoder()
    assert enrich_batch([], encoder, lambda: NOW) == []
    assert encoder.calls == []


def test_inputs_are_not_mutated():
    papers = [raw("1006.5314", "A", "b")]
    before = [p.model_dump() for p in papers]
    enrich_batch(papers, LengthEncoder(), lambda: NOW)
    assert [p.model_dump() for p in papers] == before
