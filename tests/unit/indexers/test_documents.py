"""Paper documents: what each indexed field must hold."""

from __future__ import annotations

import numpy as np

from indexers.documents import paper_document
from indexers.mappings import PAPERS
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.papers import EnrichedPaper
from tests.factories import enriched_paper


def enriched(fixtures) -> EnrichedPaper:
    line = next(iter(read_snapshot(fixtures / "snapshot-40.jsonl")))
    return enriched_paper(snapshot_record_to_paper(line), np.array([0.5, 0.25], dtype=np.float32))


def test_document_fields(fixtures):
    doc = paper_document(enriched(fixtures))
    assert doc["arxiv_id"] == "1006.5314"
    assert doc["version"] == 2
    assert doc["authors"] == ["M. Lepers", "O. Dulieu", "V. Kokoouline"]
    assert doc["primary_category"] == "quant-ph"
    assert doc["year"] == 2010
    assert doc["submitted"] == "2010-06-28T11:03:36+00:00"
    assert doc["embedding"] == [0.5, 0.25]
    assert doc["topics"] == [{"code": "quant-ph", "name": "quant-ph", "score": 0.9}]
    assert doc["author_keys"] == ["lepers_m", "dulieu_o", "kokoouline_v"]
    assert doc["ingested_at"] == "2026-11-25T00:00:00+00:00"


def test_document_matches_the_strict_mapping(fixtures):
    """Every field the document carries is mapped (the index is `dynamic: strict`)."""
    doc = paper_document(enriched(fixtures))
    assert set(doc) <= set(PAPERS.mappings["properties"])
