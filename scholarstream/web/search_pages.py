"""The search page (`/`): one box, the API's filters, result cards, paging; the query in the URL;
type-ahead suggestions (`/suggestions`) as the box is typed in.

htmx swaps only the results (`#results`) and pushes the URL, so a search is shareable and the back
button works; without JavaScript the form is a plain GET of the same page (and no suggestions).
"""

from __future__ import annotations

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from accounts import AccountStore
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.researcher_search import ResearcherQuery, search_researchers
from scholarstream.web.negotiation import htmx_target
from scholarstream.web.rendering import render, viewer
from scholarstream.web.search_view import PAGE_SIZE, card, page_url, read_form, results_view

SUGGESTIONS = 5
MIN_SUGGESTION_TEXT = 2
HINT = ("Type a name in any form (\u201cAda Lovelace\u201d, \u201cLovelace, A\u201d), a topic "
        "(\u201cinformation retrieval\u201d, \u201ccs.IR\u201d) or words of a title.")


def search_router(settings: Settings, es: Elasticsearch, store: AccountStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def search_page(request: Request) -> Response:
        form = read_form(request.query_params)
        results, error, status = None, None, 200
        if form.problems:
            error, status = " ".join(form.problems), 400
        elif form.text:
            try:
                found = search_researchers(es, settings, ResearcherQuery(form.text, form.filters, form.page, PAGE_SIZE))
                results = results_view(form, found)
            except ServiceUnavailable:
                error, status = "Search is unavailable right now (Elasticsearch did not answer). Try again in a moment.", 503
            except SearchError as refused:
                error, status = str(refused)[:1].upper() + str(refused)[1:] + ".", 400
        filtered = any(form.values[name] for name in form.values if name != "q")
        context = {"form": form, "results": results, "error": error, "hint": HINT, "filtered": filtered}
        if htmx_target(request.headers) == "results":  # htmx swaps only a 2xx: the message is the fragment
            fragment = render(request, "_results.html", {**context, "fragment": True}, 200, viewer(request, store))
            fragment.headers["HX-Push-Url"] = page_url(form.values, form.page)  # the URL without the empty fields
            return fragment
        return render(request, "search.html", {**context, "fragment": False}, status, viewer(request, store))

    @router.get("/suggestions", response_class=HTMLResponse)
    def suggestions(request: Request) -> Response:
        """A few researchers for what is typed so far (the name query matches prefixes); nothing,
        rather than an error, for text too short or unsearchable, or a search that failed."""
        text = request.query_params.get("q", "").strip()[:200]
        cards = []
        if len(text) >= MIN_SUGGESTION_TEXT and any(ch.isalnum() for ch in text):
            try:
                cards = [card(hit) for hit in search_researchers(es, settings, ResearcherQuery(text, size=SUGGESTIONS)).hits]
            except (SearchError, ServiceUnavailable):
                cards = []
        return render(request, "_suggestions.html", {"suggestions": cards})

    return router
