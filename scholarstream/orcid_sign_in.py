"""Sign-in with ORCID: OpenID Connect's authorization-code flow, through Authlib's Starlette client.

`GET /sign-in/orcid?next=/page` sends the browser to the provider (ORCID, its sandbox, or the tests'
local provider: settings `orcid_issuer`, `orcid_client_id`, `orcid_client_secret`) with a random
state and nonce kept in the signed session cookie. The provider sends the browser back to
`GET /sign-in/orcid/callback` with a code; this server exchanges it at the provider's token
endpoint (authenticated with the client secret) and Authlib checks the ID token it gets: its
signature against the provider's published keys, the issuer, the audience (this client), the
expiry and the nonce. The token's `sub` is the ORCID iD, now proven.

Signed in already, the account is linked to the iD; signed out, the browser is signed in to the
account of the iD (made at its first sign-in, with no e-mail address or password). An account
linked to an iD can verify a profile it claimed at L3 with it (`POST /researchers/{id}/verify-orcid`,
scholarstream/web_accounts.py): the iD never comes from a request.

Errors become statuses here: the provider refusing or a state that does not match (a forged or
replayed callback) 400, a provider that does not answer 503, an ID token that does not verify 502.
"""

from __future__ import annotations

from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from accounts import AccountError, AccountStore, OrcidTaken
from foundation.errors import ServiceUnavailable
from foundation.settings import Settings
from schemas.profiles import normalise_orcid
from scholarstream.rate_limits import SlidingWindow, retry_after
from scholarstream.web_accounts import current_account, next_page, start_session

PROVIDER = "orcid"
TIMEOUT_SECONDS = 10.0
_NEXT = "orcid_next"  # the page to go on to after the provider's answer, kept in the session meanwhile


def orcid_client(settings: Settings) -> Any:
    """Authlib's client of the configured provider; it reads the provider's metadata at first use."""
    if settings.orcid_issuer is None or settings.orcid_client_id is None or settings.orcid_client_secret is None:
        raise ValueError("ORCID sign-in is not configured (SCHOLARSTREAM_ORCID_ISSUER, _CLIENT_ID, _CLIENT_SECRET)")
    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=settings.orcid_client_id,
        client_secret=settings.orcid_client_secret.get_secret_value(),
        server_metadata_url=settings.orcid_issuer.rstrip("/") + "/.well-known/openid-configuration",
        # ORCID takes the client's credentials in the token request's body.
        client_kwargs={"scope": "openid", "token_endpoint_auth_method": "client_secret_post", "timeout": TIMEOUT_SECONDS},
    )
    return oauth.create_client(PROVIDER)


def orcid_router(settings: Settings, store: AccountStore, limit: SlidingWindow) -> APIRouter:
    """The two steps of the sign-in; `limit` counts starts per client address (the sign-ins' window)."""
    client = orcid_client(settings)
    router = APIRouter(include_in_schema=False)  # browser redirects, not an API

    @router.get("/sign-in/orcid")
    async def start(request: Request) -> Response:
        wait = limit.hit(request.client.host if request.client else "unknown")
        if wait is not None:
            raise HTTPException(status_code=429, detail="too many sign-ins, try again later", headers={"Retry-After": retry_after(wait)})
        request.session[_NEXT] = next_page(request) or "/"
        redirect_uri = str(request.url_for("orcid_callback"))
        try:
            response: Response = await client.authorize_redirect(request, redirect_uri)
        except httpx.HTTPError as error:
            raise HTTPException(status_code=503, detail=f"the ORCID sign-in service did not answer ({type(error).__name__})") from None
        return response

    @router.get("/sign-in/orcid/callback", name="orcid_callback")
    async def callback(request: Request) -> Response:
        orcid = await _proven_orcid(client, request)
        go_on = request.session.pop(_NEXT, "/")
        try:
            signed_in = await run_in_threadpool(current_account, request, store)
            account = await run_in_threadpool(store.sign_in_with_orcid, orcid, signed_in.id if signed_in else None)
        except OrcidTaken as error:
            raise HTTPException(status_code=409, detail=f"{error}: sign in with ORCID to use that account") from None
        except AccountError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        if signed_in is None or signed_in.id != account.id:
            start_session(request, account)
        return RedirectResponse(go_on if isinstance(go_on, str) else "/", status_code=303)

    return router


async def _proven_orcid(client: Any, request: Request) -> str:
    """The ORCID iD of the provider's answer, once its code is exchanged and its ID token checked."""
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as error:  # the person said no, or a state this session did not start
        raise HTTPException(status_code=400, detail=f"the ORCID sign-in did not complete: {error.description or error.error}") from None
    except httpx.HTTPError as error:
        raise HTTPException(status_code=503, detail=f"the ORCID sign-in service did not answer ({type(error).__name__})") from None
    except JoseError as error:  # a token whose signature, issuer, audience, expiry or nonce is wrong
        raise HTTPException(status_code=502, detail=f"the ORCID sign-in's ID token did not verify ({error.error})") from None
    claims = token.get("userinfo")
    if not claims:
        raise HTTPException(status_code=502, detail="the ORCID sign-in service sent no ID token")
    try:
        return normalise_orcid(str(claims.get("sub", "")))
    except ValueError:
        raise HTTPException(status_code=502, detail="the ORCID sign-in service named no valid ORCID iD") from None
