"""The web pages in a real browser: Debian's Chromium driven by Playwright, against a real
`scholarstream serve` over the real Kafka and Elasticsearch.

One namespace (topic prefix, index prefix, consumer groups, an accounts database) for the whole
session, filled once with the integration tests' fixture snapshot and a hostile record, processed
by the real worker and indexer (`run --until-caught-up`), then served on a free port. Everything
is deleted afterwards. An unreachable service or a missing Chromium fails the tests: never a skip.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from foundation.settings import Settings
from scholarstream.demo import services_reachable
from tests.conftest import FIXTURES, REPO
from tests.integration.conftest import _clean_up as clean_up
from tests.oidc_provider import Provider, running_provider

CHROMIUM = "/usr/bin/chromium"
# Assertions wait as long as actions do (the page's default timeout below), not Playwright's 5 s:
# on a loaded two-core CI machine a page that answers in 6 s is slow, not wrong. A rehearsal of CI
# once saw a navigation not committed within 5 s (test_a_work_opens_its_paper_page...).
expect.set_options(timeout=15_000)
SNAPSHOT = FIXTURES / "snapshot-40.jsonl"
HOSTILE_ID = "1006.9999"
HOSTILE_TITLE = "<script>window.__pwned = 1</script>Hostile <b>title</b> & more"
HOSTILE_SURNAME = "Mallory<script>window.__pwned = 2</script>"


def _hostile_record() -> str:
    """A real record of the snapshot with markup in its title and in an author's name."""
    record = json.loads(SNAPSHOT.read_text().splitlines()[0])
    record.update({
        "id": HOSTILE_ID, "title": HOSTILE_TITLE, "doi": None, "journal-ref": None,
        "authors": f"Eve {HOSTILE_SURNAME}", "authors_parsed": [[HOSTILE_SURNAME, "Eve", ""]],
    })
    return json.dumps(record) + "\n"


def _cli(env: dict[str, str], *args: str, timeout: float = 900) -> None:
    result = subprocess.run([sys.executable, "-m", "scholarstream", *args], capture_output=True, text=True,
                            timeout=timeout, cwd=REPO, env=env, check=False)
    assert result.returncode == 0, f"scholarstream {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def run_pipeline(env: dict[str, str]) -> None:
    """The worker and the indexer until both caught up: signals sent from the pages get applied."""
    _cli(env, "run", "--until-caught-up", "--timeout", "600", timeout=900)


@pytest.fixture(scope="session")
def web_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a namespace holding the processed fixture snapshot and a hostile record."""
    if not services_reachable(Settings(_env_file=None)):
        pytest.fail("Kafka or Elasticsearch is not reachable: run `make test`, or `scholarstream stack up` first.", pytrace=False)
    root = tmp_path_factory.mktemp("web")
    namespace = f"b{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "SCHOLARSTREAM_TOPIC_PREFIX": f"{namespace}.",
        "SCHOLARSTREAM_INDEX_PREFIX": f"{namespace}-",
        "SCHOLARSTREAM_DATA_DIR": str(root / "state"),
        "SCHOLARSTREAM_TOPIC_PARTITIONS": "2",
        "SCHOLARSTREAM_ACCOUNTS_DATABASE_URL": f"sqlite:///{root / 'accounts.sqlite3'}",
    }
    hostile = root / "hostile.jsonl"
    hostile.write_text(_hostile_record())
    try:
        _cli(env, "setup")
        _cli(env, "ingest", "snapshot", str(SNAPSHOT))
        _cli(env, "ingest", "snapshot", str(hostile))
        run_pipeline(env)
        yield env
    finally:
        clean_up(Settings(_env_file=None), namespace)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def orcid_provider() -> Iterator[Provider]:
    """The tests' OpenID provider standing in for ORCID's (tests/oidc_provider.py), for the session."""
    with running_provider() as provider:
        yield provider


@pytest.fixture(scope="session")
def server(web_env: dict[str, str], orcid_provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`scholarstream serve` (uvicorn over `create_api`, ORCID sign-in through the tests' provider) on a
    free port; its base URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "scholarstream", "serve", "--port", str(port)],
                                   cwd=REPO, env={**web_env, **orcid_provider.env}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`scholarstream serve` did not come up:\n{log.read_text(errors='replace')[-3000:]}", pytrace=False)
            time.sleep(0.3)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y --no-install-recommends chromium` (scripts/test.sh does)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def console() -> list[str]:
    """The console errors and uncaught exceptions of the test's page."""
    return []


@pytest.fixture
def page(browser: Browser, server: str, console: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    opened = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append(f"{message.text} ({message.location.get('url', '')})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
