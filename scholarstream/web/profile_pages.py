"""The profile page (`/researchers/{id}` asked for by a browser; API clients keep the JSON).

The page and the JSON share the path: the page's route matches only a request that prefers HTML
(`PageRoute`), so it is registered before the JSON route and everything else falls through to it.
A merged id redirects to the survivor, an unknown one is a 404 page; the works are paged newest
first (htmx swaps only `#works`), with their abstracts from the papers index.

An action's form comes back here with `?sent=<kind>&signal=<id>`: the page says what became of the
signal, if it is the viewer's (pending, applied, refused with the reason; action_view.py), and while
it is pending polls for it (signal_pages.py).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from accounts import AccountStore
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.researcher_profiles import Redirect, get_researcher, works_page
from indexers.search import paper_abstracts
from indexers.signal_outcomes import SignalStatus
from schemas.profiles import RESEARCHER_ID
from scholarstream.signal_status import SIGNAL_ID, StatusLookup
from scholarstream.web.action_view import ActionMessage, action_message
from scholarstream.web.error_pages import error_page
from scholarstream.web.negotiation import htmx_target, prefers_html
from scholarstream.web.profile_view import profile_view
from scholarstream.web.rendering import Viewer, render, viewer

WORKS_PAGE_SIZE = 20
MAX_WORKS_PAGE = 10_000
_SIGNAL_ID = re.compile(SIGNAL_ID)
# What an action's redirect back (`?sent=`) says when it names no signal of the viewer's to follow.
SENT = {
    "follow": "Follow sent. The count rises once the pipeline has applied it; reload in a moment.",
    "unfollow": "Unfollow sent. The count falls once the pipeline has applied it.",
    "claim": "Claim sent. The profile shows as claimed once the pipeline has applied it; a profile claimed by someone else stays theirs.",
    "verify-email": "Verification sent. The profile shows its new level once the pipeline has applied it, if the claim is yours.",
    "verify-orcid": "Verification sent. The profile shows Verification L3 once the pipeline has applied it, if the claim is yours.",
}


class PageRoute(APIRoute):
    """A route that matches only requests preferring HTML, so a JSON route can share its path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and not prefers_html(Headers(scope=scope)):
            return Match.NONE, {}
        return match, child


def action_urls(researcher_id: str) -> dict[str, str]:
    """Where the page's forms post (the write path) and the page each one comes back to."""
    here = f"/researchers/{researcher_id}"
    urls = {kind.replace("-", "_"): f"{here}/{kind}?next=" + quote(f"{here}?sent={kind}", safe="") for kind in SENT}
    urls["sign_in"] = "/sign-in?next=" + quote(here, safe="")
    urls["here"] = here
    return urls


def profile_router(settings: Settings, es: Elasticsearch, store: AccountStore, signals: StatusLookup) -> APIRouter:
    router = APIRouter(include_in_schema=False, route_class=PageRoute)

    @router.get("/researchers/{researcher_id}", response_class=HTMLResponse)
    def profile_page(request: Request, researcher_id: str) -> Response:
        if not RESEARCHER_ID.match(researcher_id):
            return error_page(request, store, 404, f"there is no researcher {researcher_id}")
        page_text = request.query_params.get("works_page", "1")
        page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= MAX_WORKS_PAGE else 1
        try:
            found = get_researcher(es, settings, researcher_id)
            if found is None:
                return error_page(request, store, 404, f"there is no researcher {researcher_id}")
            if isinstance(found, Redirect):
                suffix = f"?{request.url.query}" if request.url.query else ""
                return RedirectResponse(f"/researchers/{found.merged_into}{suffix}", status_code=307)
            works = works_page(es, settings, found.profile["researcher_id"], page, WORKS_PAGE_SIZE)
            abstracts = paper_abstracts(es, settings, [work["arxiv_id"] for work in works["works"]])
        except ServiceUnavailable:
            return error_page(request, store, 503, "Elasticsearch did not answer; try again in a moment")
        except SearchError as error:
            return error_page(request, store, 400, str(error))
        who = viewer(request, store)
        sent = request.query_params.get("sent", "")
        action = _action(request.query_params.get("signal", ""), sent, who, found.profile["researcher_id"])
        context: dict[str, Any] = {
            "profile": profile_view(found.profile, works, abstracts),
            "urls": action_urls(found.profile["researcher_id"]),
            "action": action,
            "sent": None if action is not None else SENT.get(sent),
        }
        template = "_works.html" if htmx_target(request.headers) == "works" else "profile.html"
        return render(request, template, context, viewer=who)

    def _action(signal_id: str, sent: str, who: Viewer | None, researcher_id: str) -> ActionMessage | None:
        """The message about the viewer's own signal; None for no signal, or one not theirs."""
        if who is None or not _SIGNAL_ID.match(signal_id):
            return None
        try:
            found = signals(signal_id, who.account_id)
        except (ServiceUnavailable, SearchError):
            found = SignalStatus(signal_id, "pending")  # the page polls, and asks again
        if found is None:
            return None
        return action_message(found, sent if sent in SENT else None, f"/researchers/{researcher_id}", time.time())

    return router
