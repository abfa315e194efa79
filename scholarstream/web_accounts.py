"""The accounts routes: sign-up, sign-in, sign-out, and an account's actions on researchers.

A thin layer over `accounts`: it parses the request (JSON, or a form post), checks the session,
the CSRF token and the rate limits, calls the store or the signal writer, and turns their errors
into statuses. The session lives in a signed cookie (Starlette's SessionMiddleware: HttpOnly,
SameSite=Lax, Secure when SCHOLARSTREAM_SESSION_HTTPS_ONLY); it holds the account id and a random
CSRF token that every write must send back (header X-CSRF-Token or form field csrf_token).

A form post whose action URL names a page of this site to go on to (`?next=/researchers/r1`, as the
web pages' forms do) is answered with a redirect there (303) instead of JSON, so the forms work in
a browser without JavaScript; its errors become pages (scholarstream/web/error_pages.py).
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at run time, and
# those naming the closures' dependencies (`Depends(session_account)`) only resolve where they stand.
import hmac
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from accounts import Account, AccountError, AccountExists, AccountStore, SignalWriter, engine, upgrade
from accounts.mailbox import ConfirmationLinks, Mailer, email_evidence, institutions, mailer_from_settings
from accounts.models import EMAIL_PATTERN
from accounts.passwords import MAX_LENGTH, MIN_LENGTH
from clients import es_io
from foundation.errors import InvalidRecord, NotAuthorized, SearchError, ServiceUnavailable
from foundation.session_secret import session_secret
from foundation.settings import Settings
from indexers.researcher_profiles import get_researcher
from schemas.profiles import RESEARCHER_ID, ResearcherSignal
from scholarstream.rate_limits import SlidingWindow, retry_after

SESSION_COOKIE = "scholarstream_session"
SESSION_SECONDS = 7 * 24 * 3600
MAX_BODY_BYTES = 64 * 1024
CSRF_HEADER = "X-CSRF-Token"
# A page of this site: one leading slash (never '//' or '/\\', which browsers read as another host).
_LOCAL_PAGE = re.compile(r"^/(?![/\\])[^\s\\]{0,500}$")


class Writer(Protocol):
    """What the routes need of the write path (the real one: accounts.SignalWriter)."""

    def send(self, account_id: str, researcher_id: str, kind: str, fields: Mapping[str, Any] | None = None) -> ResearcherSignal: ...

    def send_orcid_verification(self, account_id: str, orcid: str, researcher_id: str) -> ResearcherSignal: ...

    def send_email_verification(self, account_id: str, evidence: Mapping[str, str], level: str,
                                researcher_id: str) -> ResearcherSignal: ...

    def close(self) -> None: ...


@dataclass
class Limits:
    sign_in_by_address: SlidingWindow
    sign_in_by_email: SlidingWindow
    sign_up_by_address: SlidingWindow
    actions_by_account: SlidingWindow

    @classmethod
    def default(cls, clock: Callable[[], float] = time.monotonic) -> "Limits":
        return cls(
            sign_in_by_address=SlidingWindow(10, 60, clock),
            sign_in_by_email=SlidingWindow(10, 60, clock),
            sign_up_by_address=SlidingWindow(10, 60, clock),
            actions_by_account=SlidingWindow(30, 60, clock),
        )


# Whether a researcher id has a profile (or a merge's redirect) in the serving index; an action on
# any other id is a 404, never a signal. ServiceUnavailable when the index does not answer.
Researchers = Callable[[str], bool]


@dataclass
class AccountServices:
    store: AccountStore
    writer: Writer
    limits: Limits
    researchers: Researchers
    mailer: Mailer  # the confirmation links (accounts/mailbox.py)


def services_from_settings(settings: Settings) -> AccountServices:
    """The real store (its database upgraded to the newest revision), the real write path, and the
    researchers of the serving index."""
    database = engine(settings)
    upgrade(database)
    es = es_io.client(settings)

    def indexed(researcher_id: str) -> bool:
        return get_researcher(es, settings, researcher_id) is not None

    return AccountServices(AccountStore(database, lambda: datetime.now(UTC)), SignalWriter(settings), Limits.default(), indexed,
                           mailer_from_settings(settings))


def install_accounts(api: FastAPI, settings: Settings, services: AccountServices | None = None) -> None:
    """Add the session middleware and the accounts routes to `api`."""
    services = services or services_from_settings(settings)
    api.add_middleware(
        SessionMiddleware, secret_key=session_secret(settings).get_secret_value(), session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS, same_site="lax", https_only=settings.session_https_only,
    )
    api.include_router(accounts_router(services, ConfirmationLinks(session_secret(settings)), institutions(settings.institution_domains)))


# --- request bodies ---------------------------------------------------------------------------


class _Body(BaseModel):
    # Python's regular expressions, the dialect the OpenAPI document's patterns are generated and read in.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, regex_engine="python-re")


class Credentials(_Body):
    email: str = Field(min_length=1, max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=4096)


class NewAccount(Credentials):
    """A sign-up: the password rules of accounts/passwords.py, declared."""

    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


class Nothing(_Body):
    pass


class Unclaim(_Body):
    reason: str = Field("", max_length=1_000)


class OpenToCollaborate(_Body):
    open: bool


class Affiliations(_Body):
    affiliations: list[str] = Field(min_length=1, max_length=20)


class MergeRequest(_Body):
    other_id: str = Field(min_length=1, max_length=128)


class Disown(_Body):
    arxiv_ids: list[str] = Field(min_length=1, max_length=100)
    reason: str = Field("", max_length=1_000)


_LIST_FIELDS = {"affiliations", "arxiv_ids"}


Responses = dict[int | str, dict[str, Any]]


def _error(status: int, detail: str) -> Responses:
    return {status: {"description": detail, "content": {"application/json": {"example": {"detail": detail}}}}}


UNAUTHENTICATED = _error(401, "Not signed in (or the account is gone).")
FORBIDDEN = _error(403, "Missing or wrong CSRF token, or a cross-site form post.")
INVALID = _error(422, "The body or the researcher id does not fit (message names the field).")
TOO_MANY: Responses = {429: {"description": "Too many requests; Retry-After says when to try again.",
                             "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}}}
UNAVAILABLE = _error(503, "Kafka, Elasticsearch or the accounts database did not answer.")
NO_SUCH_RESEARCHER = _error(404, "No researcher has this id.")
TOO_LARGE = _error(413, f"The body is over {MAX_BODY_BYTES} bytes.")


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    required = any(field.is_required() for field in model.model_fields.values())  # an action without fields takes none
    return {"requestBody": {"required": required, "content": {
        "application/json": {"schema": schema},
        "application/x-www-form-urlencoded": {"schema": schema},
    }}}


async def _read_body(request: Request, model: type[_Body]) -> Any:
    """The body as `model`, from JSON or a form; 413, 415 or 422 when it is not one."""
    raw = await _raw_body(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if not raw.strip():
        data = {}
    elif kind in ("application/json", ""):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise HTTPException(status_code=422, detail="the body is not JSON") from None
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        data = await _form(request)
    else:
        raise HTTPException(status_code=415, detail="send JSON or a form")
    if not isinstance(data, dict):
        raise HTTPException(status_code=422, detail="the body must be a JSON object")
    data.pop("csrf_token", None)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise HTTPException(status_code=422, detail=_describe(error)) from None


async def _raw_body(request: Request) -> bytes:
    """The body, read at most once and refused past MAX_BODY_BYTES (a chunked body has no length to check).

    Kept where Starlette keeps a body it read (`_body`), so a form parsed later reads it from there.
    """
    cached = getattr(request, "_body", None)
    if isinstance(cached, bytes):
        return cached
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail=f"the body is over {MAX_BODY_BYTES} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail=f"the body is over {MAX_BODY_BYTES} bytes")
    request._body = bytes(raw)
    return request._body


async def _form(request: Request) -> dict[str, Any]:
    """A form's fields; the list fields may repeat."""
    await _raw_body(request)
    try:
        form = await request.form(max_files=0, max_fields=200)
    except Exception:  # noqa: BLE001 - python-multipart's errors for a malformed form are many and untyped
        raise HTTPException(status_code=422, detail="the form could not be read") from None
    fields: dict[str, Any] = {}
    for name in form:
        values = [value for value in form.getlist(name) if isinstance(value, str)]
        fields[name] = values if name in _LIST_FIELDS else (values[-1] if values else "")
    return fields


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}" for item in error.errors())


