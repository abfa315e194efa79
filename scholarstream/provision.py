"""Creating what the pipeline needs on the services: the registry's topics and the indices, and
checking that the topics already there are as durable as configured."""

from __future__ import annotations

from typing import Any

from clients import es_io, kafka_io
from foundation.settings import Settings
from indexers.index_admin import ensure_index
from indexers.mappings import INDICES
from schemas.topics import RESEARCHER_SIGNALS, TOPICS
from stream_processors.app import WORKER_GROUP

# `scholarstream setup` exits with this when a topic is below the configured replication (or the
# cluster has too few brokers for it): everything else was set up, but the data is not as safe as asked.
EXIT_UNDER_REPLICATED = 3


def expected_topics(settings: Settings, present: set[str]) -> dict[str, int | None]:
    """Topic -> configured partitions: the registry's, and the worker's table changelogs that exist
    (faust creates them when the worker starts; those made before replication was configured have one copy)."""
    expected: dict[str, int | None] = {settings.topic(spec.name): spec.partitions or settings.topic_partitions for spec in TOPICS}
    changelog_prefix = f"{settings.group(WORKER_GROUP)}-"
    for name in sorted(present):
        if name.startswith(changelog_prefix) and name.endswith("-changelog"):
            expected[name] = settings.topic_partitions
    return expected


def provision(settings: Settings) -> dict[str, Any]:
    """Idempotent: creates what is missing and reports what exists; `ok` is False when a topic is
    below the configured replication or the cluster cannot hold it (existing topics are never changed)."""
    replication = kafka_io.replication_for(settings)
    created = kafka_io.ensure_topics(settings, TOPICS) if replication.attainable else []
    signal_acls = kafka_io.restrict_signals(settings, settings.topic(RESEARCHER_SIGNALS.name))
    client = kafka_io.admin(settings)
    try:
        present = set(client.list_topics())
        report = kafka_io.check_topics(settings, expected_topics(settings, present), client)
    finally:
        client.close()
    es = es_io.client(settings)
    es_io.check_reachable(settings, es)
    indices = [ensure_index(es, settings, spec) for spec in INDICES]
    problems = [f"{topic.topic}: {'; '.join(topic.problems)}" for topic in report.under_replicated]
    if not replication.attainable:
        problems.append(
            f"the cluster has {replication.brokers} broker(s) alive, fewer than SCHOLARSTREAM_REPLICATION_FACTOR="
            f"{replication.factor}" + (f"; not created: {', '.join(report.missing)}" if report.missing else "")
        )
    return {
        "topics": [settings.topic(spec.name) for spec in TOPICS],
        "topics_created": created,
        "signal_acls": signal_acls,
        "indices": indices,
        "index_replicas": es_io.index_replicas(settings, es),
        "kafka": report.as_dict(),
        "ok": not problems,
        "problems": problems,
        "action": None if not problems else kafka_io.UNDER_REPLICATED_ADVICE,
    }
