"""`scholarstream rebuild`: re-derive everything after `arxiv.papers.raw` beside the live pipeline.

After a change to the topic model, the encoder or the linker, the derived state must be rebuilt
from the source of truth. A rebuild runs a new generation (scholarstream/generations.py) of the
worker and the indexer: new topics, new consumer groups (so new, empty faust tables), new
physical indices behind the new generation's write aliases. The live generation keeps running and
readers keep using it. Once the new generation has caught up with the log, the read aliases are
moved to its indices in one atomic call and the new generation is recorded in
`pipeline.generations`; long-running workers and indexers pick it up when restarted.

`--from-stage link` keeps the enrichment (no re-encoding) and re-derives linking, profiles and
the researchers index; `--from-stage enrich` re-derives everything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from clients import es_io, kafka_io
from foundation.errors import ScholarStreamError
from foundation.generations import Generation
from foundation.settings import Settings
from indexers.index_admin import alias_targets, ensure_index, move_aliases
from indexers.mappings import INDICES
from schemas.pipeline import GenerationRecord
from schemas.topics import PIPELINE_GENERATIONS, TOPICS
from scholarstream.pipeline import run_pipeline

log = logging.getLogger(__name__)
CURRENT = b"current"
FromStage = Literal["enrich", "link"]


def serving_generation(settings: Settings) -> Generation:
    """The generation recorded in `pipeline.generations` (generation 0 when nothing is recorded)."""
    topic = settings.topic(PIPELINE_GENERATIONS.name)
    latest: GenerationRecord | None = None
    for record in kafka_io.read_to_end(settings, topic):
        if record.key == CURRENT and record.value:
            latest = GenerationRecord.model_validate_json(record.value)
    return Generation(latest.enrich, latest.link) if latest else Generation()


def with_serving_generation(settings: Settings) -> Settings:
    """The settings a long-running process should use: the environment's generation if it names
    one, else the serving generation recorded in Kafka.

    The first Kafka calls a worker or an indexer makes: a broker that has just died is ridden out
    here like in the later start-up steps (`kafka_io.through_failover`)."""
    if settings.generation_pinned:
        return settings
    kafka_io.through_failover(lambda: kafka_io.ensure_topics(settings, [PIPELINE_GENERATIONS]))
    generation = kafka_io.through_failover(lambda: serving_generation(settings))
    return settings.model_copy(update={"enrich_generation": generation.enrich, "link_generation": generation.link})


def record_generation(settings: Settings, record: GenerationRecord) -> None:
    producer = kafka_io.producer(settings)
    try:
        producer.send(settings.topic(PIPELINE_GENERATIONS.name), key=CURRENT, value=record.model_dump_json().encode())
        producer.flush()
    finally:
        producer.close()


@dataclass
class RebuildResult:
    from_stage: str
    previous: dict[str, int]
    generation: dict[str, int]
    caught_up: bool
    elapsed_seconds: float
    switched: dict[str, str] = field(default_factory=dict)  # read alias -> new physical index
    indexed_documents: int | None = None
    indexed_researchers: int | None = None
    restart_with: dict[str, str] = field(default_factory=dict)


def rebuild(
    settings: Settings,
    from_stage: FromStage,
    clock: Callable[[], datetime],
    *,
    timeout: float | None = None,
    on_poll: Callable[[dict[str, int]], None] | None = None,
) -> RebuildResult:
    kafka_io.ensure_topics(settings, [PIPELINE_GENERATIONS])
    previous = serving_generation(settings)
    target = previous.next(from_stage)
    stages = "enrich,link" if from_stage == "enrich" else "link"
    new = settings.model_copy(update={
        "enrich_generation": target.enrich, "link_generation": target.link, "worker_stages": stages,
    })
    kafka_io.ensure_topics(new, TOPICS)
    es = es_io.client(settings)
    rebuilt = [spec for spec in INDICES if spec.stage == "link" or from_stage == "enrich"]
    for spec in rebuilt:
        ensure_index(es, new, spec)
    run = run_pipeline(new, until_caught_up=True, timeout=timeout, on_poll=on_poll)
    result = RebuildResult(
        from_stage=from_stage, previous=previous.__dict__, generation=target.__dict__, caught_up=run.caught_up,
        elapsed_seconds=round(run.elapsed_seconds, 1), indexed_documents=run.indexed_documents,
        indexed_researchers=run.indexed_researchers,
    )
    if not run.caught_up:
        raise ScholarStreamError(f"generation {target} did not catch up; readers stay on {previous}")
    for spec in rebuilt:
        (physical,) = alias_targets(es, spec.write_alias(new))
        es.indices.refresh(index=physical)
        result.switched[spec.alias(settings)] = physical
    move_aliases(es, result.switched)  # every read alias at once
    record_generation(settings, GenerationRecord(
        enrich=target.enrich, link=target.link, previous_enrich=previous.enrich, previous_link=previous.link,
        from_stage=from_stage, switched_at=clock(),
    ))
    result.restart_with = target.env()
    return result
