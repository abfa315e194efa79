"""The harvester against the fake arXiv server serving real pages: tokens, faults, resume.

Sleeping is injected, so the retry waits are recorded instead of slept.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from producers.oai_pmh import HarvestError, HarvestRequest, PageFetcher, RetryPolicy, harvest, start_state
from tests.fake_arxiv import FakeArxivServer

PAGES = ["page-001.xml.gz", "page-002.xml.gz", "page-003.xml.gz", "page-103.xml.gz"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(server, state=None, policy=RetryPolicy(), stop_after_pages=None):
    sleeps, done = [], []
    fetcher = PageFetcher(requests.Session(), sleep=sleeps.append, now=lambda: T0, policy=policy, jitter=lambda: 0.0)
    request = HarvestRequest(endpoint=server.url, set="cs")
    state = state or start_state(request, None, T0)
    keys = []
    for record in harvest(request, fetcher, state, on_page_done=done.append, now=lambda: T0):
        keys.append(record.key)
        if stop_after_pages is not None and len(done) >= stop_after_pages:
            break
    return keys, sleeps, done


@pytest.fixture
def serve(fixtures):
    started = []

    def make(**kwargs):
        server = FakeArxivServer.from_dir(fixtures / "oai", PAGES, **kwargs)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def test_follows_tokens_to_the_last_page(serve):
    server = serve()
    keys, sleeps, done = run(server)
    assert len(keys) == len(set(keys)) == 3538
    assert [s.params.get("resumptionToken") for s in server.log] == [None, "1122234|1001", "1122234|2001", "1122234|3001"]
    assert server.log[0].params == {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs"}
    assert [d.resumption_token for d in done] == ["1122234|1001", "1122234|2001", "1122234|3001", None]
    assert done[-1].completed and not any(d.completed for d in done[:-1])
    assert done[0].harvest_started == "2016-03-09T00:35:38Z" and sleeps == []


def test_503_waits_exactly_retry_after(serve):
    server = serve(faults={2: "503"}, retry_after_s=7)
    keys, sleeps, _ = run(server)
    assert len(set(keys)) == 3538 and sleeps == [7.0]


@pytest.mark.parametrize("fault", ["truncate", "drop", "drop-mid-body"])
def test_broken_page_or_dropped_connection_is_retried(serve, fault):
    server = serve(faults={2: fault, 3: fault})
    keys, sleeps, _ = run(server)
    assert len(keys) == len(set(keys)) == 3538
    assert sleeps == [2.0, 4.0]  # capped exponential backoff, jitter injected as 0
    assert [s.params.get("resumptionToken") for s in server.log[1:4]] == ["1122234|1001"] * 3


def test_slow_response_beyond_read_timeout_is_retried(serve):
    server = serve(faults={2: "slow"}, slow_s=1.5)
    keys, sleeps, _ = run(server, policy=RetryPolicy(timeout_s=(2.0, 0.5)))
    assert len(set(keys)) == 3538 and sleeps == [2.0]


def test_gives_up_after_the_attempts(serve):
    server = serve(faults={n: "truncate" for n in range(2, 10)})
    with pytest.raises(HarvestError, match="after 3 attempts"):
        run(server, policy=RetryPolicy(attempts=3))


def test_repeated_token_stops_the_harvest(serve):
    server = serve(faults={3: "repeat-token"})
    with pytest.raises(HarvestError, match="repeated resumption token"):
        run(server)


def test_resumes_from_a_checkpoint_without_the_pages_before(serve):
    server = serve()
    first_keys, _, done = run(server, stop_after_pages=2)
    checkpoint = done[-1]
    assert checkpoint.resumption_token == "1122234|2001" and checkpoint.cursor == 2000
    rest, _, done_after = run(server, state=checkpoint)
    assert server.log[-3].params == {"verb": "ListRecords", "resumptionToken": "1122234|2001"}
    assert len(rest) == 1538 and done_after[-1].completed and done_after[-1].pages == 4
    assert len(set(first_keys[:2000]) | set(rest)) == 3538


def test_start_state_rules():
    request = HarvestRequest(endpoint="http://x/oai", set="cs")
    fresh = start_state(request, None, T0)
    assert fresh.resumption_token is None and fresh.params["effective_from"] is None
    half = fresh.model_copy(update={"resumption_token": "t|1001"})
    assert start_state(request, half, T0) is half
    done = half.model_copy(update={"completed": True, "resumption_token": None, "harvest_started": "2016-03-09T00:35:38Z"})
    assert start_state(request, done, T0).params["effective_from"] == "2016-03-09"  # incremental
    closed = HarvestRequest(endpoint="http://x/oai", set="cs", until="2016-01-01")
    assert start_state(closed, done, T0) is None


def test_checkpoint_id_depends_on_the_whole_definition():
    a = HarvestRequest(endpoint="http://x/oai", set="cs")
    assert a.checkpoint_id == HarvestRequest(endpoint="http://x/oai/", set="cs").checkpoint_id
    assert a.checkpoint_id != HarvestRequest(endpoint="http://x/oai", set="cs", from_date="2016-01-01").checkpoint_id
    assert a.checkpoint_id.startswith("oai:cs:")
