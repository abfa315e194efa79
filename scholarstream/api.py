"""The HTTP API (`scholarstream serve`): a thin FastAPI layer over the search library.

The read endpoints are here; the accounts and the one write path (signed-in people's signals) are
in scholarstream/web_accounts.py, what became of a signal in scholarstream/signal_status.py, and the
pages a browser reads in scholarstream/web/, all installed by `create_api`. Bad parameters are
answered 4xx with a message (FastAPI's 422 for a value of the wrong shape, 400 for a well-formed
value the search refuses), unknown researchers 404, merged researchers a redirect to the survivor,
service failures 503.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
from scholarstream.load_shedding import RETRY_AFTER_SECONDS, InFlight
from scholarstream.orcid_sign_in import orcid_router
from scholarstream.rate_limits import SlidingWindow, retry_after
from scholarstream.signal_status import signal_status_router, status_lookup
from scholarstream.web import error_page, install_web, prefers_html
from scholarstream.web_accounts import AccountServices, install_accounts, services_from_settings

RESEARCHER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
SEARCH_PATHS = frozenset({"/researchers/search", "/papers/search"})
READ_PREFIXES = ("/researchers", "/papers", "/signals")  # /signals: an action's status, polled by its page
# The web app's search page and its type-ahead (scholarstream/web/search_pages.py) run the same
# researcher search when they are given a query: they are shed and counted as reads like the API's.
PAGE_SEARCH_PATHS = frozenset({"/", "/suggestions"})
_BAD = {"description": "A well-formed value the search refuses (e.g. results past the served window)."}
_UNAVAILABLE = {"description": "Elasticsearch does not answer."}
SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _BAD, 429: {"description": "Too many searches running; try again after Retry-After seconds."}, 503: _UNAVAILABLE,
}
RESEARCHER_RESPONSES: dict[int | str, dict[str, Any]] = {
    307: {"description": "A merged researcher: redirected to the survivor."},
    400: _BAD, 404: {"description": "No such researcher."},
    429: {"description": "Too many reads from this address; try again after Retry-After seconds."}, 503: _UNAVAILABLE,
}
Embedder = Callable[[str], Sequence[float]]


def create_api(
    settings: Settings, embedder: Callable[[], Embedder] | None = None, accounts: AccountServices | None = None
) -> FastAPI:
    """The app; `embedder` builds the query encoder on the first semantic search (it takes seconds).
    `accounts` replaces the accounts' store and write path (default: from the settings)."""
    api = FastAPI(title="ScholarStream", version=__version__, description="Search arXiv papers and researchers.")
    services = accounts or services_from_settings(settings)
    install_accounts(api, settings, services)
    if settings.orcid_issuer is not None:
        api.include_router(orcid_router(settings, services.store, services.limits.sign_in_by_address))
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

    searches, semantic_searches = InFlight(settings.api_max_searches), InFlight(settings.api_max_semantic_searches)
    reads = SlidingWindow(settings.api_reads_per_minute, 60, time.monotonic)

    def page_search(request: Request) -> bool:
        return request.url.path in PAGE_SEARCH_PATHS and bool(request.query_params.get("q", "").strip())

    def too_many(request: Request, reason: str, retry: str) -> Response:
        """429 with Retry-After: JSON for an API client, an error page for a browser."""
        if prefers_html(request.headers):
            return error_page(request, services.store, 429, reason, {"Retry-After": retry})
        return JSONResponse({"detail": reason}, status_code=429, headers={"Retry-After": retry})

    @api.middleware("http")
    async def limit_reads(request: Request, call_next):
        """Each client address may read so many times a minute (the accounts' routes have their own limits)."""
        if request.method != "GET" or not (request.url.path.startswith(READ_PREFIXES) or page_search(request)):
            return await call_next(request)
        wait = reads.hit(request.client.host if request.client else "unknown")
        if wait is not None:
            return too_many(request, "too many requests from this address; slow down", retry_after(wait))
        return await call_next(request)

    @api.middleware("http")
    async def shed_searches(request: Request, call_next):
        """Past the limits, a search is answered 429 at once instead of waiting for a thread."""
        if request.url.path not in SEARCH_PATHS and not page_search(request):
            return await call_next(request)
        gates = [searches]
        if request.query_params.get("mode", "text") != "text":
            gates.append(semantic_searches)
        entered: list[InFlight] = []
        for gate in gates:
            if not gate.try_enter():
                for done in entered:
                    done.leave()
                return too_many(request, "the server is busy with other searches; try again shortly", str(RETRY_AFTER_SECONDS))
            entered.append(gate)
        try:
            return await call_next(request)
        finally:
            for gate in entered:
                gate.leave()

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

    # Health and metrics never wait behind searches: they run on the event loop, and the health
    # check's one call to Elasticsearch on a pool of its own, not in the endpoints' shared pool.
    health_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")

    def health() -> JSONResponse:
        try:
            es_io.check_reachable(settings, es)
        except ServiceUnavailable as error:
            return JSONResponse({"status": "unavailable", "detail": str(error)}, status_code=503)
        return JSONResponse({"status": "ok"})

    @api.get("/healthz", responses={503: _UNAVAILABLE})
    async def healthz() -> JSONResponse:
        return await asyncio.get_running_loop().run_in_executor(health_pool, health)

    @api.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @api.get("/papers/search", responses=SEARCH_RESPONSES)
    def papers_search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_PAPER_QUERY_LENGTH)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    ) -> dict:
        try:
            hits = search_papers(es, settings, q, limit)
        except (SearchError, ServiceUnavailable) as error:
            raise failing(error) from error
        return {"query": q, "hits": [asdict(hit) for hit in hits]}

    @api.get("/researchers/search", responses=SEARCH_RESPONSES)
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
    signals = status_lookup(settings, es)
    install_web(api, settings, es, services.store, signals)
    api.include_router(signal_status_router(services.store, signals))  # after the pages: the status fragment shares its path

    @api.get("/researchers/{researcher_id}", response_model=None, responses=RESEARCHER_RESPONSES)
    def researcher(researcher_id: Annotated[str, Path(pattern=RESEARCHER_ID)]) -> Any:
        found = _lookup(researcher_id)
        if isinstance(found, Redirect):
            return RedirectResponse(f"/researchers/{found.merged_into}", status_code=307)
        return found.profile

    @api.get("/researchers/{researcher_id}/works", response_model=None, responses=RESEARCHER_RESPONSES)
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

    @api.get("/researchers/{researcher_id}/graph", response_model=None, responses=RESEARCHER_RESPONSES)
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
