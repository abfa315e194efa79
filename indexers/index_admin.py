"""Creating versioned indices and pointing their aliases at them."""

from __future__ import annotations

from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import Elasticsearch

from indexers.mappings import IndexSpec
from scholarstream import es_io
from scholarstream.errors import IndexingError
from scholarstream.settings import Settings


def ensure_index(es: Elasticsearch, settings: Settings, spec: IndexSpec) -> str:
    """Create the spec's physical index and alias when missing; return the physical name.

    An alias that points at another version is left alone (a reindex moves it), but reported.
    """
    physical = spec.physical(settings)
    alias = spec.alias(settings)
    try:
        if not es.indices.exists(index=physical):
            es.indices.create(index=physical, settings=spec.settings, mappings=spec.mappings)
        if not es.indices.exists_alias(name=alias):
            if es.indices.exists(index=alias):
                raise IndexingError(f"{alias!r} is a concrete index, not an alias; delete or rename it")
            es.indices.put_alias(index=physical, name=alias)
    except ESConnectionError as error:
        raise es_io.unavailable(settings) from error
    return physical


def delete_indices(es: Elasticsearch, names: list[str]) -> None:
    for name in names:
        es.options(ignore_status=404).indices.delete(index=name)
