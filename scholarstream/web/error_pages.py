"""Errors as pages for browsers, JSON for everyone else.

The API's errors stay FastAPI's JSON (`{"detail": ...}`) unless the request prefers HTML; then a
refused sign-in or sign-up shows its form again with the reason, and anything else an error page
with the status, the reason and a way on.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from accounts import AccountStore
from scholarstream.web.negotiation import prefers_html
from scholarstream.web.rendering import render, viewer
from scholarstream.web_accounts import next_page

TITLES = {
    400: "That request could not be served",
    401: "Sign in first",
    403: "That form has expired",
    404: "Not found",
    409: "That account exists",
    413: "That is too much to send",
    422: "That does not fit",
    429: "Too many tries",
    503: "Temporarily unavailable",
}
# The account forms, shown again with the reason when their post is refused.
FORMS = {"/sessions": "sign_in.html", "/accounts": "sign_up.html"}


def error_page(request: Request, store: AccountStore, status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    form = FORMS.get(request.url.path) if request.method == "POST" else None
    context = {"reason": _sentence(reason), "next": next_page(request) or "/", "mailed": False}
    if form is not None:
        response = render(request, form, context, status, viewer(request, store))
    else:
        title = TITLES.get(status, "Something went wrong")
        response = render(request, "error.html", {**context, "title": title, "status": status}, status, viewer(request, store))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def install_error_pages(api: FastAPI, store: AccountStore) -> None:
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if not prefers_html(request.headers):
            return await http_exception_handler(request, error)
        return error_page(request, store, error.status_code, str(error.detail), dict(error.headers or {}))

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        if not prefers_html(request.headers):
            return await request_validation_exception_handler(request, error)
        fields = ", ".join(".".join(str(part) for part in item["loc"][1:]) or "the request" for item in error.errors())
        return error_page(request, store, 422, f"these values do not fit: {fields}")

    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(RequestValidationError, invalid_request)


def _sentence(text: str) -> str:
    text = text.strip() or "no reason given"
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
