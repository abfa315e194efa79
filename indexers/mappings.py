"""Index definitions. Each logical index is a versioned physical index behind an alias.

Only Elasticsearch's core analysis is used (the `standard` analyzer and `lowercase`), because
the local integ-test build has no analysis plugins; folding that needs more is done in Python.
Bump `version` whenever a mapping changes: a new physical index is built and the alias swapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from foundation.generations import Stage
from foundation.settings import Settings


@dataclass(frozen=True)
class IndexSpec:
    """An index as readers see it (the alias `name`) and as one generation writes it.

    Readers name the alias; the indexer of a generation writes through the generation's write
    alias (`researchers-l2`); each physical index is `<write alias>-v<version>[-<reindex stamp>]`.
    """

    name: str  # the alias users query
    version: int
    stage: Stage  # which stage's generation the documents come from
    mappings: dict[str, Any]
    settings: dict[str, Any]

    def alias(self, settings: Settings) -> str:
        return settings.index(self.name)

    def write_alias(self, settings: Settings) -> str:
        return settings.index(f"{self.name}-{self.stage[0]}{settings.generation.of(self.stage)}")

    def physical(self, settings: Settings) -> str:
        return f"{self.write_alias(settings)}-v{self.version}"

    @property
    def refresh_interval(self) -> str:
        """How often the index refreshes when nothing paces it (indexers/refresh_pacing.py)."""
        return str(self.settings.get("refresh_interval", "1s"))


# Replicas are not fixed here: `index_admin.creation_settings` adds them at creation, from the
# cluster's data nodes (SCHOLARSTREAM_INDEX_REPLICAS overrides).
_INDEX_SETTINGS = {"number_of_shards": 1, "refresh_interval": "1s"}

PAPERS = IndexSpec(
    name="papers",
    version=1,
    stage="enrich",
    settings=_INDEX_SETTINGS,
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

RESEARCHERS = IndexSpec(
    name="researchers",
    version=1,
    stage="link",
    settings=_INDEX_SETTINGS,
    mappings={
        "dynamic": "strict",
        "properties": {
            "researcher_id": {"type": "keyword"},
            "revision": {"type": "integer"},
            "merged_into": {"type": "keyword"},
            "display_name": {"type": "text", "analyzer": "standard", "fields": {"raw": {"type": "keyword"}}},
            # Folded in Python (indexers/name_keys.py): core Elasticsearch has no asciifolding.
            "names": {"type": "text", "analyzer": "standard", "index_prefixes": {"min_chars": 1, "max_chars": 10}},
            "name_keys": {"type": "keyword"},
            "is_collaboration": {"type": "boolean"},
            "affiliations": {"type": "text", "analyzer": "standard"},
            "has_affiliation": {"type": "boolean"},
            "topic_codes": {"type": "keyword"},
            "topic_names": {"type": "text", "analyzer": "standard"},
            "work_titles": {"type": "text", "analyzer": "standard"},
            "works_count": {"type": "integer"},
            "followers_count": {"type": "integer"},
            "first_active_year": {"type": "short"},
            "last_active_year": {"type": "short"},
            "claimed": {"type": "boolean"},
            "open_to_collaborate": {"type": "boolean"},
            "verification_level": {"type": "keyword"},
            "trust_score": {"type": "integer"},
            "trust_label": {"type": "keyword"},
            "embedding": {"type": "dense_vector", "index": True, "similarity": "cosine"},
            # The whole profile as the product shows it, stored but not indexed: GET /researchers/{id}.
            "profile": {"type": "object", "enabled": False},
        },
    },
)

RESEARCHER_WORKS = IndexSpec(
    name="researcher-works",
    version=1,
    stage="link",
    # The works API pages one researcher's works by from/size up to its last page (page <= 10,000,
    # size <= 100): deeper than Elasticsearch's default window of 10,000, and cheap, because the
    # query matches one researcher's works only.
    settings={**_INDEX_SETTINGS, "max_result_window": 1_000_000},
    mappings={
        "dynamic": "strict",
        "properties": {
            "researcher_id": {"type": "keyword"},
            "arxiv_id": {"type": "keyword"},
            "revision": {"type": "integer"},
            "title": {"type": "text", "analyzer": "standard"},
            "year": {"type": "short"},
            "categories": {"type": "keyword"},
            "topic_codes": {"type": "keyword"},
            "author_count": {"type": "integer"},
            "coauthor_ids": {"type": "keyword"},
            # The work as the profile counted it, stored but not indexed: GET /researchers/{id}/works.
            "work": {"type": "object", "enabled": False},
        },
    },
)

SIGNAL_OUTCOMES = IndexSpec(
    name="signal-outcomes",
    version=1,
    stage="link",
    # What became of each product signal (researcher.signals.outcomes), read by id only
    # (`GET /signals/{id}`): nothing here is searched, and no page lists these documents.
    settings=_INDEX_SETTINGS,
    mappings={
        "dynamic": "strict",
        "properties": {
            "signal_id": {"type": "keyword"},
            "researcher_id": {"type": "keyword"},
            "kind": {"type": "keyword"},
            "actor": {"type": "keyword"},
            "outcome": {"type": "keyword"},
            "reason": {"type": "text", "index": False},
            "revision": {"type": "long"},
            "at": {"type": "date"},
        },
    },
)

INDICES = (PAPERS, RESEARCHERS, RESEARCHER_WORKS, SIGNAL_OUTCOMES)
