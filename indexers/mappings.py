"""Index definitions. Each logical index is a versioned physical index behind an alias.

Only Elasticsearch's core analysis is used (the `standard` analyzer and `lowercase`), because
the local integ-test build has no analysis plugins; folding that needs more is done in Python.
Bump `version` whenever a mapping changes: a new physical index is built and the alias swapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scholarstream.settings import Settings


@dataclass(frozen=True)
class IndexSpec:
    name: str  # the alias users query
    version: int
    mappings: dict[str, Any]
    settings: dict[str, Any]

    def alias(self, settings: Settings) -> str:
        return settings.index(self.name)

    def physical(self, settings: Settings) -> str:
        return settings.index(f"{self.name}-v{self.version}")


_SINGLE_NODE = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}

PAPERS = IndexSpec(
    name="papers",
    version=1,
    settings=_SINGLE_NODE,
    mappings={
        "dynamic": "strict",
        "properties": {
            "arxiv_id": {"type": "keyword"},
            "version": {"type": "integer"},
            "title": {"type": "text", "analyzer": "standard"},
            "abstract": {"type": "text", "analyzer": "standard"},
            "authors": {"type": "text", "analyzer": "standard"},
            "author_names": {"type": "keyword"},
            "categories": {"type": "keyword"},
            "primary_category": {"type": "keyword"},
            "year": {"type": "short"},
            "submitted": {"type": "date"},
            "updated": {"type": "date"},
            "doi": {"type": "keyword"},
            "journal_ref": {"type": "text", "analyzer": "standard"},
            "source": {"type": "keyword"},
            "topics": {
                "properties": {"code": {"type": "keyword"}, "name": {"type": "text"}, "score": {"type": "float"}}
            },
            "topic_model": {"type": "keyword"},
            "keyphrases": {"type": "text", "analyzer": "standard", "fields": {"raw": {"type": "keyword"}}},
            "author_keys": {"type": "keyword"},
            "encoder": {"type": "keyword"},
            "ingested_at": {"type": "date"},
            "embedding": {"type": "dense_vector", "index": True, "similarity": "cosine"},
        },
    },
)

INDICES = (PAPERS,)
