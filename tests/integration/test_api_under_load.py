"""A burst of heavy searches neither starves `/healthz` nor queues for tens of seconds (issue 18).

Before: the endpoints shared one thread pool, 50 hybrid searches at once took 43 s at the median,
and `/healthz`, sent during the burst, answered after 45 s. Now health and metrics run beside the
pool, and searches past the server's limits are answered 429 with Retry-After at once.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from encoders.query import query_encoder
from scholarstream.api import create_api
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli

BURST = 50
QUERY = ("spectral sequences of graph varieties and their cohomology in high dimension " * 4)[:300]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(app_settings):
    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "900").returncode == 0
    port = _free_port()
    config = uvicorn.Config(create_api(app_settings, embedder=lambda: query_encoder(app_settings)),
                            host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


def test_a_burst_of_heavy_searches_is_shed_and_healthz_answers_within_a_second(server, app_settings):
    params = {"q": QUERY, "mode": "hybrid", "page": 4, "size": 50}
    with httpx.Client(base_url=server, timeout=120) as client:
        warm = client.get("/researchers/search", params=params)  # loads the query encoder
        assert warm.status_code == 200, warm.text

        def search(_: int) -> tuple[int, float, str | None]:
            began = time.perf_counter()
            answer = client.get("/researchers/search", params=params)
            return answer.status_code, time.perf_counter() - began, answer.headers.get("retry-after")

        health: list[float] = []
        with ThreadPoolExecutor(BURST) as pool:
            burst = pool.map(search, range(BURST))
            for _ in range(10):
                began = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                health.append(time.perf_counter() - began)
                assert client.get("/metrics").status_code == 200
                time.sleep(0.05)
            answers = list(burst)

    statuses = [status for status, _, _ in answers]
    served = [seconds for status, seconds, _ in answers if status == 200]
    shed = [(seconds, retry) for status, seconds, retry in answers if status == 429]
    figures = {
        "searches": BURST, "served": len(served), "shed": len(shed),
        "served_median_s": round(statistics.median(served), 3) if served else None,
        "shed_max_s": round(max(s for s, _ in shed), 3) if shed else None,
        "healthz_max_s": round(max(health), 3), "healthz_median_s": round(statistics.median(health), 3),
        "limits": [app_settings.api_max_searches, app_settings.api_max_semantic_searches],
    }
    print("\n" + json.dumps(figures))
    assert set(statuses) <= {200, 429}, statuses
    assert served, "the server ran some of them"
    assert shed and all(retry == "1" for _, retry in shed), "the rest were shed with Retry-After"
    assert max(health) < 1.0, health
