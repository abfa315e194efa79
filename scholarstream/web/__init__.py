"""The web app: server-rendered pages over the same library functions as the JSON API.

Jinja2 templates (autoescaped), htmx for partial updates, cytoscape.js only in the profile's graph
section, both vendored under static/vendor (no CDN). Every page reads and every form posts without
JavaScript. `install_web` adds the pages to the app `create_api` builds.
"""

from __future__ import annotations

from elasticsearch import Elasticsearch
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accounts import AccountStore
from foundation.settings import Settings
from scholarstream.signal_status import StatusLookup, status_lookup
from scholarstream.web.account_pages import account_router
from scholarstream.web.error_pages import error_page, install_error_pages
from scholarstream.web.my_profile_pages import my_profile_router
from scholarstream.web.negotiation import prefers_html
from scholarstream.web.pages import PAGES, Page
from scholarstream.web.paper_pages import paper_router
from scholarstream.web.profile_pages import profile_router
from scholarstream.web.rendering import HERE
from scholarstream.web.search_pages import search_router
from scholarstream.web.security_headers import SecurityHeaders
from scholarstream.web.signal_pages import signal_router

__all__ = ["PAGES", "Page", "error_page", "install_web", "prefers_html"]


def install_web(
    api: FastAPI, settings: Settings, es: Elasticsearch, store: AccountStore, signals: StatusLookup | None = None
) -> None:
    """Add the pages, their static files, the HTML error pages and the security headers.

    Call it before the JSON routes `/researchers/{researcher_id}` and `/signals/{signal_id}`: the
    profile page and the action status fragment share those paths and answer only requests that
    prefer HTML, or come from htmx (scholarstream/web/profile_pages.py, signal_pages.py).
    `signals` looks up an account's signal (default: in this app's Elasticsearch).
    """
    signals = signals or status_lookup(settings, es)
    api.add_middleware(SecurityHeaders)
    api.state.orcid_sign_in = settings.orcid_issuer is not None  # pages offer it (scholarstream/web/rendering.py)
    api.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_pages(api, store)
    api.include_router(search_router(settings, es, store))
    api.include_router(account_router(store))
    api.include_router(my_profile_router(settings, es, store))
    api.include_router(profile_router(settings, es, store, signals))
    api.include_router(signal_router(store, signals))
    api.include_router(paper_router(settings, es, store))
