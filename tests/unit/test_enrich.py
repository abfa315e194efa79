"""The enrichment transform with a small deterministic encoder: no model, no Kafka."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from schemas.papers import Author, RawPaper
from stream_processors.encoder import TokenVectors
from stream_processors.enrich import author_mentions, embedding_text, enrich_batch
from stream_processors.topic_model.fields import FieldTopicModel

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


class WordHashEncoder:
    """Each word maps to a fixed pseudo-random vector; a text is the mean of its words.
    Deterministic and cheap, with real token offsets, so keyphrases and topics can be checked."""

    name = "word-hash"
    dim = 16

    def __init__(self):
        self.calls: list[list[str]] = []

    def _word(self, word: str) -> np.ndarray:
        rng = np.random.default_rng(sum(map(ord, word.lower())))
        return rng.standard_normal(self.dim).astype(np.float32)

    def encode_tokens(self, texts):
        self.calls.append(list(texts))
        out = []
        for text in texts:
            import re

            spans = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
            tokens = np.stack([self._word(text[s:e]) for s, e in spans])
            vector = tokens.mean(axis=0)
            out.append(TokenVectors(vector / np.linalg.norm(vector), tokens, [(0, 0), *spans, (0, 0)][1:-1]))
        return out

    def encode(self, texts):
        return np.stack([t.vector for t in self.encode_tokens(texts)])


def raw(arxiv_id: str, title: str, abstract: str = "", authors=(("Balázs", "Csaba"),)) -> RawPaper:
    return RawPaper(
        arxiv_id=arxiv_id, version=1, title=title, abstract=abstract,
        authors=tuple(Author(keyname=k, forenames=f) for k, f in authors), categories=("cs.DS",), source="snapshot",
    )


def model_for(encoder: WordHashEncoder) -> FieldTopicModel:
    labels = ("cs.DS", "cs.IR", "math.CO", "quant-ph")
    centroids = WordHashEncoder().encode(["graph algorithms", "search ranking", "graph colouring", "quantum states"])
    return FieldTopicModel("test-fields", encoder.name, labels, centroids, np.zeros(4, dtype=np.float32), 0.1, 0.0)


def test_text_is_title_then_abstract():
    assert embedding_text(raw("1006.5314", "Graphs", "We study graphs.")) == "Graphs. We study graphs."
    assert embedding_text(raw("1006.5314", "Graphs")) == "Graphs"


def test_batch_is_encoded_once_and_fields_are_filled():
    encoder = WordHashEncoder()
    papers = [raw("1006.5314", "Quantum states", "Entangled quantum states of light."),
              raw("1006.5315", "Search ranking", "Ranking search results for retrieval.")]
    enriched = enrich_batch(papers, [NOW, NOW], encoder, model_for(encoder))
    assert encoder.calls == [[embedding_text(p) for p in papers]]
    assert [e.arxiv_id for e in enriched] == ["1006.5314", "1006.5315"]
    assert enriched[0].topics[0].code == "quant-ph" and enriched[0].topics[0].name == "Quantum Physics"
    assert enriched[1].topics[0].code == "cs.IR"
    assert len(enriched[0].topics) == 3
    assert abs(sum(t.score for t in enriched[0].topics) - 1) < 0.5
    assert enriched[0].topic_model == "test-fields"
    assert enriched[0].embedding.dim == 16 and enriched[0].embedding.model == "word-hash"
    assert enriched[0].ingested_at == NOW
    assert enriched[0].keyphrases and all(k.phrase for k in enriched[0].keyphrases)


def test_enrichment_does_not_depend_on_when_it_runs():
    encoder = WordHashEncoder()
    papers = [raw("1006.5314", "Quantum states", "Entangled quantum states.")]
    first = enrich_batch(papers, [NOW], encoder, model_for(encoder))
    again = enrich_batch(papers, [NOW], encoder, model_for(encoder))
    assert first == again


def test_mentions_carry_blocking_keys_in_author_order():
    paper = raw("1006.5314", "T", authors=(("Balázs", "Csaba"), ("ATLAS Collaboration", ""), ("de Bruyn Kops", "S. M.")))
    mentions = author_mentions(paper)
    assert [(m.position, m.blocking_key, m.is_collaboration) for m in mentions] == [
        (0, "balazs_c", False), (1, "atlascollaboration_", True), (2, "debruynkops_s", False)]


def test_empty_batch_does_not_call_the_encoder():
    encoder = WordHashEncoder()
    assert enrich_batch([], [], encoder, model_for(encoder)) == []
    assert encoder.calls == []


def test_inputs_are_not_mutated():
    papers = [raw("1006.5314", "A graph", "b")]
    before = [p.model_dump() for p in papers]
    encoder = WordHashEncoder()
    enrich_batch(papers, [NOW], encoder, model_for(encoder))
    assert [p.model_dump() for p in papers] == before


def test_overlapped_enrichment_gives_the_same_events_in_the_same_order():
    from concurrent.futures import ThreadPoolExecutor

    from stream_processors.enrich import enrich_overlapped

    encoder = WordHashEncoder()
    papers = [raw(f"2401.{n:05d}", f"Paper {n} on graph decomposition", "Quantum states and search ranking.") for n in range(7)]
    stamps = [NOW] * len(papers)
    with ThreadPoolExecutor(max_workers=1) as derive:
        overlapped = enrich_overlapped(papers, stamps, encoder, model_for(encoder), derive, chunk=3)
    assert [len(call) for call in encoder.calls] == [3, 3, 1], "encoded chunk by chunk"
    assert overlapped == enrich_batch(papers, stamps, WordHashEncoder(), model_for(encoder))
    assert [e.arxiv_id for e in overlapped] == [p.arxiv_id for p in papers]
