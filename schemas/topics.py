"""The topic registry: every Kafka topic the pipeline uses, who writes it, who reads it, and why.

`docs/architecture.md` is written from this table, and `ensure_topics` creates topics from it,
so the documentation and the cluster cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from schemas.checkpoints import HarvestCheckpoint
from schemas.dead_letters import DeadLetter
from schemas.papers import EnrichedPaper, RawPaper

CleanupPolicy = Literal["delete", "compact"]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: type[BaseModel]
    cleanup_policy: CleanupPolicy
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    why: str
    partitions: int | None = None  # None: the configured default (SCHOLARSTREAM_TOPIC_PARTITIONS)
    config: dict[str, str] = field(default_factory=dict)

    def kafka_config(self) -> dict[str, str]:
        return {"cleanup.policy": self.cleanup_policy, **self.config}


_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

PAPERS_RAW = TopicSpec(
    name="arxiv.papers.raw",
    key="arXiv id without version",
    value=RawPaper,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("ingest snapshot", "ingest oai", "ingest arxiv"),
    consumers=("worker: enrich",),
    why=(
        "The source of truth every later store is rebuilt from, so nothing is ever deleted: "
        "kept forever rather than compacted, because a late older version must not replace a newer one. "
        "Keyed by id so all versions of a paper share a partition and are seen in order."
    ),
)

PAPERS_DLQ = TopicSpec(
    name="arxiv.papers.dlq",
    key="arXiv id when known, else none",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("ingest *",),
    consumers=("operators (dlq list/retry)",),
    why="Records a producer could not validate, with the reason and the raw payload, so none is silently lost.",
    partitions=1,
)

PAPERS_ENRICHED = TopicSpec(
    name="papers.enriched",
    key="arXiv id without version",
    value=EnrichedPaper,
    cleanup_policy="compact",
    producers=("worker: enrich",),
    consumers=("indexer: papers",),
    why=(
        "Entity state: the latest enrichment of each paper. Compacted by id, so a reindex reads one "
        "record per paper and never has to re-run the encoder."
    ),
)

ENRICH_DLQ = TopicSpec(
    name="papers.enrich.dlq",
    key="arXiv id when known, else none",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: enrich",),
    consumers=("operators (dlq list/retry)",),
    why="Raw records the worker could not decode or enrich; the run continues around them.",
    partitions=1,
)

INDEX_DLQ = TopicSpec(
    name="index.dlq",
    key="document id",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("indexer",),
    consumers=("operators (dlq list/retry)",),
    why="Documents Elasticsearch rejected (mapping errors), with its error; retryable failures are retried instead.",
    partitions=1,
)

INGEST_CHECKPOINTS = TopicSpec(
    name="ingest.checkpoints",
    key="checkpoint id (source, endpoint, set/categories, date window)",
    value=HarvestCheckpoint,
    cleanup_policy="compact",
    producers=("ingest oai", "ingest arxiv"),
    consumers=("ingest oai", "ingest arxiv"),
    why=(
        "Where each paged harvest stopped (resumption token, datestamp, completion), written only after "
        "Kafka acknowledged the page's records; compacted by checkpoint id so the latest state per harvest "
        "survives and any machine can resume it."
    ),
    partitions=1,
)

TOPICS: tuple[TopicSpec, ...] = (PAPERS_RAW, PAPERS_DLQ, PAPERS_ENRICHED, ENRICH_DLQ, INDEX_DLQ, INGEST_CHECKPOINTS)


def topic_by_name(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}; known: {', '.join(spec.name for spec in TOPICS)}")
