"""The committed JSON Schemas and the topic registry stay true to the code."""

from __future__ import annotations

from schemas.json_schema import SCHEMA_DIR, render
from schemas.topics import TOPICS


def test_committed_json_schemas_are_current():
    """Regenerate with `scholarstream schemas export` when a model changes."""
    for name, text in render().items():
        assert (SCHEMA_DIR / name).read_text() == text, name


def test_topic_names_are_unique():
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names))


def test_entity_state_topics_are_compacted_and_logs_kept():
    by_name = {spec.name: spec for spec in TOPICS}
    assert by_name["papers.enriched"].cleanup_policy == "compact"
    raw = by_name["arxiv.papers.raw"]
    assert raw.cleanup_policy == "delete" and raw.kafka_config()["retention.ms"] == "-1"


def test_every_topic_says_who_reads_and_writes_it():
    for spec in TOPICS:
        assert spec.producers and spec.consumers and spec.why, spec.name
