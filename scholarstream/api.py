"""The HTTP API (`scholarstream serve`): a thin FastAPI layer over the search library.

The read endpoints are here; the accounts and the one write path (signed-in people's signals) are
in scholarstream/web_accounts.py, and the pages a browser reads in scholarstream/web/, both
installed by `create_api`. Bad parameters are answered 4xx with a message (FastAPI's 422 for a value
of the wrong shape, 400 for a well-formed value the search refuses), unknown researchers 404,
merged researchers a redirect to the survivor, service failures 503.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from clients import es_io
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.researcher_profiles import MAX_WORKS_PAGE, Found, Redirect, get_researcher, research_graph, works_page
from indexers.researcher_search import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    ResearcherFilters,
    ResearcherQuery,
    search_researchers,
)
from indexers.search import MAX_LIMIT, search_papers
from indexers.search import MAX_QUERY_LENGTH as MAX_PAPER_QUERY_LENGTH
from schemas.profiles import VerificationLevel
from scholarstream import __version__
from scholarstream.web import install_web
from scholarstream.web_accounts import AccountServices, install_accounts, services_from_settings

RESEARCHER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
Embedder = Callable[[str], Sequence[float]]


def create_api(
    settings: Settings, embedder: Callable[[], Embedder] | None = None, accounts: AccountServices | None = None
) -> FastAPI:
    """The app; `embedder` builds the query encoder on the first semantic search (it takes seconds).
    `accounts` replaces the accounts' store and write path (default: from the settings)."""
    api = FastAPI(title="ScholarStream", version=__version__, description="Search arXiv papers and researchers.")
    services = accounts or services_from_settings(settings)
    install_accounts(api, settings, services)
    es = es_io.client(settings)
    registry = CollectorRegistry()
    requests = Counter("scholarstream_http_requests", "HTTP requests", ["route", "status"], registry=registry)
    latency = Histogram(
        "scholarstream_http_request_seconds", "HTTP request latency", ["route"], registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    encoder: dict[str, Embedder] = {}
    encoder_lock = threading.Lock()

    def embed(text: str) -> Sequence[float]:
        if embedder is None:
            raise SearchError("semantic search is not enabled on this server")
        with encoder_lock:
            if "embed" not in encoder:
                encoder["embed"] = embedder()
        return encoder["embed"](text)

    @api.middleware("http")
    async def measure(request: Request, call_next):
        began = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        latency.labels(name).observe(time.perf_counter() - began)
        requests.labels(name, str(response.status_code)).inc()
        return response

    def failing(error: Exception) -> HTTPException:
        if isinstance(error, ServiceUnavailable):
            return HTTPException(status_code=503, detail=str(error))
        return HTTPException(status_code=400, detail=str(error))

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            es_io.check_reachable(settings, es)
        except ServiceUnavailable as error:
            return JSONResponse({"status": "unavailable", "detail": str(error)}, status_code=503)
        return JSONResponse({"status": "ok"})

    @api.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @api.get("/papers/search")
    def papers_search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_PAPER_QUERY_LENGTH)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    ) -> dict:
        try:
            hits = search_papers(es, settings, q, limit)
        except (SearchError, ServiceUnavailable) as error:
            raise failing(error) from error
        return {"query": q, "hits": [asdict(hit) for hit in hits]}

    @api.get("/researchers/search")
    def researchers_search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description="A name in any form, a topic, or free text.")],
        topic: Annotated[str | None, Query(min_length=1, max_length=200, description="arXiv category or topic words.")] = None,
        verified: Annotated[VerificationLevel | None, Query(description="At least this verification level.")] = None,
        claimed: bool | None = None,
        has_affiliation: bool | None = None,
        active_since: Annotated[int | None, Query(ge=1900, le=2200)] = None,
        mode: Literal["text", "semantic", "hybrid"] = "text",
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
    ) -> dict:
        filters = ResearcherFilters(topic, verified, claimed, has_affiliation, active_since)
        try:
            results = search_researchers(es, settings, ResearcherQuery(q, filters, page, size, mode),
                                         embed=embed if mode != "text" else None)
        except (SearchError, ServiceUnavailable) as error:
            raise failing(error) from error
        return asdict(results)

    # The pages (scholarstream/web/); the profile page shares the next route's path and answers
    # only browsers, so it must come first.
    install_web(api, settings, es, services.store)

    @api.get("/researchers/{researcher_id}", response_model=None)
    def researcher(researcher_id: Annotated[str, Path(pattern=RESEARCHER_ID)]) -> Any:
        found = _lookup(researcher_id)
        if isinstance(found, Redirect):
            return RedirectResponse(f"/researchers/{found.merged_into}", status_code=307)
        return found.profile

    @api.get("/researchers/{researcher_id}/works", response_model=None)
    def researcher_works(
        researcher_id: Annotated[str, Path(pattern=RESEARCHER_ID)],
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=MAX_WORKS_PAGE)] = 20,
    ) -> Any:
        """Every work of the researcher, newest first, a page at a time."""
        found = _lookup(researcher_id)
        if isinstance(found, Redirect):
            return RedirectResponse(f"/researchers/{found.merged_into}/works?page={page}&size={size}", status_code=307)
        try:
            return works_page(es, settings, found.profile["researcher_id"], page, size)
        except SearchError as error:
            raise failing(error) from error

    @api.get("/researchers/{researcher_id}/graph", response_model=None)
    def researcher_graph(researcher_id: Annotated[str, Path(pattern=RESEARCHER_ID)]) -> Any:
        found = _lookup(researcher_id)
        if isinstance(found, Redirect):
            return RedirectResponse(f"/researchers/{found.merged_into}/graph", status_code=307)
        try:
            return research_graph(es, settings, found.profile)
        except (SearchError, ServiceUnavailable) as error:
            raise failing(error) from error

    def _lookup(researcher_id: str) -> Found | Redirect:
        try:
            found = get_researcher(es, settings, researcher_id)
        except (SearchError, ServiceUnavailable) as error:
            raise failing(error) from error
        if found is None:
            raise HTTPException(status_code=404, detail=f"no researcher {researcher_id}")
        return found

    return api
