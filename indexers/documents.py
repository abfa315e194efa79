"""Pure mappings from events to Elasticsearch documents."""

from __future__ import annotations

from typing import Any

from schemas.papers import EnrichedPaper


def paper_document(item: EnrichedPaper) -> dict[str, Any]:
    paper = item.paper
    names = [author.full_name for author in paper.authors]
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": names,
        "author_names": names,
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "year": paper.year,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "source": paper.source,
        "topics": [{"code": t.code, "name": t.name, "score": t.score} for t in item.topics],
        "topic_model": item.topic_model,
        "keyphrases": [k.phrase for k in item.keyphrases],
        "author_keys": [m.blocking_key for m in item.mentions],
        "encoder": item.embedding.model,
        "ingested_at": item.ingested_at.isoformat(),
        "embedding": item.embedding.vector().tolist(),
    }
