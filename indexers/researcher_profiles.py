"""Reading researchers back from the index: one profile, or the slice of the research graph around it.

A merged researcher's document is a redirect; callers answer it with the surviving id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from clients import es_io
from foundation.errors import SearchError
from foundation.settings import Settings
from indexers.mappings import RESEARCHER_WORKS, RESEARCHERS

MAX_REDIRECTS = 5  # merge chains are short; a longer one is a loop
GRAPH_NEIGHBOURS = 10
MAX_WORKS_PAGE = 100


@dataclass(frozen=True)
class Found:
    profile: dict[str, Any]


@dataclass(frozen=True)
class Redirect:
    researcher_id: str
    merged_into: str


def get_researcher(es: Elasticsearch, settings: Settings, researcher_id: str) -> Found | Redirect | None:
    """The indexed profile, a redirect to the survivor of a merge, or None when unknown."""
    with es_io.search_errors(settings, "lookup"):
        try:
            document = es.get(index=RESEARCHERS.alias(settings), id=researcher_id, source_excludes=["embedding"])
        except NotFoundError:
            return None
    source = document["_source"]
    if source.get("merged_into"):
        return Redirect(researcher_id, source["merged_into"])
    return Found(source["profile"])


def resolve(es: Elasticsearch, settings: Settings, researcher_id: str) -> tuple[Found | None, list[str]]:
    """Follow redirects to the surviving profile; returns it and the ids passed on the way."""
    path = [researcher_id]
    for _ in range(MAX_REDIRECTS + 1):
        found = get_researcher(es, settings, path[-1])
        if not isinstance(found, Redirect):
            return found, path
        if found.merged_into in path:
            raise SearchError(f"merge redirects loop: {' -> '.join([*path, found.merged_into])}")
        path.append(found.merged_into)
    raise SearchError(f"more than {MAX_REDIRECTS} merge redirects from {researcher_id}")


def research_graph(es: Elasticsearch, settings: Settings, profile: dict[str, Any], neighbours: int = GRAPH_NEIGHBOURS) -> dict[str, Any]:
    """The slice of the research graph around one researcher, as nodes and edges.

    Nodes: the researcher, close collaborators (edges weighted by shared works), researchers with
    the nearest work centroids (edges weighted by cosine similarity), topics and papers.
    """
    rid = profile["researcher_id"]
    alias = RESEARCHERS.alias(settings)
    nodes: dict[str, dict[str, Any]] = {rid: {"id": rid, "kind": "researcher", "label": profile["display_name"]}}
    edges: list[dict[str, Any]] = []
    for collaborator in profile.get("close_collaborators", [])[:neighbours]:
        cid = collaborator["researcher_id"]
        nodes.setdefault(cid, {"id": cid, "kind": "researcher", "label": collaborator["display_name"]})
        edges.append({"source": rid, "target": cid, "kind": "coauthor", "weight": collaborator["shared_works"]})
    with es_io.search_errors(settings, "lookup"):
        try:
            document = es.get(index=alias, id=rid, source_includes=["embedding"], source_exclude_vectors=False)
            vector = document["_source"].get("embedding")
            if vector:
                similar = es.search(
                    index=alias,
                    knn={"field": "embedding", "query_vector": vector, "k": neighbours + 1, "num_candidates": 100,
                         "filter": [{"bool": {"must_not": [{"exists": {"field": "merged_into"}}, {"ids": {"values": [rid]}}]}}]},
                    source_includes=["researcher_id", "display_name"],
                    size=neighbours,
                )["hits"]["hits"]
                for hit in similar:
                    sid = hit["_source"]["researcher_id"]
                    nodes.setdefault(sid, {"id": sid, "kind": "researcher", "label": hit["_source"]["display_name"]})
                    edges.append({"source": rid, "target": sid, "kind": "similar_topics", "weight": round(float(hit["_score"]), 4)})
        except NotFoundError:
            pass
    for topic in profile.get("top_topics", []):
        tid = f"topic:{topic['code']}"
        nodes[tid] = {"id": tid, "kind": "topic", "label": topic["name"]}
        edges.append({"source": rid, "target": tid, "kind": "works_on", "weight": topic["weight"]})
    for work in newest_first(profile)[:neighbours]:
        pid = f"paper:{work['arxiv_id']}"
        nodes[pid] = {"id": pid, "kind": "paper", "label": work["title"], "year": work.get("year")}
        edges.append({"source": rid, "target": pid, "kind": "authored", "weight": 1})
    return {"researcher_id": rid, "nodes": list(nodes.values()), "edges": edges}


def works_page(es: Elasticsearch, settings: Settings, researcher_id: str, page: int, size: int) -> dict[str, Any]:
    """One page of a researcher's works, newest first (year, then arXiv id), with the total, from
    the researcher-works index (one document per work: profile v3 keeps only its newest works).

    A page past the last is empty, not an error: the total says where the works end."""
    if page < 1 or not 1 <= size <= MAX_WORKS_PAGE:
        raise SearchError(f"page must be at least 1 and size between 1 and {MAX_WORKS_PAGE}")
    with es_io.search_errors(settings, "works"):
        answer = es.options(ignore_status=404).search(
            index=RESEARCHER_WORKS.alias(settings),
            query={"term": {"researcher_id": researcher_id}},
            sort=[{"year": {"order": "desc", "missing": "_last"}}, {"arxiv_id": {"order": "desc"}}],
            from_=(page - 1) * size, size=size, track_total_hits=True, source_includes=["work"],
        )
    hits = answer.get("hits", {})
    return {"researcher_id": researcher_id, "total": int(hits.get("total", {}).get("value", 0)), "page": page,
            "size": size, "works": [hit["_source"]["work"] for hit in hits.get("hits", [])]}


def newest_first(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """An indexed profile's newest works: a v3 profile carries them; a v1/v2 one all its works."""
    works = profile.get("recent_works") or profile.get("works", [])
    return sorted(works, key=lambda w: (w.get("year") or 0, w["arxiv_id"]), reverse=True)


MAX_PAPER_RESEARCHERS = 100


def paper_researchers(es: Elasticsearch, settings: Settings, arxiv_id: str) -> list[dict[str, str]]:
    """The researchers a paper is linked to (its author lines' profiles), by id and name; a merged
    or unknown id is left out."""
    with es_io.search_errors(settings, "works"):
        works = es.options(ignore_status=404).search(
            index=RESEARCHER_WORKS.alias(settings), query={"term": {"arxiv_id": arxiv_id}},
            size=MAX_PAPER_RESEARCHERS, source_includes=["researcher_id"],
        )
        ids = sorted({hit["_source"]["researcher_id"] for hit in works.get("hits", {}).get("hits", [])})
        if not ids:
            return []
        found = es.options(ignore_status=404).mget(
            index=RESEARCHERS.alias(settings), ids=ids, source_includes=["researcher_id", "display_name", "merged_into"],
        )
    return [
        {"researcher_id": doc["_source"]["researcher_id"], "display_name": doc["_source"]["display_name"]}
        for doc in found.get("docs", [])
        if doc.get("found") and not doc["_source"].get("merged_into")
    ]
