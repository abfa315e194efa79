"""Creating what the pipeline needs on the services: the registry's topics and the indices."""

from __future__ import annotations

from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.index_admin import ensure_index
from indexers.mappings import INDICES
from schemas.topics import TOPICS


def provision(settings: Settings) -> dict[str, list[str]]:
    """Idempotent: creates what is missing and reports what exists."""
    created = kafka_io.ensure_topics(settings, TOPICS)
    es = es_io.client(settings)
    es_io.check_reachable(settings, es)
    indices = [ensure_index(es, settings, spec) for spec in INDICES]
    return {
        "topics": [settings.topic(spec.name) for spec in TOPICS],
        "topics_created": created,
        "indices": indices,
    }
