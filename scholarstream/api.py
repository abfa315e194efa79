"""The read-only HTTP API (`scholarstream serve`): a thin FastAPI layer over `indexers.search`.

No endpoint writes. Bad parameters are answered 4xx with a message; service failures 503.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse

from indexers.search import MAX_LIMIT, MAX_QUERY_LENGTH, search_papers
from scholarstream import __version__, es_io
from scholarstream.errors import SearchError, ServiceUnavailable
from scholarstream.settings import Settings


def create_api(settings: Settings) -> FastAPI:
    api = FastAPI(title="ScholarStream", version=__version__, description="Search arXiv papers and researchers.")
    es = es_io.client(settings)

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            es_io.check_reachable(settings, es)
        except ServiceUnavailable as error:
            return JSONResponse({"status": "unavailable", "detail": str(error)}, status_code=503)
        return JSONResponse({"status": "ok"})

    @api.get("/papers/search")
    def papers_search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    ) -> dict:
        try:
            hits = search_papers(es, settings, q, limit)
        except SearchError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        return {"query": q, "hits": [asdict(hit) for hit in hits]}

    return api