# --- the routes -------------------------------------------------------------------------------


def accounts_router(services: AccountServices, links: ConfirmationLinks, known_institutions: Mapping[str, str]) -> APIRouter:
    store, writer, limits, researchers = services.store, services.writer, services.limits, services.researchers

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        yield
        writer.close()

    router = APIRouter(tags=["accounts"], lifespan=lifespan)

    def limited(window: SlidingWindow, key: str) -> None:
        wait = window.hit(key)
        if wait is not None:
            raise HTTPException(status_code=429, detail="too many requests, try again later",
                                headers={"Retry-After": retry_after(wait)})

    def session_account(request: Request) -> Account:
        return signed_in(request, store)

    async def csrf_checked(request: Request, account: Annotated[Account, Depends(session_account)]) -> Account:
        await _check_csrf(request)
        return account

    @router.post("/accounts", status_code=201, response_model=dict[str, str], openapi_extra=_request_body(NewAccount),
                 responses={**FORBIDDEN, **_error(409, "An account with this e-mail address exists."),
                            **TOO_LARGE, **INVALID, **TOO_MANY, **UNAVAILABLE})
    async def sign_up(request: Request) -> dict[str, str] | Response:
        """Make an account (a password of 12 characters or more) and sign in to it."""
        _same_origin(request)
        limited(limits.sign_up_by_address, _address(request))
        body = await _read_body(request, NewAccount)
        try:
            account = await run_in_threadpool(store.sign_up, body.email, body.password)  # argon2: off the event loop
        except AccountExists as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        except AccountError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        return _answer(request, start_session(request, account))

    @router.post("/sessions", response_model=dict[str, str], openapi_extra=_request_body(Credentials),
                 responses={**_error(401, "Wrong e-mail address or password."), **FORBIDDEN,
                            **TOO_LARGE, **INVALID, **TOO_MANY, **UNAVAILABLE})
    async def sign_in(request: Request) -> dict[str, str] | Response:
        """Sign in; the answer carries the CSRF token that writes send back."""
        _same_origin(request)
        limited(limits.sign_in_by_address, _address(request))
        body = await _read_body(request, Credentials)
        limited(limits.sign_in_by_email, body.email.strip().lower())
        try:
            account = await run_in_threadpool(store.authenticate, body.email, body.password)
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        if account is None:
            raise HTTPException(status_code=401, detail="wrong e-mail address or password")
        return _answer(request, start_session(request, account))

    @router.post("/sessions/end", response_model=dict[str, bool], responses={**FORBIDDEN})
    async def sign_out(request: Request) -> dict[str, bool] | Response:
        """Sign out (with the CSRF token when signed in, so no other site can sign you out)."""
        if "account" in request.session:
            await _check_csrf(request)
        request.session.clear()
        return _answer(request, {"signed_out": True})

    @router.post("/sessions/end-everywhere", responses={**UNAUTHENTICATED, **FORBIDDEN, **UNAVAILABLE})
    async def sign_out_everywhere(request: Request, account: Annotated[Account, Depends(csrf_checked)]) -> dict[str, bool]:
        """End every session of the account, in every browser (a lost device, a copied cookie)."""
        try:
            await run_in_threadpool(store.end_sessions, account.id)
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        request.session.clear()
        return {"signed_out_everywhere": True}

    @router.get("/me", responses={**UNAUTHENTICATED, **UNAVAILABLE})
    def me(request: Request, account: Annotated[Account, Depends(session_account)]) -> dict[str, str]:
        """The signed-in account and its CSRF token."""
        return {"account_id": account.id, "email": account.email or "", "orcid": account.orcid or "",
                "csrf_token": str(request.session.get("csrf", ""))}

    async def known(researcher_id: str) -> None:
        """422 for what cannot be a researcher id, 404 for one without a profile: no signal for either."""
        if not RESEARCHER_ID.match(researcher_id):
            raise HTTPException(status_code=422, detail=f"not a researcher id: {researcher_id[:200]!r}")
        try:
            found = await run_in_threadpool(researchers, researcher_id)
        except (ServiceUnavailable, SearchError) as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        if not found:
            raise HTTPException(status_code=404, detail=f"there is no researcher {researcher_id}")

    async def sent(request: Request, send: Callable[..., ResearcherSignal], *args: Any) -> Response:
        """Produce through the write path; 202 with the signal id (or the form's redirect) once Kafka has it."""
        try:
            # Waits for Kafka's acknowledgement (up to the writer's timeout): off the event loop.
            signal = await run_in_threadpool(send, *args)
        except InvalidRecord as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        except (ServiceUnavailable, NotAuthorized) as error:  # Kafka down, or its ACLs refuse the write path
            raise HTTPException(status_code=503, detail=str(error)) from error
        page = next_page(request)
        if page is not None and _is_form(request):  # back to the page, which follows the signal (GET /signals/{id})
            return RedirectResponse(with_query(page, "signal", signal.signal_id), status_code=303)
        return JSONResponse({"signal_id": signal.signal_id, "status": "pending"}, status_code=202)

    def action(path: str, kind: str, model: type[_Body], fields: Callable[[Any], dict[str, Any]], summary: str) -> None:
        @router.post(path, status_code=202, summary=summary, openapi_extra=_request_body(model),
                     responses={**UNAUTHENTICATED, **FORBIDDEN, **NO_SUCH_RESEARCHER, **TOO_LARGE, **INVALID, **TOO_MANY,
                                **UNAVAILABLE})
        async def act(researcher_id: str, request: Request, account: Annotated[Account, Depends(csrf_checked)]) -> Response:
            limited(limits.actions_by_account, account.id)
            body = await _read_body(request, model)
            await known(researcher_id)
            return await sent(request, writer.send, account.id, researcher_id, kind, fields(body))

        act.__name__ = f"{kind}_researcher"

    @router.post("/me/email-confirmations", status_code=202, openapi_extra=_request_body(Nothing),
                 responses={**UNAUTHENTICATED, **FORBIDDEN, **_error(409, "The account has no e-mail address."),
                            **TOO_LARGE, **INVALID, **TOO_MANY, **UNAVAILABLE})
    async def send_confirmation(request: Request, account: Annotated[Account, Depends(csrf_checked)]) -> Any:
        """Mail a link that confirms the account's e-mail address (good for a day)."""
        limited(limits.actions_by_account, account.id)
        await _read_body(request, Nothing)
        if account.email is None:
            raise HTTPException(status_code=409, detail="this account signs in with ORCID and has no e-mail address")
        link = str(request.url_for("confirm_email", token=links.token(account.id, account.email)))
        body = (f"Open this link to confirm {account.email} for your ScholarStream account:\n\n{link}\n\n"
                "It works for a day. If you did not ask for it, ignore this mail.")
        try:
            await run_in_threadpool(services.mailer.send, account.email, "Confirm your e-mail address", body)
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        return _answer(request, {"sent_to": account.email})  # a form post goes back to its page

    @router.get("/me/email-confirmations/{token}", name="confirm_email", status_code=303,
                responses={**_error(404, "No such link: forged, expired, or for an address the account no longer has."),
                           **UNAVAILABLE})
    def confirm_email(token: Annotated[str, Path(max_length=2000)]) -> Response:
        """The mailed link: confirms the address, then goes on to the account's profile page."""
        try:
            account_id, email = links.read(token)
            store.confirm_email(account_id, email)
        except AccountError as error:  # a link nobody was sent (or no longer good) is not there
            raise HTTPException(status_code=404, detail=str(error)) from None
        except ServiceUnavailable as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        return RedirectResponse("/my-profile", status_code=303)

    @router.post("/researchers/{researcher_id}/verify-email", status_code=202, openapi_extra=_request_body(Nothing),
                 responses={**UNAUTHENTICATED, **FORBIDDEN, **NO_SUCH_RESEARCHER,
                            **_error(409, "The account has not confirmed its e-mail address."),
                            **TOO_LARGE, **INVALID, **TOO_MANY, **UNAVAILABLE})
    async def verify_with_email(researcher_id: str, request: Request, account: Annotated[Account, Depends(csrf_checked)]) -> Response:
        """Verify a profile you claimed with your confirmed e-mail address: L3 at a known institution's domain, else L2."""
        limited(limits.actions_by_account, account.id)
        await _read_body(request, Nothing)
        if account.email is None or account.email_confirmed_at is None:
            raise HTTPException(status_code=409, detail="confirm your e-mail address first: the mailed link is what proves it")
        await known(researcher_id)
        evidence, level = email_evidence(account.email, known_institutions)
        return await sent(request, writer.send_email_verification, account.id, evidence, level, researcher_id)

    @router.post("/researchers/{researcher_id}/verify-orcid", status_code=202, openapi_extra=_request_body(Nothing),
                 responses={**UNAUTHENTICATED, **FORBIDDEN, **NO_SUCH_RESEARCHER,
                            **_error(409, "The account has not signed in with ORCID."),
                            **TOO_LARGE, **INVALID, **TOO_MANY, **UNAVAILABLE})
    async def verify_with_orcid(researcher_id: str, request: Request, account: Annotated[Account, Depends(csrf_checked)]) -> Response:
        """Verify a profile you claimed (L3) with the ORCID iD you proved by signing in with ORCID."""
        limited(limits.actions_by_account, account.id)
        await _read_body(request, Nothing)
        if account.orcid is None:
            raise HTTPException(status_code=409, detail="sign in with ORCID first: the sign-in is what proves the iD")
        await known(researcher_id)
        return await sent(request, writer.send_orcid_verification, account.id, account.orcid, researcher_id)

    def none(_: Any) -> dict[str, Any]:
        return {}

    action("/researchers/{researcher_id}/follow", "follow", Nothing, none, "Follow a researcher")
    action("/researchers/{researcher_id}/unfollow", "unfollow", Nothing, none, "Stop following a researcher")
    action("/researchers/{researcher_id}/claim", "claim", Nothing, none, "Claim a profile as yours")
    action("/researchers/{researcher_id}/unclaim", "unclaim", Unclaim, lambda b: {"reason": b.reason}, "Give up a claim")
    action("/researchers/{researcher_id}/open-to-collaborate", "open_to_collaborate", OpenToCollaborate,
           lambda b: {"open": b.open}, "Say whether you are open to collaborate")
    action("/researchers/{researcher_id}/affiliations", "affiliation_update", Affiliations,
           lambda b: {"affiliations": b.affiliations}, "Replace your affiliations")
    action("/researchers/{researcher_id}/merge-requests", "merge_request", MergeRequest,
           lambda b: {"other_id": b.other_id}, "Say another profile is also you")
    action("/researchers/{researcher_id}/disown", "disown_work", Disown,
           lambda b: {"arxiv_ids": b.arxiv_ids, "reason": b.reason}, "Say these works are not yours")
    return router


