"""Who gets a page: browsers and htmx; API clients (JSON or anything) keep the JSON."""

from __future__ import annotations

import pytest

from scholarstream.web.negotiation import htmx_target, prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "page"), [
    (BROWSER, True),
    ("text/html", True),
    ("*/*", False),  # curl, httpx, TestClient
    ("", False),
    ("application/json", False),
    ("application/json, text/html;q=0.5", False),
    ("text/html;q=0.5, application/json", False),
    ("text/*", True),
    ("text/html;q=0", False),
    ("text/html;q=nonsense", False),
])
def test_a_page_only_for_who_prefers_html(accept: str, page: bool) -> None:
    assert prefers_html({"accept": accept}) is page


def test_htmx_requests_get_html_and_name_their_target() -> None:
    headers = {"hx-request": "true", "hx-target": "results", "accept": "*/*"}
    assert prefers_html(headers)
    assert htmx_target(headers) == "results"
    assert htmx_target({**headers, "hx-history-restore-request": "true"}) is None  # the whole page
    assert htmx_target({"accept": BROWSER}) is None
