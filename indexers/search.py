"""Paper search. User text only ever becomes the `query` of a match: never query syntax."""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import Elasticsearch

from clients import es_io
from foundation.errors import SearchError
from foundation.settings import Settings
from indexers.mappings import PAPERS

MAX_QUERY_LENGTH = 500
MAX_LIMIT = 100


@dataclass(frozen=True)
class PaperHit:
    arxiv_id: str
    title: str
    score: float
    year: int | None
    authors: list[str]
    categories: list[str]


def search_papers(es: Elasticsearch, settings: Settings, query: str, limit: int = 10) -> list[PaperHit]:
    query = query.strip()
    if not query:
        raise SearchError("the query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}")
    body = {
        "bool": {
            "should": [
                {"multi_match": {
                    "query": query, "fields": ["title^3", "abstract", "authors^2", "keyphrases^2", "topics.name"], "type": "best_fields",
                }},
                {"match_phrase": {"title": {"query": query, "boost": 2}}},
            ],
            "minimum_should_match": 1,
        }
    }
    with es_io.search_errors(settings):
        response = es.search(
            index=PAPERS.alias(settings),
            query=body,
            size=limit,
            source_includes=["arxiv_id", "title", "year", "authors", "categories"],
        )
    return [
        PaperHit(
            arxiv_id=hit["_source"]["arxiv_id"],
            title=hit["_source"]["title"],
            score=round(float(hit["_score"]), 4),
            year=hit["_source"].get("year"),
            authors=hit["_source"].get("authors", []),
            categories=hit["_source"].get("categories", []),
        )
        for hit in response["hits"]["hits"]
    ]


def paper_abstracts(es: Elasticsearch, settings: Settings, arxiv_ids: list[str]) -> dict[str, str]:
    """The abstracts of these papers by arXiv id, in one request (a profile page's works carry
    none); a paper not indexed, or without an abstract, is left out."""
    if not arxiv_ids:
        return {}
    with es_io.search_errors(settings, "lookup"):
        answer = es.options(ignore_status=404).mget(index=PAPERS.alias(settings), ids=arxiv_ids, source_includes=["abstract"])
    return {
        doc["_id"]: doc["_source"]["abstract"]
        for doc in answer.get("docs", [])
        if doc.get("found") and doc.get("_source", {}).get("abstract")
    }


def get_paper(es: Elasticsearch, settings: Settings, arxiv_id: str) -> dict | None:
    """The indexed paper (without its embedding), or None when it is not indexed."""
    with es_io.search_errors(settings, "lookup"):
        answer = es.options(ignore_status=404).get(index=PAPERS.alias(settings), id=arxiv_id, source_excludes=["embedding"])
    return dict(answer["_source"]) if answer.get("found") else None
