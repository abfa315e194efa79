"""Templates and who is looking: what every page needs to render.

Autoescape is on for every template (a name or a title holding markup is shown as text); the
templates hold loops and conditionals only, the wording of values is decided in the view modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from accounts import AccountStore
from foundation.errors import ServiceUnavailable

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
))


@dataclass(frozen=True)
class Viewer:
    """The signed-in account, as a page shows it, with the CSRF token its forms send back."""

    account_id: str
    email: str
    csrf_token: str


def viewer(request: Request, store: AccountStore) -> Viewer | None:
    """The session's account, or None when signed out (or when the accounts database is down:
    the pages still read, they only offer to sign in). An answer made before the session is read
    (a search shed by the API's middleware, scholarstream/api.py) shows no one signed in."""
    if "session" not in request.scope:
        return None
    account_id = request.session.get("account")
    if not isinstance(account_id, str):
        return None
    try:
        account = store.get(account_id)
    except ServiceUnavailable:
        return None
    if account is None or request.session.get("epoch") != account.session_epoch:  # gone, or signed out everywhere
        return None
    return Viewer(account.id, account.email, str(request.session.get("csrf", "")))


def render(request: Request, template: str, context: dict[str, Any], status: int = 200, viewer: Viewer | None = None) -> Response:
    return TEMPLATES.TemplateResponse(request, template, {"viewer": viewer, **context}, status_code=status)
