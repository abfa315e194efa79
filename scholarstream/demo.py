"""What `scholarstream demo` needs beyond the other commands: services that answer.

When the addresses are the defaults and nothing answers, the demo starts the local stack; when
they point elsewhere, it uses them and never starts anything.
"""

from __future__ import annotations

from collections.abc import Callable

from clients import es_io, kafka_io
from foundation.errors import ServiceUnavailable
from foundation.settings import Settings


def services_reachable(settings: Settings) -> bool:
    try:
        kafka_io.admin(settings).close()
        es_io.check_reachable(settings, es_io.client(settings))
    except ServiceUnavailable:
        return False
    return True


def ensure_services(settings: Settings, on_step: Callable[[str], None]) -> None:
    if services_reachable(settings):
        on_step(f"using Kafka at {settings.kafka_bootstrap_servers} and Elasticsearch at {settings.elasticsearch_display_url}")
        return
    if not (settings.kafka_is_default and settings.elasticsearch_is_default):
        raise ServiceUnavailable(
            "Kafka or Elasticsearch",
            f"{settings.kafka_bootstrap_servers} / {settings.elasticsearch_display_url}",
            "The demo only starts the local stack for the default addresses.",
        )
    import stack

    on_step("starting the local stack (Kafka and Elasticsearch)")
    stack.up(settings, on_step=on_step)


def prolific_researcher_query(es, settings: Settings) -> str | None:
    """'Surname, I' for the researcher with the most works: the demo's example researcher search."""
    from evaluation.search import written_out_name
    from indexers.mappings import RESEARCHERS

    response = es.search(
        index=RESEARCHERS.alias(settings),
        query={"bool": {"must_not": {"exists": {"field": "merged_into"}}, "filter": {"term": {"is_collaboration": False}}}},
        sort=[{"works_count": "desc"}, {"researcher_id": "asc"}],
        size=20,
        source_includes=["profile.name_variants"],
    )
    for hit in response["hits"]["hits"]:
        name = written_out_name({"researcher_id": hit["_id"], **hit["_source"]["profile"]})
        if name is not None:
            given, surname = name
            return f"{surname}, {given[0]}"
    return None