def current_account(request: Request, store: AccountStore) -> Account | None:
    """The session's account; None when signed out, or when the account is gone or signed out everywhere
    (the session is then cleared). ServiceUnavailable when the accounts database does not answer."""
    account_id = request.session.get("account")
    if not isinstance(account_id, str):
        return None
    account = store.get(account_id)
    if account is None or request.session.get("epoch") != account.session_epoch:
        request.session.clear()
        return None
    return account


def start_session(request: Request, account: Account) -> dict[str, str]:
    """Sign the browser in to `account`: a new session (nothing of an earlier one carries over) with a new CSRF token."""
    request.session.clear()
    request.session.update({"account": account.id, "epoch": account.session_epoch, "csrf": secrets.token_urlsafe(32)})
    return {"account_id": account.id, "email": account.email or "", "orcid": account.orcid or "",
            "csrf_token": str(request.session.get("csrf", ""))}


def signed_in(request: Request, store: AccountStore) -> Account:
    """The session's account; 401 when signed out (or the account is gone, or every session of it
    was ended), 503 when the accounts database does not answer."""
    try:
        account = current_account(request, store)
    except ServiceUnavailable as error:
        raise HTTPException(status_code=503, detail=str(error)) from error
    if account is None:
        raise HTTPException(status_code=401, detail="sign in first")
    return account


def _answer(request: Request, body: dict[str, Any]) -> Any:
    """The JSON body, or for a form post that names the page to go on to, a redirect (303) there."""
    page = next_page(request)
    if page is not None and _is_form(request):
        return RedirectResponse(page, status_code=303)
    return body


def next_page(request: Request) -> str | None:
    """The `next` query parameter when it is a page of this site; None otherwise (never another site's)."""
    page = request.query_params.get("next")
    return page if page is not None and _LOCAL_PAGE.match(page) else None


def with_query(page: str, name: str, value: str) -> str:
    """`page` with one more query parameter (its fragment, if any, kept last)."""
    parts = urlsplit(page)
    added = urlencode({name: value})
    return urlunsplit(parts._replace(query=f"{parts.query}&{added}" if parts.query else added))


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


async def _check_csrf(request: Request) -> None:
    """403 unless the request sends back its session's token (header, or form field for a form post)."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        sent = (await _form(request)).get("csrf_token")
    if not isinstance(expected, str) or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _same_origin(request: Request) -> None:
    """Refuse a sign-in or sign-up posted from another site (login CSRF); browsers send Origin on POST."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(status_code=403, detail="a sign-in from another site is refused")
