"""Block state as JSON bytes, for the faust table that holds every block's researchers.

A block is stored in parts (`stream_processors/agents/block_store.py`): one entry per researcher
summary, the researchers' ids in creation order in chunks, and a small head. This module encodes
each part. The codec is lossless: a decoded state equals the state that was encoded, so a worker that
recovered its blocks from the changelog links exactly as one that kept them in memory. Centroids
travel as base64 float16, the precision a summary keeps them in (`linker.as_centroid`); states
written before that hold base64 float32 (`"dtype": "f4"`), float64 (without `"dtype"`) or, older
still, rounded decimals, and are rounded the same way when read.
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Sequence

import numpy as np

from stream_processors.linking.linker import ResearcherSummary, as_centroid


def dumps_summary(summary: ResearcherSummary) -> bytes:
    return json.dumps(_summary(summary), separators=(",", ":")).encode()


def loads_summary(data: bytes) -> ResearcherSummary:
    return _from_summary(json.loads(data))


def dumps_ids(ids: tuple[str, ...]) -> bytes:
    return json.dumps(ids, separators=(",", ":")).encode()


def loads_ids(data: bytes) -> tuple[str, ...]:
    return tuple(json.loads(data))


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
        "centroid": _pack(r.centroid) if r.centroid is not None else None,
        "dtype": "f2",
        "embedded": r.embedded,
        **({"apart": sorted(r.apart)} if r.apart else {}),  # only a relink's parts carry it
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
        centroid=_unpack(item["centroid"], item.get("dtype", "f8")) if item["centroid"] is not None else None,
        embedded=item["embedded"],
        apart=frozenset(item.get("apart", ())),
    )


def _pack(vector: Sequence[float]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def _unpack(value: str | list[float], dtype: str) -> array[float]:
    if isinstance(value, list):  # states written before the lossless form: rounded decimals
        return as_centroid(np.asarray(value, dtype=np.float64))
    return as_centroid(np.frombuffer(base64.b64decode(value), dtype=f"<{dtype}"))
