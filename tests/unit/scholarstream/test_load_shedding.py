"""The in-flight counter behind the API's load shedding."""

from __future__ import annotations

import pytest

from foundation.errors import SearchError
from indexers.researcher_search import MAX_SEMANTIC_WINDOW, ResearcherQuery
from scholarstream.load_shedding import InFlight


def test_past_the_limit_a_request_is_shed_until_one_leaves():
    gate = InFlight(2)
    assert gate.try_enter() and gate.try_enter()
    assert not gate.try_enter() and gate.shed == 1
    gate.leave()
    assert gate.try_enter() and gate.running == 2


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_and_hybrid_windows_are_capped(mode):
    deep = ResearcherQuery("graph varieties", page=MAX_SEMANTIC_WINDOW // 50 + 1, size=50, mode=mode)
    with pytest.raises(SearchError, match=f"serves the first {MAX_SEMANTIC_WINDOW}"):
        deep.validated()
    assert ResearcherQuery("graph varieties", page=MAX_SEMANTIC_WINDOW // 50 + 1, size=50).validated()


def test_reads_past_the_per_address_limit_are_429_with_retry_after(tmp_path):
    """Elasticsearch is out of reach here (port 1): the reads the limit lets through are 503s, the
    ones past it never reach the search layer."""
    from fastapi.testclient import TestClient

    from foundation.settings import Settings
    from scholarstream.api import create_api

    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), ELASTICSEARCH_URL="http://127.0.0.1:1",
                        SCHOLARSTREAM_API_READS_PER_MINUTE=3)
    client = TestClient(create_api(settings))
    answers = [client.get("/researchers/r-ada") for _ in range(5)]
    assert [a.status_code for a in answers] == [503, 503, 503, 429, 429]
    assert int(answers[3].headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 503, "health is not a read of the data: never limited"
