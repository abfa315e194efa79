"""`scholarstream ingest arxiv` against the real Kafka and the fake query API serving real entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from producers.arxiv_api import search_query
from schemas.papers import parse_raw_paper
from tests.conftest import FIXTURES
from tests.fake_arxiv.atom import FakeArxivApi
from tests.integration.conftest import cli, read_topic


@pytest.fixture
def api():
    server = FakeArxivApi(FIXTURES / "atom" / "entries-cs-ds.xml.gz")
    server.start()
    yield server
    server.stop()


def test_poller_keeps_three_seconds_between_requests_and_produces_the_window(settings, api):
    args = ("ingest", "arxiv", "--categories", "cs.DS", "--from", "2021-01-01", "--until", "2021-12-31",
            "--endpoint", api.url, "--page-size", "50", "--json")
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["produced"], summary["rejected"], summary["completed"]) == (127, 0, True)

    times = [at for at, _ in api.log]
    assert len(times) == 3
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert all(gap >= 3.0 for gap in gaps), gaps  # arXiv's terms: one request every three seconds

    window = search_query(("cs.DS",), datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 12, 31, tzinfo=UTC))
    assert api.log[0][1]["search_query"] == window
    raw = read_topic(settings, settings.topic("arxiv.papers.raw"))
    papers = [parse_raw_paper(record.value) for record in raw]
    assert len({p.arxiv_id for p in papers}) == 127 == len(api.window(window))
    assert all(p.source == "arxiv-api" for p in papers)

    again = cli(*args)  # the closed window was read to the end: nothing to do
    assert json.loads(again.stdout)["already_complete"] is True and len(api.log) == 3
