"""Block state as JSON bytes, for the faust table that holds every block's researchers."""

from __future__ import annotations

import json

from stream_processors.linking.linker import BlockState, ResearcherSummary


def dumps_block(state: BlockState) -> bytes:
    return json.dumps(
        {"key": state.key, "researchers": [_summary(r) for r in state.researchers.values()]},
        separators=(",", ":"),
    ).encode()


def loads_block(data: bytes) -> BlockState:
    raw = json.loads(data)
    researchers = [_from_summary(item) for item in raw["researchers"]]
    return BlockState(raw["key"], {r.researcher_id: r for r in researchers})  # creation order kept


def _summary(r: ResearcherSummary) -> dict[str, object]:
    return {
        "id": r.researcher_id,
        "names": [[k, f, n] for (k, f), n in r.names.items()],
        "coauthors": dict(r.coauthor_keys),
        "categories": dict(r.categories),
        "affiliations": list(r.affiliations),
        "years": [r.first_year, r.last_year],
        "papers": sorted(r.paper_ids),
        "mentions": sorted(r.mention_keys),
        "orcid": r.orcid,
        "centroid": [round(v, 5) for v in r.centroid] if r.centroid is not None else None,
        "embedded": r.embedded,
    }


def _from_summary(item: dict) -> ResearcherSummary:
    return ResearcherSummary(
        researcher_id=item["id"],
        names={(k, f): n for k, f, n in item["names"]},
        coauthor_keys=item["coauthors"],
        categories=item["categories"],
        affiliations=tuple(item["affiliations"]),
        first_year=item["years"][0],
        last_year=item["years"][1],
        paper_ids=frozenset(item["papers"]),
        mention_keys=frozenset(item["mentions"]),
        orcid=item["orcid"],
        centroid=tuple(item["centroid"]) if item["centroid"] is not None else None,
        embedded=item["embedded"],
    )
