"""`/my-profile`: the profile the signed-in account claimed.

The read side never names a claimant (docs/security.md), so the page asks the signal outcomes,
where the worker said whose each claim was (`indexers.signal_outcomes.claimed_by`). One claimed
profile: a redirect to it. None yet (or a claim still pending): a page that says how to claim one.
Signed out: the sign-in page, coming back here.
"""

from __future__ import annotations

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from accounts import AccountStore
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.signal_outcomes import claimed_by
from scholarstream.web.error_pages import error_page
from scholarstream.web.rendering import render, viewer


def my_profile_router(settings: Settings, es: Elasticsearch, store: AccountStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/my-profile", response_class=HTMLResponse)
    def my_profile(request: Request) -> Response:
        looking = viewer(request, store)
        if looking is None:
            return RedirectResponse("/sign-in?next=%2Fmy-profile", status_code=303)
        try:
            claimed = claimed_by(es, settings, looking.account_id)
        except (ServiceUnavailable, SearchError):
            return error_page(request, store, 503, "Elasticsearch did not answer; try again in a moment")
        if len(claimed) == 1:
            return RedirectResponse(f"/researchers/{claimed[0]}", status_code=303)
        return render(request, "my_profile.html", {"claimed": claimed}, viewer=looking)

    return router
