"""The profile page's answers that need no works: a merged id redirects a browser to the survivor
(the query kept), an unknown id is a 404 page, a malformed id a 404 page without a lookup.

Elasticsearch is a stand-in with the one method these paths call (`get`), answering as the real
client does: the stored redirect document, or NotFoundError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import NotFoundError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scholarstream.web import install_web
from scholarstream.web_accounts import install_accounts
from tests.unit.scholarstream.test_web_accounts import Rig

PAGE = {"accept": "text/html"}


class Researchers:
    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        self.asked: list[str] = []

    def get(self, *, index: str, id: str, source_excludes: list[str]) -> dict[str, Any]:  # noqa: A002, ARG002 - the client's names
        self.asked.append(id)
        if id not in self.documents:
            meta = ApiResponseMeta(404, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
            raise NotFoundError("not found", meta, {"found": False})
        return {"_source": self.documents[id]}


@pytest.fixture
def rig(tmp_path: Path) -> tuple[TestClient, Researchers]:
    accounts = Rig(tmp_path)
    es = Researchers({"r-old": {"researcher_id": "r-old", "merged_into": "r-new"}})
    api = FastAPI()
    install_accounts(api, accounts.settings, accounts.services())
    install_web(api, accounts.settings, es, accounts.store)  # type: ignore[arg-type]  # the stand-in
    return TestClient(api), es


def test_a_merged_id_redirects_to_the_survivor_with_the_query(rig: tuple[TestClient, Researchers]) -> None:
    client, _ = rig
    answer = client.get("/researchers/r-old?works_page=2", headers=PAGE, follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/researchers/r-new?works_page=2"


def test_an_unknown_or_malformed_id_is_a_404_page(rig: tuple[TestClient, Researchers]) -> None:
    client, es = rig
    unknown = client.get("/researchers/r-nobody", headers=PAGE)
    assert unknown.status_code == 404 and "<h1>Not found</h1>" in unknown.text and "r-nobody" in unknown.text
    malformed = client.get("/researchers/..%2F<b>x", headers=PAGE)
    assert malformed.status_code == 404 and "<b>x" not in malformed.text
    assert es.asked == ["r-nobody"]
