"""The paper page (`/papers/{arxiv_id}`): title, authors linked to their profiles, topics,
keyphrases, abstract and version. The JSON API has no such path, so it answers every client."""

from __future__ import annotations

import re

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from accounts import AccountStore
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.researcher_profiles import paper_researchers
from indexers.search import get_paper
from scholarstream.web.error_pages import error_page
from scholarstream.web.paper_view import paper_view
from scholarstream.web.rendering import render, viewer

_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$")  # new and old style, without version


def paper_router(settings: Settings, es: Elasticsearch, store: AccountStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/papers/{arxiv_id:path}", response_class=HTMLResponse)
    def paper_page(request: Request, arxiv_id: str) -> Response:
        if not _ARXIV_ID.match(arxiv_id):
            return error_page(request, store, 404, f"there is no paper {arxiv_id}")
        try:
            paper = get_paper(es, settings, arxiv_id)
            if paper is None:
                return error_page(request, store, 404, f"there is no paper {arxiv_id}")
            researchers = paper_researchers(es, settings, arxiv_id)
        except ServiceUnavailable:
            return error_page(request, store, 503, "Elasticsearch did not answer; try again in a moment")
        except SearchError as error:
            return error_page(request, store, 400, str(error))
        return render(request, "paper.html", {"paper": paper_view(paper, researchers)}, viewer=viewer(request, store))

    return router
