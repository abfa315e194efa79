"""The search page and its type-ahead run the researcher search, so the API's protections cover
them too (scholarstream/api.py): they count as reads of their client address, and past the
searches running at once they are shed with 429 and Retry-After. A browser gets the 429 as a page,
an API client keeps main's JSON.

Elasticsearch is a closed port, or a listener that holds every connection unanswered until the
test lets go (a search in flight); the accounts store is real (tests/unit/scholarstream/test_web_accounts.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from foundation.settings import Settings
from scholarstream.api import create_api
from tests.unit.scholarstream.test_web_accounts import Rig

PAGE = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TYPE_AHEAD = {"hx-request": "true", "hx-target": "suggestions"}


def _client(tmp_path: Path, **settings: Any) -> TestClient:
    rig = Rig(tmp_path)
    config = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), **settings)
    return TestClient(create_api(config, accounts=rig.services()))


def _is_429_page(answer: Response) -> bool:
    return (answer.status_code == 429 and answer.headers["content-type"].startswith("text/html")
            and "<h1>Too many tries</h1>" in answer.text and int(answer.headers["retry-after"]) >= 1
            and "script-src 'self'" in answer.headers["content-security-policy"])


def test_page_searches_count_as_reads_and_past_the_limit_a_browser_gets_a_429_page(tmp_path: Path) -> None:
    client = _client(tmp_path, ELASTICSEARCH_URL="http://127.0.0.1:1", SCHOLARSTREAM_API_READS_PER_MINUTE=3)
    for _ in range(5):  # the empty search form and the account pages read no data: never counted
        assert client.get("/", headers=PAGE).status_code == 200
        assert client.get("/sign-in", headers=PAGE).status_code == 200
    assert client.get("/", params={"q": "Lovelace"}, headers=PAGE).status_code == 503
    assert client.get("/suggestions", params={"q": "Lo"}, headers=TYPE_AHEAD).status_code == 200
    assert client.get("/researchers/r-1", headers=PAGE).status_code == 503  # the profile page
    hostile = "<script>alert(1)</script>"
    page = client.get("/", params={"q": hostile}, headers=PAGE)
    assert _is_429_page(page), (page.status_code, page.text[:300])
    assert "slow down" in page.text and hostile not in page.text
    assert client.get("/suggestions", params={"q": "Lo"}, headers=TYPE_AHEAD).status_code == 429
    api = client.get("/researchers/search", params={"q": "Lovelace"})
    assert api.status_code == 429 and api.json() == {"detail": "too many requests from this address; slow down"}
    assert client.get("/", headers=PAGE).status_code == 200 and client.get("/healthz").status_code == 503


class SilentElasticsearch:
    """A listener that accepts connections and never answers them, until `let_go`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.05)
        self.held: list[socket.socket] = []
        self.asked, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.done.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(connection)
            self.asked.set()

    def let_go(self) -> None:
        """Stop listening (later connections are refused), then close the held ones unanswered."""
        self.done.set()
        self.thread.join(5)
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentElasticsearch]:
    server = SilentElasticsearch()
    yield server
    server.let_go()


def test_a_page_search_past_the_searches_running_is_shed_at_once(tmp_path: Path, silent: SilentElasticsearch) -> None:
    client = _client(tmp_path, ELASTICSEARCH_URL=f"http://127.0.0.1:{silent.port}", SCHOLARSTREAM_API_MAX_SEARCHES=1)
    with client:
        first: list[Response] = []
        running = threading.Thread(target=lambda: first.append(client.get("/", params={"q": "Lovelace"}, headers=PAGE)))
        running.start()
        try:
            assert silent.asked.wait(10), "the first search never reached Elasticsearch"
            began = time.monotonic()
            shed_page = client.get("/", params={"q": "Babbage"}, headers=PAGE)
            shed_type_ahead = client.get("/suggestions", params={"q": "Ba"}, headers=TYPE_AHEAD)
            shed_api = client.get("/researchers/search", params={"q": "Babbage"})
            took = time.monotonic() - began
        finally:
            silent.let_go()
            running.join(60)
        assert _is_429_page(shed_page), (shed_page.status_code, shed_page.text[:300])
        assert "busy with other searches" in shed_page.text
        assert shed_type_ahead.status_code == 429
        assert shed_api.status_code == 429 and shed_api.json()["detail"].startswith("the server is busy")
        assert took < 5, f"the shed searches waited {took:.1f} s"
        assert not running.is_alive() and first[0].status_code == 503, "the held search ends once Elasticsearch is gone"
        after = client.get("/", params={"q": "Babbage"}, headers=PAGE)
        assert after.status_code == 503, "the shed searches left the gate as they found it"
