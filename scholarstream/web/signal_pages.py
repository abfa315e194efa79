"""The status of an action as the profile page polls it: `/signals/{id}` asked for by htmx.

The profile page shows an action it was sent back from as pending and polls this fragment every
second (scholarstream/web/action_view.py). The fragment answers 204 while the action is pending
(htmx swaps nothing and polls again), and 286 once it is decided, which makes htmx stop polling: a
refusal with its reason in place of the message, an applied action with `HX-Refresh`, so the page
is read again and shows the new state (the count, the claim) with the message "applied". The JSON
route of the same path (scholarstream/signal_status.py) answers every other request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from accounts import AccountStore
from foundation.errors import SearchError, ServiceUnavailable
from scholarstream.signal_status import SIGNAL_ID, StatusLookup
from scholarstream.web.action_view import STILL_PENDING, ActionMessage, action_message, polled_too_long
from scholarstream.web.rendering import render, viewer

DECIDED = 286  # htmx stops polling on it (and swaps the answer like a 200)
NOT_SHOWN = "The status of this action is not shown here: reload the page to see whether it has applied."
_SIGNAL_ID = re.compile(SIGNAL_ID)


class HtmxRoute(APIRoute):
    """A route that matches only htmx's requests, so a JSON route can share its path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and Headers(scope=scope).get("hx-request") != "true":
            return Match.NONE, {}
        return match, child


def signal_router(store: AccountStore, lookup: StatusLookup, clock: Callable[[], float] = time.time) -> APIRouter:
    router = APIRouter(include_in_schema=False, route_class=HtmxRoute)

    @router.get("/signals/{signal_id}", response_class=HTMLResponse)
    def signal_fragment(request: Request, signal_id: str) -> Response:
        who = viewer(request, store)
        if who is None or not _SIGNAL_ID.match(signal_id):
            return _fragment(request, ActionMessage(NOT_SHOWN, "notice"))
        try:
            found = lookup(signal_id, who.account_id)
        except (ServiceUnavailable, SearchError):
            return Response(status_code=204)  # asked again in a second
        if found is None:
            return _fragment(request, ActionMessage(NOT_SHOWN, "notice"))
        if found.status == "pending":
            if polled_too_long(request.query_params.get("since"), clock()):
                return _fragment(request, ActionMessage(STILL_PENDING, "notice"))  # 286: the polling stops
            return Response(status_code=204)
        answer = _fragment(request, action_message(found, None, ""))
        if found.status == "applied":
            answer.headers["HX-Refresh"] = "true"  # the page again, now showing the new state
        return answer

    return router


def _fragment(request: Request, message: ActionMessage) -> Response:
    return render(request, "_action_status.html", {"action": message}, DECIDED)
