"""The pages through FastAPI's TestClient, without Elasticsearch (it points at a closed port):
the account forms post and come back, errors are pages for browsers and JSON for API clients,
every answer carries the security headers.

The store is real (an SQLite file) and the write path a recorder (tests/unit/scholarstream/
test_web_accounts.py); the pages over real data are tested in a browser (tests/browser).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from scholarstream.api import create_api
from tests.unit.scholarstream.test_web_accounts import PASSWORD, Rig

PAGE = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    rig = Rig(tmp_path)
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), ELASTICSEARCH_URL="http://127.0.0.1:1")
    api = create_api(settings, accounts=rig.services())
    return TestClient(api)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_every_answer_has_the_security_headers_and_the_pages_no_inline_code(client: TestClient) -> None:
    for path in ("/", "/sign-in", "/sign-up", "/sign-out", "/healthz"):
        response = client.get(path, headers=PAGE)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        if response.headers["content-type"].startswith("text/html"):
            assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None, path  # every script from a file
            assert " style=" not in response.text and "<style" not in response.text, path


def test_sign_up_by_form_comes_back_signed_in_and_sign_out_by_form_signs_out(client: TestClient) -> None:
    answer = client.post("/accounts?next=%2Fresearchers%2Fr-1", data={"email": "ada@example.org", "password": PASSWORD},
                         headers=PAGE, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/researchers/r-1"
    page = client.get("/sign-out", headers=PAGE)
    assert "Signed in as ada@example.org" in page.text
    out = client.post("/sessions/end?next=%2F", data={"csrf_token": _csrf(page.text)}, headers=PAGE, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert "Signed in as" not in client.get("/", headers=PAGE).text


def test_a_refused_sign_in_shows_the_form_again_with_the_reason(client: TestClient) -> None:
    answer = client.post("/sessions?next=%2F", data={"email": "nobody@example.org", "password": "wrong password!"}, headers=PAGE)
    assert answer.status_code == 401
    assert "<h1>Sign in</h1>" in answer.text and "Wrong e-mail address or password." in answer.text


def test_a_form_never_goes_on_to_another_site(client: TestClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        answer = client.post("/accounts", params={"next": target}, data={"email": f"a{len(target)}@example.org", "password": PASSWORD},
                             follow_redirects=False)
        assert answer.status_code == 201, target  # JSON, no redirect


def test_json_clients_keep_json_errors_and_browsers_get_pages(client: TestClient) -> None:
    api = client.get("/researchers/r-1")  # Accept */*: the JSON route, Elasticsearch down
    assert api.status_code == 503 and "detail" in api.json()
    page = client.get("/researchers/r-1", headers=PAGE)
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html") and "Temporarily unavailable" in page.text
    missing = client.get("/no-such-page", headers=PAGE)
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert client.get("/no-such-page").json() == {"detail": "Not Found"}


def test_a_query_with_no_letters_or_digits_gets_a_helpful_message(client: TestClient) -> None:
    page = client.get("/", params={"q": '"\\*('}, headers=PAGE)
    assert page.status_code == 400 and "no letters or digits" in page.text
    fragment = client.get("/", params={"q": "((("}, headers={"hx-request": "true", "hx-target": "results"})
    assert fragment.status_code == 200 and "no letters or digits" in fragment.text and "<html" not in fragment.text
    assert client.get("/researchers/search", params={"q": "((("}).status_code == 400


def test_a_follow_without_a_session_is_a_sign_in_page(client: TestClient) -> None:
    answer = client.post("/researchers/r-1/follow?next=%2Fresearchers%2Fr-1", data={"csrf_token": "x"}, headers=PAGE)
    assert answer.status_code == 401 and "Sign in first" in answer.text and 'href="/sign-in?next=/researchers/r-1"' in answer.text


def test_suggestions_are_quietly_empty_for_short_text_or_a_failed_search(client: TestClient) -> None:
    for text in ("", "a", "((((", "Lovelace"):  # the last reaches Elasticsearch, which is down
        answer = client.get("/suggestions", params={"q": text}, headers={"hx-request": "true"})
        assert answer.status_code == 200 and "<li>" not in answer.text, text
