"""Sign-up, sign-in and sign-out pages: forms that post to the accounts routes
(scholarstream/web_accounts.py) with `?next=` naming the page to come back to, and where ORCID
sign-in is configured, a link to it (scholarstream/orcid_sign_in.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from accounts import AccountStore
from scholarstream.web.rendering import render, viewer
from scholarstream.web_accounts import next_page


def account_router(store: AccountStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, template: str) -> Response:
        context = {"reason": None, "next": next_page(request) or "/", "mailed": request.query_params.get("mailed") == "1"}
        return render(request, template, context, viewer=viewer(request, store))

    @router.get("/sign-in", response_class=HTMLResponse)
    def sign_in_page(request: Request) -> Response:
        return page(request, "sign_in.html")

    @router.get("/sign-up", response_class=HTMLResponse)
    def sign_up_page(request: Request) -> Response:
        return page(request, "sign_up.html")

    @router.get("/sign-out", response_class=HTMLResponse)
    def sign_out_page(request: Request) -> Response:
        return page(request, "sign_out.html")

    return router
