"""Integration tests run against the real Kafka and Elasticsearch, each test in its own namespace.

Every test gets a unique topic prefix, index prefix and consumer groups (through the same
settings the CLI reads, so child processes inherit them), and everything is deleted afterwards.
An unreachable service fails the tests: they are never skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.documents import researcher_document
from indexers.index_admin import ensure_index
from indexers.mappings import RESEARCHERS
from schemas.topics import RESEARCHER_SIGNALS
from scholarstream.demo import services_reachable
from stream_processors.profiles import new_profile
from tests.conftest import REPO
from tests.postgres import Server, running_server


@pytest.fixture(scope="session")
def live_services() -> None:
    settings = Settings(_env_file=None)
    if not services_reachable(settings):
        pytest.fail(
            f"Kafka ({settings.kafka_bootstrap_servers}) or Elasticsearch ({settings.elasticsearch_url}) "
            "is not reachable. Run the tests with `make test`, which starts the local stack, or start it "
            "with `scholarstream stack up`.",
            pytrace=False,
        )


@pytest.fixture
def settings(live_services, monkeypatch, tmp_path) -> Iterator[Settings]:  # noqa: ARG001 - setup
    namespace = f"t{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PREFIX", f"{namespace}.")
    monkeypatch.setenv("SCHOLARSTREAM_INDEX_PREFIX", f"{namespace}-")
    monkeypatch.setenv("SCHOLARSTREAM_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PARTITIONS", "2")
    current = Settings(_env_file=None)
    yield current
    _clean_up(current, namespace)


def _clean_up(settings: Settings, namespace: str) -> None:
    admin = kafka_io.admin(settings)
    try:
        topics = [name for name in admin.list_topics() if name.startswith(f"{namespace}.")]
        if topics:
            admin.delete_topics(topics)
        groups = [group for group, _ in admin.list_consumer_groups() if group.startswith(f"{namespace}.")]
        if groups:
            admin.delete_consumer_groups(groups)
    finally:
        admin.close()
    es = es_io.client(settings)
    names = list(es.indices.get(index=f"{namespace}-*", expand_wildcards="all"))
    for name in names:
        es.indices.delete(index=name)


def read_topic(settings: Settings, topic: str) -> list:
    """Every record of a topic, from the beginning up to the end offsets read first."""
    return list(kafka_io.read_to_end(settings, topic))


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `scholarstream ARGS` as a user would, in a child process with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "scholarstream", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=os.environ.copy(),
    )


FIXTURE_SNAPSHOT = Path(__file__).resolve().parent.parent / "fixtures" / "snapshot-40.jsonl"


PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """One PostgreSQL server for the session (tests/postgres.py); each test takes a database of its own."""
    with running_server() as server:
        yield server


@pytest.fixture
def accounts_backend() -> str:
    """Where `app_settings` keeps the accounts: SQLite unless a module asks for both (`params`)."""
    return "sqlite"


@pytest.fixture
def app_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, accounts_backend: str,
                 request: pytest.FixtureRequest) -> Settings:
    """The test's settings with an accounts database of its own (an SQLite file, or a database on
    the session's PostgreSQL server), for `create_api`."""
    if accounts_backend == "postgresql":
        url = request.getfixturevalue("postgres_server").new_database()
    else:
        url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    monkeypatch.setenv("SCHOLARSTREAM_ACCOUNTS_DATABASE_URL", url)
    current = Settings(_env_file=None)
    assert current.topic_prefix == settings.topic_prefix
    kafka_io.ensure_topics(current, [RESEARCHER_SIGNALS])
    return current


def index_researcher(settings: Settings, researcher_id: str, name: str = "Ada Lovelace") -> None:
    """A researcher with a (new, empty) profile in the test's researchers index, as the indexer
    writes it: the write path acts only on researchers that have a profile."""
    es = es_io.client(settings)
    try:
        ensure_index(es, settings, RESEARCHERS)
        es.index(index=RESEARCHERS.write_alias(settings), id=researcher_id,
                 document=researcher_document(new_profile(researcher_id, name)), refresh=True)
    finally:
        es.close()


def signed_up(client: Any, email: str) -> dict:
    """A new account on the app behind `client` (a TestClient), signed in; its answer (with the CSRF token)."""
    made = client.post("/accounts", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201, made.text
    return dict(made.json())


def act(client: Any, account: dict, researcher: str, action: str) -> str:
    """The account's action on a researcher through the write path; the signal id of its 202."""
    sent = client.post(f"/researchers/{researcher}/{action}", headers={"X-CSRF-Token": account["csrf_token"]})
    assert sent.status_code == 202, sent.text
    return str(sent.json()["signal_id"])
