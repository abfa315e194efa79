"""Two API processes share one PostgreSQL accounts database (issue 18).

Two real `scholarstream serve` processes on their own ports, with the same accounts database on
the tests' PostgreSQL server (tests/postgres.py): an account made on one signs in on the other and
acts there; the same e-mail address signed up on both at once gives exactly one account; and the
accounts outlive a process killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clients import kafka_io
from foundation.settings import Settings
from schemas.profiles import parse_signal
from schemas.topics import RESEARCHER_SIGNALS
from stack.processes import port_in_use
from tests.children import free_cluster_bases, wait_for
from tests.conftest import REPO
from tests.integration.conftest import PASSWORD, index_researcher, read_topic
from tests.postgres import Server


class Api:
    """`scholarstream serve` in a child process on `port`, logging to `log`."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scholarstream", "serve", "--port", str(port)], cwd=REPO, env=os.environ.copy(),
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for(lambda: self._answers() or self.process.poll() is not None, 120, f"the API on port {port}")
        assert self.process.poll() is None, log.read_text()[-3000:]

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def shared_database(settings: Settings, postgres_server: Server, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SCHOLARSTREAM_ACCOUNTS_DATABASE_URL", postgres_server.new_database())
    kafka_io.ensure_topics(settings, [RESEARCHER_SIGNALS])
    index_researcher(settings, "r-000000000abc")
    return Settings(_env_file=None)


@pytest.fixture
def two_apis(shared_database: Settings, tmp_path: Path) -> Iterator[list[Api]]:  # noqa: ARG001 - the environment it sets
    base = free_cluster_bases(1, 1)[0]
    ports = [p for p in range(base, base + 50) if not port_in_use(p)][:2]
    apis = [Api(port, tmp_path / f"api-{port}.log") for port in ports]
    try:
        yield apis
    finally:
        for api in apis:
            if api.process.poll() is None:
                api.kill()


def test_two_api_processes_share_one_postgresql_accounts_database(two_apis: list[Api], shared_database: Settings):
    first, second = two_apis
    with first.client() as on_first, second.client() as on_second:
        made = on_first.post("/accounts", json={"email": "ada@example.org", "password": PASSWORD})
        assert made.status_code == 201, made.text
        again = on_second.post("/accounts", json={"email": "ADA@example.org", "password": PASSWORD})
        assert again.status_code == 409, again.text
        signed_in = on_second.post("/sessions", json={"email": "ada@example.org", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["account_id"] == made.json()["account_id"]
        followed = on_second.post("/researchers/r-000000000abc/follow",
                                  headers={"X-CSRF-Token": signed_in.json()["csrf_token"]})
        assert followed.status_code == 202, followed.text

    # The same new address on both processes at once: the database's unique constraint decides.
    answers: list[int] = []

    def sign_up(api: Api) -> None:
        with api.client() as client:
            answers.append(client.post("/accounts", json={"email": "bob@example.org", "password": PASSWORD}).status_code)

    racers = [threading.Thread(target=sign_up, args=(api,)) for api in two_apis]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    assert sorted(answers) == [201, 409], answers

    first.kill()  # no shutdown: the accounts are in PostgreSQL, not in the process
    with second.client() as on_second:
        assert on_second.post("/sessions", json={"email": "bob@example.org", "password": PASSWORD}).status_code == 200

    [record] = read_topic(shared_database, shared_database.topic(RESEARCHER_SIGNALS.name))
    assert parse_signal(record.value).actor == made.json()["account_id"]
