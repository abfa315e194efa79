"""Fault tests own their Kafka and Elasticsearch: a stack of their own, on ports of their own.

They stop, kill and restart services, which must never disturb the stack other tests (or a
developer) use. So one session fixture starts a separate local stack in a temporary stack
directory on free ports (Kafka 19392 + controller 19393, Elasticsearch 19400 + transport 19500)
and removes it at the end; nothing of it survives the session, which is also its clean-up.
The environment points at it only inside each test (through monkeypatch), so other tests in the
same session keep their own addresses. A stack that cannot start fails the tests: never a skip.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import helpers
from kafka import TopicPartition
from kafka.errors import KafkaError

import stack
from clients import es_io, kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from tests.children import Child

KAFKA_PORT = 19392
ELASTICSEARCH_PORT = 19400
SAMPLE = Path(__file__).resolve().parent.parent.parent / "samples" / "arxiv-kaggle-1006.jsonl.gz"


@pytest.fixture(scope="session")
def fault_stack() -> Iterator[dict[str, str]]:
    """The environment of the fault tests' own stack, which runs for the whole session."""
    root = Path(tempfile.mkdtemp(prefix="scholarstream-faults-"))
    root.chmod(0o755)  # as root, Elasticsearch runs as its own user, which must enter the dir
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{ELASTICSEARCH_PORT}",
        "SCHOLARSTREAM_STACK_DIR": str(root / "stack"),
        "SCHOLARSTREAM_ES_HEAP": "512m",
        "SCHOLARSTREAM_KAFKA_HEAP": "512m",
    }
    fields: dict[str, Any] = env  # setting values, validated by Settings
    settings = Settings(_env_file=None, **fields)
    try:
        stack.up(settings)
    except ScholarStreamError as error:
        stack.down(settings)
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"the fault tests' own stack did not start: {error}", pytrace=False)
    try:
        yield env
    finally:
        stack.down(settings)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def namespace(fault_stack, monkeypatch, tmp_path) -> Callable[[str], Settings]:
    """Point this process (and its children) at a fresh namespace on the fault stack.

    Called twice, the second namespace replaces the first in the environment; the Settings
    objects returned keep naming their own.
    """
    for name, value in fault_stack.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PARTITIONS", "2")
    monkeypatch.setenv("SCHOLARSTREAM_ENCODER_BATCH_SIZE", "8")
    monkeypatch.setenv("SCHOLARSTREAM_ENRICH_TAKE_MAX", "32")

    def switch(label: str) -> Settings:
        name = f"f{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv("SCHOLARSTREAM_TOPIC_PREFIX", f"{name}.")
        monkeypatch.setenv("SCHOLARSTREAM_INDEX_PREFIX", f"{name}-")
        monkeypatch.setenv("SCHOLARSTREAM_DATA_DIR", str(tmp_path / label))
        return Settings(_env_file=None)

    return switch


# Processes ----------------------------------------------------------------------------------


class Role(Child):
    """`scholarstream worker` or `scholarstream indexer` as a child process we can kill."""

    def __init__(self, role: str, settings: Settings) -> None:
        super().__init__(role, Path(settings.data_dir) / "logs" / f"{role}.log")


# Kafka and Elasticsearch reads ---------------------------------------------------------------


def total_end(settings: Settings, logical_topic: str) -> int:
    return sum(kafka_io.end_offsets(settings, settings.topic(logical_topic)).values())


def committed(settings: Settings, group: str, logical_topic: str) -> dict[int, int]:
    """Partition -> the group's committed offset (-1 when nothing is committed yet)."""
    topic = settings.topic(logical_topic)
    partitions = sorted(kafka_io.end_offsets(settings, topic))
    admin = kafka_io.admin(settings)
    try:
        for attempt in range(20):  # a new broker's group coordinator answers "not yet" for a while
            try:
                found = admin.list_consumer_group_offsets(
                    settings.group(group), partitions=[TopicPartition(topic, p) for p in partitions]
                )
                break
            except KafkaError as error:
                if not error.retriable or attempt == 19:
                    raise
                time.sleep(0.5)
    finally:
        admin.close()
    return {p: (found[TopicPartition(topic, p)].offset if TopicPartition(topic, p) in found else -1) for p in partitions}


def indexed_documents(settings: Settings) -> dict[str, dict]:
    """Every document of the `papers` alias: id -> _source."""
    es = es_io.client(settings)
    alias = settings.index("papers")
    es.indices.refresh(index=alias)
    # Elasticsearch 9 leaves dense vectors out of `_source` unless asked for them.
    hits = es.search(
        index=alias, query={"match_all": {}}, size=10_000, sort=["_doc"], source_exclude_vectors=False
    )["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def indexed_researchers(settings: Settings) -> dict[str, dict]:
    """Every researcher of the `researchers` alias: id -> what a profile shows that linking decides
    (names, works, collaborators by id, merge redirect); trust and timestamps are left out."""
    es = es_io.client(settings)
    alias, works_alias = settings.index("researchers"), settings.index("researcher-works")
    es.indices.refresh(index=f"{alias},{works_alias}")
    hits = es.search(index=alias, query={"match_all": {}}, size=10_000, sort=["_doc"])["hits"]["hits"]
    works: dict[str, list[str]] = {}
    for hit in helpers.scan(es, index=works_alias, query={"query": {"match_all": {}}}, source=["researcher_id", "arxiv_id"]):
        works.setdefault(hit["_source"]["researcher_id"], []).append(hit["_source"]["arxiv_id"])
    shown = {}
    for hit in hits:
        source = hit["_source"]
        profile = source.get("profile") or {}
        shown[hit["_id"]] = {
            "display_name": source["display_name"],
            "merged_into": source.get("merged_into"),
            "works": sorted(works.get(hit["_id"], [])),
            "names": sorted(v["name"] for v in profile.get("name_variants", [])),
            "collaborators": sorted(c["researcher_id"] for c in profile.get("close_collaborators", [])),
        }
    return shown
