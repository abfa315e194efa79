"""The HTTP API over a real Elasticsearch: answers, and refuses bad input with 4xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from clients import es_io
from indexers.index_admin import ensure_index
from indexers.mappings import PAPERS
from scholarstream.api import create_api


@pytest.fixture
def client(settings):
    es = es_io.client(settings)
    ensure_index(es, settings, PAPERS)
    es.index(index=settings.index("papers"), id="1006.5864", document={
        "arxiv_id": "1006.5864", "version": 1, "title": "Graph Varieties in High Dimension", "abstract": "",
        "authors": ["Jessica Sidman"], "categories": ["math.AG"], "year": 2010,
    }, refresh=True)
    return TestClient(create_api(settings))


def test_health_and_search(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    body = client.get("/papers/search", params={"q": "graph varieties"}).json()
    assert body["hits"][0]["arxiv_id"] == "1006.5864"


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x" * 10_000}, {"q": "a", "limit": -1}, {"q": "a", "limit": 1000}, {}])
def test_bad_parameters_are_4xx(client, params):
    assert 400 <= client.get("/papers/search", params=params).status_code < 500


def test_query_syntax_is_just_text(client):
    response = client.get("/papers/search", params={"q": 'title:(graph OR "x" AND) ~*[{'})
    assert response.status_code == 200
