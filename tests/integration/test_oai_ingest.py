"""`scholarstream ingest oai` against the real Kafka and the fake arXiv serving real pages.

The harvest runs as a child process, as a user runs it; the fake server runs in the test
process so the test sees every request it answered.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from producers.oai_records import parse_page, record_key
from schemas.checkpoints import HarvestCheckpoint
from schemas.papers import parse_raw_paper
from tests.conftest import FIXTURES, REPO
from tests.fake_arxiv import FakeArxivServer
from tests.integration.conftest import cli, read_topic

PAGES = ["page-001.xml.gz", "page-002.xml.gz", "page-003.xml.gz", "page-103.xml.gz"]


def served_keys() -> set[str | None]:
    keys = set()
    for name in PAGES:
        for record in parse_page(gzip.decompress((FIXTURES / "oai" / name).read_bytes())).records:
            keys.add(record_key(record.xml))
    return keys


@pytest.fixture
def fake_arxiv():
    servers = []

    def start(**kwargs) -> FakeArxivServer:
        server = FakeArxivServer.from_dir(FIXTURES / "oai", PAGES, **kwargs)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def raw_keys(settings) -> list[str]:
    return [record.key.decode() for record in read_topic(settings, settings.topic("arxiv.papers.raw"))]


def checkpoints(settings) -> list[HarvestCheckpoint]:
    return [HarvestCheckpoint.model_validate_json(r.value) for r in read_topic(settings, settings.topic("ingest.checkpoints"))]


def test_harvest_yields_exactly_the_records_served(settings, fake_arxiv):
    server = fake_arxiv()
    result = cli("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["produced"], summary["rejected"], summary["pages"], summary["completed"]) == (3538, 0, 4, True)

    raw = read_topic(settings, settings.topic("arxiv.papers.raw"))
    keys = [record.key.decode() for record in raw]
    assert len(keys) == 3538 and set(keys) == served_keys()
    for record in raw[:50]:
        paper = parse_raw_paper(record.value)
        assert paper.source == "oai" and record.key.decode() == paper.arxiv_id
        assert dict(record.headers)["source"] == b"oai"

    states = checkpoints(settings)
    assert [s.resumption_token for s in states] == ["1122234|1001", "1122234|2001", "1122234|3001", None]
    assert states[-1].completed and states[-1].records == 3538


def test_faults_are_survived_and_retry_after_honoured(settings, fake_arxiv):
    server = fake_arxiv(faults={2: "503", 4: "truncate", 6: "drop"}, retry_after_s=2)
    result = cli("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--json")
    assert result.returncode == 0, result.stderr
    assert set(raw_keys(settings)) == served_keys()
    log = server.log
    assert [entry.outcome for entry in log] == ["ok", "503", "ok", "truncate", "ok", "drop", "ok"]
    assert log[2].at - log[1].at >= 2.0  # waited Retry-After before asking again
    assert log[2].params == log[1].params  # and asked for the same page
    assert log[4].params == log[3].params and log[6].params == log[5].params
    fetch = json.loads(result.stdout)["fetch"]
    assert (fetch["retry_after_waits"], fetch["retries"]) == (1, 2)


def test_harvest_killed_mid_way_resumes_with_nothing_missing(settings, fake_arxiv):
    server = fake_arxiv(delay_s=1.0)
    child = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "ingest", "oai", "--endpoint", server.url, "--set", "cs", "--json"],
        cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(server.log) < 3 and time.monotonic() < deadline:  # page 2 acknowledged, page 3 in flight
            time.sleep(0.05)
        assert len(server.log) >= 3, "the harvest never reached its third request"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    before = checkpoints(settings)
    assert before and not before[-1].completed

    requests_before = len(server.log)
    server.delay_s = 0.0
    result = cli("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["completed"] and summary["resumed_from_cursor"] == before[-1].cursor
    assert server.log[requests_before].params.get("resumptionToken") == before[-1].resumption_token
    assert set(raw_keys(settings)) == served_keys()
    assert summary["read"] <= 3538 - before[-1].cursor


@pytest.mark.usefixtures("settings")
def test_finished_window_is_not_harvested_again(fake_arxiv):
    server = fake_arxiv()
    args = ("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--until", "2016-03-08", "--json")
    assert cli(*args).returncode == 0
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["already_complete"] is True
    assert len(server.log) == 4


def test_dry_run_touches_no_topic(settings, fake_arxiv):
    server = fake_arxiv()
    result = cli("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--limit", "1500", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["produced"] == 1500
    from clients import kafka_io

    assert settings.topic("ingest.checkpoints") not in kafka_io.admin(settings).list_topics()


def test_invalid_record_is_dead_lettered_with_its_xml_and_the_run_continues(settings, tmp_path):
    """A record the contract refuses goes to arxiv.papers.dlq with reason, source and the record's XML."""
    text = gzip.decompress((FIXTURES / "oai" / "page-103.xml.gz").read_bytes()).decode()
    broken = text.replace("<categories>", "<categories>NOT/A CATEGORY ", 1)
    assert broken != text
    page = tmp_path / "page-001.xml.gz"
    page.write_bytes(gzip.compress(broken.encode()))
    server = FakeArxivServer.from_dir(tmp_path, ["page-001.xml.gz"])
    server.start()
    try:
        result = cli("ingest", "oai", "--endpoint", server.url, "--set", "cs", "--json")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["produced"], summary["rejected"], summary["completed"]) == (537, 1, True)
    from schemas.dead_letters import DeadLetter

    letters = [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic("arxiv.papers.dlq"))]
    assert len(letters) == 1
    letter = letters[0]
    assert (letter.source, letter.stage, letter.key) == ("oai", "ingest", "math/0611918")
    assert "categories" in letter.reason and "NOT/A" in letter.payload and "<record" in letter.payload
