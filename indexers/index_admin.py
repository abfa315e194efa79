"""Creating versioned indices, pointing aliases at them, and swapping aliases atomically.

Physical index names are `<alias>-v<mapping version>` for the first build and
`<alias>-v<mapping version>-<UTC stamp>` for each reindex, so every physical index of an alias
matches `<alias>-v*`. Writers and readers only ever name the alias.
"""

from __future__ import annotations

import logging

from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import Elasticsearch, NotFoundError

from indexers.mappings import IndexSpec
from scholarstream import es_io
from scholarstream.errors import IndexingError
from scholarstream.settings import Settings

log = logging.getLogger(__name__)


def ensure_index(es: Elasticsearch, settings: Settings, spec: IndexSpec) -> str:
    """Make sure the alias exists, creating `<alias>-v<version>` behind it when missing.

    Returns the physical index the alias points to. An alias that points at an index of an older
    mapping version is left alone (a reindex moves it) but reported.
    """
    alias = spec.alias(settings)
    try:
        targets = alias_targets(es, alias)
        if not targets:
            if es.indices.exists(index=alias):
                raise IndexingError(f"{alias!r} is a concrete index, not an alias; delete or rename it")
            physical = spec.physical(settings)
            if not es.indices.exists(index=physical):
                es.indices.create(index=physical, settings=spec.settings, mappings=spec.mappings)
            es.indices.put_alias(index=physical, name=alias)
            return physical
    except ESConnectionError as error:
        raise es_io.unavailable(settings) from error
    if len(targets) != 1:
        raise IndexingError(f"alias {alias!r} points at {targets}; it must point at exactly one index")
    if not targets[0].startswith(spec.physical(settings)):
        log.warning("alias %s points at %s, not at mapping version %d: run `scholarstream reindex %s`",
                    alias, targets[0], spec.version, spec.name)
    return targets[0]


def alias_targets(es: Elasticsearch, alias: str) -> list[str]:
    """The physical indices an alias points to (none when the alias does not exist)."""
    try:
        return sorted(es.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def create_physical(es: Elasticsearch, settings: Settings, spec: IndexSpec, suffix: str) -> str:
    """A new, empty physical index for a reindex: `<alias>-v<version>-<suffix>`."""
    name = f"{spec.physical(settings)}-{suffix}"
    if es.indices.exists(index=name):
        raise IndexingError(f"index {name} exists already; wait a second and retry")
    es.indices.create(index=name, settings=spec.settings, mappings=spec.mappings)
    return name


def swap_alias(es: Elasticsearch, alias: str, remove: list[str], add: str) -> None:
    """Point the alias at `add` instead of `remove`, in one atomic step: no moment without it."""
    actions = [{"remove": {"index": index, "alias": alias}} for index in remove]
    actions.append({"add": {"index": add, "alias": alias}})
    es.indices.update_aliases(actions=actions)


def delete_indices(es: Elasticsearch, names: list[str]) -> None:
    for name in names:
        es.options(ignore_status=404).indices.delete(index=name)
