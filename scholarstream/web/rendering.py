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
from scholarstream.web_accounts import current_account

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
    label: str  # the e-mail address, or the ORCID iD of an account made by signing in with ORCID
    orcid: str | None  # the iD the account proved by signing in with ORCID
    csrf_token: str
    email_to_confirm: bool = False  # an address not confirmed yet (accounts/mailbox.py)
    email_confirmed: bool = False


def viewer(request: Request, store: AccountStore) -> Viewer | None:
    """The session's account, or None when signed out (or when the accounts database is down:
    the pages still read, they only offer to sign in). An answer made before the session is read
    (a search shed by the API's middleware, scholarstream/api.py) shows no one signed in."""
    if "session" not in request.scope:
        return None
    try:
        account = current_account(request, store)
    except ServiceUnavailable:
        return None
    if account is None:
        return None
    return Viewer(account.id, account.label, account.orcid, str(request.session.get("csrf", "")),
                  email_to_confirm=account.email is not None and account.email_confirmed_at is None,
                  email_confirmed=account.email is not None and account.email_confirmed_at is not None)


def render(request: Request, template: str, context: dict[str, Any], status: int = 200, viewer: Viewer | None = None) -> Response:
    # `orcid`: whether sign-in with ORCID is configured (set by `install_web`), so the pages offer it.
    orcid = bool(getattr(request.app.state, "orcid_sign_in", False))
    return TEMPLATES.TemplateResponse(request, template, {"viewer": viewer, "orcid": orcid, **context}, status_code=status)
