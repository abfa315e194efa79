"""Creating versioned indices behind aliases, and moving aliases atomically.

Two kinds of alias point at a physical index: the read alias (`researchers`), which search and
the API name, and a generation's write alias (`researchers-l0`), which that generation's indexer
writes through. Physical names are `<write alias>-v<mapping version>` for the first build and
`<write alias>-v<mapping version>-<UTC stamp>` for each reindex, so all physical indices of a read
alias match `<read alias>-*`.
"""

from __future__ import annotations

import logging

from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import Elasticsearch, NotFoundError

from clients import es_io
from foundation.errors import IndexingError
from foundation.settings import Settings
from indexers.mappings import IndexSpec

log = logging.getLogger(__name__)


def ensure_index(es: Elasticsearch, settings: Settings, spec: IndexSpec) -> str:
    """Make sure this generation's write alias exists (and the read alias, the first time).

    Returns the physical index the write alias points to. A read alias that already exists is
    never moved here (that is `reindex`'s and `rebuild`'s job). An index built before write
    aliases existed (a read alias with no generation-0 write alias) is adopted as generation 0's.
    """
    read, write = spec.alias(settings), spec.write_alias(settings)
    try:
        targets = alias_targets(es, write)
        if not targets:
            serving = alias_targets(es, read)
            if not serving and es.indices.exists(index=read):
                raise IndexingError(f"{read!r} is a concrete index, not an alias; delete or rename it")
            if serving and settings.generation.of(spec.stage) == 0:
                physical = serving[0]  # adopt the index readers already use
            else:
                physical = spec.physical(settings)
                if not es.indices.exists(index=physical):
                    es.indices.create(index=physical, settings=creation_settings(es, settings, spec), mappings=spec.mappings)
            actions = [{"add": {"index": physical, "alias": write}}]
            if not serving:
                actions.append({"add": {"index": physical, "alias": read}})
            es.indices.update_aliases(actions=actions)
            targets = [physical]
    except ESConnectionError as error:
        raise es_io.unavailable(settings) from error
    if len(targets) != 1:
        raise IndexingError(f"alias {write!r} points at {targets}; it must point at exactly one index")
    if f"-v{spec.version}" not in targets[0]:
        log.warning("%s points at %s, not at mapping version %d: run `scholarstream reindex %s`",
                    write, targets[0], spec.version, spec.name)
    return targets[0]


def alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    """The physical indices an alias points to (none when the alias does not exist)."""
    try:
        return sorted(es.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def create_physical(es: Elasticsearch, settings: Settings, spec: IndexSpec, suffix: str) -> str:
    """A new, empty physical index for a reindex: `<write alias>-v<version>-<suffix>`."""
    name = f"{spec.physical(settings)}-{suffix}"
    if es.indices.exists(index=name):
        raise IndexingError(f"index {name} exists already; wait a second and retry")
    es.indices.create(index=name, settings=creation_settings(es, settings, spec), mappings=spec.mappings)
    return name


def creation_settings(es: Elasticsearch, settings: Settings, spec: IndexSpec) -> dict:
    """The spec's index settings with the replicas this cluster can hold (`es_io.index_replicas`):
    decided when an index is created, so an index keeps the replicas it was built with."""
    return {**spec.settings, "number_of_replicas": es_io.index_replicas(settings, es)}


def move_aliases(es: Elasticsearch, targets: dict[str, str]) -> None:
    """Point each alias at its new index alone, all in one atomic call: no moment without them."""
    actions: list[dict] = []
    for alias, index in targets.items():
        actions += [{"remove": {"index": old, "alias": alias}} for old in alias_targets(es, alias) if old != index]
        actions.append({"add": {"index": index, "alias": alias}})
    es.indices.update_aliases(actions=actions)


def unused_indices(es: Elasticsearch, settings: Settings, spec: IndexSpec) -> list[str]:
    """Physical indices of this read alias that no alias points to any more."""
    read = spec.alias(settings)
    indices = es.indices.get(index=f"{read}-*", expand_wildcards="open,closed")
    return sorted(name for name, info in indices.items() if not info.get("aliases"))


def delete_indices(es: Elasticsearch, names: list[str]) -> None:
    for name in names:
        es.options(ignore_status=404).indices.delete(index=name)
