"""The enrichment transform with a small deterministic encoder: no model, no Kafka."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from encoders.base import TokenVectors
from schemas.papers import Author, RawPaper
from stream_processors.enrich import author_mentions, embedding_text, enrich_batch
from stream_processors.topic_model.fields import FieldTopicModel

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


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
    assert enriched[0].embedding.dtype == "i1" and enriched[0].schema_version == 4, "v4: the vector in int8"
    vector = encoder.encode([embedding_text(papers[0])])[0]
    assert np.abs(enriched[0].embedding.vector() - vector).max() <= enriched[0].embedding.scale / 2 + 1e-7
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


def _chunked(agent_encoder, papers, chunk):
    """Run the enrich agent's chunk pipeline (no Kafka: it only calls the encoder and transforms)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from stream_processors.agents.enrich import EnrichAgent

    async def run():
        with ThreadPoolExecutor(1) as encode:
            agent = EnrichAgent(agent_encoder, model_for(WordHashEncoder()), None, None, None, "raw", encode, chunk=chunk)
            items = [(paper, NOW, None) for paper in papers]
            return [(len(part), results) async for part, results in agent._enrich_in_chunks(items, asyncio.get_running_loop())]

    return asyncio.run(run())


def test_chunk_pipeline_gives_the_events_of_one_batch_in_order():
    encoder = WordHashEncoder()
    papers = [raw(f"2401.{n:05d}", f"Paper {n} on graph decomposition", "Quantum states and search ranking.") for n in range(7)]
    chunks = _chunked(encoder, papers, chunk=3)
    assert [size for size, _ in chunks] == [3, 3, 1]
    assert [len(call) for call in encoder.calls] == [3, 3, 1], "one forward pass per chunk"
    events = [event for _, results in chunks for event in results]
    assert events == enrich_batch(papers, [NOW] * len(papers), WordHashEncoder(), model_for(encoder))


def test_a_failing_chunk_is_enriched_one_by_one_and_only_the_poison_paper_fails():
    class Poisoned(WordHashEncoder):
        def encode_tokens(self, texts):
            if any("poison" in text for text in texts):
                raise ValueError("cannot encode this")
            return super().encode_tokens(texts)

    papers = [raw("2401.00001", "Fine graphs"), raw("2401.00002", "A poison pill"), raw("2401.00003", "Fine trees"),
              raw("2401.00004", "More fine graphs")]
    results = [r for _, rs in _chunked(Poisoned(), papers, chunk=3) for r in rs]
    assert [getattr(r, "arxiv_id", None) for r in results] == ["2401.00001", None, "2401.00003", "2401.00004"]
    assert results[1] == "ValueError: cannot encode this"
